"""Row kernels: reductions fused with the elementwise work that consumes them (docs/kernels.md).

A `kind="row"` kernel iterates its output shape like an elementwise kernel, but its trailing
*row axes* may hold reductions (`keepdims=True`) whose results the same kernel consumes, as in
`x - max(x, axis=-1, keepdims=True)`. Each row is traversed in *passes*: pass p accumulates
the reductions that need the values of pass p - 1, and the last pass computes the outputs.
Values constant along a row (the reductions, and elementwise ops of the row shape such as
`sqrt(var + eps)`) are computed once per row, between passes.

`row_schedule` decides what each pass computes, loads and stores; `passes/fuse.py` and every
backend use it, so they agree on which values are computed twice. A value an earlier pass
computed is recomputed only if `recompute(node)` allows it (cheap ops, by at most two passes);
otherwise it is *stashed*: written by the last pass that computed it, into the memory of an
output or as an output of its own, and read back by the later ones (from cache: a row is
read again while it is still there). (A backend may keep stashes elsewhere: the LLVM backend's
stream variant keeps a row's on the stack.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from graphc.graph import Graph
from graphc.node import Node
from graphc.ops import VIEW_OPS, ops_with

# Elementwise ops worth recomputing rather than materialising or stashing (one instruction or so each).
CHEAP = ops_with("cheap")
# Passes that may compute one cheap value before it is stashed instead (bounds the work of
# a chain of reductions to a constant factor).
MOST_COMPUTATIONS = 2
# Reductions a row kernel accumulates (a float product keeps NumPy's order: not in rows).
ROW_REDUCE_OPS = ops_with("row_reduction")


def row_axes(space: tuple, row_shape: tuple) -> tuple[int, ...] | None:
    """The trailing axes along which values of shape `row_shape` are constant in iteration
    shape `space`, keeping at least one leading axis, except that a 1-d space is one row; None
    where `row_shape` is no such shape.

    `(n, 1)` in `(n, m)` gives `(1,)`, `(1,)` in `(n,)` gives `(0,)`; the fewest axes are chosen
    where sizes of 1 allow several.
    """
    rank = len(space)
    if len(row_shape) != rank or tuple(row_shape) == tuple(space):
        return None
    for k in range(rank - 1, 0 if rank > 1 else -1, -1):
        if (all(d == 1 for d in row_shape[k:]) and tuple(row_shape[:k]) == tuple(space[:k])
                and any(d != 1 for d in space[k:])):
            return tuple(range(k, rank))
    return None


def is_row_reduction(node: Node) -> bool:
    """Whether `node` reduces trailing axes of its operand, keeping them, as row kernels do."""
    return (node.op in ROW_REDUCE_OPS and bool(node.attr("keepdims"))
            and row_axes(node.inputs[0].shape, node.shape) == tuple(sorted(node.attr("axes"))))


@dataclass
class RowPass:
    """One traversal of a row."""

    row_values: list[Node]  # constant along the row: computed once, before the traversal
    reductions: list[Node]  # accumulated during it (known once it ends)
    computed: list[Node] = field(default_factory=list)  # per element, in body order
    loaded: list[Node] = field(default_factory=list)  # outputs and stashes an earlier pass wrote
    stored: list[Node] = field(default_factory=list)  # outputs and stashes written here


@dataclass
class RowSchedule:
    axes: tuple[int, ...]  # the row axes (trailing)
    passes: list[RowPass]
    stash: list[Node]  # values `recompute` refused to compute twice (not outputs)
    homes: dict[Node, Node]  # stashed value -> the output whose memory holds it until then

    @property
    def unhomed(self) -> list[Node]:
        """Stashed values no output's memory can hold: they must become outputs themselves."""
        return [n for n in self.stash if n not in self.homes]


def row_shape_of(body: Graph) -> tuple | None:
    """The row shape of a row kernel's body (its reductions', or that of its values constant
    along rows), or None where it has none."""
    space = body.outputs[0].shape
    reductions = [n for n in body.nodes if n.op in ROW_REDUCE_OPS]
    for node in sorted(reductions, key=lambda n: not is_row_reduction(n)):  # a proper one first
        return node.shape
    for node in body.nodes:
        if _computed(node) and row_axes(space, node.shape) is not None:
            return node.shape
    return None


def _computed(node: Node) -> bool:
    return bool(node.inputs) and node.op not in VIEW_OPS


def _cheap(node: Node) -> bool:
    return node.op in CHEAP


