"""Operations composed of others: logsumexp, softmax, log_softmax, computed without overflow."""

from __future__ import annotations

import math

from graphc import dtypes
from graphc import functional as F
from graphc.functional import TensorLike, _tensor, cast, exp, log, squeeze, stop_gradient, where, zeros_like
from graphc.ops import checking
from graphc.shapes import normalize_axes
from graphc.tensor import Tensor


def _stable_max(x: Tensor, axis: int) -> Tensor:
    """max(x, axis) with non-finite maxima replaced by 0, outside of differentiation."""
    m = stop_gradient(F.max(x, axis=axis, keepdims=True))
    return where(F.abs(m) < math.inf, m, zeros_like(m))


def _float_operand(op: str, x: TensorLike, axis) -> Tensor:
    """`x` as a floating-point tensor, after checking `axis` against it."""
    x = _tensor(x)
    with checking(op, x._node.type):
        normalize_axes(axis, x.ndim)
    return x if x.dtype.is_floating_point else cast(x, dtypes.DEFAULT_FLOAT)


def logsumexp(x: TensorLike, axis=-1, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
    """log(sum(exp(x))) along `axis` (PyTorch's `dim`), computed without overflow."""
    axis = dim if dim is not None else axis
    keepdims = keepdims if keepdim is None else keepdim
    x = _float_operand("logsumexp", x, axis)
    m = _stable_max(x, axis)
    out = log(F.sum(exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else squeeze(out, axis)


def softmax(x: TensorLike, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis` (PyTorch's `dim`), computed without overflow."""
    axis = dim if dim is not None else axis
    x = _float_operand("softmax", x, axis)
    e = exp(x - _stable_max(x, axis))
    return e / F.sum(e, axis=axis, keepdims=True)


def log_softmax(x: TensorLike, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """x - logsumexp(x) along `axis` (PyTorch's `dim`), computed as (x - max) -
    log(sum(exp(x - max))).

    Subtracting the max first keeps the small terms that `x - logsumexp(x)` would lose
    when |x| is large.
    """
    axis = dim if dim is not None else axis
    x = _float_operand("log_softmax", x, axis)
    shifted = x - _stable_max(x, axis)
    return shifted - log(F.sum(exp(shifted), axis=axis, keepdims=True))
