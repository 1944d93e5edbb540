"""The op table: every primitive op, defined once, with its type rule.

A rule takes the input types and the attributes and returns the output type, or
raises ValueError/TypeError/IndexError with a message about the operands; `build`
(the one node builder) adds the op's name, the operand types and the user's line. The builders in
`graphc.functional` do promotion and insert casts, so the rules here can insist
that operands already agree on dtype.
"""

from __future__ import annotations

import contextlib
import functools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import sympy

from graphc import dtypes
from graphc.dtypes import DType
from graphc.node import Node, TensorType, TupleType, intern, user_location
from graphc.shapes import (
    Shape,
    broadcast_shapes,
    data_dependent,
    describe_size,
    dims_equal,
    format_dim,
    format_shape,
    mark_data_dependent,
    numel,
    simplify_dim,
)
from graphc.validate import check_attrs, check_fill, check_leaf, check_operands

Rule = Callable[[tuple[TensorType, ...], dict[str, Any]], TensorType]

# The operand dtypes an op accepts.
ACCEPTS = ("any", "number", "float", "bool")  # number: not bool


@dataclass(frozen=True)
class OpDef:
    """One primitive op: its name, its family, how many inputs, its type rule, and its traits.

    The traits are the facts about an op that the passes, the kernel contract and the user
    API ask; every list of ops they need is derived from them (`ops_with`), so each fact is
    stated once, here, and tests/graphc/test_op_table.py pins the lists derived from them.

    `commutative` means `f(x, y)` and `f(y, x)` are the same value, bit for bit (but for
    which NaN payload comes out of two NaNs, which the hardware picks): `canonicalize` may
    reorder such operands. `symmetric` ops (maximum, minimum) are equal in value either way
    but not bit for bit: of `0.0` and `-0.0`, or of two NaNs, the order decides which comes
    out, so reordering them would change what a program computes. Rewrite rules match the
    operands of both in either order (graphc/passes/pattern.py): a rule states an identity
    of values, true in either order, and builds its replacement from what it matched.
    """

    name: str
    kind: str  # leaf, unary, binary, compare, reduce, shape, linalg, kernel, other
    arity: int | None  # None for variadic ops
    rule: Rule | None  # None for leaves, whose type is given
    doc: str
    function: str | None  # the graphc function that builds it; None: only graphc builds it
    accepts: str = "any"  # operand dtypes the rule allows, one of ACCEPTS (where: the branches)
    method: bool = False  # Tensor gets a method of this name forwarding to the function
    elementwise: bool = False  # element i of the result reads element i of each (broadcast) operand
    commutative: bool = False  # f(x, y) is f(y, x), bit for bit
    symmetric: bool = False  # f(x, y) equals f(y, x) in value only (signed zeros, NaN payloads)
    cheap: bool = False  # an instruction or so per element: recompute it rather than store it
    literal: bool = False  # a leaf whose value is fixed when the graph is built
    view: bool = False  # only re-indexes its operand: a kernel reads it as a strided view
    kernel_reduction: bool = False  # a kind="reduce" kernel may end in it (docs/kernels.md)
    row_reduction: bool = False  # a row kernel may accumulate it along its rows (graphc/rows.py)


OPS: dict[str, OpDef] = {}
TRAITS = tuple(f.name for f in fields(OpDef) if f.default is False)  # the yes-or-no ones


def _define(name: str, kind: str, arity: int | None, rule: Rule | None, doc: str, **traits: Any) -> None:
    assert name not in OPS, f"op {name} defined twice"
    traits.setdefault("function", name)
    opdef = OpDef(name, kind, arity, rule, doc, **traits)
    assert opdef.accepts in ACCEPTS, f"{name}: accepts {opdef.accepts!r}"
    assert not (opdef.commutative or opdef.symmetric) or arity == 2, f"{name}: a symmetric op takes 2 inputs"
    assert not opdef.cheap or opdef.elementwise, f"{name}: only elementwise ops are cheap"
    assert not opdef.literal or kind == "leaf", f"{name}: a literal is a leaf"
    assert not opdef.row_reduction or opdef.kernel_reduction, f"{name}: rows reduce as kernels do"
    OPS[name] = opdef


def ops_with(trait: str) -> frozenset[str]:
    """The names of the ops that have `trait` (a boolean field of OpDef)."""
    if trait not in TRAITS:
        raise ValueError(f"{trait!r} is not an op trait; the traits are {', '.join(TRAITS)}")
    return frozenset(name for name, opdef in OPS.items() if getattr(opdef, trait))


