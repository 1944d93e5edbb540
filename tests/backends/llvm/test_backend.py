"""The LLVM backend against the NumPy backend: random graphs, gradients, bad calls, threads, emitted code.

Agreement is tests/backends/agree.py's: exact where NumPy computes exactly, a few ulp for
transcendental functions and float reductions, NaN and inf in the same places, the same
dtypes and shapes; random graphs, element by element within the ranges of graphc.testing.bounds,
as the fuzzer judges (docs/fuzzing.md). Inputs come in every layout NumPy can give (contiguous,
Fortran order, strided, reversed, broadcast with stride 0, fields of structured arrays, 0-d,
empty) and hold special values (NaN, +-inf, +-0, subnormals).
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphc
from graphc.backends.llvm import jit, runtime
from graphc.backends.llvm.kernel import body as body_module
from graphc.ops import GraphBuildError
from graphc.testing import bounds
from tests.backends.agree import assert_within, compare_backends

SETTINGS = settings(max_examples=150, deadline=None)
F32, F64, I32, I64 = (np.dtype(t) for t in (np.float32, np.float64, np.int32, np.int64))
SYMBOLS = ("n", "m")
CALL_ERRORS = (TypeError, ValueError, IndexError)

# --------------------------------------------------------------------- values and layouts

SPECIALS = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e30, -1e-30,
            5e-324, -5e-324, 2.2250738585072014e-308, 1.401298464324817e-45, -1.1754942e-38,
            1e300, 88.7, -103.5, 709.8]


def elements(dtype: np.dtype):
    """Values of `dtype`: for floats, special values, small numbers and any float of that width."""
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return st.one_of(st.integers(-5, 5), st.integers(int(info.min), int(info.max)))
    width = dtype.itemsize * 8
    with np.errstate(over="ignore"):
        specials = [*sorted({float(dtype.type(v)) for v in SPECIALS if not np.isnan(v)}), np.nan]
    return st.one_of(st.sampled_from(specials), st.floats(-4, 4, width=width), st.floats(width=width))


LAYOUTS = ("contiguous", "fortran", "strided", "reversed", "broadcast", "field")


def draw_array(data, dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
    """An array of `shape` and `dtype` in a drawn memory layout, with drawn values."""
    layout = data.draw(st.sampled_from(LAYOUTS), label="layout")
    if layout == "broadcast":  # stride 0 along the dimensions drawn to be broadcast
        small = tuple(1 if d > 1 and data.draw(st.booleans(), label="broadcast") else d for d in shape)
        return np.broadcast_to(draw_values(data, dtype, small), shape)
    values = draw_values(data, dtype, shape)
    if layout == "fortran":
        return np.asfortranarray(values)
    if layout == "strided":
        buffer = np.zeros(tuple(2 * d + 1 for d in shape), dtype)
        view = buffer[(*(slice(1, None, 2) for _ in shape), ...)]  # ...: a 0-d view, not a scalar
        view[...] = values
        return view
    if layout == "reversed":
        backwards = (*(slice(None, None, -1) for _ in shape), ...)
        return values[backwards].copy()[backwards]
    if layout == "field":  # steps of itemsize + 4 bytes: not a whole number of elements
        records = np.zeros(shape, [("value", dtype), ("pad", np.int32)])
        records["value"] = values
        return records["value"]
    return values


def draw_values(data, dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
    size = int(np.prod(shape, dtype=np.int64))
    flat = data.draw(st.lists(elements(dtype), min_size=size, max_size=size), label="values")
    return np.array(flat, dtype=np.float64 if dtype.kind == "f" else dtype).astype(dtype).reshape(shape)


# ------------------------------------------------------------------------- random graphs

FLOAT_UNARY = ["neg", "abs", "sign", "sqrt", "rsqrt", "relu", "floor", "ceil", "round", "exp", "log",
               "log1p", "expm1", "sin", "cos", "tan", "tanh", "sigmoid", "erf"]
FLOAT_BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "pow", "atan2"]
INT_UNARY = ["neg", "abs", "sign", "relu"]
INT_BINARY = ["add", "sub", "mul", "maximum", "minimum", "floordiv", "mod"]
COMPARE = ["eq", "ne", "lt", "le", "gt", "ge"]
REDUCE = {"f": ["sum", "mean", "max", "min", "prod"], "i": ["sum", "max", "min", "prod"]}


@dataclass
class RandomGraph:
    """A graph drawn by `draw_graph`: its inputs, outputs and the sizes its symbols take."""

    inputs: list = field(default_factory=list)
    outputs: list = field(default_factory=list)
    bindings: list[dict[str, int]] = field(default_factory=list)


def concrete(shape, sizes: dict[str, int]) -> tuple[int, ...]:
    return tuple(d if isinstance(d, int) else sizes[str(d)] for d in shape)


def draw_graph(data) -> RandomGraph:
    """Elementwise chains with broadcasting, reductions and views over 1-3 inputs."""
    dtype = data.draw(st.sampled_from([F32, F64, F32, F64, I32, I64]), label="dtype")
    kind = dtype.kind
    graph = RandomGraph()
    graph.bindings = [data.draw(st.fixed_dictionaries({s: st.integers(0, 4) for s in SYMBOLS}), label="sizes")
                      for _ in range(2)]
    dims = st.one_of(st.integers(0, 4), st.sampled_from([1, 1, 3]), st.sampled_from(SYMBOLS))
    for k in range(data.draw(st.integers(1, 3), label="inputs")):
        shape = tuple(data.draw(st.lists(dims, max_size=3), label="shape"))
        graph.inputs.append(graphc.placeholder(f"x{k}", shape, dtype=dtype))
    values = list(graph.inputs)
    bound = sorted({str(d) for x in graph.inputs for d in x.shape if not isinstance(d, int)})
    for _ in range(data.draw(st.integers(2, 10), label="steps")):
        action = data.draw(st.sampled_from(["unary", "binary", "binary", "where", "reduce", "view", "view"]),
                           label="action")
        try:
            values.append(_step(data, action, kind, values, bound))
        except GraphBuildError:  # operands that do not broadcast, an index out of range: draw on
            continue
    computed = values[len(graph.inputs):]
    if not computed:
        computed = [-graph.inputs[0] if kind == "f" else graph.inputs[0] * 3]
    more = data.draw(st.lists(st.sampled_from(computed), max_size=2), label="more")
    graph.outputs = [computed[-1], *more]
    return graph


def broadcastable(a, b) -> bool:
    return all(p == q or 1 in (p, q) for p, q in zip(reversed(tuple(a)), reversed(tuple(b))))


def _step(data, action: str, kind: str, values: list, bound: list[str]):
    x = data.draw(st.sampled_from(values), label="x")
    partner = st.sampled_from([v for v in values if broadcastable(x.shape, v.shape)])
    if action == "unary":
        return getattr(graphc, data.draw(st.sampled_from(FLOAT_UNARY if kind == "f" else INT_UNARY)))(x)
    if action == "binary":
        op = data.draw(st.sampled_from(FLOAT_BINARY if kind == "f" else INT_BINARY))
        return getattr(graphc, op)(x, data.draw(partner, label="y"))
    if action == "where":
        y, z = data.draw(partner, label="y"), data.draw(partner, label="z")
        return graphc.where(getattr(graphc, data.draw(st.sampled_from(COMPARE)))(x, y), y, z)
    if action == "reduce":
        op = data.draw(st.sampled_from(REDUCE[kind]))
        axes = None
        if x.ndim:
            axes = tuple(data.draw(st.lists(st.integers(0, x.ndim - 1), min_size=1, max_size=x.ndim,
                                            unique=True)))
        return getattr(graphc, op)(x, axes, keepdims=data.draw(st.booleans()))
    return _view(data, x, bound)


def _view(data, x, bound: list[str]):
    """transpose, slicing with steps (negative on static dims), flip, broadcast_to or reshape of `x`."""
    view = data.draw(st.sampled_from(["transpose", "slice", "flip", "broadcast_to", "reshape"]))
    shape = tuple(x.shape)
    if view == "transpose":
        return graphc.permute(x, tuple(data.draw(st.permutations(range(x.ndim)))))
    if view == "flip":
        return graphc.flip(x, tuple(data.draw(st.lists(st.integers(0, max(x.ndim - 1, 0)), unique=True,
                                                       max_size=x.ndim))) if x.ndim else None)
    if view == "broadcast_to":
        lead = tuple(data.draw(st.lists(st.sampled_from([2, 3, *bound]), max_size=2)))  # symbols inputs bind
        target = lead + tuple(data.draw(st.sampled_from([d, 2, 3])) if d == 1 else d for d in shape)
        return graphc.broadcast_to(x, target)
    if view == "reshape":
        return graphc.reshape(x, (-1,)) if data.draw(st.booleans()) else graphc.unsqueeze(x, 0)
    index = []
    for d in shape:
        if not isinstance(d, int):  # symbolic: a whole range with a positive step
            index.append(slice(None, None, data.draw(st.integers(1, 3))))
        elif d and data.draw(st.integers(0, 4)) == 0:
            index.append(data.draw(st.integers(-d, d - 1)))
        else:
            limit = st.one_of(st.none(), st.integers(-6, 6))
            step = data.draw(st.sampled_from([None, 1, 2, 3, -1, -2, -3]))
            index.append(slice(data.draw(limit), data.draw(limit), step))
    return x[tuple(index)]


def outcome(f, args):
    """`f(*args)`, or the type of the error it raised."""
    try:
        return f(*args)
    except CALL_ERRORS as err:
        return type(err)


def agree_on_drawn_inputs(data, graph: RandomGraph, backend: str = "llvm") -> None:
    """`graph` compiled by `backend` agrees with the NumPy backend on inputs drawn in every
    layout, for each binding of its symbols, and leaves its inputs unwritten."""
    reference = graphc.function(graph.inputs, graph.outputs, backend="numpy")
    tested = graphc.function(graph.inputs, graph.outputs, backend=backend)
    for sizes in graph.bindings:  # one compiled function serves every binding of the symbols
        args = [draw_array(data, x.dtype.numpy, concrete(x.shape, sizes)) for x in graph.inputs]
        copies = [a.copy() for a in args]
        want, got = outcome(reference, args), outcome(tested, args)
        if isinstance(want, type) or isinstance(got, type):  # an empty max, say: both must refuse
            assert got is want, f"the NumPy backend gives {want}, the {backend} backend {got}"
            continue
        # Judged by element, as the fuzzer judges: drawn values (huge ones that cancel, say) can
        # make any fixed tolerance around NumPy's order of summation too tight or too loose.
        allowed = bounds.evaluate_graph(reference.graph_as_built, args)
        for k, (g, w, bound) in enumerate(zip(got, want, allowed)):
            assert_within(w, bound, what=f"output {k} of the NumPy backend")  # else the mirror is wrong
            assert_within(g, bound, what=f"output {k}")
        for a, before in zip(args, copies):
            np.testing.assert_array_equal(a, before)  # inputs are not written


@SETTINGS
@given(data=st.data())
def test_random_graphs_agree_with_the_numpy_backend(data):
    agree_on_drawn_inputs(data, draw_graph(data))


def test_a_sum_whose_order_decides_its_value_is_judged_by_its_range():
    """Of -103.5 (x4), -1e-30 (x2) and +-1.8e308, NumPy's order gives -414.0 and the LLVM
    backend's 0.0: both correct, as a float sum whose sum |x| overflows may be anything. Without
    the huge values the range is tight, and a wrong value fails."""
    x = graphc.placeholder("x0", (2, "m"), dtype=F64)
    y = graphc.round(graphc.sum(x, (1, 0), keepdims=True))
    values = np.array([[-103.5, -103.5, -1e-30, -1e-30], [-103.5, -103.5, 1.797e308, -1.797e308]])
    (allowed,) = bounds.evaluate_graph(graphc.Graph([x], [y]), [values])
    for backend in ("numpy", "llvm"):
        assert_within(graphc.function([x], y, backend)(values), allowed, what=backend)
    values[1, 2:] = 0
    (tight,) = bounds.evaluate_graph(graphc.Graph([x], [y]), [values])
    assert_within(graphc.function([x], y, "llvm")(values), tight)
    assert bounds.check(np.array([[-413.0]]), tight) is not None


@pytest.mark.parametrize("dtype", [F32, F64])
def test_layouts_of_one_graph_agree(dtype):
    """Every layout, as a fixed case: views of one buffer through a fused kernel and a reduction."""
    x = graphc.placeholder("x", ("n", 3), dtype=dtype)
    y = graphc.placeholder("y", (3,), dtype=dtype)
    outs = [graphc.sin(x) * y + 1, graphc.sum(x * y, 1), graphc.max(x + y, 0, keepdims=True),
            graphc.flip(x, 0)[:, ::2] * 2, graphc.exp(x.T)[::-1], graphc.where(x > y, x, y)]
    big = np.linspace(-3, 3, 60, dtype=dtype).reshape(10, 6)
    records = np.zeros(3, [("value", dtype), ("pad", np.int32)])
    records["value"] = [0.5, -1.5, 2.0]
    layouts = [
        (np.ones((4, 3), dtype), np.arange(3, dtype=dtype)),
        (big[::2, ::2], big[0, 1::2]),
        (big[::-3, ::-2], big[-1, ::-2]),
        (np.asfortranarray(big[:4, :3]), records["value"]),
        (np.broadcast_to(np.arange(3, dtype=dtype), (5, 3)), np.broadcast_to(dtype.type(2), (3,))),
        (np.frombuffer(bytearray(dtype.itemsize * 12 + 1), dtype, 12, 1).reshape(4, 3), big[1, :3]),
    ]
    for args in layouts:
        compare_backends([x, y], outs, args)
    compare_backends([x, y], [o for o in outs if o is not outs[2]], (np.zeros((0, 3), dtype), big[0, :3]))


@pytest.mark.parametrize("dtype", [F32, F64])
def test_a_kernel_of_several_outputs_agrees_on_every_layout(dtype):
    """A chain and its gradient fuse into one kernel that writes both (and a mask), in vectors
    with a masked last vector per row, and in the generic loop for other strides."""
    x = graphc.placeholder("x", ("n", "m"), dtype=dtype)
    y = x
    for i in range(9):
        y = graphc.sin(y) if i % 3 == 0 else (y * 1.01 if i % 3 == 1 else y + 0.5)
    outs = [y, graphc.grad(graphc.sum(y), x), y > 0.75]
    f = graphc.function([x], outs, backend="llvm")
    (kernel,) = [n for n in f.executable.layouts]
    assert len(kernel.attr("body").outputs) == 3
    big = np.linspace(-4, 4, 40 * 37, dtype=dtype).reshape(40, 37)
    for args in [(big,), (big[:, :1],), (big[:3, :17],), (big[::2, ::3],), (big[::-1, ::-2],),
                 (np.asfortranarray(big),), (big[:0],)]:
        compare_backends([x], outs, args)


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min", "prod"])
def test_reductions_over_leading_axes_run_along_contiguous_columns(op):
    """sum(x, 0) of a C-ordered x: the column variant keeps one accumulator per output element,
    in vectors along the contiguous kept axis (no gathers); every layout agrees."""
    x = graphc.placeholder("x", ("n", "m", "k"), dtype=F64)
    outs = [getattr(graphc, op)(graphc.exp(x * 0.1), 0), getattr(graphc, op)(x, (0, 1), keepdims=True)]
    f = graphc.function([x], outs, backend="llvm")
    values = np.linspace(-2, 2, 7 * 20 * 300).reshape(7, 20, 300)
    f(values)
    for call in f.executable.kernels.values():
        (plan,) = call.plans.values()
        assert plan.function is call.function("column"), call.name
    layouts = [values, values[:, :, :17], values[::-1, ::3, ::2], np.asfortranarray(values), values[:, :, :1]]
    if op not in ("max", "min"):  # these refuse an empty axis (both backends: random graph tests)
        layouts.append(values[:0])
    for array in layouts:
        compare_backends([x], outs, (array,))


def test_large_outputs_are_written_with_streaming_stores(restore_threads):
    """Outputs past STREAM_MIN_BYTES whose rows start on cache lines take the streaming variant
    (compiled on first use); with threads too, the bits are those of the other loops."""
    x = graphc.placeholder("x", ("n", "m"))
    outs = [graphc.exp(x) * 2.0 + 1.0, graphc.where(x > 0.5, x, -x), graphc.sin(x)]
    f = graphc.function([x], outs, backend="llvm")
    values = np.linspace(-3, 3, 3 * 1024 * 1024, dtype=F32)
    for shape, streams in [((3 * 1024, 1024), True), ((3 * 1024 * 1024 // 1000, 1000), False),
                           ((1, 3 * 1024 * 1024), True)]:
        array = values[:shape[0] * shape[1]].reshape(shape)
        small = [np.concatenate(parts) for parts in zip(*(f(rows) for rows in np.array_split(array, 64)))]
        for threads in (1, 2):
            graphc.set_num_threads(threads)
            got = f(array)
            for g, w in zip(got, small):
                assert g.tobytes() == w.tobytes()
        for call in f.executable.kernels.values():
            assert call.plans[((shape, array.strides),)].stream is streams
    assert "kernel0_stream" in f.executable.deferred_ir("stream")
    compare_backends([x], outs, (values.reshape(3 * 1024, 1024),))


def test_generic_loops_are_compiled_only_when_a_layout_needs_them():
    x = graphc.placeholder("x", ("n",))
    f = graphc.function([x], graphc.exp(x) * 3.0 + 1.0, backend="llvm")
    values = np.linspace(-1, 1, 50, dtype=np.float32)
    before = dict(jit.ENGINE.stats)
    f(values)
    assert "generic" not in f.executable._deferred and jit.ENGINE.stats == before
    np.testing.assert_allclose(f(values[::2]), np.exp(values[::2]) * 3 + 1, rtol=1e-6)
    assert "kernel0_generic" in f.executable.deferred_ir("generic")
    assert sum(jit.ENGINE.stats.values()) > sum(before.values())  # it, and any scalar math it calls


def test_a_reduction_compiles_the_variant_of_c_ordered_operands_first():
    """sum(x, 0) of a C-ordered x runs along columns: that variant is compiled with the graph,
    the rows-innermost one only when a layout (here Fortran order) needs it."""
    x = graphc.placeholder("x", ("n", "m"), F64)
    f = graphc.function([x], graphc.sum(graphc.exp(x * 0.3711), 0), backend="llvm")
    assert "kernel0_column" in f.executable.llvm_ir and "kernel0_vector" not in f.executable.llvm_ir
    values = np.linspace(-1, 1, 24 * 40).reshape(24, 40)
    np.testing.assert_allclose(f(values), np.exp(values * 0.3711).sum(0), rtol=1e-13)
    assert not f.executable._deferred
    np.testing.assert_allclose(f(np.asfortranarray(values)), np.exp(values * 0.3711).sum(0), rtol=1e-13)
    assert "kernel0_vector" in f.executable.deferred_ir("vector")
    rows = graphc.function([x], graphc.sum(graphc.exp(x * 0.3711), 1), backend="llvm")
    assert "kernel0_vector" in rows.executable.llvm_ir and "kernel0_column" not in rows.executable.llvm_ir


def test_huge_modules_are_compiled_by_the_fast_code_generator(monkeypatch):
    monkeypatch.setenv("GRAPHC_CACHE", "off")  # compile here, not load object code
    monkeypatch.setattr(jit, "HUGE_IR_CHARS", 0)  # every module counts as huge
    levels = []
    machine = jit.target_machine

    def spy(opt: int = 3):
        levels.append(opt)
        return machine(opt)

    monkeypatch.setattr(jit, "target_machine", spy)
    x = graphc.placeholder("x", ("n",))
    y = x
    for k in range(9):  # (a constant no other test compiles: not found in memory either)
        y = graphc.sin(y) if k % 3 == 0 else (y * 1.0137 if k % 3 == 1 else y + 0.25)
    f = graphc.function([x], [y, graphc.grad(graphc.sum(y), x)], backend="llvm")
    values = np.linspace(-2, 2, 37, dtype=np.float32)
    got = f(values)
    assert 0 in levels
    expected = graphc.function([x], [y, graphc.grad(graphc.sum(y), x)], backend="numpy")(values)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", ["elementwise", "reduce", "row"])
def test_long_bodies_are_split_into_basic_blocks(monkeypatch, kind):
    """A body's ops go into blocks of BLOCK_OPS; unmerged (a huge module gets no IR pipeline),
    every kind of kernel still computes what NumPy does."""
    monkeypatch.setenv("GRAPHC_CACHE", "off")
    monkeypatch.setattr(jit, "HUGE_IR_CHARS", 0)
    monkeypatch.setattr(body_module, "BLOCK_OPS", 3)
    x = graphc.placeholder("x", ("n", "m"), graphc.float64)
    y = x
    for k in range(11):  # (constants no other test compiles)
        y = graphc.sin(y) if k % 3 == 0 else (y * 1.0173 if k % 3 == 1 else y + 0.2113)
    out = {"elementwise": y, "reduce": graphc.sum(y, 1), "row": graphc.softmax(y, 1)}[kind]
    f = graphc.function([x], out, backend="llvm")
    assert f.emit("llvm").count("\nops") >= 3  # the blocks are there
    values = np.linspace(-2, 2, 7 * 37).reshape(7, 37)
    expected = graphc.function([x], out, backend="numpy")(values)
    np.testing.assert_allclose(f(values), expected, rtol=1e-12)


def test_large_modules_get_the_light_pipeline(monkeypatch):
    """Kernels of ordinary size past LARGE_IR_CHARS in all: the O1 IR pipeline and code
    generator level 1, same results. (A large kernel on its own: test_parallel_compile.py.)"""
    monkeypatch.setenv("GRAPHC_CACHE", "off")
    monkeypatch.setattr(jit, "LARGE_IR_CHARS", 0)
    monkeypatch.setattr(jit, "function_effort", lambda chars: None)  # every function ordinary
    assert jit.effort(10) == (1, 1) and jit.effort(jit.HUGE_IR_CHARS + 1) == (0, 0)
    speeds, levels = [], []
    optimize, machine = jit.optimize, jit.target_machine

    def spy_optimize(text: str, speed: int = 3):
        speeds.append(speed)
        return optimize(text, speed)

    def spy_machine(opt: int = 3):
        levels.append(opt)
        return machine(opt)

    monkeypatch.setattr(jit, "optimize", spy_optimize)
    monkeypatch.setattr(jit, "target_machine", spy_machine)
    x = graphc.placeholder("x", ("n",), graphc.float64)
    y = graphc.exp(x * 0.731) - graphc.tanh(x + 0.319) * x  # (constants no other test compiles)
    f = graphc.function([x], [y, graphc.grad(graphc.sum(y), x)], backend="llvm")
    values = np.linspace(-2, 2, 37)
    got = f(values)
    assert speeds and set(speeds) == {1} and 1 in levels
    expected = graphc.function([x], [y, graphc.grad(graphc.sum(y), x)], backend="numpy")(values)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_zero_dimensional_values_between_kernels():
    """NumPy returns 0-d results (matmul of vectors, argmax) as scalars; kernels read them."""
    v = graphc.placeholder("v", (3,), graphc.float64)
    s = graphc.placeholder("s", (), graphc.float64)
    outs = [graphc.exp(graphc.dot(v, v)) + 1, graphc.cast(graphc.argmax(v), graphc.float64) * 2.5 + v,
            graphc.sum(v) * s, graphc.max(v[1] * s + v)]
    compare_backends([v, s], outs, (np.array([1.0, 2.0, 0.5]), np.array(-3.0)))
    compare_backends([v, s], outs, (np.array([1.0, 2.0, 0.5]), 4.0))


# ------------------------------------------------------------------------------ gradients

def mlp(dtype, batch):
    x = graphc.placeholder("x", (batch, 5), dtype=dtype)
    t = graphc.placeholder("t", (batch, 3), dtype=dtype)
    w1, b1 = graphc.placeholder("w1", (5, 8), dtype=dtype), graphc.placeholder("b1", (8,), dtype=dtype)
    w2, b2 = graphc.placeholder("w2", (8, 3), dtype=dtype), graphc.placeholder("b2", (3,), dtype=dtype)
    logits = graphc.relu(x @ w1 + b1) @ w2 + b2
    return [x, t, w1, b1, w2, b2], logits


def mlp_loss_and_gradients(dtype, batch, loss: str):
    inputs, logits = mlp(dtype, batch)
    x, t, w1, b1, w2, b2 = inputs
    if loss == "cross_entropy":
        value = -graphc.mean(graphc.sum(t * graphc.log_softmax(logits, 1), 1))
    else:
        value = graphc.mean((graphc.softmax(logits, 1) - t) ** 2)
    return inputs, [value, *graphc.grad(value, [x, w1, b1, w2, b2])]


def mlp_arguments(inputs, dtype, batch: int, rng) -> list[np.ndarray]:
    args = [rng.standard_normal(concrete(i.shape, {"batch": batch})).astype(dtype) for i in inputs]
    args[1] = np.abs(args[1]) / np.abs(args[1]).sum(1, keepdims=True)  # targets: distributions
    return args


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("loss", ["cross_entropy", "squared_softmax"])
def test_mlp_gradients_agree(dtype, loss):
    rng = np.random.default_rng(0)
    for batch in (1, 16, 100):
        inputs, outputs = mlp_loss_and_gradients(dtype, batch, loss)
        compare_backends(inputs, outputs, mlp_arguments(inputs, dtype, batch, rng))


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("loss", ["cross_entropy", "squared_softmax"])
def test_mlp_gradients_with_a_symbolic_batch_agree(dtype, loss):
    inputs, outputs = mlp_loss_and_gradients(dtype, "batch", loss)
    rng = np.random.default_rng(0)
    for batch in (1, 16, 100):
        compare_backends(inputs, outputs, mlp_arguments(inputs, dtype, batch, rng))


@pytest.mark.parametrize("dtype", [F32, F64])
def test_elementwise_gradient_agrees(dtype):
    """The benchmark's W2: d/dx sum(sin(x)*cos(x) + exp(-x*x)*0.5 + tanh(x)), forward and backward fused."""
    x = graphc.placeholder("x", ("n",), dtype=dtype)
    y = graphc.sin(x) * graphc.cos(x) + graphc.exp(-x * x) * 0.5 + graphc.tanh(x)
    dx = graphc.grad(graphc.sum(y), x)
    values = np.concatenate([np.linspace(-30, 30, 20001), SPECIALS]).astype(dtype)
    compare_backends([x], [y, dx], [values])


