"""What a picture shows: the graph of a subject at each stage of its compilation.

A subject is a Tensor, a list of tensors, a Graph, a compiled Function or the path of a `.gir`
file. Its stages: the graph as given, the graph after each pass application of a pipeline
(recorded by the pass manager's `after_pass` hook), the graph after fusion (kernels), and the
code the backend generated, per kernel where it can be told apart.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from graphc.graph import Graph, as_node, topological_order
from graphc.node import Node


@dataclass
class Stage:
    """One step of the timeline: a name ("input", "simplify (3)", "fuse") and its graph."""

    name: str
    graph: Graph
    kind: str  # "input", "pass" (one pass application) or "backend" (a step of its pipeline: fusion)
    changed: bool = True  # whether the graph differs from the previous stage's
    seconds: float | None = None  # how long the pass took


@dataclass
class Stages:
    """A subject's stages, and what its backend generated."""

    title: str
    stages: list[Stage]
    pipeline: str = ""
    backend: str = ""
    code: dict[str, str] = field(default_factory=dict)  # language -> the whole generated text
    kernel_code: dict[Node, dict[str, str]] = field(default_factory=dict)  # per kernel node
    kernel_seconds: dict[Node, float] = field(default_factory=dict)  # measured, per kernel node
    executable: object = None  # what the backend compiled, if it ran

    @property
    def final(self) -> Graph:
        return self.stages[-1].graph

    def select(self, step: int | str | None) -> Graph:
        """The graph of stage `step`: an index, a name, or None for the last."""
        if step is None:
            return self.final
        if isinstance(step, int):
            try:
                return self.stages[step].graph
            except IndexError:
                raise ValueError(f"step {step} is out of range: there are {len(self.stages)}"
                                 " steps") from None
        for stage in self.stages:
            if stage.name == step:
                return stage.graph
        names = ", ".join(repr(s.name) for s in self.stages)
        raise ValueError(f"no step named {step!r}; the steps are {names}")


def graph_of(subject) -> tuple[Graph, str]:
    """The graph behind a Graph, a Tensor, a list of tensors or a `.gir` path, and a title."""
    from graphc.function import Function

    if isinstance(subject, Graph):
        return subject, "graph"
    if isinstance(subject, Function):
        return subject.graph, "function"
    if isinstance(subject, (str, os.PathLike)):
        from graphc.parser import parse_file

        return parse_file(os.fspath(subject)), os.path.basename(os.fspath(subject))
    outputs = list(subject) if isinstance(subject, (list, tuple)) else [subject]
    try:
        nodes = [as_node(t) for t in outputs]
    except TypeError:
        raise TypeError("graphc can draw a Tensor, a list of tensors, a Graph, a Function or a .gir"
                        f" path, not {type(subject).__name__}") from None
    inputs = [n for n in topological_order(nodes) if n.op == "placeholder"]
    return Graph(inputs, nodes), "tensors"


def trace(graph: Graph, pipeline: str | None = None, backend: str | None = None,
          title: str = "graph") -> Stages:
    """The stages of `graph` through `pipeline` (each pass application) and `backend` (fusion
    and generated code); either may be None to stop before it."""
    stages = Stages(title, [Stage("input", graph, "input")], pipeline or "", backend or "")

    def recorder(kind: str):
        def record(rec, new: Graph) -> None:
            name = f"{rec.name} ({len(stages.stages)})"
            stages.stages.append(Stage(name, new, kind, rec.changed, rec.seconds))
        return record

    if pipeline:
        from graphc.passes import Instrumentation, PassManager

        manager = PassManager(pipeline, Instrumentation(after_pass=recorder("pass")))
        stages.pipeline = manager.text
        graph = manager.run(graph)
    if backend:
        from graphc.backends import compile as compile_graph

        _add_compiled(stages, compile_graph(graph, backend, after_pass=recorder("backend")))
    return stages


def function_stages(function) -> Stages:
    """The stages of a compiled Function: its graph as built, after each pass of its pipeline
    (replayed: passes are deterministic), then what its backend made.

    The one place that reads a Function's insides (`graph_as_built`, `passes`, `backend`,
    `executable`).
    """
    stages = trace(function.graph_as_built, function.passes, None, "function")
    stages.backend = function.backend
    _add_compiled(stages, function.executable)
    return stages


def _add_compiled(stages: Stages, executable) -> None:
    """Add the fused graph (if the backend fused) and the generated code of `executable`."""
    stages.executable = executable
    compiled = executable.graph
    if compiled is not stages.final:  # a Function's: compiled before it could be recorded
        stages.stages.append(Stage("fuse", compiled, "backend"))
    stages.code = generated_code(executable)
    kernels = [n for n in compiled.nodes if n.op == "kernel"]
    for k, node in enumerate(kernels):
        stages.kernel_code[node] = {lang: part for lang, text in stages.code.items()
                                    if (part := kernel_part(lang, text, f"kernel{k}"))}


CODE_STAGES = ("python", "llvm", "cuda")  # the stages of `emit` the explorer shows, where a backend has them


def generated_code(executable) -> dict[str, str]:
    """The code a backend generated, by language: its Python driver, LLVM IR, CUDA C."""
    return {what: executable.emit(what) for what in CODE_STAGES if what in executable.stages}


_LLVM_DEFINE = re.compile(r'^define [^@\n]*@"?([A-Za-z0-9_.]+)"?\(', re.MULTILINE)


def kernel_part(language: str, text: str, kernel: str) -> str:
    """The functions of `text` that implement `kernel` ("kernel3"), or "" if it cannot tell."""
    if language != "llvm":
        return ""
    parts = []
    for match in _LLVM_DEFINE.finditer(text):
        name = match.group(1)
        if name == kernel or name.startswith(kernel + "_"):
            end = text.find("\n}", match.start())
            parts.append(text[match.start():end + 2 if end >= 0 else len(text)])
    return "\n\n".join(parts)


def collect(subject, passes: str | None = None, backend: str | None = None) -> Stages:
    """The stages of any subject (see the module's docstring).

    A Function shows its own pipeline and backend; for anything else, `passes` and `backend`
    say how far to take it (neither: just the graph).
    """
    from graphc.function import Function

    if isinstance(subject, Stages):
        return subject
    if isinstance(subject, Function):
        if passes is not None or backend is not None:
            raise ValueError("a Function was compiled with its own passes and backend;"
                             " give passes= and backend= with a graph or tensors instead")
        return function_stages(subject)
    graph, title = graph_of(subject)
    return trace(graph, passes, backend, title)
