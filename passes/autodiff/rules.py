"""Vector-Jacobian rules: for each op, the cotangents of its inputs given that of its output.

A rule is called as `rule(node, y, g, *xs)` where `y` is the node's value, `g` its
cotangent and `xs` its inputs, all as tensors, and returns one cotangent (or None
for "no gradient") per input. Rules are built from graphc's own operations, so a
gradient is an ordinary graph.
"""

from __future__ import annotations

import math

import graphc.functional as F
from graphc import dtypes
from graphc.ops import slice_length
from graphc.shapes import dims_equal, simplify_dim
from graphc.tensor import Tensor

# Ops whose derivative is zero almost everywhere or undefined, as in PyTorch:
# they pass no gradient back.
NON_DIFFERENTIABLE = frozenset({
    "placeholder", "parameter", "constant", "scalar", "arange", "eye",
    "sign", "floor", "ceil", "round", "logical_not", "logical_and", "logical_or",
    "eq", "ne", "lt", "le", "gt", "ge", "argmax", "argmin", "floordiv", "stop_gradient",
})

# Ops that only passes after differentiation create: autodiff rejects them with an error
# that says so. Fusion's kernels are one; differentiate first, then fuse the gradient graph.
DIFFERENTIATE_BEFORE_FUSING = frozenset({"kernel", "result"})


class UnsupportedGradientError(ValueError):
    """A rule meets a case it has no gradient for (reported with the node's location)."""


def unbroadcast(g: Tensor, shape) -> Tensor:
    """Sum `g` over the dimensions that broadcasting added or stretched, back to `shape`."""
    if tuple(g.shape) == tuple(shape):
        return g
    lead = g.ndim - len(shape)
    axes = list(range(lead))
    for i, d in enumerate(shape):
        if d == 1 and g.shape[lead + i] != 1:
            axes.append(lead + i)
    if axes:
        g = F.sum(g, axis=tuple(axes), keepdims=True)
    return F.reshape(g, tuple(shape))


def _scaled(g: Tensor, derivative: Tensor) -> Tensor:
    """`g * derivative`, but exactly 0 where `g` is 0 and the derivative is not finite.

    Used where a derivative can be infinite at finite points (sqrt, log, div, pow):
    an untaken `where` branch then leaks no NaN (0 * inf) into the gradient. The
    product stays a product in `g`, so higher derivatives through `g` are right
    even where `g` happens to be 0.
    """
    keep = (g != 0) | (F.abs(derivative) < math.inf)  # false for an infinite or NaN derivative
    return g * F.where(keep, derivative, 0.0)


def _expand_reduced(node, g: Tensor, x: Tensor) -> Tensor:
    """Put a reduction's cotangent back in the input's rank and shape."""
    if not node.attr("keepdims"):
        g = F.reshape(g, tuple(1 if i in node.attr("axes") else d for i, d in enumerate(x.shape)))
    return F.broadcast_to(g, tuple(x.shape))


def _count(node, x: Tensor):
    """How many elements each output of a reduction summarises (a number or a tensor)."""
    dims = [x.shape[a] for a in node.attr("axes")]
    if all(isinstance(d, int) for d in dims):
        return math.prod(dims)
    return F.sum(F.ones_like(x), axis=node.attr("axes"), keepdims=True)


def _extremum(node, y, g, x):
    """max/min: the cotangent is shared evenly among the tied extreme elements."""
    y_full = _expand_reduced(node, y, x)
    hit = F.cast(x == y_full, x.dtype)
    ties = F.sum(hit, axis=node.attr("axes"), keepdims=True)
    return (_expand_reduced(node, g, x) * hit / F.broadcast_to(ties, tuple(x.shape)),)


