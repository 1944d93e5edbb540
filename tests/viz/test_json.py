"""The JSON form (schema graphc-viz, version 1): every stage of a subject, and back to the graph."""

import json

import numpy as np
import pytest

import graphc
from graphc.backends import compile as compile_graph
from graphc.graph import Graph
from graphc.viz import FORMAT, VERSION, SchemaError, from_json, to_json
from tests.passes.corpus import CORPUS, random_inputs


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_corpus_graph_round_trips_through_json(name):
    graph = CORPUS[name]()
    back = from_json(to_json(graph))
    assert str(back) == str(graph)


def test_a_loaded_graph_computes_what_the_original_does():
    graph = CORPUS["leaves_and_constants"]()
    args = random_inputs(graph, np.random.default_rng(0))
    back = from_json(to_json(graph))
    expected = compile_graph(graph, "numpy")(*args)
    for got, want in zip(compile_graph(back, "numpy")(*args), expected):
        np.testing.assert_array_equal(got, want)


def test_the_document_holds_nodes_graphs_and_steps_once_per_node():
    x = graphc.placeholder("x", ("n",))
    with graphc.scope("model"):
        y = graphc.sum((x + 0.0) * x)
    doc = json.loads(to_json(Graph([x], [y]), passes="simplify,dce"))
    assert (doc["format"], doc["version"]) == (FORMAT, VERSION) == ("graphc-viz", 1)
    assert [s["name"] for s in doc["steps"]] == ["input", "simplify (1)", "dce (2)"]
    assert doc["pipeline"] == "simplify,dce"
    assert [n["id"] for n in doc["nodes"]] == list(range(len(doc["nodes"])))
    for node in doc["nodes"]:
        assert all(i < node["id"] for i in node["inputs"])  # operands come first
    by_op = {n["op"]: n for n in doc["nodes"]}
    assert by_op["sum"]["scope"] == "model" and by_op["sum"]["gradient"] is False
    assert by_op["sum"]["attrs"] == {"axes": [0], "keepdims": False}
    assert by_op["sum"]["parts"] == [{"dtype": "f32", "shape": []}]
    assert by_op["placeholder"]["parts"] == [{"dtype": "f32", "shape": ["n"]}]
    assert by_op["sum"]["name"] == "y"  # the variable of the line that built it
    assert doc["sources"][by_op["sum"]["loc"]] == "y = graphc.sum((x + 0.0) * x)"


def test_a_step_lists_the_nodes_a_pass_added_removed_rewrote_and_rebuilt():
    x = graphc.placeholder("x", ("n",))
    y = graphc.exp(x ** 2.0)  # simplify makes x ** 2 into x * x, so the exp is rebuilt over it
    doc = json.loads(to_json(Graph([x], [y]), passes="simplify"))
    ops = lambda ids: sorted(doc["nodes"][i]["op"] for i in ids)  # noqa: E731
    pairs = lambda kind: [(doc["nodes"][new]["op"], doc["nodes"][old]["op"]) for new, old in step[kind]]  # noqa: E731
    first, step = doc["steps"]
    assert first["added"] == first["removed"] == first["rewritten"] == first["rebuilt"] == []
    assert step["changed"] is True and step["seconds"] >= 0
    assert ops(step["removed"]) == ["exp", "pow", "scalar"]
    assert pairs("rewritten") == [("mul", "pow")] and pairs("rebuilt") == [("exp", "exp")]
    assert step["added"] == []


