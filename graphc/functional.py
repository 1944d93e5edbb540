"""The user-facing operations: build nodes from tensors, arrays and Python scalars.

Promotion follows PyTorch and is made explicit in the IR: operands are cast to
the result dtype before an op, so every backend sees operands of one dtype.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from graphc import dtypes
from graphc.dtypes import DType, as_dtype, result_type, scalar_dtype
from graphc.grad_mode import is_grad_enabled
from graphc.node import Node, Ref, TensorType
from graphc.ops import OPS, arange_length, build_error, checking, make, make_leaf
from graphc.shapes import (
    as_dim,
    as_shape,
    dims_equal,
    format_shape,
    normalize_axes,
    normalize_axis,
    numel,
    simplify_dim,
)
from graphc.tensor import Tensor

TensorLike = Tensor | np.ndarray | bool | int | float | Sequence

_SCALARS = (bool, int, float, np.generic)


# ------------------------------------------------------------------ wrapping

def _named(function, name: str, doc: str):
    """Give a function made by a factory below its public name and docstring."""
    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return function


def _wrap(node: Node, *sources: Any) -> Tensor:
    """A tensor for `node`, requiring gradients when any tensor source does.

    Under `no_grad`, a result computed from such sources is wrapped in
    `stop_gradient`, so differentiating the graph later treats it as a constant.
    """
    needs = builtins.any(isinstance(s, Tensor) and s.requires_grad for s in _flatten(sources))
    if needs and not is_grad_enabled():
        return Tensor(make("stop_gradient", (node,)))
    return Tensor(node, needs)


def _flatten(sources):
    for s in sources:
        if isinstance(s, (list, tuple)):
            yield from s
        else:
            yield s


def _on(result: Tensor, device) -> Tensor:
    """`result` placed on `device` ("cpu", "cuda", "cuda:N", N; None: where it is): PyTorch's `device=`."""
    from graphc import cuda

    return result if device is None else cuda.place(result, device)


def _tensor(value: TensorLike) -> Tensor:
    return value if isinstance(value, Tensor) else tensor(value)


def _node(value: TensorLike) -> Node:
    return _tensor(value)._node


def _scalar_node(value, dtype: DType) -> Node:
    """A scalar literal of `dtype`; equal literals are one node."""
    if dtype is dtypes.bool_:
        value = bool(value)
    elif dtype.category == 1:
        if not math.isfinite(value):
            raise OverflowError(f"cannot convert {value!r} to {dtype.name}")
        value = int(value)  # a float truncates towards zero, as in NumPy and PyTorch
        info = np.iinfo(dtype.numpy)
        if not info.min <= value <= info.max:
            raise OverflowError(f"value {value!r} does not fit in {dtype.name}")
    else:
        value = float(value)
    return make_leaf("scalar", TensorType(dtype, ()), identity=False, value=value)


def _cast_node(node: Node, dtype: DType) -> Node:
    return node if node.dtype is dtype else make("cast", (node,), dtype=dtype)


def _promote(args: Sequence, minimum_category: int = 0) -> tuple[list[Node], DType]:
    """Operand nodes all cast to the PyTorch result dtype of `args`."""
    if all(type(a) is Tensor for a in args):  # the common case: tensors of one dtype, as they are
        nodes = [a._node for a in args]
        dtype = nodes[0].dtype
        if dtype.category >= minimum_category and all(n.dtype is dtype for n in nodes):
            return nodes, dtype
    operands = []
    for a in args:
        if isinstance(a, _SCALARS) and not isinstance(a, Tensor):
            operands.append((a, scalar_dtype(a), 2))
        else:
            node = _node(a)
            operands.append((node, node.dtype, 1 if node.ndim == 0 else 0))
    dtype = result_type(*((d, p) for _, d, p in operands))
    if dtype.category < minimum_category:
        dtype = dtypes.DEFAULT_FLOAT
    nodes = [_scalar_node(v, dtype) if p == 2 else _cast_node(v, dtype) for v, _, p in operands]
    return nodes, dtype


# ------------------------------------------------------------------ creation

