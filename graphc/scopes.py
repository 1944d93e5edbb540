"""`graphc.scope("encoder")`: name a part of a model, so pictures can group it.

Every node built inside `with graphc.scope("encoder"):` records the scope in its location
(graphc/node.py), next to the file and line that built it. Scopes nest ("encoder/layer1"),
print in the text form (`: f32[n] scope "encoder/layer1"`) and parse back. Passes keep the
location of a node they replace, so a rewritten node stays in its scope. Autodiff builds the
gradient of a node in `grad/` + that node's scope (`GRADIENT_SCOPE`), so forward and gradient
nodes are told apart.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

GRADIENT_SCOPE = "grad"

_CURRENT: contextvars.ContextVar[str] = contextvars.ContextVar("graphc_scope", default="")


def current_scope() -> str:
    """The scope nodes built now belong to ("" outside every scope)."""
    return _CURRENT.get()


def check_scope(path: str) -> str:
    """`path` if it is a valid scope path (names joined by "/", none empty); else ValueError."""
    if not isinstance(path, str):
        raise TypeError(f"a scope name is a string, got {type(path).__name__}")
    if path and any(not part.strip() for part in path.split("/")):
        raise ValueError(f"a scope path is names joined by '/', none of them empty: got {path!r}")
    if any(ord(c) < 32 for c in path):
        raise ValueError(f"a scope name cannot hold control characters: got {path!r}")
    return path


@contextlib.contextmanager
def scope(name: str) -> Iterator[str]:
    """Build nodes inside the scope `name`, nested in the current one; yields the full path.

        with graphc.scope("encoder"):
            with graphc.scope("layer1"):     # nodes built here are in "encoder/layer1"
                h = graphc.relu(x @ w1)
    """
    if not check_scope(name):
        raise ValueError("a scope name cannot be empty")
    outer = current_scope()
    path = f"{outer}/{name}" if outer else name
    token = _CURRENT.set(path)
    try:
        yield path
    finally:
        _CURRENT.reset(token)


@contextlib.contextmanager
def exact_scope(path: str) -> Iterator[None]:
    """Build nodes in `path` itself, whatever scope is current ("" for none)."""
    token = _CURRENT.set(check_scope(path))
    try:
        yield
    finally:
        _CURRENT.reset(token)


def gradient_scope(forward: str) -> str:
    """Where the gradient of a node built in scope `forward` is built."""
    return f"{GRADIENT_SCOPE}/{forward}" if forward else GRADIENT_SCOPE


def is_gradient(path: str) -> bool:
    return path == GRADIENT_SCOPE or path.startswith(GRADIENT_SCOPE + "/")
