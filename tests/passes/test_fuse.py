"""`fuse` and the `kernel` op: the cost model's boundaries, unchanged results, text, DOT, scale.

The IR-in / IR-out cases are `cases/fuse-*.gir` (run by test_cases.py); this file pins down
each rule of docs/kernels.md on graphs built with the API.
"""

from __future__ import annotations

import numpy as np
import pytest

import graphc as gc
from graphc import Graph, passes
from graphc import kernel as kernel_module
from graphc.backends import compile as compile_graph
from graphc.cli import main
from graphc.kernel import kernel_input, typed_body
from graphc.node import TensorType, intern
from graphc.ops import GraphBuildError, make
from graphc.parser import ParseError, parse
from graphc.passes.autodiff import DifferentiationError, vjp_nodes
from graphc.passes.fuse import DUPLICATE_DEPTH, fuse
from graphc.rows import row_schedule
from graphc.viz.dot import to_dot
from tests.passes.corpus import CORPUS, random_inputs
from tests.passes.test_results_unchanged import EXECUTABLE, SPECIAL, assert_same_results, random_graph


def kernels(graph: Graph) -> list:
    return [n for n in graph.nodes if n.op == "kernel"]


def body_ops(kernel) -> list[str]:
    body = kernel.attr("body")
    return [n.op for n in body.nodes[len(body.inputs):]]


def outside_ops(graph: Graph) -> list[str]:
    return [n.op for n in graph.nodes[len(graph.inputs):] if n.op != "kernel"]


# ----------------------------------------------------------------------------- the cost model

def test_an_elementwise_chain_becomes_one_kernel():
    x, y = gc.placeholder("x", (8,)), gc.placeholder("y", (8,))
    fused = fuse(Graph([x, y], [gc.tanh(gc.exp(x * y) + 1.5)]))
    (k,) = kernels(fused)
    assert body_ops(k) == ["mul", "exp", "scalar", "add", "tanh"]
    assert k.attr("kind") == "elementwise" and k.inputs == (x._node, y._node)
    assert fused.outputs == (k,)


def test_kernels_that_read_one_another_merge_into_one_of_several_outputs():
    x = gc.placeholder("x", (8,))
    shared = gc.exp(x)  # consumers in two kernels: computed once, in the merged kernel
    fused = fuse(Graph([x], [gc.sin(shared), gc.cos(shared)]))
    (k,) = kernels(fused)
    assert sorted(body_ops(k)) == ["cos", "exp", "sin"]
    assert [o.op for o in k.attr("body").outputs] == ["sin", "cos"]  # exp stays in registers
    assert str(k.type) == "(f32[8], f32[8])"
    assert [(o.op, o.inputs, o.attr("index")) for o in fused.outputs] == [("result", (k,), 0),
                                                                           ("result", (k,), 1)]


def test_merging_can_be_turned_off_and_is_counted():
    x = gc.placeholder("x", (8,))
    shared = gc.exp(x)
    graph = Graph([x], [gc.sin(shared), gc.cos(shared)])
    merged = passes.PassManager("fuse")
    merged.run(graph)
    assert merged.records[0].statistics["merged-kernels"] == 2
    separate = passes.run(graph, "fuse{merge=false}")
    assert [body_ops(k) for k in kernels(separate)] == [["exp"], ["sin"], ["cos"]]


def test_max_ops_caps_the_kernels_a_merge_makes_and_keeps_results():
    x = gc.placeholder("x", (16,))
    y, outs = x, []
    for k in range(12):  # each value also feeds an output of its own: a kernel per root to merge
        y = gc.sin(y) + float(k)
        outs.append(gc.exp(y))
    graph = Graph([x], [y, *outs])
    assert len(kernels(fuse(graph))) == 1  # uncapped, merging makes one kernel
    capped = fuse(graph, max_ops=6)
    assert len(kernels(capped)) > 1
    # (the cheap adds are duplicated into each kernel that reads them: the cap leaves them out)
    assert all(len([op for op in body_ops(k) if op in ("sin", "exp")]) <= 6 for k in kernels(capped))
    assert str(passes.run(graph, "fuse{max-ops=6}")) == str(capped)
    values = np.linspace(-2, 2, 16, dtype=np.float32)
    expected, v = [], values
    for k in range(12):
        v = np.sin(v) + np.float32(k)
        expected.append(np.exp(v))
    for backend in ("numpy", "llvm"):
        got = compile_graph(capped, backend)(values)
        np.testing.assert_allclose(got[0], v, rtol=1e-5)
        for a, b in zip(got[1:], expected):
            np.testing.assert_allclose(a, b, rtol=1e-5)
    with pytest.raises(ValueError, match="max_ops"):
        fuse(graph, max_ops=-1)


