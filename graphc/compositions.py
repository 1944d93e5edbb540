"""Operations composed of others: logsumexp, softmax, log_softmax (computed without overflow),
var and std, clamp, flatten, tril and triu. Fusion turns each into the few kernels a primitive
op would have been, and autodiff differentiates them through their parts."""

from __future__ import annotations

import math

from graphc import dtypes
from graphc import functional as F
from graphc.functional import (
    TensorLike,
    _tensor,
    cast,
    either_axis,
    exp,
    log,
    squeeze,
    stop_gradient,
    where,
    zeros_like,
)
from graphc.ops import build_error, checking
from graphc.shapes import normalize_axes, normalize_axis, numel, simplify_dim
from graphc.tensor import Tensor, composed_as, shown_as


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


@shown_as("LogsumexpBackward0")
def logsumexp(x: TensorLike, axis=-1, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
    """log(sum(exp(x))) along `axis` (PyTorch's `dim`), computed without overflow."""
    axis = dim if dim is not None else axis
    keepdims = keepdims if keepdim is None else keepdim
    x = _float_operand("logsumexp", x, axis)
    m = _stable_max(x, axis)
    out = log(F.sum(exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else squeeze(out, axis)


@shown_as("SoftmaxBackward0")
def softmax(x: TensorLike, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis` (PyTorch's `dim`), computed without overflow."""
    axis = dim if dim is not None else axis
    x = _float_operand("softmax", x, axis)
    e = exp(x - _stable_max(x, axis))
    return e / F.sum(e, axis=axis, keepdims=True)


@shown_as("LogSoftmaxBackward0")
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


# ---------------------------------------------------------------- variance

@shown_as("VarBackward0")
def var(x: TensorLike, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction=None, axis=None, keepdims: bool | None = None) -> Tensor:
    """The variance over `dim` (all dimensions when None), as PyTorch's: the sum of squared
    deviations from the mean divided by max(0, N - correction); `correction` defaults to 1
    (Bessel's), `unbiased=False` means 0. `var(x, False)` is PyTorch's old `var(x, unbiased)`."""
    x = _tensor(x)
    if isinstance(dim, bool):  # PyTorch's var(input, unbiased)
        if unbiased is not None:
            raise TypeError("var(x, unbiased) takes the flag once")
        dim, unbiased = None, dim
    dim = either_axis(axis, dim)
    keepdim = keepdim if keepdims is None else keepdims
    if unbiased is not None and correction is not None:
        raise TypeError("give either unbiased or correction, not both")
    correction = (0 if unbiased is False else 1) if correction is None else correction
    if isinstance(correction, bool) or not isinstance(correction, (int, float)):
        raise TypeError(f"correction must be a number, got {correction!r}")
    if not x.dtype.is_floating_point:
        raise build_error("var", f"works on floating-point tensors, as PyTorch's, not {x.dtype.name};"
                          " cast it first (x.float())", [x._node.type])
    with checking("var", x._node.type):
        axes = normalize_axes(dim, x.ndim)
    deviation = x - F.mean(x, axis=axes, keepdims=True)
    total = F.sum(deviation * deviation, axis=axes, keepdims=bool(keepdim))
    count = numel(tuple(x.shape[a] for a in axes))
    if isinstance(count, int):
        return total / max(0, count - correction)
    ones = F.sum(F.ones_like(x), axis=axes, keepdims=bool(keepdim))  # N of a symbolic size
    return total / F.maximum(ones - correction, 0)


@shown_as("StdBackward0")
def std(x: TensorLike, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction=None, axis=None, keepdims: bool | None = None) -> Tensor:
    """The standard deviation: sqrt of `var` with the same arguments."""
    return F.sqrt(var(x, dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims))


# -------------------------------------------------------------------- clamp

def clamp(x: TensorLike, min=None, max=None) -> Tensor:  # noqa: A002 - PyTorch's names
    """Each element limited to [min, max] (scalars or tensors; either may be None), as PyTorch's:
    where min > max the result is max, NaN stays NaN, and the gradient reaches `x` where
    min <= x <= max (bounds included), `min` where x < min and `max` where x > max."""
    if min is None and max is None:
        raise build_error("clamp", "needs at least one of min and max", [_tensor(x)._node.type])
    out = _tensor(x)
    if min is not None:
        out = where(out < min, min, out)
    if max is not None:
        out = where(out > max, max, out)
    tensor_bound = isinstance(min, Tensor) or isinstance(max, Tensor)
    return composed_as(out, "ClampBackward0" if tensor_bound else "ClampBackward1")


clip = clamp


# ------------------------------------------------------------------ shapes

def flatten(x: TensorLike, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Dimensions start_dim..end_dim merged into one (a 0-d tensor becomes 1-d), as PyTorch's."""
    x = _tensor(x)
    shape = tuple(x.shape)
    with checking("flatten", x._node.type):
        start = normalize_axis(start_dim, max(x.ndim, 1), "start_dim")
        end = normalize_axis(end_dim, max(x.ndim, 1), "end_dim")
        if start > end:
            raise ValueError(f"start_dim ({start_dim}) comes after end_dim ({end_dim})")
    if x.ndim == 0:
        return F.reshape(x, (1,))
    merged = numel(shape[start:end + 1])
    merged = merged if isinstance(merged, int) else simplify_dim(merged)
    return F.reshape(x, (*shape[:start], merged, *shape[end + 1:]))


def matrix_transpose(x: TensorLike) -> Tensor:
    """The last two dimensions swapped (PyTorch's `x.mT`); needs at least two."""
    x = _tensor(x)
    if x.ndim < 2:
        raise build_error("mT", f"needs a matrix or a batch of matrices, not a {x.ndim}-d tensor",
                          [x._node.type])
    return F.transpose(x, -2, -1)


# --------------------------------------------------------------- triangles

def positions(size) -> Tensor:
    """0, 1, ..., size - 1 as int64: an arange for a static size, running sums of ones for a
    symbolic one (so triangles work on symbolic shapes)."""
    if isinstance(size, int):
        return F.arange(size)
    return F.cumsum(F.ones((size,), dtype=dtypes.int64), 0) - 1


def _triangle(op: str, x: TensorLike, diagonal: int, lower: bool) -> Tensor:
    x = _tensor(x)
    if x.ndim < 2:
        raise build_error(op, f"needs a matrix or a batch of matrices, not a {x.ndim}-d tensor",
                          [x._node.type])
    if isinstance(diagonal, bool) or not isinstance(diagonal, int):
        raise build_error(op, f"diagonal must be an int, got {diagonal!r}", [x._node.type])
    rows, cols = x.shape[-2], x.shape[-1]
    offset = F.unsqueeze(positions(cols), 0) - F.unsqueeze(positions(rows), 1)  # j - i
    keep = offset <= diagonal if lower else offset >= diagonal
    return where(keep, x, zeros_like(x))


@shown_as("TrilBackward0")
def tril(x: TensorLike, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dimensions (j - i <= diagonal kept), the rest 0."""
    return _triangle("tril", x, diagonal, lower=True)


@shown_as("TriuBackward0")
def triu(x: TensorLike, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dimensions (j - i >= diagonal kept), the rest 0."""
    return _triangle("triu", x, diagonal, lower=False)
