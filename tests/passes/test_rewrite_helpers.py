"""The helpers passes are written with: the node builder and the `transform` driver."""

from __future__ import annotations

import pytest

import graphc as gc
from graphc import Graph
from graphc.passes.rewrite import build, map_graph, transform, with_inputs


def _graph():
    x = gc.placeholder("x", (3,))
    y = gc.exp(x) * 2.0 + gc.exp(x)
    return Graph([x], [y])


def test_transform_returns_the_graph_itself_when_nothing_changes():
    graph = _graph()
    assert transform(graph) is graph
    assert transform(graph, lambda node, operands: with_inputs(node, operands)) is graph


def test_transform_visits_each_node_once_after_its_operands_with_their_replacements():
    graph = _graph()
    seen = []

    def visit(node, operands):
        seen.append(node)
        if node.op == "exp":
            return build("log", operands, {}, node.location)
        return with_inputs(node, operands)

    result = transform(graph, visit)
    assert seen == list(graph.nodes[len(graph.inputs):])
    assert [n.op for n in result.nodes].count("log") == 1  # both uses get the one replacement
    assert "exp" not in {n.op for n in result.nodes}
    assert result.inputs == graph.inputs


def test_map_graph_replaces_nodes_and_rebuilds_their_users():
    graph = _graph()
    exp = next(n for n in graph.nodes if n.op == "exp")
    x = graph.inputs[0]
    result = map_graph(graph, replace={exp: x})
    assert "exp" not in {n.op for n in result.nodes}
    assert result.outputs[0].inputs[1] is x


def test_build_names_the_op_the_operands_and_the_location_it_is_given():
    f, i = gc.placeholder("f", (3,)).node, gc.placeholder("i", (3,), dtype=gc.int64).node
    with pytest.raises(gc.GraphBuildError, match=r"add: .*f32\[3\], i64\[3\].* at model.py:7"):
        build("add", (f, i), {}, "model.py:7")


def test_build_refuses_the_wrong_number_of_operands():
    f = gc.placeholder("f", (3,)).node
    with pytest.raises(TypeError, match="add takes 2 inputs, got 1"):
        build("add", (f,), {}, "model.py:7")


def test_a_new_node_is_created_at_the_location_it_is_built_with():
    f = gc.placeholder("f", (5,)).node
    assert build("flip", (f,), {"axes": (0,)}, "model.py:9").location == "model.py:9"
