"""`graphc.expr("sin(x)**2 + cos(x)**2", x=...)`: a formula string, read by SymPy's parser.

SymPy's `parse_expr` ends in `eval`, so the text is checked token by token first: numbers,
the bound names, the math functions and constants below, brackets, commas and arithmetic
and comparison operators, nothing else. No attribute access, no strings, no keywords, no
name starting with `_`: `__import__('os')` is refused before SymPy sees it, and the eval
that follows runs with no builtins and only the names listed here.
"""

from __future__ import annotations

import io
import keyword
import tokenize

import sympy
from sympy.codegen.cfunctions import expm1, log1p
from sympy.parsing.sympy_parser import auto_number, convert_xor, parse_expr

from graphc.sympy_bridge import SympyConversionError, from_sympy
from graphc.tensor import Tensor

FUNCTIONS = {
    "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "tanh": sympy.tanh,
    "sinh": sympy.sinh, "cosh": sympy.cosh, "atan": sympy.atan, "atan2": sympy.atan2,
    "exp": sympy.exp, "log": sympy.log, "log1p": log1p, "expm1": expm1, "sqrt": sympy.sqrt,
    "erf": sympy.erf, "Abs": sympy.Abs, "abs": sympy.Abs, "sign": sympy.sign,
    "floor": sympy.floor, "ceiling": sympy.ceiling, "Mod": sympy.Mod,
    "Max": sympy.Max, "Min": sympy.Min, "max": sympy.Max, "min": sympy.Min,
    "Piecewise": sympy.Piecewise, "Eq": sympy.Eq, "Ne": sympy.Ne,
    "And": sympy.And, "Or": sympy.Or, "Not": sympy.Not,
}
CONSTANTS = {"pi": sympy.pi, "E": sympy.E, "oo": sympy.oo, "inf": sympy.oo, "nan": sympy.nan,
             "True": sympy.true, "False": sympy.false}
OPERATORS = {"+", "-", "*", "/", "**", "//", "%", "^", "(", ")", ",", "<", ">", "<=", ">=",
             "&", "|", "~"}
# `^` is a power, as scientists write it; == and != would compare the SymPy trees themselves
HINTS = {"==": "write Eq(a, b)", "!=": "write Ne(a, b)", "and": "write (a) & (b)",
         "or": "write (a) | (b)", "not": "write ~(a)"}
_LAYOUT = {tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT}


class FormulaError(ValueError):
    """A formula string that graphc does not read: a name, token or syntax it refuses."""


def _check_tokens(text: str, names: set[str]) -> None:
    """Refuse any token outside numbers, `names`, the functions, constants and operators."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError) as err:
        raise FormulaError(f"cannot read formula {text!r}: {err}") from None
    for tok in tokens:
        where = f"at column {tok.start[1] + 1} of {text!r}"
        if tok.type in _LAYOUT:
            continue
        if tok.type == tokenize.NUMBER:
            if tok.string[-1] in "jJ":
                raise FormulaError(f"complex number {tok.string} {where}: graphc formulas are real")
            continue
        if tok.type == tokenize.NAME:
            if tok.string in names or tok.string in FUNCTIONS or tok.string in CONSTANTS:
                continue
            if tok.string in HINTS:
                raise FormulaError(f"{tok.string!r} {where}: {HINTS[tok.string]}")
            what = "keyword" if keyword.iskeyword(tok.string) else "name"
            known = ", ".join(sorted(names)) or "none"
            raise FormulaError(f"unknown {what} {tok.string!r} {where}; bound names: {known};"
                               f" functions: {', '.join(sorted(FUNCTIONS))}")
        if tok.type == tokenize.OP and tok.string in OPERATORS:
            continue
        hint = HINTS.get(tok.string, "graphc formulas use numbers, names, functions and"
                                     " arithmetic or comparison operators")
        raise FormulaError(f"{tok.string!r} is not allowed {where}: {hint}")


def parse(text: str, names: set[str] | frozenset[str] = frozenset()) -> sympy.Basic:
    """The SymPy expression of a formula whose free names are `names` (real symbols)."""
    if not isinstance(text, str):
        raise TypeError(f"a formula is a string, not {type(text).__name__}")
    text = text.strip()
    for name in names:
        if not name.isidentifier() or name.startswith("_") or keyword.iskeyword(name):
            raise FormulaError(f"{name!r} cannot name a value in a formula")
    _check_tokens(text, set(names))
    symbols = {name: sympy.Symbol(name, real=True) for name in names}
    namespace = {"__builtins__": {}, "Integer": sympy.Integer, "Float": sympy.Float,
                 "Rational": sympy.Rational, **FUNCTIONS, **CONSTANTS}
    try:
        return parse_expr(text, local_dict=symbols, global_dict=namespace,
                          transformations=(auto_number, convert_xor))
    except (SyntaxError, TypeError, ValueError) as err:
        raise FormulaError(f"cannot parse formula {text!r}: {err}") from None


def expr(formula: str, **values) -> Tensor:
    """A graphc tensor computing `formula` over the named `values` (tensors, arrays, numbers):
    `graphc.expr("sin(x)**2 + cos(x)**2", x=t)`. See graphc.from_sympy for the conversion."""
    parsed = parse(formula, set(values))
    try:
        return from_sympy(parsed, {sympy.Symbol(name, real=True): v for name, v in values.items()})
    except SympyConversionError as err:
        raise FormulaError(f"formula {formula!r}: {err}") from None
