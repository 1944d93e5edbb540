"""The benchmarks' row and MLP graphs (bench/run.py, W4 and W6) on the LLVM backend: how many
kernels fusion makes of each, and their values against the same computation written in NumPy.

Kernel counts are deterministic, so a change to fusion that splits one of these graphs into
more kernels (each a pass over memory) fails here; docs/kernels.md explains each count.
"""

from __future__ import annotations

import numpy as np
import pytest

import graphc
from graphc.parser import parse
from graphc.threads import get_num_threads, set_num_threads
from tests.backends.llvm.test_row_kernels import layer_norm

ROWS = (6, 37)  # a masked tail on every row


def fused(f) -> graphc.Graph:
    """The graph `f` runs: its kernels and the ops outside them (`Function.emit("graph")`)."""
    return parse(f.emit("graph"))


def kinds(f) -> list[str]:
    """The kinds of the kernels `f` runs, in order."""
    return [n.attr("kind") for n in fused(f).nodes if n.op == "kernel"]


def outside(f) -> list[str]:
    """The ops `f` runs outside kernels (kernel results aside)."""
    graph = fused(f)
    return [n.op for n in graph.nodes[len(graph.inputs):] if n.op not in ("kernel", "result", "scalar")]


def numpy_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def rows(seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(ROWS) * 3).astype(np.float32)


