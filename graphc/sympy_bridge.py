"""SymPy formulas in, SymPy formulas out: `from_sympy` builds graphc tensors from SymPy
expressions, `to_sympy` writes the elementwise part of a graph back as one.

What each SymPy class becomes (and each graphc op) is an entry in a table; one walk with an
explicit stack applies them, because SymPy trees and graphc graphs can be deeper than
Python's recursion limit. Docs: docs/sympy.md.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import reduce
from typing import Any

import numpy as np
import sympy
from sympy.codegen.cfunctions import expm1, log1p
from sympy.core.parameters import evaluate as sympy_evaluate

from graphc import dtypes
from graphc import functional as F
from graphc.dtypes import DType, as_dtype
from graphc.gcpause import paused_gc
from graphc.graph import as_node, topological_order
from graphc.node import Node, at_callers_line
from graphc.tensor import Tensor

Value = Tensor | int | float | bool  # what a SymPy subexpression becomes while converting
MAX_PRODUCT_POWER = 64  # x**n for |n| up to this is a product by repeated squaring, not pow()


class SympyConversionError(ValueError):
    """A SymPy expression or a graphc graph uses something the other side cannot express."""


def _short(expr) -> str:
    try:
        text = str(expr)
    except RecursionError:  # SymPy's printer recurses; a deep tree gets its head only
        return f"{type(expr).__name__}(...)"
    return text if len(text) <= 80 else text[:77] + "..."


def _pairwise(combine: Callable[[Value, Value], Value], values: list[Value]) -> Value:
    """Combine values as a balanced tree: shorter dependency chains than a left-to-right
    chain, and sums that round less. Python numbers are combined first, in Python (with the
    same operator), so they stay one constant of the tensors' dtype."""
    numbers = [v for v in values if not isinstance(v, Tensor)]
    if len(numbers) > 1:
        values = [v for v in values if isinstance(v, Tensor)] + [reduce(PYTHON[combine], numbers)]
    while len(values) > 1:
        values = [combine(values[k], values[k + 1]) if k + 1 < len(values) else values[k]
                  for k in range(0, len(values), 2)]
    return values[0]


PYTHON = {F.add: operator.add, F.mul: operator.mul, F.maximum: max, F.minimum: min,
          F.logical_and: operator.and_, F.logical_or: operator.or_, F.ne: operator.xor}


def _product_power(base: Value, n: int) -> Value:
    """`base**n` for an integer n >= 1 by repeated squaring: at most 2*log2(n) multiplies."""
    result, square = None, base
    while n:
        if n & 1:
            result = square if result is None else result * square
        n >>= 1
        if n:
            square = square * square
    return result


def _number(expr: sympy.Basic) -> int | float | bool:
    """A SymPy number as a Python one: ints stay ints (when int64 holds them), anything else
    is evaluated by SymPy and rounded once to a float."""
    if isinstance(expr, sympy.logic.boolalg.BooleanAtom):
        return bool(expr)
    if expr.is_Integer and -2 ** 63 <= int(expr) < 2 ** 63:
        return int(expr)
    try:
        return float(expr)
    except TypeError:
        raise SympyConversionError(f"from_sympy: {_short(expr)} is not a real number") from None


# ----------------------------------------------------------------- from_sympy rules
# A rule splits a SymPy node into the subexpressions to convert first and a plan, then
# builds the node's value from the plan and the converted subexpressions.

@dataclass(frozen=True)
class Rule:
    split: Callable[[sympy.Basic], tuple[list, Any]]
    build: Callable[[Any, list[Value], _FromSympy], Value]


def call(fn: Callable[..., Value]) -> Rule:
    """The rule for a SymPy function that is one graphc builder applied to its arguments."""
    return Rule(lambda e: (list(e.args), None), lambda plan, args, conv: fn(*args))


def fold(fn: Callable[[Value, Value], Value]) -> Rule:
    """The rule for an n-ary SymPy function (Max, And, ...) as a balanced tree of `fn`."""
    return Rule(lambda e: (list(e.args), None), lambda plan, args, conv: _pairwise(fn, args))


