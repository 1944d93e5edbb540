"""Read the seed tutorial's cells and run them the way a notebook would."""

from __future__ import annotations

import ast
import contextlib
import io
import itertools
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
    for start, end in itertools.pairwise(starts):
        body = lines[start + 1:end]
        while body and not body[0].strip():
            body.pop(0)
        if body and body[0].startswith("!"):
            continue
        split = _code_end(body)
        code = "\n".join(body[:split]).strip()
        tail = [re.sub(r"\btorch\.", "graphc.", line) for line in body[split:]]
        out.append(Cell(re.sub(r"\btorch\b", "graphc", code), tail))
    return out


_OUTPUT = re.compile(r"^\(?(tensor\(|array\(|dtype\(|torch\.\w+)")


def _code_end(body: list[str]) -> int:
    """Code runs over blank lines while each next chunk parses and does not look like output."""
    end = 0
    i = 0
    while i < len(body):
        j = next((k for k in range(i, len(body)) if not body[k].strip()), len(body))
        chunk = "\n".join(body[i:j])
        if _OUTPUT.match(chunk.lstrip()):
            break
        try:
            ast.parse("\n".join(body[:j]))
        except SyntaxError:
            break
        end = j
        i = j
        while i < len(body) and not body[i].strip():
            i += 1
    return end


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
