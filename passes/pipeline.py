"""Pipeline strings: `"simplify{max-iters=4},fixpoint(cse,dce),-O1"`, parsed and printed back.

    pipeline := [item ("," item)*]
    item     := "-O0" | "-O1" | "-O2"                       (a named pipeline, expanded in place)
              | "fixpoint" "(" pipeline ")" ["{" "max-iters" "=" INT "}"]
              | PASS-NAME ["{" NAME "=" VALUE ("," NAME "=" VALUE)* "}"]

`format_pipeline(parse_pipeline(s))` gives `s` back for any string without named pipelines
and with options in their canonical spelling; named pipelines print expanded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Union

from graphc.passes.registry import lookup

NAMED_PIPELINES = {
    "-O0": "",
    "-O1": "canonicalize,fold-constants,simplify,cse,dce",
    "-O2": "fixpoint(canonicalize,simplify,fold-constants,cse){max-iters=8},dce",
}
FIXPOINT_MAX_ITERS = 10


class PipelineError(ValueError):
    """A pipeline string does not parse, or names an unknown pass or option."""


@dataclass(frozen=True)
class PassItem:
    """One pass application with its options as `(name, value)` pairs, in the order given."""

    name: str
    options: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Fixpoint:
    """Run `items` again and again until a whole round leaves the graph unchanged."""

    items: tuple[Item, ...]
    max_iters: int = FIXPOINT_MAX_ITERS


Item = Union[PassItem, Fixpoint]  # noqa: UP007 - a runtime alias used in annotations above
Pipeline = tuple[Item, ...]

_TOKEN = re.compile(r"\s*(-O[0-9]|[A-Za-z0-9_.+\-]+|[(){}=,]|\S)")


def _tokens(text: str) -> list[tuple[str, int]]:
    tokens, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:  # only trailing whitespace is left
            break
        tokens.append((m.group(1), m.start(1)))
        pos = m.end()
    tokens.append(("", len(text)))
    return tokens


class _Reader:
    def __init__(self, text: str):
        self.text, self.tokens, self.k = text, _tokens(text), 0

    def peek(self) -> str:
        return self.tokens[self.k][0]

    def next(self) -> str:
        token = self.tokens[self.k][0]
        self.k = min(self.k + 1, len(self.tokens) - 1)
        return token

    def fail(self, message: str):
        pos = self.tokens[self.k][1]
        raise PipelineError(f"{message} at column {pos + 1} of the pipeline\n  {self.text}\n  {' ' * pos}^")

    def expect(self, token: str, what: str | None = None) -> None:
        if self.peek() != token:
            self.fail(f"expected {what or repr(token)}, got {self.peek()!r}" if self.peek()
                      else f"expected {what or repr(token)}, got the end")
        self.next()

    def pipeline(self, closing: str) -> Pipeline:
        items: list[Item] = []
        if self.peek() == closing:
            return ()
        while True:
            items.extend(self.item())
            if self.peek() != ",":
                return tuple(items)
            self.next()

    def item(self) -> list[Item]:
        token = self.peek()
        if token in NAMED_PIPELINES:
            self.next()
            return list(parse_pipeline(NAMED_PIPELINES[token]))
        if not re.fullmatch(r"[a-z][a-z0-9\-]*", token):
            self.fail(f"expected a pass name, got {token!r}" if token
                      else "expected a pass name, got the end")
        self.next()
        if token == "fixpoint":
            self.expect("(", "'(' after fixpoint")
            items = self.pipeline(")")
            self.expect(")", "',' or ')'")
            options = self.options()
            unknown = set(options) - {"max-iters"}
            if unknown:
                self.fail(f"fixpoint has one option, max-iters; got {', '.join(sorted(unknown))}")
            return [Fixpoint(items, _convert(options.get("max-iters", FIXPOINT_MAX_ITERS), int,
                                             "max-iters", self))]
        try:
            info = lookup(token)
        except KeyError as err:
            self.k -= 1
            self.fail(err.args[0])
        options = []
        for key, raw in self.options().items():
            try:
                opt = info.option(key)
            except KeyError as err:
                self.fail(err.args[0])
            options.append((key, _convert(raw, opt.type, key, self)))
        return [PassItem(token, tuple(options))]

    def options(self) -> dict[str, str]:
        options: dict[str, str] = {}
        if self.peek() != "{":
            return options
        self.next()
        while True:
            key = self.next()
            if not re.fullmatch(r"[a-z][a-z0-9\-]*", key):
                self.fail(f"expected an option name, got {key!r}")
            self.expect("=", "'=' after the option name")
            options[key] = self.next()
            if self.peek() != ",":
                break
            self.next()
        self.expect("}", "',' or '}'")
        return options


def _convert(raw, type_: type, key: str, reader: _Reader):
    if not isinstance(raw, str):
        return raw
    try:
        if type_ is bool:
            if raw not in ("true", "false"):
                raise ValueError
            return raw == "true"
        return type_(raw)
    except ValueError:
        reader.fail(f"option {key} expects {type_.__name__}, got {raw!r}")


def parse_pipeline(text: str) -> Pipeline:
    """The pipeline a string describes; raises PipelineError with the column."""
    reader = _Reader(text)
    items = reader.pipeline("")
    if reader.peek() != "":
        reader.fail(f"expected ',' or the end, got {reader.peek()!r}")
    return items


def _format_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def format_item(item: Item) -> str:
    if isinstance(item, Fixpoint):
        suffix = "" if item.max_iters == FIXPOINT_MAX_ITERS else f"{{max-iters={item.max_iters}}}"
        return f"fixpoint({format_pipeline(item.items)}){suffix}"
    if not item.options:
        return item.name
    return item.name + "{" + ",".join(f"{k}={_format_value(v)}" for k, v in item.options) + "}"


def format_pipeline(pipeline: Pipeline) -> str:
    """The text of a pipeline, with named pipelines expanded (an editable string)."""
    return ",".join(format_item(item) for item in pipeline)
