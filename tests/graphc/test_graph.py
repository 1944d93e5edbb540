"""The IR and its graph: hash-consing, Graph, the text form, DOT export,
from_numpy sharing, very long chains, and generated code that no name can inject into."""

import ast
import gc
import linecache
import math
import re
import sys
import traceback
import weakref

import numpy as np
import pytest

import graphc

FILE = __file__.rsplit("/", 1)[-1]


# ------------------------------------------------------------------ hash-consing

def test_structurally_equal_expressions_are_one_node():
    x = graphc.placeholder("x", ("n",))
    w = graphc.placeholder("w", ("n",))
    assert (x * w).node is (x * w).node
    assert graphc.sin(x + 1.0).node is graphc.sin(x + 1.0).node
    assert (x * w).sum().node is graphc.sum(graphc.mul(x, w)).node


def test_int_literal_promoted_to_float_is_the_same_scalar():
    x = graphc.placeholder("x", (3,))
    assert (x + 1).node is (x + 1.0).node


def test_different_ops_attrs_or_operands_are_different_nodes():
    x = graphc.placeholder("x", (2, 3))
    w = graphc.placeholder("w", (2, 3))
    assert (x * w).node is not (x + w).node
    assert x.sum(0).node is not x.sum(1).node
    assert x.sum(0).node is not x.sum(0, keepdims=True).node
    assert (x + 1.0).node is not (x + 2.0).node
    assert x.double().node is not x.long().node


def test_positive_and_negative_zero_are_different_scalars():
    x = graphc.placeholder("x", (2,))
    assert (x + 0.0).node is not (x + -0.0).node
    assert (x * 0.0).node is not (x * -0.0).node
    assert graphc.full((2,), 0.0).node is not graphc.full((2,), -0.0).node
    assert math.copysign(1.0, graphc.full((), -0.0).item()) == -1.0


def test_nan_literals_are_one_node():
    x = graphc.placeholder("x", (2,))
    assert (x + math.nan).node is (x + float("nan")).node


def test_scalars_of_different_dtypes_are_different_nodes():
    assert graphc.full((2,), 1).node is not graphc.full((2,), True).node
    assert graphc.full((2,), 1).node is not graphc.full((2,), 1.0).node


def test_placeholders_are_never_merged():
    a = graphc.placeholder("x", ("n", 3))
    b = graphc.placeholder("x", ("n", 3))
    assert a.node is not b.node
    assert (a * 2.0).node is not (b * 2.0).node


def test_tensor_constants_with_equal_values_are_never_merged():
    a = graphc.tensor([1.0, 2.0])
    b = graphc.tensor([1.0, 2.0])
    assert a.node is not b.node
    assert (a + 1.0).node is not (b + 1.0).node


def test_from_numpy_tensors_are_never_merged():
    array = np.ones(3)
    assert graphc.from_numpy(array).node is not graphc.from_numpy(array).node
    assert graphc.from_numpy(np.ones(3)).node is not graphc.from_numpy(np.ones(3)).node


def test_parameters_are_never_merged():
    a = graphc.parameter(np.ones(2), name="w")
    b = graphc.parameter(np.ones(2), name="w")
    assert a.node is not b.node
    assert a.node.uid != b.node.uid and a.node.uid != 0


def test_requires_grad_leaves_are_never_merged():
    a = graphc.tensor([1.0, 2.0], requires_grad=True)
    b = graphc.tensor([1.0, 2.0], requires_grad=True)
    assert a.node is not b.node


def test_nodes_are_immutable():
    node = (graphc.placeholder("x", (2,)) * 2.0).node
    with pytest.raises(AttributeError):
        node.op = "add"
    with pytest.raises(AttributeError):
        node.inputs = ()


def test_the_intern_table_does_not_keep_nodes_alive():
    x = graphc.placeholder("x", (2,))
    ref = weakref.ref((x * 3.5 + 0.25).node)
    gc.collect()
    assert ref() is None


# ------------------------------------------------------------------------ Graph

def dot_product():
    x = graphc.placeholder("x", ("n",))
    w = graphc.placeholder("w", ("n",))
    y = (x * w).sum()
    return x, w, y, graphc.Graph([x, w], [y])


def test_graph_inputs_outputs_and_order():
    x, w, y, g = dot_product()
    assert g.inputs == (x.node, w.node)
    assert g.outputs == (y.node,)
    assert [n.op for n in g.nodes] == ["placeholder", "placeholder", "mul", "sum"]
    assert len(g) == 4
    assert list(g) == g.nodes
    assert repr(g) == "<graphc.Graph: 2 inputs, 1 outputs, 4 nodes>"


