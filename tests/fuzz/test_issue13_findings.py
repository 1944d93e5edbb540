"""The findings of issue 13 and those the fuzzer added, each judged by the fuzzer's own judges.

The fixed ones are regression tests. The open ones are strict xfails naming the issue: when the
bug is fixed the test passes, the strict xfail fails, and the xfail (and its entry in
graphc/testing/known.py, if it has one) goes.
"""

from __future__ import annotations

import numpy as np
import pytest

import graphc
from graphc.testing import gradients, oracle
from graphc.testing.program import Argument, Case, Input, Program, Step
from graphc.testing.textcheck import check_text

NOT_FILED = "found by the fuzzer, not yet filed: "


def _findings(case: Case, grads: bool = False) -> list[str]:
    configs = oracle.available_configs()
    outcomes = gradients.run_grad_case(case, configs) if grads else oracle.run_case(case, configs)
    return [f"{o.signature}: {o.detail}" for o in outcomes if o.finding]


def _case(inputs, steps, outputs, *arguments, binding=()) -> Case:
    return Case(Program(tuple(inputs), tuple(steps), tuple(outputs)), (tuple(binding),),
                (tuple(Argument(np.asarray(a)) for a in arguments),))


def _scalar(position: int, value) -> tuple:
    return (("scalars", ((position, value),)),)


# --------------------------------------------------------------- fixed: regression tests

def test_casting_infinities_and_nan_to_integers_agrees_across_backends():  # issue 13 item 2
    case = _case([Input("x", "float32", (4,)), Input("y", "int32", (4,))],
                 [Step("div", (0,), _scalar(1, 0.0)), Step("cast", (2,), (("dtype", "int32"),)),
                  Step("minimum", (1, 3))], [4],
                 np.array([1, 0, -1, 2], np.float32), np.full(4, 5, np.int32))
    assert _findings(case) == []


def test_the_gradient_of_a_broadcast_logsumexp_compiles_on_every_backend():  # issue 13 item 5
    case = _case([Input("x", "float64", ("n", 4))],
                 [Step("logsumexp", (0,), (("axis", 1), ("keepdims", True))),
                  Step("broadcast_to", (1,), (("shape", ("n", 4)),)),
                  Step("sin", (2,)), Step("mul", (2, 3))], [4],
                 np.random.default_rng(0).uniform(-1, 1, (3, 4)), binding=(("n", 3),))
    assert _findings(case, grads=True) == []


def test_a_value_returned_twice_is_two_arrays():  # issue 13 item 6
    case = _case([Input("x", "float32", (3,))], [Step("mul", (0,), _scalar(1, 2.0))], [1, 1],
                 np.arange(3, dtype=np.float32))
    assert _findings(case) == []


@pytest.mark.parametrize("op, params", [("pad", (("widths", 1), ("value", 0.0))),
                                        ("stop_gradient", ())], ids=["pad", "stop_gradient"])
def test_a_value_and_its_pass_through_are_two_arrays(op, params):  # a no-op lowering at 0-d
    case = _case([Input("x", "float32", ())], [Step("mul", (0,), _scalar(1, 2.0)), Step(op, (1,), params)],
                 [2, 1], np.float32(3.0))
    assert _findings(case) == []


def test_the_sum_of_a_0d_negative_zero_is_positive_zero():  # issue 13 item 7
    case = _case([Input("x", "float32", ())], [Step("sum", (0,), (("axis", None), ("keepdims", False)))],
                 [1], np.float32(-0.0))
    assert _findings(case) == []


def test_the_mean_of_an_empty_array_warns_nobody():  # issue 13 item 7
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

# Issue 13 items 3 and 4, and what the fuzzer found beside them: a ParseError, or a sound graph.
HANDLED_TEXTS = {
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
    "a dimension past 2**63": "graph() {\n  %0 = constant {value=dense<[[]]>} : f32[18446744073709551616]\n"
                              "  return %0\n}",
}


