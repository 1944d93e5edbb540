"""Labels are short and named after the user's variables."""

import pytest

import graphc
from graphc.graph import Graph
from graphc.viz.labels import Namer, assigned_name, operation


@pytest.mark.parametrize(("line", "name"), [
    ("y = graphc.exp(x)", "y"), ("h: Tensor = f(x)", "h"), ("acc += x * w", "acc"),
    ("  loss = (y - t) ** 2", "loss"), ("outs = [f(x), g(x)]", None), ("a, b = f(x)", None),
    ("if y == x:", None), ("return f(x)", None), ("", None),
])
def test_the_assigned_variable_of_a_line(line, name):
    assert assigned_name(line) == name


def test_the_value_a_line_assigns_is_named_not_its_intermediates():
    x = graphc.placeholder("x", ("n", 4))
    y = graphc.softmax(x, -1)
    graph = Graph([x], [y])
    names = Namer().names(graph)
    assert names[y.node] == "y" and names[x.node] == "x"
    assert sum(1 for n in names.values() if n == "y") == 1


def test_a_kernel_body_node_takes_the_name_of_the_node_it_was_rebuilt_from():
    from graphc.passes.fuse import fuse

    # A symbol of its own: a body node equal to one an earlier test built is that node, with
    # that test's location, and so not "rebuilt" from this graph (graphc/viz/diff.py).
    x = graphc.placeholder("x", ("n_body_names",))
    e = graphc.exp(x)
    z = graphc.sin(e) * 2.0
    graph = Graph([x], [z])
    namer = Namer()
    namer.names(graph)
    body = fuse(graph).outputs[0].attr("body")
    names = namer.names(body, body=True)
    assert sorted(names[n] for n in body.nodes if n in names) == ["a0", "e", "z"]


def test_an_operation_writes_in_the_scalars_it_reads_and_its_short_attributes():
    x = graphc.placeholder("x", ("n", 4))
    assert operation((x * 2.0).node) == "mul(·, 2.0)"
    assert operation(graphc.sum(x, 1).node) == "sum {axes=[1], keepdims=false}"
    assert operation(graphc.reshape(x, (4, "n")).node) == "reshape {shape=[4, n]}"
    long_shape = graphc.broadcast_to(graphc.tensor(1.0), (1111111, 2222222, 3333333))
    assert operation(long_shape.node) == "broadcast_to {shape=…}"