def _converted(array: np.ndarray, dtype: dtypes.DType) -> np.ndarray:
    """`array` as `dtype`; floats that an integer dtype cannot hold (NaN, inf, out of range)
    raise, as in PyTorch, instead of wrapping around."""
    if dtypes.is_floating_numpy(array.dtype) and dtype.category == 1 and array.size:
        info = np.iinfo(dtype.numpy)
        if not np.isfinite(array).all():
            raise ValueError(f"cannot convert a non-finite float (NaN or inf) to {dtype.name}")
        if array.min() < info.min or array.max() >= info.max + 1:
            bad = array.min() if array.min() < info.min else array.max()
            raise OverflowError(f"value {bad} cannot be converted to {dtype.name} without overflow")
    return array.astype(dtype.numpy)


def tensor(data: TensorLike, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A concrete tensor from a scalar, a nested list or an array (copied), PyTorch-style;
    `device="cuda"` puts it on a GPU (graphc/cuda.py)."""
    if device is not None:
        return _on(tensor(data, dtype, requires_grad), device)
    if isinstance(data, Tensor):
        array = np.array(data.numpy())
    elif isinstance(data, (np.ndarray, np.generic)):  # NumPy arrays and scalars keep their dtype
        array = np.array(data)
    else:
        try:
            array = np.array(data)
        except ValueError as err:
            raise ValueError(f"cannot make a tensor from {_short(data)}: {err}") from None
        if array.dtype.kind not in "biuf":
            raise TypeError(f"cannot make a tensor from {_short(data)}: elements must be"
                            " bools, ints or floats")
        if dtype is None and array.dtype.kind == "f":  # with a dtype, convert once, not via float32
            array = array.astype(dtypes.DEFAULT_FLOAT.numpy)
        elif dtype is None and array.dtype.kind in "iu":
            array = array.astype(dtypes.DEFAULT_INT.numpy)
    if dtype is not None:
        array = _converted(array, as_dtype(dtype))
    dtypes.from_numpy(array.dtype)  # raises for unsupported dtypes
    if requires_grad:
        if not dtypes.is_floating_numpy(array.dtype):
            raise TypeError(f"only floating-point tensors can require gradients, not {array.dtype}")
        return Tensor(parameter_node(array)).requires_grad_(True)
    array.flags.writeable = False
    node = make_leaf("constant", TensorType(dtypes.from_numpy(array.dtype), array.shape),
                     identity=True, value=Ref(array))
    return Tensor(node)


def _short(data) -> str:
    text = repr(data)
    return text if len(text) < 60 else text[:57] + "..."


def parameter_node(array: np.ndarray, name: str | None = None) -> Node:
    """A leaf that reads `array` by reference, so changes to it are seen."""
    dtype = dtypes.from_numpy(array.dtype)
    attrs = {"value": Ref(array)}
    if name is not None:
        attrs["name"] = str(name)
    return make_leaf("parameter", TensorType(dtype, array.shape), identity=True, **attrs)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares `array`'s memory and keeps its dtype."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    return Tensor(parameter_node(array))


def parameter(value: TensorLike, name: str | None = None, requires_grad: bool = True) -> Tensor:
    """A named trainable leaf holding an array (read by reference at each call)."""
    array = value if isinstance(value, np.ndarray) else np.array(tensor(value).numpy())
    t = Tensor(parameter_node(array, name))
    if requires_grad:
        t.requires_grad_(True)
    return t


def placeholder(name: str, shape=(), dtype=dtypes.float32) -> Tensor:
    """A named symbolic input: `placeholder("x", shape=("n", 3), dtype=graphc.float32)`."""
    if not isinstance(name, str):
        raise TypeError(f"a placeholder's name must be a string, got {type(name).__name__}")
    node = make_leaf("placeholder", TensorType(as_dtype(dtype), as_shape(shape)),
                     identity=True, name=name)
    return Tensor(node)


def _shape_args(shape: tuple) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, Sequence)) and not isinstance(shape[0], str):
        return tuple(shape[0])
    return shape


def full(shape, fill_value, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A tensor of `shape` filled with `fill_value` (dtype inferred as PyTorch does)."""
    if device is not None:
        return _on(full(shape, fill_value, dtype, requires_grad), device)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    dtype = as_dtype(dtype) if dtype is not None else scalar_dtype(fill_value)
    shape = as_shape(shape)
    node = make("broadcast_to", (_scalar_node(fill_value, dtype),), shape=shape)
    result = Tensor(node)
    if requires_grad:
        result = tensor(result, requires_grad=True)
    return result


def zeros(*shape, dtype=dtypes.float32, device=None) -> Tensor:
    """A tensor of `shape` filled with 0."""
    return full(_shape_args(shape), 0, dtype=dtype, device=device)


def ones(*shape, dtype=dtypes.float32, device=None) -> Tensor:
    """A tensor of `shape` filled with 1."""
    return full(_shape_args(shape), 1, dtype=dtype, device=device)


def full_like(x: TensorLike, fill_value, dtype=None) -> Tensor:
    """A tensor of `x`'s shape (and dtype, unless given) filled with `fill_value`."""
    node = _node(x)
    return full(node.shape, fill_value, dtype=dtype if dtype is not None else node.dtype)


def zeros_like(x: TensorLike, dtype=None) -> Tensor:
    """A tensor of `x`'s shape (and dtype, unless given) filled with 0."""
    return full_like(x, 0, dtype)


def ones_like(x: TensorLike, dtype=None) -> Tensor:
    """A tensor of `x`'s shape (and dtype, unless given) filled with 1."""
    return full_like(x, 1, dtype)


def arange(start, stop=None, step=1, dtype=None, device=None) -> Tensor:
    """`start, start + step, ...` below `stop`; int64 for ints, float32 if any is a float."""
    if stop is None:
        start, stop = 0, start
    for v in (start, stop, step):
        if hasattr(v, "_sympy_"):
            raise TypeError(f"arange of the symbolic size {v} is not supported: graphc's arange has a"
                            " length known when the graph is built")
        if not isinstance(v, (int, float, np.integer, np.floating)) or isinstance(v, bool):
            raise TypeError(f"arange bounds must be numbers, got {v!r}")
    if dtype is None:
        floating = builtins.any(isinstance(v, (float, np.floating)) for v in (start, stop, step))
        dtype = dtypes.DEFAULT_FLOAT if floating else dtypes.DEFAULT_INT
    dtype = as_dtype(dtype)
    with checking("arange"):
        length = arange_length(start, stop, step)
    cast = float if dtype.is_floating_point else int
    node = make_leaf("arange", TensorType(dtype, (length,)), identity=False,
                     start=cast(start), stop=cast(stop), step=cast(step))
    return _on(Tensor(node), device)


def eye(n: int, m: int | None = None, dtype=dtypes.float32, device=None) -> Tensor:
    """An `n x m` matrix with ones on the diagonal."""
    m = n if m is None else m
    shape = as_shape((n, m))
    if not all(isinstance(d, int) for d in shape):
        raise TypeError("eye needs static sizes")
    return _on(Tensor(make_leaf("eye", TensorType(as_dtype(dtype), shape), identity=False, n=n, m=m)), device)


# ------------------------------------------------------- elementwise and reductions
#
# Most ops' functions come from a factory per family (below them, one line an op); what a
# function does per op (promote to float, ...) it reads from the op's definition.

def _computes_in_float(op: str) -> bool:
    """Whether `op` takes floating-point operands only, so that the user API casts others to
    the default float first, as PyTorch computes `sin` of an integer tensor."""
    return OPS[op].accepts == "float"


def _unary(op: str):
    float_only = _computes_in_float(op)

    def function(x: TensorLike) -> Tensor:
        node = _node(x)
        if float_only and not node.dtype.is_floating_point:
            node = _cast_node(node, dtypes.DEFAULT_FLOAT)
        return _wrap(make(op, (node,)), x)

    return _named(function, op, f"Elementwise `{op}`.")


def _binary(op: str):
    minimum_category = 2 if _computes_in_float(op) else 0

    def function(x: TensorLike, y: TensorLike) -> Tensor:
        nodes, _ = _promote((x, y), minimum_category)
        return _wrap(make(op, nodes), x, y)

    return _named(function, op, f"Elementwise `{op}` with broadcasting and PyTorch's type promotion.")


def _compare(op: str):
    def function(x: TensorLike, y: TensorLike) -> Tensor:
        nodes, _ = _promote((x, y))
        return Tensor(make(op, nodes))

    return _named(function, op, f"Elementwise comparison `{op}`, giving bool.")


def _truth(value: TensorLike) -> Node:
    """`value != 0` as a bool node, without promoting it first (which could round it to 0)."""
    if isinstance(value, _SCALARS):
        return _scalar_node(bool(value), dtypes.bool_)
    return _cast_node(_node(value), dtypes.bool_)


def _logical(op: str):
    def function(x: TensorLike, y: TensorLike) -> Tensor:
        return Tensor(make(op, (_truth(x), _truth(y))))

    return _named(function, op, f"Elementwise `{op}` of the operands' truth values.")


def either_axis(axis, dim, name: str = "dim"):
    """NumPy's `axis` or PyTorch's `dim` (`dims` for flip), whichever is given; not both."""
    if dim is None:
        return axis
    if axis is not None:
        raise TypeError(f"give either axis or {name}, not both")
    return dim


def _axis_args(axis, keepdims, dim, keepdim):
    """Accept NumPy's `axis/keepdims` and PyTorch's `dim/keepdim` spellings."""
    return either_axis(axis, dim), bool(keepdims if keepdim is None else keepdim)


def _reduction(op: str):
    def function(x: TensorLike, axis=None, keepdims: bool = False, *, dim=None,
                 keepdim=None) -> Tensor:
        axis, keepdims = _axis_args(axis, keepdims, dim, keepdim)
        node = _node(x)
        if op == "mean" and not node.dtype.is_floating_point:
            raise build_error("mean", "cannot infer the result's dtype from a non-floating-point"
                              " input, as PyTorch cannot; cast it first (x.float().mean())", [node.type])
        if op in ("sum", "prod") and node.dtype.category < 2:
            node = _cast_node(node, dtypes.int64)
        if _computes_in_float(op) and not node.dtype.is_floating_point:
            node = _cast_node(node, dtypes.DEFAULT_FLOAT)
        with checking(op, node.type):
            axes = normalize_axes(axis, node.ndim)
        return _wrap(make(op, (node,), axes=axes, keepdims=keepdims), x)

    return _named(function, op, f"`{op}` over `axis` (all axes when None); `keepdims` keeps them as 1s.")


def _argreduction(op: str):
    def function(x: TensorLike, axis=None, keepdims: bool = False, *, dim=None,
                 keepdim=None) -> Tensor:
        axis, keepdims = _axis_args(axis, keepdims, dim, keepdim)
        node = _node(x)
        if axis is not None:
            with checking(op, node.type):
                axis = normalize_axis(axis, node.ndim)
        return Tensor(make(op, (node,), axis=axis, keepdims=keepdims))

    return _named(function, op, f"`{op}` along `axis` (flattened when None); ties go to the first.")


neg = _unary("neg")
abs = _unary("abs")
sign = _unary("sign")
exp = _unary("exp")
log = _unary("log")
log1p = _unary("log1p")
expm1 = _unary("expm1")
sqrt = _unary("sqrt")
rsqrt = _unary("rsqrt")
sin = _unary("sin")
cos = _unary("cos")
tan = _unary("tan")
tanh = _unary("tanh")
sigmoid = _unary("sigmoid")
relu = _unary("relu")
floor = _unary("floor")
ceil = _unary("ceil")
round = _unary("round")
erf = _unary("erf")
add = _binary("add")
sub = _binary("sub")
mul = _binary("mul")
div = _binary("div")
floordiv = _binary("floordiv")
mod = _binary("mod")
pow = _binary("pow")
maximum = _binary("maximum")
minimum = _binary("minimum")
atan2 = _binary("atan2")
eq = _compare("eq")
ne = _compare("ne")
lt = _compare("lt")
le = _compare("le")
gt = _compare("gt")
ge = _compare("ge")
logical_and = _logical("logical_and")
logical_or = _logical("logical_or")
sum = _reduction("sum")
mean = _reduction("mean")
prod = _reduction("prod")
argmax = _argreduction("argmax")
argmin = _argreduction("argmin")


def _scan(op: str):
    def function(x: TensorLike, dim: int | None = None, *, dtype=None, axis: int | None = None) -> Tensor:
        axis = either_axis(axis, dim)
        node = _node(x)
        if axis is None:
            raise build_error(op, "needs the dimension to run along (dim=...)", [node.type])
        if dtype is not None:
            node = _cast_node(node, as_dtype(dtype))
        elif node.dtype.category < 2:  # bools and integers accumulate in int64, as PyTorch's
            node = _cast_node(node, dtypes.int64)
        with checking(op, node.type):
            axis = normalize_axis(axis, builtins.max(node.ndim, 1), "dim")
        if node.ndim == 0:  # a 0-d tensor is its own running sum (product)
            return _wrap(node, x)
        result = _wrap(make(op, (node,), axis=axis), x)
        if not node.dtype.is_floating_point:
            result.requires_grad = False
        return result

    return _named(function, op, f"`{op}` along `dim` (NumPy's `axis`); bools and integers give int64"
                                f" unless `dtype` is given, as in PyTorch.")


cumsum = _scan("cumsum")
cumprod = _scan("cumprod")


class ValuesAndIndices(NamedTuple):
    """What `max(x, dim=d)` and `min(x, dim=d)` return, as PyTorch's do."""

    values: Tensor
    indices: Tensor


def _extreme(op: str, elementwise, arg_op):
    reduce, arg = _reduction(op), _argreduction(arg_op)

    def function(x: TensorLike, axis=None, keepdims: bool = False, *, dim=None, keepdim=None):
        if isinstance(axis, Tensor):  # PyTorch's max(a, b)
            return elementwise(x, axis)
        if dim is None:
            return reduce(x, axis, keepdims, keepdim=keepdim)
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"{op}(x, dim=...) takes one dimension, an int, as PyTorch's does;"
                            f" give axis=... to reduce over several")
        return ValuesAndIndices(reduce(x, axis, keepdims, dim=dim, keepdim=keepdim),
                                arg(x, axis, keepdims, dim=dim, keepdim=keepdim))

    function.__name__ = function.__qualname__ = op
    function.__doc__ = (f"`{op}` over `axis` (all axes when None) as one tensor, as NumPy's; with"
                        f" PyTorch's `dim=d` the pair (values, indices) of the {op} along d; with a"
                        f" tensor second operand, the elementwise {elementwise.__name__}.")
    return function


