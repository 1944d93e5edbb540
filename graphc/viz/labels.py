"""Short labels for pictures, named after the user's code.

A node's label is its op, with the scalars it reads written in (`mul(·, 2.0)`) and short
attributes (`sum {axes=[1]}`); long values are elided, the details go in the tooltip or the
explorer's panel. A node is named after the variable the user's source line assigned it to
(`y = graphc.softmax(x)` names the division that softmax ends in `y`): among the nodes built on
one line, the one no other node of that line uses is its value.
"""

from __future__ import annotations

import linecache
import re
from collections import defaultdict

from graphc.graph import Graph
from graphc.node import Node, Ref
from graphc.printer import format_attr, format_scalar

ATTR_LIMIT = 24  # longer attribute values print as "…"
HIDDEN_ATTRS = frozenset({"name", "body", "value"})  # shown elsewhere: the label, the cluster, details
INPUT_OPS = ("placeholder", "parameter", "constant")

_ASSIGNMENT = re.compile(r"\s*([A-Za-z_]\w*)\s*(?::[^=]+)?(?:[-+*/@%&|^]|//|\*\*)?=(?!=)")


def source_line(location: str) -> str:
    """The text of the line at `file:line`, stripped; "" if it cannot be read."""
    path, _, line = str(location).rpartition(":")
    if not line.isdigit():
        return ""
    return linecache.getline(path, int(line)).strip()


def assigned_name(line: str) -> str | None:
    """The variable a source line assigns one value to (`h = ...`, `h: T = ...`, `h += ...`).

    None for anything else, and for a list, dict or set display (`outs = [f(x), g(x)]`), whose
    values are its elements.
    """
    match = _ASSIGNMENT.match(line)
    if match is None or line[match.end():].lstrip()[:1] in ("[", "{"):
        return None
    return match.group(1)


class Namer:
    """Names nodes after the user's variables.

    In a graph as the user's code built it, the node a line assigned is the one no other node
    of that line uses. A kernel body holds only part of a line's nodes, so that rule would
    misname; a body node takes the name of the node it was rebuilt from (the same Location
    object, graphc/node.py, and the same op), once a graph holding that node was named.
    """

    def __init__(self):
        self.by_location: dict[int, tuple[str, str]] = {}  # id(Location) -> (name, op)

    def names(self, graph: Graph, body: bool = False) -> dict[Node, str]:
        names: dict[Node, str] = {}
        if body:
            for node in graph.nodes:
                known = self.by_location.get(id(node.location))
                if known is not None and known[1] == node.op:
                    names[node] = known[0]
        else:
            names = self._from_lines(graph.nodes)
            for node, name in names.items():
                self.by_location.setdefault(id(node.location), (name, node.op))
        for node in graph.nodes:
            if node.op in INPUT_OPS and node.attr("name"):
                names[node] = node.attr("name")
        return names

    @staticmethod
    def _from_lines(nodes: list[Node]) -> dict[Node, str]:
        by_line: dict[str, list[Node]] = defaultdict(list)
        for node in nodes:
            if not is_inlined(node):  # a scalar is shared by every line that writes its value
                by_line[str(node.location)].append(node)
        names: dict[Node, str] = {}
        for location, built in by_line.items():
            name = assigned_name(source_line(location))
            if name is None:
                continue
            used = {id(i) for n in built for i in n.inputs}
            values = [n for n in built if id(n) not in used]
            if len(values) == 1:
                names[values[0]] = name
        return names


def is_inlined(node: Node) -> bool:
    """Scalars are written into the labels of the nodes that read them, not drawn."""
    return node.op == "scalar"


def operation(node: Node) -> str:
    """`op`, `op(·, 2.0)` when it reads scalars, then its short attributes."""
    text = node.op
    if any(is_inlined(i) for i in node.inputs):
        args = (format_scalar(i.attr("value")) if is_inlined(i) else "·" for i in node.inputs)
        text += "(" + ", ".join(args) + ")"
    if node.op == "scalar":
        text += " " + format_scalar(node.attr("value"))
    return text + short_attrs(node)


def short_attrs(node: Node) -> str:
    parts = []
    for key, value in node.attrs:
        if key in HIDDEN_ATTRS or isinstance(value, (Graph, Ref)):
            continue
        text = format_attr(value)
        parts.append(f"{key}={text if len(text) <= ATTR_LIMIT else '…'}")
    return " {" + ", ".join(parts) + "}" if parts else ""
