"""Each known-open finding (graphc/testing/known.py), caught by the fuzzer's own judges.

Every test asserts what should hold and is a strict xfail naming its issue: when the bug is
fixed the test passes, the strict xfail fails, and the known entry and this xfail go.
"""

from __future__ import annotations

import numpy as np
import pytest

from graphc.testing import gradients, oracle
from graphc.testing.program import Argument, Case, Input, Program, Step
from graphc.testing.textcheck import check_text


def _findings(case: Case, grads: bool = False) -> list[str]:
    configs = oracle.available_configs()
    outcomes = gradients.run_grad_case(case, configs) if grads else oracle.run_case(case, configs)
    return [f"{o.signature}: {o.detail}" for o in outcomes if o.finding]


def _case(inputs, steps, outputs, *arguments, binding=()) -> Case:
    return Case(Program(tuple(inputs), tuple(steps), tuple(outputs)), (tuple(binding),),
                (tuple(Argument(np.asarray(a)) for a in arguments),))


@pytest.mark.xfail(strict=True, reason="issue 13 item 2: casting inf/NaN to an integer differs by backend")
def test_casting_infinities_and_nan_to_integers_agrees_across_backends():
    case = _case([Input("x", "float32", (4,)), Input("y", "int32", (4,))],
                 [Step("div", (0,), (("scalars", ((1, 0.0),)),)),
                  Step("cast", (2,), (("dtype", "int32"),)),
                  Step("minimum", (1, 3))], [4],
                 np.array([1, 0, -1, 2], np.float32), np.full(4, 5, np.int32))
    assert _findings(case) == []


@pytest.mark.xfail(strict=True, reason="issue 13 item 5: the LLVM backend's KeyError compiling"
                   " some logsumexp gradients")
def test_the_gradient_of_a_broadcast_logsumexp_compiles_on_every_backend():
    case = _case([Input("x", "float64", ("n", 4))],
                 [Step("logsumexp", (0,), (("axis", 1), ("keepdims", True))),
                  Step("broadcast_to", (1,), (("shape", ("n", 4)),)),
                  Step("sin", (2,)), Step("mul", (2, 3))], [4],
                 np.random.default_rng(0).uniform(-1, 1, (3, 4)), binding=(("n", 3),))
    assert _findings(case, grads=True) == []


@pytest.mark.xfail(strict=True, reason="issue 13 item 6: one value returned twice shares one buffer")
def test_a_value_returned_twice_is_two_arrays():
    case = _case([Input("x", "float32", (3,))], [Step("mul", (0,), (("scalars", ((1, 2.0),)),))], [1, 1],
                 np.arange(3, dtype=np.float32))
    assert _findings(case) == []


@pytest.mark.xfail(strict=True, reason="issue 13 item 7: sum of a 0-d -0.0 keeps the sign (NumPy: +0.0)")
def test_the_sum_of_a_0d_negative_zero_is_positive_zero():
    case = _case([Input("x", "float32", ())], [Step("sum", (0,), (("axis", None), ("keepdims", False)))], [1],
                 np.float32(-0.0))
    assert _findings(case) == []


@pytest.mark.xfail(strict=True, reason="issue 13 item 7: the NumPy backend warns 'Mean of empty slice'")
def test_the_mean_of_an_empty_array_warns_nobody():
    case = _case([Input("x", "float32", ("n",))], [Step("mean", (0,), (("axis", None), ("keepdims", False)))],
                 [1], np.zeros(0, np.float32), binding=(("n", 0),))
    assert _findings(case) == []


MULTI_OUTPUT_KERNEL = """graph(%x: f32[2]) {
  %0 = kernel %x {body=graph(%a0: f32[2]) {
    %0 = sin %a0 : f32[2]
    %1 = cos %a0 : f32[2]
    return %0, %1
  }, kind="elementwise"} : (f32[2], f32[2])
  %1 = sin %0 : f32[2]
  return %1
}"""

BAD_TEXTS = {
    "a keyword as a dimension": "graph(%x: f32[return]) {\n  return %x\n}",
    "a tab in a string": 'graph(%x: f32[] {name="a\tb"}) {\n  return %x\n}',
    "a symbol as a dtype": "graph(%x: f32[2]) {\n  %0 = cast %x {dtype=n} : f32[2]\n  return %0\n}",
    "floor of two arguments": "graph(%x: f32[floor(n, 2)]) {\n  return %x\n}",
    "an op on a multi-output kernel": MULTI_OUTPUT_KERNEL,
    "a string as arange's start":
        'graph() {\n  %0 = arange {start="a", step=1, stop=3} : i64[3]\n  return %0\n}',
    "a string as eye's size": 'graph() {\n  %0 = eye {m=3, n="3"} : f32[3, 3]\n  return %0\n}',
    "a float scalar of an integer type": "graph() {\n  %0 = scalar {value=2.5} : i64[]\n  return %0\n}",
    "an int as a parameter's name":
        "graph(%p: f32[2] = parameter {name=5, value=dense<[1.0, 2.0]>}) {\n  return %p\n}",
    "a division by zero in a dimension": "graph(%x: f32[n/0]) {\n  return %x\n}",
    "an integer scalar that does not fit":
        "graph() {\n  %0 = scalar {value=99999999999} : i32[]\n  return %0\n}",
    "Mod by zero in a dimension": "graph(%x: f32[Mod(n, 0)]) {\n  return %x\n}",
    "a list as a dimension":
        "graph(%x: i64[3]) {\n  %0 = reshape %x {shape=[[[0, 1], [1, 0]], 3]} : i64[1, 3]\n  return %0\n}",
    "a float constant that does not fit f32":
        "graph(%c: f32[1] = constant {value=dense<[1e40]>}) {\n  return %c\n}",
    "a symbol no input binds": "graph() {\n  %0 = scalar {value=0} : i32[]\n"
                               "  %1 = broadcast_to %0 {shape=[m]} : i32[m]\n  return %1\n}",
}


@pytest.mark.xfail(strict=True, reason="issue 13 items 3 and 4: parser failures other than ParseError,"
                   " attributes and types not validated")
@pytest.mark.parametrize("text", BAD_TEXTS.values(), ids=BAD_TEXTS.keys())
def test_the_parser_rejects_with_a_parse_error(text):
    outcome = check_text(text)
    assert outcome.kind == "rejected", f"{outcome.signature}: {outcome.detail}"
