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