def test_a_value_another_path_also_reaches_is_materialised_by_its_own_kernel():
    x, w = gc.placeholder("x", (4, 4)), gc.placeholder("w", (4, 4))
    e = gc.exp(x)  # read by matmul and by the kernel after it: merging would make a cycle
    fused = fuse(Graph([x, w], [gc.tanh(gc.matmul(e, w) + e)]))
    first, second = kernels(fused)
    assert body_ops(first) == ["exp"] and first in second.inputs
    (matmul,) = [n for n in fused.nodes if n.op == "matmul"]
    assert matmul.inputs[0] is first and matmul in second.inputs


def test_a_chain_and_its_gradient_become_one_kernel():
    x = gc.placeholder("x", ("n",))
    y = x
    for i in range(30):
        y = gc.sin(y) if i % 3 == 0 else (y * 1.01 if i % 3 == 1 else y + 0.5)
    f = gc.function([x], [y, gc.grad(gc.sum(y), x)], backend="numpy")
    fused = fuse(f.graph)
    (k,) = kernels(fused)
    assert body_ops(k).count("sin") == 10 and body_ops(k).count("cos") == 10
    values = np.linspace(-2, 2, 9, dtype=np.float32)
    got = compile_graph(fused, "numpy")(values)
    for a, b in zip(got, f(values)):
        np.testing.assert_array_equal(a, b)


def test_a_value_used_twice_by_one_consumer_fuses_into_it():
    x = gc.placeholder("x", (8,))
    e = gc.exp(x)
    (k,) = kernels(fuse(Graph([x], [e * e])))
    assert body_ops(k) == ["exp", "mul"]


def test_a_value_used_by_several_ops_of_one_kernel_is_computed_once_in_it():
    x = gc.placeholder("x", (8,))
    s, c = gc.sin(x), gc.cos(x)  # as in a product rule: d(s*c) = c*c - s*s
    (k,) = kernels(fuse(Graph([x], [c * c - s * s + gc.exp(s)])))
    assert sorted(body_ops(k)) == ["add", "cos", "exp", "mul", "mul", "sin", "sub"]


def test_scalars_and_views_of_inputs_are_copied_into_each_body():
    x = gc.placeholder("x", (4, 4))
    view = gc.flip(gc.transpose(x), (0,))
    shared = gc.exp(x)
    fused = fuse(Graph([x], [view * 2.0 + shared, gc.sin(view) - 2.0, gc.cos(shared)]))
    with_view = [k for k in kernels(fused) if "flip" in body_ops(k)]
    assert len(with_view) == 2
    assert all(body_ops(k).count("scalar") == 1 and k.inputs == (x._node,) for k in with_view)
    assert set(outside_ops(fused)) == {"result"}  # neither the views nor the scalar are materialised


def test_sibling_kernels_reading_one_value_merge():
    """Independent elementwise kernels over the same elements that read a value in common
    become one kernel, which reads it once; the results are NumPy's."""
    x, y = gc.placeholder("x", ("n",), gc.float64), gc.placeholder("y", ("n",), gc.float64)
    outs = [gc.sin(x * (k + 1.25)) + k for k in range(6)] + [gc.exp(y) * x]
    graph = Graph([x, y], outs)
    fused = fuse(graph)
    (k,) = kernels(fused)
    assert k.inputs == (x._node, y._node) and len(k.attr("body").outputs) == 7
    assert len(kernels(fuse(graph, merge=False))) == 7
    values = np.linspace(-2, 2, 37), np.linspace(0, 1, 37)
    for backend in ("numpy", "llvm"):
        got = compile_graph(fused, backend)(*values)
        for g, o in zip(got, outs):
            want = gc.function([x, y], o, backend="numpy")(*values)
            np.testing.assert_allclose(g, want, rtol=1e-13)


def test_sibling_merges_stop_at_sibling_outputs():
    """Past SIBLING_OUTPUTS outputs a kernel takes no more siblings; the next ones start a
    kernel of their own."""
    from graphc.passes.fuse import SIBLING_OUTPUTS

    x = gc.placeholder("x", ("n",))
    count = 2 * SIBLING_OUTPUTS + 3
    outs = [gc.sin(x * (k + 1.5)) for k in range(count)]
    sizes = [len(k.attr("body").outputs) for k in kernels(fuse(Graph([x], outs)))]
    assert sizes == [SIBLING_OUTPUTS, SIBLING_OUTPUTS, 3]