class GraphBuildError(ValueError):
    """A node could not be built: wrong shapes, dtypes or attributes."""


def describe(types) -> str:
    return ", ".join(str(t) for t in types)


def build_error(op: str, message: str, types=(), location: str | None = None) -> GraphBuildError:
    """An error naming the op, its operand types and the user's line (`location`, else found)."""
    return GraphBuildError(f"{op}: {message} (operands: {describe(types) or 'none'})"
                           f" at {location or user_location()}")


@contextlib.contextmanager
def checking(op: str, *types):
    """Report IndexError/TypeError/ValueError raised inside as a build error of `op`."""
    try:
        yield
    except GraphBuildError:
        raise
    except (IndexError, TypeError, ValueError) as err:
        raise build_error(op, str(err), types) from None


def build(op: str, inputs: Sequence[Node], attrs: dict[str, Any], location: str | None = None) -> Node:
    """Build (or find) the node `op(inputs, attrs)`, created at `location` (default: the user's
    line) if it is new; a bad operand raises GraphBuildError naming the op and that line.

    The one node builder: the user API calls it through `make`, passes with the location of
    the node they replace, so errors still point at the user's code.
    """
    return _build(op, tuple(inputs), tuple(sorted(attrs.items())) if attrs else (), attrs, location)


def rebuild(node: Node, inputs: tuple[Node, ...]) -> Node:
    """`build(node.op, inputs, node.attr_dict, node.location)`: `node` on other operands,
    without sorting its attributes again (they are sorted already)."""
    return _build(node.op, inputs, node.attrs, None, node.location)


def _build(op: str, inputs: tuple[Node, ...], attrs: tuple[tuple[str, Any], ...],
           named: dict[str, Any] | None, location: str | None) -> Node:
    """`build` of sorted attributes `attrs` (`named`: the same as a dict, if the caller has it).

    The operand types are checked and the type inferred only if the node is new.
    """
    opdef = OPS[op]
    if opdef.arity is not None and len(inputs) != opdef.arity:
        raise TypeError(f"{op} takes {opdef.arity} inputs, got {len(inputs)}")

    def infer() -> TensorType:
        types = tuple([i.type for i in inputs])
        given = dict(attrs) if named is None else named
        try:
            check_operands(op, types)
            check_attrs(op, given)
            return opdef.rule(types, given)
        except (ValueError, TypeError, IndexError) as err:
            raise build_error(op, str(err), types, location) from None

    return intern(op, inputs, attrs, None, infer, location=location)


def make(op: str, inputs: Sequence[Node], **attrs: Any) -> Node:
    """`build(op, inputs, attrs)` with the attributes as keywords, created at the user's line."""
    return build(op, inputs, attrs)


def make_leaf(op: str, type_: TensorType, *, identity: bool, **attrs: Any) -> Node:
    """Build a leaf node of a given type; identity leaves are never merged."""
    assert OPS[op].kind == "leaf", op
    try:
        check_leaf(op, type_, attrs)
    except (ValueError, TypeError) as err:
        raise build_error(op, str(err)) from None
    return intern(op, (), tuple(sorted(attrs.items())), type_, None, identity=identity)


# ---------------------------------------------------------------------------- leaves

_define("placeholder", "leaf", 0, None, "A named input, given a value at each call.")
_define("parameter", "leaf", 0, None, "A named array read by reference at each call.")
_define("constant", "leaf", 0, None, "An immutable array owned by graphc.", function="tensor", literal=True)
_define("scalar", "leaf", 0, None, "A scalar literal; equal literals are one node.",
        function=None, literal=True)  # made from the Python numbers a user writes
_define("arange", "leaf", 0, None, "Evenly spaced values start, start+step, ... < stop.", literal=True)
_define("eye", "leaf", 0, None, "An n x m matrix with ones on the diagonal.", literal=True)

def arange_length(start, stop, step) -> int:
    """How many values `arange(start, stop, step)` has."""
    if step == 0:
        raise ValueError("arange step must not be zero")
    return max(0, math.ceil((stop - start) / step))


# ------------------------------------------------------------------------ elementwise

def _same_dtype(types: tuple[TensorType, ...]) -> DType:
    first = types[0].dtype
    for t in types[1:]:
        if t.dtype is not first:
            raise TypeError(f"operands must have one dtype, got {describe(types)}")
    return first


