"""`graphc opt`, `graphc run` and `graphc grad` from the command line (called in-process)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from graphc.cli import main
from graphc.parser import parse

SOURCE = """// y = (x * 1) * w, with a dead line
graph(%x: f32[n], %w: f32[n]) {
  %one = scalar {value=1.0} : f32[]
  %0 = mul %x, %one : f32[n]
  %1 = mul %0, %w : f32[n]
  %dead = exp %x : f32[n]
  %2 = sum %1 {axes=[0], keepdims=false} : f32[]
  return %2
}
"""


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "model.gir"
    path.write_text(SOURCE)
    return str(path)


def test_opt_prints_the_optimised_ir(model, capsys):
    assert main(["opt", model, "-p", "simplify,dce"]) == 0
    out = capsys.readouterr().out
    assert out == ("graph(%x: f32[n], %w: f32[n]) {\n  %0 = mul %x, %w : f32[n]\n"
                   "  %1 = sum %0 {axes=[0], keepdims=false} : f32[]\n  return %1\n}\n")
    parse(out)


def test_opt_instrumentation_goes_to_stderr(model, capsys):
    assert main(["opt", model, "-O1", "--print-ir-after-all", "--time-passes", "--statistics"]) == 0
    captured = capsys.readouterr()
    assert "IR Dump After simplify (3)" in captured.err
    assert "graphc pass timing" in captured.err and "simplify: mul-one" in captured.err
    assert "IR Dump" not in captured.out


def test_opt_print_changed_diff_and_dump_dir(model, tmp_path, capsys):
    dump = tmp_path / "dump"
    assert main(["opt", model, "-p", "cse,simplify", "--print-changed=diff", "--ir-dump-dir", str(dump)]) == 0
    assert "--- before simplify (2)" in capsys.readouterr().err
    assert (dump / "002-simplify.after.gir").exists()


def test_opt_bisect_limit(model, capsys):
    assert main(["opt", model, "-p", "cse,simplify", "--bisect-limit=1"]) == 0
    captured = capsys.readouterr()
    assert "NOT running pass (2) simplify" in captured.err
    assert "mul %x, %0" in captured.out


def test_print_pipeline_expands_named_pipelines(capsys):
    assert main(["opt", "-O2", "--print-pipeline"]) == 0
    expected = "fixpoint(canonicalize,simplify,fold-constants,cse){max-iters=8},dce"
    assert capsys.readouterr().out.strip() == expected


def test_list_passes_shows_descriptions_and_options(capsys):
    assert main(["opt", "--list-passes"]) == 0
    out = capsys.readouterr().out
    assert "fold-constants   Evaluate subgraphs that depend on no input" in out
    assert "max-iters=int (default 8)" in out


@pytest.mark.parametrize("argv, message", [
    (["opt", "MISSING.gir"], "No such file"),
    (["opt", "{model}", "-p", "simplfy"], "unknown pass 'simplfy'; did you mean 'simplify'?"),
    (["opt"], "opt needs a FILE"),
    (["run", "{model}", "--inputs", "x=[1, 2]"], "no value for input 'w'"),
    (["run", "{model}", "--inputs", "x=[1, 2]", "w=[1, 2]", "z=[1]"], "no input named 'z'"),
    (["run", "{model}", "--inputs", "x=[1, 2]", "w=[1, 2, 3]"], "argument 'w' must have shape [n]"),
])
def test_errors_go_to_stderr_with_status_1(model, argv, message, capsys):
    argv = [a.replace("{model}", model) for a in argv]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


def test_a_parse_error_names_file_line_and_column(tmp_path, capsys):
    bad = tmp_path / "bad.gir"
    bad.write_text("graph(%x: f32[n]) {\n  %0 = neg %y : f32[n]\n  return %0\n}\n")
    assert main(["opt", str(bad)]) == 1
    assert f"{bad}:2:12: use of undefined value %y" in capsys.readouterr().err


def test_run_evaluates_with_the_numpy_backend(model, tmp_path, capsys):
    np.save(tmp_path / "w.npy", np.array([1.0, 2.0, 3.0], np.float32))
    assert main(["run", model, "--inputs", "x=[1, 1, 1]", f"w={tmp_path / 'w.npy'}"]) == 0
    assert capsys.readouterr().out == "result 0: float32[]\n6.\n"


def test_run_random_inputs_and_optional_pipeline(model, capsys):
    assert main(["run", model, "-O1", "--inputs", "x=random", "w=random", "--size", "5"]) == 0
    assert capsys.readouterr().out.startswith("result 0: float32[]")


def test_grad_prints_the_gradient_graph(model, capsys):
    assert main(["grad", model, "--wrt", "w"]) == 0
    assert capsys.readouterr().out == "graph(%x: f32[n], %w: f32[n]) {\n  return %x\n}\n"


def test_console_script_help_and_stdin():
    result = subprocess.run([sys.executable, "-m", "graphc.cli", "opt", "--help"],
                            capture_output=True, text=True, check=True)
    assert "--print-ir-after-change" in result.stdout and "graphc opt model.gir" in result.stdout
    result = subprocess.run([sys.executable, "-m", "graphc.cli", "opt", "-", "-p", "simplify"],
                            input=SOURCE, capture_output=True, text=True)
    assert result.returncode == 0 and "mul %x, %w" in result.stdout


def test_a_pipeline_value_may_start_with_a_named_pipeline(model, capsys):
    assert main(["opt", model, "-p", "-O1,dce"]) == 0
    joined = capsys.readouterr().out
    assert main(["opt", model, "-O1"]) == 0
    assert joined == capsys.readouterr().out
