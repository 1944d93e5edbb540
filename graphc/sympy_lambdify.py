"""`graphc.lambdify`: SymPy expressions to one compiled function over arrays, as
`sympy.lambdify` does with NumPy, but as fused machine code (and their Jacobian on request).

All expressions of one call become one graph, so what they share is computed once and the
LLVM backend fuses them into a kernel of many outputs. The Jacobian comes from `sympy.diff`:
its entries are elementwise formulas of the same symbols, SymPy knows which are identically
zero (they are never computed or stored), and the nonzero ones join the same graph, sharing
its subexpressions (an Arrhenius factor of a rate law appears in the rate and in each of its
derivatives). Reverse mode through `graphc.grad` would need one sweep per expression and the
broadcasts and reductions of batched cotangents, which the passes then have to remove.
"""

from __future__ import annotations

import numpy as np
import sympy

from graphc import dtypes
from graphc import functional as F
from graphc.dtypes import as_dtype
from graphc.function import Function
from graphc.sympy_bridge import from_sympy


def _flatten(exprs) -> tuple[list, str, tuple]:
    """The expressions as a flat list, the container kind and, for a matrix, its shape."""
    if isinstance(exprs, sympy.MatrixBase):
        return list(exprs), "matrix", exprs.shape
    if isinstance(exprs, (list, tuple)):
        if any(isinstance(e, (list, tuple, sympy.MatrixBase)) for e in exprs):
            raise TypeError("graphc.lambdify takes one expression, a flat list or tuple of them, or"
                            " a matrix; nested lists are not supported")
        return list(exprs), type(exprs).__name__, (len(exprs),)
    return [exprs], "single", ()


def _as_symbols(symbols) -> list[sympy.Symbol]:
    items = list(symbols) if isinstance(symbols, (list, tuple)) else [symbols]
    result = []
    for s in items:
        s = sympy.Symbol(s) if isinstance(s, str) else s
        if not isinstance(s, sympy.Symbol):
            raise TypeError(f"graphc.lambdify's arguments are SymPy symbols (or names), not {s!r}")
        result.append(s)
    if len(set(result)) != len(result):
        raise ValueError(f"graphc.lambdify's arguments must be distinct, got {result}")
    return result