def _prod(node, y, g, x):
    """d prod / d x_i = the product of the others, with no division by zeros.

    The product of the others is split into the product of the zero entries and that
    of the nonzero ones, each written as a polynomial in the entries it holds, so
    that differentiating this gradient again (a hessian) is right with zeros too.
    """
    axes = node.attr("axes")

    def over_slice(t: Tensor, reduce) -> Tensor:
        return F.broadcast_to(reduce(t, axis=axes, keepdims=True), tuple(x.shape))

    is_zero = x == 0
    one, zero = F.ones_like(x), F.zeros_like(x)
    nonzero = F.where(is_zero, one, x)
    zeros = over_slice(F.cast(is_zero, dtypes.int64), F.sum)
    nonzero_product = over_slice(nonzero, F.prod)  # of the nonzero entries
    zero_product = over_slice(F.where(is_zero, x, one), F.prod)  # of the zero entries (0 or 1)
    # For a zero entry, the product of the other zeros: 1, the other zero, or (3 or more)
    # a product of at least two zeros, whose first and second derivatives vanish.
    other_zero = over_slice(F.where(is_zero, x, zero), F.sum) - x
    other_zeros = F.where(zeros == 1, one, F.where(zeros == 2, other_zero, zero))
    others = F.where(is_zero, other_zeros * nonzero_product, zero_product * nonzero_product / nonzero)
    return (_expand_reduced(node, g, x) * others,)


def _matmul(node, y, g, a, b):
    a2 = F.unsqueeze(a, 0) if a.ndim == 1 else a
    b2 = F.unsqueeze(b, -1) if b.ndim == 1 else b
    g2 = g
    if a.ndim == 1:
        g2 = F.unsqueeze(g2, -2 if b.ndim > 1 else -1)
    if b.ndim == 1:
        g2 = F.unsqueeze(g2, -1)
    da = unbroadcast(g2 @ F.transpose(b2), tuple(a2.shape))
    db = unbroadcast(F.transpose(a2) @ g2, tuple(b2.shape))
    return F.reshape(da, tuple(a.shape)), F.reshape(db, tuple(b.shape))


def _pow(node, y, g, a, b):
    da = F.where(b == 0, F.zeros_like(y), _scaled(g, b * a ** (b - 1)))
    log_a = F.log(F.where(a == 0, F.ones_like(a), a))
    db = F.where((a == 0) & (b >= 0), F.zeros_like(y), _scaled(g, y * log_a))
    return unbroadcast(da, a.shape), unbroadcast(db, b.shape)


def _maximum(node, y, g, a, b):
    """Ties split the cotangent in half, as PyTorch."""
    return _pick(g, a > b, b > a, a == b, a.shape, b.shape)


def _minimum(node, y, g, a, b):
    return _pick(g, a < b, b < a, a == b, a.shape, b.shape)


def _pick(g, a_wins, b_wins, tie, a_shape, b_shape):
    """The cotangent to whichever operand was chosen, half to each on a tie."""
    half = g / 2
    zero = F.zeros_like(g)
    da = F.where(a_wins, g, F.where(tie, half, zero))
    db = F.where(b_wins, g, F.where(tie, half, zero))
    return unbroadcast(da, a_shape), unbroadcast(db, b_shape)


def _where(node, y, g, cond, a, b):
    zero = F.zeros_like(g)
    return None, unbroadcast(F.where(cond, g, zero), a.shape), unbroadcast(F.where(cond, zero, g), b.shape)


def _cast(node, y, g, x):
    if not x.dtype.is_floating_point or not y.dtype.is_floating_point:
        return (None,)
    return (F.cast(g, x.dtype),)


def _transpose(node, y, g, x):
    perm = node.attr("perm")
    inverse = [0] * len(perm)
    for i, p in enumerate(perm):
        inverse[p] = i
    return (F.permute(g, tuple(inverse)),)


def _pad(node, y, g, x):
    """Cut the padding off; a symbolic width is measured from the other, static, side."""
    index = []
    for (lo, hi), d in zip(node.attr("widths"), x.shape):
        if isinstance(lo, int) and isinstance(hi, int):
            index.append(slice(lo, -hi or None))
        elif isinstance(d, int) and isinstance(hi, int):
            index.append(slice(-(d + hi), -hi or None) if d else slice(0, 0))
        elif isinstance(d, int) and isinstance(lo, int):
            index.append(slice(lo, lo + d))
        elif (found := _slice_between(lo, d, hi)) is not None:
            index.append(found)
        else:
            raise UnsupportedGradientError(f"the gradient of pad by symbolic widths ({lo}, {hi}) of a"
                                      f" dimension of size {d} is not supported")
    cut = g[tuple(index)]
    # Each slice takes the d middle elements, as the widths are not negative; where its length
    # is clamped in a way the sizes cannot prove (Min(1, n) for 1, after x[-1]), say so.
    return (cut if cut.shape == x.shape else F.reshape(cut, x.shape),)


