"""The NumPy backend: a graph becomes one generated Python function of NumPy calls.

It is the reference every other backend is tested against. The generated source
is kept on the executable and registered with `linecache`, so tracebacks show it.
"""

from __future__ import annotations

from graphc.backends.numpy.codegen import define, generate
from graphc.backends.signature import Signature

from graphc.graph import Graph


class NumpyExecutable:
    """A compiled graph: call it with arrays, get a tuple of arrays back."""

    backend = "numpy"

    def __init__(self, graph: Graph, lowering: dict | None = None, quiet_numpy: bool = True,
                 fresh: frozenset[str] = frozenset()):
        self.graph = graph
        self.signature = Signature(graph)
        self.source, namespace = generate(graph, lowering=lowering, quiet_numpy=quiet_numpy, fresh=fresh)
        self._fn = define(self.source, namespace, self.backend)

    def __call__(self, *args) -> tuple:
        arrays, _ = self.signature.bind(args)
        return self._fn(*arrays)

    def run_unchecked(self, *arrays) -> tuple:
        """Run with arrays already known to match the signature (used for eager evaluation)."""
        return self._fn(*arrays)


def compile(graph: Graph) -> NumpyExecutable:  # noqa: A001
    return NumpyExecutable(graph)