def _unary_rule(allowed: str) -> Rule:
    def rule(types, attrs):
        (t,) = types
        _check_category(t.dtype, allowed)
        return t

    return rule


def _check_category(dtype: DType, allowed: str) -> None:
    if allowed == "float" and not dtype.is_floating_point:
        raise TypeError(f"expects a floating-point operand, got {dtype.name}")
    if allowed == "number" and dtype is dtypes.bool_:
        raise TypeError("expects a numeric operand, got bool")
    if allowed == "bool" and dtype is not dtypes.bool_:
        raise TypeError(f"expects a bool operand, got {dtype.name}")


def _cast_rule(types, attrs):
    (t,) = types
    return TensorType(attrs["dtype"], t.shape)


def _binary_rule(allowed: str, out: DType | None = None) -> Rule:
    def rule(types, attrs):
        dtype = _same_dtype(types)
        _check_category(dtype, allowed)
        return TensorType(out or dtype, broadcast_shapes(*(t.shape for t in types)))

    return rule


def _where_rule(types, attrs):
    cond, a, b = types
    _check_category(cond.dtype, "bool")
    dtype = _same_dtype((a, b))
    return TensorType(dtype, broadcast_shapes(cond.shape, a.shape, b.shape))


# --------------------------------------------------------------------------- reductions

def _reduced_shape(shape: Shape, axes: tuple[int, ...], keepdims: bool) -> Shape:
    for a in axes:
        if not 0 <= a < len(shape):
            raise IndexError(f"axis {a} is out of range for shape {format_shape(shape)}")
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def _reduce_rule(allowed: str) -> Rule:
    def rule(types, attrs):
        (t,) = types
        _check_category(t.dtype, allowed)
        return TensorType(t.dtype, _reduced_shape(t.shape, attrs["axes"], attrs["keepdims"]))

    return rule


def _arg_rule(types, attrs):
    (t,) = types
    axis = attrs["axis"]
    if axis is None:
        shape = (1,) * t.ndim if attrs["keepdims"] else ()
    else:
        shape = _reduced_shape(t.shape, (axis,), attrs["keepdims"])
    return TensorType(dtypes.int64, shape)


# ------------------------------------------------------- elementwise ops and reductions

_RULES = {
    "unary": _unary_rule,
    "binary": _binary_rule,
    "compare": lambda accepts: _binary_rule(accepts, dtypes.bool_),
    "reduce": _reduce_rule,
}
# The ops whose type rule is their family's, one a line: name: (family, the operand dtypes it
# accepts, its traits, what it computes). Unary, binary and compare ops are elementwise.
STANDARD = {
    "neg": ("unary", "number", "method cheap", "-x"),
    "abs": ("unary", "number", "method cheap", "|x|"),
    "sign": ("unary", "number", "method", "-1, 0 or 1 by the sign of x (NaN stays NaN)"),
    "exp": ("unary", "float", "method", "e**x"),
    "log": ("unary", "float", "method", "natural logarithm"),
    "log1p": ("unary", "float", "method", "log(1 + x), accurate near 0"),
    "expm1": ("unary", "float", "method", "exp(x) - 1, accurate near 0"),
    "sqrt": ("unary", "float", "method", "square root"),
    "rsqrt": ("unary", "float", "method", "1 / sqrt(x)"),
    "sin": ("unary", "float", "method", "sine"),
    "cos": ("unary", "float", "method", "cosine"),
    "tan": ("unary", "float", "method", "tangent"),
    "tanh": ("unary", "float", "method", "hyperbolic tangent"),
    "sigmoid": ("unary", "float", "method", "1 / (1 + exp(-x))"),
    "relu": ("unary", "number", "method cheap", "max(x, 0)"),
    "floor": ("unary", "number", "method", "round towards -inf"),
    "ceil": ("unary", "number", "method", "round towards +inf"),
    "round": ("unary", "number", "method", "round half to even"),
    "erf": ("unary", "float", "method", "the error function"),
    "logical_not": ("unary", "bool", "method cheap", "not x"),
    "stop_gradient": ("unary", "any", "cheap", "x, with a zero derivative"),
    "add": ("binary", "any", "method cheap commutative", "x + y"),
    "sub": ("binary", "number", "method cheap", "x - y"),
    "mul": ("binary", "any", "method cheap commutative", "x * y"),
    "div": ("binary", "float", "method", "true division"),
    "floordiv": ("binary", "number", "method", "floor division, as NumPy's //"),
    "mod": ("binary", "number", "method", "remainder with the divisor's sign, as NumPy's %"),
    "pow": ("binary", "number", "method", "x ** y"),
    "maximum": ("binary", "any", "method cheap symmetric", "the larger of x and y; NaN if either is NaN"),
    "minimum": ("binary", "any", "method cheap symmetric", "the smaller of x and y; NaN if either is NaN"),
    "atan2": ("binary", "float", "method", "the angle of the point (y=x0, x=x1)"),
    "eq": ("compare", "any", "method cheap commutative", "x == y"),
    "ne": ("compare", "any", "method cheap commutative", "x != y"),
    "lt": ("compare", "any", "method cheap", "x < y"),
    "le": ("compare", "any", "method cheap", "x <= y"),
    "gt": ("compare", "any", "method cheap", "x > y"),
    "ge": ("compare", "any", "method cheap", "x >= y"),
    "logical_and": ("binary", "bool", "method cheap commutative", "logical and"),
    "logical_or": ("binary", "bool", "method cheap commutative", "logical or"),
    "sum": ("reduce", "number", "method kernel_reduction row_reduction", "sum over axes"),
    # a float product keeps NumPy's order of multiplications: rows cannot accumulate it
    "prod": ("reduce", "number", "method kernel_reduction", "product over axes"),
    "mean": ("reduce", "float", "method kernel_reduction row_reduction", "mean over axes"),
    "max": ("reduce", "any", "method kernel_reduction row_reduction", "largest element over axes"),
    "min": ("reduce", "any", "method kernel_reduction row_reduction", "smallest element over axes"),
}
for _name, (_kind, _accepts, _traits, _doc) in STANDARD.items():
    _define(_name, _kind, 1 if _kind in ("unary", "reduce") else 2, _RULES[_kind](_accepts), _doc,
            accepts=_accepts, elementwise=_kind != "reduce", **dict.fromkeys(_traits.split(), True))

