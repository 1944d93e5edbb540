"""Declarative rewrite rules and the worklist driver that applies them.

A rule is one line: a pattern, what it becomes, and an optional condition.

    rule("mul-one", op("mul", "x", const(1)), lambda m: m.x)
    rule("neg-neg", op("neg", op("neg", "x")), lambda m: m.x)
    rule("sub-self", op("sub", "x", "x"), lambda m: m.zeros(), when=lambda m: m.x.dtype.category == 1)

In a pattern a string captures any node under that name (the same name twice must be the
same node), `op(name_or_names, *operands, as_=..., **attrs)` matches an op (operands of
commutative and symmetric ops in either order; `attrs` must be equal), and `const(v)` matches
a node whose every element is `v`. The replacement may have a smaller shape than the matched node (the
driver broadcasts it back); any other type change is an error that names the rule.

`apply_rules` walks the graph once in topological order, rewriting each node to a fixed point
of the rules, and repeats the walk (up to `max_iters` times) until a walk changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from graphc.graph import Graph
from graphc.node import Node
from graphc.ops import ops_with
from graphc.passes.rewrite import build, filled, transform, uniform_value, with_inputs

# Ops whose operands a pattern matches in either order: the commutative ones and the symmetric
# ones (maximum, minimum: equal in value either way, not bit for bit). A rule states an identity
# of values and builds its replacement from the captures, so trying the swapped order lets it
# fire where it holds without changing what it computes (graphc.ops.OpDef says more).
EITHER_ORDER = ops_with("commutative") | ops_with("symmetric")


class RewriteError(RuntimeError):
    """A rule built a replacement of the wrong type, or rules kept rewriting one node."""


# ------------------------------------------------------------------ patterns

@dataclass(frozen=True)
class Op:
    ops: frozenset[str]
    operands: tuple[Any, ...]
    attrs: tuple[tuple[str, Any], ...] = ()
    name: str | None = None


@dataclass(frozen=True)
class Const:
    value: Any
    name: str | None = None


def op(ops: str | Iterable[str], *operands, as_: str | None = None, **attrs) -> Op:
    """Match an op (or any of several) with these operand patterns and attribute values."""
    names = frozenset([ops] if isinstance(ops, str) else ops)
    return Op(names, operands, tuple(attrs.items()), as_)


def const(value, as_: str | None = None) -> Const:
    """Match a node all of whose elements equal `value` (as `==` says: 0 matches -0.0)."""
    return Const(value, as_)


class Match:
    """The captures of a successful match, by attribute (`m.x`), plus builders for replacements."""

    def __init__(self, root: Node):
        self.root = root
        self.captures: dict[str, Node] = {}

    def __getattr__(self, name: str) -> Node:
        try:
            return self.__dict__["captures"][name]
        except KeyError:
            raise AttributeError(f"the pattern captured no {name!r}") from None

    def make(self, op_name: str, *inputs: Node, **attrs) -> Node:
        """A new node, located where the matched node was built."""
        return build(op_name, inputs, attrs, self.root.location)

    def zeros(self) -> Node:
        return filled(0, self.root)

    def filled(self, value) -> Node:
        """`value` in the matched node's dtype and shape."""
        return filled(value, self.root)


def _bind(m: Match, name: str | None, node: Node) -> bool:
    if name is None:
        return True
    bound = m.captures.get(name)
    if bound is None:
        m.captures[name] = node
        return True
    return bound is node


def match(pattern, node: Node, m: Match) -> bool:
    """Match `pattern` against `node`, adding captures to `m`; undone captures on failure."""
    if isinstance(pattern, str):
        return _bind(m, pattern, node)
    if isinstance(pattern, Const):
        value = uniform_value(node)
        return value is not None and value == pattern.value and _bind(m, pattern.name, node)
    if node.op not in pattern.ops or len(node.inputs) != len(pattern.operands):
        return False
    for key, value in pattern.attrs:
        if node.attr(key) != value:
            return False
    if _match_operands(pattern, node, node.inputs, m):
        return True
    return node.op in EITHER_ORDER and _match_operands(pattern, node, node.inputs[::-1], m)