# ------------------------------------------------------------------------------ bad calls

def _bad_calls():
    f32 = np.ones((4, 3), F32)
    return {
        "float64 for float32": ((np.ones((4, 3)), np.ones(4, F32)), TypeError),
        "int32 for float32": ((np.ones((4, 3), I32), np.ones(4, F32)), TypeError),
        "big-endian float32": ((f32.astype(">f4"), np.ones(4, F32)), TypeError),
        "a string": (("abc", np.ones(4, F32)), TypeError),
        "None": ((None, np.ones(4, F32)), TypeError),
        "an object": ((object(), np.ones(4, F32)), TypeError),
        "a ragged list": (([[1.0, 2.0], [3.0]], np.ones(4, F32)), (TypeError, ValueError)),
        "too few arguments": ((f32,), TypeError),
        "no arguments": ((), TypeError),
        "too many arguments": ((f32, np.ones(4, F32), np.ones(4, F32)), TypeError),
        "a static dimension differs": ((np.ones((4, 2), F32), np.ones(4, F32)), ValueError),
        "too few dimensions": ((np.ones(4, F32), np.ones(4, F32)), ValueError),
        "too many dimensions": ((np.ones((4, 3, 1), F32), np.ones(4, F32)), ValueError),
        "n bound to 4 and 5": ((f32, np.ones(5, F32)), ValueError),
        "n bound to 0 and 1": ((np.ones((0, 3), F32), np.ones(1, F32)), ValueError),
    }


