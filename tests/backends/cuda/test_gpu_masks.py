"""On a GPU (skipped without one): boolean-mask selection (`nonzero`, whose count the
driver reads back to size the output) agrees with the NumPy backend, and with NumPy itself,
for empty, all-false, all-true and random masks over several blocks, with gradients."""

from __future__ import annotations

import numpy as np
import pytest

import graphc as gc
from graphc.backends.cuda import runtime
from tests.backends.agree import compare_backends

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not runtime.is_available(), reason="no CUDA GPU here")]


@pytest.mark.parametrize("n", [0, 1, 31, 257, 5000])
def test_selection_by_a_mask_and_its_gradient_agree(n):
    rng = np.random.default_rng(n)
    x = gc.placeholder("x", ("n", 3), gc.float32)
    r = gc.placeholder("r", ("n",), gc.float32)
    loss = gc.sum(x[x > 0] ** 2)
    outs = [x[x > 0], gc.nonzero(x > 0.5), x[r > 0], gc.masked_select(x, r[:, None] < 0), loss,
            gc.grad(loss, x), x[x > 0] * 2 + 1]
    a = rng.standard_normal((n, 3)).astype(np.float32)
    for rv in (rng.standard_normal(n), -np.ones(n), np.ones(n)):
        rv = rv.astype(np.float32)
        want = compare_backends([x, r], outs, [a, rv], backend="cuda")
        np.testing.assert_array_equal(want[0], a[a > 0])
        np.testing.assert_array_equal(want[1], np.argwhere(a > 0.5))
        np.testing.assert_array_equal(want[2], a[rv > 0])


def test_a_large_mask_keeps_row_major_order():
    x = gc.placeholder("x", ("n", "m"), gc.int64)
    a = np.random.default_rng(0).integers(0, 3, (700, 900))
    want = compare_backends([x], [gc.nonzero(x), x[x == 2]], [a], backend="cuda")
    np.testing.assert_array_equal(want[0], np.argwhere(a))
