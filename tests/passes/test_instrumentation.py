"""Instrumentation around every pass, and failing passes that leave a reproducer which replays."""

from __future__ import annotations

import io
import os
import shlex

import pytest

import graphc as gc
from graphc import Graph, passes
from graphc.cli import main as cli_main
from graphc.parser import parse, parse_file
from graphc.passes import registry

SOURCE = """graph(%x: f32[n], %w: f32[n]) {
  %one = scalar {value=1.0} : f32[]
  %0 = mul %x, %one : f32[n]
  %1 = mul %w, %0 : f32[n]
  %dead = exp %x : f32[n]
  return %1
}"""


def run(pipeline: str, **options) -> tuple[Graph, str]:
    out = io.StringIO()
    graph = passes.run(parse(SOURCE), pipeline, out=out, **options)
    return graph, out.getvalue()


def test_print_ir_before_and_after_named_passes():
    _, log = run("canonicalize,simplify,dce", print_ir_before={"simplify"}, print_ir_after={"dce"})
    assert log.count("// -----// IR Dump") == 2
    assert "IR Dump Before simplify (2)" in log and "IR Dump After dce (3)" in log


def test_print_ir_after_all_dumps_parseable_ir_after_every_pass():
    _, log = run("canonicalize,simplify,cse", print_ir_after_all=True)
    dumps = log.split("// -----// ")[1:]
    assert [d.split(" //")[0] for d in dumps] == [
        "IR Dump After canonicalize (1)", "IR Dump After simplify (2)", "IR Dump After cse (3)"]
    for dump in dumps:
        parse(dump.split("\n", 1)[1])


def test_print_ir_after_change_skips_passes_that_changed_nothing():
    _, log = run("cse,simplify,dce", print_ir_after_change=True)
    assert "After simplify (2), changed" in log
    assert "cse" not in log and "dce" not in log


def test_print_changed_diff_shows_only_what_changed():
    _, log = run("cse,simplify", print_changed="diff")
    assert "--- before simplify (2)" in log
    assert "-  %1 = mul %x, %0 : f32[n]" in log
    assert "cse" not in log  # cse changed nothing here


def test_time_passes_reports_each_pass_with_node_counts():
    _, log = run("simplify,cse,simplify", time_passes=True)
    assert "graphc pass timing" in log
    simplify_row = next(line for line in log.splitlines() if line.endswith(" simplify"))
    # two runs, from the node count before the first to that after the last
    assert " 2 " in simplify_row and "5 -> 3 (-2)" in simplify_row
    assert log.splitlines()[-1].endswith("total")


def test_statistics_count_each_rule():
    _, log = run("simplify", statistics=True)
    assert "1  simplify: mul-one" in log


def test_ir_dump_dir_writes_numbered_files(tmp_path):
    run("canonicalize,simplify,cse", ir_dump_dir=str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == ["000-input.gir", "001-canonicalize.after.gir",
                                            "002-simplify.after.gir", "003-cse.after.gir"]
    assert "mul %x, %0" not in (tmp_path / "002-simplify.after.gir").read_text()
    parse_file(str(tmp_path / "003-cse.after.gir"))


def test_bisect_limit_runs_only_the_first_applications():
    graph, log = run("fixpoint(canonicalize,simplify)", bisect_limit=1)
    assert "bisect: running pass (1) canonicalize" in log
    assert "bisect: NOT running pass (2) simplify" in log
    assert "mul %x, %0" in str(graph)


@pytest.fixture
def scratch_registry(monkeypatch):
    monkeypatch.setattr(registry, "PASSES", dict(registry.PASSES))


def _register_broken_passes():
    @passes.register("explode-on-mul")
    def explode(graph):
        """Raise when the graph still has a mul (a pass with a bug)."""
        for node in graph.nodes:
            if node.op == "mul":
                raise RuntimeError(f"cannot handle mul created at {node.location}")
        return graph

    @passes.register("leak-placeholder")
    def leak(graph):
        """Return a graph that uses a placeholder it does not take (invalid)."""
        stray = gc.placeholder("stray", graph.outputs[0].shape)
        return Graph(graph.inputs, [(gc.Tensor(graph.outputs[0]) + stray)._node])


def test_a_raising_pass_names_itself_its_position_and_the_passes_before(scratch_registry, tmp_path):
    _register_broken_passes()
    with pytest.raises(passes.PassError) as info:
        passes.run(parse(SOURCE, "model.gir"), "canonicalize,explode-on-mul,dce",
                   reproducer_dir=str(tmp_path))
    err = info.value
    message = str(err)
    assert "pass 'explode-on-mul' (application 2 of pipeline 'canonicalize,explode-on-mul,dce')" in message
    assert "RuntimeError: cannot handle mul created at model.gir:3" in message
    assert "passes run before it: canonicalize" in message
    assert isinstance(err.__cause__, RuntimeError)
    assert err.command == f"graphc opt {err.reproducer} -p explode-on-mul,dce"
    assert "mul %x, %0" in parse_file(err.reproducer).__str__()


def test_the_reproducer_replays_the_failure(scratch_registry, tmp_path, capsys):
    _register_broken_passes()
    with pytest.raises(passes.PassError) as info:
        passes.run(parse(SOURCE), "simplify,fixpoint(cse,leak-placeholder,dce),canonicalize",
                   reproducer_dir=str(tmp_path))
    err = info.value
    assert "produced an invalid graph: placeholder 'stray'" in str(err)
    assert err.command.endswith(
        "-p 'leak-placeholder,dce,fixpoint(cse,leak-placeholder,dce),canonicalize' --verify-each")
    status = cli_main([*shlex.split(err.command)[1:], "--reproducer-dir", str(tmp_path / "again")])
    assert status == 1
    stderr = capsys.readouterr().err
    assert "pass 'leak-placeholder' (application 1 of pipeline" in stderr
    assert "produced an invalid graph" in stderr


def test_a_rule_with_a_bad_replacement_is_an_error_not_skipped(scratch_registry, tmp_path):
    from graphc.passes.pattern import RuleSet, apply_rules, op, rule

    bad = RuleSet((rule("exp-to-int", op("exp", "x"), lambda m: m.make("cast", m.x, dtype=gc.int64)),))
    passes.register("bad-rules")(lambda g: apply_rules(g, bad))
    x = gc.placeholder("x", (3,))
    with pytest.raises(passes.PassError, match=r"rule 'exp-to-int' replaced exp : f32\[3\]") as info:
        passes.run(Graph([x], [gc.exp(x)]), "bad-rules", reproducer_dir=str(tmp_path))
    assert isinstance(info.value.__cause__, passes.RewriteError)