_define("cast", "unary", 1, _cast_rule, "convert to another dtype", elementwise=True, cheap=True)
_define("where", "other", 3, _where_rule, "x1 where the condition holds, else x2",
        elementwise=True, cheap=True)
_define("argmax", "reduce", 1, _arg_rule, "index of the first largest element", method=True)
_define("argmin", "reduce", 1, _arg_rule, "index of the first smallest element", method=True)


# ------------------------------------------------------------------------------ scans

def _scan_rule(types, attrs):
    (t,) = types
    _check_category(t.dtype, "number")
    axis = attrs["axis"]
    if not 0 <= axis < t.ndim:
        raise IndexError(f"axis {axis} is out of range for shape {format_shape(t.shape)}")
    return t


# cumsum and cumprod take the dtype they compute in; the user API casts (bools and ints to int64).
_define("cumsum", "other", 1, _scan_rule, "running sums along an axis", accepts="number", method=True)
_define("cumprod", "other", 1, _scan_rule, "running products along an axis", accepts="number",
        method=True)


# ------------------------------------------------------------------------- shape ops

def _reshape_rule(types, attrs):
    (t,) = types
    shape = attrs["shape"]
    same = dims_equal(numel(t.shape), numel(shape))
    if same is False:
        raise ValueError(f"cannot reshape {format_shape(t.shape)} into {format_shape(shape)}")
    unknown = data_dependent(t.shape) + data_dependent(shape)
    if same is None and unknown:
        raise ValueError(f"cannot reshape {format_shape(t.shape)} into {format_shape(shape)}:"
                         f" the {describe_size(unknown[0])} cannot be shown to fit when the graph"
                         " is built; reshape to a shape made of that size instead")
    return TensorType(t.dtype, shape)


def _broadcast_to_rule(types, attrs):
    (t,) = types
    shape = attrs["shape"]
    if len(shape) < t.ndim:
        raise ValueError(f"cannot broadcast {format_shape(t.shape)} to fewer dimensions"
                         f" {format_shape(shape)}")
    out = broadcast_shapes(t.shape, shape)
    if out != shape:
        raise ValueError(f"cannot broadcast {format_shape(t.shape)} to {format_shape(shape)}")
    return TensorType(t.dtype, shape)


