"""`sympy-simplify` (opt-in): rewrite elementwise subgraphs through SymPy where that is cheaper.

Each maximal elementwise region of one float dtype (its own inputs become SymPy symbols) goes
to SymPy and back; the result replaces the region only when the cost model says it is
cheaper, and only when it is proven to compute the same thing:

- by default (strict), the old and new regions must have one normal form under identities
  that are exact in IEEE arithmetic, NaN, infinities and -0.0 included (EXACT_RULES below,
  plus `canonicalize`: operand order of + and *), and must agree bit for bit (NaNs as NaN,
  the sign of zero kept) at random points rich in special values. In practice SymPy then
  removes sign noise and duplicate terms (`a - (-b)` -> `a + b`, `(-a)*(-b)` -> `a*b`,
  `x + x` -> `2*x`); anything that rounds differently (reassociation, `x*y/y` -> `x`,
  `x**3` -> `x*x*x`) or that changes NaN and infinity (`x - x` -> 0, `x/x` -> 1) is refused.
- with `unsafe=true`, SymPy's full algebra (`simplify`): results may change by rounding and
  at special values; the new region must agree within a tolerance at ordinary random points.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import sympy

from graphc import dtypes
from graphc import functional as F
from graphc.dtypes import DType
from graphc.graph import Graph
from graphc.node import Node
from graphc.ops import is_elementwise
from graphc.passes.canonicalize import canonicalize
from graphc.passes.pattern import RuleSet, apply_rules, const, op, rule
from graphc.passes.registry import register
from graphc.passes.rewrite import build, scalar, with_inputs
from graphc.sympy_bridge import TO_SYMPY, SympyConversionError, from_sympy, to_sympy
from graphc.targets import evaluate
from graphc.tensor import Tensor

# Cost of one element of an op (a fused kernel's work); leaves and views cost nothing.
COST = {"div": 4, "sqrt": 4, "rsqrt": 4, "mod": 8, "floordiv": 8, "pow": 30,
        **dict.fromkeys(("exp", "log", "log1p", "expm1", "sin", "cos", "tan", "tanh", "erf",
                         "sigmoid", "atan2"), 20)}
FREE = frozenset({"scalar", "constant", "parameter", "placeholder", "broadcast_to", "reshape"})


def _power_of_two_reciprocal(m) -> bool:
    """`x / c` is `x * (1/c)` exactly when 1/c is a normal float of the dtype (c = ±2**k)."""
    value = m.c.attr("value") if m.c.op == "scalar" else None
    if not isinstance(value, float) or value == 0 or not np.isfinite(value):
        return False
    mantissa, _ = np.frexp(abs(value))
    info = np.finfo(m.c.dtype.numpy)
    return mantissa == 0.5 and info.tiny <= 1 / abs(value) <= info.max


# Identities exact in IEEE arithmetic for every input, NaN, infinities and signed zeros
# included (NaN payloads aside): negation is exact and rounding to nearest is symmetric.
EXACT_RULES = RuleSet((
    rule("sub-is-add-neg", op("sub", "x", "y"), lambda m: m.make("add", m.x, m.make("neg", m.y))),
    rule("neg-neg", op("neg", op("neg", "x")), lambda m: m.x),
    rule("mul-neg", op("mul", op("neg", "x"), "y"), lambda m: m.make("neg", m.make("mul", m.x, m.y))),
    rule("div-neg", op("div", op("neg", "x"), "y"), lambda m: m.make("neg", m.make("div", m.x, m.y))),
    rule("div-by-neg", op("div", "x", op("neg", "y")), lambda m: m.make("neg", m.make("div", m.x, m.y))),
    rule("add-self", op("add", "x", "x"), lambda m: m.make("mul", m.x, scalar(2, m.x.dtype))),
    rule("mul-one", op("mul", "x", const(1)), lambda m: m.x),
    rule("mul-minus-one", op("mul", "x", const(-1)), lambda m: m.make("neg", m.x)),
    rule("div-one", op("div", "x", const(1)), lambda m: m.x),
    rule("div-power-of-two", op("div", "x", "c"),
         lambda m: m.make("mul", m.x, scalar(1 / m.c.attr("value"), m.x.dtype)),
         when=_power_of_two_reciprocal),
    rule("abs-neg", op("abs", op("neg", "x")), lambda m: m.make("abs", m.x)),
    rule("where-same", op("where", "c", "x", "x"), lambda m: m.x),
))


def exact_normal_form(graph: Graph) -> Graph:
    """`graph` rewritten by EXACT_RULES and `canonicalize` until neither changes it."""
    for _ in range(8):
        changed = canonicalize(apply_rules(graph, EXACT_RULES))
        if changed is graph:
            break
        graph = changed
    return graph


# ------------------------------------------------------------------- regions

@dataclass
class Region:
    """A connected set of elementwise nodes of one float dtype (and bools), with the nodes
    it reads (`inputs`) and those of its nodes read outside it or returned (`outputs`)."""

    dtype: DType
    nodes: list[Node]
    inputs: list[Node]
    outputs: list[Node]


def _float_dtype(node: Node) -> DType | bool | None:
    """The one float dtype a candidate member computes in; None for an all-bool node; False
    for a node that cannot be a member."""
    if not is_elementwise(node.op) or node.op not in TO_SYMPY or node.op == "stop_gradient":
        return False
    floats = {t.dtype for t in (node, *node.inputs) if t.dtype is not dtypes.bool_}
    if len(floats) > 1 or any(not d.is_floating_point for d in floats):
        return False
    return next(iter(floats), None)


def find_regions(graph: Graph) -> list[Region]:
    """The maximal connected regions of member nodes (union-find over operand edges)."""
    kinds = {n: _float_dtype(n) for n in graph.nodes[len(graph.inputs):]}
    parent = {n: n for n, kind in kinds.items() if kind is not False}

    def root(n: Node) -> Node:
        while parent[n] is not n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for node in parent:
        for i in node.inputs:
            if i in parent:
                parent[root(i)] = root(node)
    groups: dict[Node, list[Node]] = {}
    for node in graph.nodes:
        if node in parent:
            groups.setdefault(root(node), []).append(node)
    returned = set(graph.outputs)
    regions = []
    for nodes in groups.values():
        floats = {kinds[n] for n in nodes} - {None}
        if len(floats) != 1:
            continue  # all-bool, or float dtypes joined by bools: left alone
        members = set(nodes)
        inputs = list(dict.fromkeys(i for n in nodes for i in n.inputs
                                    if i not in members and i.op != "scalar"))
        outputs = [n for n in nodes if n in returned or any(u not in members for u in graph.users[n])]
        regions.append(Region(floats.pop(), nodes, inputs, outputs))
    return regions


def cost(outputs: list[Node], inputs: list[Node]) -> int:
    """The weighted op count of what computes `outputs` from `inputs` (shared nodes once)."""
    nodes = Graph(inputs, outputs).nodes[len(inputs):]
    return sum(COST.get(n.op, 1) for n in nodes if n.op not in FREE)


# ------------------------------------------------------------- numeric checks

def _samples(dtype: DType, count: int, special: bool, rng: np.random.Generator) -> np.ndarray:
    """Random values of `dtype`: with `special`, about a third are zeros of both signs,
    infinities, NaN, extremes and subnormals; otherwise moderate values of both signs."""
    info = np.finfo(dtype.numpy)
    ordinary = np.concatenate([rng.uniform(-3, 3, count),
                               np.exp(rng.uniform(-5, 5, count)) * rng.choice([-1, 1], count)])
    values = rng.choice(ordinary, count)
    if special:
        specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.5, 2.0, info.max,
                             -info.max, info.tiny, -info.tiny, info.smallest_subnormal,
                             np.sqrt(info.max), 1 / np.sqrt(info.max)])
        picked = rng.random(count) < 1 / 3
        values[picked] = rng.choice(specials, int(picked.sum()))
    return values.astype(dtype.numpy)


def _values(outputs: list[Node], inputs: list[Node], samples: list[np.ndarray]) -> list[np.ndarray]:
    """The outputs computed by the reference backend with each input replaced by samples."""
    done: dict[Node, Node] = {i: F.tensor(s)._node for i, s in zip(inputs, samples)}
    for node in Graph(inputs, outputs).nodes[len(inputs):]:
        done[node] = with_inputs(node, tuple(done[i] for i in node.inputs)) if node.inputs else node
    with np.errstate(all="ignore"):
        return evaluate(Graph([], [done[o] for o in outputs]))


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal values, the sign of zero included; every NaN equals every NaN."""
    nan = np.isnan(a) if a.dtype.kind == "f" else np.zeros(a.shape, bool)
    if a.dtype.kind != "f":
        return bool(np.array_equal(a, b))
    return bool(np.all(nan == np.isnan(b)) and np.all((a == b)[~nan])
                and np.all((np.signbit(a) == np.signbit(b))[~nan]))


