"""The pass registry: every pass under a kebab-case name, its options read from its definition.

A pass is a function `graph -> graph`, or a dataclass whose fields are its options and whose
`__call__(graph)` does the work. `@register("name")` records it; the one-line description is
the first line of its docstring, the options are the dataclass fields (`max_iters` is given as
`max-iters`). Third-party packages add passes through the entry point group `graphc.passes`:
each entry point names a module (or object) whose import registers its passes.
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from graphc.graph import Graph

PassFn = Callable[[Graph], Graph]
ENTRY_POINT_GROUP = "graphc.passes"


@dataclass(frozen=True)
class Option:
    """One option of a pass: `name` as written in pipelines, the field it sets, its default."""

    name: str
    field: str
    type: type
    default: Any
    help: str = ""


@dataclass(frozen=True)
class PassInfo:
    """A registered pass: how to build it with options, and what it is for."""

    name: str
    description: str
    factory: Callable[..., PassFn]
    options: tuple[Option, ...] = ()

    def option(self, name: str) -> Option:
        for opt in self.options:
            if opt.name == name:
                return opt
        known = ", ".join(o.name for o in self.options) or "none"
        raise KeyError(f"pass {self.name!r} has no option {name!r} (its options: {known})")

    def create(self, options: dict[str, Any]) -> PassFn:
        """An instance of the pass with `options` (pipeline names) set."""
        return self.factory(**{self.option(k).field: v for k, v in options.items()})


PASSES: dict[str, PassInfo] = {}
_plugins_loaded = False


def _describe(obj) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def register(name: str, description: str | None = None):
    """Decorator: register a pass function or dataclass under `name` (kebab-case)."""
    if not name or name != name.lower() or not all(part.isalnum() for part in name.split("-")):
        raise ValueError(f"pass names are kebab-case (like fold-constants), got {name!r}")

    def decorate(obj):
        if name in PASSES:
            raise ValueError(f"a pass named {name!r} is already registered")
        options: tuple[Option, ...] = ()
        if dataclasses.is_dataclass(obj):
            options = tuple(
                Option(f.name.replace("_", "-"), f.name, _field_type(f),
                       f.default, f.metadata.get("help", ""))
                for f in dataclasses.fields(obj) if f.init)
            factory = obj
        else:
            def factory(fn=obj):
                return fn
        PASSES[name] = PassInfo(name, description or _describe(obj), factory, options)
        return obj

    return decorate


def _field_type(f: dataclasses.Field) -> type:
    annotation = f.type if isinstance(f.type, type) else {"int": int, "float": float, "bool": bool,
                                                          "str": str}.get(str(f.type))
    if annotation is None:
        raise TypeError(f"pass option {f.name} must be an int, float, bool or str, not {f.type}")
    return annotation


def load_plugins() -> None:
    """Import the passes that installed packages declare under the `graphc.passes` entry points.

    A plugin that fails to import raises, naming the plugin: it is not skipped.
    """
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            ep.load()
        except Exception as err:
            raise ImportError(f"graphc pass plugin {ep.name!r} ({ep.value}) failed to load: {err}") from err


def lookup(name: str) -> PassInfo:
    """The pass called `name`; raises KeyError listing the known passes."""
    info = PASSES.get(name)
    if info is None:
        load_plugins()
        info = PASSES.get(name)
    if info is None:
        close = difflib.get_close_matches(name, PASSES, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise KeyError(f"unknown pass {name!r}; {hint}known passes: {', '.join(sorted(PASSES))}")
    return info


def all_passes() -> list[PassInfo]:
    load_plugins()
    return [PASSES[name] for name in sorted(PASSES)]
