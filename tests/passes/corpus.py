"""A broad set of graphs built with graphc's API: every op, symbolic shapes, odd names, constants.

Used by the round-trip test and by the results-unchanged tests of the passes. Each entry is
`name -> builder()`, and a builder returns a Graph whose inputs are placeholders (or leaves).
"""

from __future__ import annotations

import math

import numpy as np

import graphc as gc
from graphc import Graph


# Slices over a symbolic dimension spell out their step: graphc.ops.slice_length fails on a
# step of None there (reported to the lead).
def _ph(name, shape=(), dtype=gc.float32):
    return gc.placeholder(name, shape, dtype)


def unary_ops() -> Graph:
    x = _ph("x", ("n", 3))
    outs = [f(x) for f in (gc.neg, gc.abs, gc.sign, gc.exp, gc.log, gc.log1p, gc.expm1, gc.sqrt,
                           gc.rsqrt, gc.sin, gc.cos, gc.tan, gc.tanh, gc.sigmoid, gc.relu,
                           gc.floor, gc.ceil, gc.round, gc.erf, gc.stop_gradient)]
    outs.append(gc.logical_not(x > 0))
    return Graph([x], outs)


def binary_ops() -> Graph:
    x, y = _ph("x", ("n", 4)), _ph("y", (4,))
    outs = [f(x, y) for f in (gc.add, gc.sub, gc.mul, gc.div, gc.maximum, gc.minimum, gc.atan2,
                              gc.pow, gc.eq, gc.ne, gc.lt, gc.le, gc.gt, gc.ge)]
    i, j = _ph("i", ("n",), gc.int64), _ph("j", (), gc.int64)
    outs += [gc.floordiv(i, j), gc.mod(i, j), gc.pow(i, 2), i * 3 - j]
    a, b = _ph("a", (2, 3), gc.bool_), _ph("b", (3,), gc.bool_)
    outs += [gc.logical_and(a, b), gc.logical_or(a, b), gc.where(a, y[:3], 0.5)]
    return Graph([x, y, i, j, a, b], outs)


def reductions() -> Graph:
    x = _ph("x", (2, "n", 3))
    outs = [gc.sum(x), gc.sum(x, 1), gc.mean(x, (0, 2), keepdims=True), gc.prod(x, -1),
            gc.max(x, 0), gc.min(x, 2, keepdims=True), gc.argmax(x), gc.argmin(x, 1),
            gc.argmax(x, 2, keepdims=True), gc.sum(gc.cast(x, gc.int32), 0)]
    return Graph([x], outs)


def scans() -> Graph:
    x, i = _ph("x", (2, "n", 3)), _ph("i", ("n",), gc.int32)
    outs = [gc.cumsum(x, 1), gc.cumprod(x, -1), gc.cumsum(gc.exp(x), 0) * 2, gc.cumsum(i, 0),
            gc.cumprod(i, 0, dtype=gc.float64), gc.cumsum(x > 0, 2)]
    return Graph([x, i], outs)


def shape_ops() -> Graph:
    x = _ph("x", ("n", 3, 4))
    outs = [gc.reshape(x, (-1, 4)), gc.reshape(x, ("n", 12)), gc.permute(x, 2, 0, 1),
            gc.transpose(x), gc.flip(x, (0, 2)), gc.pad_widths(x, ((1, 2), (0, 0), (3, 1)), 1.5),
            gc.cat([x, x * 2], 0), gc.cat([x, x], 2), gc.stack([x, x], 1),
            gc.broadcast_to(x[::1, :1, :], (2, "n", 3, 4)), x[1::1, ::2, -1], x[None, ::1, ..., 2],
            x[0], x[::1, None, 1:3], gc.squeeze(x[::1, :1, :]), gc.unsqueeze(x, -1)]
    return Graph([x], outs)


def symbolic_arithmetic() -> Graph:
    x, y = _ph("x", ("n", "m")), _ph("y", ("m",))
    z = gc.cat([x, gc.reshape(y, (1, "m"))], 0)  # n+1 rows
    w = gc.pad_widths(z, 2)[1::3, :-1:1]
    v = gc.reshape(w, (-1,))
    return Graph([x, y], [z, w, v, gc.matmul(x, y), gc.matmul(gc.transpose(x), x)])