@pytest.mark.parametrize("case", sorted(_bad_calls()))
@pytest.mark.parametrize("backend", ["numpy", "llvm"])
def test_bad_calls_raise(case, backend):
    x = graphc.placeholder("x", ("n", 3))
    y = graphc.placeholder("y", ("n",))
    f = graphc.function([x, y], [graphc.exp(x) * y[:, None], graphc.sum(x, 1) + y], backend=backend)
    args, error = _bad_calls()[case]
    with pytest.raises(error):
        f(*args)
    a, b = np.ones((4, 3), F32), np.arange(4, dtype=F32)
    np.testing.assert_allclose(f(a, b)[1], 3 + b)  # the function still works after the bad call


def test_read_only_and_scalar_arguments_are_accepted():
    x = graphc.placeholder("x", (3,))
    s = graphc.placeholder("s", ())
    read_only = np.arange(3, dtype=F32)
    read_only.flags.writeable = False
    compare_backends([x, s], [graphc.exp(x) * s], (read_only, np.float32(2)))
    compare_backends([x, s], [graphc.exp(x) * s], ([1.0, 2.0, 3.0], 2.5))


@pytest.mark.parametrize("backend", ["numpy", "llvm"])
def test_ndarray_subclasses_compute_as_plain_arrays(backend):
    """np.matrix keeps two dimensions (x[:, 0] is 2x1, not 2): it must not change the broadcast."""
    x = graphc.placeholder("x", (2, 3), dtype=F64)
    w = graphc.placeholder("w", (2, 2), dtype=F64)
    f = graphc.function([x, w], [x[:, 0] * w + 1, graphc.exp(x[0])], backend=backend)
    plain = np.array([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]])
    for arg in (np.matrix(plain), plain.view(np.recarray)):
        for got, want in zip(f(arg, np.ones((2, 2))), f(plain, np.ones((2, 2)))):
            assert type(got) is np.ndarray and got.shape == want.shape
            np.testing.assert_array_equal(got, want)
    with pytest.raises(TypeError, match="masked"):  # its mask cannot be honoured: refuse it
        f(np.ma.MaskedArray(plain, mask=plain > 5), np.ones((2, 2)))


