"""Reduce and row kernels as CUDA C (docs/cuda.md, "Kernels").

A reduce kernel gives each output element (of M) a *group* of `lanes` threads: a warp (32)
where the reduced elements lie consecutively in memory, one thread where they do not (a
column sum: neighbouring threads then read neighbouring columns). Where M is too small to
fill the GPU, each output's L reduced elements are split into `splits` chunks, each its own
group's work; the groups write partial results and `<name>_finish` combines them (a second
pass, deterministic, unlike atomics). A warp combines its lanes with shuffles.

A row kernel gives each row a block. It runs the passes `graphc.rows.row_schedule` lists:
each pass traverses the row (threads striding over it), accumulates its reductions, and a
block reduction (warp shuffles, then one warp over the warps' results in shared memory)
makes them known to every thread; values constant along the row are then computed once per
thread. A row of at most ROW_CACHE * blockDim.x elements is read from memory once: the first
pass keeps each thread's elements of every operand in registers for the later ones.

float32 and bfloat16 sums and means accumulate in float64 (float16 in float32): at least as accurate as
NumPy's pairwise summation. max and min keep a NaN once they meet one, as NumPy's.
"""

from __future__ import annotations

import numpy as np

from graphc import dtypes
from graphc.backends.cuda.codegen import (
    GRID_STRIDE,
    comment,
    coordinates,
    dispatch,
    element_function,
    global_head,
    load_operand,
    offset,
    scalars,
    size_product,
    statements,
    template_head,
    uniform_loads,
)
from graphc.backends.cuda.layout import UNIFORM, KernelSpec, Operand
from graphc.backends.cuda.scalar import literal, load, register_type, store
from graphc.node import Node
from graphc.rows import RowPass

ROW_CACHE = 4  # row elements per thread kept in registers between passes
WARP_MERGE = ("#pragma unroll", "for (int d = 16; d > 0; d >>= 1) {acc} = {merge};")


def accumulator_type(reduction: Node) -> str:
    """The C type a reduction accumulates in."""
    dtype = reduction.dtype
    if reduction.op in ("sum", "mean") and dtype in (dtypes.float32, dtypes.bfloat16):
        return "double"
    return register_type(dtype)


def initial(reduction: Node) -> str:
    dtype, op = reduction.dtype, reduction.op
    if op in ("sum", "mean"):
        return "0" if dtype.category < 2 else "0.0"
    if op == "prod":
        return "1" if dtype.category < 2 else "1.0"
    if dtype is dtypes.bool_:
        return "false" if op == "max" else "true"
    if dtype.category == 1:
        info = np.iinfo(dtype.numpy)
        return literal(dtype, int(info.min) if op == "max" else int(info.max))
    as_float = dtypes.float64 if dtype is dtypes.float64 else dtypes.float32
    return literal(as_float, float("-inf") if op == "max" else float("inf"))


def merge(reduction: Node, acc: str, value: str) -> str:
    """`acc` combined with `value` (both in the accumulator type)."""
    dtype, op = reduction.dtype, reduction.op
    if op in ("max", "min"):
        if dtype is dtypes.bool_:
            return f"({acc} || {value})" if op == "max" else f"({acc} && {value})"
        return f"gc_{'maximum' if op == 'max' else 'minimum'}({value}, {acc})"
    if dtype.category == 1:
        return f"gc_{'mul' if op == 'prod' else 'add'}({acc}, {value})"
    return f"({acc} {'*' if op == 'prod' else '+'} {value})"


def combine(reduction: Node, acc: str, value: str) -> str:
    """`acc` combined with an element `value` (in the reduced operand's register type)."""
    wide = accumulator_type(reduction)
    if wide != register_type(reduction.dtype):
        value = f"({wide}){value}"
    return merge(reduction, acc, value)


def finish(reduction: Node, acc: str, count: str) -> str:
    """The reduction's value (register type) from its accumulator over `count` elements."""
    if reduction.op == "mean":
        acc = f"({acc} / ({accumulator_type(reduction)}){count})"
    if reduction.dtype is dtypes.float16:
        return f"gc_half({acc})"
    if reduction.dtype is dtypes.bfloat16:
        return f"gc_bf16_round({acc})"
    if accumulator_type(reduction) != register_type(reduction.dtype):
        return f"({register_type(reduction.dtype)}){acc}"
    return acc


def warp_merge(reduction: Node, acc: str, indent: str) -> list[str]:
    shuffled = merge(reduction, acc, f"gc_shfl_xor({acc}, d)")
    return [indent + WARP_MERGE[0], indent + WARP_MERGE[1].format(acc=acc, merge=shuffled)]


# ------------------------------------------------------------------------- reduce kernels

