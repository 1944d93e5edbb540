"""Element types, their NumPy counterparts, and PyTorch's type-promotion rules."""

from __future__ import annotations

from dataclasses import dataclass

import ml_dtypes
import numpy as np


@dataclass(frozen=True, eq=False)
class DType:
    """An element type. Instances are singletons, so identity is equality."""

    name: str  # "float32"
    short: str  # "f32", used by the text IR
    numpy: np.dtype
    category: int  # 0 bool, 1 integer, 2 floating

    @property
    def is_floating_point(self) -> bool:
        return self.category == 2

    @property
    def itemsize(self) -> int:
        return self.numpy.itemsize

    def __repr__(self) -> str:
        return f"graphc.{self.name}"

    def __reduce__(self):
        return (from_name, (self.name,))


bool_ = DType("bool", "bool", np.dtype(np.bool_), 0)
uint8 = DType("uint8", "u8", np.dtype(np.uint8), 1)
int8 = DType("int8", "i8", np.dtype(np.int8), 1)
int16 = DType("int16", "i16", np.dtype(np.int16), 1)
int32 = DType("int32", "i32", np.dtype(np.int32), 1)
int64 = DType("int64", "i64", np.dtype(np.int64), 1)
float16 = DType("float16", "f16", np.dtype(np.float16), 2)
bfloat16 = DType("bfloat16", "bf16", np.dtype(ml_dtypes.bfloat16), 2)  # NumPy's through ml_dtypes
float32 = DType("float32", "f32", np.dtype(np.float32), 2)
float64 = DType("float64", "f64", np.dtype(np.float64), 2)

ALL: tuple[DType, ...] = (bool_, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64)
_BY_NAME = {d.name: d for d in ALL} | {d.short: d for d in ALL}
_BY_NUMPY = {d.numpy: d for d in ALL}
SHORT: tuple[str, ...] = tuple(d.short for d in ALL)  # the text IR's names: bool, u8, i8, ..., f64
SHORT_NAMES = ", ".join(SHORT)

DEFAULT_FLOAT = float32
DEFAULT_INT = int64


def from_name(name: str) -> DType:
    """Look a dtype up by its long (`float32`) or short (`f32`) name."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown dtype {name!r}; expected one of {sorted(_BY_NAME)}") from None


def from_numpy(dtype) -> DType:
    """The graphc dtype for a NumPy dtype; raises TypeError for unsupported ones."""
    np_dtype = np.dtype(dtype)
    try:
        return _BY_NUMPY[np_dtype]
    except KeyError:
        supported = ", ".join(d.name for d in ALL)
        raise TypeError(f"unsupported NumPy dtype {np_dtype}; graphc supports {supported}") from None


def is_floating_numpy(dtype) -> bool:
    """True for NumPy's floating dtypes and ml_dtypes' bfloat16 (whose NumPy kind is "V")."""
    np_dtype = np.dtype(dtype)
    return np_dtype.kind == "f" or np_dtype == bfloat16.numpy


def as_dtype(value) -> DType:
    """Accept a DType, a name, a NumPy dtype or a Python type and return a DType."""
    if isinstance(value, DType):
        return value
    if isinstance(value, str):
        return from_name(value)
    if value is bool:
        return bool_
    if value is int:
        return DEFAULT_INT
    if value is float:
        return DEFAULT_FLOAT
    return from_numpy(value)


def promote(a: DType, b: DType) -> DType:
    """The smallest dtype both `a` and `b` convert to without losing their category.

    As PyTorch: uint8 with a signed integer needs at least int16, and float16 with
    bfloat16 (neither holds the other) meet in float32.
    """
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    if {a, b} == {float16, bfloat16}:
        return float32
    if uint8 in (a, b):
        other = b if a is uint8 else a
        return int16 if other.itemsize < 2 else other
    return a if a.itemsize >= b.itemsize else b


def scalar_dtype(value) -> DType:
    """The dtype PyTorch gives a Python scalar on its own."""
    if isinstance(value, (bool, np.bool_)):
        return bool_
    if isinstance(value, (int, np.integer)):
        return DEFAULT_INT
    if isinstance(value, (float, np.floating)):
        return DEFAULT_FLOAT
    raise TypeError(f"expected a bool, int or float, got {type(value).__name__}")


def result_type(*operands: tuple[DType, int]) -> DType:
    """PyTorch's promotion: operands are (dtype, priority) pairs.

    Priority 0 is a tensor with dimensions, 1 a zero-dimensional tensor, 2 a Python
    scalar. A lower-priority operand changes the result only when its category
    (bool < integer < floating) is higher than that of the result so far.
    """
    result = None
    for priority in (0, 1, 2):
        group = [d for d, p in operands if p == priority]
        if not group:
            continue
        if priority == 2:  # scalars of a category take that category's default
            top = max(d.category for d in group)
            group_type = (bool_, DEFAULT_INT, DEFAULT_FLOAT)[top]
        else:
            group_type = group[0]
            for d in group[1:]:
                group_type = promote(group_type, d)
        if result is None or group_type.category > result.category:
            result = group_type
    assert result is not None, "result_type needs at least one operand"
    return result