def _partition(parts, turned: Callable[[sympy.Basic], sympy.Basic | None]) -> tuple[list, int]:
    """`parts` kept as they are, then those that `turned` turns around (it gives None for
    the others), and how many were kept."""
    kept, other = [], []
    for part in parts:
        turned_part = turned(part)
        if turned_part is None:
            kept.append(part)
        else:
            other.append(turned_part)
    return kept + other, len(kept)


def _split_add(expr):
    """Terms with a negative coefficient are subtracted: `x - y`, not `x + (-1)*y`."""
    const, rest = expr.as_coeff_Add()
    children, n_positive = _partition(sympy.Add.make_args(rest),
                                      lambda t: -t if t.as_coeff_Mul()[0].is_negative else None)
    return children, (_number(const), n_positive)


def _build_add(plan, values, conv):
    const, n_positive = plan
    positive, negative = values[:n_positive], values[n_positive:]
    if const:
        (positive if const > 0 else negative).append(abs(const))
    if not negative:
        return _pairwise(F.add, positive)
    subtracted = _pairwise(F.add, negative)
    return F.sub(_pairwise(F.add, positive), subtracted) if positive else F.neg(subtracted)


def _reciprocal(factor):
    base, exponent = factor.as_base_exp()
    return base ** -exponent if exponent.is_Number and exponent.is_negative else None


def _split_mul(expr):
    """Factors with a negative exponent form a denominator: `x/y`, not `x * y**-1`."""
    coeff, rest = expr.as_coeff_Mul()
    children, n_numerator = _partition(sympy.Mul.make_args(rest), _reciprocal)
    return children, (_number(coeff), n_numerator)


def _build_mul(plan, values, conv):
    """`-c / y` divides the constant -c: an op fewer than `-(c / y)` and the same bits
    (rounding is symmetric). A product of tensors keeps its `neg`: `x * 2.5` is then one node
    for both `2.5*x` and `-2.5*x` (a rate and its loss term)."""
    coeff, n_numerator = plan
    numerator, denominator = values[:n_numerator], values[n_numerator:]
    if not numerator and coeff < 0:
        numerator, coeff = [coeff], 1
    elif abs(coeff) != 1:
        numerator.append(abs(coeff))
    value = _pairwise(F.mul, numerator) if numerator else 1
    if denominator:
        value = F.div(value, _pairwise(F.mul, denominator))
    return F.neg(value) if coeff < 0 else value


def _split_pow(expr):
    base, exponent = expr.args
    if exponent.is_Integer:
        return [base], ("integer", int(exponent))
    if exponent.is_Rational and exponent.q == 2:
        return [base], ("half", int(exponent.p))
    return [base, exponent], ("general", None)


