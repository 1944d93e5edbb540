"""NumPy evaluation with bounds: each value carries the range a correct backend may give per element.

The fuzzer evaluates every program twice over: with plain NumPy (the `value`), and with the
range [`lo`, `hi`] that any implementation may land in if each approximate step is off by what
docs/fuzzing.md allows: `MAX_ULP` ulp for a transcendental function, the summation-order bound
n * eps * sum(|x|) for a float sum, mean, product or matrix product, one rounding for a correctly
rounded op whose operands are themselves approximate. Elements where such an error could cross a
discontinuity (a comparison, floor, a cast to an integer, the sign of a zero under 1/x) are
`wild`: any value is allowed there. An element with `lo` and `hi` bit for bit equal is exact:
another backend must give exactly those bits.

Ranges are propagated by evaluating each elementwise op at the corners of its operands' ranges
(and at the values), exact for the monotone ops; the few ops that are not monotone have a rule
each (`_RULES`).
"""

from __future__ import annotations

import contextlib
import itertools
import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

from graphc.graph import Graph
from graphc.node import Node
from graphc.testing.tolerance import MAX_ULP, TRANSCENDENTAL


@dataclass(frozen=True)
class Bounded:
    """A plain NumPy result with the range [lo, hi] (and wild elements) allowed for it."""

    value: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    wild: np.ndarray

    @property
    def dtype(self) -> np.dtype:
        return self.value.dtype

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    @property
    def exact(self) -> np.ndarray:
        """Elements another backend must reproduce bit for bit."""
        return ~self.wild & _same_bits(self.lo, self.hi)

    def map(self, fn: Callable[[np.ndarray], np.ndarray]) -> Bounded:
        """Apply a rearrangement (reshape, transpose, indexing...) to every part."""
        return Bounded(*(np.asarray(fn(a)) for a in (self.value, self.lo, self.hi, self.wild)))


def exact(array) -> Bounded:
    array = np.asarray(array)
    return Bounded(array, array, array, np.zeros(array.shape, bool))


