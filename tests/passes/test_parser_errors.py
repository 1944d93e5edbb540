"""Every way a .gir text can be wrong gives a ParseError at a file:line:col, never another
exception; attributes are checked where a node is parsed or built."""

import numpy as np
import pytest

import graphc
from graphc import GraphBuildError, ParseError, parse
from graphc.node import Ref, TensorType
from graphc.ops import make_leaf

KERNEL = ('  %0 = kernel %x {body=graph(%a0: f32[3]) {\n    %0 = sin %a0 : f32[3]\n'
          '    %1 = cos %a0 : f32[3]\n    return %0, %1\n  }, kind="elementwise"} : (f32[3], f32[3])\n')

BAD = {
    "keyword-as-dimension": ("graph(%x: f32[return]) {\n  return %x\n}\n", 1, 15,
                             "cannot be named 'return'"),
    "dimension-function-arity": ("graph(%x: f32[floor(n, 2)]) {\n  return %x\n}\n", 1, 15,
                                 "floor takes 1 argument, got 2"),
    "division-by-zero-dimension": ("graph(%x: f32[n/0]) {\n  return %x\n}\n", 1, 15, "finite"),
    "cast-to-a-symbol": ("graph(%x: f32[3]) {\n  %0 = cast %x {dtype=n} : f32[3]\n  return %0\n}\n",
                         2, 8, "attribute dtype must be a dtype"),
    "i64-scalar-too-large": ("graph() {\n  %0 = scalar {value=1208925819614629174706176} : i64[]\n"
                             "  return %0\n}\n", 2, 8, "does not fit in int64"),
    "i32-scalar-too-large": ("graph() {\n  %0 = scalar {value=4294967296} : i32[]\n  return %0\n}\n",
                             2, 8, "does not fit in int32"),
    "fractional-int-scalar": ("graph() {\n  %0 = scalar {value=2.5} : i64[]\n  return %0\n}\n", 2, 8,
                              "must be an integer, not 2.5"),
    "arange-string-start": ('graph() {\n  %0 = arange {start="a", stop=3, step=1} : i64[3]\n'
                            "  return %0\n}\n", 2, 8, "attribute start must be a number"),
    "arange-wrong-length": ("graph() {\n  %0 = arange {start=0, stop=3, step=1} : i64[5]\n"
                            "  return %0\n}\n", 2, 8, "has 3 elements"),
    "eye-string-size": ('graph() {\n  %0 = eye {n="3", m=3} : f32[3, 3]\n  return %0\n}\n', 2, 8,
                        "attribute n must be a non-negative integer"),
    "parameter-number-name": ("graph() {\n  %0 = parameter {name=5, value=dense<[1.0]>} : f32[1]\n"
                              "  return %0\n}\n", 2, 8, "attribute name must be a string"),
    "unknown-attribute": ("graph(%x: f32[3]) {\n  %0 = sin %x {fast=true} : f32[3]\n  return %0\n}\n",
                          2, 8, "no attribute 'fast'"),
    "missing-attribute": ("graph(%x: f32[3]) {\n  %0 = sum %x {axes=[0]} : f32[]\n  return %0\n}\n",
                          2, 8, "needs the attribute 'keepdims'"),
    "bad-string-escape": ('graph() {\n  %0 = parameter {name="a\\q", value=dense<[1.0]>} : f32[1]\n'
                          "  return %0\n}\n", 2, 24, "invalid string literal"),
    "sin-of-a-kernel-tuple": ("graph(%x: f32[3]) {\n" + KERNEL + "  %1 = sin %0 : f32[3]\n  return %1\n}\n",
                              7, 8, "multi-output kernel's value"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_text_is_a_parse_error_at_its_place(name):
    text, line, column, message = BAD[name]
    with pytest.raises(ParseError) as info:
        parse(text, "bad.gir")
    assert (info.value.line, info.value.column) == (line, column), str(info.value)
    assert message in info.value.message
    assert str(info.value).startswith(f"bad.gir:{line}:{column}: ")


def test_a_raw_tab_in_a_string_is_the_tab_it_shows_and_prints_escaped():
    graph = parse('graph() {\n  %0 = parameter {name="a\tb", value=dense<[1.0]>} : f32[1]\n  return %0\n}\n')
    assert graph.outputs[0].attr("name") == "a\tb"
    assert '{name="a\\tb"' in str(graph)


def test_a_symbolic_dimension_with_non_ascii_letters_round_trips():
    x = graphc.placeholder("x", ("ñ", "größe"))
    text = str(graphc.Graph([x], [graphc.sin(x)]))
    assert "f32[ñ, größe]" in text
    assert str(parse(text)) == text


@pytest.mark.parametrize("op,type_,attrs,message", [
    ("arange", TensorType(graphc.int64, (3,)), {"start": "a", "stop": 3, "step": 1}, "must be a number"),
    ("eye", TensorType(graphc.float32, (3, 3)), {"n": "3", "m": 3}, "non-negative integer"),
    ("scalar", TensorType(graphc.int64, ()), {"value": 2.5}, "must be an integer"),
    ("scalar", TensorType(graphc.int32, ()), {"value": 2**31}, "does not fit in int32"),
    ("scalar", TensorType(graphc.bool_, ()), {"value": 1}, "true or false"),
    ("parameter", TensorType(graphc.float32, (1,)), {"name": 5, "value": Ref(np.ones(1, np.float32))},
     "must be a string"),
])
def test_leaf_attributes_are_checked_when_built(op, type_, attrs, message):
    with pytest.raises(GraphBuildError, match=message):
        make_leaf(op, type_, identity=False, **attrs)


def test_op_attributes_are_checked_when_built():
    from graphc.ops import make

    x = graphc.placeholder("x", (3,))._node
    with pytest.raises(GraphBuildError, match="attribute dtype must be a dtype"):
        make("cast", [x], dtype="f64")
    with pytest.raises(GraphBuildError, match="attribute axes must be a list of integers"):
        make("sum", [x], axes=(0.5,), keepdims=False)
    assert make("cast", [x], dtype=graphc.float64).dtype is graphc.float64
    np.testing.assert_array_equal(graphc.function([], graphc.arange(3))(), [0, 1, 2])