def test_siblings_stay_apart_where_merging_would_not_pay_or_would_make_a_cycle():
    x, w = gc.placeholder("x", (8, 8)), gc.placeholder("w", (8, 8))
    wide = gc.placeholder("d", (8, 8), gc.float64)
    cases = {
        "other elements": [gc.sin(x), gc.cos(gc.sum(x, 0))],  # [8, 8] and [8] (a reduce kernel's space)
        "other widths": [gc.sin(x), gc.cast(x, gc.float64) * wide],  # float32 and float64 lanes
        "a path between them": [gc.tanh(gc.matmul(gc.sin(x), w) + x)],  # sin -> matmul -> add
        "read through a view": [gc.sin(x), gc.cos(gc.transpose(x, 0, 1))],
        "nothing in common": [gc.sin(x), gc.cos(w)],
    }
    for name, outs in cases.items():
        fused = fuse(Graph([x, w, wide], outs))
        assert len([k for k in kernels(fused) if k.attr("kind") == "elementwise"]) == 2, name
        values = [np.linspace(-1, 1, 64, dtype=d).reshape(8, 8) for d in (np.float32, np.float32, np.float64)]
        expected = compile_graph(Graph([x, w, wide], outs), "numpy")(*values)
        for got, want in zip(compile_graph(fused, "llvm")(*values), expected):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_siblings_of_other_widths_stay_apart_when_a_wide_value_is_read_under_a_duplicated_op():
    """A kernel's width counts what its body reads beneath the cheap ops duplicated into it
    (what vector_lanes counts): sin(y) + cast(d) reads float64 `d`, so it runs at float64's
    lanes, and cos(y), which reads `y` too, stays apart at float32's."""
    y, d = gc.placeholder("y", (64,)), gc.placeholder("d", (64,), gc.float64)
    c = gc.cast(d, gc.float32)  # cheap, read by two kernels: duplicated into each
    graph = Graph([y, d], [gc.sin(y) + c, gc.exp(c) * 3.0, gc.cos(y)])
    fused = fuse(graph)
    narrow = [k for k in kernels(fused) if "cos" in body_ops(k)]
    assert [k.inputs for k in narrow] == [(y._node,)]
    values = np.linspace(-1, 1, 64, dtype=np.float32), np.linspace(0, 2, 64)
    for got, want in zip(compile_graph(fused, "llvm")(*values), compile_graph(graph, "numpy")(*values)):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_merging_many_siblings_stays_linear(monkeypatch):
    """n sibling kernels of x, each read by an argmax, become one kernel (with no cap on its
    outputs), whose successors grow with each merge: the work of fusing (lines of
    passes/fuse.py run, which clocks on a shared machine do not measure steadily) grows with n,
    not n squared (looking at all of the merged kernel's edges at each merge made it 17x for
    8x the siblings)."""
    import sys

    import graphc.passes.fuse as module

    monkeypatch.setattr(module, "SIBLING_OUTPUTS", 10**9)

    def lines_run(n: int) -> int:
        x = gc.placeholder("x", (4, 4))
        graph = Graph([x], [gc.argmax(gc.sin(x * (k + 1.5)), 1) for k in range(n)])
        count = 0

        def local(frame, event, arg):
            nonlocal count
            count += event == "line"
            return local

        previous = sys.gettrace()  # (a coverage tool's, say)
        sys.settrace(lambda frame, event, arg: local if frame.f_code.co_filename == module.__file__ else None)
        try:
            assert len(kernels(fuse(graph))) == 1
        finally:
            sys.settrace(previous)
        return count

    assert lines_run(800) < 10 * lines_run(100)


def test_a_cheap_value_with_two_consumers_is_recomputed_in_each():
    x = gc.placeholder("x", (8,))
    shared = -x * 2.0  # cheap: recomputed, never written out
    graph = Graph([x], [gc.sin(shared), gc.cos(shared)])
    first, second = kernels(fuse(graph, merge=False))
    assert first.inputs == (x._node,) and second.inputs == (x._node,)
    assert sorted(body_ops(first)) == ["mul", "neg", "scalar", "sin"]
    assert sorted(body_ops(second)) == ["cos", "mul", "neg", "scalar"]
    (merged,) = kernels(fuse(graph))  # siblings reading x: one kernel, which computes it once
    assert merged.inputs == (x._node,) and sorted(body_ops(merged)) == ["cos", "mul", "neg", "scalar", "sin"]


def test_expensive_operands_of_a_recomputed_value_are_materialised_once():
    x = gc.placeholder("x", (8,))
    shared = gc.exp(x) + 1.0  # the add is duplicated; the exp under it is computed once
    fused = fuse(Graph([x], [gc.sin(shared), gc.cos(shared)]))
    (k,) = kernels(fused)  # the kernels of sin and cos merge, and their two adds become one
    assert sorted(body_ops(k)) == ["add", "cos", "exp", "scalar", "sin"]


