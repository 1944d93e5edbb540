"""What a kernel's caller must prepare: the operands its body loads, its loop nest's shape,
the innermost stride each operand is expected to have, and which variants it gets."""

from __future__ import annotations

import platform
from dataclasses import dataclass

from graphc import dtypes
from graphc.graph import Graph
from graphc.kernel import VIEW_OPS, loaded
from graphc.node import Node
from graphc.rows import RowSchedule, row_schedule

CONTIGUOUS, BROADCAST, STRIDED = "c", "b", "s"
X86_64 = platform.machine().lower() in ("x86_64", "amd64")
# A row kernel's stream variant keeps each stashed value of a row in a buffer of this many bytes
# on the stack (rows longer than that take the other variants), so that its outputs, written
# only by the last pass, can go past the caches; every variant keeps there, for rows that fit,
# the values a pass calling a math function reads back into its reductions (kernel/row.py).
STASH_ROW_BYTES = 1 << 14
MOST_STACK_STASHES = 4  # stashes a row kernel's stream variant keeps on the stack, at most


@dataclass
class KernelLayout:
    """What the caller must prepare: which body values are loaded, and how the loops run."""

    name: str
    operands: list[Node]  # body nodes read from memory (inputs or view chains)
    rank: int  # iteration rank
    reduced: int  # how many trailing iteration dimensions are reduced
    reduction: Node | None  # the reduce node, for reduce kernels
    outputs: tuple[Node, ...]  # the body's outputs, stored in this order after the operands
    expected: tuple[str, ...]  # innermost stride class of each operand and each output
    column_expected: tuple[str, ...] | None = None  # the same along the last kept dimension
    schedule: RowSchedule | None = None  # a row kernel's passes over each row (the trailing
    # `reduced` dimensions)
    ops: int = 1  # the ops the body computes per element (how much work an element is)

    def function(self, variant: str) -> str:
        """The name of the kernel's "generic", "vector", "column" or "stream" function."""
        return f"{self.name}_{variant}"


def layout(body: Graph, name: str, kind: str = "elementwise") -> KernelLayout:
    """Find the operands a body loads, the shape of its loop nest and the strides to expect."""
    output = body.outputs[0]
    reduction = output if kind == "reduce" else None
    schedule = row_schedule(body) if kind == "row" else None
    if schedule is not None and schedule.unhomed:  # a body fuse did not make: recompute instead
        schedule = row_schedule(body, recompute=lambda node: True, most=None)
    operands = loaded(body)
    if reduction is not None:
        rank, reduced = reduction.inputs[0].ndim, len(reduction.attr("axes"))
        inner_axis = reduction.attr("axes")[-1] if reduced else rank - 1
    else:
        rank, inner_axis = output.ndim, output.ndim - 1
        reduced = len(schedule.axes) if schedule is not None else 0
    # The output of a reduce kernel is written outside the innermost loop: any stride will do.
    output_class = STRIDED if reduction is not None else CONTIGUOUS
    expected = (*(_expected_class(o, rank, inner_axis) for o in operands),
                *(output_class for _ in body.outputs))
    column = None
    if reduction is not None and reduced < rank and reduction.dtype is not dtypes.bool_:
        kept_axis = max(d for d in range(rank) if d not in reduction.attr("axes"))
        column = (*(_expected_class(o, rank, kept_axis) for o in operands), CONTIGUOUS)
    ops = sum(1 for n in body.nodes if n.inputs and n.op not in VIEW_OPS)
    return KernelLayout(name, operands, rank, reduced, reduction, tuple(body.outputs), expected, column,
                        schedule, max(1, ops))


def _expected_class(operand: Node, rank: int, axis: int) -> str:
    """Guess an operand's innermost stride: broadcast, contiguous, or strided (a view moved it)."""
    position = axis - (rank - operand.ndim)
    if position < 0 or operand.shape[position] == 1:
        return BROADCAST
    chain = operand
    while chain.op in VIEW_OPS:
        if chain.op in ("transpose", "flip") or (chain.op == "getitem" and any(
                isinstance(e, tuple) and e[2] not in (None, 1) for e in chain.attr("index"))):
            return STRIDED
        if chain.op == "broadcast_to":
            return BROADCAST if position < chain.ndim - chain.inputs[0].ndim else CONTIGUOUS
        chain = chain.inputs[0]
    return CONTIGUOUS if position == operand.ndim - 1 else STRIDED


def vector_lanes(vector_bits: int, body: Graph | None = None) -> int:
    """Elements per vector of a kernel: one register's worth of its widest values (32-bit
    ones at least). A float64 kernel with float32's count would use two registers per value,
    which doubles its code (and the time LLVM takes on it) for no speed."""
    widest = max((n.dtype.numpy.itemsize for n in body.nodes), default=4) if body is not None else 4
    return max(1, vector_bits // (8 * max(4, widest)))


def has_vector_variant(spec: KernelLayout, lanes: int) -> bool:
    # A float product is not reassociated: with overflow and underflow its order decides
    # between inf, 0 and NaN, so it runs in NumPy's order (the generic loop).
    ordered = spec.reduction is not None and spec.reduction.op == "prod"
    return spec.rank > 0 and lanes > 1 and not ordered


def has_column_variant(spec: KernelLayout, lanes: int) -> bool:
    return spec.column_expected is not None and lanes > 1


def has_stream_variant(spec: KernelLayout, lanes: int) -> bool:
    """Elementwise and row kernels get one on x86-64 (whose sfence publishes the weakly ordered
    stores); a row kernel's keeps its stashes on the stack, so it needs few of them."""
    few_stashes = spec.schedule is None or len(spec.schedule.stash) <= MOST_STACK_STASHES
    return spec.reduction is None and few_stashes and has_vector_variant(spec, lanes) and X86_64


def stash_bytes(spec: KernelLayout) -> int:
    """Bytes per element of a row kernel's widest stash (0: none), which bounds the rows its
    stream variant takes: STASH_ROW_BYTES of each stash per row."""
    stash = spec.schedule.stash if spec.schedule is not None else []
    return max((n.dtype.numpy.itemsize for n in stash), default=0)
