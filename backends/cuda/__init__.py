"""The CUDA backend: fused kernels compiled to CUDA C with NVRTC, run on an NVIDIA GPU.

The backend's pipeline, `fuse{backend=cuda,vector-rows=false}`, groups the graph's elementwise
work and reductions into kernels, the same kernels the LLVM backend compiles (docs/kernels.md),
with this backend's predicate `fusible` (and no 1-d row kernels, which would run on one block
of threads); each becomes one `__global__` function of a
CUDA module (backends/cuda/source.py), which NVRTC compiles to a CUBIN for the device's
architecture on the CPU. A generated Python driver (backends/cuda/driver.py) enqueues the
kernels and the ops outside them on the device's stream. See docs/cuda.md.

Compiling needs no GPU (only NVRTC); calling does, and raises RuntimeError without one.
"""

from __future__ import annotations

import numpy as np

from graphc.backends import unknown_stage
from graphc.backends.cuda import dlpack, nvrtc, outside, runtime
from graphc.backends.cuda.arrays import DeviceArray
from graphc.backends.cuda.driver import DEVICE, FRESH, lowering
from graphc.backends.cuda.launch import KernelCall
from graphc.backends.cuda.scalar import LOWERING, SUPPORTED, can_lower
from graphc.backends.cuda.source import compile_graph_module, graph_module
from graphc.backends.numpy.codegen import RESERVED
from graphc.backends.numpy.driver import Driver
from graphc.graph import Graph
from graphc.kernel import REDUCE_OPS, VIEW_OPS
from graphc.names import Namespace
from graphc.node import Node
from graphc.printer import format_graph

STAGES = ("graph", "cuda", "ptx", "python")


def fusible(node: Node) -> bool:
    """The fusion predicate of this backend: every elementwise op, view and reduction of every
    dtype (integer division and powers included, with NumPy's semantics)."""
    if any(t.name not in SUPPORTED for t in (node.dtype, *(i.dtype for i in node.inputs))):
        return False
    if node.op in REDUCE_OPS:
        return bool(node.attr("axes"))  # a reduction over no axes is a copy
    return node.op in VIEW_OPS or can_lower(node)


class CudaExecutable:
    """A fused graph compiled for one GPU: call it with NumPy arrays (copied in, results copied
    back) or GPU arrays (DeviceArray, CuPy, PyTorch, JAX: read in place, DeviceArrays back)."""

    backend = "cuda"
    stages = STAGES

    def __init__(self, graph: Graph, arch: str | None = None, device: int = 0, transfer: bool = True):
        """`graph` has been through `fuse{backend=cuda}`. `arch`: the architecture to compile
        for (default: the device's, or sm_90 without a GPU); `device`: the GPU to run on;
        `transfer=False` refuses host arrays."""
        self.graph = graph
        self.ordinal, self.transfer = device, transfer
        self.cuda_source, specs = graph_module(graph)
        if arch is None:
            arch = runtime.device(device).arch if runtime.device_count() > device else nvrtc.DEFAULT_ARCH
        self.arch = arch
        self.compiled = compile_graph_module(self.cuda_source, arch)
        self.kernels = {node: KernelCall(spec, self._module) for node, spec in specs.items()}
        driver = Driver(graph, self.backend, lowering(self.kernels), quiet_numpy=False, fresh=FRESH,
                        adopt=self._adopt, names=Namespace((*RESERVED, "graphc_fn", DEVICE, "copy_array")),
                        copy="copy_array", references={"owned": outside.owned, "copy_array": outside.copy})
        self.signature, self.driver, self._fn = driver.signature, driver.source, driver.fn
        self._globals = driver.fn.__globals__  # where `dev` is set at each call
        # kernels that may flag NumPy's error (integer powers): a call waits to read the flag
        self.flags_errors = any(n.op == "pow" and not n.dtype.is_floating_point
                                for k in self.kernels for n in k.attr("body").nodes)
        self.source = format_graph(graph)

    # ------------------------------------------------------------------------ calls
    def device(self) -> runtime.Device:
        """The GPU this executable runs on (its context current in this thread)."""
        return runtime.device(self.ordinal)

    def __call__(self, *args) -> tuple:
        arrays, _ = self.signature.bind(args)  # bad arguments are refused before any GPU is needed
        return self._run(self.device(), arrays)

    def run_unchecked(self, *arrays) -> tuple:
        """Run with arrays already known to match the signature (used for eager evaluation)."""
        return self._run(self.device(), arrays)

    def _run(self, device: runtime.Device, arrays) -> tuple:
        host = not any(isinstance(a, DeviceArray) for a in arrays)
        inputs = [a if isinstance(a, DeviceArray) else DeviceArray.from_host(device, np.asarray(a))
                  for a in arrays]
        self._globals[DEVICE] = device
        results = self._fn(*inputs)
        if self.flags_errors:
            device.check_status(self._module(device))
        if host and self.transfer:
            return tuple(r.numpy() for r in results)
        return results

    def _module(self, device: runtime.Device) -> runtime.Module:
        """The kernels on `device` (compiled again for its architecture if it is not `arch`)."""
        compiled = self.compiled if device.arch == self.arch else compile_graph_module(self.cuda_source,
                                                                                           device.arch)
        return device.module(compiled.cubin)

    def _adopt(self, k: int, value) -> DeviceArray | None:
        """Argument `k` as a DeviceArray if it is a GPU array; None for a host value to convert."""
        device_value = getattr(value, "__graphc_device_array__", None)
        if device_value is not None:  # a graphc tensor on a GPU
            value = device_value()
        if isinstance(value, DeviceArray):
            if value.device.ordinal != self.ordinal:
                raise ValueError(f"argument {self.signature.names[k]!r} is on {value.device!r}, but this"
                                 f" function runs on cuda:{self.ordinal}")
            return value
        if dlpack.is_device_array(value):
            return dlpack.adopt(value, self.device())
        if not self.transfer:
            raise TypeError(f"argument {self.signature.names[k]!r} is a host value"
                            f" ({type(value).__name__}); this function was compiled with"
                            " transfer=False and takes GPU arrays (x.to('cuda'), CuPy, torch.cuda)")
        return None

    # ------------------------------------------------------------------------ text
    def emit(self, what: str = "cuda") -> str:
        """The compiled code as text: "cuda" (the CUDA C), "ptx" (for `arch`), "python" (the
        driver), "graph" (the fused graph)."""
        texts = {"graph": lambda: self.source, "cuda": lambda: self.cuda_source,
                 "ptx": lambda: self.compiled.ptx, "python": lambda: self.driver}
        if what not in texts:
            raise unknown_stage(self.backend, what, STAGES)
        return texts[what]()


def supported_ops() -> frozenset[str]:
    """Ops compiled inside kernels, and the rest, which the driver runs on the GPU."""
    return frozenset(LOWERING) | VIEW_OPS | REDUCE_OPS | set(lowering({})) | {"placeholder"}


def compile(graph: Graph, **options) -> CudaExecutable:  # noqa: A001
    """Compile `graph`, which `fuse{backend=cuda}` has grouped into kernels, for the GPU;
    options: arch, device, transfer (see CudaExecutable)."""
    return CudaExecutable(graph, **options)
