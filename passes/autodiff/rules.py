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
from graphc.ops import make, slice_length
from graphc.shapes import dims_equal, simplify_dim
from graphc.tensor import Tensor

# Ops whose derivative is zero almost everywhere or undefined, as in PyTorch:
# they pass no gradient back.
NON_DIFFERENTIABLE = frozenset({
    "placeholder", "parameter", "constant", "scalar", "arange", "eye",
    "sign", "floor", "ceil", "round", "logical_not", "logical_and", "logical_or",
    "eq", "ne", "lt", "le", "gt", "ge", "argmax", "argmin", "argsort", "nonzero", "floordiv", "stop_gradient",
})

# Ops that only passes after differentiation create: autodiff rejects them with an error
# that says so. Fusion's kernels are one; differentiate first, then fuse the gradient graph.
DIFFERENTIATE_BEFORE_FUSING = frozenset({"kernel", "result"})


class UnsupportedGradientError(ValueError):
    """A rule meets a case it has no gradient for (reported with the node's location)."""


class PerInput:
    """A rule given as one function per input, each `part(node, y, g, *xs)` giving that
    input's cotangent, so that the differentiation builds only the cotangents it needs (of
    `x * 1.01`, not that of the literal). Called as a rule, it gives them all."""

    def __init__(self, *parts):
        self.parts = parts

    def __call__(self, node, y, g, *xs) -> tuple:
        return self.some(node, y, g, xs, (True,) * len(xs))

    def some(self, node, y, g, xs, needed) -> tuple:
        """The cotangents of the inputs that `needed` marks; None for the others."""
        return tuple(part(node, y, g, *xs) if need else None
                     for part, need in zip(self.parts, needed))


def unbroadcast(g: Tensor, shape) -> Tensor:
    """Sum `g` over the dimensions that broadcasting added or stretched, back to `shape`."""
    if tuple(g.node.shape) == tuple(shape):
        return g
    lead = g.ndim - len(shape)
    axes = list(range(lead))
    for i, d in enumerate(shape):
        if d == 1 and g.node.shape[lead + i] != 1:
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
        g = F.reshape(g, tuple(1 if i in node.attr("axes") else d for i, d in enumerate(x.node.shape)))
    return F.broadcast_to(g, tuple(x.node.shape))


def _count(node, x: Tensor):
    """How many elements each output of a reduction summarises (a number or a tensor)."""
    dims = [x.node.shape[a] for a in node.attr("axes")]
    if all(isinstance(d, int) for d in dims):
        return math.prod(dims)
    return F.sum(F.ones_like(x), axis=node.attr("axes"), keepdims=True)


def _extremum(node, y, g, x):
    """max/min: the cotangent is shared evenly among the tied extreme elements."""
    y_full = _expand_reduced(node, y, x)
    hit = F.cast(x == y_full, x.dtype)
    ties = F.sum(hit, axis=node.attr("axes"), keepdims=True)
    return (_expand_reduced(node, g, x) * hit / F.broadcast_to(ties, tuple(x.node.shape)),)


def _prod(node, y, g, x):
    """d prod / d x_i = the product of the others, with no division by zeros.

    The product of the others is split into the product of the zero entries and that
    of the nonzero ones, each written as a polynomial in the entries it holds, so
    that differentiating this gradient again (a hessian) is right with zeros too.
    """
    axes = node.attr("axes")

    def over_slice(t: Tensor, reduce) -> Tensor:
        return F.broadcast_to(reduce(t, axis=axes, keepdims=True), tuple(x.node.shape))

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
    da = unbroadcast(g2 @ F.transpose(b2), tuple(a2.node.shape))
    db = unbroadcast(F.transpose(a2) @ g2, tuple(b2.node.shape))
    return F.reshape(da, tuple(a.node.shape)), F.reshape(db, tuple(b.node.shape))


def _pow(node, y, g, a, b):
    da = F.where(b == 0, F.zeros_like(y), _scaled(g, b * a ** (b - 1)))
    log_a = F.log(F.where(a == 0, F.ones_like(a), a))
    db = F.where((a == 0) & (b >= 0), F.zeros_like(y), _scaled(g, y * log_a))
    return unbroadcast(da, a.node.shape), unbroadcast(db, b.node.shape)


def _maximum(node, y, g, a, b):
    """Ties split the cotangent in half, as PyTorch."""
    return _pick(g, a > b, b > a, a == b, a.node.shape, b.node.shape)


def _minimum(node, y, g, a, b):
    return _pick(g, a < b, b < a, a == b, a.node.shape, b.node.shape)


def _pick(g, a_wins, b_wins, tie, a_shape, b_shape):
    """The cotangent to whichever operand was chosen, half to each on a tie."""
    half = g / 2
    zero = F.zeros_like(g)
    da = F.where(a_wins, g, F.where(tie, half, zero))
    db = F.where(b_wins, g, F.where(tie, half, zero))
    return unbroadcast(da, a_shape), unbroadcast(db, b_shape)


def _where(node, y, g, cond, a, b):
    zero = F.zeros_like(g)
    return (None, unbroadcast(F.where(cond, g, zero), a.node.shape),
            unbroadcast(F.where(cond, zero, g), b.node.shape))


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
    for (lo, hi), d in zip(node.attr("widths"), x.node.shape):
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
    return (cut if cut.node.shape == x.node.shape else F.reshape(cut, tuple(x.node.shape)),)


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
    sizes = [x.node.shape[axis] for x in xs]
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


def _getitem(node, y, g, x):
    """Put the cotangent of a basic-indexing result back among zeros."""
    return (_placed(F.zeros_like(x), g, node.attr("index")),)