def _close(a: np.ndarray, b: np.ndarray, dtype: DType) -> bool:
    if a.dtype.kind != "f":
        return bool(np.array_equal(a, b))
    finite = np.isfinite(a)
    tolerance = 1e-4 if dtype.itemsize <= 4 else 1e-8
    return bool(np.allclose(a[finite], b[finite], rtol=tolerance, atol=tolerance))


def agree(old: list[Node], new: list[Node], region: Region, exact: bool, count: int = 512) -> bool:
    """Whether the old and new outputs agree at random points (bitwise with special values if
    `exact`, else within a tolerance at ordinary values)."""
    rng = np.random.default_rng(0)
    samples = [rng.random(count) < 0.5 if i.dtype is dtypes.bool_ else
               _samples(region.dtype, count, exact, rng) for i in region.inputs]
    same = _same_bits if exact else lambda a, b: _close(a, b, region.dtype)
    return all(same(np.broadcast_to(a, (count,)), np.broadcast_to(b, (count,)))
               for a, b in zip(_values(old, region.inputs, samples), _values(new, region.inputs, samples)))


# ----------------------------------------------------------------------- pass

def _fitted(new: Node, old: Node) -> Node | None:
    """`new` with `old`'s type (broadcast where an input dropped out), or None. A constant
    result becomes a scalar literal, which the other passes fold and fuse."""
    if new.dtype is not old.dtype:
        return None
    if new.op == "constant" and new.ndim == 0:
        new = scalar(new.attr("value").value.item(), new.dtype)
    if new.shape == old.shape:
        return new
    try:
        return build("broadcast_to", (new,), {"shape": old.shape}, old.location)
    except ValueError:
        return None


