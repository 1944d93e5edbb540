"""What a node's attributes and operands must be, checked where the node is built or parsed.

A bad attribute (`arange {start="a"}`, `eye {n="3"}`, `cast {dtype=n}`, an i64 scalar of
2**80) is refused where it is written, with a message naming the op and the attribute, rather
than failing, or silently wrapping around, when the graph is compiled or run. The table is data:
an op's attributes, each with what it must be.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import sympy

from graphc import dtypes
from graphc.dtypes import DType
from graphc.node import Ref, TensorType, TupleType


def _int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _dim(v) -> bool:
    return (_int(v) and v >= 0) or (not isinstance(v, (int, float, str, bool)) and hasattr(v, "free_symbols"))


def _slice_entry(v) -> bool:
    return v is None or _int(v) or (isinstance(v, tuple) and len(v) == 3
                                    and all(p is None or _int(p) for p in v))


Check = tuple[str, Callable[[Any], bool]]
STR: Check = ("a string", lambda v: isinstance(v, str))
BOOL: Check = ("true or false", lambda v: isinstance(v, (bool, np.bool_)))
INT: Check = ("an integer", _int)
SIZE: Check = ("a non-negative integer", lambda v: _int(v) and v >= 0)
OPTIONAL_INT: Check = ("an integer or none", lambda v: v is None or _int(v))
SYMBOL: Check = ("a size symbol", lambda v: isinstance(v, sympy.Symbol))
INTS: Check = ("a list of integers", lambda v: isinstance(v, tuple) and all(map(_int, v)))
NUMBER: Check = ("a number", lambda v: isinstance(v, (int, float, np.number)) and not isinstance(v, bool))
SCALAR: Check = ("a number or true/false", lambda v: isinstance(v, (bool, int, float, np.generic)))
DTYPE: Check = (f"a dtype ({dtypes.SHORT_NAMES})", lambda v: isinstance(v, DType))
ARRAY: Check = ("an array", lambda v: isinstance(v, Ref))
SHAPE: Check = ("a list of dimensions", lambda v: isinstance(v, tuple) and all(map(_dim, v)))
WIDTHS: Check = ("a list of [before, after] pairs", lambda v: isinstance(v, tuple) and all(
    isinstance(p, tuple) and len(p) == 2 and all(map(_dim, p)) for p in v))
INDEX: Check = ("a list of ints, none and [start, stop, step] slices",
                lambda v: isinstance(v, tuple) and all(map(_slice_entry, v)))
ANY: Check = ("anything", lambda v: True)

_REDUCE = {"axes": INTS, "keepdims": BOOL}
_ARG_REDUCE = {"axis": OPTIONAL_INT, "keepdims": BOOL}

ATTRIBUTES: dict[str, dict[str, Check]] = {
    "placeholder": {"name": STR},
    "parameter": {"name": STR, "value": ARRAY},
    "constant": {"value": ARRAY},
    "scalar": {"value": SCALAR},
    "arange": {"start": NUMBER, "stop": NUMBER, "step": NUMBER},
    "eye": {"n": SIZE, "m": SIZE},
    "cast": {"dtype": DTYPE},
    **{op: _REDUCE for op in ("sum", "prod", "mean", "max", "min")},
    "argmax": _ARG_REDUCE,
    "argmin": _ARG_REDUCE,
    "cumsum": {"axis": INT},
    "cumprod": {"axis": INT},
    "reshape": {"shape": SHAPE},
    "broadcast_to": {"shape": SHAPE},
    "transpose": {"perm": INTS},
    "flip": {"axes": INTS},
    "pad": {"widths": WIDTHS, "value": SCALAR},
    "cat": {"axis": INT},
    "getitem": {"index": INDEX},
    "setitem": {"index": INDEX},
    "gather": {"dim": INT},
    "scatter": {"dim": INT, "accumulate": BOOL},
    "argsort": {"dim": INT, "descending": BOOL},
    "nonzero": {"size": SYMBOL},
    "kernel": {"body": ANY, "kind": STR},  # the kernel's type rule checks its body
    "result": {"index": INT},
}
OPTIONAL = {"parameter": {"name"}}  # attributes an op may leave out
# Number attributes graphc stores as floats where the op's result is a float: the text form
# may write them as integers (`1` for `1.0`), and `widen_literals` makes them floats.
FLOAT_LITERALS = {"scalar": ("value",), "arange": ("start", "stop", "step"), "pad": ("value",)}


def widen_literals(op: str, attrs: dict[str, Any], dtype: DType) -> dict[str, Any]:
    """`attrs` with the integers among `op`'s FLOAT_LITERALS as floats, where `dtype` (the
    result's) is a float: as graphc.tensor, graphc.arange and graphc.pad store them."""
    keys = FLOAT_LITERALS.get(op, ())
    if not keys or not dtype.is_floating_point:
        return attrs
    return {k: float(v) if k in keys and _int(v) else v for k, v in attrs.items()}