def _transpose_rule(types, attrs):
    (t,) = types
    perm = attrs["perm"]
    if sorted(perm) != list(range(t.ndim)):
        raise ValueError(f"permutation {list(perm)} does not fit {t.ndim} dimensions")
    return TensorType(t.dtype, tuple(t.shape[p] for p in perm))


def _flip_rule(types, attrs):
    (t,) = types
    for a in attrs["axes"]:
        if not 0 <= a < t.ndim:
            raise IndexError(f"axis {a} is out of range for {t.ndim} dimensions")
    return t


def _pad_rule(types, attrs):
    (t,) = types
    check_fill(attrs["value"], t.dtype)
    widths = attrs["widths"]
    if len(widths) != t.ndim:
        raise ValueError(f"pad widths {list(widths)} must give one (before, after) per dimension")
    shape = []
    for d, (lo, hi) in zip(t.shape, widths):
        if any(isinstance(w, int) and w < 0 for w in (lo, hi)):
            raise ValueError(f"pad widths must be non-negative, got {list(widths)}")
        total = d + lo + hi
        shape.append(total if isinstance(total, int) else simplify_dim(total))
    return TensorType(t.dtype, tuple(shape))


def _cat_rule(types, attrs):
    if not types:
        raise ValueError("cat needs at least one tensor")
    dtype = _same_dtype(types)
    axis = attrs["axis"]
    first = types[0]
    total = 0
    for t in types:
        if t.ndim != first.ndim:
            raise ValueError(f"tensors must have the same number of dimensions, got {describe(types)}")
        for i, (a, b) in enumerate(zip(t.shape, first.shape)):
            if i != axis and dims_equal(a, b) is not True:
                raise ValueError(f"sizes must match except in dimension {axis}, got {describe(types)}")
        total = total + t.shape[axis]
    if not 0 <= axis < first.ndim:
        raise IndexError(f"axis {axis} is out of range for {first.ndim} dimensions")
    total = total if isinstance(total, int) else simplify_dim(total)
    return TensorType(dtype, (*first.shape[:axis], total, *first.shape[axis + 1:]))


def slice_length(dim, start, stop, step):
    """Length of `range(dim)[start:stop:step]`, for int or symbolic `dim`.

    On a symbolic `dim` it is Python's length at every size: `x[1::2]` of an axis of size n
    has `floor(n/2)` elements, and where the bounds may fall outside the axis the clamps show,
    `x[1:-1]` has `Max(0, n - 2)`, `x[:5]` `Min(5, n)`. The plain expression is used wherever
    it is exact at every size, the clamped one only where it must be.
    """
    step = 1 if step is None else step
    if step == 0:
        raise ValueError("slice step cannot be zero")
    if isinstance(dim, int):
        return len(range(dim)[slice(start, stop, step)])
    return simplify_dim(_length_of_slice(start, stop, step).subs(_SLICE_DIM, dim))


_SLICE_DIM = sympy.Symbol("slice_dim", integer=True, nonnegative=True)


@functools.cache
def _length_of_slice(start, stop, step: int) -> sympy.Expr:
    """The length of the slice of an axis of size `_SLICE_DIM`: plain if that is exact."""
    span = sympy.sympify(_plain_span(_SLICE_DIM, start, stop, step))
    plain = span if abs(step) == 1 else sympy.floor((span + abs(step) - 1) * sympy.Rational(1, abs(step)))
    # Past the bounds' magnitudes no bound is clamped, and Python's length is max(0, plain):
    # plain is exact if it does not shrink as the axis grows and matches Python's length at
    # every size up to there (a few dozen sizes at most; larger bounds get the clamped form).
    reach = max(abs(start or 0), abs(stop or 0)) + 2
    if sympy.diff(span, _SLICE_DIM) >= 0 and reach <= 64 and all(
            plain.subs(_SLICE_DIM, n) == len(range(n)[start:stop:step]) for n in range(reach + 1)):
        return plain
    return sympy.sympify(_clamped_length(_SLICE_DIM, start, stop, step))


def _plain_span(dim, start, stop, step: int):
    """How far the slice reaches (the length times the step, about) if its bounds lie inside
    the axis: from start up to stop, or for a negative step from start down to stop."""
    def bound(v, default):
        return default if v is None else v if v >= 0 else dim + v

    if step < 0:  # from start (default: the last) down to just above stop (default: before 0)
        return bound(start, dim - 1) - bound(stop, -1)
    return bound(stop, dim) - bound(start, 0)


