"""`dce`: drop nodes that no output depends on (the graph's inputs always stay)."""

from __future__ import annotations

from graphc.graph import Graph
from graphc.passes.registry import register


@register("dce")
def dce(graph: Graph) -> Graph:
    """Remove nodes that no output uses."""
    live = Graph(graph.inputs, graph.outputs)
    return graph if len(live.nodes) == len(graph.nodes) else live