def test_duplicated_chains_are_cut_so_fusing_stays_linear():
    """Each y feeds the next y and a reduction kernel: cheap, so copied into both; but copying
    the whole chain into every kernel grows quadratically, so every DUPLICATE_DEPTH-th value
    is materialised."""
    x = gc.placeholder("x", (6, 8))
    y = x
    for _ in range(24):
        y = y - gc.max(y, 0, keepdims=True) * 0.5  # along columns: no row kernel
    graph = Graph([x], [y])
    fused = fuse(graph)
    assert max(body_ops(k).count("sub") for k in kernels(fused)) <= DUPLICATE_DEPTH + 1
    assert sum(len(body_ops(k)) for k in kernels(fused)) < 8 * 24  # 372 copying whole chains
    assert_same_results(graph, fused, [np.random.default_rng(0).standard_normal((6, 8)).astype(np.float32)])


def test_a_view_of_a_computed_value_reads_the_materialised_value():
    x = gc.placeholder("x", (3, 4))
    s = gc.sin(x)
    fused = fuse(Graph([x], [gc.abs(gc.reshape(s, (12,)))]))
    producer, consumer = kernels(fused)
    assert body_ops(producer) == ["sin"]
    assert consumer.inputs == (producer,) and body_ops(consumer) == ["reshape", "abs"]


def test_a_reduction_ends_its_group():
    """...unless it keeps dims along trailing axes for consumers that are all in one kernel."""
    x = gc.placeholder("x", ("n", 8))
    m = gc.max(x, 1, keepdims=True)
    z = x - m
    fused = fuse(Graph([x], [gc.exp(z) / gc.sum(gc.sin(z) * 2.0, 0, keepdims=True), m]))
    reduce_kernels = [k for k in kernels(fused) if k.attr("kind") == "reduce"]
    assert [body_ops(k)[-1] for k in reduce_kernels] == ["max", "sum"]  # an output; a leading axis
    (sum_kernel,) = [k for k in reduce_kernels if body_ops(k)[-1] == "sum"]
    # producers fused in; z = x - max is cheap, so it is recomputed here and in the final kernel
    assert sorted(body_ops(sum_kernel)) == ["mul", "scalar", "sin", "sub", "sum"]
    final = fused.outputs[0]
    assert final.op == "kernel" and sum_kernel in final.inputs  # consumers read the result


def test_a_row_reduction_fuses_with_its_consumers():
    x = gc.placeholder("x", ("n", 8))
    z = x - gc.max(x, 1, keepdims=True)
    (kernel,) = kernels(fuse(Graph([x], [gc.exp(z) / gc.sum(gc.sin(z) * 2.0, 1, keepdims=True)])))
    assert kernel.attr("kind") == "row" and kernel.inputs == (x._node,)
    assert sorted(body_ops(kernel)) == ["div", "exp", "max", "mul", "scalar", "sin", "sub", "sum"]
    schedule = row_schedule(kernel.attr("body"))
    assert [[r.op for r in step.reductions] for step in schedule.passes] == [["max"], ["sum"], []]
    # sin is read by one pass only; the cheap z = x - max is recomputed in the last pass
    assert [[n.op for n in step.computed] for step in schedule.passes] == [
        [], ["sub", "sin", "mul"], ["sub", "exp", "div"]]
    assert schedule.stash == [] and schedule.axes == (1,)


def test_row_schedules_stash_expensive_values_where_an_output_can_hold_them():
    x = gc.placeholder("x", (4, 8))
    e = gc.exp(x)
    (kernel,) = kernels(fuse(Graph([x], [e - gc.max(e, 1, keepdims=True)])))
    schedule = row_schedule(kernel.attr("body"))
    first, last = schedule.passes
    assert [n.op for n in first.stored] == ["exp"] and [n.op for n in last.loaded] == ["exp"]
    assert [n.op for n in last.computed] == ["sub"] and schedule.unhomed == []
    assert [(v.op, home.op) for v, home in schedule.homes.items()] == [("exp", "sub")]
    # recomputing everything needs no stash
    assert row_schedule(kernel.attr("body"), recompute=lambda node: True).stash == []
    # a bool result cannot hold a float: the kernel outputs exp as well
    (kernel,) = kernels(fuse(Graph([x], [e > gc.max(e, 1, keepdims=True)])))
    assert [o.op for o in kernel.attr("body").outputs] == ["gt", "exp"]
    assert row_schedule(kernel.attr("body")).unhomed == []  # an output now: it is loaded


def test_a_row_reduction_read_by_one_kernel_joins_it_once_kernels_merge():
    """softmax's exp and row sum are read by the forward output and by the gradient: after those
    merge into one kernel, the sum (a reduce kernel until then) joins it, and so does exp."""
    x, g = gc.placeholder("x", ("n", 8)), gc.placeholder("g", ("n", 8))
    y = gc.softmax(x, -1)
    graph = passes.run(Graph([x, g], [y, gc.grad(gc.sum(y * g), x)]), "-O1")  # as graphc.function
    (kernel,) = kernels(fuse(graph))
    assert kernel.attr("kind") == "row" and len(kernel.attr("body").outputs) == 2
    assert [op for op in body_ops(kernel) if op in ("max", "sum", "exp")] == ["max", "exp", "sum", "sum"]
    assert_same_results(graph, fuse(graph), random_inputs(graph, np.random.default_rng(3)))


