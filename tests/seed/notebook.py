"""Read the seed tutorial's cells and run them the way a notebook would."""

from __future__ import annotations

import ast
import contextlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

SEED = Path(__file__).with_name("seed.txt")
_HEADER = re.compile(r"^In \[\d+\]:\s*$")


@dataclass
class Cell:
    code: str
    tail: list[str]  # what follows the code: the printed output, then prose


def cells(text: str | None = None) -> list[Cell]:
    """The seed's code cells, skipping shell (`!`) cells; `torch` read as `graphc`."""
    lines = (text if text is not None else SEED.read_text()).splitlines()
    starts = [i for i, line in enumerate(lines) if _HEADER.match(line)] + [len(lines)]
    out = []
    for start, end in zip(starts, starts[1:]):
        body = lines[start + 1:end]
        while body and not body[0].strip():
            body.pop(0)
        split = _code_end(body)
        code = "\n".join(body[:split]).strip()
        if code.startswith("!"):
            continue
        tail = [re.sub(r"\btorch\.", "graphc.", line) for line in body[split:]]
        out.append(Cell(re.sub(r"\btorch\b", "graphc", code), tail))
    return out


def _code_end(body: list[str]) -> int:
    """The code ends at the first blank line after at least one statement that parses."""
    for i, line in enumerate(body):
        if line.strip():
            continue
        try:
            if ast.parse("\n".join(body[:i])).body:
                return i
        except SyntaxError:
            continue
    return len(body)


def run_cell(code: str, namespace: dict) -> str:
    """Execute a cell; print the repr of its last expression if it is not None."""
    tree = ast.parse(code)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if last is not None:
        tree.body.pop()
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(tree, "<seed cell>", "exec"), namespace)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), "<seed cell>", "eval"), namespace)
            if value is not None:
                print(repr(value))
    return buffer.getvalue()


def nonblank(lines) -> list[str]:
    return [line.rstrip() for line in lines if line.strip()]