def reduce_kernel(spec: KernelSpec, title: str) -> list[str]:
    r = spec.reduction
    kept = [d for d in range(spec.rank) if d not in spec.axes]
    acc_type = accumulator_type(r)
    operand = r.inputs[0]
    loop = f"{spec.name}_loop"
    lines = [*comment(spec, title), *element_function(spec, [operand]), template_head(spec, loop)]
    lines += uniform_loads(spec, "  ")
    lines += [f"  const I outputs = {size_product(kept)}, count = {size_product(spec.axes)};",
              "  const int lane = threadIdx.x % lanes;",
              "  const I groups = (I)gridDim.x * (I)blockDim.x / lanes;",
              f"  for (I w = ({GRID_STRIDE}) / lanes; w < outputs * (I)splits; w += groups) {{",
              "    const I o = w / (I)splits, begin = w % (I)splits * (I)chunk;",
              "    const I end = count - begin < (I)chunk ? count : begin + (I)chunk;"]
    if spec.strided:
        lines += coordinates("o", kept, "    ")
    lines += [f"    {acc_type} acc = {initial(r)};",
              "    for (I r = begin + lane; r < end; r += lanes) {"]
    if spec.strided:
        lines += coordinates("r", list(spec.axes), "      ")
    loads = {o.name: load_operand(o, offset(o, range(spec.rank), "o * count + r"))
             for o in spec.operands if o.access != UNIFORM}
    value = f"r_{spec.names[operand]}"
    call = ", ".join([*(loads.get(o.name, o.name) for o in spec.operands), value])
    result = store(r.dtype, finish(r, "acc", "count"))
    lines += [f"      {register_type(operand.dtype)} {value};",
              f"      {spec.name}_element({call});",
              f"      acc = {combine(r, 'acc', value)};",
              "    }",
              "    if (lanes == 32) {",
              *warp_merge(r, "acc", "      "),
              "    }",
              "    if (lane == 0) {",
              f"      if (splits == 1) {spec.output_name(0)}[o] = {result};",
              "      else partial[w] = acc;",
              "    }",
              "  }",
              "}"]
    return lines + dispatch(spec, loop) + _finish_kernel(spec)


def _finish_kernel(spec: KernelSpec) -> list[str]:
    """`<name>_finish`: each output's partial results, combined (the second pass of a split)."""
    r, acc_type = spec.reduction, accumulator_type(spec.reduction)
    out = next(p for p in spec.params if p.role == ("output", 0))
    params = (f"const {acc_type}* __restrict__ partial, {out.ctype} {out.name}, long long outputs,"
              " int splits, long long count")
    return [global_head(f"{spec.name}_finish", params),
            "  for (long long o = (long long)blockIdx.x * blockDim.x + threadIdx.x; o < outputs;"
            " o += (long long)gridDim.x * blockDim.x) {",
            f"    {acc_type} acc = partial[o * splits];",
            f"    for (int p = 1; p < splits; ++p) acc = {merge(r, 'acc', 'partial[o * splits + p]')};",
            f"    {spec.output_name(0)}[o] = {store(r.dtype, finish(r, 'acc', 'count'))};",
            "  }",
            "}"]


# ---------------------------------------------------------------------------- row kernels

def row_kernel(spec: KernelSpec, title: str) -> list[str]:
    schedule = spec.schedule
    kept = [d for d in range(spec.rank) if d not in spec.axes]
    names = spec.names
    reductions = [r for step in schedule.passes for r in step.reductions]
    element_operands = _element_operands(spec)
    loop = f"{spec.name}_loop"
    lines = [*comment(spec, title), template_head(spec, loop)]
    lines += [f"  __shared__ {accumulator_type(r)} red_{names[r]}[32];" for r in reductions]
    lines += uniform_loads(spec, "  ") + scalars(spec.body, names, "  ")
    lines += [f"  const I rows = {size_product(kept)}, count = {size_product(spec.axes)};",
              "  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;",
              f"  const bool cached = count <= (I){ROW_CACHE} * (I)blockDim.x;",
              "  for (I row = blockIdx.x; row < rows; row += gridDim.x) {"]
    if spec.strided:
        lines += coordinates("row", kept, "    ")
    for o in element_operands:
        lines.append(f"    {register_type(o.node.dtype)} cache_{o.name}[{ROW_CACHE}];")
    if element_operands:
        lines += ["    if (cached) {", "      #pragma unroll",
                  f"      for (int e = 0; e < {ROW_CACHE}; ++e) {{",
                  "        const I j = e * (I)blockDim.x + (I)threadIdx.x;",
                  "        if (j < count) {"]
        lines += _row_coordinates(spec, "          ")
        lines += [f"          cache_{o.name}[e] = {_element_load(spec, o)};" for o in element_operands]
        lines += ["        }", "      }", "    }"]
    loaded: set[Node] = set()  # row operands read so far in this row (all passes share a scope)
    for p, step in enumerate(schedule.passes, 1):
        lines += _row_pass(spec, p, step, kept, loaded)
    lines += ["    __syncthreads();  // the next row reuses the shared reduction slots", "  }", "}"]
    return lines + dispatch(spec, loop)


