"""Regression tests of the reliability issue's findings (each failed before its fix)."""

import warnings

import mpmath
import numpy as np
import pytest

import graphc
from graphc.shapes import symbol

BACKENDS = ["numpy", "llvm"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_output_returned_twice_is_two_arrays(backend):
    x = graphc.placeholder("x", shape=(3,))
    first, second = graphc.function([x], [x * 2, x * 2], backend=backend)(np.ones(3, np.float32))
    first[0] = 99
    np.testing.assert_array_equal(second, [2, 2, 2])
    f = graphc.function([x], [graphc.exp(x), x, graphc.exp(x)], backend=backend)
    y, z, w = f(np.zeros(3, np.float32))
    assert not np.shares_memory(y, w) and not np.shares_memory(y, z)


PASS_THROUGHS = {  # ops whose lowering hands back their operand's array: (op, shape, dtype)
    "a 0-d pad": (lambda y: graphc.pad(y, ()), (), graphc.float32),
    "a 0-d stop_gradient": (graphc.stop_gradient, (), graphc.float32),
    "stop_gradient": (graphc.stop_gradient, (3,), graphc.float32),
    "the floor of an int": (graphc.floor, (3,), graphc.int32),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("op, shape, dtype", PASS_THROUGHS.values(), ids=PASS_THROUGHS.keys())
def test_an_output_and_its_pass_through_are_two_arrays(backend, op, shape, dtype):
    x = graphc.placeholder("x", shape=shape, dtype=dtype)
    y = x * 2
    for outputs in ([op(y), y], [y, op(y)], [op(y), op(y) + 0, y]):
        got = graphc.function([x], outputs, backend=backend, passes="")(np.ones(shape, dtype.numpy))
        for i, a in enumerate(got):
            assert all(not np.shares_memory(a, b) for b in got[i + 1:]), [o.op for o in outputs]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("passes", ["", "-O1"])
def test_a_float_sum_over_no_axes_adds_to_positive_zero_as_numpy(backend, passes):
    x = graphc.placeholder("x", shape=())
    for reduce, expected in ((graphc.sum, np.sum), (graphc.mean, np.mean)):
        result = graphc.function([x], reduce(x), backend=backend, passes=passes)(np.float32(-0.0))
        want = expected(np.float32(-0.0))
        assert result == want and np.signbit(result) == np.signbit(want)
    result = graphc.function([x], graphc.max(x), backend=backend, passes=passes)(np.float32(-0.0))
    assert np.signbit(result)  # max has no identity to add: -0.0 stays


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_mean_of_no_elements_is_nan_without_a_warning(backend):
    m = graphc.placeholder("m", shape=("n", 2))
    f = graphc.function([m], [graphc.mean(m, 0), graphc.mean(m)], backend=backend)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        column, whole = f(np.zeros((0, 2), np.float32))
    assert np.isnan(column).all() and column.shape == (2,) and np.isnan(whole)


@pytest.mark.parametrize("bad", [[float("nan")], [1.0, float("inf")], [-float("inf")]])
def test_a_non_finite_float_does_not_become_an_integer_tensor(bad):
    with pytest.raises(ValueError, match=r"cannot convert a non-finite float .* to int32"):
        graphc.tensor(bad, dtype=graphc.int32)


def test_a_float_out_of_the_integer_range_raises():
    with pytest.raises(OverflowError, match=r"value 3000000000\.0 cannot be converted to int32"):
        graphc.tensor([1.0, 3e9], dtype=graphc.int32)
    assert graphc.tensor([2147483647.0], dtype=graphc.int64).tolist() == [2147483647]
    assert graphc.tensor([-2.5], dtype=graphc.int32).tolist() == [-2]  # truncation, as torch


def test_inputs_given_by_name_refuse_a_name_two_inputs_share(tmp_path, capsys):
    from graphc.cli import main

    path = tmp_path / "twice.gir"
    path.write_text('graph(%a: f32[2], %a_1: f32[2] {name="a"}) {\n  %0 = add %a, %a_1 : f32[2]\n'
                    "  return %0\n}\n")
    assert main(["run", str(path), "--inputs", "a=[1, 2]"]) == 1
    assert "several inputs named 'a'" in capsys.readouterr().err


SPECIAL_FLOATS = [np.nan, np.inf, -np.inf, 3e9, -3e9, 1e30, 2147483647.0, 2147483648.0, -2147483649.0,
                  9.3e18, -9.3e18, -2.5, 2.5, -0.0, 1e-30]


@pytest.mark.parametrize("source", [graphc.float32, graphc.float64])
@pytest.mark.parametrize("target", [graphc.int32, graphc.int64])
@pytest.mark.parametrize("size", [len(SPECIAL_FLOATS), 67])  # scalar loop; vectors and a tail
def test_casting_non_finite_and_out_of_range_floats_to_integers_gives_numpys_result(source, target, size):
    x = graphc.placeholder("x", (size,), source)
    values = np.resize(np.array(SPECIAL_FLOATS, source.numpy), size)
    results = [graphc.function([x], graphc.cast(x, target), backend=b)(values) for b in BACKENDS]
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(results[0], values.astype(target.numpy))
    np.testing.assert_array_equal(results[1], results[0])


def test_the_issue_s_cast_of_a_division_by_zero_agrees():
    x, y = graphc.placeholder("x", (3,)), graphc.placeholder("y", (3,), graphc.int32)
    out = graphc.minimum(y, graphc.cast(x / 0.0, graphc.int32))
    args = np.array([1, -1, 0], np.float32), np.array([5, 5, 5], np.int32)
    got = [graphc.function([x, y], out, backend=b)(*args) for b in BACKENDS]
    np.testing.assert_array_equal(got[0], [np.iinfo(np.int32).min] * 3)
    np.testing.assert_array_equal(got[1], got[0])


def test_a_row_kernel_reading_sin_and_cos_of_a_row_value_compiles():
    # logsumexp's gradient broadcast back over rows: sin and cos of one per-row value share
    # one sincos call, and both must reach the row's later passes (was a KeyError).
    x = graphc.placeholder("x", ("n", 4))
    lse = graphc.broadcast_to(graphc.logsumexp(x, 1, keepdims=True), ("n", 4))
    gradient = graphc.grad(graphc.sum(lse * graphc.sin(lse)), x)
    values = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    want = graphc.function([x], gradient, backend="numpy")(values)
    got = graphc.function([x], gradient, backend="llvm")(values)
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6)


SIGMOID_TAILS = {  # inputs whose sigmoid is subnormal (or nearly) in the dtype
    "float16": [-10.0, -16.0, -17.0, 0.5],
    "float32": [-88.0, -90.0, -100.0, -103.0, -104.0, 0.5],
    "float64": [-700.0, -710.0, -720.0, -744.0, 0.5],
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", SIGMOID_TAILS)
def test_sigmoid_keeps_its_dtype_and_the_subnormal_values_of_its_tail(backend, dtype):
    values = np.array(SIGMOID_TAILS[dtype], dtype)
    exact = np.array([float(1 / (1 + mpmath.exp(-mpmath.mpf(float(v))))) for v in values]).astype(dtype)
    x = graphc.placeholder("x", shape=values.shape, dtype=getattr(graphc, dtype))
    got = graphc.function([x], graphc.sigmoid(x), backend=backend)(values)
    assert got.dtype == values.dtype
    np.testing.assert_array_max_ulp(got, exact, maxulp=2)


SYMBOLIC_SLICES = [slice(1, -1), slice(1, None), slice(None, -1), slice(-3, None), slice(None, 5),
                   slice(2, 5), slice(-5, -2), slice(3, 3), slice(4, 1), slice(None, None, 2)]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("index", SYMBOLIC_SLICES, ids=str)
def test_a_slice_of_a_symbolic_size_has_numpys_length_at_every_size(backend, index):
    x = graphc.placeholder("x", shape=("m", 2), dtype=graphc.float64)
    y = x[index]
    loss = graphc.sum(graphc.sin(y) * y)
    # (max, min and abs as values too: the generated code must not shadow the builtins that
    # compute the sizes, `max(0, m - 2)`)
    outputs = [y, graphc.zeros_like(y) + 1, graphc.max(x, 1), graphc.min(x, 1), graphc.abs(x)]
    outputs += [] if index.step else list(graphc.grad(loss, [x]))
    f = graphc.function([x], outputs, backend=backend)
    for m in range(8):
        a = np.random.default_rng(m).uniform(-1, 1, (m, 2))
        got = f(a)
        want = a[index]
        np.testing.assert_array_equal(got[0], want)
        assert got[1].shape == want.shape  # built from the type's size, not from the slice
        length = y.node.shape[0]
        assert (length if isinstance(length, int) else int(length.subs(symbol("m"), m))) == want.shape[0]
        if not index.step:
            grad = np.zeros_like(a)
            grad[index] = np.cos(want) * want + np.sin(want)
            np.testing.assert_allclose(got[5], grad, rtol=1e-12)
        np.testing.assert_array_equal(got[2], a.max(1, initial=-np.inf))
        np.testing.assert_array_equal(got[4], np.abs(a))


@pytest.mark.parametrize("index", [slice(None, None, 2**31), slice(2**40, None), slice(-(2**33), 3, 2**20),
                                   slice(None, None, -(2**31))])
def test_a_slice_with_huge_bounds_of_a_symbolic_size_is_typed_at_once_and_exact(index):
    # (the type's length was found by checking sizes up to the bounds' magnitudes: 2**31 of them)
    x = graphc.placeholder("x", ("m",), graphc.float64)
    f = graphc.function([x], x[index], backend="numpy")
    for m in (0, 1, 5):
        a = np.arange(m, dtype=np.float64)
        np.testing.assert_array_equal(f(a), a[index])