def _slice_between(lo, d, hi) -> slice | None:
    """A slice with int bounds that takes the `d` middle elements of `lo + d + hi`, if one does.

    Bounds are guessed from the widths at large sizes (`Min(1, n)`, after `x[:-1]`, is 1) and
    kept only when the slice provably has the widths' clamps at every size.
    """
    size = simplify_dim(lo + d + hi)
    large = {s: 2**20 for s in getattr(size, "free_symbols", ())}

    def at_large(v):
        v = v if isinstance(v, int) else simplify_dim(v.xreplace(large))
        return v if isinstance(v, int) and abs(v) < 2**19 else None

    starts = {at_large(lo), None if at_large(d + hi) is None else -at_large(d + hi)}
    stops = {None if at_large(hi) is None else -at_large(hi) or None, at_large(lo + d)}
    for start in starts - {None}:
        if dims_equal(slice_length(size, None, start, 1), lo) is not True:
            continue
        for stop in stops:
            if dims_equal(slice_length(size, start, stop, 1), d) is True:
                return slice(start, stop)
    return None


def _cat(node, y, g, *xs):
    """Split the cotangent; pieces after one of symbolic size are located from the end."""
    axis = node.attr("axis")
    sizes = [x.shape[axis] for x in xs]
    symbolic = [k for k, size in enumerate(sizes) if not isinstance(size, int)]
    if len(symbolic) > 1:
        raise UnsupportedGradientError("the gradient of cat along an axis where several pieces have"
                                  f" symbolic sizes ({', '.join(map(str, sizes))}) is not supported")
    split = symbolic[0] if symbolic else len(xs)
    out = []
    for k, size in enumerate(sizes):
        if k < split:
            start = sum(sizes[:k])
            bounds = slice(start, start + size)
        elif k == split:
            bounds = slice(sum(sizes[:k]), -sum(sizes[k + 1:]) or None)
        else:
            end = -sum(sizes[k + 1:])
            bounds = slice(end - size, end or None)
        out.append(g[(slice(None),) * axis + (bounds,)])
    return tuple(out)


def _scatter_axis(g: Tensor, axis: int, dim, start, stop, step) -> Tensor:
    """Place `g` (the slice `start:stop:step` of an axis of size `dim`) back among zeros."""
    if not isinstance(dim, int):
        if step != 1:
            raise UnsupportedGradientError(f"the gradient of a strided slice of a symbolic dimension"
                                      f" ({dim}) is not supported")
        # Zeros before the slice: as many as x[:start] has; after it: the rest, so the
        # widths stay non-negative where the slice is empty (x[1:-1] of a size-1 axis).
        lo = 0 if start is None else slice_length(dim, None, start, 1)
        hi = simplify_dim(dim - lo - g.shape[axis])
        return _pad_axis(g, axis, lo, hi)
    picked = range(dim)[slice(start, stop, step)]
    if len(picked) == 0:
        shape = list(g.shape)
        shape[axis] = dim
        return F.zeros(tuple(shape), dtype=g.dtype)
    if picked.step < 0:
        g = F.flip(g, axis)
        picked = picked[::-1]
    if picked.step > 1:  # interleave step-1 zeros after each element, drop the tail
        spread = F.stack([g] + [F.zeros_like(g)] * (picked.step - 1), axis=axis + 1)
        shape = list(g.shape)
        shape[axis] = shape[axis] * picked.step
        g = F.reshape(spread, tuple(shape))
        g = g[(slice(None),) * axis + (slice(0, (len(picked) - 1) * picked.step + 1),)]
    return _pad_axis(g, axis, picked[0], dim - 1 - picked[-1])


def _pad_axis(g: Tensor, axis: int, lo: int, hi: int) -> Tensor:
    if lo == 0 and hi == 0:
        return g
    widths = [(0, 0)] * g.ndim
    widths[axis] = (lo, hi)
    return F.pad(g, widths)