def test_a_row_reduction_read_elsewhere_stays_a_reduce_kernel():
    """A row kernel outputs only values of its own shape: a sum the graph returns, or that a
    matmul reads, stays a reduce kernel."""
    x, w = gc.placeholder("x", (4, 8)), gc.placeholder("w", (1, 3))
    e = gc.exp(x)
    s = gc.sum(e, 1, keepdims=True)
    for outputs in ([e / s, s], [e / s, s @ w]):
        graph = Graph([x, w], outputs)
        assert sorted(k.attr("kind") for k in kernels(fuse(graph))) == ["elementwise"] * 2 + ["reduce"]
        assert_same_results(graph, fuse(graph), random_inputs(graph, np.random.default_rng(4)))


def test_a_1d_value_is_one_row():
    x = gc.placeholder("x", ("n",))
    graph = Graph([x], [gc.softmax(x * 2.0, 0)])
    (kernel,) = kernels(fuse(graph))
    assert kernel.attr("kind") == "row" and row_schedule(kernel.attr("body")).axes == (0,)
    assert_same_results(graph, fuse(graph), [np.random.default_rng(5).standard_normal(9).astype(np.float32)])


def test_values_constant_along_rows_are_computed_once_per_row():
    x, b = gc.placeholder("x", ("n", 8)), gc.placeholder("b", ("n", 1))
    (kernel,) = kernels(fuse(Graph([x, b], [x * gc.exp(b)])))
    assert kernel.attr("kind") == "row"
    (step,) = row_schedule(kernel.attr("body")).passes
    assert [n.op for n in step.row_values] == ["exp"] and [n.op for n in step.computed] == ["mul"]
    # not along a leading axis (no axis would stay for the rows), nor when another kernel reads it
    c = gc.placeholder("c", (1, 8))
    assert [k.attr("kind") for k in kernels(fuse(Graph([x, c], [x * gc.exp(c)])))] == ["elementwise"] * 2
    eb = gc.exp(b)  # (the two kernels reading it are siblings, and merge)
    assert [k.attr("kind") for k in kernels(fuse(Graph([x, b], [x * eb, x - eb])))] == ["elementwise"] * 2


@pytest.mark.parametrize("make_op", [
    lambda a, b: gc.matmul(a, b),
    lambda a, b: gc.cat([a, b], 0),
    lambda a, b: gc.pad_widths(a, 1),
    lambda a, b: gc.cast(gc.argmax(a, 1), gc.float32),
    lambda a, b: gc.cast(gc.argmin(a, 0), gc.float32),
], ids=["matmul", "cat", "pad", "argmax", "argmin"])
def test_matmul_cat_pad_and_argmax_stay_outside(make_op):
    a, b = gc.placeholder("a", (4, 4)), gc.placeholder("b", (4, 4))
    middle = make_op(gc.exp(a), gc.sin(b))
    fused = fuse(Graph([a, b], [gc.tanh(middle)]))
    outside = {n.op for n in fused.nodes} - {"placeholder", "kernel", "scalar"}
    assert outside & {"matmul", "cat", "pad", "argmax", "argmin"}
    for k in kernels(fused):
        assert not set(body_ops(k)) & {"matmul", "cat", "pad", "argmax", "argmin"}
    assert fused.outputs[0].op == "kernel"


def test_a_producer_broadcast_into_a_larger_space_is_not_recomputed():
    x, row = gc.placeholder("x", (1000, 4)), gc.placeholder("row", (4,))
    fused = fuse(Graph([x, row], [x + gc.exp(row)]))
    small, big = kernels(fused)
    assert body_ops(small) == ["exp"] and big.inputs == (x._node, small)


def test_a_same_size_producer_of_another_shape_fuses():
    x, y = gc.placeholder("x", (1, 4)), gc.placeholder("y", (4,))
    (k,) = kernels(fuse(Graph([x, y], [x * gc.exp(y)])))
    assert body_ops(k) == ["exp", "mul"]


def test_graph_outputs_are_materialised():
    x = gc.placeholder("x", (5,))
    o = -x
    fused = fuse(Graph([x], [o, o * 3.0]))
    (k,) = kernels(fused)
    assert [o.op for o in k.attr("body").outputs] == ["neg", "mul"]