def linalg() -> Graph:
    a, b = _ph("a", (3, "k")), _ph("b", ("k", 5))
    v = _ph("v", ("k",))
    batch = _ph("batch", (7, 3, "k"))
    return Graph([a, b, v, batch], [gc.matmul(a, b), gc.matmul(a, v), gc.matmul(v, b),
                                    gc.dot(v, v), gc.matmul(batch, b)])


def leaves_and_constants() -> Graph:
    x = _ph("x", (4,))
    small = gc.tensor([1.5, -0.0, float("inf"), float("nan")])
    large = gc.tensor(np.linspace(-3, 3, 100).reshape(4, 25).astype(np.float32))
    odd = gc.tensor(np.array([[1, -2], [3, 2**40]], dtype=np.int64))
    bools = gc.tensor([[True, False], [False, True]])
    half = gc.tensor(np.arange(30, dtype=np.float16))
    i32 = gc.tensor(np.arange(20, dtype=np.int32).reshape(4, 5))
    empty = gc.tensor(np.zeros((0, 3), np.float32))
    zero_d = gc.tensor(np.float64(math.pi))
    tiny = gc.tensor(np.array([5e-324, 1e300, -1e-7]))
    param = gc.parameter(np.arange(4, dtype=np.float32), name="w")
    anon = gc.from_numpy(np.arange(4.0))
    outs = [x * small, gc.sum(large, 1) + x, odd * 2, gc.logical_not(bools), half + 1,
            i32 // 3, empty, zero_d * 2, tiny, x * param, anon - 1, gc.arange(5),
            gc.arange(0.5, 3.0, 0.25), gc.arange(10, 0, -3), gc.eye(3), gc.eye(2, 4, gc.int32),
            gc.full((2, 3), 7), gc.zeros(3, dtype=gc.float64), gc.ones_like(x),
            gc.full((), True), x * -2.5, gc.pad_widths(gc.cast(x, gc.int64), 1, -7)]
    return Graph([x], outs)


def odd_names() -> Graph:
    a, b = _ph("x.1"), _ph("my input")
    c, d = _ph("class"), _ph("x_1")
    e, f = _ph("1st"), _ph("x")
    g = _ph("x")  # the same name twice
    total = a + b + c + d + e + f + g
    return Graph([a, b, c, d, e, f, g], [total, a, total])


def parameter_inputs() -> Graph:
    w = gc.parameter(np.full((3,), 0.25, np.float32), name="w")
    b = gc.parameter(np.zeros(3, np.float32), name="bias term")
    c = gc.tensor(np.arange(3.0, dtype=np.float32))
    x = _ph("x", ("n", 3))
    return Graph([x, w, b, c], [x * w + b - c])


def casts_and_promotion() -> Graph:
    x = _ph("x", (3,), gc.int32)
    y = _ph("y", (3,), gc.float64)
    h = _ph("h", (3,), gc.float16)
    return Graph([x, y, h], [x + y, x * 1.5, gc.cast(y, gc.int32), gc.cast(x, gc.bool_),
                             h * 2, gc.cast(h, gc.float32) + x, x + True, gc.where(x > 1, x, y)])


def compositions() -> Graph:
    x = _ph("x", ("batch", 10))
    w = _ph("w", (10, 4))
    logits = gc.matmul(x, w)
    return Graph([x, w], [gc.softmax(logits), gc.log_softmax(logits, 0), gc.logsumexp(logits)])


def seed_tutorial() -> Graph:
    """The seed's `y = w * x + b` with concrete leaves."""
    x = gc.tensor(1.0, requires_grad=True)
    w = gc.tensor(2.0, requires_grad=True)
    b = gc.tensor(3.0, requires_grad=True)
    y = w * x + b
    t = gc.tensor([[1.0, 2.0], [3.0, 4.0]])
    return Graph([], [y, gc.cat([gc.sin(t), gc.cos(t), gc.tan(t)]), gc.reshape(t, (4, 1))])