# -------------------------------------------------------------------------------- threads

def big_graph():
    x = graphc.placeholder("x", ("n", "m"))
    y = graphc.sin(x) * graphc.cos(x) + graphc.exp(-x * x) * 0.5 + graphc.tanh(x)
    outs = [y, graphc.sum(y, 1), graphc.mean(y, 0), graphc.max(x * 2 - 1, 1), graphc.sum(y)]
    return x, outs


@pytest.fixture
def restore_threads():
    yield
    graphc.set_num_threads(None)


def test_one_thread_and_many_give_identical_bits(restore_threads):
    x, outs = big_graph()
    f = graphc.function([x], outs, backend="llvm")
    a = np.random.default_rng(1).standard_normal((1500, 700)).astype(F32)
    graphc.set_num_threads(1)
    assert graphc.get_num_threads() == 1
    serial = f(a)
    for threads in (2, 3, 8):
        graphc.set_num_threads(threads)
        for got, want in zip(f(a), serial):
            assert got.tobytes() == want.tobytes(), f"{threads} threads differ from one"
    compare_backends([x], outs, [a])


def test_threads_split_by_work_not_only_by_elements(restore_threads):
    """A kernel of many ops per element is worth threads at fewer elements (W7: 665 outputs
    over 65,536 points); a cheap one is not; both give one thread's bits."""
    x = graphc.placeholder("x", ("n",), graphc.float64)
    cheap = graphc.function([x], graphc.exp(x) + 1.0, backend="llvm")
    y, outs = x, []
    for _ in range(30):  # one kernel of 30 outputs and 90 ops
        y = graphc.sin(y) * 0.9 + 0.1
        outs.append(y)
    heavy = graphc.function([x], outs, backend="llvm")
    values = np.linspace(-1, 1, 1 << 16)
    graphc.set_num_threads(1)
    serial = heavy(values)
    graphc.set_num_threads(2)
    for got, want in zip(heavy(values), serial):
        assert got.tobytes() == want.tobytes()
    cheap(values)
    (heavy_call,), (cheap_call,) = heavy.executable.kernels.values(), cheap.executable.kernels.values()
    assert [p.may_split for p in heavy_call.plans.values()] == [True]
    assert [p.may_split for p in cheap_call.plans.values()] == [False]