def test_graph_inputs_are_never_fused():
    x = gc.placeholder("x", (5,))
    cut = gc.exp(x)._node  # a computed value given at the call, as eager evaluation does
    fused = fuse(Graph([cut], [make("sin", [cut])]))
    (k,) = kernels(fused)
    assert k.inputs == (cut,) and body_ops(k) == ["sin"]


def test_the_predicate_keeps_refused_ops_outside():
    x = gc.placeholder("x", (3, 4))
    graph = Graph([x], [gc.sum(gc.erf(gc.transpose(x)) * 2.0, 1)])
    fused = fuse(graph, fusible=lambda n: n.op not in ("erf", "transpose"))
    assert outside_ops(fused) == ["transpose", "erf"]
    (k,) = kernels(fused)
    assert body_ops(k) == ["scalar", "mul", "sum"]
    refuse_reductions = fuse(graph, fusible=lambda n: n.op != "sum")
    assert "sum" in outside_ops(refuse_reductions)


def test_a_lone_op_becomes_a_kernel_and_refusing_everything_changes_nothing():
    x = gc.placeholder("x", (5,))
    graph = Graph([x], [gc.sqrt(x)])
    (k,) = kernels(fuse(graph))
    assert body_ops(k) == ["sqrt"]
    assert fuse(graph, fusible=lambda n: False) is graph


def test_fusing_is_idempotent_and_hash_consed():
    graph = CORPUS["compositions"]()
    once = fuse(graph)
    assert fuse(once) is once
    assert fuse(graph).outputs == once.outputs  # equal bodies: the same kernel nodes
    x = gc.placeholder("x", (4,))
    twins = fuse(Graph([x], [gc.exp(x) * 2.0, gc.exp(x) * 2.0]))
    assert len(kernels(twins)) == 1


def test_the_pass_reports_statistics_and_runs_in_no_o_pipeline():
    assert all("fuse" not in text for text in passes.NAMED_PIPELINES.values())
    inst = passes.Instrumentation(statistics=True, out=open("/dev/null", "w"))  # noqa: SIM115
    manager = passes.PassManager("fuse", inst)
    manager.run(CORPUS["compositions"]())
    inst.out.close()
    stats = manager.records[0].statistics
    assert stats["kernels"] >= 4 and stats["fused-ops"] >= stats["kernels"]


def test_the_backend_option_takes_a_backends_predicate():
    graph = CORPUS["unary_ops"]()
    assert str(passes.run(graph, "fuse{backend=numpy}")) == str(passes.run(graph, "fuse"))
    with pytest.raises(passes.PassError, match="unknown backend 'nope'"):
        passes.run(graph, "fuse{backend=nope}")


# ----------------------------------------------------------------------------- results unchanged

@pytest.mark.parametrize("name", EXECUTABLE)
def test_fusing_keeps_results_of_corpus_graph(name):
    graph = CORPUS[name]()
    args = random_inputs(graph, np.random.default_rng(11))
    assert_same_results(graph, passes.run(graph, "fuse"), args)
    assert_same_results(graph, passes.run(graph, "-O1,fuse"), args)


@pytest.mark.parametrize("seed", range(8))
def test_fusing_keeps_results_of_random_graph(seed):
    graph = random_graph(seed)
    rng = np.random.default_rng(seed)
    args = [rng.choice(SPECIAL, (3, 4)), rng.choice(SPECIAL, (4,)), rng.random((3, 4)) > 0.5]
    assert_same_results(graph, fuse(graph), args)


def test_row_kernels_keep_results_on_the_numpy_backend():
    x, b = gc.placeholder("x", ("n", 8)), gc.placeholder("b", ("n", 1))
    e = gc.exp(x - gc.max(x, 1, keepdims=True))
    centred = x - gc.mean(x, 1, keepdims=True)
    outs = [e / gc.sum(e, 1, keepdims=True), centred / gc.sqrt(gc.mean(centred * centred, 1, keepdims=True)),
            x * gc.exp(b), gc.exp(x) > gc.mean(gc.exp(x), 1, keepdims=True)]
    graph = Graph([x, b], outs)
    fused = fuse(graph)
    assert [k.attr("kind") for k in kernels(fused)].count("row") == 4
    rng = np.random.default_rng(3)
    assert_same_results(graph, fused, [rng.choice(SPECIAL, (5, 8)).astype(np.float32),
                                       rng.standard_normal((5, 1)).astype(np.float32)])


def test_the_numpy_backend_runs_each_kernel_as_a_function():
    graph = CORPUS["fused_kernels"]()
    executable = compile_graph(graph)
    assert executable.source.count("def kernel_fn") == len(kernels(graph))
    x, w = np.arange(6, dtype=np.float32).reshape(2, 3), np.ones(3, np.float32)
    np.testing.assert_array_equal(executable(x, w)[0], np.sum(np.sin(x) * w, axis=1))


# ----------------------------------------------------------------------------- text and DOT

