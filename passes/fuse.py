"""`fuse`: partition a graph into kernels, the loop nests the backends compile (docs/kernels.md).

The cost model (docs/kernels.md, "The cost model"), decided per node in one walk from the
outputs back:

- A **root** is a value that is materialised: it ends a kernel, which computes it. Every
  fusible elementwise op and reduction is either a root or *inlined* into the one kernel
  that consumes it.
- An elementwise op is inlined when all its consumers are elementwise ops or reductions of
  one and the same kernel (which computes it once and uses it in each), it is not an output
  of the graph, and it has as many elements as that kernel's iteration space (a value
  broadcast into a larger space would be recomputed for every element it is broadcast to).
  Otherwise it is a root.
- A *cheap* elementwise op (arithmetic, comparisons, casts, `where`: no transcendental
  function) with several consumers, all of them fused ops of the same size, is *duplicated*
  into each consumer's kernel instead of materialised: recomputing one instruction per
  element costs less than writing the value out and reading it back. Cheap producers used
  only by duplicated ops are duplicated with them, up to chains of DUPLICATE_DEPTH ops;
  anything else under them is read.
- A reduction with `keepdims=True` over trailing axes (leaving one) whose consumers all
  belong to one elementwise kernel of its operand's shape is inlined there, which makes that
  a *row kernel* (graphc/rows.py: it reduces each row in passes, then computes its outputs);
  so is an elementwise op of that kernel's row shape (constant along rows: computed once per
  row). Any other reduction is a root: its producers fuse into it (`kind="reduce"`), its
  consumers read its result, unless it is a row reduction that, once kernels merge, only one
  kernel reads: then it joins that kernel (`_merge`). A row kernel that would compute an
  expensive value in two passes
  outputs it instead, where no output's memory can hold it in between (`kernel_body`).
- Views (`broadcast_to`, `reshape`, `transpose`, `getitem`, `flip`) are never materialised
  for a kernel: a kernel that reads a view chain holds a copy of the chain over an input,
  so each consumer gets its own (cheap: no data moves). Scalars used by an elementwise op
  are copied into each body likewise. A view of a computed value reads the materialised
  value: the producer is a root, because its consumer is a view.
- Everything else (leaves, matmul, cat, pad, argmax, argmin, kernels, the graph's inputs
  and ops the backend's predicate refuses) runs outside kernels, and kernels read it.
- Kernels that read one another merge (`_merge`), and then sibling elementwise kernels that
  read a value in common (`_merge_siblings`), where that makes no cycle.
"""

from __future__ import annotations

import heapq
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from graphc.graph import Graph, topological_order
from graphc.kernel import REDUCE_OPS, VIEW_OPS, kernel_input, typed_body
from graphc.node import Node, intern
from graphc.ops import is_elementwise
from graphc.passes.registry import register
from graphc.passes.rewrite import build, with_inputs
from graphc.rows import CHEAP, is_row_reduction, row_axes, row_schedule
from graphc.shapes import dims_equal, numel, symbols_of
from graphc.targets import fusion_predicate

Fusible = Callable[[Node], bool]

# Longest chain of cheap ops duplicated into a kernel: past it, one is materialised (else a
# chain whose every value feeds another kernel too is copied whole into each: quadratic).
DUPLICATE_DEPTH = 4
SEARCH_LIMIT = 256  # units a merge's cycle check visits before it gives up (and does not merge)
# Most outputs of a kernel that sibling merges make: 12 outputs of 4M float32 elements ran 30%
# slower merged than as 12 kernels (the output streams written at once), 4 ran 20% faster.
SIBLING_OUTPUTS = 8


def _anything(node: Node) -> bool:
    return True


def same_size(a: Node, b_shape) -> bool:
    """Whether `a` has provably as many elements as `b_shape` (so fusing recomputes nothing)."""
    return a.shape == b_shape or dims_equal(numel(a.shape), numel(b_shape)) is True


