"""Shrinking: a planted failure comes out as a small case, and a parser finding as a short text."""

from __future__ import annotations

import numpy as np

from graphc.testing.program import Argument, Case, Input, Program, Step, evaluate
from graphc.testing.shrink import Budget, shrink_case, shrink_text


def _overflows(case: Case) -> bool:
    """The planted 'bug': some output is +inf (exp of a large value), as NumPy computes it."""
    try:
        built = case.program.build()
        return any(np.isposinf(out.value).any()
                   for binding, arrays in case.calls()
                   for out in evaluate(case.program, built, arrays, binding))
    except (ValueError, TypeError, IndexError):
        return False


def test_a_planted_failure_shrinks_to_the_steps_that_cause_it():
    program = Program(
        inputs=(Input("x0", "float32", ("n", 3)), Input("x1", "float64", (3,))),
        steps=(Step("mul", (0,), (("scalars", ((1, 100.0),)),)),  # 2: x0 * 100
               Step("exp", (2,)),  # 3
               Step("sin", (1,)),  # 4
               Step("add", (3, 4)),  # 5
               Step("cos", (4,)),  # 6
               Step("sum", (5,), (("axis", 0), ("keepdims", False)))),  # 7
        outputs=(7, 6))
    rng = np.random.default_rng(0)
    x0 = rng.uniform(-1, 0, (4, 3)).astype(np.float32)
    x0[2, 1] = 10.0
    calls = tuple((Argument(x0, "F"), Argument(rng.uniform(-1, 1, 3), "reversed")) for _ in range(2))
    case = Case(program, ((("n", 4),), (("n", 4),)), calls)
    assert _overflows(case)

    small = shrink_case(case, _overflows, Budget(tries=400, seconds=60))
    assert _overflows(small)
    assert [s.op for s in small.program.steps] == ["mul", "exp"]
    assert len(small.program.inputs) == 1 and len(small.bindings) == 1
    (argument,) = small.arguments[0]
    assert argument.values.size == 1 and argument.layout == "C"


def test_a_parser_finding_shrinks_to_the_text_that_causes_it():
    text = "graph(%x: f32[4]) {\n  %0 = sin %x : f32[4]\n  %1 = cast %0 {dtype=n} : f32[4]\n  return %1\n}"
    assert shrink_text(text, lambda t: "dtype=n" in t) == "dtype=n"