def _getitem(node, y, g, x):
    """Scatter the cotangent of a basic-indexing result back among zeros."""
    index = node.attr("index")
    per_axis = [e for e in index if e is not None]  # one entry per indexed axis of x
    per_axis += [(None, None, None)] * (x.ndim - len(per_axis))
    # Output dims: one per None (new axis), slice, and unindexed axis; ints drop theirs.
    kinds = ["new" if e is None else "slice" for e in index if not isinstance(e, int)]
    kinds += ["slice"] * (y.ndim - len(kinds))
    sliced = iter([d for d, k in zip(y.shape, kinds) if k == "slice"])
    g = F.reshape(g, tuple(1 if isinstance(e, int) else next(sliced) for e in per_axis))
    for axis, entry in enumerate(per_axis):
        dim = x.shape[axis]
        if isinstance(entry, int) and not isinstance(dim, int):
            # the index is in range (else the forward raised): no clamping, static widths
            lo = entry if entry >= 0 else simplify_dim(dim + entry)
            g = _pad_axis(g, axis, lo, simplify_dim(dim - lo - 1))
        elif isinstance(entry, int):
            g = _scatter_axis(g, axis, dim, entry, entry + 1 or None, 1)
        elif entry != (None, None, None):
            start, stop, step = entry
            g = _scatter_axis(g, axis, dim, start, stop, 1 if step is None else step)
    return (g,)


def _sqrt(node, y, g, x):
    return (_scaled(g, 0.5 / y),)


VJP = {
    "neg": lambda n, y, g, x: (-g,),
    "abs": lambda n, y, g, x: (g * F.sign(x),),
    "exp": lambda n, y, g, x: (_scaled(g, y),),
    "log": lambda n, y, g, x: (_scaled(g, 1 / x),),
    "log1p": lambda n, y, g, x: (_scaled(g, 1 / (1 + x)),),
    "expm1": lambda n, y, g, x: (_scaled(g, y + 1),),
    "sqrt": _sqrt,
    "rsqrt": lambda n, y, g, x: (_scaled(g, -0.5 * y * y * y),),
    "sin": lambda n, y, g, x: (g * F.cos(x),),
    "cos": lambda n, y, g, x: (-g * F.sin(x),),
    "tan": lambda n, y, g, x: (g * (1 + y * y),),
    "tanh": lambda n, y, g, x: (g * (1 - y * y),),
    "sigmoid": lambda n, y, g, x: (g * y * (1 - y),),
    "relu": lambda n, y, g, x: (F.where(x > 0, g, F.zeros_like(g)),),
    "erf": lambda n, y, g, x: (g * (2 / math.sqrt(math.pi)) * F.exp(-x * x),),
    "cast": _cast,
    "add": lambda n, y, g, a, b: (unbroadcast(g, a.shape), unbroadcast(g, b.shape)),
    "sub": lambda n, y, g, a, b: (unbroadcast(g, a.shape), unbroadcast(-g, b.shape)),
    "mul": lambda n, y, g, a, b: (unbroadcast(g * b, a.shape), unbroadcast(g * a, b.shape)),
    "div": lambda n, y, g, a, b: (unbroadcast(_scaled(g, 1 / b), a.shape),
                                  unbroadcast(_scaled(g, -y / b), b.shape)),
    "mod": lambda n, y, g, a, b: (unbroadcast(g, a.shape),
                                  unbroadcast(-g * F.floor(a / b), b.shape)),
    "pow": _pow,
    "maximum": _maximum,
    "minimum": _minimum,
    "atan2": lambda n, y, g, a, b: (
        unbroadcast(_scaled(g, b / (a * a + b * b)), a.shape),
        unbroadcast(_scaled(g, -a / (a * a + b * b)), b.shape)),
    "where": _where,
    "sum": lambda n, y, g, x: (_expand_reduced(n, g, x),),
    "mean": lambda n, y, g, x: (_expand_reduced(n, g, x) / _count(n, x),),
    "max": _extremum,
    "min": _extremum,
    "prod": _prod,
    "reshape": lambda n, y, g, x: (F.reshape(g, tuple(x.shape)),),
    "broadcast_to": lambda n, y, g, x: (unbroadcast(g, x.shape),),
    "transpose": _transpose,
    "flip": lambda n, y, g, x: (F.flip(g, n.attr("axes")),),
    "pad": _pad,
    "cat": _cat,
    "getitem": _getitem,
    "matmul": _matmul,
}