@dataclass
class Plan:
    """Which kernel computes each fused op.

    `owner[node]` is the root whose kernel the cost model puts the op in; `merged[root]` the
    root of the kernel that root's kernel was merged into (itself if none), and
    `roots[kernel]` the roots that kernel computes, in graph order.
    """

    owner: dict[Node, Node]
    inputs: frozenset[Node]  # the graph's inputs: never fused, whatever their op
    fusible: Fusible
    duplicated: frozenset[Node] = frozenset()  # cheap ops copied into each consumer's kernel
    rows: dict[Node, tuple] = field(default_factory=dict)  # row kernel -> its row shape
    merged: dict[Node, Node] = field(default_factory=dict)
    roots: dict[Node, list[Node]] = field(default_factory=dict)
    size: dict[Node, int] = field(default_factory=dict)  # kernel -> the ops its body computes

    def kernel_of(self, node: Node) -> Node | None:
        """The kernel (named by its first root) computing `node`, or None outside kernels."""
        root = self.owner.get(node)
        return None if root is None else self.merged.get(root, root)

    def unit(self, node: Node) -> Node:
        """What computes `node` as the graph of kernels sees it: its kernel, or the node itself."""
        return self.kernel_of(node) or node

    def in_body(self, user: Node, operand: Node, kernel: Node) -> bool:
        """Whether `kernel` computes `operand` (of `user`, in its body) or reads it."""
        if operand in self.inputs:
            return False
        if operand in self.duplicated:
            return True
        view = operand.op in VIEW_OPS and self.fusible(operand) and _binds_its_symbols(operand)
        if user.op in VIEW_OPS:  # views are of kernel inputs only (a scalar becomes an input)
            return view
        return view or operand.op == "scalar" or self.kernel_of(operand) is kernel


def _binds_its_symbols(view: Node) -> bool:
    """Whether the view's shape uses only symbols that are bare dims of the array it views.

    A kernel binds symbols from its inputs' shapes; a view that brings in a new one (a
    scalar broadcast to `[n, 3]`) is made by the caller instead and read by the kernel.
    """
    root = view
    while root.op in VIEW_OPS:
        root = root.inputs[0]
    bare = {d for d in root.shape if not isinstance(d, int) and d.is_Symbol}
    return symbols_of(view.shape) <= bare


def partition(graph: Graph, fusible: Fusible = _anything, merge: bool = True,
              vector_rows: bool = True, max_ops: int = 0) -> Plan:
    """Decide, by the cost model above, which kernel computes each fusible op (a 1-d kernel is
    one row only where `vector_rows`; none merges past `max_ops` ops, duplicated ones aside)."""
    if max_ops < 0:
        raise ValueError(f"fuse: max_ops must be a number of ops (0: no limit), not {max_ops!r}")
    max_ops = max_ops or sys.maxsize
    inputs = frozenset(graph.inputs)
    consumers: dict[Node, set[Node]] = {n: set() for n in graph.nodes}
    for node in graph.nodes[len(graph.inputs):]:
        for i in node.inputs:
            consumers[i].add(node)
    outputs = set(graph.outputs)
    owner: dict[Node, Node] = {}
    duplicated: dict[Node, int] = {}  # duplicated op -> how many duplicated ops lead to a kernel
    space: dict[Node, tuple] = {}  # root -> the shape of its kernel's iteration space
    rows: dict[Node, tuple] = {}  # root -> the row shape of its row kernel
    size: dict[Node, int] = {}  # root -> how many ops its kernel computes so far

    def joins_rows(node: Node, root: Node | None) -> bool:
        """Whether `node`, constant along rows of `root`'s kernel, may be computed once per row
        there; if so, that kernel's row shape is now `node`'s."""
        if root is None or node in outputs or root.op in REDUCE_OPS:
            return False
        if len(space[root]) == 1 and not vector_rows:
            return False
        if node.op in REDUCE_OPS and not (is_row_reduction(node) and node.inputs[0].shape == space[root]):
            return False
        if rows.get(root, node.shape) != node.shape or row_axes(space[root], node.shape) is None:
            return False
        rows[root] = node.shape
        return True

    for node in reversed(graph.nodes):
        if node in inputs or not (node.op in REDUCE_OPS or is_elementwise(node.op)) or not fusible(node):
            continue
        users = consumers[node]
        kernels = {owner.get(u) for u in users}
        root = kernels.pop() if len(kernels) == 1 else None
        if node.op in REDUCE_OPS:
            if joins_rows(node, root):
                owner[node] = root
                size[root] += 1
            else:
                owner[node], space[node], size[node] = node, node.inputs[0].shape, 1
            continue
        inline = node not in outputs and root is not None and same_size(node, space[root])
        if inline or joins_rows(node, root):
            owner[node] = root
            size[root] += 1
            continue
        if node not in outputs and users and node.op in CHEAP and all(
                (u in duplicated and u.shape == node.shape)
                or (u in owner and same_size(node, space[owner[u]])) for u in users):
            depth = 1 + max((duplicated[u] for u in users if u in duplicated), default=0)
            if depth <= DUPLICATE_DEPTH:
                duplicated[node] = depth
                continue
        owner[node], space[node], size[node] = node, node.shape, 1
    plan = Plan(owner, inputs, fusible, frozenset(duplicated), rows, size=size)
    roots = [n for n in graph.nodes if owner.get(n) is n]
    plan.roots = {r: [r] for r in roots}
    if merge:
        _merge(plan, graph, roots, space, vector_rows, max_ops)
    return plan