@register("sympy-simplify")
@dataclass
class SympySimplify:
    """Rewrite elementwise subgraphs through SymPy where cheaper and proven exact (unsafe: any algebra)."""

    unsafe: bool = field(default=False, metadata={
        "help": "SymPy's full algebra (x/x = 1, reassociation): results may change"})
    max_nodes: int = field(default=200, metadata={"help": "regions larger than this are left alone"})
    statistics: Counter = field(default_factory=Counter, init=False)

    def __call__(self, graph: Graph) -> Graph:
        replacement: dict[Node, Node] = {}
        for region in find_regions(graph):
            if len(region.nodes) > self.max_nodes:
                self.statistics["regions-too-large"] += 1
                continue
            replacement.update(self._rewrite(region))
        return substitute(graph, replacement) if replacement else graph

    def _rewrite(self, region: Region) -> dict[Node, Node]:
        """The region's outputs -> their replacements: output by output, a candidate is taken
        where it lowers the region's cost and is proven (empty if none is)."""
        symbols = {node: sympy.Dummy(f"v{k}", real=node.dtype is not dtypes.bool_)
                   for k, node in enumerate(region.inputs)}
        try:
            exprs = to_sympy(list(region.outputs), symbols)
        except (SympyConversionError, TypeError, ValueError):
            self.statistics["not-convertible"] += 1
            return {}
        candidates = [exprs]
        if self.unsafe:
            candidates.append([sympy.simplify(e) for e in exprs])
        bindings = {s: Tensor(node) for node, s in symbols.items()}
        proof = _Proof(region, not self.unsafe, self.statistics)
        options = []  # (output index, new node, the node with the output's type)
        for candidate in candidates:
            try:
                built = [n._node for n in from_sympy(candidate, bindings, dtype=region.dtype)]
            except (SympyConversionError, TypeError, ValueError):
                self.statistics["not-convertible"] += 1
                continue
            options += [(k, new, _fitted(new, old)) for k, (new, old) in enumerate(zip(built, region.outputs))
                        if new is not old and not _reads_outputs(new, region)]
        # Swaps that cost no more are taken (a shared operand goes only once every output
        # that reads it has been rewritten), each at most once; the end result must be cheaper.
        chosen, taken, changed = list(region.outputs), set(), True
        while changed:
            changed = False
            for index, (k, new, fitted) in enumerate(options):
                if index in taken or fitted is None:
                    continue
                trial = [*chosen[:k], fitted, *chosen[k + 1:]]
                if _cost_after(region, trial) > _cost_after(region, chosen):
                    continue
                if proof.holds(k, new):
                    chosen, changed = trial, True
                    taken.add(index)
        if _cost_after(region, chosen) >= cost(region.outputs, region.inputs):
            self.statistics["not-cheaper"] += 1
            return {}
        rewritten = {old: new for old, new in zip(region.outputs, chosen) if new is not old}
        self.statistics["outputs-rewritten"] += len(rewritten)
        return rewritten


