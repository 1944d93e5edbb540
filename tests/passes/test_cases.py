"""IR in, IR out: each `cases/*.gir` file holds a pipeline, an input graph and the expected result.

    // RUN: simplify
    graph(...) { ... }
    // EXPECT:
    // graph(...) { ... }

The expected result is commented out, so `graphc opt cases/X.gir -p PIPELINE` runs a case as is.
"""

from __future__ import annotations

import pathlib

import pytest

from graphc import passes
from graphc.parser import parse

CASES = sorted((pathlib.Path(__file__).parent / "cases").glob("*.gir"))


def load_case(path: pathlib.Path) -> tuple[str, str, str]:
    text = path.read_text()
    first, _, rest = text.partition("\n")
    assert first.startswith("// RUN: "), f"{path.name} must start with '// RUN: PIPELINE'"
    source, marker, expected = rest.partition("// EXPECT:\n")
    assert marker, f"{path.name} has no '// EXPECT:' line"
    lines = expected.strip().splitlines()
    assert all(line.startswith("// ") for line in lines), f"{path.name}: expected lines start with '// '"
    return first[len("// RUN: "):], source, "\n".join(line[3:] for line in lines)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path):
    pipeline, _, expected = load_case(path)
    result = passes.run(parse(path.read_text(), path.name), pipeline)
    assert str(result) == expected


def test_every_builtin_pass_has_a_case():
    covered = set()
    for path in CASES:
        pipeline, _, _ = load_case(path)
        covered |= {item.name for item in _flatten(passes.parse_pipeline(pipeline))}
    assert {"simplify", "fold-constants", "cse", "dce", "canonicalize", "fuse"} <= covered


def _flatten(items):
    for item in items:
        if isinstance(item, passes.pipeline.Fixpoint):
            yield from _flatten(item.items)
        else:
            yield item