@pytest.mark.parametrize("name", sorted(CORPUS))
def test_fused_graph_round_trips(name):
    text = str(fuse(CORPUS[name]()))
    assert str(parse(text)) == text


def test_kernels_parsed_twice_have_equal_bodies():
    """Body inputs are canonical, so equal bodies are equal graphs (and kernels hash-cons)."""
    text = str(CORPUS["fused_kernels"]())
    first, second = kernels(parse(text)), kernels(parse(text))
    assert len(first) == 4
    for a, b in zip(first, second):
        assert a.attr("body") == b.attr("body") and a.attr("body").outputs[0] is b.attr("body").outputs[0]


def test_kernel_prints_its_body_nested():
    x = gc.placeholder("x", ("n", 3))
    w = gc.placeholder("w", (3,))
    text = str(fuse(Graph([x, w], [gc.sum(gc.sin(x) * w, 1)])))
    assert text == """graph(%x: f32[n, 3], %w: f32[3]) {
  %0 = kernel %x, %w {body=graph(%a0: f32[n, 3], %a1: f32[3]) {
    %0 = sin %a0 : f32[n, 3]
    %1 = mul %0, %a1 : f32[n, 3]
    %2 = sum %1 {axes=[1], keepdims=false} : f32[n]
    return %2
  }, kind="reduce"} : f32[n]
  return %0
}"""


def test_dot_shows_a_kernel_as_a_cluster_of_its_body():
    dot = to_dot(CORPUS["fused_kernels"]())
    assert dot.count("subgraph cluster_") == 4
    cluster = dot[dot.index("subgraph cluster_n2 {"):]
    cluster = cluster[:cluster.index("\n  }")]
    assert '%0 = sin' in cluster and "%2 = sum {axes=[1], keepdims=false}" in cluster
    assert "n2_4 -> n2;" in cluster  # the body's output feeds the kernel's node
    assert "n0 -> n2_0 [label=0];" in dot and "n1 -> n2_1 [label=1];" in dot  # operands -> a0, a1
    assert "n2 -> out0;" in dot


# ----------------------------------------------------------------------------- the op's contract

def _body(*nodes):
    return Graph(list(nodes[:-1]), [nodes[-1]])


def test_the_type_rule_checks_the_body():
    x = gc.placeholder("x", (3,))._node
    a0 = kernel_input(0, x.type)
    good = _body(a0, make("exp", [a0]))
    assert make("kernel", [x], body=good, kind="elementwise").type == x.type
    with pytest.raises(GraphBuildError, match="kind must be one of"):
        make("kernel", [x], body=good, kind="fused")
    with pytest.raises(GraphBuildError, match="a0 is f32\\[3\\] but operand 0 is f32\\[4\\]"):
        make("kernel", [gc.placeholder("y", (4,))._node], body=good, kind="elementwise")
    with pytest.raises(GraphBuildError, match="cannot hold matmul"):
        m = kernel_input(0, gc.placeholder("m", (3, 3))._node.type)
        make("kernel", [gc.placeholder("m2", (3, 3))._node], body=_body(m, make("matmul", [m, m])),
             kind="elementwise")
    with pytest.raises(GraphBuildError, match="may only view a body input"):
        make("kernel", [x], body=_body(a0, make("flip", [make("exp", [a0])], axes=(0,))),
             kind="elementwise")
    with pytest.raises(GraphBuildError, match='output of a kind="reduce" kernel'):
        total = make("sum", [a0], axes=(0,), keepdims=True)
        make("kernel", [x], body=_body(a0, make("exp", [total])), kind="reduce")
    with pytest.raises(GraphBuildError, match='must end in a reduction'):
        make("kernel", [x], body=good, kind="reduce")


def test_a_body_marked_typed_skips_type_inference_and_fused_bodies_are_marked():
    x = gc.placeholder("x", (3,))._node
    a0 = kernel_input(0, x.type)
    mistyped = _body(a0, intern("exp", (a0,), (), TensorType(gc.float64, (3,)), None))  # f32 in
    with pytest.raises(GraphBuildError, match="has type f64\\[3\\] but its operands give f32"):
        make("kernel", [x], body=mistyped, kind="elementwise")
    # the mark is a promise fusion makes: a body copied from a checked graph is typed right
    assert make("kernel", [x], body=typed_body(mistyped), kind="elementwise").dtype is gc.float64
    y = gc.placeholder("y", (3,))
    fused = fuse(Graph([y], [gc.exp(gc.sin(y) * 2.0)]))
    (kernel,) = [n for n in fused.nodes if n.op == "kernel"]
    assert kernel.attr("body") in kernel_module._TYPED