def _reads(plan: Plan, roots: list[Node], kernel: Node) -> tuple[set[Node], set[Node]]:
    """What `kernel` (computing `roots`) reads, and which of those it reads through a view."""
    reads: set[Node] = set()
    viewed: set[Node] = set()
    seen, stack = set(roots), list(roots)
    while stack:
        node = stack.pop()
        for i in node.inputs:
            if not plan.in_body(node, i, kernel):
                reads.add(i)
                if node.op in VIEW_OPS:
                    viewed.add(i)
            elif i not in seen and i.op != "scalar":
                seen.add(i)
                stack.append(i)
    return reads, viewed


def _merge(plan: Plan, graph: Graph, roots: list[Node], space: dict[Node, tuple],
           vector_rows: bool = True, max_ops: int = sys.maxsize) -> None:
    """Merge elementwise kernels that read one another, where that makes no cycle.

    A value with consumers in several kernels is then computed inside one of them (which
    writes it out for the others) instead of by a kernel of its own: it is read back from
    memory one time fewer, and a chain whose values a gradient reuses becomes one kernel of
    many outputs rather than one kernel per value (docs/kernels.md). Kernels are visited in
    graph order, each trying its neighbours from the highest. Two merge when one reads the
    other directly (not through a view), both have the same iteration shape, and no other
    path through the graph of kernels and outside ops leads from one to the other: a search
    bounded by heights (the longest path from a unit to a sink, which falls along every
    edge), where one that would visit more than SEARCH_LIMIT units counts as finding a path,
    so that fusing stays linear in the size of the graph. A reduce kernel of one row reduction
    whose only reader is the other kernel joins it as well (which becomes a row kernel), and
    the kernels it read are tried next: the path through it that kept them apart is gone.
    Then siblings merge (`_merge_siblings`). No merge makes a kernel of more than `max_ops` ops.
    """
    unit = plan.unit
    succ: dict[Node, set[Node]] = {}
    pred: dict[Node, set[Node]] = {}

    def edge(a: Node, b: Node) -> None:
        succ.setdefault(a, set()).add(b)
        pred.setdefault(b, set()).add(a)

    viewed: dict[Node, set[Node]] = {}
    for root in roots:
        reads, viewed[root] = _reads(plan, [root], root)
        for r in reads:
            edge(unit(r), root)
    for node in graph.nodes[len(graph.inputs):]:
        if node not in plan.owner and node not in plan.duplicated:
            for i in node.inputs:
                edge(unit(i), node)
    position = {n: k for k, n in enumerate(graph.nodes)}
    height: dict[Node, int] = {}
    for node in reversed(graph.nodes):  # a kernel comes where its root is
        if unit(node) is node and node not in plan.duplicated:
            height[node] = 1 + max((height[s] for s in succ.get(node, ())), default=-1)

    def reaches(starts, target: Node, backward: bool = False) -> bool:
        """Whether a path leads from `starts` to `target` (or, `backward`, from `target` to
        `starts`: a walk back along `pred`); also True past SEARCH_LIMIT steps."""
        if target in starts:
            return True
        edges, level = pred if backward else succ, height[target]

        def between(s: Node) -> bool:  # heights fall along every edge
            return height[s] < level if backward else height[s] > level

        stack, seen = [s for s in starts if between(s)], set()
        while stack:
            if len(seen) > SEARCH_LIMIT:
                return True
            for s in edges.get(stack.pop(), ()):
                if s is target:  # (found as soon as seen: a depth-first walk could pass it by)
                    return True
                if s not in seen and between(s):
                    seen.add(s)
                    stack.append(s)
        return False

    def joins_as_rows(reduction: Node, consumer: Node) -> bool:
        """Whether the reduce kernel `reduction` may join `consumer`, the one kernel reading it,
        which becomes (or stays) a row kernel of its rows."""
        return (plan.roots[reduction] == [reduction] and is_row_reduction(reduction)
                and (vector_rows or reduction.ndim > 1) and reduction not in outputs
                and succ[reduction] == {consumer} and consumer.op not in REDUCE_OPS
                and plan.rows.get(consumer, reduction.shape) == reduction.shape)

    def mergeable(producer: Node, consumer: Node) -> bool:
        if producer not in plan.roots or consumer not in plan.roots:
            return False
        if plan.size[producer] + plan.size[consumer] > max_ops:
            return False
        if producer.op in REDUCE_OPS:
            if not joins_as_rows(producer, consumer):
                return False
        elif consumer.op in REDUCE_OPS or not _rows_agree(plan, producer, consumer):
            return False
        return (space[producer] == space[consumer]
                and (not viewed[consumer] or viewed[consumer].isdisjoint(plan.roots[producer]))
                and not reaches(succ[producer] - {consumer}, consumer))

    outputs = set(graph.outputs)
    adjacent = {r: succ.get(r, set()) | pred.get(r, set()) for r in roots}  # before any merge
    for root in roots:
        here = plan.kernel_of(root)
        queue = sorted({unit(n) for n in adjacent[root]} - {here}, key=height.get, reverse=True)
        while queue:
            other = queue.pop(0)
            reads_here = other in succ.get(here, ())
            producer, consumer = (here, other) if reads_here else (other, here)
            if other is here or not mergeable(producer, consumer):
                continue
            if producer.op in REDUCE_OPS:  # its producers may now join without a cycle
                plan.rows[producer] = producer.shape
                queue[:0] = sorted(pred.get(producer, set()) - {consumer}, key=height.get, reverse=True)
            here = _absorb(plan, here, other, succ, pred, height, viewed)
    _merge_siblings(plan, graph, succ, pred, height, viewed, space, reaches, max_ops)
    for kernel_roots in plan.roots.values():  # (sorted once: sorting at each merge was quadratic)
        kernel_roots.sort(key=position.__getitem__)


