"""Backends turn a graph into something callable: `compile(graph, backend="numpy")`."""

from __future__ import annotations

import importlib

from graphc.graph import Graph

BACKENDS = {"numpy": "graphc.backends.numpy", "llvm": "graphc.backends.llvm", "cuda": "graphc.backends.cuda"}


def compile(graph: Graph, backend: str = "numpy", **options):  # noqa: A001 - the verb is the point
    """Compile `graph` with the named backend and return its executable; `options` go to the
    backend (the CUDA backend's `arch`, `device`, `transfer`)."""
    try:
        module = BACKENDS[backend]
    except KeyError:
        raise ValueError(f"unknown backend {backend!r}; choose one of {sorted(BACKENDS)}") from None
    return importlib.import_module(module).compile(graph, **options)
