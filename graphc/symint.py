"""`graphc.SymInt`: a symbolic size as the user sees it (`x.shape[0]` of a `("n", 3)` placeholder).

It wraps the IR's dimension (a sympy expression) so that sympy never reaches the user: it prints as
`n` or `2*n - 1`, does integer arithmetic with ints and other sizes, compares where the answer
is known for every value of its symbols, and is accepted wherever graphc takes a size. A size
that turns out constant (`n - n + 3`) is a plain int, as a static size always is.
"""

from __future__ import annotations

import operator

import sympy

from graphc.shapes import Dim, dims_equal, format_dim, simplify_dim


class SymbolicSizeError(TypeError):
    """A question about a symbolic size that only a call of the compiled function can answer."""


class SymInt:
    """A symbolic size: `n`, `2*n - 1`, `floor(n/2)`; known when a compiled function is called."""

    __slots__ = ("_expr",)

    def __init__(self, expr: sympy.Expr):
        self._expr = expr

    def _sympy_(self) -> sympy.Expr:  # sympy's conversion protocol: the IR's dimension
        return self._expr

    def __repr__(self) -> str:
        return format_dim(self._expr)

    __str__ = __repr__

    def __hash__(self) -> int:
        return hash(self._expr)

    # ------------------------------------------------------------ equality and order
    def __eq__(self, other) -> bool:  # type: ignore[override]
        """True when the sizes are equal for every value of their symbols (`n == n`, `2*n == n + n`);
        False otherwise, including `n == 3`: a size is not known to be 3 before a call."""
        o = _operand(other)
        return NotImplemented if o is None else dims_equal(self._expr, o) is True

    def __ne__(self, other) -> bool:  # type: ignore[override]
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def _decide(self, other, relation, symbol: str, reverse: bool = False) -> bool:
        o = _operand(other)
        if o is None:
            return NotImplemented
        a, b = (o, self._expr) if reverse else (self._expr, o)
        answer = relation(sympy.sympify(a), b)
        if answer in (sympy.true, sympy.false):
            return bool(answer)
        raise SymbolicSizeError(
            f"{format_dim(a)} {symbol} {format_dim(b)} depends on the sizes a compiled function is"
            " called with, so it cannot be decided while the graph is built")

    def __lt__(self, other): return self._decide(other, operator.lt, "<")
    def __le__(self, other): return self._decide(other, operator.le, "<=")
    def __gt__(self, other): return self._decide(other, operator.gt, ">")
    def __ge__(self, other): return self._decide(other, operator.ge, ">=")

    def __bool__(self) -> bool:
        """Whether the size is nonzero: decided only where it is for every value of its symbols."""
        if self._expr.is_zero is None:
            raise SymbolicSizeError(f"{self} != 0 depends on the sizes a compiled function is called"
                                    " with, so it cannot be decided while the graph is built")
        return not self._expr.is_zero

    def __int__(self) -> int:
        raise SymbolicSizeError(f"int() of the symbolic size {self}: it is known only when the"
                                " compiled function is called")

    __float__ = __index__ = __int__  # range(n), np.zeros(n): a clear error, not "not an integer"

    # ------------------------------------------------------------------ arithmetic
    def _apply(self, other, combine, reverse: bool = False):
        o = _operand(other)
        if o is None:
            return NotImplemented
        a, b = (sympy.sympify(o), self._expr) if reverse else (self._expr, sympy.sympify(o))
        return wrap(simplify_dim(combine(a, b)))

    def __add__(self, other): return self._apply(other, operator.add)
    def __radd__(self, other): return self._apply(other, operator.add, True)
    def __sub__(self, other): return self._apply(other, operator.sub)
    def __rsub__(self, other): return self._apply(other, operator.sub, True)
    def __mul__(self, other): return self._apply(other, operator.mul)
    def __rmul__(self, other): return self._apply(other, operator.mul, True)
    def __floordiv__(self, other): return self._apply(other, _floordiv)
    def __rfloordiv__(self, other): return self._apply(other, _floordiv, True)
    def __mod__(self, other): return self._apply(other, _mod)
    def __rmod__(self, other): return self._apply(other, _mod, True)
    def __neg__(self): return wrap(simplify_dim(-self._expr))
    def __pos__(self): return self


def _floordiv(a, b):
    if b == 0:
        raise ZeroDivisionError("integer division of a size by zero")
    return sympy.floor(a / b)


def _mod(a, b):
    if b == 0:
        raise ZeroDivisionError("a size modulo zero")
    return sympy.Mod(a, b)


def _operand(value) -> sympy.Expr | int | None:
    """An int, a SymInt or an IR dimension as a dimension; None for anything else."""
    if isinstance(value, SymInt):
        return value._expr
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, sympy.Expr):
        return value
    return None


def wrap(dim: Dim) -> int | SymInt:
    """The user's view of an IR dimension: an int if static, else a SymInt."""
    return dim if isinstance(dim, int) else SymInt(dim)