def _merge_siblings(plan: Plan, graph: Graph, succ, pred, height, viewed, space, reaches,
                    max_ops: int) -> None:
    """Merge elementwise kernels (not row kernels) of one iteration space and element width
    that read a value in common, none through a view, where no path leads from one to the
    other: the value is read once instead of once per kernel, and one kernel is compiled and
    called instead of several. (A float32 kernel joined to a float64 one would run at float64's
    vector width.) Up to SIBLING_OUTPUTS outputs a kernel: past that, more output streams
    written at once cost more than the shared read saves."""
    def plain(k: Node) -> bool:
        return k in plan.roots and k.op not in REDUCE_OPS and k not in plan.rows

    width = {k: _widest(plan, roots, k) for k, roots in plan.roots.items()}

    position = {n: k for k, n in enumerate(graph.nodes)}
    seen: set[Node] = set()
    for node in graph.nodes:
        source = plan.unit(node)
        if source in seen:
            continue
        seen.add(source)
        readers = sorted((k for k in succ.get(source, ()) if plain(k) and source not in viewed[k]),
                         key=position.__getitem__)
        first: dict[tuple, Node] = {}  # (iteration space, width) -> the kernel its readers join
        for reader in readers:
            reader = plan.kernel_of(reader)  # (it may have joined another kernel since)
            if not plain(reader):
                continue
            key = (space[reader], width[reader])
            here = first.get(key)
            here = None if here is None else plan.kernel_of(here)
            if (here is None or here is reader or not plain(here)
                    or len(plan.roots[here]) + len(plan.roots[reader]) > SIBLING_OUTPUTS):
                first[key] = reader  # (the readers after it join it instead)
                continue
            if plan.size[here] + plan.size[reader] > max_ops:
                continue
            # a path either way, searched from the kernel of fewer edges (`here` gathers those of
            # every sibling it absorbs: scanning them at each merge would be quadratic)
            small, large = sorted((here, reader), key=lambda k: len(succ.get(k, ())) + len(pred.get(k, ())))
            if (reaches(succ.get(small, set()), large)
                    or reaches(pred.get(small, set()), large, backward=True)):
                continue
            first[key] = _absorb(plan, here, reader, succ, pred, height, viewed)


def _widest(plan: Plan, roots: list[Node], kernel: Node) -> int:
    """The widest element, in bytes (4 at least), that `kernel` (computing `roots`) computes or
    reads, the cheap ops duplicated into it and the views it holds included: what its vector
    lanes are counted from (`vector_lanes`, backends/llvm/kernel/layout.py)."""
    widest, seen, stack = 4, set(roots), list(roots)
    while stack:
        node = stack.pop()
        widest = max(widest, node.dtype.numpy.itemsize)
        for i in node.inputs:
            widest = max(widest, i.dtype.numpy.itemsize)
            if i not in seen and i.op != "scalar" and plan.in_body(node, i, kernel):
                seen.add(i)
                stack.append(i)
    return widest


