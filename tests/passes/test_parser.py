"""The text IR parses back: round-trip over a broad corpus, values kept, errors located."""

from __future__ import annotations

import numpy as np
import pytest

import graphc as gc
from graphc import passes
from graphc.backends import compile as compile_graph
from graphc.ops import OPS
from graphc.parser import ParseError, parse
from tests.passes.corpus import CORPUS, random_inputs


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_printed_graph_parses_back_to_the_same_text(name):
    graph = CORPUS[name]()
    text = str(graph)
    assert str(parse(text)) == text


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_optimised_graph_round_trips(name):
    text = str(passes.run(CORPUS[name](), "-O2"))
    assert str(parse(text)) == text


def test_corpus_uses_every_op():
    used = {node.op for build in CORPUS.values() for node in build().nodes}
    assert set(OPS) - used == set()


@pytest.mark.parametrize("name", ["leaves_and_constants", "parameter_inputs", "binary_ops",
                                  "casts_and_promotion", "reductions", "seed_tutorial"])
def test_parsed_graph_computes_the_same_values(name):
    graph = CORPUS[name]()
    parsed = parse(str(graph))
    args = random_inputs(graph, np.random.default_rng(1))
    for a, b in zip(compile_graph(graph)(*args), compile_graph(parsed)(*args)):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


def test_large_constants_keep_every_bit():
    values = np.random.default_rng(0).standard_normal(1000)
    values[:3] = [np.nan, -0.0, np.inf]
    graph = gc.Graph([], [gc.tensor(values) * 1])
    text = str(graph)
    assert "blob<" in text
    parsed = parse(text).outputs[0].inputs[0].attr("value").value
    assert parsed.tobytes() == values.tobytes()


def _constant_value(text: str) -> np.ndarray:
    (leaf,) = [n for n in parse(text).nodes if n.op in ("constant", "parameter")]
    return leaf.attr("value").value


def test_an_empty_constant_prints_no_elements_whatever_its_shape():
    for shape in [(2483648, 0), (0,), (3, 0, 5), (0, 2**40)]:
        values = np.zeros(shape, np.float32)
        text = str(gc.Graph([], [gc.tensor(values) * 1]))
        assert "dense<[]>" in text and len(text) < 200, text
        parsed = _constant_value(text)
        assert parsed.shape == shape and parsed.dtype == np.float32


@pytest.mark.parametrize("value", [1.5, -0.0, np.nan, -np.inf, 7, True])
def test_a_large_constant_of_one_value_prints_as_a_splat(value):
    values = np.full((300, 7), value)
    text = str(gc.Graph([], [gc.tensor(values) * 1]))
    assert "blob<" not in text and len(text) < 200, text
    parsed = _constant_value(text)
    assert parsed.shape == values.shape and parsed.dtype == values.dtype
    assert np.ascontiguousarray(parsed).tobytes() == values.tobytes()
    assert str(parse(text)) == text


def test_zeros_of_both_signs_are_no_splat():
    values = np.zeros(100)
    values[7] = -0.0
    text = str(gc.Graph([], [gc.tensor(values) * 1]))
    assert "blob<" in text
    assert _constant_value(text).tobytes() == values.tobytes()


def test_a_splat_parameter_is_an_array_of_its_own_to_write():
    w = gc.tensor(np.full((40, 3), 0.25, np.float32), requires_grad=True)
    text = str(gc.Graph([], [w * 2]))
    assert "dense<0.25>" in text
    value = _constant_value(text)
    value[1, 2] = 3.0  # its own memory: one element changes
    assert value.sum() == 0.25 * 119 + 3.0


def test_a_splat_with_more_elements_than_an_array_can_hold_is_a_parse_error():
    with pytest.raises(ParseError, match="too many elements"):
        parse("graph() {\n  %0 = constant {value=dense<1.0>} : f32[4294967296, 4294967296]\n  return %0\n}")


def test_parsing_shares_nodes_with_the_api():
    graph = parse("graph(%x: f32[n, 3]) {\n  %0 = exp %x : f32[n, 3]\n  return %0\n}")
    (x,) = graph.inputs
    assert gc.exp(gc.Tensor(x))._node is graph.outputs[0]


def test_equal_lines_become_one_node_and_dead_lines_vanish():
    graph = parse("""graph(%x: f32[4]) {
      %a = exp %x : f32[4]
      %b = exp %x : f32[4]
      %dead = log %x : f32[4]
      %c = add %a, %b : f32[4]
      return %c
    }""")
    assert str(graph) == ("graph(%x: f32[4]) {\n  %0 = exp %x : f32[4]\n  %1 = add %0, %0 : f32[4]\n"
                          "  return %1\n}")