def _same_bits(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.dtype.kind == "f":
        return a.view(f"u{a.dtype.itemsize}") == b.view(f"u{b.dtype.itemsize}")
    return a == b


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """No NumPy floating-point warnings inside: the reference is computed as NumPy computes it."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


# ------------------------------------------------------------------------ helpers

def widen(lo: np.ndarray, hi: np.ndarray, ulps) -> tuple[np.ndarray, np.ndarray]:
    """[lo, hi] moved outwards by `ulps` (a number, or one per element) ulp of each end (floats only)."""
    ulps = np.asarray(ulps)
    if lo.dtype.kind != "f" or not ulps.any():
        return lo, hi
    with quiet():
        move = (ulps > 0) & np.isfinite(lo) & np.isfinite(hi)
        new_lo = np.where(move, lo - np.abs(np.spacing(lo)) * ulps, lo).astype(lo.dtype)
        new_hi = np.where(move, hi + np.abs(np.spacing(hi)) * ulps, hi).astype(hi.dtype)
    return new_lo, new_hi


def _hull(results: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lo, hi, wild) over candidate results: wild where some but not all are NaN."""
    stack = np.stack(np.broadcast_arrays(*results))
    if stack.dtype.kind != "f":
        return stack.min(0), stack.max(0), np.zeros(stack.shape[1:], bool)
    with quiet():
        nan = np.isnan(stack)
        lo, hi = np.nanmin(stack, 0), np.nanmax(stack, 0)
        zero = stack == 0
        lo = np.where((lo == 0) & (zero & np.signbit(stack)).any(0), -0.0, lo).astype(stack.dtype)
        hi = np.where((hi == 0) & (zero & ~np.signbit(stack)).any(0), 0.0, hi).astype(stack.dtype)
    return lo, hi, nan.any(0) & ~nan.all(0)


def _candidates(x: Bounded) -> list[np.ndarray]:
    return [x.value] if x.exact.all() else [x.lo, x.value, x.hi]


def _uncertain(*operands: Bounded) -> np.ndarray:
    """Elements (broadcast over the operands) where some operand is not exact."""
    out = np.zeros((), bool)
    for b in operands:
        out = out | ~b.exact
    return out


def _unbounded(x: Bounded) -> np.ndarray:
    """Elements whose range is not exact and reaches an infinity or NaN."""
    with quiet():
        return ~x.exact & ~np.isfinite(x.lo + x.hi)


def _contains_zero(x: Bounded) -> np.ndarray:
    return (x.lo <= 0) & (x.hi >= 0)


# ------------------------------------------------------------------ elementwise

def _sigmoid(x):
    """exp(min(x, 0)) / (1 + exp(-|x|)) in float64, rounded to x's dtype: subnormal where the
    exact value is (SciPy's expit gives 0 once exp(-x) overflows, and float64 for float16)."""
    wide = np.asarray(x, dtype=np.float64)
    return (np.exp(np.minimum(wide, 0)) / (1 + np.exp(-np.abs(wide)))).astype(x.dtype)


def _erf(x):
    return special.erf(x).astype(x.dtype)


def _rsqrt(x):
    return 1 / np.sqrt(x)


def _relu(x):
    return np.maximum(x, np.zeros((), x.dtype))


def _keep_int(fn):
    return lambda x: x if x.dtype.kind in "biu" else fn(x)


ELEMENTWISE: dict[str, Callable] = {
    "neg": np.negative, "abs": np.abs, "sign": np.sign, "exp": np.exp, "log": np.log,
    "log1p": np.log1p, "expm1": np.expm1, "sqrt": np.sqrt, "rsqrt": _rsqrt, "sin": np.sin,
    "cos": np.cos, "tan": np.tan, "tanh": np.tanh, "sigmoid": _sigmoid, "relu": _relu,
    "floor": _keep_int(np.floor), "ceil": _keep_int(np.ceil), "round": _keep_int(np.round),
    "erf": _erf, "logical_not": np.logical_not, "stop_gradient": lambda x: x,
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide,
    "floordiv": np.floor_divide, "mod": np.mod, "pow": np.power, "maximum": np.maximum,
    "minimum": np.minimum, "atan2": np.arctan2, "eq": np.equal, "ne": np.not_equal,
    "lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
    "logical_and": np.logical_and, "logical_or": np.logical_or, "where": np.where,
}


def _wild_dividing_by_zero(ops, lo, hi, wild):
    return lo, hi, wild | (_uncertain(ops[1]) & _contains_zero(ops[1]))


def _wild_across_a_jump(ops, lo, hi, wild):
    """mod jumps where floor(x / y) changes: wild where the corners disagree on it."""
    q_lo, q_hi, q_wild = _hull([np.floor_divide(*c) for c in itertools.product(*map(_candidates, ops))])
    return lo, hi, wild | q_wild | ~_same_bits(q_lo, q_hi) | (_uncertain(ops[1]) & _contains_zero(ops[1]))


def _abs_reaches_zero(ops, lo, hi, wild):
    (x,) = ops
    return np.where(_contains_zero(x), np.zeros((), lo.dtype), lo), hi, wild


def _periodic(limit: float):
    """sin and cos: the whole [-1, 1] once the operand's range is wider than `limit`."""
    def rule(ops, lo, hi, wild):
        with quiet():
            wide = (ops[0].hi.astype(np.float64) - ops[0].lo.astype(np.float64)) > limit
        return np.where(wide, -1, lo).astype(lo.dtype), np.where(wide, 1, hi).astype(hi.dtype), wild
    return rule


def _tan(ops, lo, hi, wild):
    (x,) = ops
    with quiet():
        a, b = x.lo.astype(np.float64), x.hi.astype(np.float64)
        pole = np.floor((a - math.pi / 2) / math.pi) != np.floor((b - math.pi / 2) / math.pi)
        wide = (b - a) > 1e-2
    return lo, hi, wild | (_uncertain(x) & (pole | wide))


def _pow(ops, lo, hi, wild):
    base, _ = ops
    return lo, hi, wild | (_uncertain(*ops) & (base.lo <= 0))


def _atan2(ops, lo, hi, wild):
    y, x = ops
    return lo, hi, wild | (_uncertain(*ops) & _contains_zero(y) & (x.lo <= 0))


def _equality(ops, lo, hi, wild):
    a, b = ops
    return lo, hi, wild | (_uncertain(*ops) & (a.lo <= b.hi) & (b.lo <= a.hi))


# Ops that are not monotone in their operands: what the corners miss, by rule.
_RULES = {
    "div": _wild_dividing_by_zero, "floordiv": _wild_dividing_by_zero, "mod": _wild_across_a_jump,
    "abs": _abs_reaches_zero, "sin": _periodic(0.1), "cos": _periodic(0.1), "tan": _tan,
    "pow": _pow, "atan2": _atan2, "eq": _equality, "ne": _equality,
}


def elementwise(op: str, *operands: Bounded) -> Bounded:
    """`op` (a graphc elementwise op, operands already of one dtype) with its range."""
    fn = ELEMENTWISE[op]
    with quiet():
        value = np.asarray(fn(*(o.value for o in operands)))
        ulps = MAX_ULP if op in TRANSCENDENTAL and value.dtype.kind == "f" else 0
        if all(o.exact.all() for o in operands) and ulps == 0:
            return exact(value)
        lo, hi, wild = _hull([np.asarray(fn(*c)) for c in itertools.product(*map(_candidates, operands))])
        wild = wild | np.logical_or.reduce(np.broadcast_arrays(*(o.wild for o in operands)))
        if op in _RULES:
            lo, hi, wild = _RULES[op](operands, lo, hi, wild)
        rounding = _uncertain(*operands).astype(int)  # one more rounding where an operand is approximate
        lo, hi = widen(lo.astype(value.dtype), hi.astype(value.dtype), ulps + rounding)
    shape = value.shape
    return Bounded(value, np.broadcast_to(lo, shape).copy(), np.broadcast_to(hi, shape).copy(),
                   np.broadcast_to(wild, shape).copy())


def cast(x: Bounded, dtype: np.dtype) -> Bounded:
    """NumPy's conversion; wild where a range that is not exact holds zero and the target is bool."""
    dtype = np.dtype(dtype)
    with quiet():
        if x.exact.all():
            return exact(np.asarray(x.value).astype(dtype))
        parts = [np.asarray(a).astype(dtype) for a in (x.value, x.lo, x.hi)]
    lo, hi, wild = _hull(parts)
    wild = wild | x.wild
    if dtype == np.bool_:
        wild = wild | (~x.exact & _contains_zero(x))
    if dtype.kind == "f" and x.dtype.kind == "f" and dtype.itemsize < x.dtype.itemsize:
        lo, hi = widen(lo, hi, (~x.exact).astype(int))
    return Bounded(parts[0], lo, hi, wild)


# -------------------------------------------------------------------- reductions

def _higher(dtype: np.dtype) -> np.dtype:
    """Where to add up magnitudes of `dtype` without overflowing or losing much."""
    return np.dtype(np.float64) if dtype.itemsize <= 4 else np.dtype(np.longdouble)


def _magnitude(x: Bounded) -> np.ndarray:
    """max(|lo|, |hi|) per element, in higher precision."""
    high = _higher(x.dtype)
    return np.maximum(np.abs(x.lo.astype(high)), np.abs(x.hi.astype(high)))


def _count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


def _finish(value: np.ndarray, lo, hi, wild, dtype: np.dtype) -> Bounded:
    """Round the bounds (computed in higher precision) outwards to `dtype`."""
    with quiet():
        lo, hi = widen(np.asarray(lo).astype(dtype), np.asarray(hi).astype(dtype), 1)
        lo = np.where(np.isfinite(value) | wild, lo, value)
        hi = np.where(np.isfinite(value) | wild, hi, value)
    return Bounded(value, lo.astype(dtype), hi.astype(dtype), np.asarray(wild))


def reduce_sum(x: Bounded, axes: tuple[int, ...], keepdims: bool, mean: bool = False) -> Bounded:
    """sum or mean: any summation order is within n * eps * sum(|x|) of NumPy's (Higham's bound)."""
    fn = np.mean if mean else np.sum
    with quiet():
        value = np.asarray(fn(x.value, axis=axes, keepdims=keepdims))
        wild = np.asarray(np.any(x.wild, axis=axes, keepdims=keepdims))
        n = _count(x.shape, axes)
        if x.exact.all() and (x.dtype.kind != "f" or n <= 1):  # no rounding: one element or none
            return exact(value)
        if x.dtype.kind != "f":  # an integer sum of approximate values: anything
            return Bounded(value, value, value, np.ones(value.shape, bool))
        high = _higher(x.dtype)
        finite = np.isfinite(x.value)
        size = np.sum(np.where(finite, _magnitude(x), 0), axis=axes, keepdims=keepdims)
        slack = n * np.finfo(x.dtype).eps * size
        lo = np.sum(x.lo.astype(high), axis=axes, keepdims=keepdims) - slack
        hi = np.sum(x.hi.astype(high), axis=axes, keepdims=keepdims) + slack
        if mean and n:
            lo, hi = lo / n, hi / n
        overflow = size > np.finfo(x.dtype).max  # a partial sum may overflow, depending on the order
        unbounded = np.any(_unbounded(x), axis=axes, keepdims=keepdims)
        return _finish(value, lo, hi, wild | overflow | unbounded, x.dtype)


def reduce_prod(x: Bounded, axes: tuple[int, ...], keepdims: bool) -> Bounded:
    """prod: relative error n * eps plus the operands' relative spreads; wild where a partial
    product may overflow or underflow in some order (the product of the magnitudes above 1
    overflows, or of those below 1 is subnormal), or an approximate operand may be zero."""
    with quiet():
        value = np.asarray(np.prod(x.value, axis=axes, keepdims=keepdims))
        if x.exact.all() and (x.dtype.kind != "f" or _count(x.shape, axes) <= 1):
            return exact(value)
        if x.dtype.kind != "f":  # an integer product of approximate values: anything
            return Bounded(value, value, value, np.ones(value.shape, bool))
        high = _higher(x.dtype)
        spread = (x.hi.astype(high) - x.lo.astype(high)) / np.abs(x.value.astype(high))
        unsure = ~x.exact & ~(np.isfinite(spread) & (x.lo * x.hi > 0))
        wild = np.asarray(np.any(x.wild | unsure, axis=axes, keepdims=keepdims))
        spread = np.sum(np.where(x.exact, 0, spread), axis=axes, keepdims=keepdims)
        info = np.finfo(x.dtype)
        logs = np.log2(np.abs(x.value.astype(np.float64)))
        finite = np.isfinite(logs)
        big = np.sum(np.where(finite & (logs > 0), logs, 0), axis=axes, keepdims=keepdims)
        small = np.sum(np.where(finite & (logs < 0), logs, 0), axis=axes, keepdims=keepdims)
        order_dependent = (big >= math.log2(float(info.max))) | (small <= math.log2(float(info.tiny)))
        n = _count(x.shape, axes)
        exact_product = np.prod(x.value.astype(high), axis=axes, keepdims=keepdims)
        slack = np.abs(exact_product) * (n * info.eps + 1.01 * spread)
        return _finish(value, exact_product - slack, exact_product + slack, wild | order_dependent, x.dtype)


def cumulative(x: Bounded, axis: int, product: bool) -> Bounded:
    """cumsum or cumprod along `axis`: each running value is bounded as the sum (product) of its
    prefix is, in any order; integers wrap as NumPy's and are exact when the operands are."""
    with quiet():
        fn = np.cumprod if product else np.cumsum
        value = np.asarray(fn(x.value, axis=axis, dtype=x.dtype))
        if x.dtype.kind != "f":
            wild = np.asarray(fn(~x.exact, axis=axis) > 0)
            return Bounded(value, value, value, wild)
        if not x.shape[axis]:
            return exact(value)
        reduce = reduce_prod if product else reduce_sum
        prefixes = [reduce(x.map(lambda a, j=j: np.take(a, range(j + 1), axis=axis)), (axis,), True)
                    for j in range(x.shape[axis])]
        parts = concatenate(prefixes, axis)
        same = _same_bits(parts.lo, parts.hi) & ~parts.wild  # exact prefixes: NumPy's own order
        lo = np.where(same, value, np.fmin(parts.lo, value))
        hi = np.where(same, value, np.fmax(parts.hi, value))
        return Bounded(value, lo.astype(x.dtype), hi.astype(x.dtype), parts.wild)


def reduce_extreme(x: Bounded, axes: tuple[int, ...], keepdims: bool, largest: bool) -> Bounded:
    """max or min: monotone, so the range's ends reduce to the result's; a zero result's sign is
    free when the reduced elements hold both 0.0 and -0.0 (NumPy's SIMD paths pick either)."""
    fn = np.max if largest else np.min
    with quiet():
        value = np.asarray(fn(x.value, axis=axes, keepdims=keepdims))
        lo = np.asarray(fn(x.lo, axis=axes, keepdims=keepdims))
        hi = np.asarray(fn(x.hi, axis=axes, keepdims=keepdims))
        wild = np.asarray(np.any(x.wild, axis=axes, keepdims=keepdims))
        if x.dtype.kind == "f":
            zero = x.value == 0
            both = (np.any(zero & np.signbit(x.value), axis=axes, keepdims=keepdims)
                    & np.any(zero & ~np.signbit(x.value), axis=axes, keepdims=keepdims))
            lo = np.where(both & (lo == 0), -0.0, lo).astype(x.dtype)
            hi = np.where(both & (hi == 0), 0.0, hi).astype(x.dtype)
    return Bounded(value, lo, hi, wild)


def reduce_arg(x: Bounded, axis: int | None, keepdims: bool, largest: bool) -> Bounded:
    """argmax or argmin: exact when the reduced elements are; otherwise any index may win."""
    fn = np.argmax if largest else np.argmin
    value = np.asarray(fn(x.value, axis=axis, keepdims=keepdims))
    axes = tuple(range(x.value.ndim)) if axis is None else (axis,)
    uncertain = np.any(~x.exact, axis=axes, keepdims=keepdims)
    return Bounded(value, value, value, np.broadcast_to(uncertain, value.shape).copy())


# ----------------------------------------------------------------- linear algebra

def matmul(a: Bounded, b: Bounded) -> Bounded:
    """A matrix product: each element a sum of k products, so the summation-order bound applies,
    plus what the operands' ranges contribute."""
    with quiet():
        value = np.asarray(np.matmul(a.value, b.value))
        wild = _matmul_any(a.wild, b.wild)
        if value.dtype.kind != "f":
            if a.exact.all() and b.exact.all():
                return exact(value)
            return Bounded(value, value, value, np.ones(value.shape, bool))
        high = _higher(value.dtype)
        a_mid, b_mid = a.value.astype(high), b.value.astype(high)
        a_rad = (a.hi.astype(high) - a.lo.astype(high)) / 2
        b_rad = (b.hi.astype(high) - b.lo.astype(high)) / 2
        a_abs, b_abs = np.abs(a_mid) + a_rad, np.abs(b_mid) + b_rad
        finite_a, finite_b = np.isfinite(a_abs), np.isfinite(b_abs)
        size = np.matmul(np.where(finite_a, a_abs, 0), np.where(finite_b, b_abs, 0))
        k = a.value.shape[-1] if a.value.ndim else 1
        spread = (np.matmul(np.where(finite_a, np.abs(a_mid), 0), np.where(finite_b, b_rad, 0))
                  + np.matmul(np.where(finite_a, a_rad, 0), np.where(finite_b, np.abs(b_mid), 0))
                  + np.matmul(np.where(finite_a, a_rad, 0), np.where(finite_b, b_rad, 0)))
        slack = k * np.finfo(value.dtype).eps * size + spread + k * np.finfo(value.dtype).smallest_subnormal
        center = np.matmul(a_mid, b_mid)
        overflow = size > np.finfo(value.dtype).max
        wild = wild | overflow | _matmul_any(_unbounded(a), _unbounded(b))
        return _finish(value, center - slack, center + slack, wild, value.dtype)


def _matmul_any(a_mask: np.ndarray, b_mask: np.ndarray) -> np.ndarray:
    """Where an output element reads a marked element of `a` (its row) or of `b` (its column)."""
    ones_a = np.ones(a_mask.shape, np.int64)
    ones_b = np.ones(b_mask.shape, np.int64)
    return (np.matmul(a_mask.astype(np.int64), ones_b) + np.matmul(ones_a, b_mask.astype(np.int64))) > 0


# ------------------------------------------------------------------ shape ops

def pad(x: Bounded, widths: Sequence[tuple[int, int]], value) -> Bounded:
    if not x.value.ndim:
        return x
    fill = np.asarray(value).astype(x.dtype)
    parts = [np.pad(a, widths, constant_values=fill) for a in (x.value, x.lo, x.hi)]
    return Bounded(*parts, np.pad(x.wild, widths, constant_values=False))


def concatenate(parts: Sequence[Bounded], axis: int) -> Bounded:
    return Bounded(*(np.concatenate([getattr(p, f) for p in parts], axis=axis)
                     for f in ("value", "lo", "hi", "wild")))


def constant(value, dtype) -> Bounded:
    return exact(np.asarray(value, dtype=dtype))


# ---------------------------------------------------------------- graphs
# A graph built without graphc.testing.program (tests/backends' random graphs) is mirrored node
# by node: each op the NumPy backend lowers, with its attributes, to the functions above.

def _index(entries: tuple) -> tuple:
    """A getitem node's index: None, ints and (start, stop, step) triples."""
    return tuple(slice(*(None if v is None else int(v) for v in e)) if isinstance(e, tuple) else e
                 for e in entries)


_NODES: dict[str, Callable[[Node, list[Bounded], Callable], Bounded]] = {
    "constant": lambda n, a, dims: exact(n.attr("value").value),
    "parameter": lambda n, a, dims: exact(n.attr("value").value),
    "scalar": lambda n, a, dims: constant(n.dtype.numpy.type(n.attr("value")), n.dtype.numpy),
    "arange": lambda n, a, dims: exact(np.arange(n.attr("start"), n.attr("stop"), n.attr("step"),
                                                 dtype=n.dtype.numpy)),
    "eye": lambda n, a, dims: exact(np.eye(n.attr("n"), n.attr("m"), dtype=n.dtype.numpy)),
    "cast": lambda n, a, dims: cast(a[0], n.dtype.numpy),
    "sum": lambda n, a, dims: reduce_sum(a[0], tuple(n.attr("axes")), n.attr("keepdims")),
    "mean": lambda n, a, dims: reduce_sum(a[0], tuple(n.attr("axes")), n.attr("keepdims"), mean=True),
    "prod": lambda n, a, dims: reduce_prod(a[0], tuple(n.attr("axes")), n.attr("keepdims")),
    "max": lambda n, a, dims: reduce_extreme(a[0], tuple(n.attr("axes")), n.attr("keepdims"), largest=True),
    "min": lambda n, a, dims: reduce_extreme(a[0], tuple(n.attr("axes")), n.attr("keepdims"), largest=False),
    "argmax": lambda n, a, dims: reduce_arg(a[0], n.attr("axis"), n.attr("keepdims"), largest=True),
    "argmin": lambda n, a, dims: reduce_arg(a[0], n.attr("axis"), n.attr("keepdims"), largest=False),
    "cumsum": lambda n, a, dims: cumulative(a[0], n.attr("axis"), product=False) if n.ndim else a[0],
    "cumprod": lambda n, a, dims: cumulative(a[0], n.attr("axis"), product=True) if n.ndim else a[0],
    "reshape": lambda n, a, dims: a[0].map(lambda v: np.reshape(v, dims(n.attr("shape")))),
    "broadcast_to": lambda n, a, dims: a[0].map(lambda v: np.broadcast_to(v, dims(n.attr("shape"))).copy()),
    "transpose": lambda n, a, dims: a[0].map(lambda v: np.transpose(v, n.attr("perm"))),
    "flip": lambda n, a, dims: a[0].map(lambda v: np.flip(v, n.attr("axes"))),
    "getitem": lambda n, a, dims: a[0].map(lambda v: v[_index(n.attr("index"))]),
    "pad": lambda n, a, dims: pad(a[0], [dims(w) for w in n.attr("widths")], n.attr("value")),
    "cat": lambda n, a, dims: concatenate(a, n.attr("axis")),
    "matmul": lambda n, a, dims: matmul(*a),
}


def evaluate_graph(graph: Graph, arrays: Sequence) -> list[Bounded]:
    """`graph`'s outputs computed with NumPy from `arrays` (one per input), each with its range."""
    sizes = {d: np.shape(a)[k] for node, a in zip(graph.inputs, arrays)
             for k, d in enumerate(node.shape) if not isinstance(d, int) and d.is_Symbol}

    def dims(shape) -> tuple[int, ...]:
        return tuple(d if isinstance(d, int) else int(d.subs(sizes)) for d in shape)

    values = {node: exact(np.array(a, dtype=node.dtype.numpy)) for node, a in zip(graph.inputs, arrays)}
    with quiet():
        for node in graph.nodes[len(graph.inputs):]:
            operands = [values[i] for i in node.inputs]
            if node.op in ELEMENTWISE:
                values[node] = elementwise(node.op, *operands)
            elif node.op in _NODES:
                values[node] = _NODES[node.op](node, operands, dims)
            else:
                raise NotImplementedError(f"no NumPy mirror with bounds for the op {node.op!r}")
    return [values[o] for o in graph.outputs]


# ---------------------------------------------------------------- checking

def check(got, want: Bounded) -> str | None:
    """None if `got` is within `want`'s range; otherwise what is wrong, in a sentence."""
    if not isinstance(got, np.ndarray):
        return f"returned {type(got).__name__}, not an array"
    if got.dtype != want.dtype:
        return f"dtype {got.dtype}, NumPy gives {want.dtype}"
    if got.shape != want.shape:
        return f"shape {got.shape}, NumPy gives {want.shape}"
    checked = ~want.wild
    exact_here = want.exact
    same = _same_bits(got, want.value) | (np.isnan(got) & np.isnan(want.value)) \
        if got.dtype.kind == "f" else got == want.value
    bad = checked & exact_here & ~same
    if got.dtype.kind == "f":
        with quiet():
            inside = (got >= want.lo) & (got <= want.hi)
        bad |= checked & ~exact_here & ~inside
    else:
        bad |= checked & ~exact_here & ~((got >= want.lo) & (got <= want.hi))
    if not bad.any():
        return None
    k = int(np.flatnonzero(bad)[0])
    return (f"{int(bad.sum())} of {bad.size} elements differ; first at flat index {k}:"
            f" got {got.flat[k]!r}, NumPy {want.value.flat[k]!r}"
            f" (allowed [{want.lo.flat[k]!r}, {want.hi.flat[k]!r}])")