max = _extreme("max", maximum, "argmax")
min = _extreme("min", minimum, "argmin")
true_divide = div
remainder = mod


def stop_gradient(x: TensorLike) -> Tensor:
    """`x` as a value that gradients do not flow through."""
    return Tensor(make("stop_gradient", (_node(x),)))


def logical_not(x: TensorLike) -> Tensor:
    return _wrap(make("logical_not", (_cast_node(_node(x), dtypes.bool_),)), x)


def cast(x: TensorLike, dtype) -> Tensor:
    """`x` converted to `dtype` (NumPy's conversion rules)."""
    dtype = as_dtype(dtype)
    node = _node(x)
    result = _wrap(_cast_node(node, dtype), x)
    if not dtype.is_floating_point:
        result.requires_grad = False
    return result


def where(condition: TensorLike, x: TensorLike, y: TensorLike) -> Tensor:
    """Elementwise `x if condition else y`."""
    cond = _cast_node(_node(condition), dtypes.bool_)
    nodes, _ = _promote((x, y))
    return _wrap(make("where", (cond, *nodes)), x, y)


# ------------------------------------------------------------------ shape ops

def reshape(x: TensorLike, *shape) -> Tensor:
    """The same elements in a new shape; one dimension may be -1 (inferred)."""
    node = _node(x)
    shape = _shape_args(shape)
    if isinstance(shape, int):
        shape = (shape,)
    dims = list(shape)
    unknown = [i for i, d in enumerate(dims) if isinstance(d, int) and d == -1]
    if len(unknown) > 1:
        raise build_error("reshape", f"only one dimension can be -1, got {list(shape)}", [node.type])
    if unknown:
        rest = list(as_shape([d for i, d in enumerate(dims) if i != unknown[0]]))
        known = numel(tuple(rest))
        total = numel(node.shape)
        if isinstance(total, int) and isinstance(known, int):
            if known == 0 or total % known:
                raise build_error("reshape", f"cannot reshape {format_shape(node.shape)}"
                                  f" into {list(shape)}", [node.type])
            missing = total // known
        else:
            missing = simplify_dim(total / known)
        dims[unknown[0]] = missing
    dims = as_shape(dims)
    if dims == node.shape:
        return _wrap(node, x)
    return _wrap(make("reshape", (node,), shape=dims), x)