def test_nodes_remember_the_line_they_came_from():
    graph = parse("graph(%x: f32[2]) {\n  // comment\n  %0 = sin %x : f32[2]\n  return %0\n}", "m.gir")
    assert graph.outputs[0].location == "m.gir:3"


def test_parameter_and_constant_inputs_keep_their_values():
    graph = CORPUS["parameter_inputs"]()
    parsed = parse(str(graph))
    assert [n.op for n in parsed.inputs] == ["placeholder", "parameter", "parameter", "constant"]
    np.testing.assert_array_equal(parsed.inputs[1].attr("value").value, np.full(3, 0.25, np.float32))
    assert parsed.inputs[2].attr("name") == "bias term"


def test_odd_names_survive():
    parsed = parse(str(CORPUS["odd_names"]()))
    assert [n.attr("name") for n in parsed.inputs] == ["x.1", "my input", "class", "x_1", "1st", "x", "x"]


@pytest.mark.parametrize("text, line, column, message", [
    ("graph(%x: f32[n]) {\n  %0 = mul %x, %y : f32[n]\n  return %0\n}", 2, 16,
     "use of undefined value %y"),
    ("graph(%x: f32[n]) {\n  %0 = mul %x, %x : f32[m]\n  return %0\n}", 2, 21,
     "mul gives f32[n] for these operands, but the line says f32[m]"),
    ("graph(%x: f32[n]) {\n  %0 = frob %x : f32[n]\n  return %0\n}", 2, 8, "unknown op 'frob'"),
    ("graph(%x: f32[n]) {\n  %0 = neg %x, %x : f32[n]\n  return %0\n}", 2, 8, "neg takes 1 operands, got 2"),
    ("graph(%x: f33[n]) {\n  return %x\n}", 1, 11, "expected a dtype"),
    ("graph(%x: f32[n]) {\n  %0 = sum %x : f32[]\n  return %0\n}", 2, 8, "sum: needs the attribute 'axes'"),
    ("graph(%x: f32[n]) {\n  %0 = neg %x : f32[n]\n  %0 = neg %0 : f32[n]\n  return %0\n}", 3, 3,
     "value %0 is defined twice"),
    ("graph(%x: f32[n]) {\n  %0 = neg %x : f32[n]\n", 3, 1, "expected a statement"),
    ("graph(%x: f32[n]) {\n  return %x\n}\nextra", 4, 1, "expected end of input"),
    ("graph(%x: f32[n]) {\n  %0 = reshape %x {shape=[__import__(1)]} : f32[n]\n  return %0\n}", 2, 27,
     "unknown function '__import__'"),
    ("graph(%x: f32[n]) {\n  %0 = neg %x : f32[-1]\n  return %0\n}", 2, 21, "must be non-negative"),
    ("graph(%x:f64[3/2]) {\n  return %x\n}", 1, 14, "must be a finite integer expression, got 3/2"),
    ("graph() {\n  %0 = constant {value=dense<[1.0, 2.0]>} : f32[3]\n  return %0\n}", 2, 24,
     "does not fit f32[3]"),
    ("graph() {\n  %0 = constant {value=blob<\"AAAA\">} : f32[3]\n  return %0\n}", 2, 29,
     "blob holds 3 bytes but f32[3] needs 12"),
    ("graph(%x: f32[n]) {\n  %0 = neg %x ? : f32[n]\n  return %0\n}", 2, 15, "unexpected character '?'"),
])
def test_parse_errors_give_line_column_and_what_was_expected(text, line, column, message):
    with pytest.raises(ParseError) as info:
        parse(text, "bad.gir")
    err = info.value
    assert message in err.message
    assert (err.line, err.column) == (line, column), str(err)
    assert str(err).startswith(f"bad.gir:{line}:{column}: ")


def test_parse_error_shows_the_line_and_a_caret():
    with pytest.raises(ParseError) as info:
        parse("graph(%x: f32[n]) {\n  %0 = neg %q : f32[n]\n  return %0\n}")
    lines = str(info.value).splitlines()
    assert lines[1] == "    %0 = neg %q : f32[n]"
    assert lines[2] == "  " + " " * 11 + "^"


def test_symbolic_dimension_expressions_parse_without_eval():
    graph = parse("graph(%x: f32[n, m]) {\n  %0 = reshape %x {shape=[n*m]} : f32[m*n]\n  return %0\n}")
    assert str(graph.outputs[0].shape[0]) == "m*n"
