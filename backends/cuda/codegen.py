"""Fused kernels become CUDA C: one `__global__` function per kernel, named after its value.

A module's source is the prelude (prelude.cuh), then each kernel: its body printed as a
comment, an *element function* computing the body's values for one element of the
iteration space (elementwise and reduce kernels; `__host__ __device__`, so graphc's tests
also compile it for the CPU), and the kernel, whose loops call it. Values are named after the
body's printed form (`%3 = sin` is `sin3`), so the source reads beside `emit("graph")`.

Elementwise kernels are grid-stride loops. Where every operand is contiguous or uniform
(layout.py), a kernel called with aligned arrays (`vec`) loads and stores `spec.vector` elements
at once (16 bytes: 4 float32, 2 float64), then the tail one element at a time. Otherwise each
element's coordinates come from its index (divisions by the sizes, which are parameters:
one kernel serves every size), in 32-bit arithmetic where the launcher says the call is
small enough (`narrow`), else 64-bit. Reduce and row kernels are in reductions.py.
"""

from __future__ import annotations

from importlib import resources

from graphc.backends.cuda.layout import CONTIGUOUS, UNIFORM, KernelSpec, Operand
from graphc.backends.cuda.scalar import LOWERING, literal, load, memory_type, register_type, store
from graphc.graph import Graph
from graphc.kernel import VIEW_OPS
from graphc.node import Node
from graphc.printer import format_graph

BLOCK = 256  # threads per block of every generated kernel (its __launch_bounds__)
# Blocks of BLOCK threads each SM must be able to hold: caps registers at 64 per thread.
# (Without it ptxas aims at full occupancy, 32 registers, and spills in reductions.) A kernel
# that spills even so is compiled again with fewer (source.compile_graph_module): the macro
# GC_MIN_BLOCKS_<kernel> overrides it.
MIN_BLOCKS = 4
GRID_STRIDE = "(I)blockIdx.x * (I)blockDim.x + (I)threadIdx.x"


def prelude() -> str:
    """The helpers every module starts with (prelude.cuh)."""
    return resources.files("graphc.backends.cuda").joinpath("prelude.cuh").read_text()


def comment(spec: KernelSpec, title: str) -> list[str]:
    """The kernel's title and its body's printed IR, as C++ comments."""
    body = format_graph(spec.body).splitlines()
    return [f"// {title}"] + [f"//   {line.rstrip(chr(92))}" for line in body]


def signature(spec: KernelSpec) -> str:
    return ", ".join(f"{p.ctype} {p.name}" for p in spec.params)


def arguments(spec: KernelSpec) -> str:
    return ", ".join(p.name for p in spec.params)


def computed(body: Graph, nodes: list[Node] | None = None) -> list[Node]:
    """The body's computed values in order (or those of `nodes`): no inputs, views or scalars."""
    return [n for n in (body.nodes if nodes is None else nodes)
            if n.inputs and n.op not in VIEW_OPS]


def statements(nodes: list[Node], names: dict[Node, str], indent: str) -> list[str]:
    """`const T name = expr;` for each node, in order (its operands already named)."""
    lines = []
    for node in nodes:
        expr = LOWERING[node.op](node, [names[i] for i in node.inputs])
        lines.append(f"{indent}const {register_type(node.dtype)} {names[node]} = {expr};")
    return lines


def scalars(body: Graph, names: dict[Node, str], indent: str) -> list[str]:
    return [f"{indent}const {register_type(n.dtype)} {names[n]} = {literal(n.dtype, n.attr('value'))};"
            for n in body.nodes if n.op == "scalar"]


def element_function(spec: KernelSpec, results: list[Node]) -> list[str]:
    """`GC_FN void <name>_element(T a0, ..., T& r_<value>, ...)`: the body's values for one
    element, from its operands' loaded values; `results` are handed back through references."""
    names = spec.names
    params = [f"{register_type(o.node.dtype)} {o.name}" for o in spec.operands]
    params += [f"{register_type(r.dtype)}& r_{names[r]}" for r in results]
    lines = [f"GC_FN void {spec.name}_element({', '.join(params)}) {{"]
    lines += scalars(spec.body, names, "  ")
    lines += statements(computed(spec.body, [n for n in spec.body.nodes if n is not spec.reduction]),
                        names, "  ")
    lines += [f"  r_{names[r]} = {names[r]};" for r in results]
    return [*lines, "}"]


def coordinates(index: str, axes: list[int], indent: str) -> list[str]:
    """The coordinates `c<axis>` of `index` in the row-major space of `axes` (sizes `n<axis>`)."""
    if not axes:
        return []
    lines = [f"{indent}I q_{index} = {index};"]
    for axis in reversed(axes[1:]):
        lines.append(f"{indent}const I c{axis} = q_{index} % (I)n{axis}; q_{index} /= (I)n{axis};")
    lines.append(f"{indent}const I c{axes[0]} = q_{index};")
    return lines


def offset(operand: Operand, axes: range | list[int], index: str) -> str:
    """Where `operand`'s element is: `index` if contiguous, else its coordinates times strides."""
    if operand.access == CONTIGUOUS:
        return index
    if operand.access == UNIFORM:
        return "0"
    terms = [f"c{d} * (I){operand.name}_s{d}" for d in axes]
    return " + ".join(terms) or "0"


def load_operand(operand: Operand, where: str) -> str:
    return load(operand.node.dtype, f"p_{operand.name}[{where}]")