def _build_pow(plan, values, conv):
    kind, p = plan
    base = values[0]
    if kind == "general":
        return F.pow(base, values[1])
    if kind == "half":  # x**(p/2) = x**((p-1)/2) * sqrt(x); x**(-1/2) = rsqrt(x)
        if p == -1:
            return F.rsqrt(base)
        root = F.sqrt(base)
        return root if p == 1 else _integer_power(base, (p - 1) // 2) * root
    return _integer_power(base, p)


def _integer_power(base, n: int):
    if n == 0:
        return F.ones_like(base)
    if abs(n) > MAX_PRODUCT_POWER:
        return F.pow(base, float(n))
    product = _product_power(base, abs(n))
    return product if n > 0 else F.div(1, product)


def _split_piecewise(expr):
    return [part for pair in expr.args for part in pair], len(expr.args)


def _build_piecewise(plan, values, conv):
    """`where` from the last piece back; NaN where no condition holds, as SymPy leaves it undefined."""
    pieces = list(zip(values[0::2], values[1::2]))
    value: Value = float("nan")
    for branch, condition in reversed(pieces):
        if condition is True:
            value = branch
        elif condition is not False:
            if not isinstance(branch, Tensor) and not isinstance(value, Tensor):
                branch = conv.constant(branch)
            value = F.where(condition, branch, value)
    return value


RULES: dict[type, Rule] = {
    sympy.Add: Rule(_split_add, _build_add),
    sympy.Mul: Rule(_split_mul, _build_mul),
    sympy.Pow: Rule(_split_pow, _build_pow),
    sympy.Piecewise: Rule(_split_piecewise, _build_piecewise),
    sympy.exp: call(F.exp),
    sympy.log: call(F.log),
    log1p: call(F.log1p),
    expm1: call(F.expm1),
    sympy.sin: call(F.sin),
    sympy.cos: call(F.cos),
    sympy.tan: call(F.tan),
    sympy.tanh: call(F.tanh),
    sympy.atan: call(lambda x: F.atan2(x, 1.0)),  # exact: atan(x) is atan2(x, 1)
    sympy.atan2: call(F.atan2),
    sympy.sinh: call(lambda x: (F.expm1(x) - F.expm1(-x)) * 0.5),  # no cancellation near 0
    sympy.cosh: call(lambda x: (F.exp(x) + F.exp(-x)) * 0.5),
    sympy.erf: call(F.erf),
    sympy.Abs: call(F.abs),
    sympy.sign: call(F.sign),
    sympy.floor: call(F.floor),
    sympy.ceiling: call(F.ceil),
    sympy.Mod: call(F.mod),
    sympy.Max: fold(F.maximum),
    sympy.Min: fold(F.minimum),
    sympy.StrictLessThan: call(F.lt),
    sympy.LessThan: call(F.le),
    sympy.StrictGreaterThan: call(F.gt),
    sympy.GreaterThan: call(F.ge),
    sympy.Equality: call(F.eq),
    sympy.Unequality: call(F.ne),
    sympy.And: fold(F.logical_and),
    sympy.Or: fold(F.logical_or),
    sympy.Not: call(F.logical_not),
    sympy.Xor: fold(F.ne),
    sympy.ITE: call(F.where),  # SymPy's if-then-else of truth values, as Piecewise conditions
}
REDUCTIONS = {sympy.Sum: F.sum, sympy.Product: F.prod}  # over one index: see _FromSympy._reduce


def _rule(expr: sympy.Basic) -> Rule:
    for cls in type(expr).__mro__:
        rule = RULES.get(cls)
        if rule is not None:
            return rule
    supported = ", ".join(sorted(c.__name__ for c in (*RULES, *REDUCTIONS)))
    raise SympyConversionError(
        f"from_sympy: graphc has no counterpart of SymPy's {type(expr).__name__}"
        f" (in {_short(expr)}); supported: {supported}, numbers, symbols, x[i] in a Sum")


# ------------------------------------------------------------------------ the walk

Scope = tuple[tuple[sympy.Basic, int, int], ...]  # the enclosing sums' (index, lo, hi), innermost last


class _FromSympy:
    """One conversion: the bindings, the dtype of constants, and the values found so far."""

    def __init__(self, bindings: Mapping, dtype: DType | None):
        self.dtype = as_dtype(dtype) if dtype is not None else _widest_float(bindings.values())
        self.by_object: dict[sympy.Basic, Tensor] = {}
        self.by_name: dict[str, Tensor] = {}
        self.integers: dict[str, int] = {}  # names bound to ints, for Sum bounds and indices
        for key, value in bindings.items():
            if not isinstance(key, (str, sympy.Symbol, sympy.Idx, sympy.IndexedBase)):
                raise TypeError(f"from_sympy binds symbols (a sympy.Symbol, IndexedBase or name),"
                                f" not {type(key).__name__} {key!r}")
            name = key if isinstance(key, str) else str(key)
            if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
                self.integers[name] = int(value)
            self.by_name[name] = tensor = self._tensor(key, value)
            if not isinstance(key, str):
                self.by_object[key] = tensor
        self.memo: dict[tuple[sympy.Basic, Scope], Value] = {}

    def with_integers(self, expr: sympy.Basic) -> sympy.Basic:
        """`expr` with the symbols bound to ints replaced by them (in Sum bounds and indices)."""
        return expr.xreplace({s: sympy.Integer(self.integers[s.name]) for s in expr.free_symbols
                              if getattr(s, "name", None) in self.integers})

    def _tensor(self, key, value) -> Tensor:
        if isinstance(value, Tensor):
            return value
        if isinstance(value, sympy.Basic):
            value = _number(value)
        if isinstance(value, np.ndarray):
            return F.tensor(value)
        try:
            return F.tensor(value, dtype=self.dtype)
        except (TypeError, ValueError) as err:
            raise TypeError(f"from_sympy: the value bound to {key} must be a graphc tensor, an"
                            f" array or a number ({err})") from None

    def constant(self, value) -> Tensor:
        """A Python number as a 0-d tensor of the conversion's dtype."""
        return F.tensor(value, dtype=self.dtype if not isinstance(value, bool) else dtypes.bool_)

    def lookup(self, symbol: sympy.Basic) -> Tensor:
        value = self.by_object.get(symbol)
        if value is None:
            value = self.by_name.get(str(symbol))
        if value is None:
            bound = ", ".join(sorted(self.by_name)) or "nothing"
            raise SympyConversionError(f"from_sympy: symbol {symbol} is not bound; pass"
                                       f" {{{symbol}: tensor}} (bound: {bound})")
        return value

    # ------------------------------------------------------------------- walk
    def convert(self, root: sympy.Basic) -> Value:
        """The value of `root`, converting each distinct subexpression once."""
        pending: dict[tuple, tuple[list, Any, Rule | None]] = {}
        stack: list[tuple[sympy.Basic, Scope]] = [(root, ())]
        while stack:
            expr, scope = stack[-1]
            key = (expr, scope)
            if key in self.memo:
                stack.pop()
                continue
            if key not in pending:
                leaf = self._leaf(expr, scope)
                if leaf is not None:
                    self.memo[key] = leaf
                    stack.pop()
                    continue
                pending[key] = self._split(expr, scope)
                stack.extend(child for child in pending[key][0] if child not in self.memo)
                continue
            stack.pop()
            children, plan, rule = pending.pop(key)
            values = [self.memo[child] for child in children]
            if rule is None:
                self.memo[key] = self._reduce(plan, values[0], scope)
            elif isinstance(expr, sympy.Expr) and not any(isinstance(v, Tensor) for v in values):
                self.memo[key] = _number(expr)  # sin(2), sqrt(2)*pi: SymPy evaluates it, once rounded
            else:
                self.memo[key] = rule.build(plan, values, self)
        return self.memo[(root, ())]

    def _leaf(self, expr: sympy.Basic, scope: Scope) -> Value | None:
        """The value of a number, symbol or indexed symbol; None for anything else."""
        if isinstance(expr, (sympy.logic.boolalg.BooleanAtom, sympy.Number, sympy.NumberSymbol)):
            return _number(expr)
        if isinstance(expr, (sympy.Symbol, sympy.Idx)):
            indices = [index for index, _, _ in scope]
            if expr in indices:
                return self._index_values(expr, scope)
            return _in_scope(self.lookup(expr), scope)
        if isinstance(expr, sympy.Indexed):
            return self._indexed(expr, scope)
        return None

    def _split(self, expr: sympy.Basic, scope: Scope) -> tuple[list, Any, Rule | None]:
        reduce = REDUCTIONS.get(type(expr))
        if reduce is not None:
            if len(expr.limits) != 1:
                raise SympyConversionError(f"from_sympy: {_short(expr)} runs over several indices;"
                                           " graphc maps a Sum or Product over one index")
            index, lo, hi = expr.limits[0]
            lo, hi = self._bound(expr, lo), self._bound(expr, hi)
            return [(expr.function, (*scope, (index, int(lo), int(hi))))], (reduce, int(hi - lo + 1)), None
        rule = _rule(expr)
        children, plan = rule.split(expr)
        return [(child, scope) for child in children], plan, rule

    def _bound(self, expr, part):
        value = self.with_integers(part)
        if not value.is_Integer:
            raise SympyConversionError(f"from_sympy: the bounds of {_short(expr)} must be integers;"
                                       f" bind the symbols in {part} to ints")
        return value

    def _reduce(self, plan, body: Value, scope: Scope) -> Value:
        """A Sum or Product: its body has the index along a last axis of size L (or 1)."""
        reduce, length = plan
        if length < 1:
            raise SympyConversionError("from_sympy: a Sum or Product over an empty range")
        if not isinstance(body, Tensor):
            body = self.constant(body)
        body = F.unsqueeze(body, -1) if body.ndim == 0 else body
        if body.shape[-1] != length:
            body = F.broadcast_to(body, (*body.shape[:-1], length))
        return _in_scope(reduce(body, axis=-1), scope)

    def _index_values(self, index, scope: Scope) -> Tensor:
        inner, lo, hi = scope[-1]
        if index != inner:
            raise SympyConversionError(f"from_sympy: the sum over {inner} uses the outer index"
                                       f" {index}; graphc maps sums whose terms use their own index")
        return F.arange(lo, hi + 1)

    def _indexed(self, expr: sympy.Indexed, scope: Scope) -> Tensor:
        """`x[3]` is an element; `x[i + k]` in a sum over i is a slice along the sum's axis."""
        base = self.lookup(expr.base.label) if expr.base not in self.by_object else self.by_object[expr.base]
        if base.ndim != 1 or len(expr.indices) != 1:
            raise SympyConversionError(f"from_sympy: {_short(expr)}: graphc maps one index into a"
                                       f" 1-D tensor, and {expr.base} has shape {list(base.shape)}")
        (index,) = expr.indices
        index = self.with_integers(index)
        if index.is_Integer:
            return _in_scope(base[int(index)], scope)
        if not scope:
            raise SympyConversionError(f"from_sympy: {_short(expr)} is used outside a Sum over its index")
        inner, lo, hi = scope[-1]
        offset = index - inner
        if not offset.is_Integer:
            raise SympyConversionError(f"from_sympy: {_short(expr)} in a sum over {inner}: an index"
                                       f" must be {inner} plus an integer")
        start, stop = lo + int(offset), hi + int(offset) + 1
        size = base.shape[0]
        if start < 0 or (isinstance(size, int) and stop > size):
            raise SympyConversionError(f"from_sympy: {_short(expr)} for {inner} in [{lo}, {hi}] reads"
                                       f" elements {start}..{stop - 1} of {expr.base}, which has {size}")
        return base[start:stop]


def _in_scope(value: Tensor, scope: Scope) -> Tensor:
    """Inside a sum, a value that does not depend on the index gets a size-1 index axis."""
    return F.unsqueeze(value, -1) if scope else value


def _widest_float(values) -> DType:
    floats = [v.dtype if isinstance(v, Tensor) else dtypes.from_numpy(v.dtype)
              for v in values if isinstance(v, (Tensor, np.ndarray))]
    floats = [d for d in floats if d.is_floating_point]
    return max(floats, key=lambda d: d.itemsize, default=dtypes.DEFAULT_FLOAT)


def from_sympy(exprs, bindings: Mapping, *, dtype=None):
    """graphc tensors computing SymPy expression(s), with `bindings` giving each symbol a value.

    `exprs` is an expression, a list or tuple of them (a list or tuple comes back), or a
    matrix (a list of rows comes back). `bindings` maps symbols (or their names; an
    IndexedBase for `x[i]`) to tensors, arrays or numbers. Numbers in the formulas become
    constants of the tensors' dtype; `dtype` (default: the widest float bound, else float32)
    is used for bound numbers and for results that are constants.
    """
    conv = _FromSympy(bindings, dtype)

    def one(expr) -> Tensor:
        value = conv.convert(sympy.sympify(expr))
        return value if isinstance(value, Tensor) else conv.constant(value)

    # many short-lived objects, no cycles worth collecting part-way; every node at the caller's line
    with paused_gc(), at_callers_line():
        if isinstance(exprs, sympy.MatrixBase):
            return [[one(e) for e in exprs.row(r)] for r in range(exprs.rows)]
        if isinstance(exprs, (list, tuple)):
            return type(exprs)(one(e) for e in exprs)
        return one(exprs)


# -------------------------------------------------------------------- to_sympy

def _cast(node: Node, value):
    source, target = node.inputs[0].dtype, node.dtype
    if target is dtypes.bool_:
        return value if source is dtypes.bool_ else sympy.Ne(value, 0)
    if source is dtypes.bool_:
        return sympy.Piecewise((1, value), (0, True))
    if target.is_floating_point or source.category == 1:
        return value
    return sympy.sign(value) * sympy.floor(sympy.Abs(value))  # float -> int truncates


def _scalar(value) -> sympy.Basic:
    """A literal as SymPy reads it best: ints as Integers, short binary fractions as
    Rationals (0.5 is 1/2), other floats as exact Floats."""
    if isinstance(value, bool):
        return sympy.true if value else sympy.false
    if isinstance(value, float) and not np.isfinite(value):
        return sympy.nan if np.isnan(value) else sympy.oo if value > 0 else -sympy.oo
    fraction = Fraction(value)
    if fraction.denominator <= 1024:
        return sympy.Rational(fraction.numerator, fraction.denominator)
    return sympy.Float(value)


def _identity(value):
    return value


TO_SYMPY: dict[str, Callable[..., sympy.Basic]] = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
    "neg": operator.neg, "pow": operator.pow, "mod": sympy.Mod,
    "floordiv": lambda a, b: sympy.floor(a / b),
    "maximum": sympy.Max, "minimum": sympy.Min, "abs": sympy.Abs, "sign": sympy.sign,
    "relu": lambda a: sympy.Max(a, 0),
    "exp": sympy.exp, "log": sympy.log, "log1p": log1p, "expm1": expm1,
    "sqrt": sympy.sqrt, "rsqrt": lambda a: 1 / sympy.sqrt(a),
    "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "tanh": sympy.tanh, "erf": sympy.erf,
    "atan2": sympy.atan2, "sigmoid": lambda a: 1 / (1 + sympy.exp(-a)),
    "floor": sympy.floor, "ceil": sympy.ceiling,
    "eq": sympy.Eq, "ne": sympy.Ne, "lt": sympy.Lt, "le": sympy.Le, "gt": sympy.Gt, "ge": sympy.Ge,
    "logical_and": sympy.And, "logical_or": sympy.Or, "logical_not": sympy.Not,
    "where": lambda c, a, b: sympy.Piecewise((a, c), (b, True)),
    # views that keep each element's value, and ops that only change how it is differentiated
    "broadcast_to": _identity, "reshape": _identity, "stop_gradient": _identity,
}


