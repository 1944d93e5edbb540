"""What the parser must do with any text: raise graphc.ParseError, or return a graph it can stand by.

A graph the parser accepts must print and parse back to the same text, verify, carry only
attributes of the kinds the public API gives each op (`ATTRIBUTES`), and compile and run on
the NumPy backend. Anything else (another exception, an accepted graph that breaks one of
these) is a finding.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import sympy

import graphc
from graphc.dtypes import DType
from graphc.graph import Graph
from graphc.node import Node, Ref
from graphc.testing.oracle import Outcome, crash_outcome, where_raised

PARSER = "parser"
RUN_LIMIT = 100_000  # elements; larger accepted graphs are not run


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_dim(v) -> bool:
    if _is_int(v):
        return v >= 0
    return isinstance(v, sympy.Expr) and v.is_finite is not False and not v.has(sympy.zoo, sympy.nan) \
        and v.is_integer is not False


def _is_axes(v) -> bool:
    return isinstance(v, tuple) and all(_is_int(a) for a in v)


def _is_index(v) -> bool:
    def entry(e):
        return e is None or _is_int(e) or (isinstance(e, tuple) and len(e) == 3
                                            and all(x is None or _is_int(x) for x in e))
    return isinstance(v, tuple) and all(entry(e) for e in v)


def _is_widths(v) -> bool:
    return isinstance(v, tuple) and all(isinstance(p, tuple) and len(p) == 2 and all(map(_is_dim, p))
                                        for p in v)


def _fits(value, node: Node) -> bool:
    """A scalar attribute of the kind graphc stores for the node's dtype."""
    dtype = node.dtype
    if dtype.name == "bool":
        return isinstance(value, bool)
    if not dtype.is_floating_point:
        info = np.iinfo(dtype.numpy)
        return _is_int(value) and info.min <= value <= info.max
    return isinstance(value, float)


def _number(value, node: Node) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and \
        (isinstance(value, float) if node.dtype.is_floating_point else _is_int(value))


# op -> {attribute: check(value, node)}: what the public API puts on each op.
ATTRIBUTES = {
    "placeholder": {"name": lambda v, n: isinstance(v, str)},
    "parameter": {"value": lambda v, n: isinstance(v, Ref), "name": lambda v, n: isinstance(v, str)},
    "constant": {"value": lambda v, n: isinstance(v, Ref), "name": lambda v, n: isinstance(v, str)},
    "scalar": {"value": _fits},
    "arange": {"start": _number, "stop": _number, "step": lambda v, n: _number(v, n) and v != 0},
    "eye": {"n": lambda v, n: _is_int(v) and v == n.shape[0],
            "m": lambda v, n: _is_int(v) and v == n.shape[1]},
    "cast": {"dtype": lambda v, n: isinstance(v, DType)},
    "argmax": {"axis": lambda v, n: v is None or _is_int(v), "keepdims": lambda v, n: isinstance(v, bool)},
    "reshape": {"shape": lambda v, n: isinstance(v, tuple) and all(map(_is_dim, v))},
    "broadcast_to": {"shape": lambda v, n: isinstance(v, tuple) and all(map(_is_dim, v))},
    "transpose": {"perm": lambda v, n: _is_axes(v)},
    "flip": {"axes": lambda v, n: _is_axes(v)},
    "pad": {"widths": lambda v, n: _is_widths(v), "value": _fits},
    "cat": {"axis": lambda v, n: _is_int(v)},
    "getitem": {"index": lambda v, n: _is_index(v)},
    "setitem": {"index": lambda v, n: _is_index(v)},
    "gather": {"dim": lambda v, n: _is_int(v) and 0 <= v < max(n.ndim, 1)},
    "scatter": {"dim": lambda v, n: _is_int(v) and 0 <= v < max(n.ndim, 1),
                "accumulate": lambda v, n: isinstance(v, bool)},
    "argsort": {"dim": lambda v, n: _is_int(v) and 0 <= v < max(n.ndim, 1),
                "descending": lambda v, n: isinstance(v, bool)},
    "nonzero": {"size": lambda v, n: isinstance(v, sympy.Symbol)},
    "kernel": {"body": lambda v, n: isinstance(v, Graph),
               "kind": lambda v, n: v in ("elementwise", "reduce", "row")},
    "result": {"index": lambda v, n: _is_int(v)},
}
ATTRIBUTES["argmin"] = ATTRIBUTES["argmax"]
for _op in ("cumsum", "cumprod"):
    ATTRIBUTES[_op] = {"axis": lambda v, n: _is_int(v)}
