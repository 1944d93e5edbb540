"""Row kernels (graphc/rows.py) on the LLVM backend against the NumPy backend.

Each graph must fuse into a kind="row" kernel (checked), and run it over the layouts and row
lengths its loops treat differently: whole vectors and a masked tail, empty rows, several row
axes, transposed, reversed and broadcast operands, and rows split across threads.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import graphc
from graphc.backends import buffers
from graphc.backends.llvm import runtime
from graphc.backends.llvm.kernel import row
from graphc.backends.llvm.kernel.layout import STASH_ROW_BYTES
from graphc.threads import get_num_threads, set_num_threads
from tests.backends.agree import assert_agree, precision
from tests.backends.llvm.test_backend import SETTINGS
from tests.backends.llvm.test_vector_loops import data

LENGTHS = [1, 15, 16, 17, 100]


def softmax(x, axis=-1):
    e = graphc.exp(x - graphc.max(x, axis, keepdims=True))
    return e / graphc.sum(e, axis, keepdims=True)


def log_softmax(x):
    shifted = x - graphc.max(x, -1, keepdims=True)
    return shifted - graphc.log(graphc.sum(graphc.exp(shifted), -1, keepdims=True))


def layer_norm(x, axis=-1):
    centred = x - graphc.mean(x, axis, keepdims=True)
    return centred / graphc.sqrt(graphc.mean(centred * centred, axis, keepdims=True) + 1e-5)


def agree(inputs, output, args, kernels: int = 1):
    """Compile `output` on both backends; the LLVM one runs `kernels` row kernels; they agree."""
    reference = graphc.function(inputs, output, backend="numpy")
    llvm = graphc.function(inputs, output, backend="llvm")
    assert llvm.source.count('kind="row"') == kernels, llvm.source
    with np.errstate(all="ignore"):
        want = reference(*args)
    assert_agree(llvm(*args), want, precision(reference.graph))
    return llvm


@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("dtype", [graphc.float32, graphc.float64])
@pytest.mark.parametrize("f", [softmax, log_softmax, layer_norm], ids=lambda f: f.__name__)
def test_row_functions_agree(f, dtype, n):
    x = graphc.placeholder("x", (5, n), dtype=dtype)
    agree([x], f(x), [data((5, n), dtype.numpy)], kernels=int(n > 1))  # rows of 1: nothing to reduce


@pytest.mark.parametrize("n", LENGTHS)
def test_operand_layouts(n):
    x = graphc.placeholder("x", (n, 6))  # read transposed: strided rows
    y = graphc.placeholder("y", (3, n))
    col = graphc.placeholder("col", (3, 1))
    row = graphc.placeholder("row", (n,))
    args = [data((n, 6)), data((3, n), seed=1), data((3, 1), seed=2), data((n,), seed=3)]
    rows = int(n > 1)  # rows of one element: no row kernel
    agree([x], softmax(x.T), args[:1], rows)
    flipped = graphc.flip(y, 1)
    agree([y, col], graphc.max(flipped, 1, keepdims=True) * col - flipped, args[1:3], rows)
    # a broadcast row operand, and a per-row value computed from an input once per row
    agree([y, col, row], layer_norm(y * row) * graphc.exp(col), args[1:], rows)
    agree([y, col], y * graphc.exp(col), args[1:3], rows)


def test_several_row_axes_and_a_batch():
    x = graphc.placeholder("x", (2, 3, 4, 17))
    args = [data((2, 3, 4, 17))]
    agree([x], x - graphc.max(x, (2, 3), keepdims=True), args)
    agree([x], layer_norm(x, -1), args)


def test_integer_and_boolean_rows():
    x = graphc.placeholder("x", (4, 19), dtype=graphc.int64)
    values = np.arange(4 * 19).reshape(4, 19) % 13 - 6
    agree([x], x - graphc.min(x, 1, keepdims=True) + graphc.sum(x, 1, keepdims=True), [values])
    f = graphc.placeholder("f", (4, 19))
    # exp is read by two passes; no output of its dtype can keep it: the kernel outputs it too
    e = graphc.exp(f)
    fn = agree([f], e > graphc.mean(e, 1, keepdims=True), [data((4, 19))])
    assert "(bool[4, 19], f32[4, 19])" in fn.source


def test_expensive_values_are_computed_once_and_read_back():
    x = graphc.placeholder("x", (3, 40))
    fn = agree([x], softmax(x), [data((3, 40))])
    (spec,) = fn.executable.layouts.values()
    computed = [n.op for step in spec.schedule.passes for n in step.computed]
    assert computed.count("exp") == 1 and computed.count("sub") == 1
    assert [(n.op, home.op) for n, home in spec.schedule.homes.items()] == [("exp", "div")]
    assert len(spec.outputs) == 1  # exp lives in the result's memory until the result is written


def test_a_kernel_of_several_passes():
    x = graphc.placeholder("x", (6, 33))
    s = softmax(x)
    agree([x], s - graphc.max(s, 1, keepdims=True) * graphc.sum(s * x, 1, keepdims=True), [data((6, 33))])


def test_empty_rows_and_no_rows():
    x = graphc.placeholder("x", ("n", "m"))
    for shape in [(0, 5), (3, 0), (0, 0)]:
        agree([x], x - graphc.mean(x, 1, keepdims=True), [np.ones(shape, np.float32)])
    reference = graphc.function([x], softmax(x), backend="numpy")
    llvm = graphc.function([x], softmax(x), backend="llvm")
    np.testing.assert_array_equal(llvm(np.ones((0, 4), np.float32)), reference(np.ones((0, 4), np.float32)))
    with pytest.raises(ValueError):
        reference(np.ones((2, 0), np.float32))
    with pytest.raises(ValueError, match=r"max of an empty axis .*created at .*test_row_kernels"):
        llvm(np.ones((2, 0), np.float32))


def test_threads_give_the_same_bits():
    x = graphc.placeholder("x", (1024, 300))
    fn = graphc.function([x], layer_norm(softmax(x)))
    xs = data((1024, 300), seed=7)
    before = get_num_threads()
    try:
        set_num_threads(1)
        one = fn(xs)
        set_num_threads(4)
        np.testing.assert_array_equal(fn(xs), one)
    finally:
        set_num_threads(before)


REDUCE = ["sum", "mean", "max", "min"]
# Positive values in, positive values out: no cancellation, so a float sum accumulated in
# another order (ours in float64, NumPy's pairwise in float32) stays within a few ulp.
UNARY = {"sqrt": graphc.sqrt, "tanh": graphc.tanh, "abs": graphc.abs, "exp(-a)": lambda a: graphc.exp(-a)}
BINARY = ["add", "mul", "div", "maximum", "minimum"]


@SETTINGS
@given(data=st.data())
def test_random_row_graphs_agree(data):
    """Chains over one matrix where reductions along the rows feed elementwise ops."""
    dtype = data.draw(st.sampled_from([graphc.float32, graphc.float64]))
    rows, length = data.draw(st.integers(1, 4)), data.draw(st.sampled_from([1, 3, 16, 17, 40]))
    x = graphc.placeholder("x", (rows, length), dtype=dtype)
    full, per_row = [x], []
    for _ in range(data.draw(st.integers(2, 8))):
        action = data.draw(st.sampled_from(["reduce", "unary", "binary", "binary"]))
        a = data.draw(st.sampled_from(full))
        if action == "reduce":
            per_row.append(getattr(graphc, data.draw(st.sampled_from(REDUCE)))(a, 1, keepdims=True))
        elif action == "unary":
            full.append(UNARY[data.draw(st.sampled_from(sorted(UNARY)))](a))
        else:
            b = data.draw(st.sampled_from(full + per_row))
            full.append(getattr(graphc, data.draw(st.sampled_from(BINARY)))(a, b))
    output = full[-1] if len(full) > 1 else x * 2.0
    rng = np.random.default_rng(data.draw(st.integers(0, 9)))
    args = [rng.uniform(0.25, 2.0, (rows, length)).astype(dtype.numpy)]
    reference = graphc.function([x], output, backend="numpy")
    llvm = graphc.function([x], output, backend="llvm")
    with np.errstate(all="ignore"):
        want = reference(*args)
    tolerance = 1e-5 if dtype is graphc.float32 else None  # a few ulp over a chain of 8 ops
    assert_agree(llvm(*args), want, precision(reference.graph), rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("f", [softmax, layer_norm], ids=lambda f: f.__name__)
def test_gradients_are_one_row_kernel(f):
    """simplify drops the broadcasts autodiff adds (the op broadcasts anyway), so the backward
    pass of a row function fuses with its forward pass into one kernel."""
    x, t = graphc.placeholder("x", ("n", 33)), graphc.placeholder("t", ("n", 33))
    y = f(x)
    agree([x, t], graphc.grad(graphc.sum((y - t) * (y - t)), x), [data((7, 33)), data((7, 33), seed=1)])


def test_a_chain_of_reductions_costs_linear_work():
    """Each pass would recompute the cheap chain below it (quadratic work): a value is computed
    by two passes at most, then stashed (here, all in the result's memory)."""
    x = graphc.placeholder("x", (6, 37))
    y = x
    for _ in range(12):
        y = y - graphc.max(y, -1, keepdims=True) * 0.5
    fn = agree([x], y, [data((6, 37))])
    (spec,) = fn.executable.layouts.values()
    assert len(spec.schedule.passes) == 13
    assert sum(len(step.computed) for step in spec.schedule.passes) <= 2 * 2 * 12
    assert spec.schedule.unhomed == [] and len(spec.outputs) == 1


def test_a_broadcast_value_of_as_many_elements_is_recomputed_not_stashed():
    """With a zero-size row, exp(v) of shape (0,) fuses into the (2, 0) kernel (as many
    elements); no output can hold it, so it is computed again (found by fuzzing)."""
    x, v = graphc.placeholder("x", (2, 0)), graphc.placeholder("v", (0,))
    z = x + graphc.exp(v)
    args = [np.zeros((2, 0), np.float32), np.zeros(0, np.float32)]
    agree([x, v], z - graphc.sum(z, -1, keepdims=True), args)


def _variants(f) -> list[tuple[bool, bool]]:
    """Per plan of each kernel of `f`: whether it may stream, and whether the stream variant ran."""
    return [(plan.stream, "stream" in call._functions)
            for call in f.executable.kernels.values() for plan in call.plans.values()]


def stream_agrees(monkeypatch, inputs, outputs, args, streams: bool, kernels: int = 1):
    """`outputs` take the stream variant of their row kernels where `streams`, with one thread
    and two, and give the bits of the vector variant (the same function planned without it)."""
    plain = graphc.function(inputs, outputs, backend="llvm")
    with monkeypatch.context() as patch:
        patch.setattr(runtime, "STREAM_MIN_BYTES", 1 << 62)
        want = plain(*args)
    assert _variants(plain) == [(False, False)] * kernels
    f = graphc.function(inputs, outputs, backend="llvm")
    assert f.source.count('kind="row"') == kernels, f.source
    before = get_num_threads()
    try:
        for threads in (1, 2):
            set_num_threads(threads)
            got = f(*args)
            for g, w in zip(*(r if isinstance(r, list) else [r] for r in (got, want)), strict=True):
                assert g.tobytes() == w.tobytes()
    finally:
        set_num_threads(before)
    assert _variants(f) == [(streams, streams)] * kernels


BIG = 8 << 20  # bytes of output from which the stream variant is taken (runtime.STREAM_MIN_BYTES)


@pytest.mark.parametrize("f", [softmax, log_softmax, layer_norm], ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [graphc.float32, graphc.float64])
def test_large_row_outputs_are_streamed(monkeypatch, f, dtype):
    """Rows on cache lines with outputs past STREAM_MIN_BYTES take the stream variant (stashes on
    the stack, outputs past the caches), symbolic sizes too; the bits are the vector variant's."""
    x = graphc.placeholder("x", ("n", "m"), dtype=dtype)
    rows = BIG // (1024 * dtype.numpy.itemsize)
    stream_agrees(monkeypatch, [x], f(x), [data((rows, 1024), dtype.numpy)], streams=True)


@pytest.mark.parametrize("f, length, streams", [
    (softmax, 4096, True),  # a stash of a row fills its STASH_ROW_BYTES buffer
    (softmax, 8192, False),  # past it
    (layer_norm, 8192, True),  # stashes nothing: rows of any length
    (layer_norm, 1000, False),  # rows do not start on cache lines
])
def test_rows_too_long_for_the_stack_or_misaligned_are_not_streamed(monkeypatch, f, length, streams):
    assert STASH_ROW_BYTES == 4096 * 4
    x = graphc.placeholder("x", ("n", "m"))
    stream_agrees(monkeypatch, [x], f(x), [data((BIG // (4 * length) + 1, length))], streams)


@pytest.mark.parametrize("f, streams", [(layer_norm, True), (softmax, False)], ids=["layer_norm", "softmax"])
def test_one_long_row_is_streamed_where_nothing_is_stashed(monkeypatch, f, streams):
    """A 1-d row kernel's row is the whole array (odd length: a masked tail)."""
    x = graphc.placeholder("x", ("n",))
    stream_agrees(monkeypatch, [x], f(x, 0), [data((BIG // 4 + 3,))], streams)


def test_several_outputs_and_row_axes_are_streamed(monkeypatch):
    """Outputs of one kernel: one (`e`) that the last pass reads back is stored through the
    caches, the others streamed (two kernels: the second one's); rows of two axes."""
    x = graphc.placeholder("x", ("n", "m"))
    e = graphc.exp(x - graphc.max(x, -1, keepdims=True))
    s = e / graphc.sum(e, -1, keepdims=True)
    stream_agrees(monkeypatch, [x], [s, e, layer_norm(x) * 2.0, s * s - 1.0],
                  [data((BIG // 4096, 1024))], streams=True, kernels=2)
    y = graphc.placeholder("y", ("b", "n", "m"))
    stream_agrees(monkeypatch, [y], layer_norm(y, (1, 2)), [data((64, 32, 1024))], streams=True)


@pytest.mark.parametrize("shape, axis, dtype", [
    ((1003,), 0, graphc.float32),  # one row: whole vectors, then a masked tail
    ((7, 48), -1, graphc.float32),  # two chains of vectors, then one more
    ((5, 24), -1, graphc.float64),
    ((4, 6, 32), (1, 2), graphc.float32),  # a stash's place in a row of two axes
])
def test_small_rows_stream_through_the_stack(monkeypatch, shape, axis, dtype):
    """With the thresholds lowered, the stream variant's stack stashes and masked tails on
    small shapes."""
    monkeypatch.setattr(buffers, "MIN_BYTES", 0)  # (pooled outputs start on cache lines)
    monkeypatch.setattr(runtime, "STREAM_MIN_BYTES", 0)
    x = graphc.placeholder("x", shape, dtype=dtype)
    e = graphc.exp(x - graphc.max(x, axis, keepdims=True))
    stream_agrees(monkeypatch, [x], [e / graphc.sum(e, axis, keepdims=True), e * 3.0],
                  [data(shape, dtype.numpy)], streams=True)


@pytest.mark.parametrize("n", [*LENGTHS, 4096, 4097])
def test_a_sum_across_math_calls_is_read_back_from_the_stack(monkeypatch, n):
    """log-softmax's pass 2 stores exp(x - max) in a buffer on the stack (rows of up to 4096
    float32 elements) and sums it in a loop of its own: the bits of summing in the pass itself
    (as it does for longer rows); in the generic loops too (strided rows)."""
    x = graphc.placeholder("x", ("k", n))
    layouts = [data((9, n), seed=3), data((n, 9), seed=3).T]
    with monkeypatch.context() as patch:  # the reductions of calling passes accumulated in place
        patch.setattr(row, "_read_back", lambda step: [])
        plain = graphc.function([x], log_softmax(x), backend="llvm")
        wants = [plain(a) for a in layouts]
    for a, want in zip(layouts, wants):
        f = agree([x], log_softmax(x), [a], kernels=int(n > 1))
        assert f(a).tobytes() == want.tobytes()
    assert ("alloca [4096 x float]" in f.executable.llvm_ir) == (n > 1)


@pytest.mark.parametrize("n", [7, 4096, 5000, 200_000])
def test_a_value_read_back_by_one_pass_and_stored_by_a_later_one_stays_in_bounds(n):
    """Pass 1 reads `z` back from a scratch buffer on the stack (it calls exp); pass 2 stores
    `z` at its home for pass 3. Pass 2 wrote into the 16 KiB scratch buffer for any row length
    before (found in review: rows of 200,000 crashed the process)."""
    x = graphc.placeholder("x", ("k", "n"), graphc.float32)
    z = x * 2
    m = graphc.max(z, -1, keepdims=True)
    out = (z - m - graphc.log(graphc.sum(graphc.exp(z - m), -1, keepdims=True))
           + graphc.sum(graphc.exp(x), -1, keepdims=True))
    agree([x], out, [np.random.default_rng(n).uniform(-1, 1, (2, n)).astype(np.float32)])
