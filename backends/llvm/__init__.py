"""The LLVM backend: fused kernels compiled to machine code for this CPU.

The backend's pipeline, `fuse{backend=llvm}`, groups the graph's elementwise work and
reductions into kernels (the predicate `fusible` says what may go in one); each kernel
becomes one vectorised loop nest (backends/llvm/kernel/), and the rest of the
graph (matmul through BLAS, cat, pad, views of materialised values) runs through
NumPy in a generated Python driver, the same code generator the NumPy backend uses.
"""

from __future__ import annotations

import functools
import threading

import llvmlite.binding as llvm
from llvmlite import ir

from graphc.backends import unknown_stage
from graphc.backends.llvm import jit
from graphc.backends.llvm.kernel import build, first_variant, layout, variants, vector_lanes
from graphc.backends.llvm.runtime import KernelCall
from graphc.backends.llvm.scalar import LOWERING, SUPPORTED, can_lower
from graphc.backends.llvm.split import Part, split_module
from graphc.backends.numpy.driver import Driver
from graphc.backends.numpy.lowering import LOWERING as NUMPY_LOWERING
from graphc.graph import Graph
from graphc.kernel import REDUCE_OPS, VIEW_OPS
from graphc.node import Node
from graphc.printer import format_graph

_deferred_lock = threading.Lock()


def fusible(node: Node) -> bool:
    """The fusion predicate of this backend: ops it compiles inside kernels.

    Views become strides of the operands; reductions and elementwise ops become loops,
    for the dtypes LLVM computes in (float16 stays with NumPy).
    """
    if any(t.name not in SUPPORTED for t in (node.dtype, *(i.dtype for i in node.inputs))):
        return False
    if node.op in REDUCE_OPS:
        return bool(node.attr("axes"))  # a reduction over no axes is a copy: NumPy's
    return node.op in VIEW_OPS or can_lower(node)


