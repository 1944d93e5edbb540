"""`graphc.scope`: nodes remember the scope they were built in, through printing, parsing,
passes and autodiff."""

import pytest

import graphc
from graphc import passes
from graphc.graph import Graph


def test_nodes_record_the_nested_scope_they_were_built_in():
    x = graphc.placeholder("x", (3,))
    with graphc.scope("encoder") as outer:
        h = graphc.exp(x)
        with graphc.scope("layer1") as inner:
            y = graphc.sin(h)
    z = graphc.cos(y)
    assert (outer, inner) == ("encoder", "encoder/layer1")
    assert [t._node.scope for t in (x, h, y, z)] == ["", "encoder", "encoder/layer1", ""]


def test_a_scope_path_may_be_given_at_once():
    x = graphc.placeholder("x", (3,))
    with graphc.scope("encoder/layer2"):
        y = graphc.tanh(x)
    assert y._node.scope == "encoder/layer2"


@pytest.mark.parametrize("name", ["", "a//b", "/a", "a/", " ", "a\nb"])
def test_a_bad_scope_name_is_refused(name):
    with pytest.raises(ValueError, match="scope"), graphc.scope(name):
        pass


def test_a_scope_name_must_be_a_string():
    with pytest.raises(TypeError, match="string"), graphc.scope(3):
        pass


def test_the_scope_is_printed_and_parsed_back():
    x = graphc.placeholder("x", (3,))
    with graphc.scope('odd "name"/é'):
        y = graphc.exp(x) * 2.0
    text = str(Graph([x], [y]))
    assert ' scope "odd \\"name\\"/\\u00e9"' in text
    assert str(graphc.parse(text)) == text


def test_a_parsed_scope_goes_on_new_nodes_and_inputs():
    graph = graphc.parse('graph(%x: f32[2] scope "in") {\n'
                         '  %0 = mul %x, %x : f32[2] scope "model/sq"\n'
                         '  return %0\n}')
    x, = graph.inputs
    assert x.scope == "in" and graph.outputs[0].scope == "model/sq"


def test_a_bad_scope_in_the_text_form_is_a_parse_error():
    with pytest.raises(graphc.ParseError, match="none of them empty") as err:
        graphc.parse('graph(%x: f32[2]) {\n  %0 = exp %x : f32[2] scope "a//b"\n  return %0\n}')
    assert (err.value.line, err.value.column) == (2, 30)
    with pytest.raises(graphc.ParseError, match="scope path in quotes"):
        graphc.parse('graph(%x: f32[2]) {\n  %0 = exp %x : f32[2] scope a\n  return %0\n}')


def test_a_rewritten_node_keeps_the_scope_of_the_node_it_replaces():
    x = graphc.placeholder("x", (3,))
    with graphc.scope("block"):
        y = (x + 0.0) * x  # simplify drops the + 0 and rebuilds the mul
    graph = passes.run(Graph([x], [y]), "simplify")
    out = graph.outputs[0]
    assert out is not y._node and out.op == "mul" and out.inputs == (x._node, x._node)
    assert out.scope == "block"


def test_gradient_nodes_are_built_in_the_grad_scope_of_their_forward_node():
    x = graphc.placeholder("x", (3,))
    with graphc.scope("enc"):
        y = graphc.sum(graphc.sin(x) * x)
    with graphc.scope("elsewhere"):  # the caller's scope does not matter
        g = graphc.grad(y, x)
    graph = Graph([x], [g])
    cos = next(n for n in graph.nodes if n.op == "cos")
    assert cos.scope == "grad/enc"
    assert g._node.scope == "grad"  # the contributions to x, a leaf outside any scope, are summed
    assert not any(n.scope.startswith("elsewhere") for n in graph.nodes)


def test_kernel_body_inputs_belong_to_no_scope():
    from graphc.passes.fuse import fuse

    x = graphc.placeholder("x", (3,))
    with graphc.scope("model"):
        fused = fuse(Graph([x], [graphc.exp(graphc.sin(x))]))
    kernel = fused.outputs[0]
    assert kernel.op == "kernel" and kernel.scope == "model"
    body = kernel.attr("body")
    assert [n.scope for n in body.inputs] == [""]
    assert body.outputs[0].scope == "model"
