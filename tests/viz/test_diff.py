"""What a pass changed: added, removed and rewritten nodes between two graphs."""

import graphc
from graphc import passes
from graphc.graph import Graph
from graphc.viz.diff import all_nodes, change


def test_an_unchanged_graph_has_no_change():
    x = graphc.placeholder("x", (3,))
    g = Graph([x], [graphc.exp(x)])
    assert change(g, g).empty


def test_a_replaced_node_is_rewritten_or_rebuilt_and_a_new_one_added():
    x = graphc.placeholder("x", ("n",))
    before = Graph([x], [graphc.exp(x ** 2.0)])
    after = passes.run(before, "simplify")  # x ** 2 becomes x * x, so exp is rebuilt over it
    diff = change(before, after)
    assert sorted(n.op for n in diff.removed) == ["exp", "pow", "scalar"]
    assert [(new.op, old.op) for new, old in diff.rewritten] == [("mul", "pow")]
    assert [(new.op, old.op) for new, old in diff.rebuilt] == [("exp", "exp")]
    assert diff.added == []
    unrelated = Graph([x], [graphc.exp(x), graphc.sin(x)])
    assert [n.op for n in change(after, unrelated).added] == ["exp", "sin"]


def test_fusion_rewrites_ops_as_kernel_body_nodes():
    from graphc.passes.fuse import fuse

    # A symbol of its own: a body node equal to one an earlier test built is that node, with
    # that test's location, and so not "rebuilt" from this graph (graphc/viz/diff.py).
    x = graphc.placeholder("x", ("n_fusion_diff",))
    before = Graph([x], [graphc.sin(graphc.exp(x))])
    after = fuse(before)
    diff = change(before, after)
    assert sorted(n.op for n in diff.removed) == ["exp", "sin"]
    assert [(new.op, old.op) for new, old in diff.rewritten] == [("kernel", "sin")]
    assert sorted((new.op, old.op) for new, old in diff.rebuilt) == [("exp", "exp"), ("sin", "sin")]
    assert [n.op for n in diff.added] == ["placeholder"]  # the body's input %a0
    assert [n.op for n in all_nodes(after)] == ["placeholder", "kernel", "placeholder", "exp", "sin"]