def test_the_type_rule_checks_a_row_body():
    x = gc.placeholder("x", (3, 4))._node
    a0 = kernel_input(0, x.type)

    def row(output):
        return make("kernel", [x], body=_body(a0, output), kind="row")

    m = make("max", [a0], axes=(1,), keepdims=True)
    assert row(make("sub", [a0, m])).type == x.type
    with pytest.raises(GraphBuildError, match="needs a reduction over trailing axes"):
        row(make("exp", [a0]))
    for axes in [(0,), (0, 1)]:  # no axis would stay for the rows to run along
        with pytest.raises(GraphBuildError, match="cannot have rows of shape"):
            row(make("sub", [a0, make("max", [a0], axes=axes, keepdims=True)]))
    with pytest.raises(GraphBuildError, match="must reduce the row axes"):
        row(make("add", [make("sub", [a0, m]), make("sum", [a0], axes=(0,), keepdims=True)]))
    with pytest.raises(GraphBuildError, match="outputs of a kernel share one shape"):
        make("kernel", [x], body=Graph([a0], [make("sub", [a0, m]), m]), kind="row")


def test_the_type_rules_of_kernels_of_several_outputs_and_result():
    x = gc.placeholder("x", (3,))._node
    a0 = kernel_input(0, x.type)
    e, s = make("exp", [a0]), make("sin", [a0])
    two = make("kernel", [x], body=Graph([a0], [e, s]), kind="elementwise")
    assert str(two.type) == "(f32[3], f32[3])"
    assert make("result", [two], index=1).type == x.type
    with pytest.raises(GraphBuildError, match="index 2 is not one of the kernel's 2 outputs"):
        make("result", [two], index=2)
    with pytest.raises(GraphBuildError, match="result reads an output of a multi-output kernel"):
        make("result", [x], index=0)
    with pytest.raises(GraphBuildError, match="share one shape"):
        row = make("sum", [a0], axes=(0,), keepdims=True)
        make("kernel", [x], body=Graph([a0], [e, make("exp", [row])]), kind="elementwise")
    with pytest.raises(GraphBuildError, match="reduce kernel's body cannot have 2 outputs"):
        total = make("sum", [a0], axes=(0,), keepdims=False)
        make("kernel", [x], body=Graph([a0], [total, total]), kind="reduce")
    with pytest.raises(GraphBuildError, match="lists an output twice"):
        make("kernel", [x], body=Graph([a0], [e, e]), kind="elementwise")
    with pytest.raises(GraphBuildError, match="computed by elementwise ops, not flip"):
        make("kernel", [x], body=Graph([a0], [e, make("flip", [a0], axes=(0,))]), kind="elementwise")
    text = str(Graph([x], [make("result", [two], index=0), make("result", [two], index=1)]))
    assert ": (f32[3], f32[3])" in text and parse(text).outputs[1].type == x.type


def test_a_body_reads_only_its_own_inputs():
    x = gc.placeholder("x", (3,))._node
    stray = gc.placeholder("stray", (3,))._node
    a0 = kernel_input(0, x.type)
    with pytest.raises(GraphBuildError, match="cannot hold placeholder"):
        make("kernel", [x], body=_body(a0, make("add", [a0, stray])), kind="elementwise")


def test_the_parser_names_a_bad_body_input():
    text = str(CORPUS["fused_kernels"]()).replace("%a1: f32[3]", "%b: f32[3]", 1)
    with pytest.raises(ParseError, match="expected %a1, got %b"):
        parse(text)


def test_autodiff_asks_to_differentiate_before_fusing():
    x = gc.placeholder("x", (3,))
    fused = fuse(Graph([x], [gc.sum(gc.sin(x), 0)]))
    with pytest.raises(DifferentiationError, match="differentiate before fusing"):
        vjp_nodes(list(fused.outputs), [gc.ones(())._node], [x._node])


# ----------------------------------------------------------------------------- scale and CLI

def test_a_100000_op_chain_fuses_into_one_kernel():
    x = gc.placeholder("x", (3,))
    y = x
    for k in range(100_000):
        y = gc.sin(y) if k % 2 else y * 1.01
    fused = fuse(Graph([x], [y]))
    (k,) = kernels(fused)
    assert len(k.attr("body").nodes) == 100_000 + 2  # the input, the ops, one scalar
    fused.verify()
    assert str(fused).count("\n") == 100_000 + 6


def test_graphc_opt_runs_fuse(tmp_path, capsys):
    path = tmp_path / "model.gir"
    path.write_text("graph(%x: f32[4]) {\n  %0 = exp %x : f32[4]\n  %1 = neg %0 : f32[4]\n"
                    "  return %1\n}\n")
    assert main(["opt", str(path), "-p", "fuse"]) == 0
    out = capsys.readouterr().out
    assert "kernel %x {body=graph(%a0: f32[4]) {" in out
    assert str(parse(out)) == out.rstrip("\n")
