"""Graphviz DOT export of a graph (text only; render it with `dot -Tsvg`)."""

from __future__ import annotations

from graphc.graph import Graph, as_node
from graphc.printer import format_attrs, value_names


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph_or_tensors, name: str = "graphc") -> str:
    """DOT text for a Graph, or for the graph behind one or more tensors."""
    if isinstance(graph_or_tensors, Graph):
        graph = graph_or_tensors
    else:
        outputs = graph_or_tensors if isinstance(graph_or_tensors, (list, tuple)) else [graph_or_tensors]
        graph = Graph([], [as_node(t) for t in outputs])
    names = value_names(graph)
    ids = {node: f"n{k}" for k, node in enumerate(graph.nodes)}
    lines = [f"digraph {_quote(name)} {{", "  rankdir=TB;", "  node [shape=box, fontname=monospace];"]
    inputs = set(map(id, graph.inputs))
    for node in graph.nodes:
        label = f"{names[node]} = {node.op}{format_attrs(node)}\n{node.type}"
        if len(label) > 200:
            label = label[:197] + "..."
        style = ", style=rounded" if id(node) in inputs or not node.inputs else ""
        lines.append(f"  {ids[node]} [label={_quote(label)}{style}];")
    for node in graph.nodes:
        for k, operand in enumerate(node.inputs):
            lines.append(f"  {ids[operand]} -> {ids[node]} [label={k}];")
    for k, out in enumerate(graph.outputs):
        lines.append(f"  out{k} [label={_quote(f'output {k}')}, shape=plaintext];")
        lines.append(f"  {ids[out]} -> out{k};")
    lines.append("}")
    return "\n".join(lines)