class LLVMExecutable:
    """A fused graph: LLVM kernels, called from a generated Python driver (graphc.backends.driver)."""

    backend = "llvm"
    stages = ("graph", "python", "llvm", "llvm-opt", "asm")

    def __init__(self, graph: Graph):
        self.graph = graph
        kernels = [n for n in graph.nodes if n.op == "kernel"]
        # Each kernel's function for C-ordered operands is built and compiled now; its other
        # variants (generic loops for other layouts, vector loops along the other axis of a
        # reduction, streaming stores for large outputs) each in a module of their own, one
        # per variant for all kernels, on first use.
        bits = jit.vector_bits()
        self.lanes = {node: vector_lanes(bits, node.attr("body")) for node in kernels}
        self.layouts = {node: layout(node.attr("body"), f"kernel{k}", node.attr("kind"))
                        for k, node in enumerate(kernels)}
        self.first = {node: first_variant(spec, self.lanes[node]) for node, spec in self.layouts.items()}
        module = ir.Module("graphc")
        module.triple = jit.triple()
        for node, spec in self.layouts.items():
            build(node.attr("body"), spec, module, self.lanes[node], self.first[node])
        linked = jit.link_math_soon(module)
        # The kernels may be split over several modules, which threads compile at once, at
        # levels chosen by the size of the kernels, whatever the split.
        parts = self._parts = split_module(module)
        self.llvm_modules = [part.text for part in parts]
        self.llvm_ir = "\n".join(self.llvm_modules)
        linked()
        self._engines = _load(parts)
        self._deferred: dict[str, list[Part]] = {}
        self._deferred_engines: dict[str, dict[str, llvm.ExecutionEngine]] = {}
        self.kernels = {}
        for node, spec in self.layouts.items():
            addresses = {variant: functools.partial(self._address, "" if variant == self.first[node]
                                                    else variant, spec.function(variant))
                         for variant in variants(spec, self.lanes[node])}
            self.kernels[node] = KernelCall(spec, addresses)
        numpy_math = any(n.inputs and n.op not in ("kernel", "result") for n in graph.nodes)
        driver = Driver(graph, self.backend, lowering={**NUMPY_LOWERING, "kernel": self._lower_kernel},
                        quiet_numpy=numpy_math, fresh=frozenset({"kernel", "result"}))
        self.driver = driver.source
        self._bind, self.run_unchecked = driver.signature.bind, driver.fn
        self.entry = driver.signature.entry(driver.fn, "llvm_entry")  # checks, then the driver

    def __call__(self, *args) -> tuple:
        return self.entry(*args)

    @functools.cached_property
    def source(self) -> str:
        """The fused graph with its kernels, as text (printed when first asked for: a long
        graph's text costs as much as fusing it)."""
        return format_graph(self.graph)

    def deferred_ir(self, variant: str) -> str:
        """The module of every kernel's function `variant` ("vector", "column", "generic" or
        "stream") that the main module does not hold (built once, on first use)."""
        return "\n".join(part.text for part in self._deferred_parts(variant))

    def _deferred_parts(self, variant: str) -> list[Part]:
        """`deferred_ir(variant)` split as the graph's modules are (`split_module`)."""
        with _deferred_lock:
            if variant not in self._deferred:
                module = ir.Module(f"graphc.{variant}")
                module.triple = jit.triple()
                for node, spec in self.layouts.items():
                    lanes = self.lanes[node]
                    if variant != self.first[node] and variant in variants(spec, lanes):
                        build(node.attr("body"), spec, module, lanes, variant)
                linked = jit.link_math_soon(module)
                self._deferred[variant] = split_module(module)
                linked()
            return self._deferred[variant]

    def _address(self, variant: str, name: str) -> int:
        """The address of function `name`, in the graph's modules ("") or a deferred one (whose
        modules, for every kernel, are compiled at once when one of them is first wanted)."""
        if not variant:
            return self._engines[name].get_function_address(name)
        engines = self._deferred_engines.get(variant)
        if engines is None:  # (threads that get here at once share the engines: jit.ENGINE)
            engines = self._deferred_engines[variant] = _load(self._deferred_parts(variant))
        return engines[name].get_function_address(name)

    def _lower_kernel(self, args: list[str], node: Node, ctx) -> str:
        """A call of the compiled kernel on NumPy views of its operands."""
        call = ctx.ref(self.kernels[node], self.layouts[node].name)
        body = node.attr("body")
        exprs = {b: a for b, a in zip(body.inputs, args)}
        for n in body.nodes:
            if n.op in VIEW_OPS:
                rule = NUMPY_LOWERING[n.op]
                inner = [exprs[n.inputs[0]]]
                exprs[n] = rule.format(*inner) if isinstance(rule, str) else rule(inner, n, ctx)
        operands = ", ".join(exprs[o] for o in self.layouts[node].operands)
        return f"{call}({operands})"

    def emit(self, what: str = "llvm") -> str:
        """The compiled code as text: "llvm", "llvm-opt", "asm", "python" (the driver), "graph"."""
        parts = self._parts + [part for variant in ("vector", "column", "generic")
                               for part in self._deferred_parts(variant) if "define " in part.text]
        if what == "llvm":
            return "\n".join(part.text for part in parts)
        if what == "llvm-opt":  # (each module at the levels it is compiled at)
            return "\n".join(str(jit.optimize(text, speed)) for text, _, (speed, _) in parts)
        if what == "asm":
            return "\n".join(jit.assembly(jit.optimize(text, speed), codegen)
                             for text, _, (speed, codegen) in parts)
        if what == "python":
            return self.driver
        if what == "graph":
            return self.source
        raise unknown_stage(self.backend, what, self.stages)


def _load(parts: list[Part]) -> dict[str, llvm.ExecutionEngine]:
    """Compile (or find) the modules `split_module` made, at once: each function's name ->
    the engine that holds it."""
    engines = jit.load_all([(part.text, part.levels) for part in parts])
    return {name: engine for part, engine in zip(parts, engines) for name in part.names}


def supported_ops() -> frozenset[str]:
    """Ops compiled inside kernels, and the rest, which the NumPy driver runs."""
    return frozenset(LOWERING) | VIEW_OPS | REDUCE_OPS | set(NUMPY_LOWERING) | {"placeholder"}


def compile(graph: Graph) -> LLVMExecutable:  # noqa: A001
    """Compile `graph`, which `fuse{backend=llvm}` has grouped into kernels."""
    return LLVMExecutable(graph)