view = reshape


def broadcast_to(x: TensorLike, shape) -> Tensor:
    return _wrap(make("broadcast_to", (_node(x),), shape=as_shape(shape)), x)


def permute(x: TensorLike, *dims) -> Tensor:
    """Reorder dimensions: `permute(x, (2, 0, 1))`."""
    node = _node(x)
    dims = _shape_args(dims)
    with checking("permute", node.type):
        perm = tuple(normalize_axis(d, node.ndim) for d in dims)
    if perm == tuple(range(node.ndim)):
        return _wrap(node, x)
    return _wrap(make("transpose", (node,), perm=perm), x)


def transpose(x: TensorLike, dim0: int = -2, dim1: int = -1) -> Tensor:
    """Swap two dimensions (the last two by default)."""
    node = _node(x)
    if node.ndim < 2:
        return _wrap(node, x)
    with checking("transpose", node.type):
        a, b = normalize_axis(dim0, node.ndim), normalize_axis(dim1, node.ndim)
    perm = list(range(node.ndim))
    perm[a], perm[b] = perm[b], perm[a]
    return permute(x, tuple(perm))


def squeeze(x: TensorLike, axis=None, *, dim=None) -> Tensor:
    """Drop size-1 dimensions (all of them, or those in `axis` (`dim`) that have size 1)."""
    axis = either_axis(axis, dim)
    node = _node(x)
    with checking("squeeze", node.type):
        axes = normalize_axes(axis, node.ndim) if axis is not None else range(node.ndim)
    keep = tuple(d for i, d in enumerate(node.shape) if not (i in axes and d == 1))
    if len(keep) == node.ndim:
        return _wrap(node, x)
    return _wrap(make("reshape", (node,), shape=keep), x)