def long_chain(n: int = 300) -> Graph:
    x = _ph("x", (3,))
    y = x
    for k in range(n):
        y = y * 1.01 + (k % 7)
    return Graph([x], [y])


def no_inputs_scalar_only() -> Graph:
    return Graph([], [gc.full((), 2.5) * 4])


def fused_kernels() -> Graph:
    """What the `fuse` pass makes: kernels of each kind (a row kernel of two outputs) over
    views and scalars, around matmul."""
    from graphc.passes.fuse import fuse

    x, w = _ph("x", ("n", 3)), _ph("w", (3,))
    z = gc.exp(x) * 2.0
    outs = [gc.sum(gc.sin(x) * w, 1), z - gc.max(z, 1, keepdims=True),
            gc.relu(gc.matmul(x, w) + 1), gc.transpose(x) * gc.full((3, 1), 0.5),
            gc.tanh(z)]  # z is read by two kernels: they merge into one of two outputs
    return fuse(Graph([x, w], outs))


def indexing_ops() -> Graph:
    """setitem, gather, scatter (written and added) and argsort, through the user API: integer
    arrays, assignment, sort and topk; indices fit any n >= 3."""
    x, i = _ph("x", ("n", 4)), _ph("i", (2, "n"), gc.int32)
    idx = gc.tensor([[2, -1, 0, 1], [0, 0, 3, -4]])
    y = x * 1.0
    y[1:, ::-2] = 5.0
    outs = [x[[0, 2, 0]], x[:, [3, 1]], x[[0, -1], [1, 2]], y,
            gc.gather(x[[0, 1, 2]], 1, idx[:1].broadcast_to((3, 4))),
            gc.scatter_add(gc.zeros((3, 4)), 0, gc.tensor([[0, 2, 0, 1]]), x[[0]]),
            gc.scatter(x[[0, 1]], 1, idx, 7.5), gc.sort(x, 0).values, gc.topk(x, 2, largest=False).indices,
            gc.argsort(i, 1, descending=True), gc.argsort(x[::1, 0] > 0)]
    return Graph([x, i], outs)


def mask_selection() -> Graph:
    """nonzero and boolean-mask selection of symbolic tensors: data-dependent sizes (nz...)
    that later kernels, a gradient and a second selection by the same mask share."""
    x, r = _ph("x", ("n", 3)), _ph("r", ("n",))
    picked = x[x > 0]
    loss = gc.sum(picked * picked)
    outs = [picked * 2.0 + x[x > 0], loss, gc.grad(loss, x), gc.nonzero(r > 0), x[r < 0.5, 1:],
            gc.masked_select(x, r[:, None] > 0).sum()]
    return Graph([x, r], outs)


CORPUS = {f.__name__: f for f in (
    indexing_ops, mask_selection,
    unary_ops, binary_ops, reductions, scans, shape_ops, symbolic_arithmetic, linalg,
    leaves_and_constants, odd_names, parameter_inputs, casts_and_promotion, compositions,
    seed_tutorial, long_chain, no_inputs_scalar_only, fused_kernels,
)}


def random_inputs(graph: Graph, rng: np.random.Generator, sizes: dict | None = None) -> list:
    """Arguments for the graph: random arrays for placeholders (symbols take sizes from `sizes`,
    default 3), the held arrays for parameter and constant inputs."""
    sizes = sizes or {}
    args = []
    for node in graph.inputs:
        if node.op != "placeholder":  # a parameter or constant input: pass its array
            args.append(node.attr("value").value)
            continue
        shape = []
        for d in node.shape:
            shape.append(d if isinstance(d, int) else sizes.get(str(d), 3))
        if node.dtype is gc.bool_:
            args.append(rng.random(shape) > 0.5)
        elif node.dtype.is_floating_point:
            args.append((rng.standard_normal(shape) * 2).astype(node.dtype.numpy))
        else:
            args.append(rng.integers(1, 9, shape).astype(node.dtype.numpy))
    return args