@pytest.mark.parametrize("gain, splits", [(0.0, False), (float("inf"), True)])
def test_threads_share_a_kernel_only_where_a_measured_split_call_was_faster(
        monkeypatch, restore_threads, gain, splits):
    """The first five calls of a layout decide: split (not timed), then timed, one thread,
    split, one thread, split; later calls split only where the faster split call took under
    SPLIT_GAIN of the faster other. Every call gives one thread's bits."""
    monkeypatch.setattr(runtime, "SPLIT_GAIN", gain)
    shared = []
    run_threads = runtime.KernelCall._run_threads
    monkeypatch.setattr(runtime.KernelCall, "_run_threads",
                        lambda self, *args: shared.append(1) or run_threads(self, *args))
    x = graphc.placeholder("x", ("n",), graphc.float64)
    f = graphc.function([x], graphc.sin(x) * 0.8125 + 1.0625, backend="llvm")
    values = np.linspace(-1, 1, 1 << 18)
    graphc.set_num_threads(2)
    results = [f(values) for _ in range(7)]
    ((plan,),) = [call.plans.values() for call in f.executable.kernels.values()]
    assert plan.may_split and plan.trials == 5 and plan.split is splits
    assert plan.alone > 0 and plan.shared > 0
    assert len(shared) == (5 if splits else 3)  # the first call, two measured ones, the later ones
    expected = np.sin(values) * 0.8125 + 1.0625
    for result in results:
        assert result.tobytes() == results[0].tobytes()
        np.testing.assert_allclose(result, expected, rtol=1e-15)