def unsqueeze(x: TensorLike, axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """Insert a size-1 dimension at `axis` (`dim`; in the result's numbering)."""
    axis = either_axis(axis, dim)
    if axis is None:
        raise TypeError("unsqueeze needs the position of the new dimension (axis or dim)")
    node = _node(x)
    with checking("unsqueeze", node.type):
        axis = normalize_axis(axis, node.ndim + 1)
    shape = (*node.shape[:axis], 1, *node.shape[axis:])
    return _wrap(make("reshape", (node,), shape=shape), x)


def flip(x: TensorLike, axis=None, *, dims=None) -> Tensor:
    """Reverse the order of the elements along `axis` (PyTorch's `dims`; all axes when None)."""
    axis = either_axis(axis, dims, "dims")
    node = _node(x)
    with checking("flip", node.type):
        axes = normalize_axes(axis, node.ndim)
    return _wrap(make("flip", (node,), axes=axes), x)


def pad_widths(x: TensorLike, widths, value=0) -> Tensor:
    """Pad with a constant, NumPy's way (`numpy.pad`): `widths` is an int, a (before, after) pair
    for every dimension, or one pair per dimension, first dimension first."""
    node = _node(x)
    if isinstance(widths, int):
        widths = ((widths, widths),) * node.ndim
    elif len(widths) == 2 and all(isinstance(w, int) for w in widths):
        widths = (tuple(widths),) * node.ndim
    with checking("pad", node.type):
        widths = tuple((as_dim(lo), as_dim(hi)) for lo, hi in widths)
    value = _scalar_node(value, node.dtype).attr("value")
    return _wrap(make("pad", (node,), widths=widths, value=value), x)


PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(x: TensorLike, pad: Sequence, mode: str = "constant", value=None) -> Tensor:
    """`torch.nn.functional.pad`: `pad` is flat, last dimension first: `(left, right)` pads the
    last dimension, `(left, right, top, bottom)` the last two, and so on. Modes: "constant" (with
    `value`, 0 by default; negative widths crop), "reflect" (mirrored without the edge),
    "replicate" (the edge repeated) and "circular" (wrapped around). `graphc.pad_widths` is
    NumPy's form, one (before, after) pair per dimension, first dimension first."""
    node = _node(x)
    if mode not in PAD_MODES:
        raise build_error("pad", f"unknown mode {mode!r}; the modes are {', '.join(PAD_MODES)}",
                          [node.type])
    if not isinstance(pad, (tuple, list)) or len(pad) % 2 or len(pad) > 2 * node.ndim:
        raise build_error("pad", f"pad {pad!r} must be a flat tuple of (left, right) pairs, last"
                          f" dimension first, at most two per dimension ({node.ndim})", [node.type])
    if mode != "constant" and value is not None:
        raise build_error("pad", f'padding mode "{mode}" doesn\'t take in value argument', [node.type])
    pairs = [(pad[k], pad[k + 1]) for k in range(0, len(pad), 2)]  # last dimension first
    if mode == "constant":
        return _constant_pad(x, node, pairs, 0 if value is None else value)
    result = _tensor(x)
    for k, (lo, hi) in enumerate(pairs):
        result = _pad_axis_by(result, node.ndim - 1 - k, lo, hi, mode)
    return result


def _constant_pad(x: TensorLike, node: Node, pairs: list, value) -> Tensor:
    """Constant padding by the pad op; negative widths crop, as PyTorch's do."""
    widths = [(0, 0)] * node.ndim
    crop = [slice(None)] * node.ndim
    for k, (lo, hi) in enumerate(pairs):
        axis = node.ndim - 1 - k
        lo, hi = (_pad_amount(w, node) for w in (lo, hi))
        widths[axis] = (builtins.max(lo, 0) if isinstance(lo, int) else lo,
                        builtins.max(hi, 0) if isinstance(hi, int) else hi)
        if (isinstance(lo, int) and lo < 0) or (isinstance(hi, int) and hi < 0):
            start = -lo if isinstance(lo, int) and lo < 0 else None
            crop[axis] = slice(start, hi if isinstance(hi, int) and hi < 0 else None)
    result = pad_widths(x, widths, value)
    return result[tuple(crop)] if builtins.any(c != slice(None) for c in crop) else result


def _pad_amount(width, node: Node):
    """A width: an int (negative crops), or a symbolic size (a graphc.SymInt)."""
    if isinstance(width, (bool, np.bool_)) or not (isinstance(width, (int, np.integer))
                                                   or hasattr(width, "_sympy_")):
        raise build_error("pad", f"a pad width must be an int or a size, got {width!r}", [node.type])
    return int(width) if isinstance(width, (int, np.integer)) else as_dim(width)


def _pad_axis_by(x: Tensor, axis: int, lo, hi, mode: str) -> Tensor:
    """`x` padded along `axis` by composing slices, flip and cat ("reflect", "replicate", "circular")."""
    node = x._node
    size = node.shape[axis]
    for w in (lo, hi):
        if isinstance(w, bool) or not isinstance(w, (int, np.integer)) or w < 0:
            raise build_error("pad", f'padding mode "{mode}" takes non-negative int widths, got {w!r}',
                              [node.type])
    if mode != "replicate" and not isinstance(size, int):
        raise build_error("pad", f'padding mode "{mode}" of dimension {axis} needs its size, which'
                          f" is symbolic ({format_shape(node.shape)})", [node.type])
    if isinstance(size, int) and (lo or hi):
        too_wide = {"reflect": builtins.max(lo, hi) >= size, "circular": builtins.max(lo, hi) > size,
                    "replicate": size == 0}[mode]
        if too_wide:
            need = {"reflect": "widths below the size", "circular": "widths at most the size",
                    "replicate": "a non-empty dimension"}[mode]
            raise build_error("pad", f'padding mode "{mode}" by ({lo}, {hi}) of dimension {axis}'
                              f" (size {size}) needs {need}", [node.type])

    def along(index: slice) -> Tensor:
        return x[(slice(None),) * axis + (index,)]

    def edge(k: int) -> Tensor:  # element k along the axis, as a slice of size 1 (exactly)
        return unsqueeze(x[(slice(None),) * axis + (k,)], axis)

    def stretched(edge: Tensor, width: int) -> Tensor:
        shape = list(node.shape)
        shape[axis] = width
        return broadcast_to(edge, tuple(shape))

    pieces = []
    if lo:
        pieces.append({"reflect": lambda: flip(along(slice(1, lo + 1)), axis),
                       "replicate": lambda: stretched(edge(0), lo),
                       "circular": lambda: along(slice(-lo, None))}[mode]())
    pieces.append(x)
    if hi:
        pieces.append({"reflect": lambda: flip(along(slice(-hi - 1, -1)), axis),
                       "replicate": lambda: stretched(edge(-1), hi),
                       "circular": lambda: along(slice(0, hi))}[mode]())
    return cat(pieces, axis) if len(pieces) > 1 else x


def cat(tensors: Sequence[TensorLike], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join tensors along an existing axis (dtypes promoted)."""
    axis = dim if dim is not None else axis
    if not isinstance(tensors, (list, tuple)) or not tensors:
        raise build_error("cat", "expects a non-empty list or tuple of tensors")
    nodes, _ = _promote(tensors)
    with checking("cat", *(n.type for n in nodes)):
        axis = normalize_axis(axis, nodes[0].ndim)
    return _wrap(make("cat", nodes, axis=axis), *tensors)


def stack(tensors: Sequence[TensorLike], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join tensors of one shape along a new axis."""
    axis = dim if dim is not None else axis
    if not isinstance(tensors, (list, tuple)) or not tensors:
        raise build_error("stack", "expects a non-empty list or tuple of tensors")
    nodes = [_node(t) for t in tensors]
    types = [n.type for n in nodes]
    with checking("stack", *types):
        normalize_axis(axis, nodes[0].ndim + 1)
        if builtins.any(dims_equal(len(n.shape), len(nodes[0].shape)) is not True
                        or builtins.any(dims_equal(a, b) is not True
                                        for a, b in zip(n.shape, nodes[0].shape))
                        for n in nodes):
            raise ValueError("stack needs tensors of one shape")
    return cat([unsqueeze(t, axis) for t in tensors], axis=axis)


# ---------------------------------------------------------------------- linalg

def matmul(x: TensorLike, y: TensorLike) -> Tensor:
    """Matrix product with NumPy's `@` semantics (batched, broadcasting, 1-D cases)."""
    nodes, _ = _promote((x, y))
    return _wrap(make("matmul", nodes), x, y)


def dot(x: TensorLike, y: TensorLike) -> Tensor:
    """Inner product of two 1-D tensors."""
    a, b = _node(x), _node(y)
    if a.ndim != 1 or b.ndim != 1:
        raise build_error("dot", "expects two 1-D tensors", [a.type, b.type])
    if dims_equal(a.shape[0], b.shape[0]) is False:
        raise build_error("dot", "sizes differ", [a.type, b.type])
    return matmul(x, y)


# ------------------------------------------ compositions (graphc/compositions.py)

from graphc.compositions import (  # noqa: E402, F401 - they use the above
    clamp,
    clip,
    flatten,
    log_softmax,
    logsumexp,
    matrix_transpose,
    softmax,
    std,
    tril,
    triu,
    var,
)
from graphc.einsum import einsum  # noqa: E402, F401
from graphc.indexing import (  # noqa: E402, F401 - they use the above
    argsort,
    argwhere,
    gather,
    getitem,
    index_put,
    index_select,
    masked_select,
    nonzero,
    scatter,
    scatter_add,
    setitem,
    sort,
    take_along_dim,
    topk,
)