def _match_operands(pattern: Op, node: Node, operands: tuple[Node, ...], m: Match) -> bool:
    """Match `pattern`'s operands against `operands` (in this order) and bind its name to
    `node`; on failure, `m` keeps only the captures it had."""
    saved = m.captures.copy()
    for p, n in zip(pattern.operands, operands):  # (a loop: all() over a generator is slower)
        if not match(p, n, m):
            break
    else:
        if _bind(m, pattern.name, node):
            return True
    m.captures = saved
    return False


# ------------------------------------------------------------------ rules

@dataclass(frozen=True)
class Rule:
    name: str
    pattern: Op
    replace: Callable[[Match], Node | None]  # None: no rewrite after all
    when: Callable[[Match], bool] | None = None


def rule(name: str, pattern: Op, replace: Callable[[Match], Node | None],
         when: Callable[[Match], bool] | None = None) -> Rule:
    if not isinstance(pattern, Op):
        raise TypeError(f"rule {name}: the pattern's root must be an op(...)")
    return Rule(name, pattern, replace, when)


@dataclass
class RuleSet:
    """Rules indexed by the op at their root."""

    rules: tuple[Rule, ...]
    by_op: dict[str, list[Rule]] = field(default_factory=dict)

    def __post_init__(self):
        for r in self.rules:
            for name in r.pattern.ops:
                self.by_op.setdefault(name, []).append(r)


MAX_REWRITES_PER_NODE = 64


def _fit(replacement: Node, node: Node, r: Rule) -> Node:
    if replacement.type == node.type:
        return replacement
    if replacement.dtype is node.dtype:
        try:
            return build("broadcast_to", (replacement,), {"shape": node.shape}, node.location)
        except ValueError:
            pass
    raise RewriteError(f"rule {r.name!r} replaced {node.op} : {node.type} (created at {node.location})"
                       f" by {replacement.op} : {replacement.type}, which does not fit")


def rewrite_node(node: Node, rules: RuleSet, stats: Counter) -> Node:
    """Apply rules at `node` until none matches; return the final node."""
    fired: list[str] = []
    while True:
        for r in rules.by_op.get(node.op, ()):
            m = Match(node)
            if not match(r.pattern, node, m) or (r.when is not None and not r.when(m)):
                continue
            replacement = r.replace(m)
            if replacement is None or replacement is node:
                continue
            stats[r.name] += 1
            fired.append(r.name)
            node = _fit(replacement, node, r)
            break
        else:
            return node
        if len(fired) > MAX_REWRITES_PER_NODE:
            raise RewriteError(f"rules keep rewriting {node.op} created at {node.location}:"
                               f" {', '.join(fired[-8:])} ...")


def apply_rules(graph: Graph, rules: RuleSet, max_iters: int = 8,
                stats: Counter | None = None) -> Graph:
    """Rewrite the graph with `rules` to a fixed point: walks in topological order, each
    linear in the graph, until one changes nothing or `max_iters` walks have run.

    The walks share what they found: a node that one walk rewrote (or left) is not matched
    again by the next, which only looks at the nodes that replacements built.
    """
    stats = stats if stats is not None else Counter()
    done: dict[Node, Node] = {}
    for _ in range(max_iters):
        rewritten = rewrite_walk(graph, rules, stats, done)
        if rewritten is graph:
            return graph
        graph = rewritten
    return graph


def rewrite_walk(graph: Graph, rules: RuleSet, stats: Counter,
                 done: dict[Node, Node] | None = None) -> Graph:
    """One walk of `apply_rules` (on the `transform` driver): each node, rebuilt on its
    operands' rewrites, is rewritten until no rule applies; `graph` itself if none did.

    `done` maps each node already rewritten to its rewrite (shared by equal nodes, and by
    walks); a rewrite is a fixed point of the rules, so it maps to itself.
    """
    done = {} if done is None else done

    def visit(node: Node, operands: tuple[Node, ...]) -> Node:
        rebuilt = with_inputs(node, operands)
        new = done.get(rebuilt)
        if new is None:
            new = done[rebuilt] = rewrite_node(rebuilt, rules, stats)
            done[new] = new  # no rule applies to it: rewrite_node stops only there
        return new

    return transform(graph, visit)
