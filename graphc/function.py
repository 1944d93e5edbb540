"""`graphc.function`: compile a graph from chosen inputs to outputs into a callable."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from graphc.gcpause import paused_gc
from graphc.graph import Graph, GraphError, as_node
from graphc.tensor import Tensor

_INPUT_OPS = ("placeholder", "parameter", "constant")


class Function:
    """A compiled graph. Call it with arrays; get an array, or a list for a list of outputs."""

    def __init__(self, inputs: Sequence[Tensor], outputs, backend: str = "llvm", passes: str = "-O1",
                 **options):
        from graphc.backends import compile as compile_graph

        if isinstance(inputs, Tensor):
            inputs = [inputs]
        self._single = not isinstance(outputs, (list, tuple))
        outputs = [outputs] if self._single else list(outputs)
        for k, t in enumerate(inputs):
            if as_node(t).op not in _INPUT_OPS:
                raise GraphError(f"input {k} of graphc.function is a computed tensor ({as_node(t).op});"
                                 " inputs must be placeholders or leaf tensors")
        with paused_gc():
            self.graph = Graph(inputs, outputs)
            self.graph.verify()
            self.passes = passes
            if passes:
                from graphc.passes import run as run_pipeline

                self.graph = run_pipeline(self.graph, passes)
            self.backend = backend
            self.executable = compile_graph(self.graph, backend, options)

    @property
    def source(self) -> str:
        """What the backend made: NumPy, the generated Python; LLVM, the fused graph with kernels."""
        return self.executable.source

    @property
    def stages(self) -> tuple[str, ...]:
        """What `emit` can show for this backend."""
        return self.executable.stages

    def emit(self, what: str = "python") -> str:
        """The code of one stage: "python" and "graph" (any backend); "llvm", "llvm-opt", "asm"
        (LLVM backend); "cuda", "ptx" (CUDA backend); see `stages`."""
        return self.executable.emit(what)

    def __call__(self, *args) -> np.ndarray | list[np.ndarray]:
        results = self.executable(*args)
        return results[0] if self._single else list(results)

    def __repr__(self) -> str:
        names = ", ".join(str(n.attr("name") or n.op) for n in self.graph.inputs)
        return f"<graphc.Function({names}) backend={self.backend}, {len(self.graph)} nodes>"

    @property
    def returns_list(self) -> bool:
        """Whether a call returns a list (the outputs were given as a list) or one array."""
        return not self._single

    def __reduce__(self):
        """A Function pickles as its optimised graph's text form (parameters by value, as the
        text holds them); unpickling compiles it once per process (`restore`)."""
        return restore, (str(self.graph), self.backend, self.passes, self._single)

    # Jupyter shows the explorer (its stages and kernels) or a picture; repr stays the text above.
    def _repr_html_(self) -> str:
        from graphc.viz.html import notebook_html

        return notebook_html(self)

    def _repr_svg_(self) -> str | None:
        from graphc.viz.svg import notebook_svg

        return notebook_svg(self)


_RESTORED: dict[tuple[str, str], Function] = {}
_restore_lock = threading.Lock()


def restore(text: str, backend: str, passes: str = "", single: bool = True) -> Function:
    """The Function that the graph `text` (already through `passes`) compiles to with `backend`.

    Memoised per process by text and backend, so a process that unpickles the same Function
    for every task compiles it once (the LLVM disk cache then makes a new process cheap too).
    """
    from graphc.parser import parse

    with _restore_lock:
        compiled = _RESTORED.get((text, backend))
        if compiled is None:
            graph = parse(text)
            compiled = Function(graph.inputs, list(graph.outputs), backend, passes="")
            _RESTORED[(text, backend)] = compiled
    restored = object.__new__(Function)
    restored.__dict__.update(compiled.__dict__, passes=passes, _single=single)
    return restored


def restored_count() -> int:
    """How many distinct Functions this process has compiled from pickles (or `restore`)."""
    return len(_RESTORED)


def function(inputs: Sequence[Tensor], outputs, backend: str = "llvm", passes: str = "-O1",
             **options) -> Function:
    """Compile `outputs` (a tensor or a list of tensors) as a function of `inputs`.

    `backend` is "llvm" (fused, compiled kernels), "cuda" (fused kernels for an NVIDIA GPU;
    `options`: arch, device, transfer, see docs/cuda.md) or "numpy" (generated NumPy code, the
    reference). `passes` is the pipeline run on the graph first (`""` runs none); `f.graph` is
    its result.
    """
    return Function(inputs, outputs, backend, passes, **options)