def _leaf_to_sympy(node: Node, symbols: Mapping) -> sympy.Basic:
    if node.op == "scalar":
        return _scalar(node.attr("value"))
    name = node.attr("name")
    if name is not None and node.op in ("placeholder", "parameter"):
        return symbols.get(name) or sympy.Symbol(name, real=True)
    if node.op in ("constant", "parameter"):
        array = node.attr("value").value
        if array.size and np.all(array == array.flat[0]):
            return _scalar(array.flat[0].item())
        raise SympyConversionError(f"to_sympy: a {node.op} of shape {list(array.shape)} created at"
                                   f" {node.location} has no single value; make it a placeholder")
    raise SympyConversionError(f"to_sympy: an unnamed {node.op} created at {node.location}")


def to_sympy(tensors, symbols: Mapping | None = None, *, evaluate: bool = True):
    """The SymPy expression(s) of the elementwise part of a graph.

    Placeholders (and named parameters) become real symbols named after them; `symbols` maps
    names or tensors to SymPy symbols of your own (a tensor given there stands for its whole
    subgraph, which is not read). Views that keep element values
    (broadcast_to, reshape) are transparent; reductions and other non-elementwise ops raise.
    A list or tuple of tensors gives a list of expressions. SymPy simplifies what it builds
    (`x*x` is `x**2`); that recurses, so a graph thousands of ops deep needs `evaluate=False`.
    """
    try:
        with sympy_evaluate(evaluate):
            return _to_sympy(tensors, symbols)
    except RecursionError:
        raise SympyConversionError("to_sympy: the graph is too deep for SymPy to simplify as it"
                                   " builds; pass evaluate=False") from None


def _to_sympy(tensors, symbols: Mapping | None):
    many = isinstance(tensors, (list, tuple))
    nodes = [as_node(t) for t in (tensors if many else [tensors])]
    own = {(as_node(k) if isinstance(k, (Tensor, Node)) else k): v for k, v in (symbols or {}).items()}
    exprs: dict[Node, sympy.Basic] = {k: v for k, v in own.items() if isinstance(k, Node)}
    for node in topological_order(nodes, stop=list(exprs)):
        if not node.inputs:
            exprs[node] = _leaf_to_sympy(node, own)
            continue
        args = [exprs[i] for i in node.inputs]
        if node.op == "cast":
            exprs[node] = _cast(node, args[0])
        elif node.op in TO_SYMPY:
            exprs[node] = TO_SYMPY[node.op](*args)
        else:
            raise SympyConversionError(
                f"to_sympy: {node.op} (created at {node.location}) is not elementwise or has no SymPy"
                f" counterpart; to_sympy covers {', '.join(sorted(TO_SYMPY))}, cast")
    results = [exprs[n] for n in nodes]
    return results if many else results[0]