def _placed(base: Tensor, value: Tensor, index) -> Tensor:
    return Tensor(make("setitem", (base.node, value.node), index=index))


def _setitem(node, y, g, base, value):
    """The base gets the cotangent but where it was overwritten; the value, what was there."""
    index = node.attr("index")
    picked = Tensor(make("getitem", (g.node,), index=index))
    return _placed(g, F.zeros((), dtype=g.dtype), index), unbroadcast(picked, value.node.shape)


def _gather(node, y, g, x, index):
    return F.scatter_add(F.zeros_like(x), node.attr("dim"), index, g), None


def _scatter(node, y, g, base, index, src):
    """Added: each source element gets the cotangent where it landed. Written: the base loses
    it where it was overwritten, and of several writes to one place only the last (the one
    that stays) gets it; torch gives it to all of them, which is what a symbolic count of
    writes along `dim` falls back to here."""
    dim = node.attr("dim")
    landed = F.gather(g, dim, index)
    if node.attr("accumulate"):
        return g, None, landed
    count = index.node.shape[dim]
    if isinstance(count, int):
        shape = [1] * index.ndim
        shape[dim] = count
        order = F.broadcast_to(F.reshape(F.arange(count), tuple(shape)), tuple(index.node.shape))
        last = F.scatter(F.full(tuple(base.node.shape), -1, dtype=dtypes.int64), dim, index, order)
        landed = F.where(F.gather(last, dim, index) == order, landed, F.zeros_like(landed))
    return F.scatter(g, dim, index, 0), None, landed


def _reverse_cumsum(g: Tensor, axis: int) -> Tensor:
    """Sums from each position to the end along `axis`: cumsum's transpose."""
    return F.flip(F.cumsum(F.flip(g, axis), axis), axis)


def _cumprod(node, y, g, x):
    """d y_j / d x_i is the product of x_0..x_j but x_i (j >= i), computed without dividing by
    zero. Along a slice: before its first zero, sum_j g_j y_j / x_i; at the first zero z1, the
    same sum over the running product that skips x_z1; between z1 and the second zero z2,
    x_z1 times that sum / x_i; at z2, x_z1 times the sum over the product skipping both; after
    z2, 0. The factor x_z1 is 0 but keeps the gradient a polynomial in it, so that second
    derivatives (a hessian) are right with zeros too, as prod's rule does."""
    axis = node.attr("axis")
    is_zero = x == 0
    zeros = F.cumsum(F.cast(is_zero, dtypes.int64), axis)  # at or before each position
    first, second = is_zero & (zeros == 1), is_zero & (zeros == 2)
    one, zero = F.ones_like(x), F.zeros_like(x)
    safe = F.where(is_zero, one, x)
    first_value = F.sum(F.where(first, x, zero), axis=axis, keepdims=True)  # x_z1 (or 0 if none)
    skip_first = _reverse_cumsum(g * F.cumprod(F.where(first, one, x), axis), axis)
    skip_both = _reverse_cumsum(g * F.cumprod(F.where(first | second, one, x), axis), axis)
    before = _reverse_cumsum(g * y, axis) / safe
    after = F.where(second, first_value * skip_both, zero)
    after = F.where(zeros == 1, first_value * skip_first / safe, after)
    return (F.where(zeros == 0, before, F.where(first, skip_first, after)),)


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
    "add": PerInput(lambda n, y, g, a, b: unbroadcast(g, a.node.shape),
                    lambda n, y, g, a, b: unbroadcast(g, b.node.shape)),
    "sub": PerInput(lambda n, y, g, a, b: unbroadcast(g, a.node.shape),
                    lambda n, y, g, a, b: unbroadcast(-g, b.node.shape)),
    "mul": PerInput(lambda n, y, g, a, b: unbroadcast(g * b, a.node.shape),
                    lambda n, y, g, a, b: unbroadcast(g * a, b.node.shape)),
    "div": PerInput(lambda n, y, g, a, b: unbroadcast(_scaled(g, 1 / b), a.node.shape),
                    lambda n, y, g, a, b: unbroadcast(_scaled(g, -y / b), b.node.shape)),
    "mod": PerInput(lambda n, y, g, a, b: unbroadcast(g, a.node.shape),
                    lambda n, y, g, a, b: unbroadcast(-g * F.floor(a / b), b.node.shape)),
    "pow": _pow,
    "maximum": _maximum,
    "minimum": _minimum,
    "atan2": PerInput(lambda n, y, g, a, b: unbroadcast(_scaled(g, b / (a * a + b * b)), a.node.shape),
                      lambda n, y, g, a, b: unbroadcast(_scaled(g, -a / (a * a + b * b)), b.node.shape)),
    "where": _where,
    "sum": lambda n, y, g, x: (_expand_reduced(n, g, x),),
    "mean": lambda n, y, g, x: (_expand_reduced(n, g, x) / _count(n, x),),
    "max": _extremum,
    "min": _extremum,
    "prod": _prod,
    "reshape": lambda n, y, g, x: (F.reshape(g, tuple(x.node.shape)),),
    "broadcast_to": lambda n, y, g, x: (unbroadcast(g, x.node.shape),),
    "transpose": _transpose,
    "flip": lambda n, y, g, x: (F.flip(g, n.attr("axes")),),
    "pad": _pad,
    "cumsum": lambda n, y, g, x: (_reverse_cumsum(g, n.attr("axis")),),
    "cumprod": _cumprod,
    "cat": _cat,
    "getitem": _getitem,
    "setitem": _setitem,
    "gather": _gather,
    "scatter": _scatter,
    "matmul": _matmul,
}