# Fixed: each was accepted before (a NumPy overflow warning, a wrapped-around pad value, a bool
# arange, an unbound size); now a ParseError at its place.
HANDLED_TEXTS.update({
    "a float constant that overflows f32":
        "graph(%c: f32[1] = constant {value=dense<[1e40]>}) {\n  return %c\n}",
    "a pad value that does not fit i32":
        "graph(%x: i32[2]) {\n  %0 = pad %x {value=2147483648, widths=[[1, 0]]} : i32[3]\n  return %0\n}",
    "an arange of bool with a float bound":
        "graph() {\n  %0 = arange {start=-2, step=1, stop=3.5} : bool[6]\n  return %0\n}",
    "a symbol no input binds": "graph() {\n  %0 = scalar {value=0} : i32[]\n"
                               "  %1 = broadcast_to %0 {shape=[m]} : i32[m]\n  return %1\n}",
})


@pytest.mark.parametrize("text", HANDLED_TEXTS.values(), ids=HANDLED_TEXTS.keys())
def test_the_parser_rejects_with_a_parse_error_or_returns_a_sound_graph(text):
    outcome = check_text(text)
    assert not outcome.finding, f"{outcome.signature}: {outcome.detail}"



# Found by the fuzzer: a symbolic slice's length, an underflowing float32 sigmoid, a constant
# subgraph that raises.

def test_a_symbolic_slice_is_never_negative():
    middle = Step("getitem", (0,), (("index", (("s", 1, -1, None),)),))
    case = _case([Input("x", "float64", ("m", 3))], [middle], [1], np.zeros((0, 3)), binding=(("m", 0),))
    assert _findings(case) == []


def test_a_float32_sigmoid_that_underflows_agrees_across_backends():
    case = _case([Input("x", "float32", (2,))], [Step("sigmoid", (0,))], [1], np.array([0, -90], np.float32))
    assert _findings(case) == []


def test_a_constant_subgraph_that_raises_does_not_break_compilation():
    case = _case([], [Step("eye", (), (("dtype", "float32"), ("m", 2), ("n", 0))),
                      Step("max", (0,), (("axis", None), ("keepdims", True)))], [1])
    assert _findings(case) == []


def test_a_parsed_nonzero_cannot_take_an_ordinary_dimension_name():
    # A mutant `nonzero {size=m}` marked m as data-dependent for the whole process, so every
    # later graph with a dimension m failed (the 30-minute run of 2026-12-06).
    text = ("graph(%x: bool[m]) {\n  %0 = nonzero %x {size=m} : i64[m, 1]\n  return %0\n}\n")
    with pytest.raises(graphc.ParseError, match="fresh name nz0"):
        graphc.parse(text)
    assert graphc.placeholder("x", ("m",)).shape[0] == graphc.placeholder("y", ("m",)).shape[0]


def test_a_float_arange_with_integer_bounds_parses_as_graphc_builds_it():
    text = "graph(%x: f32[]) {\n  %0 = arange {start=1, step=3, stop=2} : f32[1]\n  return %0\n}\n"
    assert check_text(text).kind == "accepted"
    assert "start=1.0" in str(graphc.parse(text))


def test_a_float_pad_with_an_integer_fill_parses_as_graphc_builds_it():
    text = "graph(%x: f32[2]) {\n  %0 = pad %x {value=-1, widths=[[1, 0]]} : f32[3]\n  return %0\n}\n"
    assert check_text(text).kind == "accepted"
    assert "value=-1.0" in str(graphc.parse(text))


