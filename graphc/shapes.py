"""Shapes whose dimensions are ints or symbols, and NumPy broadcasting over them.

A symbolic dimension is a sympy expression over non-negative integer symbols; a
bare name given by the user (`("n", 3)`) becomes `sympy.Symbol("n")`. Static
shapes never touch sympy, so the common path stays cheap.
"""

from __future__ import annotations

import keyword
import math
from collections.abc import Iterable

import sympy

Dim = int | sympy.Expr
Shape = tuple[Dim, ...]

_SYMBOLS: dict[str, sympy.Symbol] = {}
# Data-dependent sizes: symbols bound when one node runs (a `nonzero`'s count), not by an
# input's shape. Each maps to what binds it, for error messages.
_DATA_DEPENDENT: dict[sympy.Symbol, str] = {}


def symbol(name: str) -> sympy.Symbol:
    """The dimension symbol called `name` (a Python identifier)."""
    sym = _SYMBOLS.get(name)
    if sym is None:
        if not name.isidentifier() or keyword.iskeyword(name):
            raise ValueError(f"a symbolic dimension must be named by an identifier, got {name!r}")
        sym = _SYMBOLS[name] = sympy.Symbol(name, integer=True, nonnegative=True)
    return sym


def fresh_size(prefix: str, binder: str) -> sympy.Symbol:
    """A new data-dependent size symbol (`nz0`, `nz1`, ...), no name of which is in use yet;
    `binder` says which node binds it (`nonzero created at file:line`)."""
    k = 0
    while f"{prefix}{k}" in _SYMBOLS:
        k += 1
    sym = symbol(f"{prefix}{k}")
    _DATA_DEPENDENT[sym] = binder
    return sym


def mark_data_dependent(sym: sympy.Symbol, binder: str) -> None:
    """Record that `sym` is a data-dependent size (a parsed `nonzero {size=nz0}` says so)."""
    _DATA_DEPENDENT.setdefault(sym, binder)


def data_dependent(shape: Shape) -> list[sympy.Symbol]:
    """The data-dependent size symbols in `shape`, by name."""
    return sorted((s for s in symbols_of(shape) if s in _DATA_DEPENDENT), key=str)


def describe_size(sym: sympy.Symbol) -> str:
    """`size nz0 (data-dependent: bound when nonzero created at f.py:3 runs)`."""
    return f"size {sym} (data-dependent: bound when {_DATA_DEPENDENT.get(sym, 'its node')} runs)"


def as_dim(value) -> Dim:
    """Normalise one user-given dimension: an int, a symbol name, or a sympy expression."""
    if isinstance(value, bool):
        raise TypeError(f"a dimension must be an int or a symbol name, got {value!r}")
    if hasattr(value, "_sympy_"):  # graphc.SymInt, the user's view of a symbolic size
        value = value._sympy_()
    if isinstance(value, int) or (hasattr(value, "__index__") and not isinstance(value, sympy.Basic)):
        value = int(value)
        if value < 0:
            raise ValueError(f"a dimension must be non-negative, got {value}")
        return value
    if isinstance(value, str):
        sym = symbol(value)
        if sym in _DATA_DEPENDENT:
            raise ValueError(f"{value!r} already names a data-dependent size (bound when"
                             f" {_DATA_DEPENDENT[sym]} runs); give this dimension another name")
        return sym
    if isinstance(value, sympy.Expr):
        return simplify_dim(value)
    raise TypeError(f"a dimension must be an int or a symbol name, got {value!r}")


def as_shape(value) -> Shape:
    """Normalise a user-given shape (an int, or an iterable of dimensions)."""
    if (isinstance(value, (int, str)) and not isinstance(value, bool)) or hasattr(value, "_sympy_"):
        value = (value,)
    if not isinstance(value, Iterable):
        raise TypeError(f"a shape must be a tuple of dimensions, got {value!r}")
    return tuple(as_dim(d) for d in value)


def simplify_dim(expr) -> Dim:
    """Reduce a sympy dimension to an int when it is constant."""
    if isinstance(expr, int):
        return expr
    expr = sympy.simplify(expr) if not expr.is_Atom else expr
    if expr.is_Integer:
        return int(expr)
    return expr


def is_static(shape: Shape) -> bool:
    return all(isinstance(d, int) for d in shape)


def numel(shape: Shape) -> Dim:
    """The number of elements: an int for static shapes, else a sympy expression."""
    if is_static(shape):
        return math.prod(shape)
    return simplify_dim(sympy.Mul(*shape))


def symbols_of(shape: Shape) -> set[sympy.Symbol]:
    out: set[sympy.Symbol] = set()
    for d in shape:
        if not isinstance(d, int):
            out |= d.free_symbols
    return out


def dims_equal(a: Dim, b: Dim) -> bool | None:
    """True if provably equal, False if provably different, None if unknown."""
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    if a == b:
        return True
    diff = simplify_dim(sympy.sympify(a) - b)
    if isinstance(diff, int):
        return diff == 0
    return None


def format_dim(d) -> str:
    return str(d) if isinstance(d, int) else str(d).replace(" ", "")


def format_shape(shape: Shape) -> str:
    return "[" + ", ".join(format_dim(d) for d in shape) + "]"


def broadcast_shapes(*shapes: Shape) -> Shape:
    """NumPy broadcasting. Raises ValueError when sizes provably differ.

    A symbol broadcasts against 1 (taking the symbol) and against itself; two
    different symbols are assumed equal only if sympy proves it, otherwise the
    shapes are reported incompatible, since no static answer exists.
    """
    first = shapes[0] if shapes else ()
    for s in shapes:  # (a loop: all() over a generator costs more on two or three shapes)
        if s and s != first:  # (a 0-d shape broadcasts to any other unchanged)
            break
    else:
        return first
    ndim = max((len(s) for s in shapes), default=0)
    out: list[Dim] = []
    for axis in range(ndim):
        result: Dim = 1
        for s in shapes:
            i = axis - (ndim - len(s))
            if i < 0:
                continue
            d = s[i]
            if isinstance(d, int) and d == 1:
                continue
            if isinstance(result, int) and result == 1:
                result = d
            elif result != d and dims_equal(result, d) is not True:
                unknown = data_dependent((result, d))
                raise ValueError(
                    "shapes " + ", ".join(format_shape(s) for s in shapes)
                    + f" cannot be broadcast together (dimension {format_dim(result)}"
                    f" vs {format_dim(d)})"
                    + (f"; the {describe_size(unknown[0])} equals no other size when the graph"
                       " is built" if unknown else "")
                )
        out.append(result)
    return tuple(out)


def normalize_axis(axis: int, ndim: int, what: str = "axis") -> int:
    """Map a possibly negative axis into range(ndim), or raise IndexError."""
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise TypeError(f"{what} must be an int, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise IndexError(f"{what} {axis} is out of range for a tensor with {ndim} dimensions")
    return axis % ndim if ndim else 0


def normalize_axes(axis, ndim: int) -> tuple[int, ...]:
    """Normalise an axis spec (None, int or sequence) into a sorted tuple without repeats."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    axes = tuple(normalize_axis(a, ndim) for a in axis)
    if len(set(axes)) != len(axes):
        raise ValueError(f"axis {tuple(axis)} repeats a dimension")
    return tuple(sorted(axes))