def _reads_outputs(new: Node, region: Region) -> bool:
    """Whether `new` is computed from one of the region's outputs (replacing them all at once
    could then make a node read itself)."""
    outputs = set(region.outputs)
    return any(n in outputs for n in Graph(region.inputs, [new]).nodes)


def _cost_after(region: Region, chosen: list[Node]) -> int:
    """The region's cost once each output is replaced by its chosen node, wherever it is read."""
    replacement = {old: new for old, new in zip(region.outputs, chosen) if new is not old}
    graph = substitute(Graph(region.inputs, region.outputs), replacement)
    return cost(list(graph.outputs), region.inputs)


class _Proof:
    """Whether a new node computes what a region's output `k` computes. Strict: one exact
    normal form, and the same bits at special values; unsafe: close at ordinary values."""

    def __init__(self, region: Region, exact: bool, statistics: Counter):
        self.region, self.exact, self.statistics = region, exact, statistics
        self.forms = exact_normal_form(Graph(region.inputs, region.outputs)).outputs if exact else None
        self.known: dict[tuple[int, Node], bool] = {}

    def holds(self, k: int, new: Node) -> bool:
        if (k, new) not in self.known:
            self.known[(k, new)] = holds = self._check(k, new)
            self.statistics["proven" if holds else "not-equivalent"] += 1
        return self.known[(k, new)]

    def _check(self, k: int, new: Node) -> bool:
        region = self.region
        if self.exact and exact_normal_form(Graph(region.inputs, [new])).outputs[0] is not self.forms[k]:
            return False
        return agree([region.outputs[k]], [new], region, self.exact)


def substitute(graph: Graph, replacement: dict[Node, Node]) -> Graph:
    """`graph` with each node in `replacement` computed by its replacement instead; the
    replacements' subgraphs read original nodes, which are rebuilt where they changed."""
    done: dict[Node, Node] = {n: n for n in graph.inputs}
    stack = list(graph.outputs)
    while stack:
        node = stack[-1]
        if node in done:
            stack.pop()
            continue
        source = replacement.get(node, node)
        missing = [i for i in source.inputs if i not in done]
        if missing:
            stack.extend(missing)
            continue
        stack.pop()
        done[node] = with_inputs(source, tuple(done[i] for i in source.inputs)) if source.inputs else source
    return Graph(graph.inputs, [done[o] for o in graph.outputs])