def _rows_agree(plan: Plan, a: Node, b: Node) -> bool:
    """Whether kernels `a` and `b` may be one: at most one has rows, or both the same rows."""
    rows = {plan.rows.get(a), plan.rows.get(b)} - {None}
    return len(rows) <= 1


def _absorb(plan: Plan, a: Node, b: Node, succ, pred, height, viewed) -> Node:
    """Merge kernels `a` and `b` (one reads the other); return the merged kernel's name."""
    if b.op in REDUCE_OPS or (len(plan.roots[a]) > len(plan.roots[b]) and a.op not in REDUCE_OPS):
        a, b = b, a  # the smaller kernel joins the larger one (keeps renaming linear); a
        # reduction joining a row kernel never names it
    for root in plan.roots[a]:
        plan.merged[root] = b
    plan.roots[b].extend(plan.roots.pop(a))  # in graph order once merging ends (_merge)
    plan.size[b] += plan.size.pop(a)
    if a in plan.rows:
        plan.rows.setdefault(b, plan.rows.pop(a))
    viewed[b] |= viewed.pop(a)
    moved_pred, moved_succ = pred.pop(a, set()) - {b}, succ.pop(a, set()) - {b}
    for p in moved_pred:
        succ[p].discard(a)
        succ[p].add(b)
        pred.setdefault(b, set()).add(p)
    for s in moved_succ:
        pred[s].discard(a)
        pred[s].add(b)
        succ.setdefault(b, set()).add(s)
    succ.get(b, set()).discard(a)
    pred.get(b, set()).discard(a)
    # Restore height(u) > height(v) along every edge u -> v. Only `a`'s edges are new to `b`
    # (its own held before): looking at `b`'s every edge at each merge would be quadratic
    # when one kernel absorbs many.
    below = 1 + max((height[s] for s in moved_succ), default=-1)
    raised_b = below > height[b]
    height[b] = max(height[b], below)
    raised = [(p, height[b] + 1) for p in (pred.get(b, ()) if raised_b else moved_pred)
              if height[p] <= height[b]]
    while raised:  # (a unit, the height one of its successors now needs it to exceed)
        u, least = raised.pop()
        if height[u] < least:
            height[u] = least
            raised.extend((p, least + 1) for p in pred.get(u, ()) if height[p] <= least)
    return b


def kernel_body(kernel: Node, plan: Plan, used: set[Node],
                reads: set[Node]) -> tuple[list[Node], Graph, str, list[Node]]:
    """The kernel named by root `kernel`, which reads `reads`: those values in order of first use,
    its body, its kind, and the values its body outputs: those of its roots in `used` (the values
    read outside it), then, in a row kernel, the expensive values its later passes read back."""
    roots = plan.roots[kernel]
    order = topological_order(roots, stop=reads)
    reads = list(dict.fromkeys(i for n in order for i in n.inputs  # in order of first use
                               if i in reads and not plan.in_body(n, i, kernel)))
    inputs = {i: kernel_input(k, i.type) for k, i in enumerate(reads)}
    built: dict[Node, Node] = {}
    for node in order:
        operands = tuple((i if i.op == "scalar" else built[i]) if plan.in_body(node, i, kernel)
                         else inputs[i] for i in node.inputs)
        built[node] = node if not node.inputs else intern(
            node.op, operands, node.attrs, node.type, None, location=node.location)
    kind = "row" if kernel in plan.rows else "reduce" if kernel.op in REDUCE_OPS else "elementwise"
    exported = [r for r in roots if r in used]
    body = Graph(list(inputs.values()), [built[r] for r in exported])
    if kind == "row":  # never compute expensive work twice: a later pass reads it back
        stash = row_schedule(body).unhomed
        if stash:
            original = {built[n]: n for n in order}
            exported += [original[n] for n in stash]
            body = Graph(body.inputs, [*body.outputs, *stash])
    # (its nodes are the graph's own, typed as they were, on operands of the same types)
    return reads, typed_body(body), kind, exported