def _clamped_length(dim, start, stop, step: int):
    """The length as Python computes it, the bounds clamped into the axis."""
    if step > 0:  # (a start past the end, or a stop before the start, meets the outer Max)
        lo = 0 if start is None else start if start >= 0 else dim - sympy.Min(-start, dim)
        hi = dim if stop is None else sympy.Min(stop, dim) if stop >= 0 else dim + stop
        span = sympy.Max(hi - lo, 0)
        return span if step == 1 else sympy.floor((span + step - 1) * sympy.Rational(1, step))
    first = dim - 1 if start is None else sympy.Min(start, dim - 1) if start >= 0 \
        else sympy.Max(dim + start, -1)
    last = -1 if stop is None else sympy.Min(stop, dim - 1) if stop >= 0 else sympy.Max(dim + stop, -1)
    span = sympy.Max(first - last, 0)
    return span if step == -1 else sympy.floor((span - step - 1) * sympy.Rational(1, -step))


def _getitem_rule(types, attrs):
    (t,) = types
    shape: list = []
    axis = 0
    for entry in attrs["index"]:
        if entry is None:
            shape.append(1)
            continue
        if axis >= t.ndim:
            raise IndexError(f"too many indices for a tensor of shape {format_shape(t.shape)}")
        dim = t.shape[axis]
        if isinstance(entry, int):
            if isinstance(dim, int) and not -dim <= entry < dim:
                raise IndexError(f"index {entry} is out of bounds for dimension {axis}"
                                 f" of size {dim}")
        else:
            shape.append(slice_length(dim, *entry))
        axis += 1
    shape.extend(t.shape[axis:])
    return TensorType(t.dtype, tuple(shape))


def _setitem_rule(types, attrs):
    base, value = types
    if value.dtype is not base.dtype:
        raise TypeError(f"the value must have the tensor's dtype {base.dtype.name}, not {value.dtype.name}")
    target = _getitem_rule((base,), attrs).shape
    try:
        fits = len(value.shape) <= len(target) and broadcast_shapes(value.shape, target) == target
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"a value of shape {format_shape(value.shape)} cannot be assigned to"
                         f" an indexed part of shape {format_shape(target)}")
    return base


def _index_operand(index: TensorType, what: str) -> None:
    if index.dtype.category != 1:
        raise TypeError(f"the {what} must be an integer tensor, not {index.dtype.name}")


def _check_axis(axis: int, ndim: int) -> None:
    if not 0 <= axis < max(ndim, 1):
        raise IndexError(f"dim {axis} is out of range for {ndim} dimensions")


def _at_most(small: Shape, large: Shape, skip: int | None, what: str) -> None:
    """Each size of `small` is at most that of `large` (but along `skip`), where it is known."""
    for d, (a, b) in enumerate(zip(small, large)):
        if d == skip:
            continue
        if isinstance(a, int) and isinstance(b, int):
            fits = a <= b
        else:
            fits = dims_equal(a, b) is True
        if not fits:
            raise ValueError(f"{what} ({format_shape(small)}, {format_shape(large)})"
                             f" in dimension {d}")


def _gather_rule(types, attrs):
    x, index = types
    _index_operand(index, "index")
    _check_axis(attrs["dim"], x.ndim)
    if index.ndim != x.ndim:
        raise ValueError(f"the index must have as many dimensions as the tensor ({x.ndim}), not {index.ndim}")
    _at_most(index.shape, x.shape, attrs["dim"], "the index may not be larger than the tensor")
    return TensorType(x.dtype, index.shape)


def _scatter_rule(types, attrs):
    base, index, src = types
    _index_operand(index, "index")
    _check_axis(attrs["dim"], base.ndim)
    if src.dtype is not base.dtype:
        raise TypeError(f"the source must have the tensor's dtype {base.dtype.name}, not {src.dtype.name}")
    if attrs["accumulate"] and base.dtype is dtypes.bool_:
        raise TypeError("scatter_add adds numbers, not bools")
    if not index.ndim == src.ndim == base.ndim:
        raise ValueError("the tensor, the index and the source must have one number of dimensions")
    if any(dims_equal(a, b) is not True for a, b in zip(index.shape, src.shape)):
        raise ValueError(f"the index {format_shape(index.shape)} and the source"
                         f" {format_shape(src.shape)} must have one shape")
    _at_most(index.shape, base.shape, attrs["dim"], "the index may not be larger than the tensor")
    return base


