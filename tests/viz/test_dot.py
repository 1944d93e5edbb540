"""DOT pictures: scopes and kernels as clusters, forward and gradient told apart, any subject."""

import re

import pytest

import graphc
from graphc.graph import Graph
from graphc.viz.dot import FORWARD_FILL, GRADIENT_FILL


def _statement(text, label_part):
    return next(line for line in text.splitlines() if "[label=" in line and label_part in line)


def test_nested_scopes_are_nested_clusters():
    x = graphc.placeholder("x", (3,))
    with graphc.scope("encoder"):
        with graphc.scope("layer1"):
            h = graphc.tanh(x)
        e = graphc.exp(h)
    text = graphc.to_dot(Graph([x], [e]))
    encoder = text[text.index('label="encoder"'):]
    layer1 = encoder[encoder.index('label="layer1"'):]
    layer1 = layer1[:layer1.index("\n    }")]  # the inner cluster, indented once more
    assert '[label="h = tanh' in layer1 and '[label="e = exp' not in layer1
    assert '[label="e = exp' in encoder and '[label="x = placeholder' not in encoder
    assert text.count("subgraph cluster_scope") == 2
    assert 'tooltip="scope encoder/layer1"' in text


def test_gradient_nodes_are_shaded_apart_from_forward_nodes():
    x = graphc.placeholder("x", (3,))
    y = graphc.sum(graphc.sin(x))
    g = graphc.grad(y, x)
    text = graphc.to_dot([y, g])
    assert FORWARD_FILL in _statement(text, "= sin\\n")
    assert GRADIENT_FILL in _statement(text, "= cos\\n")  # the derivative of sin
    assert 'label="grad"' in text  # the gradient's scope cluster


def test_a_function_is_drawn_after_fusion_and_any_step_can_be_chosen():
    x = graphc.placeholder("x", ("n",))
    f = graphc.function([x], graphc.exp(graphc.sin(x)) * 2.0)
    fused = graphc.to_dot(f)
    assert "subgraph cluster_n1" in fused and "kernel0 (elementwise)" in fused
    first = graphc.to_dot(f, step=0)
    assert "kernel" not in first and "%0 = sin" in first
    assert graphc.to_dot(f, step="fuse") == fused


def test_a_graph_can_be_taken_through_a_pipeline_and_a_backend_first():
    x = graphc.placeholder("x", ("n",))
    y = (x + 0.0) * x
    assert "add" in graphc.to_dot(y) and "add" not in graphc.to_dot(y, passes="simplify")
    assert "kernel0" in graphc.to_dot(y, backend="llvm")


def test_a_gir_file_is_drawn(tmp_path):
    path = tmp_path / "m.gir"
    path.write_text('graph(%x: f32[n]) {\n  %0 = exp %x : f32[n] scope "s"\n  return %0\n}\n')
    text = graphc.to_dot(str(path))
    assert 'label="s"' in text and re.search(r'label="%0 = exp\\nf32\[n\]"', text)


def test_bad_subjects_and_steps_are_refused():
    with pytest.raises(TypeError, match="can draw a Tensor, a list of tensors, a Graph"):
        graphc.to_dot(42)
    x = graphc.placeholder("x", (3,))
    with pytest.raises(ValueError, match="no step named 'fuse'; the steps are 'input'"):
        graphc.to_dot(x * 2.0, step="fuse")
    f = graphc.function([x], x * 2.0)
    with pytest.raises(ValueError, match="compiled with its own passes and backend"):
        graphc.to_dot(f, passes="dce")
