"""What passes may ask of a backend without importing one (docs/design.md, "The layers").

Passes sit below backends: `fuse{backend=llvm}` needs the LLVM backend's fusion predicate
and `fold-constants` needs something that evaluates a graph. Both reach backends through
these two functions, which import `graphc.backends` only when called.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from graphc.graph import Graph
from graphc.node import Node


def fusion_predicate(backend: str) -> Callable[[Node], bool]:
    """What `backend` computes inside a fused kernel; ValueError for an unknown backend."""
    from graphc.backends import lookup

    return lookup(backend).load().fusible


def evaluate(graph: Graph) -> list[np.ndarray]:
    """The outputs of `graph`, which has no inputs, computed by the reference (NumPy) backend."""
    from graphc.backends import compile as compile_graph

    if graph.inputs:
        raise ValueError("evaluate() takes a graph without inputs")
    return list(compile_graph(graph, "numpy").run_unchecked())
