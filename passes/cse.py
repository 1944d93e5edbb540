"""`cse`: merge nodes that compute the same thing from the same operands.

Nodes are hash-consed, so a graph built through `graphc.ops.make` (or parsed from text) has
no duplicates; this pass rebuilds every node through the interner, which merges any that a
pass or a hand-edited graph left apart. Identity leaves (placeholders, parameters, constants)
are never merged, even when their values are equal.
"""

from __future__ import annotations

from graphc.graph import Graph
from graphc.passes.registry import register
from graphc.passes.rewrite import transform


@register("cse")
def cse(graph: Graph) -> Graph:
    """Merge structurally equal nodes (value numbering through the interner)."""
    return transform(graph)