@pytest.mark.parametrize("shape", [ROWS, (4, 53), (3, (1 << 14) + 5)], ids=["short", "odd", "long"])
def test_softmax_along_rows_is_one_row_kernel(shape):
    """Rows of the lengths the LLVM row kernel treats differently: pairs of vectors (each pair
    into two accumulators), an odd vector and a masked tail (53 = 32 + 16 + 5 with 16 lanes);
    exp stored, then summed from cache (short rows), or summed as it is computed (rows longer
    than the cache holds)."""
    x = graphc.placeholder("x", shape)
    f = graphc.function([x], graphc.softmax(x, -1))
    assert kinds(f) == ["row"] and outside(f) == []
    xs = (np.random.default_rng(0).standard_normal(shape) * 3).astype(np.float32)
    np.testing.assert_allclose(f(xs), numpy_softmax(xs), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("shape", [ROWS, (4, 53)], ids=["short", "odd"])
def test_layer_norm_along_rows_is_one_row_kernel(shape):
    x = graphc.placeholder("x", shape)
    f = graphc.function([x], layer_norm(x))
    assert kinds(f) == ["row"] and outside(f) == []
    xs = (np.random.default_rng(0).standard_normal(shape) * 3).astype(np.float32)
    centred = xs - xs.mean(-1, keepdims=True)
    want = centred / np.sqrt((centred * centred).mean(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(f(xs), want, rtol=1e-5, atol=1e-5)


def test_softmax_and_its_gradient_are_one_row_kernel():
    """The backward pass reuses exp(x - max) and the row sum: all of it is one kernel of two
    outputs (it was three: exp, the sum as a reduce kernel, and the rest)."""
    x, g = graphc.placeholder("x", ROWS), graphc.placeholder("g", ROWS)
    y = graphc.softmax(x, -1)
    f = graphc.function([x, g], [y, graphc.grad(graphc.sum(y * g), x)])
    assert kinds(f) == ["row"] and outside(f) == []
    xs, gs = rows(), rows(1)
    got_y, got_dx = f(xs, gs)
    want_y = numpy_softmax(xs)
    want_dx = want_y * (gs - (gs * want_y).sum(-1, keepdims=True))  # the softmax's Jacobian, by hand
    np.testing.assert_allclose(got_y, want_y, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(got_dx, want_dx, rtol=1e-5, atol=1e-6)


def test_the_gradient_alone_is_one_row_kernel():
    x, g = graphc.placeholder("x", ROWS), graphc.placeholder("g", ROWS)
    f = graphc.function([x, g], graphc.grad(graphc.sum(graphc.softmax(x, -1) * g), x))
    assert kinds(f) == ["row"]
    xs, gs = rows(), rows(1)
    y = numpy_softmax(xs)
    np.testing.assert_allclose(f(xs, gs), y * (gs - (gs * y).sum(-1, keepdims=True)), rtol=1e-5, atol=1e-6)


def test_a_row_sum_the_caller_also_reads_stays_a_reduce_kernel():
    """A reduction that is an output of the graph cannot be an output of a row kernel (not of its
    shape): it stays a kernel of its own, and the results are still right."""
    x = graphc.placeholder("x", ROWS)
    e = graphc.exp(x)
    total = graphc.sum(e, -1, keepdims=True)
    f = graphc.function([x], [e / total, total])
    assert "reduce" in kinds(f)
    xs = rows()
    got_p, got_total = f(xs)
    np.testing.assert_allclose(got_total, np.exp(xs).sum(-1, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(got_p, np.exp(xs) / np.exp(xs).sum(-1, keepdims=True), rtol=1e-5)


def define_then_run():
    """examples/define_then_run.py's graph: a 1-d softmax of a matrix-vector product."""
    x = graphc.placeholder("x", shape=("n", 3))
    w = graphc.placeholder("w", shape=(3,))
    scores = graphc.sin(x) @ w + 0.5
    return graphc.function([x, w], [scores, graphc.softmax(scores, axis=0)])


@pytest.mark.parametrize("n", [1, 2, 17, 1 << 19])
def test_a_1d_softmax_is_one_row_kernel(n):
    """A 1-d array is one row: the softmax, and the elementwise work before it, are one kernel
    (it was six), which threads must not split (the last size is past the size that would)."""
    f = define_then_run()
    assert kinds(f) == ["elementwise", "row"] and outside(f) == ["matmul"]
    rng = np.random.default_rng(n)
    xs, ws = rng.standard_normal((n, 3)).astype(np.float32), np.array([0.5, -1.0, 2.0], np.float32)
    before = get_num_threads()
    try:
        set_num_threads(2)
        scores, probs = f(xs, ws)
    finally:
        set_num_threads(before)
    want = np.sin(xs) @ ws + np.float32(0.5)
    np.testing.assert_allclose(scores, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(probs, numpy_softmax(want, 0), rtol=1e-5, atol=1e-9)
    assert abs(float(probs.sum(dtype=np.float64)) - 1.0) < 1e-4


def test_the_mlp_training_step_kernels():
    """W4: bias + relu; the loss; its gradient; relu's gradient; the two bias gradients (column
    sums). The five matrix products run outside kernels, reading transposes as views."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 20)).astype(np.float32)
    t = rng.standard_normal((32, 5)).astype(np.float32)
    w1 = (rng.standard_normal((20, 16)) * 0.3).astype(np.float32)
    b1 = (rng.standard_normal(16) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((16, 5)) * 0.3).astype(np.float32)
    b2 = (rng.standard_normal(5) * 0.1).astype(np.float32)
    ph = {name: graphc.placeholder(name, shape=a.shape)
          for name, a in (("x", x), ("t", t), ("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2))}
    y = graphc.relu(ph["x"] @ ph["w1"] + ph["b1"]) @ ph["w2"] + ph["b2"]
    loss = graphc.mean((y - ph["t"]) ** 2)
    grads = graphc.grad(loss, [ph["w1"], ph["b1"], ph["w2"], ph["b2"]])
    f = graphc.function(list(ph.values()), [loss, *grads])
    assert kinds(f) == ["elementwise", "reduce", "elementwise", "elementwise", "reduce", "reduce"]
    assert sorted(outside(f)) == ["matmul"] * 5 + ["reshape"] * 2 + ["transpose"] * 3
    # the same step by hand
    h = x @ w1 + b1
    r = np.maximum(h, 0)
    d = r @ w2 + b2 - t
    gy = d * np.float32(2 / d.size)
    gh = (gy @ w2.T) * (h > 0)
    want = [np.mean(d * d), x.T @ gh, gh.sum(0), r.T @ gy, gy.sum(0)]
    for got, expected in zip(f(x, t, w1, b1, w2, b2), want):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