def test_thread_count_from_the_environment(monkeypatch, restore_threads):
    monkeypatch.setenv("GRAPHC_NUM_THREADS", "3")
    graphc.set_num_threads(None)
    assert graphc.get_num_threads() == 3
    graphc.set_num_threads(2)
    assert graphc.get_num_threads() == 2
    for bad in (0, -1, 1.5, "2"):
        with pytest.raises(ValueError):
            graphc.set_num_threads(bad)
    monkeypatch.setenv("GRAPHC_NUM_THREADS", "zero")
    graphc.set_num_threads(None)
    with pytest.raises(ValueError):
        graphc.get_num_threads()


def test_concurrent_calls_from_eight_threads_agree_with_serial_calls(restore_threads):
    graphc.set_num_threads(2)  # each call may also split its kernels over the pool
    x, outs = big_graph()
    f = graphc.function([x], outs, backend="llvm")
    rng = np.random.default_rng(2)
    inputs = [rng.standard_normal(shape).astype(F32)
              for shape in [(300, 300), (1, 5), (0, 3), (1100, 1000)] * 2]  # the last: pooled
    serial = [f(a) for a in inputs]
    results: dict[int, list] = {}
    errors = []
    start = threading.Barrier(len(inputs))

    def worker(k):
        try:
            start.wait()
            results[k] = [f(inputs[k]) for _ in range(10)]
        except BaseException as err:  # reported below, in the test's thread
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for k, want in enumerate(serial):
        for got in results[k]:
            for g, w in zip(got, want):
                assert g.tobytes() == w.tobytes()


