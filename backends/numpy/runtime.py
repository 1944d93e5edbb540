"""Helpers the generated NumPy code calls where NumPy has no single function."""

from __future__ import annotations

import math

import ml_dtypes
import numpy as np
from scipy import special

from graphc.backends import buffers
from graphc.index_arrays import argsort, gather, nonzero, scatter, setitem  # noqa: F401 - generated code calls them

bfloat16 = ml_dtypes.bfloat16


def _in_float32(func):
    """`func` on bfloat16 computed in float32 and rounded back (SciPy has no bfloat16 loops)."""
    def call(x: np.ndarray) -> np.ndarray:
        if np.asarray(x).dtype == bfloat16:
            return func(np.asarray(x, np.float32)).astype(bfloat16)
        return func(x)
    call.__doc__ = func.__doc__
    return call


@_in_float32
def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) without overflow for large |x|, in x's dtype, rounded once from float64.

    SciPy's expit gives 0 where exp(-x) overflows (below -88.7 in float32, -709.8 in float64),
    though the exact value is a subnormal there; below -700 the value is exp(x) to the last bit.
    (expit has no float16 loop: it would return float64.)
    """
    wide = np.asarray(x, dtype=np.float64)
    y = special.expit(wide)
    tiny = wide < -700.0
    if tiny.any():
        y = np.where(tiny, np.exp(wide), y)
    return y.astype(x.dtype, copy=False)


@_in_float32
def erf(x: np.ndarray) -> np.ndarray:
    """SciPy's erf, in x's dtype (it has no float16 loop)."""
    return special.erf(x).astype(x.dtype, copy=False)


def rsqrt(x: np.ndarray) -> np.ndarray:
    return 1 / np.sqrt(x)


def relu(x: np.ndarray) -> np.ndarray:
    """max(x, 0), keeping NaN and the dtype, as torch.relu."""
    return np.maximum(x, np.zeros((), x.dtype))


def mean(x: np.ndarray, axis: tuple[int, ...], keepdims: bool, dtype=None) -> np.ndarray:
    """np.mean; a mean of no elements is NaN without NumPy's "Mean of empty slice" warning."""
    if math.prod(x.shape[a] for a in axis):
        return np.mean(x, axis=axis, keepdims=keepdims, dtype=dtype)
    with np.errstate(invalid="ignore"):
        return np.true_divide(np.sum(x, axis=axis, keepdims=keepdims, dtype=dtype), 0)


def owned(value) -> np.ndarray:
    """An output the caller may keep and write: no views of inputs, no scalars (a pooled
    buffer made for this call is the caller's as it is)."""
    if isinstance(value, np.ndarray) and value.flags.writeable and (
            value.flags.owndata or buffers.handed_out(value)):
        return value
    return np.array(value)