def check_attrs(op: str, attrs: dict[str, Any]) -> None:
    """Raise ValueError/TypeError unless `attrs` are exactly what `op` takes, each of its kind
    (the messages leave the op's name to the caller). Ops not in the table take none.
    """
    expected = ATTRIBUTES.get(op, {})
    if not attrs and not expected:  # (most ops: elementwise ones take no attributes)
        return
    unknown = sorted(set(attrs) - set(expected))
    if unknown:
        raise ValueError(f"no attribute {unknown[0]!r} (its attributes: {', '.join(expected) or 'none'})")
    missing = sorted(set(expected) - set(attrs) - OPTIONAL.get(op, set()))
    if missing:
        raise ValueError(f"needs the attribute {missing[0]!r}")
    for name, value in attrs.items():
        what, ok = expected[name]
        if not ok(value):
            raise TypeError(f"attribute {name} must be {what}, got {value!r}")


def check_leaf(op: str, type_: TensorType, attrs: dict[str, Any]) -> None:
    """The attributes of a leaf, and that they fit its given type."""
    check_attrs(op, attrs)
    if op == "scalar":
        _check_scalar(attrs["value"], type_)
    elif op == "arange":
        from graphc.ops import arange_length

        if type_.dtype.category == 0:
            raise TypeError("arange makes numbers, not bools")
        bounds = (attrs["start"], attrs["stop"], attrs["step"])
        if type_.dtype.category == 1 and not all(float(v).is_integer() for v in bounds):
            raise TypeError(f"an {type_.dtype.name} arange has integer bounds, not {bounds}")

        length = arange_length(attrs["start"], attrs["stop"], attrs["step"])
        if type_.shape != (length,):
            raise ValueError(f"arange from {attrs['start']} to {attrs['stop']} by {attrs['step']}"
                             f" has {length} elements, but its type is {type_}")
    elif op == "eye" and type_.shape != (attrs["n"], attrs["m"]):
        raise ValueError(f"eye of n={attrs['n']}, m={attrs['m']} cannot have type {type_}")


def _check_scalar(value, type_: TensorType) -> None:
    """A scalar literal is of its dtype's kind, and an integer one fits the dtype."""
    if type_.shape != ():
        raise ValueError(f"a scalar has shape [], not {type_}")
    _check_literal(value, type_.dtype, "scalar")


def check_fill(value, dtype) -> None:
    """A fill value (pad's) is a literal of `dtype`, as graphc.pad stores it: true or false
    for bools, an integer in range for integers, a number for floats."""
    _check_literal(value, dtype, "pad value")


def _check_literal(value, dtype, what: str) -> None:
    category = dtype.category
    if category == 0 and not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"a bool {what} is true or false, not {value!r}")
    if category == 1:
        if not _int(value):
            raise TypeError(f"an {dtype.name} {what} must be an integer, not {value!r}")
        info = np.iinfo(dtype.numpy)
        if not info.min <= value <= info.max:
            raise ValueError(f"{what} {value} does not fit in {dtype.name} ({info.min} to {info.max})")
    number = isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_))
    if category == 2 and not number:
        raise TypeError(f"a {dtype.name} {what} must be a number, not {value!r}")


def check_operands(op: str, types: tuple) -> None:
    """Only `result` reads a multi-output kernel's value (a tuple); every other op reads tensors."""
    if op != "result":
        for k, t in enumerate(types):
            if isinstance(t, TupleType):
                raise TypeError(f"operand {k} is a multi-output kernel's value {t};"
                                " read one of its outputs with result {index=...}")


def finite_dim(value) -> bool:
    """Whether a parsed dimension is a finite expression (`n/0` gives sympy's complex infinity)."""
    return isinstance(value, int) or not value.has(sympy.zoo, sympy.oo, sympy.nan)
