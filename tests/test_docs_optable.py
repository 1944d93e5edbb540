"""docs/ops.md is the op table the code derives (graphc/optable.py), word for word."""

from pathlib import Path

import graphc
from graphc import optable
from graphc.ops import OPS

PAGE = Path(__file__).resolve().parents[1] / "docs" / "ops.md"


def test_docs_ops_page_is_current():
    assert PAGE.read_text() == optable.render(), (
        "docs/ops.md is out of date: run `python -m graphc.optable > docs/ops.md`")


def test_the_table_has_a_row_for_every_op_and_every_tensor_function():
    text = optable.render()
    for name in OPS:
        assert f"| `{name}` |" in text, name
    for name in optable.composed_functions():
        assert f"| `graphc.{name}` |" in text, name
    assert "| `graphc.softmax` |" in text and "| `graphc.grad` |" not in text


def test_every_tensor_function_says_what_it_computes():
    undocumented = [n for n, fn in optable.composed_functions().items() if not optable._summary(fn.__doc__)]
    assert undocumented == [], f"public functions without a docstring: {undocumented}"
    assert all(callable(getattr(graphc, n)) for n in optable.composed_functions())
