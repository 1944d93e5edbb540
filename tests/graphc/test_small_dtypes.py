"""uint8, int8, int16 and bfloat16: values on the NumPy and LLVM backends against NumPy and
ml_dtypes computed directly, bfloat16 rounding bit for bit, printing and the text format."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

import graphc

BACKENDS = ["numpy", "llvm"]
BF16 = ml_dtypes.bfloat16
INTS = [graphc.uint8, graphc.int8, graphc.int16]


def _ints(dtype: graphc.DType, shape, seed: int) -> np.ndarray:
    info = np.iinfo(dtype.numpy)
    return np.random.default_rng(seed).integers(info.min, info.max, shape, endpoint=True).astype(dtype.numpy)


def _compile(backend, shapes_dtypes, build):
    inputs = [graphc.placeholder(f"x{k}", shape, dtype=dtype)
              for k, (shape, dtype) in enumerate(shapes_dtypes)]
    return graphc.function(inputs, build(*inputs), backend=backend)


INT_CASES = [  # (id, graphc build, NumPy reference on the same arrays)
    ("add wraps", lambda x, y: x + y, np.add),
    ("sub wraps", lambda x, y: x - y, np.subtract),
    ("mul wraps", lambda x, y: x * y, np.multiply),
    ("maximum", graphc.maximum, np.maximum),
    ("minimum", graphc.minimum, np.minimum),
    ("less than", lambda x, y: x < y, np.less),
    ("greater or equal", lambda x, y: x >= y, np.greater_equal),
    ("where", lambda x, y: graphc.where(x > y, x, y), lambda x, y: np.where(x > y, x, y)),
    ("neg, abs, sign", lambda x, y: graphc.abs(-x) + graphc.sign(y), lambda x, y: np.abs(-x) + np.sign(y)),
    ("relu", lambda x, y: graphc.relu(x), lambda x, y: np.maximum(x, 0).astype(x.dtype)),
    ("floor division by a constant", lambda x, y: x // 3, lambda x, y: x // np.array(3, x.dtype)),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", INTS, ids=lambda d: d.name)
@pytest.mark.parametrize("build, reference", [c[1:] for c in INT_CASES], ids=[c[0] for c in INT_CASES])
def test_small_integer_ops_match_numpy_exactly(build, reference, dtype, backend):
    x, y = _ints(dtype, (4, 33), 0), _ints(dtype, (4, 33), 1)  # 33: vector loops and a tail
    got = _compile(backend, [(x.shape, dtype), (y.shape, dtype)], build)(x, y)
    expected = reference(x, y)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", INTS, ids=lambda d: d.name)
def test_small_integer_reductions_match_numpy(dtype, backend):
    x = _ints(dtype, (5, 40), 2)
    f = _compile(backend, [(x.shape, dtype)], lambda t: [t.max(1), t.min(0), t.sum(1), t.argmax(1)])
    for got, expected in zip(f(x), [x.max(1), x.min(0), x.sum(1, dtype=np.int64), x.argmax(1)]):
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("backend", BACKENDS)
def test_casts_between_integer_widths_wrap_and_extend_as_numpy(backend):
    values = np.array([0, 1, 127, -128, -1, 100, -100, 5], np.int8)
    f = _compile(backend, [(values.shape, graphc.int8)],
                 lambda t: [t.byte(), t.int(), t.byte().int(), t.short(), t.float(), t.byte().float()])
    as_uint8 = values.astype(np.uint8)
    expected = [as_uint8, values.astype(np.int32), as_uint8.astype(np.int32),
                values.astype(np.int16), values.astype(np.float32), as_uint8.astype(np.float32)]
    for got, want in zip(f(values), expected, strict=True):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    wide = np.array([300, -300, 70000, 255, 256], np.int32)
    g = _compile(backend, [(wide.shape, graphc.int32)], lambda t: [t.byte(), t.char(), t.short()])
    for got, want in zip(g(wide), [wide.astype(np.uint8), wide.astype(np.int8), wide.astype(np.int16)]):
        np.testing.assert_array_equal(got, want)


# float32 values whose rounding to bfloat16 is delicate: ties (to even), the largest finite,
# overflow to inf, subnormals, signed zeros, inf and NaN.
DELICATE = np.array([1.0, 1.00390625, 1.01171875, 1.0078125 + 2**-20, -1.00390625, 3.389531e38,
                     3.4e38, -3.4e38, 1e-40, -1e-45, 0.0, -0.0, np.inf, -np.inf, 65504.0, 0.1,
                     np.pi, -2.5e-3], np.float32)


@pytest.mark.parametrize("backend", BACKENDS)
def test_float32_to_bfloat16_rounds_to_nearest_even_as_ml_dtypes(backend):
    values = np.concatenate([DELICATE, np.random.default_rng(3).standard_normal(45).astype(np.float32) * 1e3])
    got = _compile(backend, [(values.shape, graphc.float32)], lambda t: t.bfloat16())(values)
    expected = values.astype(BF16)
    assert got.dtype == BF16
    np.testing.assert_array_equal(got.view(np.uint16), expected.view(np.uint16))
    to_bf16 = _compile(backend, [((2,), graphc.float32)], lambda t: t.bfloat16())
    nan = to_bf16(np.array([np.nan, -np.nan], np.float32))
    assert np.isnan(nan.astype(np.float32)).all()


def _bf16(shape, seed: int, scale: float = 3.0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(BF16)


BF16_CASES = [  # (id, graphc build, reference in float32, rounded to bfloat16 after each op)
    ("add", lambda x, y: x + y, lambda x, y: _r(x + y)),
    ("mul then add a constant", lambda x, y: x * y + 0.1, lambda x, y: _r(_r(x * y) + _r(np.float32(0.1)))),
    ("division", lambda x, y: x / y, lambda x, y: _r(x / y)),
    ("exp of a product", lambda x, y: graphc.exp(x * 0.5), lambda x, y: _r(np.exp(_r(x * 0.5)))),
    ("sin and cos", lambda x, y: graphc.sin(x) * graphc.cos(y),
     lambda x, y: _r(_r(np.sin(x)) * _r(np.cos(y)))),
    ("tanh", lambda x, y: graphc.tanh(x), lambda x, y: _r(np.tanh(x))),
    ("maximum", graphc.maximum, lambda x, y: _r(np.maximum(x, y))),
    ("with float32 it is float32", lambda x, y: x + y.float(), lambda x, y: x + y),
]


def _r(values) -> np.ndarray:
    """float32 values rounded to bfloat16 and back (what each bfloat16 op stores)."""
    return np.asarray(values, np.float32).astype(BF16).astype(np.float32)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("build, reference", [c[1:] for c in BF16_CASES], ids=[c[0] for c in BF16_CASES])
def test_bfloat16_ops_compute_in_float32_and_round_after_each(build, reference, backend):
    x, y = _bf16((3, 37), 4), _bf16((3, 37), 5)
    out = _compile(backend, [(x.shape, graphc.bfloat16), (y.shape, graphc.bfloat16)], build)(x, y)
    expected = reference(x.astype(np.float32), y.astype(np.float32))
    got = out.astype(np.float32)
    # transcendental functions may differ by a float32 ulp before rounding: one bfloat16 ulp apart
    np.testing.assert_allclose(got, expected, rtol=2**-7, atol=1e-30)
    if out.dtype == BF16:
        exact = np.mean(got == expected)
        assert exact > 0.95, f"only {exact:.0%} of the elements are the correctly rounded result"


@pytest.mark.parametrize("backend", BACKENDS)
def test_bfloat16_reductions_accumulate_in_float32_at_least(backend):
    ones = np.ones((3, 1000), BF16)  # a bfloat16 accumulator would stop at 256
    f = _compile(backend, [(ones.shape, graphc.bfloat16)], lambda t: [t.sum(1), t.mean(1), t.max(0)])
    total, mean, largest = f(ones)
    assert total.dtype == BF16 and mean.dtype == BF16
    np.testing.assert_array_equal(total.astype(np.float32), [1000.0] * 3)
    np.testing.assert_array_equal(mean.astype(np.float32), [1.0] * 3)
    np.testing.assert_array_equal(largest, np.ones(1000, BF16))
    x = _bf16((4, 50), 6)
    s = _compile(backend, [(x.shape, graphc.bfloat16)], lambda t: t.sum(1))(x)
    np.testing.assert_allclose(s.astype(np.float32), _r(x.astype(np.float64).sum(1)), rtol=2**-7, atol=2**-7)


@pytest.mark.parametrize("backend", BACKENDS)
def test_bfloat16_matmul_and_softmax(backend):
    a, b = _bf16((4, 30), 7, 1.0), _bf16((30, 5), 8, 1.0)
    f = _compile(backend, [(a.shape, graphc.bfloat16), (b.shape, graphc.bfloat16)],
                 lambda x, y: [x @ y, graphc.softmax(x, 1)])
    product, soft = f(a, b)
    assert product.dtype == BF16 and soft.dtype == BF16
    exact = a.astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_allclose(product.astype(np.float32), exact, rtol=2**-7, atol=2**-7)
    e = np.exp(a.astype(np.float64) - a.astype(np.float64).max(1, keepdims=True))
    np.testing.assert_allclose(soft.astype(np.float32), e / e.sum(1, keepdims=True), rtol=2**-6, atol=2**-8)


def test_bfloat16_gradients_flow_through_a_graph():
    x = graphc.tensor(np.array([0.5, -1.25, 2.0], BF16), requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.dtype is graphc.bfloat16
    np.testing.assert_array_equal(x.grad.numpy().astype(np.float32), [1.0, -2.5, 4.0])


def test_tensor_methods_and_printing_follow_pytorch():
    t = graphc.tensor([1.5, -2.25, 300.7])
    assert repr(t.bfloat16()) == "tensor([  1.5000,  -2.2500, 300.0000], dtype=graphc.bfloat16)"
    assert repr(t.char()) == "tensor([ 1, -2, 44], dtype=graphc.int8)"
    assert repr(graphc.tensor([1, 255], dtype=graphc.uint8)) == "tensor([  1, 255], dtype=graphc.uint8)"
    assert repr(graphc.tensor([7]).short()) == "tensor([7], dtype=graphc.int16)"
    assert t.byte().dtype is graphc.uint8 and graphc.tensor([True]).byte().tolist() == [1]
    np.testing.assert_array_equal(graphc.tensor([1.0, 2.0]).bfloat16().numpy(), np.array([1.0, 2.0], BF16))


@pytest.mark.parametrize("dtype, value", [(graphc.uint8, 3), (graphc.int8, -3), (graphc.int16, 300),
                                          (graphc.bfloat16, 1.5)], ids=lambda v: str(v))
def test_text_format_round_trips_the_new_dtypes(dtype, value):
    x = graphc.placeholder("x", (3,), dtype=dtype)
    const = graphc.tensor(np.array([value, value, 0], dtype.numpy))
    out = (x + const) * value
    f = graphc.function([x], out, backend="numpy")
    text = str(f.graph)
    assert f" {dtype.short}[3]" in text
    assert str(graphc.parse(text)) == text
    arg = np.array([1, 2, 3], dtype.numpy)
    np.testing.assert_array_equal(graphc.function([x], out)(arg), f(arg))


def test_unknown_dtype_in_the_text_format_lists_the_known_ones():
    with pytest.raises(graphc.ParseError, match="bf16"):
        graphc.parse("graph(%x: u16[3]) {\n  return %x\n}")


@pytest.mark.parametrize("backend", BACKENDS)
def test_cast_true_converts_floats_to_a_bfloat16_input_and_back(backend):
    x = graphc.placeholder("x", (3,), dtype=graphc.bfloat16)
    f = graphc.function([x], x * 2, backend=backend, cast=True)
    got = f(np.array([1.5, 2.0, 1.00390625], np.float32))  # the last rounds to 1.0 (a tie, to even)
    np.testing.assert_array_equal(got, np.array([3.0, 4.0, 2.0], BF16))
    with pytest.raises(TypeError, match="bfloat16"):
        graphc.function([x], x * 2, backend=backend)(np.ones(3, np.float32))
    y = graphc.placeholder("y", (3,), dtype=graphc.float32)
    back = graphc.function([y], y + 1, backend=backend, cast=True)(np.array([1.5, 2.0, 3.0], BF16))
    np.testing.assert_array_equal(back, np.array([2.5, 3.0, 4.0], np.float32))