class Lambdified:
    """A compiled function of SymPy expressions; call it with one array (or number) per symbol.

    Arguments broadcast against each other as in NumPy. The result has the structure of the
    expressions given: an array, a list or tuple of arrays, or for a matrix an array of
    shape `(rows, cols, *batch)`. An expression that does not depend on an array argument
    comes back as a read-only broadcast view of its value. With `jacobian=True` the call
    returns `(values, jacobian)`, the jacobian a list of rows (one per expression, matrices in
    row-major order), each a list of arrays (one per symbol, or per symbol of `jacobian=[...]`
    when given a list); identically zero entries are
    read-only broadcast zeros, computed and stored nowhere: `np.array(jacobian)` makes it dense.
    """

    def __init__(self, symbols, exprs, backend: str, jacobian: bool | list, dtype, passes: str):
        self.symbols = _as_symbols(symbols)
        flat, self._kind, self._shape = _flatten(exprs)
        self.exprs = [sympy.sympify(e) for e in flat]
        self.backend, self.passes, self.dtype = backend, passes, as_dtype(dtype)
        if not self.dtype.is_floating_point:
            raise TypeError(f"graphc.lambdify computes in float32 or float64, not {self.dtype.name}")
        self.jacobian: list[list[sympy.Expr]] | None = None
        outputs = list(self.exprs)
        if jacobian:
            self.wrt = self.symbols if jacobian is True else _as_symbols(jacobian)
            if not set(self.wrt) <= set(self.symbols):
                raise ValueError(f"graphc.lambdify: jacobian=[...] names {self.wrt}, which are not"
                                 f" all arguments ({', '.join(map(str, self.symbols))})")
            self.jacobian = [[sympy.diff(e, s) for s in self.wrt] for e in self.exprs]
            outputs += [d for row in self.jacobian for d in row if d != 0]
        self._outputs = outputs
        self._compiled: dict[tuple[bool, ...], Function] = {}
        self._compile((True,) * len(self.symbols))  # arrays for every argument, the usual call

    def _compile(self, signature: tuple[bool, ...]) -> Function:
        """The function for arguments that are arrays (True: a flat array) or numbers (False)."""
        compiled = self._compiled.get(signature)
        if compiled is None:
            inputs = [F.placeholder(s.name, ("n",) if is_array else (), self.dtype)
                      for s, is_array in zip(self.symbols, signature)]
            outputs = from_sympy(self._outputs, dict(zip(self.symbols, inputs)), dtype=self.dtype)
            compiled = Function(inputs, outputs, self.backend, self.passes)  # (each pauses the collector)
            self._compiled[signature] = compiled
        return compiled

    def __call__(self, *args):
        if len(args) != len(self.symbols):
            raise TypeError(f"this function takes {len(self.symbols)} arguments"
                            f" ({', '.join(map(str, self.symbols))}), got {len(args)}")
        arrays = [np.asarray(a, dtype=self.dtype.numpy) for a in args]
        try:
            batch = np.broadcast_shapes(*(a.shape for a in arrays))
        except ValueError as err:
            raise ValueError(f"the arguments do not broadcast together: {err}") from None
        flat = []
        for a in arrays:
            if (a.size == 1 and batch != a.shape) or a.ndim == 0:
                flat.append(a.reshape(()))
            else:  # a view when `a` already has the batch shape and is contiguous; else a copy
                flat.append(np.ascontiguousarray(np.broadcast_to(a, batch)).reshape(-1))
        results = self._compile(tuple(a.ndim == 1 for a in flat))(*flat)
        results = [self._shaped(r, batch) for r in results]
        values = self._structure(results[:len(self.exprs)])
        if self.jacobian is None:
            return values
        rest = iter(results[len(self.exprs):])
        zero = np.broadcast_to(np.zeros((), self.dtype.numpy), batch)
        return values, [[next(rest) if d != 0 else zero for d in row] for row in self.jacobian]

    @staticmethod
    def _shaped(result: np.ndarray, batch: tuple) -> np.ndarray:
        if result.ndim == 0:
            return np.broadcast_to(result, batch) if batch else result[()]
        return result.reshape(batch)

    def _structure(self, values: list):
        if self._kind == "single":
            return values[0]
        if self._kind == "matrix":
            return np.array(values).reshape(*self._shape, *np.shape(values[0]))
        return values if self._kind == "list" else tuple(values)

    def __repr__(self) -> str:
        names = ", ".join(map(str, self.symbols))
        jac = ", jacobian" if self.jacobian is not None else ""
        return (f"<graphc.lambdify({names}): {len(self.exprs)} expressions{jac},"
                f" {self.dtype.name}, backend={self.backend}>")


# SymPy's own evaluation has put the formulas in one canonical, simplified form already:
# `-O1`'s canonicalize and simplify found nothing more in W7 (the same kernel, op for op)
# and cost a tenth of building it (0.04 s of 0.4).
PASSES = "fold-constants,cse,dce"


def lambdify(symbols, exprs, backend: str = "llvm", *, jacobian: bool | list = False,
             dtype=dtypes.float64, passes: str = PASSES) -> Lambdified:
    """Compile SymPy expression(s) of `symbols` into one function over arrays.

    `graphc.lambdify([x, y], [e1, e2])(xs, ys)` -> `[e1(xs, ys), e2(xs, ys)]`, like
    `sympy.lambdify`; `jacobian=True` also returns d expression / d symbol (`jacobian=[x]`:
    with respect to some of the symbols only, as the state of an ODE). Computes in
    float64 unless `dtype=graphc.float32`. Compiles once for array arguments now, and once
    more for each other mix of arrays and numbers when first called with it, through the
    pass pipeline `passes` (`PASSES`; "-O1" adds canonicalize and simplify).
    """
    return Lambdified(symbols, exprs, backend, jacobian, dtype, passes)