def test_a_scalar_half_power_is_sqrt_as_in_numpy_on_every_backend():
    # NumPy computes x ** 0.5 (a 0-d exponent) as sqrt(x) for float32 and float64: NaN at -inf,
    # where pow gives inf (the 30-minute run of 2026-12-07, seed 12: an argmax over it differed)
    case = _case([Input("x", "float32", (2, "n"))],
                 [Step("div", (0,), _scalar(1, 0.0)), Step("pow", (1,), _scalar(1, 0.5)),
                  Step("argmax", (2,), (("axis", 0), ("keepdims", False)))], [3],
                 np.array([[0.188], [-0.529]], np.float32), binding=(("n", 1),))
    assert _findings(case) == []
    x = graphc.placeholder("x", ("n",), graphc.float64)
    values = np.array([-np.inf, -0.0, 0.0, 2.0, np.inf, np.nan])
    with np.errstate(invalid="ignore"):
        roots, powers = np.power(values, 0.5), np.power(values, np.full(6, 0.5))
    half = graphc.placeholder("half", ("n",), graphc.float64)
    cases = [(x ** 0.5, "-O0"), (graphc.pow(x, graphc.full((), 0.5, graphc.float64)), "-O0"),
             (graphc.pow(x, graphc.full(("n",), 0.5, graphc.float64)), "-O1")]  # (a broadcast 0.5)
    for exponent, lowest in cases:
        for passes in dict.fromkeys((lowest, "-O1")):
            got = graphc.function([x, half], exponent, backend="llvm", passes=passes)(values, values)
            np.testing.assert_array_equal(got, roots)
            assert np.signbit(got[1])  # sqrt(-0.0) is -0.0
    one = graphc.placeholder("one", (1,), graphc.float64)  # one element: NumPy's scalar path too
    got = graphc.function([x, one], graphc.pow(x, one), backend="llvm")(values, np.array([0.5]))
    np.testing.assert_array_equal(got, roots)
    power = graphc.function([x, half], graphc.pow(x, half), backend="llvm")  # an array exponent
    np.testing.assert_allclose(power(values, np.full(6, 0.5)), powers, rtol=1e-15)  # inf at -inf


def assert_refused(text: str, match: str) -> None:
    """The parser refuses `text` with a ParseError naming `match`, and the fuzzer's text check
    counts it as rejected."""
    with pytest.raises(graphc.ParseError, match=match):
        graphc.parse(text)
    assert check_text(text).kind == "rejected"


def test_a_dimension_with_a_huge_exponent_is_refused_not_simplified_forever():
    # `n**109551616` sent SymPy's simplify into a search that never ended (seed 12)
    text = ("graph(%x: f64[n, n, 4]) {\n  %0 = reshape %x {shape=[4*n**109551616]} :"
            " f64[4*n**109551616]\n  return %0\n}\n")
    assert_refused(text, "exponent must be an integer from -64 to 64")
    nested = text.replace("4*n**109551616", "((n**64)**64)**64")  # each exponent in range
    with pytest.raises(graphc.ParseError, match="exponents must be integers from -64 to 64, got n"):
        graphc.parse(nested)


@pytest.mark.parametrize("dtype, value", [("f64", "true"), ("i32", "true"), ("bool", "1"), ("bool", "0")])
def test_a_pad_value_of_another_kind_than_its_operand_is_refused(dtype, value):
    # `pad {value=true}` of a float64 operand was accepted, a value graphc.pad never stores (seed 12)
    text = (f"graph(%x: {dtype}[2]) {{\n  %0 = pad %x {{value={value}, widths=[[1, 0]]}} : {dtype}[3]\n"
            "  return %0\n}\n")
    assert_refused(text, "pad value")


def test_a_size_that_is_only_part_of_an_input_dimension_binds_nothing():
    # an input `i64[1, m-3]` let the parser accept a value of shape `[1, 1, m, 3]`, which
    # Graph.verify rejects: a call can read `n` off a size, not `m` off `m-3` (seed 16)
    text = ("graph(%x: i64[1, m-3]) {\n  %0 = reshape %x {shape=[1, 1, m, 3]} : i64[1, 1, m, 3]\n"
            "  return %0\n}\n")
    assert_refused(text, "size m is bound by no input")
    x = graphc.placeholder("x", ("n",), graphc.float64)  # a kernel body's input of n+Min(2,n) elements
    f = graphc.function([x], graphc.sin(graphc.cat([x, x[:2]])) * 2.0, backend="llvm")
    assert "%a0: f64[n+Min(2,n)]" in f.source and str(graphc.parse(f.source)) == f.source
