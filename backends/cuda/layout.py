"""What a fused kernel reads and writes, and the parameters its CUDA function takes.

Both the code generator (the C signature) and the launcher (the packed arguments) read the
parameters from one list, `KernelSpec.params`, so the two cannot disagree.

Each operand (a body input, or a view chain over one: docs/kernels.md rule 1) is read
through a strided view that the launcher makes at call time, broadcast to the kernel's
iteration space. Its *access* is decided here, from the graph:

- "c" (contiguous): the view has the iteration space's shape and its elements lie in
  C order (only reshapes on the way), so element `i` of the space is element `i` of the
  view (reduce kernels: with the reduced axes trailing). The launcher makes the view
  contiguous if, at run time, it is not (an input given with strides).
- "u" (uniform): one element (0-d, or every dimension 1), loaded once.
- "s" (strided): anything else: the kernel computes the element's coordinates and takes
  their dot product with the view's strides, which are parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphc.backends.cuda.scalar import memory_type
from graphc.graph import Graph
from graphc.kernel import VIEW_OPS, loaded
from graphc.names import Namespace
from graphc.node import Node
from graphc.rows import RowSchedule, row_schedule

CONTIGUOUS, UNIFORM, STRIDED = "c", "u", "s"

VECTOR = 4  # elements per vector access of an elementwise kernel, at most
VECTOR_BYTES = 16  # a GPU thread's widest load


@dataclass(frozen=True)
class Param:
    """One parameter of a kernel function: its C declaration and what the launcher passes."""

    ctype: str  # "const float* __restrict__", "long long", "int", ...
    name: str
    role: tuple  # ("operand", k), ("stride", k, axis), ("output", j), ("size", axis), (option,)


@dataclass
class Operand:
    node: Node  # the body node loaded from memory: an input `a{k}` or a view chain over one
    name: str  # its value's name in the generated code (the pointer is `p_<name>`)
    access: str  # CONTIGUOUS, UNIFORM or STRIDED


@dataclass
class KernelSpec:
    """One fused kernel as the CUDA backend compiles and launches it."""

    name: str  # the `__global__` function's name
    kind: str  # "elementwise", "reduce" or "row"
    body: Graph
    names: dict[Node, str]  # every body value's name in the generated code
    operands: list[Operand]
    space: tuple  # the iteration shape (symbolic dims allowed)
    axes: tuple[int, ...] = ()  # reduced axes (reduce kernels) or row axes (row kernels)
    reduction: Node | None = None  # a reduce kernel's reduction
    schedule: RowSchedule | None = None  # a row kernel's passes
    params: list[Param] = field(default_factory=list)

    @property
    def outputs(self) -> tuple[Node, ...]:
        return tuple(self.body.outputs)

    @property
    def rank(self) -> int:
        return len(self.space)

    @property
    def strided(self) -> list[Operand]:
        return [o for o in self.operands if o.access == STRIDED]

    @property
    def vectorizable(self) -> bool:
        """An elementwise kernel whose operands are all contiguous or uniform: it may load and
        store several consecutive elements at once."""
        return self.kind == "elementwise" and self.rank > 0 and not self.strided

    @property
    def vector(self) -> int:
        """Elements per vector access of a vectorizable kernel: 16 bytes of its widest array
        (a GPU thread's widest load), at most 4: 4 float32, 2 float64. Each element of a vector
        is computed in registers at once, so a float64 body of 4 held twice the registers and
        spilled where 2 do not."""
        arrays = [o.node for o in self.operands if o.access == CONTIGUOUS] + list(self.outputs)
        widest = max((a.dtype.numpy.itemsize for a in arrays), default=4)
        return max(1, min(VECTOR, VECTOR_BYTES // widest))

    def output_name(self, j: int) -> str:
        return f"out_{self.names[self.outputs[j]]}"


def value_names(body: Graph) -> dict[Node, str]:
    """C names for a body's values, after its printed form: `a0` for input 0, `sin3` for `%3 = sin`."""
    names = {node: f"a{k}" for k, node in enumerate(body.inputs)}
    for counter, node in enumerate(body.nodes[len(body.inputs):]):
        names[node] = f"{node.op}{counter}"
    return names


def kernel_spec(body: Graph, kind: str, name: str) -> KernelSpec:
    """The spec of a kernel of `kind` with this body, its function called `name`."""
    names = value_names(body)
    reduction = body.outputs[0] if kind == "reduce" else None
    schedule = None
    if kind == "row":
        schedule = row_schedule(body)
        if schedule.unhomed:  # a body fuse did not make: recompute instead of stashing
            schedule = row_schedule(body, recompute=lambda node: True, most=None)
    if reduction is not None:
        space, axes = reduction.inputs[0].shape, tuple(sorted(reduction.attr("axes")))
    else:
        space, axes = body.outputs[0].shape, schedule.axes if schedule is not None else ()
    trailing = axes == tuple(range(len(space) - len(axes), len(space)))
    operands = [Operand(node, names[node], _access(node, space, trailing))
                for node in loaded(body)]
    spec = KernelSpec(name, kind, body, names, operands, tuple(space), axes, reduction, schedule)
    spec.params = _params(spec)
    return spec


def _access(operand: Node, space: tuple, trailing: bool) -> str:
    if all(d == 1 for d in operand.shape):
        return UNIFORM
    chain = operand
    while chain.op in VIEW_OPS:
        if chain.op != "reshape":
            return STRIDED
        chain = chain.inputs[0]
    return CONTIGUOUS if tuple(operand.shape) == tuple(space) and trailing else STRIDED


def _params(spec: KernelSpec) -> list[Param]:
    params = []
    for k, operand in enumerate(spec.operands):
        params.append(Param(f"const {memory_type(operand.node.dtype)}* __restrict__",
                            f"p_{operand.name}", ("operand", k)))
        if operand.access == STRIDED:
            params += [Param("long long", f"{operand.name}_s{d}", ("stride", k, d))
                       for d in range(spec.rank)]
    params += [Param(f"{memory_type(o.dtype)}* __restrict__", spec.output_name(j), ("output", j))
               for j, o in enumerate(spec.outputs)]
    params += [Param("long long", f"n{d}", ("size", d)) for d in range(spec.rank)]
    if spec.kind == "elementwise":
        params.append(Param("int", "vec" if spec.vectorizable else "narrow",
                            ("vec",) if spec.vectorizable else ("narrow",)))
    elif spec.kind == "reduce":
        from graphc.backends.cuda.reductions import accumulator_type

        params += [Param(f"{accumulator_type(spec.reduction)}* __restrict__", "partial", ("partial",)),
                   Param("long long", "chunk", ("chunk",)), Param("int", "splits", ("splits",)),
                   Param("int", "lanes", ("lanes",)), Param("int", "narrow", ("narrow",))]
    else:
        params.append(Param("int", "narrow", ("narrow",)))
    return params


def kernel_names(kernels: list[tuple[Node, str]]) -> dict[Node, str]:
    """Function names for kernel nodes, after their printed value (`%4` -> `k4_...`) and the
    ops of their outputs: `k4_relu`, `k1_sub_tanh`. `kernels` pairs each node with its printed
    number."""
    namespace = Namespace(("main",))
    names = {}
    for node, number in kernels:
        ops = "_".join(dict.fromkeys(o.op for o in node.attr("body").outputs))
        names[node] = namespace.fresh(f"k{number}_{ops}")
    return names