# ---------------------------------------------------------------------------- emitted code

def test_emit_llvm_optimised_llvm_and_assembly():
    x = graphc.placeholder("x", ("n",))
    f = graphc.function([x], graphc.sin(x) * 2.0 + x * x, backend="llvm")
    ir = f.executable.emit("llvm")
    assert re.search(r"^define void @\"?kernel0", ir, re.M), ir[:500]
    optimised = f.executable.emit("llvm-opt")
    assert re.search(r"<\d+ x float>", optimised), "the big elementwise kernel is not vectorised"
    asm = f.executable.emit("asm")
    assert "kernel0" in asm and len(asm.splitlines()) > 20
    assert f.emit("llvm") == ir
    assert "kernel0" in f.executable.emit("python")
    assert "kernel" in f.executable.emit("graph")
    with pytest.raises(ValueError):
        f.executable.emit("cuda")


@pytest.mark.parametrize("dtype", [F32, F64])
def test_sin_and_cos_of_one_value_share_one_call(dtype):
    x = graphc.placeholder("x", ("n",), dtype=dtype)
    outs = [graphc.sin(x) * graphc.cos(x), graphc.cos(x) + 1, graphc.sin(x * 2.0)]
    ir = graphc.function([x], outs, backend="llvm").emit("llvm")
    assert "@\"graphc.math.sincos." in ir and "@\"graphc.math.cos." not in ir
    assert "@\"graphc.math.sin." in ir  # sin(2x) has no cos partner
    values = np.concatenate([np.linspace(-50, 50, 1001), [1e6, -3e7, 1e22, 2.0**-30, 0.0, -0.0,
                                                          np.inf, -np.inf, np.nan]]).astype(dtype)
    for args in [(values,), (values[::-3],)]:  # vector and generic loops
        compare_backends([x], outs, args)


def test_float_products_follow_numpys_order_through_overflow_and_underflow():
    # With reassociation, -inf and tiny factors give NaN or inf depending on the order.
    x = graphc.placeholder("x", (4,))
    fast = graphc.function([x], graphc.prod(x, 0), backend="llvm")
    reference = graphc.function([x], graphc.prod(x, 0), backend="numpy")
    for values in itertools.product([-np.inf, -1e-30, 3e30], repeat=4):
        data = np.array(values, np.float32)
        np.testing.assert_array_equal(fast(data), reference(data), err_msg=str(values))