def test_graph_order_puts_every_node_after_its_operands():
    x = graphc.placeholder("x", (3,))
    a = graphc.sin(x)
    b = graphc.cos(x)
    y = (a * b + a) / (b - 1.0)
    g = graphc.Graph([x], [y, a])
    position = {id(n): k for k, n in enumerate(g.nodes)}
    assert len(position) == len(g.nodes)  # each node once
    for node in g.nodes:
        for operand in node.inputs:
            assert position[id(operand)] < position[id(node)]
    assert g.nodes[0] is x.node


def test_graph_users_lists_each_use():
    x = graphc.placeholder("x", (3,))
    sq = x * x
    y = sq + x
    g = graphc.Graph([x], [y])
    assert g.users[x.node] == [sq.node, sq.node, y.node]
    assert g.users[sq.node] == [y.node]
    assert g.users[y.node] == []


def test_graph_stops_at_its_inputs():
    x = graphc.placeholder("x", (3,))
    h = graphc.sin(x)
    y = h * 2.0
    g = graphc.Graph([h], [y])
    assert x.node not in g.nodes
    g.verify()


def test_graph_inputs_must_be_distinct():
    x = graphc.placeholder("x", (3,))
    with pytest.raises(graphc.GraphError):
        graphc.Graph([x, x], [x * 2.0])


def test_verify_accepts_a_well_formed_graph():
    *_, g = dot_product()
    g.verify()


def test_verify_catches_an_unbound_placeholder_and_names_where_it_was_made():
    x = graphc.placeholder("x", ("n",))
    w = graphc.placeholder("w", ("n",))
    made_at = f"{FILE}:{sys._getframe().f_lineno - 1}"
    g = graphc.Graph([x], [x * w])
    with pytest.raises(graphc.GraphError, match="'w'") as info:
        g.verify()
    assert made_at in str(info.value)
    assert isinstance(info.value, ValueError)


def test_function_of_a_graph_with_an_unbound_placeholder_fails_at_compile_time():
    x = graphc.placeholder("x", (2,))
    w = graphc.placeholder("w", (2,))
    with pytest.raises(graphc.GraphError, match="'w'"):
        graphc.function([x], x + w)


def test_node_location_is_the_users_line():
    x = graphc.placeholder("x", (2,))
    y = x * 2.0
    assert y.node.location.endswith(f"{FILE}:{sys._getframe().f_lineno - 1}")


# -------------------------------------------------------------------- text form

def test_text_form_of_a_dot_product():
    *_, g = dot_product()
    assert str(g) == (
        "graph(%x: f32[n], %w: f32[n]) {\n"
        "  %0 = mul %x, %w : f32[n]\n"
        "  %1 = sum %0 {axes=[0], keepdims=false} : f32[]\n"
        "  return %1\n"
        "}"
    )


def test_print_graph(capsys):
    *_, g = dot_product()
    print(g)
    assert "  %0 = mul %x, %w : f32[n]\n" in capsys.readouterr().out


def test_text_form_with_literals_shapes_and_several_outputs():
    x = graphc.placeholder("x", (2, 3), dtype=graphc.float64)
    i = graphc.placeholder("i", (3,), dtype=graphc.int64)
    y = graphc.sin(x) * 2.0
    z = y.sum(1, keepdims=True)
    text = str(graphc.Graph([x, i], [z, i > 0]))
    lines = text.splitlines()
    assert lines[0] == "graph(%x: f64[2, 3], %i: i64[3]) {"
    assert "  %0 = sin %x : f64[2, 3]" in lines
    assert "  %1 = scalar {value=2.0} : f64[]" in lines
    assert "  %2 = mul %0, %1 : f64[2, 3]" in lines
    assert "  %3 = sum %2 {axes=[1], keepdims=true} : f64[2, 1]" in lines
    assert any(re.fullmatch(r"  %\d+ = gt %i, %\d+ : bool\[3\]", line) for line in lines)
    assert re.fullmatch(r"  return %3, %\d+", lines[-2])
    assert lines[-1] == "}"


def test_text_form_keeps_names_on_one_line():
    a = graphc.placeholder('a\nb"c\\d}', (2,))
    text = str(graphc.Graph([a], [a + 1.0]))
    assert len(text.splitlines()) == 5
    assert text.splitlines()[0].startswith("graph(%a_b_c_d: f32[2]")


# ---------------------------------------------------------------------------- DOT

