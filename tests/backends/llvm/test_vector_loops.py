"""Sizes past the vector width run the explicit vector loops and their scalar remainders.

Each case mixes the operand layouts a vector loop handles differently: contiguous
(vector loads), broadcast (a splatted scalar) and strided (element by element), with
innermost lengths that leave remainders, and checks the result against the NumPy backend.
"""

from __future__ import annotations

import numpy as np
import pytest

import graphc
from tests.backends.agree import compare_backends

LENGTHS = [1, 15, 16, 17, 33, 100]


SPECIALS = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-40]


def data(shape, dtype=np.float32, seed=0):
    """Random values with the special ones spread through them (one per 4 elements at most)."""
    values = np.random.default_rng(seed).standard_normal(shape) * 3
    flat = values.reshape(-1)
    k = min(len(SPECIALS), flat.size // 4)
    flat[np.linspace(0, flat.size - 1, k).astype(int)] = SPECIALS[:k]
    return values.astype(dtype)


@pytest.mark.parametrize("n", LENGTHS)
def test_elementwise_with_contiguous_broadcast_and_strided_operands(n):
    x = graphc.placeholder("x", (3, n))
    row = graphc.placeholder("row", (n,))
    col = graphc.placeholder("col", (3, 1))
    t = graphc.placeholder("t", (n, 3))
    outs = [
        graphc.sin(x) * row + col,              # contiguous, contiguous, broadcast
        graphc.exp(-x * x) * 0.5 + t.T,         # a transposed (strided) operand
        graphc.where(x > row, graphc.tanh(x), graphc.flip(x, 1)),  # a reversed operand
        graphc.maximum(x, 0.25) - graphc.minimum(row, col),
        (x > 0) & (row < 1.0),
        graphc.cast(x * 10.0, graphc.int32) + 7,
    ]
    compare_backends([x, row, col, t], outs,
                     (data((3, n)), data((n,), seed=1), data((3, 1), seed=2), data((n, 3), seed=3)))


@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("dtype", [graphc.float32, graphc.float64, graphc.int64])
def test_reductions_over_the_innermost_and_outer_axes(n, dtype):
    x = graphc.placeholder("x", (4, n), dtype=dtype)
    outs = [graphc.sum(x, 1), graphc.max(x, 1), graphc.min(x, 0), graphc.sum(x * x, 0, keepdims=True),
            graphc.sum(x.T, 1), graphc.max(x)]
    if dtype.is_floating_point:
        outs.append(graphc.mean(x, 1))
    values = data((4, n)) if dtype.is_floating_point else np.arange(4 * n).reshape(4, n) % 11 - 5
    compare_backends([x], outs, (values.astype(dtype.numpy),))


def test_a_long_row_fills_many_vectors():
    x = graphc.placeholder("x", (2, 1000))
    outs = [graphc.sum(graphc.sin(x), 1), graphc.cos(x) * 2.0 - x, graphc.max(graphc.abs(x), 1)]
    compare_backends([x], outs, (data((2, 1000), seed=5),))


@pytest.mark.parametrize("n", [1, 7, 8, 9, 16, 17, 31])
def test_a_kernel_of_mixed_widths_runs_its_lanes_of_the_widest(n):
    """float64 sets a kernel's lanes (one register of them); its float32, int32 and bool
    values run in the same vectors, with the tail masked at that width."""
    x = graphc.placeholder("x", (3, n), dtype=graphc.float64)
    s = graphc.placeholder("s", (n,))
    outs = [graphc.sin(x) * graphc.cast(s, graphc.float64) + 1.0,
            graphc.cast(x, graphc.float32) * s,
            (x > 0.5) | (s < 0.0),
            graphc.cast(x * 100.0, graphc.int32) - 3]
    compare_backends([x, s], outs, (data((3, n), np.float64), data((n,), seed=4)))


def test_lanes_are_one_register_of_the_widest_value():
    from graphc.backends.llvm.kernel import vector_lanes
    from graphc.graph import Graph

    def body(dtype):
        x = graphc.placeholder("x", (8,), dtype=dtype)
        return Graph([x], [x + x])

    assert vector_lanes(512, body(graphc.float64)) == 8
    assert vector_lanes(512, body(graphc.float32)) == 16
    assert vector_lanes(256, body(graphc.int64)) == 4
    assert vector_lanes(512, body(graphc.bool_)) == 16  # narrow values keep 32-bit lanes


def test_an_elementwise_kernel_emits_its_body_once():
    """The last, partial vector runs the same body (masked loads and stores), not a copy."""
    x = graphc.placeholder("x", ("n",))
    f = graphc.function([x], graphc.exp(graphc.sin(x) * 3.0 + x))
    vector = f.emit("llvm").split("define")[1]  # the vector function comes first
    calls = [line.split("@")[1].split(".v")[0] for line in vector.splitlines() if " call " in line
             and "graphc.math." in line]
    assert sorted(calls) == ['"graphc.math.exp', '"graphc.math.sin'], calls
    assert "masked.load" in vector and "masked.store" in vector
    for n in (5, 16, 21):
        xs = data((n,))
        np.testing.assert_allclose(f(xs), np.exp(np.sin(xs) * np.float32(3.0) + xs), rtol=2e-6)


def _chain(x, ops: int):
    y = x
    for k in range(ops):  # (constants no other test compiles)
        y = y * 1.0031 if k % 2 else y + 0.0173
    return y


def _variants_run(f) -> set[str]:
    """The functions of its one kernel that a call of `f` has needed."""
    (call,) = f.executable.kernels.values()
    return set(call._functions)


@pytest.mark.parametrize("layout", ["fortran", "transposed", "every other column"])
def test_a_heavy_kernel_runs_its_vector_loop_on_copies_of_operands_not_in_c_order(layout):
    """The scalar loop would run each of 40 ops a lane at a time: the operand is copied into C
    order and the vector loop runs; a broadcast operand is never copied (nor a cheap kernel's)."""
    x = graphc.placeholder("x", ("m", "k"))
    row = graphc.placeholder("row", ("k",))
    heavy = graphc.function([x, row], _chain(x, 40) * row, backend="llvm")
    base = data((64, 96), seed=3)
    value = {"fortran": np.asfortranarray(base), "transposed": np.ascontiguousarray(base.T).T,
             "every other column": data((64, 192), seed=3)[:, ::2]}[layout]
    bias = data((96,), seed=4)
    np.testing.assert_allclose(heavy(value, bias), _chain(value, 40) * bias, rtol=1e-5)
    assert _variants_run(heavy) == {"vector"}
    cheap = graphc.function([x, row], x * row + 0.25, backend="llvm")
    np.testing.assert_allclose(cheap(value, bias), value * bias + np.float32(0.25), rtol=1e-6)
    assert _variants_run(cheap) == {"generic"}
    # an operand broadcast along its rows (a step of 0) stays as it is: the vector loop takes it
    spread = np.broadcast_to(bias, (64, 96))
    np.testing.assert_allclose(heavy(spread, bias), _chain(spread, 40) * bias, rtol=1e-5)


def test_an_elementwise_kernel_iterates_a_fortran_ordered_operand_in_its_memory_order():
    """Even a cheap kernel runs its vector loop, and its output is laid out as the operand is
    (as NumPy's and PyTorch's are); an all-axes sum of it runs the vector loop too."""
    x = graphc.placeholder("x", ("m", "k"))
    f = graphc.function([x], x * 2.5 + 0.75, backend="llvm")
    total = graphc.function([x], graphc.sum(x), backend="llvm")
    for value in (np.asfortranarray(data((64, 96), seed=5)), data((96, 64), seed=5).T):
        got = f(value)
        np.testing.assert_array_equal(got, value * np.float32(2.5) + np.float32(0.75))
        assert got.flags.f_contiguous and not got.flags.c_contiguous
        np.testing.assert_allclose(total(value), np.sum(value.astype(np.float64)), rtol=1e-5)
    assert _variants_run(f) == {"vector"} and _variants_run(total) == {"vector"}


@pytest.mark.parametrize("axis", [0, 1])
def test_a_reduction_reads_a_strided_operand_through_a_contiguous_copy(axis):
    """A reduction's loops would gather every other element, or add them one at a time: a copy
    of the operand costs less than either, whatever the kernel's ops."""
    x = graphc.placeholder("x", ("m", "k"))
    f = graphc.function([x], graphc.sum(x, axis), backend="llvm")
    value = data((64, 192), seed=6)[:, ::2]
    np.testing.assert_allclose(f(value), value.astype(np.float64).sum(axis), rtol=1e-5)
    ((plan,),) = [call.plans.values() for call in f.executable.kernels.values()]
    assert plan.copies == {0}
