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
                 cast: bool = False, **options):
        from graphc.backends import compile as compile_graph
        from graphc.backends.signature import CallArguments

        if isinstance(inputs, Tensor):
            inputs = [inputs]
        self._single = not isinstance(outputs, (list, tuple))
        outputs = [outputs] if self._single else list(outputs)
        for k, t in enumerate(inputs):
            if as_node(t).op not in _INPUT_OPS:
                raise GraphError(f"input {k} of graphc.function is a computed tensor ({as_node(t).op});"
                                 " inputs must be placeholders or leaf tensors")
        with paused_gc():
            self.graph = self.graph_as_built = Graph(inputs, outputs)
            self.graph.verify()
            self.passes = passes
            if passes:
                from graphc.passes import run as run_pipeline

                self.graph = run_pipeline(self.graph, passes)
            self.backend = backend
            self.executable = compile_graph(self.graph, backend, options)
        # what a call runs: the executable's checked entry where it has one (a call fewer)
        self._run = getattr(self.executable, "entry", self.executable)
        self._cast = cast
        self._arguments = CallArguments(self.graph, cast)

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

    def __call__(self, *args, **kwargs) -> np.ndarray | list[np.ndarray]:
        """Run on arrays given by position, then by input name (`f(x, v=V)`), like a Python
        call; with `cast`, arrays of another dtype of the same kind are converted first."""
        if kwargs or self._cast:  # exact positional arrays skip this: the per-call cost counts
            args = self._arguments.arrange(args, kwargs)
        results = self._run(*args)
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
        return restore, (str(self.graph), self.backend, self.passes, self._single, self._cast)

    # Jupyter shows the explorer (its stages and kernels) or a picture; repr stays the text above.
    def _repr_html_(self) -> str:
        from graphc.viz.html import notebook_html

        return notebook_html(self)

    def _repr_svg_(self) -> str | None:
        from graphc.viz.svg import notebook_svg

        return notebook_svg(self)


_RESTORED: dict[tuple[str, str], Function] = {}
_restore_lock = threading.Lock()


def restore(text: str, backend: str, passes: str = "", single: bool = True,
            cast: bool = False) -> Function:
    """The Function that the graph `text` (already through `passes`) compiles to with `backend`.

    Memoised per process by text and backend, so a process that unpickles the same Function
    for every task compiles it once (the LLVM disk cache then makes a new process cheap too).
    """
    from graphc.backends.signature import CallArguments
    from graphc.parser import parse

    with _restore_lock:
        compiled = _RESTORED.get((text, backend))
        if compiled is None:
            graph = parse(text)
            compiled = Function(graph.inputs, list(graph.outputs), backend, passes="")
            _RESTORED[(text, backend)] = compiled
    restored = object.__new__(Function)
    restored.__dict__.update(compiled.__dict__, passes=passes, _single=single, _cast=cast,
                             _arguments=CallArguments(compiled.graph, cast))
    return restored


def restored_count() -> int:
    """How many distinct Functions this process has compiled from pickles (or `restore`)."""
    return len(_RESTORED)


def function(inputs: Sequence[Tensor], outputs, backend: str = "llvm", passes: str = "-O1",
             cast: bool = False, **options) -> Function:
    """Compile `outputs` (a tensor or a list of tensors) as a function of `inputs`.

    `backend` is "llvm" (fused, compiled kernels), "cuda" (fused kernels for an NVIDIA GPU;
    `options`: arch, device, transfer, see docs/cuda.md) or "numpy" (generated NumPy code, the
    reference). `passes` is the pipeline run on the graph first (`""` runs none); `f.graph` is
    its result.

    The result is called with arrays by position or by input name (`f(x=X, v=V)`). Arguments
    must have the inputs' dtypes exactly, unless `cast=True`: then an array of another dtype
    of the same kind is converted (float64 to float32, int64 to int32 if its values fit), as
    NumPy's `astype(..., casting="same_kind")` would; float to int is still refused.
    """
    return Function(inputs, outputs, backend, passes, cast, **options)