QUOTED = r'"(?:[^"\\\n]|\\.)*"'
NODE_STATEMENT = re.compile(
    rf"\s*n\d+ \[label={QUOTED}, tooltip={QUOTED}, style={QUOTED}, fillcolor={QUOTED}\];")
EDGE_STATEMENT = re.compile(r"\s*n\d+ -> n\d+(?: \[label=\d+\])?;")
OUTPUT_EDGE = re.compile(r"\s*n\d+ -> out\d+;")


def test_dot_has_one_node_statement_per_node_and_one_edge_per_operand():
    *_, g = dot_product()
    text = graphc.to_dot(g)
    lines = text.splitlines()
    assert lines[0] == 'digraph "graphc" {'
    assert lines[-1] == "}"
    nodes = [line for line in lines if NODE_STATEMENT.fullmatch(line)]
    edges = [line for line in lines if EDGE_STATEMENT.fullmatch(line)]
    assert len(nodes) == len(g)
    assert len(edges) == sum(len(n.inputs) for n in g.nodes)
    assert '"%0 = mul\\nf32[n]"' in text
    assert '"y = sum {axes=[0], keepdims=false}\\nf32[]"' in text  # named after the user's variable


def test_dot_escapes_quotes_backslashes_and_newlines_in_labels():
    a = graphc.placeholder('say "hi"\\\n}; n9 -> n0; {', (2,))
    g = graphc.Graph([a], [a * 2.0])
    lines = graphc.to_dot(g).splitlines()
    statements = [line for line in lines if re.match(r"\s*n\d", line)]
    # Every statement is well formed: the name cannot close a label or add a statement.
    well_formed = (NODE_STATEMENT, EDGE_STATEMENT, OUTPUT_EDGE)
    assert all(any(r.fullmatch(s) for r in well_formed) for s in statements), statements
    assert sum(bool(NODE_STATEMENT.fullmatch(s)) for s in statements) == len(g) - 1  # the scalar is inlined
    assert not any(s.lstrip().startswith("n9") for s in statements)


def test_dot_of_tensors():
    x = graphc.placeholder("x", (2,))
    y = graphc.exp(x)
    text = graphc.to_dot([y, y * 2.0], name="my graph")
    assert text.startswith('digraph "my graph" {')
    assert text.count('label="output ') == 2
    assert len([line for line in text.splitlines() if NODE_STATEMENT.fullmatch(line)]) == 3  # 2.0 is inlined
    assert "mul(·, 2.0)" in text


# -------------------------------------------------------------------- from_numpy

def test_from_numpy_shares_memory_and_keeps_the_dtype():
    array = np.arange(6, dtype=np.int32).reshape(2, 3)
    t = graphc.from_numpy(array)
    assert t.dtype == graphc.int32
    assert t.shape == (2, 3)
    assert np.shares_memory(t.numpy(), array)


def test_later_changes_to_the_array_show_in_the_tensor():
    array = np.array([1.0, 2.0, 3.0])
    t = graphc.from_numpy(array)
    assert repr(t) == "tensor([1., 2., 3.], dtype=graphc.float64)"
    array[0] = 10.0
    assert repr(t) == "tensor([10.,  2.,  3.], dtype=graphc.float64)"
    assert t[0].item() == 10.0


def test_expressions_built_after_a_change_see_the_new_values():
    array = np.ones(3)
    t = graphc.from_numpy(array)
    before = t * 2.0
    np.testing.assert_array_equal(before.numpy(), [2.0, 2.0, 2.0])
    array[:] = 5.0
    # As in PyTorch, a computation made after the change uses the new values.
    np.testing.assert_array_equal((t * 2.0).numpy(), [10.0, 10.0, 10.0])


def test_compiled_functions_read_from_numpy_arrays_at_each_call():
    array = np.ones(3, dtype=np.float32)
    w = graphc.from_numpy(array)
    x = graphc.placeholder("x", (3,))
    f = graphc.function([x], x * w)
    np.testing.assert_array_equal(f(np.full(3, 2.0, np.float32)), [2.0, 2.0, 2.0])
    array[1] = 4.0
    np.testing.assert_array_equal(f(np.full(3, 2.0, np.float32)), [2.0, 8.0, 2.0])


def test_evaluating_never_makes_the_users_array_read_only():
    array = np.zeros(3)
    t = graphc.from_numpy(array)
    repr(t.detach())
    repr(t + 1.0)
    t.numpy()
    array[0] = 1.0  # must not raise
    assert array.flags.writeable


