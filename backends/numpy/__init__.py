"""The NumPy backend: a graph becomes one generated Python function of NumPy calls.

It is the reference every other backend is tested against. The generated source is kept
on the executable and registered with `linecache`, so tracebacks show it.
"""

from __future__ import annotations

from graphc.backends import unknown_stage
from graphc.backends.numpy.driver import Driver
from graphc.backends.numpy.lowering import LOWERING
from graphc.graph import Graph
from graphc.node import Node
from graphc.printer import format_graph


class NumpyExecutable:
    """A compiled graph: call it with arrays, get a tuple of arrays back."""

    backend = "numpy"
    stages = ("python", "graph")

    def __init__(self, graph: Graph):
        self.graph = graph
        driver = Driver(graph, self.backend)
        self.source = driver.source
        self._bind, self.run_unchecked = driver.signature.bind, driver.fn

    def __call__(self, *args) -> tuple:
        arrays, _ = self._bind(args)
        return self.run_unchecked(*arrays)

    def emit(self, what: str = "python") -> str:
        """"python": the generated function; "graph": the graph it computes."""
        if what == "python":
            return self.source
        if what == "graph":
            return format_graph(self.graph)
        raise unknown_stage(self.backend, what, self.stages)


def fusible(node: Node) -> bool:
    """The NumPy backend runs any kernel the contract allows (its body as NumPy calls)."""
    return True


def supported_ops() -> frozenset[str]:
    """Every op has a NumPy lowering (placeholders become the function's arguments)."""
    return frozenset(LOWERING) | {"placeholder"}


def compile(graph: Graph) -> NumpyExecutable:  # noqa: A001
    return NumpyExecutable(graph)
