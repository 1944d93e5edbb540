"""Backends turn a graph into an executable: `compile(graph, backend="llvm")`.

A backend is a package `graphc.backends.<name>` registered here with the pipeline it needs
(the LLVM backend's is `fuse{backend=llvm}`). `compile` runs that pipeline through the pass
manager, so instrumentation, bisection and reproducers cover fusion like any other pass,
then hands the result to the package's `compile(graph)`. A backend package exports:

- `compile(graph) -> Executable`: the graph has been through the backend's pipeline;
- `fusible(node) -> bool`: what it computes inside a fused kernel (`fuse{backend=name}`);
- `supported_ops() -> frozenset[str]`: every op it runs, inside kernels or outside them.

Options a backend takes (the CUDA backend's `arch`, `device`, `transfer`) reach its
`compile(graph, **options)` through `compile(graph, backend, options={...})`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Protocol

import numpy as np

from graphc.graph import Graph


class Executable(Protocol):
    """What every backend's `compile` returns."""

    backend: str  # the name the backend is registered under
    graph: Graph  # the graph it runs: the input graph after the backend's pipeline
    stages: tuple[str, ...]  # what `emit` can show, the first being what `source` holds
    source: str

    def __call__(self, *args) -> tuple[np.ndarray, ...]:
        """Check and convert the arguments (graphc.backends.signature), run, return the outputs."""

    def run_unchecked(self, *arrays) -> tuple[np.ndarray, ...]:
        """Run with arrays already known to match the graph's inputs."""

    def emit(self, what: str) -> str:
        """The code of one stage as text; ValueError naming `stages` for any other `what`."""


@dataclass(frozen=True)
class Backend:
    """A registered backend: its package and the pipeline `compile` runs before it."""

    name: str
    module: str
    pipeline: str = ""

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)


BACKENDS: dict[str, Backend] = {}


def register_backend(name: str, module: str, pipeline: str = "") -> None:
    """Make `backend=name` compile with the package `module`, after running `pipeline`."""
    BACKENDS[name] = Backend(name, module, pipeline)


register_backend("numpy", "graphc.backends.numpy")
register_backend("llvm", "graphc.backends.llvm", "fuse{backend=llvm}")
# (a 1-d row kernel would run on one block of threads: the GPU's reduce kernels spread wider)
register_backend("cuda", "graphc.backends.cuda", "fuse{backend=cuda,vector-rows=false}")


def lookup(name: str) -> Backend:
    """The backend called `name`; ValueError listing the known ones."""
    try:
        return BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown backend {name!r}; choose one of {sorted(BACKENDS)}") from None


def unknown_stage(backend: str, what: str, stages: tuple[str, ...]) -> ValueError:
    """The error of `emit(what)` for a stage the backend does not have."""
    return ValueError(f"the {backend} backend emits {', '.join(map(repr, stages))}, not {what!r}")


def compile(graph: Graph, backend: str = "numpy", options: dict | None = None,  # noqa: A001
            **instrumentation) -> Executable:
    """Run the backend's pipeline over `graph`, then compile the result with the backend, giving
    it `options`.

    Keywords go to the pass manager (`print_ir_after_change=True`, `time_passes=True`, ...).
    """
    found = lookup(backend)
    if found.pipeline:
        from graphc.passes import run as run_pipeline

        graph = run_pipeline(graph, found.pipeline, **instrumentation)
    return found.load().compile(graph, **(options or {}))