def row_schedule(body: Graph, recompute: Callable[[Node], bool] = _cheap,
                 most: int | None = MOST_COMPUTATIONS) -> RowSchedule:
    """The passes over each row of a row kernel's body (which `graphc.kernel` has checked).

    A value an earlier pass computed is computed again where `recompute` allows it and
    fewer than `most` passes have computed it (None: no limit), so that a chain of
    reductions costs linear work, not quadratic; otherwise it is stashed by the last pass
    that computed it. A stash is kept, where it can be, in the memory of an output of its
    dtype that is written only after the stash's last read (each element is read before it
    is overwritten: softmax keeps `exp(x - max)` where its result goes); otherwise the
    kernel must output it (`unhomed`).
    """
    space, row_shape = body.outputs[0].shape, row_shape_of(body)
    axes = row_axes(space, row_shape)
    position = {n: k for k, n in enumerate(body.nodes)}
    row_level = {n for n in body.nodes if _computed(n) and n.shape == row_shape}
    element = {n for n in body.nodes if _computed(n) and n not in row_level}
    # depth: how many reductions lie below a value (a reduction counts itself)
    depth: dict[Node, int] = {}
    for n in body.nodes:
        below = max((depth[i] for i in n.inputs), default=0)
        depth[n] = below + 1 if n.op in ROW_REDUCE_OPS else below
    outputs = set(body.outputs)
    count = 1 + max(depth[o] for o in body.outputs)
    reductions = [n for n in body.nodes if n.op in ROW_REDUCE_OPS]
    computes: dict[Node, list[int]] = {}  # element value -> the passes computing it
    written: dict[Node, int] = {}  # output or stash -> the pass storing it
    passes: list[RowPass] = []
    for p in range(1, count + 1):
        here = RowPass([n for n in body.nodes if n in row_level and n.op not in ROW_REDUCE_OPS
                        and depth[n] == p - 1],
                       [r for r in reductions if depth[r] == p])
        roots = [r.inputs[0] for r in here.reductions]
        if p == count:
            roots += [o for o in body.outputs if o not in computes]
        computed: set[Node] = set()
        loaded: set[Node] = set()
        stack = [r for r in roots if r in element]
        while stack:
            n = stack.pop()
            if n in computed or n in loaded:
                continue
            # (a value of another shape, of as many elements, can be no output: recomputed)
            if n in computes and n not in written and (n in outputs or (n.shape == space and (
                    not recompute(n) or (most is not None and len(computes[n]) >= most)))):
                written[n] = computes[n][-1]  # an output, or a stash from now on
            if n in written:
                loaded.add(n)
                continue
            computed.add(n)
            stack.extend(i for i in n.inputs if i in element)
        for n in computed:
            computes.setdefault(n, []).append(p)
        here.computed = sorted(computed, key=position.__getitem__)
        here.loaded = sorted(loaded, key=position.__getitem__)
        passes.append(here)
    for o in body.outputs:
        written.setdefault(o, computes[o][0])
    for p, here in enumerate(passes, 1):
        here.stored = [n for n in here.computed if written.get(n) == p]
    stash = sorted((n for n in written if n not in outputs), key=position.__getitem__)
    return RowSchedule(axes, passes, stash, _homes(body.outputs, stash, passes, written))


def _homes(outputs, stash: list[Node], passes: list[RowPass], written: dict[Node, int]) -> dict[Node, Node]:
    """Outputs whose memory holds stashed values: each from its write (pass `written`) to
    its last read, before the output's own first write; lifetimes in one output do not overlap
    (one may begin in the pass where another ends: an element is read before it is written)."""
    last = {n: p for p, here in enumerate(passes, 1) for n in here.loaded}
    taken: dict[Node, list[tuple[int, int]]] = {o: [] for o in outputs}
    homes = {}
    for value in stash:
        life = (written[value], last[value])
        for o in outputs:
            if (o.dtype == value.dtype and o.shape == value.shape and written[o] >= life[1]
                    and all(end <= life[0] or life[1] <= start for start, end in taken[o])):
                taken[o].append(life)
                homes[value] = o
                break
    return homes


def check_row_body(body: Graph) -> None:
    """Raise ValueError unless `body` is a row kernel's (docs/kernels.md, "Row kernels")."""
    space = body.outputs[0].shape
    row_shape = row_shape_of(body)
    if row_shape is None:
        raise ValueError('a kind="row" kernel needs a reduction over trailing axes with'
                         " keepdims=True, or a value constant along its rows")
    axes = row_axes(space, row_shape)
    if axes is None:
        raise ValueError(f"a row kernel of shape {list(space)} cannot have rows of shape"
                         f" {list(row_shape)} (rows are trailing axes, and one axis stays)")
    for node in body.nodes:
        if node.op in ROW_REDUCE_OPS and not (is_row_reduction(node) and node.inputs[0].shape == space
                                              and node.shape == row_shape):
            raise ValueError(f"{node.op} in a row kernel of shape {list(space)} must reduce the"
                             f" row axes {list(axes)} of a value of that shape, with keepdims=True")
