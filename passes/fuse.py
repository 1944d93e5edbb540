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
  only by duplicated ops are duplicated with them; anything else under them is read.
- A reduction is always a root: its producers fuse into it (`kind="reduce"`), its consumers
  read its result.
- Views (`broadcast_to`, `reshape`, `transpose`, `getitem`, `flip`) are never materialised
  for a kernel: a kernel that reads a view chain holds a copy of the chain over an input,
  so each consumer gets its own (cheap: no data moves). Scalars used by an elementwise op
  are copied into each body likewise. A view of a computed value reads the materialised
  value: the producer is a root, because its consumer is a view.
- Everything else (leaves, matmul, cat, pad, argmax, argmin, kernels, the graph's inputs
  and ops the backend's predicate refuses) runs outside kernels, and kernels read it.
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from graphc.graph import Graph, topological_order
from graphc.kernel import REDUCE_OPS, VIEW_OPS, kernel_input
from graphc.node import Node, intern
from graphc.ops import is_elementwise
from graphc.shapes import dims_equal, numel, symbols_of
from passes.registry import register
from passes.rewrite import build, with_inputs

Fusible = Callable[[Node], bool]


# Elementwise ops worth recomputing rather than materialising (one instruction or so each).
CHEAP = frozenset({"neg", "abs", "add", "sub", "mul", "maximum", "minimum", "cast", "where",
                   "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_not",
                   "relu", "stop_gradient"})


def _anything(node: Node) -> bool:
    return True


def same_size(a: Node, b_shape) -> bool:
    """Whether `a` has provably as many elements as `b_shape` (so fusing recomputes nothing)."""
    return a.shape == b_shape or dims_equal(numel(a.shape), numel(b_shape)) is True


@dataclass
class Plan:
    """Which kernel computes each fused op: `owner[node]` is the root of its kernel."""

    owner: dict[Node, Node]
    inputs: frozenset[Node]  # the graph's inputs: never fused, whatever their op
    fusible: Fusible
    duplicated: frozenset[Node] = frozenset()  # cheap ops copied into each consumer's kernel

    def in_body(self, user: Node, operand: Node, root: Node) -> bool:
        """Whether `root`'s kernel computes `operand` (of `user`, in its body) or reads it."""
        if operand in self.inputs:
            return False
        if operand in self.duplicated:
            return True
        view = operand.op in VIEW_OPS and self.fusible(operand) and _binds_its_symbols(operand)
        if user.op in VIEW_OPS:  # views are of kernel inputs only (a scalar becomes an input)
            return view
        return view or operand.op == "scalar" or self.owner.get(operand) is root


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


def partition(graph: Graph, fusible: Fusible = _anything) -> Plan:
    """Decide, by the cost model above, which kernel computes each fusible op."""
    inputs = frozenset(graph.inputs)
    consumers: dict[Node, set[Node]] = {n: set() for n in graph.nodes}
    for node in graph.nodes[len(graph.inputs):]:
        for i in node.inputs:
            consumers[i].add(node)
    outputs = set(graph.outputs)
    owner: dict[Node, Node] = {}
    duplicated: set[Node] = set()
    space: dict[Node, tuple] = {}  # root -> the shape of its kernel's iteration space
    for node in reversed(graph.nodes):
        if node in inputs or not (node.op in REDUCE_OPS or is_elementwise(node.op)) or not fusible(node):
            continue
        if node.op in REDUCE_OPS:
            owner[node], space[node] = node, node.inputs[0].shape
            continue
        users = consumers[node]
        kernels = {owner.get(u) for u in users}
        root = kernels.pop() if len(kernels) == 1 else None
        if node not in outputs and root is not None and same_size(node, space[root]):
            owner[node] = root
        elif node not in outputs and users and node.op in CHEAP and all(
                (u in duplicated and u.shape == node.shape)
                or (u in owner and same_size(node, space[owner[u]])) for u in users):
            duplicated.add(node)
        else:
            owner[node], space[node] = node, node.shape
    return Plan(owner, inputs, fusible, frozenset(duplicated))


def kernel_body(root: Node, plan: Plan) -> tuple[list[Node], Graph, str]:
    """The kernel computing `root`: the values it reads (in order of first use), its body, its kind."""
    reads: set[Node] = set()
    seen, stack = {root}, [root]
    while stack:
        node = stack.pop()
        for i in node.inputs:
            if not plan.in_body(node, i, root):
                reads.add(i)
            elif i not in seen and i.op != "scalar":
                seen.add(i)
                stack.append(i)
    order = topological_order([root], stop=reads)
    first_use = dict.fromkeys(i for n in order for i in n.inputs
                              if i in reads and not plan.in_body(n, i, root))
    inputs = {i: kernel_input(k, i.type) for k, i in enumerate(first_use)}
    built: dict[Node, Node] = {}
    for node in order:
        operands = tuple((i if i.op == "scalar" else built[i]) if plan.in_body(node, i, root)
                         else inputs[i] for i in node.inputs)
        built[node] = node if not node.inputs else intern(
            node.op, operands, node.attrs, node.type, None, location=node.location)
    kind = "reduce" if root.op in REDUCE_OPS else "elementwise"
    return list(first_use), Graph(list(inputs.values()), [built[root]]), kind


def fuse(graph: Graph, fusible: Fusible | None = None, statistics: Counter | None = None) -> Graph:
    """`graph` with its elementwise work and reductions grouped into `kernel` nodes.

    `fusible(node)` says whether the backend can compile `node` inside a kernel; by default
    everything docs/kernels.md allows in a body is fused.
    """
    fusible = fusible or _anything
    statistics = statistics if statistics is not None else Counter()
    plan = partition(graph, fusible)
    mapping: dict[Node, Node] = {n: n for n in graph.inputs}
    for node in graph.nodes[len(graph.inputs):]:
        owner = plan.owner.get(node)
        if owner is None:
            mapping[node] = with_inputs(node, tuple(mapping[i] for i in node.inputs))
        elif owner is node:
            reads, body, kind = kernel_body(node, plan)
            mapping[node] = build("kernel", tuple(mapping[i] for i in reads),
                                  {"body": body, "kind": kind}, node.location)
            statistics["kernels"] += 1
    statistics["fused-ops"] += len(plan.owner)
    outputs = [mapping[o] for o in graph.outputs]
    if all(a is b for a, b in zip(outputs, graph.outputs)):
        return graph
    return Graph(graph.inputs, outputs)


def backend_predicate(name: str) -> Fusible:
    """The predicate a backend declares as its module's `fusible(node)` (none: fuse anything).

    Read lazily, as fold-constants reads the NumPy backend, so that passes never import
    backends at load time.
    """
    from backends import BACKENDS

    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose one of {sorted(BACKENDS)}")
    return getattr(importlib.import_module(BACKENDS[name]), "fusible", _anything)


@register("fuse")
@dataclass
class Fuse:
    """Group elementwise ops, views and reductions into kernels (docs/kernels.md)."""

    backend: str = field(default="", metadata={
        "help": "fuse only what this backend compiles in a kernel (default: all the contract allows)"})
    statistics: Counter = field(default_factory=Counter, init=False)

    def __call__(self, graph: Graph) -> Graph:
        fusible = backend_predicate(self.backend) if self.backend else None
        return fuse(graph, fusible, self.statistics)
