"""Graphviz DOT export of a graph (text only; render it with `dot -Tsvg`).

A kernel is drawn as a cluster (`subgraph cluster_...`) holding its body: the operands point at
the body's inputs `%a0, %a1, ...`, and the body's output at the kernel's own node, from which
its users read.
"""

from __future__ import annotations

from graphc.graph import Graph, as_node
from graphc.printer import format_attr, format_attrs, value_names

LABEL_LIMIT = 200


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _label(text: str) -> str:
    return _quote(text if len(text) <= LABEL_LIMIT else text[:LABEL_LIMIT - 3] + "...")


def _emit(graph: Graph, prefix: str, lines: list[str], indent: str) -> dict:
    """Write the nodes and edges of `graph` (ids start with `prefix`); return each node's id."""
    names = value_names(graph)
    ids = {node: f"{prefix}{k}" for k, node in enumerate(graph.nodes)}
    inputs = set(map(id, graph.inputs))
    targets = {}  # node -> the ids its operands point at (a kernel's body inputs)
    for node in graph.nodes:
        if node.op == "kernel":
            targets[node] = _emit_kernel(node, names[node], ids[node], lines, indent)
            continue
        label = f"{names[node]} = {node.op}{format_attrs(node)}\n{node.type}"
        style = ", style=rounded" if id(node) in inputs or not node.inputs else ""
        lines.append(f"{indent}{ids[node]} [label={_label(label)}{style}];")
    for node in graph.nodes:
        for k, operand in enumerate(node.inputs):
            target = targets[node][k] if node in targets else ids[node]
            lines.append(f"{indent}{ids[operand]} -> {target} [label={k}];")
    return ids


def _emit_kernel(node, name: str, node_id: str, lines: list[str], indent: str) -> list[str]:
    """The cluster of one kernel; returns the ids of its body's inputs."""
    body = node.attr("body")
    title = f"{name} = kernel {{kind={format_attr(node.attr('kind'))}}}"
    inner = indent + "  "
    lines.append(f"{indent}subgraph cluster_{node_id} {{")
    lines.append(f"{inner}label={_quote(title)}; style=rounded; color=blue;")
    body_ids = _emit(body, f"{node_id}_", lines, inner)
    label = f"{title}\n{node.type}"
    lines.append(f"{inner}{node_id} [label={_label(label)}, style=bold];")
    lines.append(f"{inner}{body_ids[body.outputs[0]]} -> {node_id};")
    lines.append(f"{indent}}}")
    return [body_ids[i] for i in body.inputs]


def to_dot(graph_or_tensors, name: str = "graphc") -> str:
    """DOT text for a Graph, or for the graph behind one or more tensors."""
    if isinstance(graph_or_tensors, Graph):
        graph = graph_or_tensors
    else:
        outputs = graph_or_tensors if isinstance(graph_or_tensors, (list, tuple)) else [graph_or_tensors]
        graph = Graph([], [as_node(t) for t in outputs])
    lines = [f"digraph {_quote(name)} {{", "  rankdir=TB;", "  node [shape=box, fontname=monospace];"]
    ids = _emit(graph, "n", lines, "  ")
    for k, out in enumerate(graph.outputs):
        lines.append(f"  out{k} [label={_quote(f'output {k}')}, shape=plaintext];")
        lines.append(f"  {ids[out]} -> out{k};")
    lines.append("}")
    return "\n".join(lines)
