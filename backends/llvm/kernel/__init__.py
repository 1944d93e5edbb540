"""A kernel's body becomes LLVM functions: loop nests over its iteration space.

Each generated function has the signature

    void kernel(ptr arrays, ptr strides, ptr shape, i64 start, i64 stop)

`arrays` holds one NumPy array object (a `PyObject *`) per operand and one per
output; the kernel reads each one's data pointer from NumPy's public struct layout
(`PyArray_DATA`: the field after the object header), which costs far less per call
than asking NumPy for it from Python. `strides` holds, per
array, one element stride per iteration dimension (0 where broadcast); `shape` the
iteration sizes. The outermost dimension runs from `start` to `stop`, so callers
can split it across threads. Reduce kernels iterate the reduced dimensions
innermost (the caller transposes its views so they come last).

A kernel has up to four variants. The *generic* one is a plain scalar loop nest that
accepts any strides. The *vector* one is specialised for the innermost strides the operands
are expected to have (1: contiguous, 0: broadcast, other: strided) and processes `lanes`
elements per iteration with explicit vector instructions; the last, partial vector of a row
runs the same code with its lanes past the end masked off (masked loads and stores), so the
body is emitted once. The caller picks the vector variant when the actual strides match. The
backend compiles each kernel's variant for C-ordered operands (`first_variant`) with the
graph, and the others only when a call needs one. A kernel of several outputs stores each in
the same iteration. A reduce kernel that keeps some dimensions also gets a *column* variant,
for reductions over leading axes (`sum(x, 0)` of a C-ordered `x`): it runs along the last
kept dimension in vectors, each lane accumulating its own output element over the reduced
dimensions (COLUMN_CHUNK accumulators at a time, on the stack), so it reads memory in order
instead of gathering strided elements; the caller picks it when it gathers fewer operands
than the row-wise vector variant would.

Kernels whose outputs are large get a *stream* variant (compiled on first use), a vector
variant whose whole vectors of output go to memory with non-temporal stores, past the caches;
the caller picks it for outputs of at least STREAM_MIN_BYTES whose rows start on cache lines.

Row kernels (graphc/rows.py) loop over their kept dimensions and run their schedule's passes
over each row (backends/llvm/kernel/row.py); their stream variant keeps a row's stashes on the
stack, for rows short enough (STASH_ROW_BYTES per stash), and streams only the outputs that
no later pass reads back.

The modules: `layout` (what the caller prepares), `loops` (the function's loop nest, loads and
stores; elementwise kernels), `body` (the body's ops as IR), `reduction` (accumulators; reduce
and column variants) and `row` (row kernels).
"""

from __future__ import annotations

from llvmlite import ir

from graphc.backends.llvm.kernel.layout import (
    KernelLayout,
    has_column_variant,
    has_stream_variant,
    has_vector_variant,
    layout,
    vector_lanes,
)
from graphc.backends.llvm.kernel.loops import (
    ARRAY_DATA_OFFSET,
    STREAM_ALIGNMENT,
    ElementwiseBuilder,
    KernelBuilder,
)
from graphc.backends.llvm.kernel.reduction import ColumnReduceBuilder, ReduceBuilder
from graphc.backends.llvm.kernel.row import RowBuilder
from graphc.graph import Graph


def variants(spec: KernelLayout, lanes: int) -> list[str]:
    """The functions kernel `spec` has, of "vector", "column", "generic" and "stream"."""
    present = {"vector": has_vector_variant(spec, lanes), "column": has_column_variant(spec, lanes),
               "generic": True, "stream": has_stream_variant(spec, lanes)}
    return [name for name, has in present.items() if has]


def first_variant(spec: KernelLayout, lanes: int) -> str:
    """The variant C-ordered operands take, which the backend compiles with the graph (the
    others on first use): the column one for a reduction that keeps the last dimension."""
    if has_column_variant(spec, lanes) and spec.rank - 1 not in spec.reduction.attr("axes"):
        return "column"
    return "vector" if has_vector_variant(spec, lanes) else "generic"


def build(body: Graph, spec: KernelLayout, module: ir.Module, lanes: int, variant: str) -> None:
    """Add the kernel's function `variant` (one of `variants(spec, lanes)`) to `module`."""
    name = spec.function(variant)
    if variant == "column":
        ColumnReduceBuilder(body, spec, module, name, lanes).build()
    elif variant == "stream":
        _builder(spec)(body, spec, module, name, lanes, stream=True).build()
    else:
        _builder(spec)(body, spec, module, name, lanes if variant == "vector" else None).build()


def _builder(spec: KernelLayout) -> type[KernelBuilder]:
    """What builds a kernel's vector, generic and stream functions, by the kernel's kind."""
    if spec.schedule is not None:
        return RowBuilder
    return ElementwiseBuilder if spec.reduction is None else ReduceBuilder
