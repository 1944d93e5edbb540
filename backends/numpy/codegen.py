"""Graph -> the source of one Python function of NumPy calls, and its namespace."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy
from sympy.printing.pycode import PythonCodePrinter

from graphc.backends.numpy import runtime
from graphc.backends.numpy.lowering import LOWERING
from graphc.graph import Graph
from graphc.names import Namespace, sanitize
from graphc.node import Node
from graphc.ops import bound_sizes

REFERENCED = frozenset({"scalar", "constant", "parameter"})
# Names the generated code uses besides its values' (a symbolic size may print as `max(0, n - 2)`,
# `min(5, n)` or `abs(n - 3)`: an op's value must not shadow those builtins).
RESERVED = ("np", "rt", "owned", "int", "max", "min", "abs", "del", "return")


class _DimPrinter(PythonCodePrinter):
    """Prints a symbolic dimension as Python over ints: the floor or ceiling of a fraction
    (from slicing with a step) becomes floor division, which needs no import and never rounds."""

    def _print_floor(self, expr):
        num, den = sympy.fraction(sympy.together(expr.args[0]))
        return f"(({self._print(num)}) // ({self._print(den)}))"

    def _print_ceiling(self, expr):
        num, den = sympy.fraction(sympy.together(expr.args[0]))
        return f"(-((-({self._print(num)})) // ({self._print(den)})))"


@dataclass
class Context:
    """What lowering rules may use: references to values and symbolic dimensions."""

    names: Namespace
    namespace: dict = field(default_factory=dict)
    symbols: dict = field(default_factory=dict)  # sympy Symbol -> identifier
    functions: list = field(default_factory=list)  # sources defined before the graph's (kernels)

    def ref(self, value, hint: str = "k") -> str:
        """Put `value` in the function's globals and return the name that refers to it."""
        name = self.names.fresh(hint)
        self.namespace[name] = value
        return name

    def dim(self, d) -> str:
        if isinstance(d, int):
            return str(d)
        expr = d.subs({s: sympy.Symbol(n) for s, n in self.symbols.items()})
        return f"int({_DimPrinter().doprint(expr)})"


def generate(graph: Graph, fn_name: str = "graphc_fn", lowering: dict | None = None,
             names: Namespace | None = None, quiet_numpy: bool = True,
             fresh: frozenset[str] = frozenset(), copy: str = "np.array") -> tuple[str, dict]:
    """Return `(source, globals)` for the graph's function, after the functions it calls.

    A kernel's body is generated into the same source with the caller's `names` (which
    already hold `fn_name`), so its identifiers and globals never clash with the caller's.
    `quiet_numpy` wraps the body in `np.errstate(all="ignore")`, so NaN and division by
    zero behave as values, not warnings; a caller whose code runs no NumPy math can skip it.
    Results of `fresh` ops are new arrays, which the caller may keep as they are; outputs that
    are inputs or leaves are copied by the function `copy` names (the caller's `owned` decides
    for the rest).
    """
    names = names or Namespace((*RESERVED, fn_name))
    ctx = Context(names, {"np": np, "rt": runtime, "owned": runtime.owned})
    var: dict[Node, str] = {}
    args = []
    for k, node in enumerate(graph.inputs):
        var[node] = names.fresh(node.attr("name") or f"in{k}")
        args.append(var[node])
    body = []
    for node in graph.inputs:
        for axis, d in enumerate(node.shape):
            if not isinstance(d, int) and d.is_Symbol and d not in ctx.symbols:
                ctx.symbols[d] = names.fresh("s_" + sanitize(d.name))
                body.append(f"{ctx.symbols[d]} = {var[node]}.shape[{axis}]")
    last_use = _last_uses(graph)
    outputs = set(graph.outputs)
    borrowed = set(graph.inputs)  # nodes whose variable may be the caller's array or a leaf's value
    same_array: dict[Node, Node] = {}  # a pass-through -> the node that made its array
    for node in graph.nodes[len(graph.inputs):]:
        rule = (lowering or LOWERING)[node.op]
        operands = [var[i] for i in node.inputs]
        expr = rule.format(*operands) if isinstance(rule, str) else rule(operands, node, ctx)
        if node.op in REFERENCED:  # the value is a global of the function: use its name
            var[node] = expr
            borrowed.add(node)
            continue
        if expr in operands:  # a pass-through (floor of an int, stop_gradient): the same array
            source = node.inputs[operands.index(expr)]
            same_array[node] = same_array.get(source, source)
            if source in borrowed:
                borrowed.add(node)
        var[node] = names.fresh(node.op)
        line = f"{var[node]} = {expr}"
        dead = [var[i] for i in dict.fromkeys(node.inputs)
                if last_use.get(i) is node and i not in outputs and i.op not in REFERENCED]
        if dead:
            line += f"; del {', '.join(dead)}"
        body.append(line)
        for size in sorted(bound_sizes(node.op, node.attr_dict), key=str):  # a data-dependent size
            ctx.symbols[size] = names.fresh("s_" + sanitize(size.name))
            body.append(f"{ctx.symbols[size]} = {var[node]}.shape[{node.shape.index(size)}]")
    # Results belong to the caller: copy borrowed arrays, and views or scalars (`owned`); an
    # array returned twice (one value twice, or a value and its pass-through) is copied the
    # second time, so each output is an array of its own.
    returned: set[Node] = set()
    results = []
    for o in graph.outputs:
        array = same_array.get(o, o)
        copied = o in borrowed or array in returned
        results.append(f"{copy}({var[o]})" if copied else var[o] if o.op in fresh else f"owned({var[o]})")
        returned.add(array)
    results = ", ".join(results)
    body.append(f"return ({results},)" if len(graph.outputs) == 1 else f"return ({results})")
    lines = [f"def {fn_name}({', '.join(args)}):"]
    if quiet_numpy:
        lines.append('    with np.errstate(all="ignore"):')
    lines += [("        " if quiet_numpy else "    ") + line for line in body]
    return "\n".join([*ctx.functions, *lines]) + "\n", ctx.namespace


def _last_uses(graph: Graph) -> dict[Node, Node]:
    last: dict[Node, Node] = {}
    for node in graph.nodes:
        for i in node.inputs:
            last[i] = node
    return last