def _element_operands(spec: KernelSpec) -> list[Operand]:
    """Operands the passes read per element (not uniform ones, nor those only row values read)."""
    used = {i for step in spec.schedule.passes for n in (*step.computed, *step.reductions)
            for i in n.inputs}
    return [o for o in spec.operands if o.access != UNIFORM and o.node in used]


def _row_coordinates(spec: KernelSpec, indent: str) -> list[str]:
    return coordinates("j", list(spec.axes), indent) if spec.strided else []


def _element_load(spec: KernelSpec, operand: Operand) -> str:
    return load_operand(operand, offset(operand, range(spec.rank), "row * count + j"))


def _row_pass(spec: KernelSpec, p: int, step: RowPass, kept: list[int], loaded: set[Node]) -> list[str]:
    names = spec.names
    lines = [f"    // pass {p}"]
    lines += _row_values(spec, step.row_values, kept, loaded)
    for r in step.reductions:
        lines.append(f"    {accumulator_type(r)} acc_{names[r]} = {initial(r)};")
    needed = {i for n in (*step.computed, *step.reductions) for i in n.inputs}
    operands = [o for o in _element_operands(spec) if o.node in needed]
    body = _pass_element(spec, step)
    lines += ["    if (cached) {", "      #pragma unroll",
              f"      for (int e = 0; e < {ROW_CACHE}; ++e) {{",
              "        const I j = e * (I)blockDim.x + (I)threadIdx.x;",
              "        if (j < count) {"]
    lines += [f"          const {register_type(o.node.dtype)} {o.name} = cache_{o.name}[e];"
              for o in operands]
    lines += ["          " + s for s in body]
    lines += ["        }", "      }", "    } else {",
              "      for (I j = threadIdx.x; j < count; j += (I)blockDim.x) {"]
    lines += _row_coordinates(spec, "        ")
    lines += [f"        const {register_type(o.node.dtype)} {o.name} = {_element_load(spec, o)};"
              for o in operands]
    lines += ["        " + s for s in body]
    lines += ["      }", "    }"]
    if step.reductions:
        lines += _block_reduce(spec, step.reductions)
    return lines


def _row_values(spec: KernelSpec, nodes: list[Node], kept: list[int], loaded: set[Node]) -> list[str]:
    """Values constant along the row, computed once per row (by every thread); operands of the
    row's shape are read at the row's first element, once per row (`loaded`: those read by an
    earlier pass, whose declarations are in scope)."""
    names = spec.names
    lines = []
    row_offset = {o.node: o for o in spec.operands if o.access != UNIFORM}
    for node in nodes:
        for i in node.inputs:
            if i in row_offset and i not in loaded:
                o = row_offset[i]
                value = load_operand(o, offset(o, kept, ""))
                lines.append(f"    const {register_type(i.dtype)} {o.name} = {value};")
                loaded.add(i)
    return lines + statements(nodes, names, "    ")


def _pass_element(spec: KernelSpec, step: RowPass) -> list[str]:
    """One element's work in a pass: stashes read back, values computed, reductions
    accumulated, outputs and stashes written."""
    names = spec.names
    lines = []
    for node in step.loaded:
        lines.append(f"const {register_type(node.dtype)} {names[node]} = "
                     f"{load(node.dtype, f'{_memory_of(spec, node)}[row * count + j]')};")
    lines += statements(step.computed, names, "")
    for r in step.reductions:
        lines.append(f"acc_{names[r]} = {combine(r, 'acc_' + names[r], names[r.inputs[0]])};")
    for node in step.stored:
        lines.append(f"{_memory_of(spec, node)}[row * count + j] = {store(node.dtype, names[node])};")
    return lines


def _memory_of(spec: KernelSpec, node: Node) -> str:
    """The output whose memory holds `node`: its own, or that of its home (a stash)."""
    home = spec.schedule.homes.get(node, node)
    return spec.output_name(spec.outputs.index(home))


def _block_reduce(spec: KernelSpec, reductions: list[Node]) -> list[str]:
    """Every thread's accumulators combined across the block; each thread gets the totals."""
    names = spec.names
    lines = []
    for r in reductions:
        lines += warp_merge(r, f"acc_{names[r]}", "    ")
        lines.append(f"    if (lane == 0) red_{names[r]}[warp] = acc_{names[r]};")
    lines += ["    __syncthreads();", "    if (warp == 0) {"]
    for r in reductions:
        acc = f"acc_{names[r]}"
        lines.append(f"      {acc} = lane < warps ? red_{names[r]}[lane] : {initial(r)};")
        lines += warp_merge(r, acc, "      ")
        lines.append(f"      if (lane == 0) red_{names[r]}[0] = {acc};")
    lines += ["    }", "    __syncthreads();"]
    for r in reductions:
        lines.append(f"    const {register_type(r.dtype)} {names[r]} = "
                     f"{finish(r, f'red_{names[r]}[0]', 'count')};")
    return lines