for _op in ("sum", "prod", "mean", "max", "min"):
    ATTRIBUTES[_op] = {"axes": lambda v, n: _is_axes(v), "keepdims": lambda v, n: isinstance(v, bool)}


def attribute_problem(graph: Graph) -> str | None:
    """The first node (kernel bodies included) with a malformed type or an attribute the public API
    would not give it, described; None if there is none."""
    stack = [graph]
    while stack:
        g = stack.pop()
        for node in g.nodes:
            for part in node.type.parts:
                if not all(map(_is_dim, part.shape)):
                    return f"{node.op} has the type {node.type}, whose dimensions are not all integers"
            allowed = ATTRIBUTES.get(node.op, {})
            for key, value in node.attrs:
                check = allowed.get(key)
                if check is None:
                    return f"{node.op} carries the attribute {key}, which {node.op} does not have"
                if not check(value, node):
                    return f"{node.op} has {key}={value!r}, not a value graphc would give it"
            if node.op == "kernel":
                stack.append(node.attr("body"))
    return None


def check_text(text: str, filename: str = "fuzz.gir") -> Outcome:
    """rejected (a ParseError), accepted (and sound), or a finding (a warning that parsing let
    through included: it means a value was silently converted)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            graph = graphc.parse(text, filename)
        except graphc.ParseError as error:
            if not str(error).startswith(f"{filename}:{error.line}:{error.column}: "):
                return Outcome(PARSER, "mismatch", f"a ParseError without file:line:col: {error}",
                               "mismatch parser")
            return Outcome(PARSER, "rejected")
        except Exception as error:  # anything but a ParseError is the finding
            return crash_outcome(PARSER, error, "parsing")
    outcome = _check_accepted(graph)
    if caught and not outcome.finding:
        message = f"{caught[0].category.__name__}: {caught[0].message}"
        return Outcome(PARSER, "warning", message, f"warning parser {message[:60]}")
    return outcome


def _check_accepted(graph: Graph) -> Outcome:
    try:
        printed = str(graph)
        again = str(graphc.parse(printed, "printed.gir"))
    except Exception as error:
        return crash_outcome(PARSER, error, "printing the accepted graph and parsing it back")
    if again != printed:
        return Outcome(PARSER, "mismatch", f"accepted text does not round-trip:\n{printed}\n---\n{again}",
                       "mismatch parser round-trip")
    try:
        graph.verify()
    except Exception as error:
        return Outcome(PARSER, "mismatch", f"accepted a graph that does not verify: {error}",
                       f"mismatch parser verify {where_raised(error)}")
    problem = attribute_problem(graph)
    if problem:
        what = "unknown attribute" if "does not have" in problem else \
            "malformed type" if "dimensions" in problem else "malformed attribute"
        return Outcome(PARSER, "mismatch", f"accepted {problem}", f"mismatch parser {what}")
    return _run_accepted(graph)


def _run_accepted(graph: Graph) -> Outcome:
    """Compile on the NumPy backend and run on zeros (symbols bound to 2), if small enough."""
    binding = {s: 2 for node in graph.inputs for d in node.shape if not isinstance(d, int)
               for s in d.free_symbols}

    def concrete(shape) -> list[int]:
        return [d if isinstance(d, int) else int(d.subs(binding)) for d in shape]

    try:
        shapes = [concrete(part.shape) for n in graph.nodes for part in n.type.parts]
    except (TypeError, ValueError):
        return Outcome(PARSER, "accepted", "not run: a dimension is not an integer at n=2")
    if any(d > RUN_LIMIT or d < 0 for shape in shapes for d in shape) or \
            any(np.prod(shape, dtype=np.float64) > RUN_LIMIT for shape in shapes):
        return Outcome(PARSER, "accepted", "not run: too large")
    try:
        function = graphc.function(list(graph.inputs), list(graph.outputs), backend="numpy", passes="")
    except Exception as error:
        return crash_outcome(PARSER, error, "compiling an accepted graph")
    args = [np.zeros(concrete(n.shape), n.dtype.numpy) for n in graph.inputs]
    try:
        with np.errstate(all="ignore"):
            function(*args)
    except (ValueError, ArithmeticError, IndexError):
        pass  # data-dependent refusals (an empty max, an integer to a negative power, a gather
        # index outside its dimension: docs/indexing.md)
    except Exception as error:
        return crash_outcome(PARSER, error, "running an accepted graph")
    return Outcome(PARSER, "accepted")
