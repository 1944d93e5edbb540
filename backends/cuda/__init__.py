"""The CUDA backend: fused kernels compiled to CUDA C with NVRTC, run on an NVIDIA GPU.

`fuse` groups the graph's elementwise work and reductions into kernels, the same kernels
the LLVM backend compiles (docs/kernels.md); each becomes one `__global__` function of a
CUDA module (backends/cuda/source.py), which NVRTC compiles to a CUBIN for the device's
architecture, on the CPU. See docs/cuda.md.
"""

from __future__ import annotations

from graphc.backends.cuda.scalar import SUPPORTED, can_lower

from graphc.kernel import REDUCE_OPS, VIEW_OPS
from graphc.node import Node


def fusible(node: Node) -> bool:
    """The fusion predicate of this backend: every elementwise op, view and reduction of every
    dtype (integer division and powers included, with NumPy's semantics)."""
    if any(t.name not in SUPPORTED for t in (node.dtype, *(i.dtype for i in node.inputs))):
        return False
    if node.op in REDUCE_OPS:
        return bool(node.attr("axes"))  # a reduction over no axes is a copy
    return node.op in VIEW_OPS or can_lower(node)
