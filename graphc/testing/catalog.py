"""The fuzzer's vocabulary: each op it generates, as graphc builds it, as NumPy computes it, as code.

An entry is one public graphc function. `build` calls it on tensors, `mirror` computes the same
thing with NumPy (through `graphc.testing.bounds`, so each value carries the range a correct
backend may give), and `source` writes the call as Python for a reproducer. Operands reach NumPy
in the dtype graphc promoted them to (read from the built node): the mirror checks values, and
promotion is tested elsewhere (tests/graphc/test_promotion.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import graphc
from graphc import index_arrays
from graphc.testing import bounds
from graphc.testing.bounds import Bounded

UNARY_FLOAT = ("exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "sin", "cos", "tan", "tanh", "sigmoid",
               "erf")
UNARY_NUMBER = ("neg", "abs", "sign", "relu", "floor", "ceil", "round")
BINARY = ("add", "sub", "mul", "div", "floordiv", "mod", "pow", "maximum", "minimum", "atan2")
COMPARE = ("eq", "ne", "lt", "le", "gt", "ge")
LOGICAL = ("logical_and", "logical_or")
REDUCE = ("sum", "prod", "mean", "max", "min")
ARGREDUCE = ("argmax", "argmin")
SCAN = ("cumsum", "cumprod")
COMPOSITE = ("logsumexp", "softmax", "log_softmax")


class Context:
    """What a mirror needs to know of the graphc call it mirrors: the dtypes graphc gave the
    operands, and the size of each symbol in this evaluation."""

    def __init__(self, built: graphc.Tensor, binding: dict[str, int]):
        self.built, self.binding = built, binding

    @property
    def dtype(self) -> np.dtype:
        return self.built.dtype.numpy

    def operand_dtype(self, k: int) -> np.dtype:
        return self.built.node.inputs[k].dtype.numpy

    def dim(self, d) -> int:
        return d if isinstance(d, int) else self.binding[d]


@dataclass(frozen=True)
class OpSpec:
    name: str
    family: str
    build: Callable[[list, dict], graphc.Tensor]
    mirror: Callable[[list[Bounded], dict, Context], Bounded]
    source: Callable[[list[str], dict], str]


CATALOG: dict[str, OpSpec] = {}


def _add(name: str, family: str, build, mirror, source) -> None:
    CATALOG[name] = OpSpec(name, family, build, mirror, source)


def literal(value: Any) -> str:
    """`value` as Python source (floats that repr cannot write included)."""
    if isinstance(value, float) and not math.isfinite(value):
        return f'float("{value}")'
    if isinstance(value, tuple):
        items = [literal(v) for v in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    return repr(value)


def _call(fn: str, names: Sequence[str], **kwargs) -> str:
    args = list(names) + [f"{k}={literal(v)}" for k, v in kwargs.items()]
    return f"graphc.{fn}({', '.join(args)})"


# ----------------------------------------------------------------- elementwise ops
# Operands are tensors (the step's args) and Python scalars at fixed positions (params["scalars"]).

def _merge(args: list, params: dict) -> list:
    operands = list(args)
    for position, value in sorted(params.get("scalars", ())):
        operands.insert(position, value)
    return operands


def _elementwise(name: str, family: str) -> None:
    fn = getattr(graphc, name)

    def mirror(args, params, ctx):
        operands = []
        for k, operand in enumerate(_merge(args, params)):
            dtype = ctx.operand_dtype(k)
            operands.append(bounds.cast(operand, dtype) if isinstance(operand, Bounded)
                            else bounds.constant(_scalar_value(operand, dtype), dtype))
        return bounds.elementwise(name, *operands)

    _add(name, family, lambda args, params: fn(*_merge(args, params)), mirror,
         lambda names, params: _call(name, _merge([*names], {"scalars": tuple(
             (k, literal(v)) for k, v in params.get("scalars", ()))})))


def _scalar_value(value, dtype: np.dtype):
    """A Python scalar as graphc makes it a literal of `dtype` (ints truncate floats)."""
    if dtype.kind == "b":
        return bool(value)
    if dtype.kind in "iu":
        return int(value)
    return float(value)


for _name in UNARY_FLOAT + UNARY_NUMBER:
    _elementwise(_name, "unary")
_elementwise("logical_not", "unary")
_elementwise("stop_gradient", "unary")
for _name in BINARY:
    _elementwise(_name, "binary")
for _name in COMPARE:
    _elementwise(_name, "compare")
for _name in LOGICAL:
    _elementwise(_name, "logical")
_elementwise("where", "where")

_add("cast", "cast",
     lambda args, p: graphc.cast(args[0], getattr(graphc, p["dtype"])),
     lambda args, p, ctx: bounds.cast(args[0], np.dtype(p["dtype"])),
     lambda names, p: f"graphc.cast({names[0]}, graphc.{p['dtype']})")


# --------------------------------------------------------------------- reductions

def _axes(axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        return (axis % ndim,)
    return tuple(sorted(a % ndim for a in axis))


def _reduction(name: str) -> None:
    fn = getattr(graphc, name)

    def mirror(args, p, ctx):
        x = bounds.cast(args[0], ctx.operand_dtype(0))
        axes = _axes(p["axis"], x.value.ndim)
        if name in ("sum", "mean"):
            return bounds.reduce_sum(x, axes, p["keepdims"], mean=name == "mean")
        if name == "prod":
            return bounds.reduce_prod(x, axes, p["keepdims"])
        return bounds.reduce_extreme(x, axes, p["keepdims"], largest=name == "max")

    _add(name, "reduce", lambda args, p: fn(args[0], axis=p["axis"], keepdims=p["keepdims"]), mirror,
         lambda names, p: _call(name, names, axis=p["axis"], keepdims=p["keepdims"]))


for _name in REDUCE:
    _reduction(_name)


def _argreduction(name: str) -> None:
    fn = getattr(graphc, name)

    def mirror(args, p, ctx):
        axis = p["axis"]
        axis = None if axis is None else axis % args[0].value.ndim
        return bounds.reduce_arg(args[0], axis, p["keepdims"], largest=name == "argmax")

    _add(name, "argreduce", lambda args, p: fn(args[0], axis=p["axis"], keepdims=p["keepdims"]), mirror,
         lambda names, p: _call(name, names, axis=p["axis"], keepdims=p["keepdims"]))


for _name in ARGREDUCE:
    _argreduction(_name)


def _scan(name: str) -> None:
    fn = getattr(graphc, name)

    def mirror(args, p, ctx):
        x = bounds.cast(args[0], ctx.dtype)
        if not x.value.ndim:
            return x
        return bounds.cumulative(x, p["dim"] % x.value.ndim, product=name == "cumprod")

    _add(name, "scan", lambda args, p: fn(args[0], p["dim"]), mirror,
         lambda names, p: _call(name, names, dim=p["dim"]))


for _name in SCAN:
    _scan(_name)


# ---------------------------------------------------------------------- shape ops
# Shapes in params hold ints and symbol names ("n"); indices are tuples of tagged entries.

def _index(entries: tuple) -> tuple:
    """A Python index from the tagged entries ("i", k), ("s", start, stop, step), ("new",), ("...",)."""
    out = []
    for entry in entries:
        tag = entry[0]
        out.append(entry[1] if tag == "i" else slice(*entry[1:]) if tag == "s" else
                   None if tag == "new" else Ellipsis)
    return tuple(out)


def _index_source(entries: tuple) -> str:
    parts = []
    for entry in entries:
        tag = entry[0]
        if tag == "i":
            parts.append(str(entry[1]))
        elif tag == "s":
            parts.append(":".join("" if v is None else str(v) for v in entry[1:]))
        else:
            parts.append("None" if tag == "new" else "...")
    return ", ".join(parts) + ("," if len(parts) == 1 else "") if parts else "()"


def _pad_widths(widths, ndim: int) -> tuple:
    if isinstance(widths, int):
        return ((widths, widths),) * ndim
    if len(widths) == 2 and all(isinstance(w, int) for w in widths):
        return (tuple(widths),) * ndim
    return tuple(tuple(w) for w in widths)


def _pad_mirror(args, p, ctx):
    dtype = ctx.dtype
    return bounds.pad(args[0], _pad_widths(p["widths"], args[0].value.ndim), _scalar_value(p["value"], dtype))


def _cat_mirror(args, p, ctx, new_axis: bool = False):
    parts = [bounds.cast(a, ctx.dtype) for a in args]
    if new_axis:
        axis = p["axis"] % (parts[0].value.ndim + 1)
        parts = [x.map(lambda a, axis=axis: np.expand_dims(a, axis)) for x in parts]
        return bounds.concatenate(parts, axis)
    return bounds.concatenate(parts, p["axis"] % parts[0].value.ndim)


def _resolve(shape, ctx) -> tuple[int, ...]:
    return tuple(ctx.dim(d) for d in shape)


_add("reshape", "shape", lambda a, p: graphc.reshape(a[0], p["shape"]),
     lambda a, p, ctx: a[0].map(lambda v: np.reshape(v, _resolve(p["shape"], ctx))),
     lambda n, p: f"graphc.reshape({n[0]}, {literal(p['shape'])})")
_add("squeeze", "shape", lambda a, p: graphc.squeeze(a[0], p["axis"]),
     lambda a, p, ctx: a[0].map(lambda v: np.squeeze(v, axis=p["drop"])),
     lambda n, p: f"graphc.squeeze({n[0]}, {literal(p['axis'])})")
_add("unsqueeze", "shape", lambda a, p: graphc.unsqueeze(a[0], p["axis"]),
     lambda a, p, ctx: a[0].map(lambda v: np.expand_dims(v, p["axis"])),
     lambda n, p: f"graphc.unsqueeze({n[0]}, {p['axis']})")
_add("broadcast_to", "shape", lambda a, p: graphc.broadcast_to(a[0], p["shape"]),
     lambda a, p, ctx: a[0].map(lambda v: np.broadcast_to(v, _resolve(p["shape"], ctx)).copy()),
     lambda n, p: f"graphc.broadcast_to({n[0]}, {literal(p['shape'])})")
_add("permute", "shape", lambda a, p: graphc.permute(a[0], p["dims"]),
     lambda a, p, ctx: a[0].map(lambda v: np.transpose(v, p["dims"])),
     lambda n, p: f"graphc.permute({n[0]}, {literal(p['dims'])})")
_add("transpose", "shape", lambda a, p: graphc.transpose(a[0], p["dim0"], p["dim1"]),
     lambda a, p, ctx: a[0].map(lambda v: np.swapaxes(v, p["dim0"], p["dim1"])),
     lambda n, p: f"graphc.transpose({n[0]}, {p['dim0']}, {p['dim1']})")
_add("getitem", "shape", lambda a, p: a[0][_index(p["index"])],
     lambda a, p, ctx: a[0].map(lambda v: v[_index(p["index"])]),
     lambda n, p: f"{n[0]}[{_index_source(p['index'])}]")
_add("flip", "shape", lambda a, p: graphc.flip(a[0], p["axis"]),
     lambda a, p, ctx: a[0].map(lambda v: np.flip(v, p["axis"])),
     lambda n, p: f"graphc.flip({n[0]}, {literal(p['axis'])})")
_add("pad", "shape", lambda a, p: graphc.pad_widths(a[0], p["widths"], p["value"]), _pad_mirror,
     lambda n, p: f"graphc.pad_widths({n[0]}, {literal(p['widths'])}, {literal(p['value'])})")
_add("cat", "join", lambda a, p: graphc.cat(list(a), axis=p["axis"]), _cat_mirror,
     lambda n, p: f"graphc.cat([{', '.join(n)}], axis={p['axis']})")
_add("stack", "join", lambda a, p: graphc.stack(list(a), axis=p["axis"]),
     lambda a, p, ctx: _cat_mirror(a, p, ctx, new_axis=True),
     lambda n, p: f"graphc.stack([{', '.join(n)}], axis={p['axis']})")


# ------------------------------------------------------------------------ indexing
# Integer-array indexing (one constant list along an axis), basic-index assignment of a
# scalar, the sum of a boolean-mask selection (a data-dependent size, kept inside the step),
# and sorting. A row holding an inexact element may sort in any order.

def _row_unsure(x: Bounded, dim: int) -> np.ndarray:
    if not x.value.ndim:
        return ~x.exact
    return np.broadcast_to(np.any(~x.exact, axis=dim, keepdims=True), x.value.shape).copy()


def _argsort_mirror(args, p, ctx):
    x = args[0]
    dim = p["dim"] % max(x.value.ndim, 1)
    value = index_arrays.argsort(x.value, dim, p["descending"])
    return Bounded(value, value, value, _row_unsure(x, dim))


def _sort_mirror(args, p, ctx):
    x = args[0]
    dim = p["dim"] % max(x.value.ndim, 1)
    order = index_arrays.argsort(x.value, dim, p["descending"])
    picked = x.map(lambda v: index_arrays.gather(v, order, dim))
    return Bounded(picked.value, picked.lo, picked.hi, picked.wild | _row_unsure(x, dim))


def _take_index(p: dict) -> tuple:
    return (slice(None),) * p["axis"] + (list(p["positions"]),)


def _setitem_mirror(args, p, ctx):
    value = _scalar_value(p["value"], ctx.dtype)

    def assign(v, fill):
        out = np.array(v, copy=True)
        out[_index(p["index"])] = fill
        return out

    x = args[0]
    return Bounded(assign(x.value, value), assign(x.lo, value), assign(x.hi, value), assign(x.wild, False))


def _masked_sum_mirror(args, p, ctx):
    """The sum of the elements above `above`; wild where an inexact element might fall on
    either side (then even the count may differ)."""
    x = bounds.cast(args[0], ctx.operand_dtype(0))
    keep = x.value > p["above"]
    unsure = x.wild | (~x.exact & ((x.lo > p["above"]) != (x.hi > p["above"])))
    total = bounds.reduce_sum(x.map(lambda v: v[keep]), (0,), False)
    if unsure.any():
        return Bounded(total.value, total.value, total.value, np.ones(total.value.shape, bool))
    return total


_add("argsort", "sort", lambda a, p: graphc.argsort(a[0], p["dim"], p["descending"]), _argsort_mirror,
     lambda n, p: _call("argsort", n, dim=p["dim"], descending=p["descending"]))
_add("sort", "sort", lambda a, p: graphc.sort(a[0], p["dim"], p["descending"]).values, _sort_mirror,
     lambda n, p: _call("sort", n, dim=p["dim"], descending=p["descending"]) + ".values")
_add("masked_sum", "indexing", lambda a, p: graphc.sum(graphc.masked_select(a[0], a[0] > p["above"])),
     _masked_sum_mirror,
     lambda n, p: f"graphc.sum(graphc.masked_select({n[0]}, {n[0]} > {literal(p['above'])}))")
_add("take", "indexing", lambda a, p: a[0][_take_index(p)],
     lambda a, p, ctx: a[0].map(lambda v: v[_take_index(p)]),
     lambda n, p: f"{n[0]}[{':, ' * p['axis']}{list(p['positions'])}]")
_add("setitem", "indexing", lambda a, p: graphc.setitem(a[0], _index(p["index"]), p["value"]),
     _setitem_mirror,
     lambda n, p: f"graphc.setitem({n[0]}, ({_index_source(p['index'])}), {literal(p['value'])})")


# ------------------------------------------------------------------ linear algebra

def _matmul_mirror(args, p, ctx):
    return bounds.matmul(*(bounds.cast(a, ctx.dtype) for a in args))


_add("matmul", "linalg", lambda a, p: graphc.matmul(a[0], a[1]), _matmul_mirror,
     lambda n, p: _call("matmul", n))
_add("dot", "linalg", lambda a, p: graphc.dot(a[0], a[1]), _matmul_mirror, lambda n, p: _call("dot", n))


# ---------------------------------------------------------------- compositions
# As graphc.functional composes them: the maximum (inf and NaN replaced by 0) is subtracted first.

def _stable_max(x: Bounded, axis: int) -> Bounded:
    m = bounds.reduce_extreme(x, (axis,), True, largest=True)
    finite = bounds.elementwise("lt", bounds.elementwise("abs", m), bounds.constant(np.inf, m.dtype))
    return bounds.elementwise("where", finite, m, bounds.constant(0, m.dtype))


def _composite_mirror(name: str):
    def mirror(args, p, ctx):
        x = bounds.cast(args[0], ctx.dtype)
        axis = p["axis"] % x.value.ndim
        m = _stable_max(x, axis)
        shifted = bounds.elementwise("sub", x, m)
        if name == "softmax":
            e = bounds.elementwise("exp", shifted)
            return bounds.elementwise("div", e, bounds.reduce_sum(e, (axis,), True))
        total = bounds.reduce_sum(bounds.elementwise("exp", shifted), (axis,), True)
        if name == "log_softmax":
            return bounds.elementwise("sub", shifted, bounds.elementwise("log", total))
        out = bounds.elementwise("add", bounds.elementwise("log", total), m)
        return out if p.get("keepdims") else out.map(lambda v: np.squeeze(v, axis))
    return mirror


_add("logsumexp", "composite", lambda a, p: graphc.logsumexp(a[0], p["axis"], p["keepdims"]),
     _composite_mirror("logsumexp"),
     lambda n, p: f"graphc.logsumexp({n[0]}, {p['axis']}, keepdims={p['keepdims']})")
for _name in ("softmax", "log_softmax"):
    _add(_name, "composite", lambda a, p, name=_name: getattr(graphc, name)(a[0], p["axis"]),
         _composite_mirror(_name), lambda n, p, name=_name: f"graphc.{name}({n[0]}, {p['axis']})")


# ------------------------------------------------------------------------- leaves

def _np_dtype(name: str) -> np.dtype:
    return np.dtype(name)


_add("arange", "leaf",
     lambda a, p: graphc.arange(p["start"], p["stop"], p["step"], dtype=getattr(graphc, p["dtype"])),
     lambda a, p, ctx: bounds.exact(np.arange(p["start"], p["stop"], p["step"], dtype=_np_dtype(p["dtype"]))),
     lambda n, p: (f"graphc.arange({literal(p['start'])}, {literal(p['stop'])}, {literal(p['step'])},"
                   f" dtype=graphc.{p['dtype']})"))
_add("eye", "leaf", lambda a, p: graphc.eye(p["n"], p["m"], dtype=getattr(graphc, p["dtype"])),
     lambda a, p, ctx: bounds.exact(np.eye(p["n"], p["m"], dtype=_np_dtype(p["dtype"]))),
     lambda n, p: f"graphc.eye({p['n']}, {p['m']}, dtype=graphc.{p['dtype']})")
_add("full", "leaf",
     lambda a, p: graphc.full(p["shape"], p["value"], dtype=getattr(graphc, p["dtype"])),
     lambda a, p, ctx: bounds.constant(np.full(_resolve(p["shape"], ctx),
                                               _scalar_value(p["value"], _np_dtype(p["dtype"]))),
                                       _np_dtype(p["dtype"])),
     lambda n, p: f"graphc.full({literal(p['shape'])}, {literal(p['value'])}, dtype=graphc.{p['dtype']})")
_add("tensor", "leaf",
     lambda a, p: graphc.tensor(np.array(p["data"], dtype=p["dtype"])),
     lambda a, p, ctx: bounds.constant(np.array(p["data"], dtype=p["dtype"]), _np_dtype(p["dtype"])),
     lambda n, p: f"graphc.tensor(np.array({literal(p['data'])}, dtype=np.{p['dtype']}))")