def test_compiled_results_do_not_alias_inputs_or_arrays():
    array = np.ones(3, dtype=np.float32)
    w = graphc.from_numpy(array)
    x = graphc.placeholder("x", (3,))
    f = graphc.function([x], [x, w, graphc.stop_gradient(x), x.reshape(3, 1)])
    arg = np.zeros(3, np.float32)
    for result in f(arg):
        assert not np.shares_memory(result, arg)
        assert not np.shares_memory(result, array)
        result[...] = 7.0  # the caller owns the results
    np.testing.assert_array_equal(arg, 0.0)
    np.testing.assert_array_equal(array, 1.0)


# ------------------------------------------------------------ a 100,000-node chain

def test_a_100000_node_chain_builds_verifies_prints_and_runs():
    steps = 50_000
    x = graphc.placeholder("x", (4,))
    y = x
    for _ in range(steps):
        y = graphc.neg(graphc.sin(y))
    g = graphc.Graph([x], [y])
    assert len(g) == 2 * steps + 1
    g.verify()
    text = str(g)
    assert text.count("\n") == 2 * steps + 2
    dot = graphc.to_dot(g)
    assert len(re.findall(r"\bn\d+ \[label=", dot)) == 2 * steps + 1
    f = graphc.function([x], y, backend="numpy")  # the reference backend: bit-exact sin
    start = np.array([0.5, -1.0, 2.0, 0.0], np.float32)
    expected = start
    for _ in range(steps):
        expected = np.negative(np.sin(expected))
    np.testing.assert_array_equal(f(start), expected)


# --------------------------------------------------------------- generated code

INJECTIONS = ['x"); import os', '1 + os.system("echo pwned")']


def test_hostile_names_compile_to_plain_identifiers(capfd):
    a = graphc.placeholder(INJECTIONS[0], (3,))
    b = graphc.placeholder(INJECTIONS[1], (3,))
    f = graphc.function([a, b], a * b + 1.0, backend="numpy")
    source = f.source
    for text in (*INJECTIONS, "os.system", "\"echo"):
        assert text not in source
    tree = ast.parse(source)
    assert not any(isinstance(node, (ast.Import, ast.ImportFrom)) for node in ast.walk(tree))
    strings = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)
               and isinstance(node.value, str)}
    assert strings <= {"ignore"}  # no user text reaches the code as a literal either
    (fn,) = tree.body
    assert [arg.arg for arg in fn.args.args] == ["x_import_os", "v1_os_system_echo_pwned"]
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Attribute)]
    assert {node.value.id for node in calls if isinstance(node.value, ast.Name)} <= {"np", "rt"}
    result = f(np.array([1.0, 2.0, 3.0], np.float32), np.array([2.0, 2.0, 2.0], np.float32))
    np.testing.assert_array_equal(result, [3.0, 5.0, 7.0])
    assert "pwned" not in capfd.readouterr().out


def test_names_that_collide_with_reserved_words_keywords_and_each_other():
    names = ["np", "rt", "owned", "k", "int", "lambda", "None", "__builtins__", "graphc_fn",
             "mul", "x", "x", "", "é", "s_n"]
    inputs = [graphc.placeholder(name, ("n",)) for name in names]
    f = graphc.function(inputs, [p + float(k) for k, p in enumerate(inputs)], backend="numpy")
    args = [np.full(2, 100.0 * k, np.float32) for k in range(len(names))]
    for k, result in enumerate(f(*args)):  # each argument reaches its own parameter
        np.testing.assert_array_equal(result, np.full(2, 101.0 * k, np.float32))
    fn = ast.parse(f.source).body[0]
    params = [arg.arg for arg in fn.args.args]
    assert len(set(params)) == len(names)
    assert all(p.isidentifier() for p in params)
    assert not {"np", "rt", "owned", "graphc_fn"} & set(params)


def test_generated_source_is_in_linecache_and_tracebacks_show_it():
    x = graphc.placeholder("x", ("n", 3))
    f = graphc.function([x], x.reshape(4, 3) * 2.0, backend="numpy")  # n = 4 is only known at the call
    with pytest.raises(ValueError) as info:
        f(np.ones((2, 3), np.float32))
    generated = [entry for entry in info.traceback if str(entry.path).startswith("<graphc")]
    assert generated, "the traceback passes through the generated function"
    filename = str(generated[-1].path)
    assert linecache.getlines(filename) == f.source.splitlines(True)
    failing_line = linecache.getline(filename, generated[-1].lineno + 1)
    assert "np.reshape(" in failing_line
    text = "".join(traceback.format_exception(info.value))
    assert failing_line.strip() in text
