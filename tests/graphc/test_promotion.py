"""Result dtypes follow PyTorch: each case below is what PyTorch gives (`torch.` -> `graphc.`).

Every case is checked three ways: the dtype graphc declares at build time, the dtype of
a compiled function's result, and the dtype of the eagerly evaluated tensor.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

import graphc

bool_, i32, i64, f16, f32, f64 = (graphc.bool, graphc.int32, graphc.int64, graphc.float16,
                                  graphc.float32, graphc.float64)
u8, i8, i16, bf16 = graphc.uint8, graphc.int8, graphc.int16, graphc.bfloat16
VECTOR, SCALAR = (3,), ()  # a tensor with a dimension, and a zero-dimensional one

# (id, operands as (dtype, shape), build, PyTorch's result dtype)
CASES = [
    # Python scalars take part only when their category is higher
    ("int64 + python float", [(i64, VECTOR)], lambda x: x + 2.5, f32),
    ("int32 + python int", [(i32, VECTOR)], lambda x: x + 2, i32),
    ("int32 + python bool", [(i32, VECTOR)], lambda x: x + True, i32),
    ("python int - int32", [(i32, VECTOR)], lambda x: 7 - x, i32),
    ("float64 * python int", [(f64, VECTOR)], lambda x: x * 2, f64),
    ("float16 + python float", [(f16, VECTOR)], lambda x: x + 2.5, f16),
    ("0-d int32 + python float", [(i32, SCALAR)], lambda x: x + 2.5, f32),
    ("0-d float64 + python float", [(f64, SCALAR)], lambda x: x + 2.5, f64),
    ("0-d int32 + python int", [(i32, SCALAR)], lambda x: x + 2, i32),
    # bool promotes
    ("bool + python int", [(bool_, VECTOR)], lambda x: x + 1, i64),
    ("bool + python float", [(bool_, VECTOR)], lambda x: x + 1.5, f32),
    ("bool + python bool", [(bool_, VECTOR)], lambda x: x + True, bool_),
    ("bool * bool", [(bool_, VECTOR), (bool_, VECTOR)], lambda x, y: x * y, bool_),
    ("bool + int32", [(bool_, VECTOR), (i32, VECTOR)], lambda x, y: x + y, i32),
    ("bool + 0-d int32", [(bool_, VECTOR), (i32, SCALAR)], lambda x, y: x + y, i32),
    ("bool + 0-d float64", [(bool_, VECTOR), (f64, SCALAR)], lambda x, y: x + y, f64),
    # tensors with dimensions promote among themselves
    ("float32 + float64", [(f32, VECTOR), (f64, VECTOR)], lambda x, y: x + y, f64),
    ("int32 + int64", [(i32, VECTOR), (i64, VECTOR)], lambda x, y: x + y, i64),
    ("int64 + float32", [(i64, VECTOR), (f32, VECTOR)], lambda x, y: x + y, f32),
    ("int64 + float16", [(i64, VECTOR), (f16, VECTOR)], lambda x, y: x + y, f16),
    # zero-dimensional tensors count only when their category is higher
    ("int32 + 0-d int64", [(i32, VECTOR), (i64, SCALAR)], lambda x, y: x + y, i32),
    ("float32 + 0-d float64", [(f32, VECTOR), (f64, SCALAR)], lambda x, y: x + y, f32),
    ("float16 + 0-d float64", [(f16, VECTOR), (f64, SCALAR)], lambda x, y: x * y, f16),
    ("int32 + 0-d float64", [(i32, VECTOR), (f64, SCALAR)], lambda x, y: x + y, f64),
    ("0-d int64 + 0-d int32", [(i64, SCALAR), (i32, SCALAR)], lambda x, y: x + y, i64),
    ("0-d float32 + 0-d float64", [(f32, SCALAR), (f64, SCALAR)], lambda x, y: x - y, f64),
    # division and powers
    ("int32 / int32", [(i32, VECTOR), (i32, VECTOR)], lambda x, y: x / y, f32),
    ("int64 / python int", [(i64, VECTOR)], lambda x: x / 2, f32),
    ("bool / bool", [(bool_, VECTOR), (bool_, VECTOR)], lambda x, y: x / y, f32),
    ("float64 / python int", [(f64, VECTOR)], lambda x: x / 2, f64),
    ("int32 // python int", [(i32, VECTOR)], lambda x: x // 2, i32),
    ("int32 % python int", [(i32, VECTOR)], lambda x: x % 2, i32),
    ("int64 // float32", [(i64, VECTOR), (f32, VECTOR)], lambda x, y: x // y, f32),
    ("int32 ** python int", [(i32, VECTOR)], lambda x: x ** 2, i32),
    ("int32 ** python float", [(i32, VECTOR)], lambda x: x ** 0.5, f32),
    ("python int ** int32", [(i32, VECTOR)], lambda x: 2 ** x, i32),
    ("python float ** int32", [(i32, VECTOR)], lambda x: 2.5 ** x, f32),
    ("atan2 of ints", [(i32, VECTOR), (i64, VECTOR)], graphc.atan2, f32),
    ("maximum of int32 and 0-d float64", [(i32, VECTOR), (f64, SCALAR)], graphc.maximum, f64),
    # comparisons and logic give bool
    ("int32 == python float", [(i32, VECTOR)], lambda x: x == 2.5, bool_),
    ("float64 < int32", [(f64, VECTOR), (i32, VECTOR)], lambda x, y: x < y, bool_),
    ("logical_and of floats", [(f32, VECTOR), (f64, VECTOR)], graphc.logical_and, bool_),
    ("logical_not of int", [(i64, VECTOR)], graphc.logical_not, bool_),
    # where promotes its two values, not the condition
    ("where int32, 0-d float64", [(bool_, VECTOR), (i32, VECTOR), (f64, SCALAR)], graphc.where, f64),
    ("where int32, python float", [(bool_, VECTOR), (i32, VECTOR)], lambda c, x: graphc.where(c, x, 2.5),
     f32),
    ("where int32, python int", [(bool_, VECTOR), (i32, VECTOR)], lambda c, x: graphc.where(c, x, 2), i32),
    # joins and products
    ("cat int32, float64", [(i32, VECTOR), (f64, VECTOR)], lambda x, y: graphc.cat([x, y]), f64),
    ("cat int32, int64", [(i32, VECTOR), (i64, VECTOR)], lambda x, y: graphc.cat([x, y]), i64),
    ("stack bool, int32", [(bool_, VECTOR), (i32, VECTOR)], lambda x, y: graphc.stack([x, y]), i32),
    ("matmul int32", [(i32, (2, 3)), (i32, (3, 2))], graphc.matmul, i32),
    ("matmul float32, float64", [(f32, (2, 3)), (f64, (3,))], graphc.matmul, f64),
    # float-only functions compute integers and bools in float32
    ("sin of int32", [(i32, VECTOR)], graphc.sin, f32),
    ("sin of int64", [(i64, VECTOR)], graphc.sin, f32),
    ("sin of bool", [(bool_, VECTOR)], graphc.sin, f32),
    ("sin of float64", [(f64, VECTOR)], graphc.sin, f64),
    ("exp of int64", [(i64, VECTOR)], graphc.exp, f32),
    ("sqrt of int32", [(i32, VECTOR)], graphc.sqrt, f32),
    ("sigmoid of int32", [(i32, VECTOR)], graphc.sigmoid, f32),
    ("softmax of int64", [(i64, VECTOR)], graphc.softmax, f32),
    ("softmax of float64", [(f64, VECTOR)], graphc.softmax, f64),
    ("log_softmax of float32", [(f32, VECTOR)], graphc.log_softmax, f32),
    ("logsumexp of float64", [(f64, VECTOR)], graphc.logsumexp, f64),
    # the others keep the dtype
    ("neg of int32", [(i32, VECTOR)], graphc.neg, i32),
    ("abs of int64", [(i64, VECTOR)], graphc.abs, i64),
    ("floor of int32", [(i32, VECTOR)], graphc.floor, i32),
    ("relu of int32", [(i32, VECTOR)], graphc.relu, i32),
    # reductions: sums and products of integers and bools are int64; arg-reductions int64
    ("sum of int32", [(i32, VECTOR)], graphc.sum, i64),
    ("sum of int32 over an axis", [(i32, (2, 3))], lambda x: graphc.sum(x, 0), i64),
    ("sum of bool", [(bool_, VECTOR)], graphc.sum, i64),
    ("sum of float32", [(f32, VECTOR)], graphc.sum, f32),
    ("sum of float64", [(f64, VECTOR)], graphc.sum, f64),
    ("prod of int32", [(i32, VECTOR)], graphc.prod, i64),
    ("prod of bool", [(bool_, VECTOR)], graphc.prod, i64),
    ("max of int32", [(i32, VECTOR)], graphc.max, i32),
    ("min of bool", [(bool_, VECTOR)], graphc.min, bool_),
    ("mean of float64", [(f64, VECTOR)], graphc.mean, f64),
    ("argmax of float32", [(f32, VECTOR)], graphc.argmax, i64),
    ("argmin of int32 over an axis", [(i32, (2, 3))], lambda x: graphc.argmin(x, 0), i64),
    # creation
    ("zeros_like of int32", [(i32, VECTOR)], graphc.zeros_like, i32),
    ("full_like of bool", [(bool_, VECTOR)], lambda x: graphc.full_like(x, 1), bool_),
    ("cast to float64", [(i32, VECTOR)], lambda x: x.to(graphc.float64), f64),
    ("x.long()", [(f32, VECTOR)], lambda x: x.long(), i64),
    # small integers: uint8 and a signed type meet in a signed type that holds both
    ("uint8 + int8", [(u8, VECTOR), (i8, VECTOR)], lambda x, y: x + y, i16),
    ("int8 * uint8", [(i8, VECTOR), (u8, VECTOR)], lambda x, y: x * y, i16),
    ("uint8 + int16", [(u8, VECTOR), (i16, VECTOR)], lambda x, y: x + y, i16),
    ("uint8 + int32", [(u8, VECTOR), (i32, VECTOR)], lambda x, y: x + y, i32),
    ("int8 + int16", [(i8, VECTOR), (i16, VECTOR)], lambda x, y: x + y, i16),
    ("int8 + int64", [(i8, VECTOR), (i64, VECTOR)], lambda x, y: x + y, i64),
    ("bool + uint8", [(bool_, VECTOR), (u8, VECTOR)], lambda x, y: x + y, u8),
    ("uint8 + python int", [(u8, VECTOR)], lambda x: x + 2, u8),
    ("int8 - python int", [(i8, VECTOR)], lambda x: x - 2, i8),
    ("uint8 + python float", [(u8, VECTOR)], lambda x: x + 2.5, f32),
    ("uint8 + 0-d int64", [(u8, VECTOR), (i64, SCALAR)], lambda x, y: x + y, u8),
    ("0-d uint8 + 0-d int8", [(u8, SCALAR), (i8, SCALAR)], lambda x, y: x + y, i16),
    ("uint8 / uint8", [(u8, VECTOR), (u8, VECTOR)], lambda x, y: x / y, f32),
    ("int8 // python int", [(i8, VECTOR)], lambda x: x // 2, i8),
    ("uint8 > int8", [(u8, VECTOR), (i8, VECTOR)], lambda x, y: x > y, bool_),
    ("sum of uint8", [(u8, VECTOR)], graphc.sum, i64),
    ("sum of int8", [(i8, VECTOR)], graphc.sum, i64),
    ("max of uint8", [(u8, VECTOR)], graphc.max, u8),
    ("sin of int8", [(i8, VECTOR)], graphc.sin, f32),
    ("abs of int16", [(i16, VECTOR)], graphc.abs, i16),
    ("cat uint8, int8", [(u8, VECTOR), (i8, VECTOR)], lambda x, y: graphc.cat([x, y]), i16),
    ("matmul uint8", [(u8, (2, 3)), (u8, (3, 2))], graphc.matmul, u8),
    ("x.char()", [(f32, VECTOR)], lambda x: x.char(), i8),
    ("x.byte()", [(i64, VECTOR)], lambda x: x.byte(), u8),
    ("x.short()", [(u8, VECTOR)], lambda x: x.short(), i16),
    # bfloat16: floating, so it wins over integers; with float16 (neither holds the other) float32
    ("bfloat16 + float16", [(bf16, VECTOR), (f16, VECTOR)], lambda x, y: x + y, f32),
    ("bfloat16 + float32", [(bf16, VECTOR), (f32, VECTOR)], lambda x, y: x + y, f32),
    ("int64 + bfloat16", [(i64, VECTOR), (bf16, VECTOR)], lambda x, y: x + y, bf16),
    ("uint8 * bfloat16", [(u8, VECTOR), (bf16, VECTOR)], lambda x, y: x * y, bf16),
    ("bfloat16 + python float", [(bf16, VECTOR)], lambda x: x + 2.5, bf16),
    ("bfloat16 * python int", [(bf16, VECTOR)], lambda x: x * 2, bf16),
    ("bfloat16 + 0-d float64", [(bf16, VECTOR), (f64, SCALAR)], lambda x, y: x + y, bf16),
    ("int8 + 0-d bfloat16", [(i8, VECTOR), (bf16, SCALAR)], lambda x, y: x + y, bf16),
    ("0-d bfloat16 + 0-d float16", [(bf16, SCALAR), (f16, SCALAR)], lambda x, y: x + y, f32),
    ("int32 / bfloat16", [(i32, VECTOR), (bf16, VECTOR)], lambda x, y: x / y, bf16),
    ("sin of bfloat16", [(bf16, VECTOR)], graphc.sin, bf16),
    ("sum of bfloat16", [(bf16, VECTOR)], graphc.sum, bf16),
    ("mean of bfloat16", [(bf16, (2, 3))], lambda x: graphc.mean(x, 1), bf16),
    ("softmax of bfloat16", [(bf16, VECTOR)], graphc.softmax, bf16),
    ("matmul bfloat16", [(bf16, (2, 3)), (bf16, (3, 2))], graphc.matmul, bf16),
    ("where bfloat16, int8", [(bool_, VECTOR), (bf16, VECTOR), (i8, VECTOR)], graphc.where, bf16),
    ("x.bfloat16()", [(f64, VECTOR)], lambda x: x.bfloat16(), bf16),
    ("x.half()", [(u8, VECTOR)], lambda x: x.half(), f16),
]

CREATION = [
    ("tensor of ints", lambda: graphc.tensor([1, 2]), i64),
    ("tensor of floats", lambda: graphc.tensor([1.0, 2.0]), f32),
    ("tensor of bools", lambda: graphc.tensor([True, False]), bool_),
    ("tensor of ints and floats", lambda: graphc.tensor([1, 2.5]), f32),
    ("tensor of bools and ints", lambda: graphc.tensor([True, 2]), i64),
    ("tensor of an int", lambda: graphc.tensor(3), i64),
    ("tensor of a float", lambda: graphc.tensor(3.0), f32),
    ("tensor with a dtype", lambda: graphc.tensor([1, 2], dtype=graphc.float64), f64),
    ("tensor of an int32 array", lambda: graphc.tensor(np.array([1], np.int32)), i32),
    ("tensor of a float64 array", lambda: graphc.tensor(np.array([1.0])), f64),
    ("tensor of a 0-d float64 array", lambda: graphc.tensor(np.array(1.0)), f64),
    ("tensor of a NumPy float64 scalar", lambda: graphc.tensor(np.float64(1.0)), f64),
    ("tensor of a NumPy int32 scalar", lambda: graphc.tensor(np.int32(1)), i32),
    ("from_numpy of float64", lambda: graphc.from_numpy(np.array([1.0])), f64),
    ("from_numpy of int32", lambda: graphc.from_numpy(np.array([1], np.int32)), i32),
    ("full of an int", lambda: graphc.full((2,), 1), i64),
    ("full of a float", lambda: graphc.full((2,), 1.0), f32),
    ("full of a bool", lambda: graphc.full((2,), True), bool_),
    ("zeros", lambda: graphc.zeros(2), f32),
    ("ones with a dtype", lambda: graphc.ones(2, dtype=graphc.int32), i32),
    ("arange of ints", lambda: graphc.arange(5), i64),
    ("arange of floats", lambda: graphc.arange(0.0, 1.0, 0.5), f32),
    ("arange with a float step", lambda: graphc.arange(0, 5, 0.5), f32),
    ("eye", lambda: graphc.eye(2), f32),
    ("tensor of a uint8 array", lambda: graphc.tensor(np.array([1], np.uint8)), u8),
    ("tensor of an int8 array", lambda: graphc.tensor(np.array([1], np.int8)), i8),
    ("tensor of a bfloat16 array", lambda: graphc.tensor(np.array([1.5], ml_dtypes.bfloat16)), bf16),
    ("tensor with dtype uint8", lambda: graphc.tensor([1, 255], dtype=graphc.uint8), u8),
    ("tensor with dtype bfloat16", lambda: graphc.tensor([1.0, 2.5], dtype=graphc.bfloat16), bf16),
    ("zeros of bfloat16", lambda: graphc.zeros(2, dtype=graphc.bfloat16), bf16),
    ("arange of int8", lambda: graphc.arange(5, dtype=graphc.int8), i8),
    ("tensor + tensor of a float", lambda: graphc.tensor([1, 2]) + graphc.tensor(0.5), f32),
]


def operand_values(dtype: graphc.DType, shape) -> np.ndarray:
    return np.asarray(np.arange(int(np.prod(shape))).reshape(shape) % 3 + 1, dtype=dtype.numpy)


@pytest.mark.parametrize("operands, build, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_result_dtype_follows_pytorch(operands, build, expected):
    arrays = [operand_values(dtype, shape) for dtype, shape in operands]
    inputs = [graphc.placeholder(f"x{k}", a.shape, dtype=a.dtype) for k, a in enumerate(arrays)]
    out = build(*inputs)
    assert out.dtype is expected, f"graphc declares {out.dtype}, PyTorch gives {expected}"
    assert graphc.function(inputs, out)(*arrays).dtype == expected.numpy

    eager = build(*(graphc.tensor(a) for a in arrays))
    assert eager.dtype is expected
    assert eager.numpy().dtype == expected.numpy


@pytest.mark.parametrize("build, expected", [c[1:] for c in CREATION], ids=[c[0] for c in CREATION])
def test_created_dtype_follows_pytorch(build, expected):
    out = build()
    assert out.dtype is expected
    assert out.numpy().dtype == expected.numpy


def test_tensor_with_a_dtype_converts_python_values_once():
    values = [1e-100, 1.0, -1e200, 0.1]
    np.testing.assert_array_equal(graphc.tensor(values, dtype=graphc.float64).numpy(), np.array(values))
    assert graphc.tensor([2**53 + 1], dtype=graphc.int64).item() == 2**53 + 1
    assert graphc.tensor([1.7, -1.7], dtype=graphc.int32).tolist() == [1, -1]


def test_promotion_does_not_round_a_scalar_before_an_op():
    # int32 + 2**31 cannot be int32: PyTorch refuses it rather than wrapping around
    with pytest.raises(OverflowError):
        graphc.tensor([1], dtype=graphc.int32) + 2**31
    assert graphc.tensor([1], dtype=graphc.int32).add(2**31 - 2).item() == 2**31 - 1


def test_promotion_table_of_every_pair_of_tensor_dtypes():
    """The whole table among graphc's dtypes, written out as PyTorch's torch.promote_types gives it."""
    order = [bool_, u8, i8, i16, i32, i64, f16, bf16, f32, f64]
    # row dtype promoted with column dtype, in `order`
    table = """
        bool u8  i8  i16 i32 i64 f16 bf16 f32 f64
        u8   u8  i16 i16 i32 i64 f16 bf16 f32 f64
        i8   i16 i8  i16 i32 i64 f16 bf16 f32 f64
        i16  i16 i16 i16 i32 i64 f16 bf16 f32 f64
        i32  i32 i32 i32 i32 i64 f16 bf16 f32 f64
        i64  i64 i64 i64 i64 i64 f16 bf16 f32 f64
        f16  f16 f16 f16 f16 f16 f16 f32  f32 f64
        bf16 bf16 bf16 bf16 bf16 bf16 f32 bf16 f32 f64
        f32  f32 f32 f32 f32 f32 f32 f32  f32 f64
        f64  f64 f64 f64 f64 f64 f64 f64  f64 f64
    """
    rows = [line.split() for line in table.strip().splitlines()]
    for a, row in zip(order, rows, strict=True):
        for b, name in zip(order, row, strict=True):
            assert graphc.dtypes.promote(a, b) is graphc.dtypes.from_name(name), (a, b)