def uniform_loads(spec: KernelSpec, indent: str) -> list[str]:
    """Uniform operands, loaded once before the loops."""
    return [f"{indent}const {register_type(o.node.dtype)} {o.name} = {load_operand(o, '0')};"
            for o in spec.operands if o.access == UNIFORM]


def size_product(axes, index_type: str = "I") -> str:
    return " * ".join(f"({index_type})n{d}" for d in axes) or f"({index_type})1"


def global_head(name: str, params: str) -> str:
    """The first line of a `__global__` function of BLOCK threads per block, at least
    GC_MIN_BLOCKS_<name> blocks per SM (MIN_BLOCKS unless defined otherwise)."""
    bound = f"GC_MIN_BLOCKS_{name}"
    return (f"#ifndef {bound}\n#define {bound} {MIN_BLOCKS}\n#endif\n"
            f'extern "C" __global__ void __launch_bounds__({BLOCK}, {bound}) {name}({params}) {{')


def dispatch(spec: KernelSpec, loop: str) -> list[str]:
    """The `__global__` function that runs `loop<int>` or `loop<long long>` by `narrow`."""
    return [global_head(spec.name, signature(spec)),
            f"  if (narrow) {loop}<int>({arguments(spec)});",
            f"  else {loop}<long long>({arguments(spec)});",
            "}"]


def template_head(spec: KernelSpec, loop: str) -> str:
    return f"template <typename I>\n__device__ __forceinline__ void {loop}({signature(spec)}) {{"


# ------------------------------------------------------------------- elementwise kernels

def elementwise_kernel(spec: KernelSpec, title: str) -> list[str]:
    outputs = list(spec.outputs)
    lines = [*comment(spec, title), *element_function(spec, outputs)]
    if spec.vectorizable or spec.rank == 0:
        return lines + _contiguous_kernel(spec)
    loop = f"{spec.name}_loop"
    lines.append(template_head(spec, loop))
    lines += uniform_loads(spec, "  ")
    lines.append(f"  const I n = {size_product(range(spec.rank))};")
    lines.append(f"  for (I i = {GRID_STRIDE}; i < n; i += (I)gridDim.x * (I)blockDim.x) {{")
    if spec.strided:
        lines += coordinates("i", list(range(spec.rank)), "    ")
    lines += _element_call(spec, {o.name: load_operand(o, offset(o, range(spec.rank), "i"))
                                  for o in spec.operands}, "i", "    ")
    lines += ["  }", "}"]
    return lines + dispatch(spec, loop)


def _element_call(spec: KernelSpec, operands: dict[str, str], index: str, indent: str,
                  stores: list[str] | None = None) -> list[str]:
    """Call the element function on loaded operands and store each result at `index` (or with
    the given store statements)."""
    results = [f"r_{spec.names[o]}" for o in spec.outputs]
    values = [operands.get(o.name, o.name) for o in spec.operands]
    lines = [f"{indent}{register_type(o.dtype)} r_{spec.names[o]};" for o in spec.outputs]
    lines.append(f"{indent}{spec.name}_element({', '.join([*values, *results])});")
    if stores is None:
        stores = [f"{spec.output_name(j)}[{index}] = {store(o.dtype, results[j])};"
                  for j, o in enumerate(spec.outputs)]
    return lines + [indent + s for s in stores]


def _contiguous_kernel(spec: KernelSpec) -> list[str]:
    """Operands contiguous or uniform: vectors of `spec.vector` elements where `vec` says the arrays
    are aligned, then the rest one element at a time; 64-bit indices (no divisions)."""
    lines = [global_head(spec.name, signature(spec)), *uniform_loads(spec, "  ")]
    lines.append(f"  const long long n = {size_product(range(spec.rank), 'long long')};")
    lines.append("  const long long start = (long long)blockIdx.x * blockDim.x + threadIdx.x;")
    lines.append("  const long long step = (long long)gridDim.x * blockDim.x;")
    lines.append("  long long first = 0;")
    if spec.vectorizable:
        lines += _vector_loop(spec)
    lines.append("  for (long long i = first + start; i < n; i += step) {")
    lines += _element_call(spec, {o.name: load_operand(o, "i") for o in spec.operands
                                  if o.access == CONTIGUOUS}, "i", "    ")
    return [*lines, "  }", "}"]


def _vector_loop(spec: KernelSpec) -> list[str]:
    width = spec.vector

    def vec(node: Node) -> str:
        return f"GcVec<{memory_type(node.dtype)}, {width}>"

    contiguous = [o for o in spec.operands if o.access == CONTIGUOUS]
    lines = ["  if (vec) {",
             f"    first = n / {width} * {width};",
             f"    for (long long v = start; v < n / {width}; v += step) {{"]
    for o in contiguous:
        lines.append(f"      const {vec(o.node)} x_{o.name} = "
                     f"reinterpret_cast<const {vec(o.node)}*>(p_{o.name})[v];")
    for o in spec.outputs:
        lines.append(f"      {vec(o)} y_{spec.names[o]};")
    lines.append("      #pragma unroll")
    lines.append(f"      for (int e = 0; e < {width}; ++e) {{")
    stores = [f"y_{spec.names[o]}.v[e] = {store(o.dtype, 'r_' + spec.names[o])};" for o in spec.outputs]
    lines += _element_call(spec, {o.name: load(o.node.dtype, f"x_{o.name}.v[e]") for o in contiguous},
                           "e", "        ", stores)
    lines.append("      }")
    for j, o in enumerate(spec.outputs):
        lines.append(f"      reinterpret_cast<{vec(o)}*>({spec.output_name(j)})[v] = y_{spec.names[o]};")
    return [*lines, "    }", "  }"]
