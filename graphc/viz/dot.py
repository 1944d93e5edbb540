"""Graphviz DOT text of a graph: scopes and kernels as clusters, gradient nodes shaded.

A node reads `name = op` over its type, named after the user's variable where there is one
(else its `%N` from the text form); the tooltip holds its whole line, location and scope.
Scalars are written into the labels of the nodes that read them. A kernel is a cluster holding
its body: the operands point at the body's inputs `%a0, %a1, ...`, and the body's outputs at
the kernel's own node, from which its users read. Nodes built in `graphc.scope(...)` sit in a
cluster per scope, nested like the scope paths.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphc.graph import Graph
from graphc.node import Node
from graphc.printer import value_names
from graphc.scopes import is_gradient
from graphc.viz.labels import INPUT_OPS, Namer, is_inlined, operation

LABEL_LIMIT = 200
FORWARD_FILL = "#e8f0fc"
GRADIENT_FILL = "#fde7cf"
INPUT_FILL = "#ffffff"
KERNEL_COLOR = "#2f5fb3"


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _label(text: str) -> str:
    return quote(text if len(text) <= LABEL_LIMIT else text[:LABEL_LIMIT - 3] + "...")


def fill_of(node: Node) -> str:
    if node.op in INPUT_OPS:
        return INPUT_FILL
    return GRADIENT_FILL if is_gradient(node.scope) else FORWARD_FILL


@dataclass
class _Cluster:
    """The statements of one scope's cluster, and the clusters of the scopes inside it."""

    lines: list[str] = field(default_factory=list)
    children: dict[str, _Cluster] = field(default_factory=dict)


class _Writer:
    def __init__(self):
        self.kernels = 0
        self.clusters = 0
        self.namer = Namer()

    def graph(self, graph: Graph, prefix: str, group_scopes: bool) -> tuple[list[str], dict[Node, str]]:
        """The statements of `graph` (ids start with `prefix`) and each drawn node's id."""
        names, users = value_names(graph), self.namer.names(graph, body=not group_scopes)
        ids = {node: f"{prefix}{k}" for k, node in enumerate(graph.nodes)}
        outputs = set(graph.outputs)
        drawn = [n for n in graph.nodes if not is_inlined(n) or n in outputs]
        root = _Cluster()
        targets: dict[Node, list[str]] = {}  # a kernel's operands point at its body's inputs
        for node in drawn:
            cluster = self._cluster(root, node.scope) if group_scopes else root
            name = users.get(node, names[node])
            if node.op == "kernel":
                targets[node] = self.kernel(node, name, ids[node], cluster.lines)
                continue
            style = "rounded,filled" if node in graph.inputs or node.op in INPUT_OPS else "filled"
            label = _label(f"{name} = {operation(node)}\n{node.type}")
            tip = f"{names[node]} : {node.type}\n{node.location}"
            tip += f"\nscope {node.scope}" if node.scope else ""
            cluster.lines.append(f"{ids[node]} [label={label}, tooltip={quote(tip)}, style={quote(style)},"
                                 f" fillcolor={quote(fill_of(node))}];")
        lines = self._flatten(root)
        for node in drawn:
            shown = [(k, i) for k, i in enumerate(node.inputs) if not is_inlined(i) or i in outputs]
            for k, operand in shown:
                target = targets[node][k] if node in targets else ids[node]
                label = f" [label={k}]" if len(shown) > 1 else ""
                lines.append(f"{ids[operand]} -> {target}{label};")
        return lines, ids

    def _cluster(self, root: _Cluster, scope: str) -> _Cluster:
        cluster = root
        parts = scope.split("/") if scope else []
        for depth in range(1, len(parts) + 1):
            cluster = cluster.children.setdefault("/".join(parts[:depth]), _Cluster())
        return cluster

    def _flatten(self, cluster: _Cluster) -> list[str]:
        """The statements of `cluster`, its scopes' clusters nested inside (indented)."""
        lines = list(cluster.lines)
        for path, child in cluster.children.items():
            self.clusters += 1
            color = GRADIENT_FILL if is_gradient(path) else "#f6f6f6"
            lines.append(f"subgraph cluster_scope{self.clusters} {{")
            lines.append(f"  label={quote(path.rsplit('/', 1)[-1])}; tooltip={quote('scope ' + path)};"
                         f" style=\"rounded,filled\"; fillcolor={quote(color)}; color=\"#999999\";")
            lines += ["  " + line for line in self._flatten(child)]
            lines.append("}")
        return lines

    def kernel(self, node: Node, name: str, node_id: str, lines: list[str]) -> list[str]:
        """The cluster of one kernel; returns the ids of its body's inputs."""
        body = node.attr("body")
        title = f"kernel{self.kernels} ({node.attr('kind')})"
        self.kernels += 1
        body_lines, body_ids = self.graph(body, f"{node_id}_", group_scopes=False)
        lines.append(f"subgraph cluster_{node_id} {{")
        lines.append(f"  label={quote(title)}; style=\"rounded,bold\"; color={quote(KERNEL_COLOR)};")
        lines += ["  " + line for line in body_lines]
        label = _label(f"{name} = {title}\n{node.type}")
        lines.append(f"  {node_id} [label={label}, style=\"bold,filled\", color={quote(KERNEL_COLOR)},"
                     f" fillcolor={quote(fill_of(node))}];")
        lines += [f"  {body_ids[out]} -> {node_id};" for out in body.outputs]
        lines.append("}")
        return [body_ids[i] for i in body.inputs]


def graph_dot(graph: Graph, name: str = "graphc") -> str:
    """DOT text for one graph."""
    lines, ids = _Writer().graph(graph, "n", group_scopes=True)
    for k, out in enumerate(graph.outputs):
        lines.append(f"out{k} [label={quote(f'output {k}')}, shape=plaintext];")
        lines.append(f"{ids[out]} -> out{k};")
    head = [f"digraph {quote(name)} {{", "  rankdir=TB;",
            '  node [shape=box, fontname="Helvetica", fontsize=11];',
            '  edge [color="#555555", fontsize=9];']
    return "\n".join(head + ["  " + line for line in lines] + ["}"])


def to_dot(subject, name: str = "graphc", *, step: int | str | None = None, passes: str | None = None,
           backend: str | None = None) -> str:
    """DOT text for a Tensor, a list of tensors, a Graph, a Function or a `.gir` path.

    `passes` and `backend` take a graph through a pipeline and a backend (a Function has its
    own); `step` picks the stage to draw (an index or a name like "fuse"; default the last).
    """
    from graphc.viz.stages import collect

    return graph_dot(collect(subject, passes, backend).select(step), name)