def test_a_compiled_function_has_its_fused_step_kernels_and_code():
    x = graphc.placeholder("x", ("n", 4))
    f = graphc.function([x], graphc.softmax(x, -1))
    doc = json.loads(to_json(f))
    # the graph as built, each pass of -O1 (replayed), then fusion
    assert [s["kind"] for s in doc["steps"]] == ["input", *["pass"] * 5, "backend"]
    assert [s["name"] for s in doc["steps"]][1:] == ["canonicalize (1)", "fold-constants (2)", "simplify (3)",
                                                     "cse (4)", "dce (5)", "fuse"]
    assert doc["backend"] == "llvm" and doc["pipeline"] == "canonicalize,fold-constants,simplify,cse,dce"
    assert set(doc["code"]) == {"python", "llvm"}
    kernel = doc["kernels"][0]
    assert doc["nodes"][kernel["node"]]["op"] == "kernel" and kernel["name"] == "kernel0"
    assert kernel["kind"] == "row" and kernel["code"]["llvm"].startswith('define void @"kernel0_')
    body = doc["graphs"][doc["nodes"][kernel["node"]]["attrs"]["body"]["graph"]]
    assert len(body["inputs"]) == 1
    assert str(from_json(doc)) == str(f.executable.graph)


def test_symbolic_dims_dtypes_and_non_finite_floats_keep_their_types():
    x = graphc.placeholder("x", ("n", 3))
    y = graphc.cast(graphc.reshape(x, (3, "n")), graphc.float64) + float("inf")
    g = Graph([x], [graphc.maximum(y, float("nan"))])
    text = to_json(g)
    doc = json.loads(text)
    attrs = [n["attrs"] for n in doc["nodes"]]
    assert {"shape": [3, {"dim": "n"}]} in attrs
    assert {"dtype": {"dtype": "f64"}} in attrs
    assert {"value": {"float": "inf"}} in attrs and {"value": {"float": "nan"}} in attrs
    assert str(from_json(text)) == str(g)


def test_any_step_can_be_loaded_by_index_or_name():
    x = graphc.placeholder("x", ("n",))
    g = Graph([x], [(x + 0.0) * x])
    text = to_json(g, passes="simplify")
    assert str(from_json(text, step="input")) == str(g)
    assert str(from_json(text, step=0)) == str(g)
    assert "add" not in str(from_json(text))
    with pytest.raises(SchemaError, match="no step named 'fuse'"):
        from_json(text, step="fuse")
    with pytest.raises(SchemaError, match="out of range"):
        from_json(text, step=5)


def _doc(graph):
    return json.loads(to_json(graph))


def _small():
    x = graphc.placeholder("x", (2,))
    return Graph([x], [graphc.exp(x)])


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.update(format="other"), "not a graphc-viz document"),
    (lambda d: d.update(version=2), "version 2 is not one this graphc reads"),
    (lambda d: d["nodes"][1].update(op="nonsense"), "node 1: unknown op 'nonsense'"),
    (lambda d: d["nodes"][1].update(type="f32[3]"), r"node 1: exp gives f32\[2\] for its operands,"
                                                     r" but the document says f32\[3\]"),
    (lambda d: d["nodes"][1].update(inputs=[7]), "node 1: node 7 is used before it is defined"),
    (lambda d: d["nodes"][1].update(id=4), "node 1 has id 4"),
    (lambda d: d["nodes"][1].update(scope="a//b"), "node 1 .*none of them empty"),
    (lambda d: d["nodes"][1].update(type="f32[2"), "node 1 .*expected"),
])
def test_a_bad_document_is_refused_naming_what_is_wrong(change, message):
    doc = _doc(_small())
    change(doc)
    with pytest.raises(SchemaError, match=message):
        from_json(doc)


def test_text_that_is_not_json_is_refused():
    with pytest.raises(SchemaError, match="not JSON"):
        from_json("{nope")


def test_an_explorer_document_without_large_values_does_not_load():
    from graphc.viz.schema import to_document
    from graphc.viz.stages import collect

    big = graphc.tensor(np.arange(100.0))
    doc = to_document(collect(Graph([], [big * 2.0])), values=False)
    constant = next(n for n in doc["nodes"] if n["op"] in ("constant", "parameter"))
    assert constant["attrs"]["value"] == {"array": None, "shape": [100]}
    with pytest.raises(SchemaError, match="leaves out array values"):
        from_json(doc)