def fuse(graph: Graph, fusible: Fusible | None = None, statistics: Counter | None = None,
         merge: bool = True, vector_rows: bool = True, max_ops: int = 0) -> Graph:
    """`graph` with its elementwise work and reductions grouped into `kernel` nodes.

    `fusible(node)` says whether the backend can compile `node` inside a kernel; by default
    everything docs/kernels.md allows in a body is fused. `merge=False` keeps every kernel to
    one output (no merging of kernels that read one another, nor of siblings).
    `vector_rows=False` makes no 1-d row kernels (a 1-d array is one row: Dask would gather it
    into one block). Where `max_ops` is positive, no merge makes a kernel of more ops than that
    (a chain inlined whole into one kernel is not split). Off by default: splitting a long
    chain's gradient makes kernels of thousands of outputs or inputs, which LLVM compiles
    slower than one kernel (bench/compile_scaling.py).

    The rebuild does not run on `passes.rewrite.transform`, which turns each node into one
    node in the graph's order: here many nodes become one kernel, built once all it reads is,
    and an op outside kernels may read a merged kernel's output that the graph computes before
    the kernel's last root. So the kernels and the ops outside them are ordered by what they
    read (Kahn's algorithm), not by the graph.
    """
    fusible = fusible or _anything
    statistics = statistics if statistics is not None else Counter()
    plan = partition(graph, fusible, merge, vector_rows, max_ops)
    statistics["merged-kernels"] += len(plan.merged)
    reads = {k: _reads(plan, roots, k)[0] for k, roots in plan.roots.items()}
    outside = [n for n in graph.nodes[len(graph.inputs):]
               if n not in plan.owner and n not in plan.duplicated]
    used = set(graph.outputs).union(*reads.values(), *(n.inputs for n in outside))
    mapping: dict[Node, Node] = {n: n for n in graph.inputs}

    def make_kernel(kernel: Node) -> None:
        operands, body, kind, exported = kernel_body(kernel, plan, used, reads[kernel])
        node = build("kernel", tuple(mapping[i] for i in operands), {"body": body, "kind": kind},
                     kernel.location)
        for k, root in enumerate(exported):
            mapping[root] = node if len(exported) == 1 else build(
                "result", (node,), {"index": k}, root.location)
        statistics["kernels"] += 1

    unit = plan.unit
    # A kernel may compute values its readers need before its last root: order the kernels
    # and the ops outside them by what each reads (Kahn's algorithm, in graph order).
    needs = {n: {unit(i) for i in n.inputs} for n in outside}
    needs.update((k, {unit(r) for r in rs}) for k, rs in reads.items())
    position = {n: k for k, n in enumerate(graph.nodes)}
    key = {u: position[plan.roots[u][-1] if u in plan.roots else u] for u in needs}  # unique
    at = {k: u for u, k in key.items()}
    inputs = set(graph.inputs)
    waiting = {u: len(deps - inputs) for u, deps in needs.items()}
    dependents: dict[Node, list[Node]] = {}
    for u, deps in needs.items():
        for d in deps:
            dependents.setdefault(d, []).append(u)
    ready = [key[u] for u, w in waiting.items() if not w]
    heapq.heapify(ready)
    while ready:
        u = at[heapq.heappop(ready)]
        if u in plan.roots:
            make_kernel(u)
        else:
            mapping[u] = with_inputs(u, tuple(mapping[i] for i in u.inputs))
        for d in dependents.get(u, ()):
            waiting[d] -= 1
            if not waiting[d]:
                heapq.heappush(ready, key[d])
    statistics["fused-ops"] += len(plan.owner)
    outputs = [mapping[o] for o in graph.outputs]
    if all(a is b for a, b in zip(outputs, graph.outputs)):
        return graph
    return Graph(graph.inputs, outputs)


@register("fuse")
@dataclass
class Fuse:
    """Group elementwise ops, views and reductions into kernels (docs/kernels.md)."""

    backend: str = field(default="", metadata={
        "help": "fuse only what this backend compiles in a kernel (default: all the contract allows)"})
    merge: bool = field(default=True, metadata={
        "help": "merge kernels that read one another, and sibling kernels that read a value in"
                " common, into kernels of several outputs"})
    vector_rows: bool = field(default=True, metadata={
        "help": "make a 1-d array one row of a row kernel (its reductions and their consumers)"})
    max_ops: int = field(default=0, metadata={
        "help": "most ops a merge of kernels may make one kernel compute (0: no limit)"})
    statistics: Counter = field(default_factory=Counter, init=False)

    def __call__(self, graph: Graph) -> Graph:
        fusible = fusion_predicate(self.backend) if self.backend else None
        return fuse(graph, fusible, self.statistics, self.merge, self.vector_rows, self.max_ops)