def _nonzero_rule(types, attrs):
    (mask,) = types
    _check_category(mask.dtype, "bool")
    size = attrs["size"]
    if not re.fullmatch(r"nz\d+", str(size)):  # so that no other dimension's name is taken
        raise ValueError(f"a nonzero's size is a fresh name nz0, nz1, ..., not {size}")
    mark_data_dependent(size, "a nonzero")
    return TensorType(dtypes.int64, (size, mask.ndim))


def _argsort_rule(types, attrs):
    (x,) = types
    _check_axis(attrs["dim"], x.ndim)
    return TensorType(dtypes.int64, x.shape)


_define("reshape", "shape", 1, _reshape_rule, "the same elements in a new shape (row-major)", view=True)
_define("broadcast_to", "shape", 1, _broadcast_to_rule, "repeat size-1 and missing dimensions",
        view=True, method=True)
_define("transpose", "shape", 1, _transpose_rule, "permute dimensions", view=True, method=True)
_define("flip", "shape", 1, _flip_rule, "reverse the order of elements along axes", view=True, method=True)
_define("pad", "shape", 1, _pad_rule, "surround with a constant value", method=True)
_define("cat", "shape", None, _cat_rule, "join tensors along an existing axis")
_define("getitem", "shape", 1, _getitem_rule, "basic indexing: ints, slices, new axes", view=True)
_define("setitem", "shape", 2, _setitem_rule,
        "x0 with x0[index] (basic indexing) replaced by x1, broadcast")
_define("gather", "shape", 2, _gather_rule,
        "out[i][j] = x0[i][x1[i][j]] along dim (torch.gather; negative indices count back)",
        method=True)
_define("scatter", "shape", 3, _scatter_rule,
        "x0 with x2 written (accumulate: added) at the indices x1 along dim (torch.scatter)",
        method=True)
_define("argsort", "other", 1, _argsort_rule,
        "indices that sort along dim, stably (NaN last; descending: reversed, ties in order)",
        method=True)
_define("nonzero", "other", 1, _nonzero_rule,
        "the positions of the true elements, one row each in row-major order; their count,"
        " the symbol `size`, is data-dependent: bound when the node runs", accepts="bool",
        method=True)


def bound_sizes(op: str, attrs: dict[str, Any]) -> set:
    """The data-dependent size symbols that a node of `op` binds when it runs."""
    return {attrs["size"]} if op == "nonzero" else set()


# ----------------------------------------------------------------------------- linalg

def _matmul_rule(types, attrs):
    a, b = types
    dtype = _same_dtype(types)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul needs operands with at least one dimension")
    a_shape = (1, *a.shape) if a.ndim == 1 else a.shape
    b_shape = (*b.shape, 1) if b.ndim == 1 else b.shape
    if dims_equal(a_shape[-1], b_shape[-2]) is not True:
        raise ValueError(f"contracted dimensions differ: {format_dim(a_shape[-1])}"
                         f" vs {format_dim(b_shape[-2])}")
    batch = broadcast_shapes(a_shape[:-2], b_shape[:-2])
    out = batch + ((a_shape[-2],) if a.ndim > 1 else ()) + ((b_shape[-1],) if b.ndim > 1 else ())
    return TensorType(dtype, out)


_define("matmul", "linalg", 2, _matmul_rule, "matrix product with NumPy @ semantics", method=True)


# ----------------------------------------------------------------------------- fusion

def _kernel_rule(types, attrs):
    from graphc.kernel import kernel_type  # what a body may hold lives with the kernel helpers

    return kernel_type(types, attrs)


def _result_rule(types, attrs):
    (t,) = types
    index = attrs["index"]
    if not isinstance(t, TupleType):
        raise TypeError(f"result reads an output of a multi-output kernel, not a {t}")
    if not isinstance(index, int) or not 0 <= index < len(t.parts):
        raise ValueError(f"result index {index!r} is not one of the kernel's {len(t.parts)} outputs")
    return t.parts[index]


_define("kernel", "kernel", None, _kernel_rule,
        "a fused loop nest: its `body` graph applied to the inputs (docs/kernels.md)", function=None)
_define("result", "kernel", 1, _result_rule, "output `index` of a multi-output kernel", function=None)


# Derived once for the `op in ...` tests of hot loops.
VIEW_OPS = ops_with("view")


def is_elementwise(op: str) -> bool:
    return OPS[op].elementwise
