"""Graph -> the source of one Python function of NumPy calls, and its namespace."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy

from backends.numpy import runtime
from backends.numpy.lowering import LOWERING
from graphc.graph import Graph
from graphc.names import Namespace, sanitize
from graphc.node import Node

RESERVED = ("np", "rt", "owned", "int", "del", "return")


@dataclass
class Context:
    """What lowering rules may use: references to values and symbolic dimensions."""

    names: Namespace
    namespace: dict = field(default_factory=dict)
    symbols: dict = field(default_factory=dict)  # sympy Symbol -> identifier

    def ref(self, value, hint: str = "k") -> str:
        """Put `value` in the function's globals and return the name that refers to it."""
        name = self.names.fresh(hint)
        self.namespace[name] = value
        return name

    def dim(self, d) -> str:
        if isinstance(d, int):
            return str(d)
        expr = d.subs({s: sympy.Symbol(n) for s, n in self.symbols.items()})
        return f"int({expr})"


def generate(graph: Graph, fn_name: str = "graphc_fn") -> tuple[str, dict]:
    """Return `(source, globals)` for the graph's function."""
    names = Namespace(RESERVED + (fn_name,))
    ctx = Context(names, {"np": np, "rt": runtime, "owned": runtime.owned})
    var: dict[Node, str] = {}
    args = []
    for k, node in enumerate(graph.inputs):
        var[node] = names.fresh(node.attr("name") or f"in{k}")
        args.append(var[node])
    body = []
    for k, node in enumerate(graph.inputs):
        for axis, d in enumerate(node.shape):
            if not isinstance(d, int) and d.is_Symbol and d not in ctx.symbols:
                ctx.symbols[d] = names.fresh("s_" + sanitize(d.name))
                body.append(f"{ctx.symbols[d]} = {var[node]}.shape[{axis}]")
    last_use = _last_uses(graph)
    outputs = set(graph.outputs)
    for node in graph.nodes[len(graph.inputs):]:
        rule = LOWERING[node.op]
        operands = [var[i] for i in node.inputs]
        expr = rule.format(*operands) if isinstance(rule, str) else rule(operands, node, ctx)
        var[node] = names.fresh(node.op)
        line = f"{var[node]} = {expr}"
        dead = [var[i] for i in dict.fromkeys(node.inputs)
                if last_use.get(i) is node and i not in outputs]
        if dead:
            line += f"; del {', '.join(dead)}"
        body.append(line)
    results = ", ".join(f"owned({var[o]})" for o in graph.outputs)
    body.append(f"return ({results},)" if len(graph.outputs) == 1 else f"return ({results})")
    lines = [f"def {fn_name}({', '.join(args)}):", '    with np.errstate(all="ignore"):']
    lines += ["        " + line for line in body]
    return "\n".join(lines) + "\n", ctx.namespace


def _last_uses(graph: Graph) -> dict[Node, Node]:
    last: dict[Node, Node] = {}
    for node in graph.nodes:
        for i in node.inputs:
            last[i] = node
    return last
