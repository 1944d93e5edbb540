"""The element-wise tolerance model: exact where NumPy is exact, ulp and summation-order bounds
where it is not, wild where an error may cross a discontinuity."""

from __future__ import annotations

import numpy as np

from graphc.testing import bounds
from graphc.testing.tolerance import MAX_ULP

F32 = np.float32


def _inexact(values, ulps: int = 1) -> bounds.Bounded:
    """Values known only to within `ulps` ulp each way."""
    exact = bounds.exact(np.array(values, F32))
    lo, hi = bounds.widen(exact.lo, exact.hi, ulps)
    return bounds.Bounded(exact.value, lo, hi, exact.wild)


def test_exact_ops_on_exact_operands_must_match_bit_for_bit():
    x = bounds.exact(np.array([1.5, -0.0, 3.0], F32))
    y = bounds.elementwise("add", x, bounds.constant(0.0, F32))
    assert y.exact.all()
    assert bounds.check(np.array([1.5, 0.0, 3.0], F32), y) is None
    one_ulp_off = np.nextafter(np.float32(1.5), np.float32(2))
    assert "differ" in bounds.check(np.array([one_ulp_off, 0.0, 3.0], F32), y)
    assert "dtype" in bounds.check(np.array([1.5, 0.0, 3.0], np.float64), y)


def test_a_transcendental_function_may_be_a_few_ulp_off():
    x = bounds.exact(np.array([0.5, 2.0], F32))
    y = bounds.elementwise("exp", x)
    near = np.nextafter(y.value, np.float32(np.inf))
    for _ in range(MAX_ULP - 1):
        near = np.nextafter(near, np.float32(np.inf))
    assert bounds.check(near, y) is None
    far = y.value * np.float32(1 + 1e-4)
    assert bounds.check(far, y) is not None


def test_a_sum_may_differ_by_the_summation_order_bound():
    values = np.array([1e8, 1.0, -1e8, 1.0], F32)
    y = bounds.reduce_sum(bounds.exact(values), (0,), False)
    # NumPy's pairwise sum and an exact sum differ by far more than an ulp of the result
    assert bounds.check(np.array(2.0, F32), y) is None
    assert bounds.check(np.array(1e3, F32), y) is not None  # but not by more than n eps sum|x|


def test_a_comparison_of_approximate_values_is_free_only_where_they_are_close():
    a = _inexact([1.0, 1.0, 5.0])
    b = bounds.exact(np.array([1.0, 2.0, 1.0], F32))
    less = bounds.elementwise("lt", a, b)
    np.testing.assert_array_equal(less.wild | (less.lo != less.hi), [True, False, False])
    assert bounds.check(np.array([True, True, False]), less) is None
    assert bounds.check(np.array([False, False, False]), less) is not None


def test_division_by_an_approximate_zero_may_give_anything():
    x = bounds.exact(np.array([1.0], F32))
    zero = bounds.Bounded(np.array([0.0], F32), np.array([-1e-30], F32), np.array([1e-30], F32),
                          np.array([False]))
    assert bounds.elementwise("div", x, zero).wild.all()


def test_max_of_both_zeros_may_give_either_sign():
    y = bounds.reduce_extreme(bounds.exact(np.array([0.0, -0.0], F32)), (0,), False, largest=True)
    assert bounds.check(np.array(-0.0, F32), y) is None
    assert bounds.check(np.array(0.0, F32), y) is None
    z = bounds.reduce_extreme(bounds.exact(np.array([0.0, 0.0], F32)), (0,), False, largest=True)
    assert bounds.check(np.array(-0.0, F32), z) is not None


def test_nan_and_infinities_must_be_where_numpy_puts_them():
    y = bounds.elementwise("exp", bounds.exact(np.array([np.nan, np.inf, -np.inf], F32)))
    assert bounds.check(np.array([np.nan, np.inf, 0.0], F32), y) is None
    assert bounds.check(np.array([0.0, np.inf, 0.0], F32), y) is not None


def test_a_partial_product_that_may_overflow_in_some_order_is_wild():
    values = np.array([1e30, 1e30, 1e-30, 1e-30], F32)
    y = bounds.reduce_prod(bounds.exact(values), (0,), False)
    assert y.wild.all()
    small = bounds.reduce_prod(bounds.exact(np.array([2.0, 3.0], F32)), (0,), False)
    assert not small.wild.any()


def test_a_matrix_product_is_bounded_per_element():
    a = bounds.exact(np.array([[1e8, 1.0], [2.0, 3.0]], F32))
    b = bounds.exact(np.array([[1.0], [1.0]], F32))
    y = bounds.matmul(a, b)
    assert bounds.check(y.value, y) is None
    assert bounds.check(y.value + np.array([[0.0], [1.0]], F32), y) is not None


def test_an_exact_element_stays_exact_beside_an_approximate_one():
    approximate = _inexact([1.0, 2.0])
    mixed = bounds.Bounded(approximate.value, np.array([1.0, approximate.lo[1]], F32),
                           np.array([1.0, approximate.hi[1]], F32), approximate.wild)
    y = bounds.elementwise("add", mixed, bounds.constant(1.0, F32))
    assert y.exact.tolist() == [True, False]


def test_a_product_of_approximate_values_is_bounded_relatively():
    y = bounds.reduce_prod(_inexact([2.0, 3.0]), (0,), False)
    assert not y.wild.any() and bounds.check(np.array(6.0, F32), y) is None
    assert bounds.check(np.array(6.01, F32), y) is not None
    assert bounds.reduce_prod(_inexact([0.0, 3.0]), (0,), False).wild.all()
