"""`graphc viz` and `graphc opt --viz-dir` from the command line (called in-process)."""

from __future__ import annotations

import json
import re
import shutil

import pytest

import graphc
from graphc.cli import main
from graphc.graph import Graph
from graphc.viz import from_json


@pytest.fixture
def model(tmp_path):
    """A .gir file of a small scoped model, printed from the graph the API builds."""
    x, w = graphc.placeholder("x", ("n", 3)), graphc.placeholder("w", (3,))
    with graphc.scope("layer"):
        h = graphc.sin(x) * w + 0.0
    with graphc.scope("head"):
        y = graphc.sum(h, 1)
    path = tmp_path / "model.gir"
    path.write_text(f"{Graph([x, w], [y])}\n")
    return str(path)


def _document(page: str) -> dict:
    data = re.search(r'<script id="graphc-data" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(data.group(1))


def test_viz_writes_the_explorer_with_a_step_per_pass_kernels_and_times(model, tmp_path):
    out = tmp_path / "model.html"
    assert main(["viz", model, "-O1", "--backend", "llvm", "--profile", "x=random", "w=random",
                 "-o", str(out)]) == 0
    doc = _document(out.read_text())
    assert [s["name"] for s in doc["steps"]] == ["input", "canonicalize (1)", "fold-constants (2)",
                                                 "simplify (3)", "cse (4)", "dce (5)", "fuse (6)"]
    assert doc["title"] == "model.gir" and doc["backend"] == "llvm"
    assert [k["name"] for k in doc["kernels"]] == ["kernel0"] and doc["kernels"][0]["seconds"] > 0


def test_viz_json_loads_back_to_the_optimised_graph(model, capsys):
    assert main(["viz", model, "-p", "simplify", "--format", "json"]) == 0
    graph = from_json(capsys.readouterr().out)
    assert "add" not in str(graph) and 'scope "layer"' in str(graph)


def test_viz_dot_of_a_chosen_step(model, capsys):
    assert main(["viz", model, "-p", "simplify", "--format", "dot", "--step", "0"]) == 0
    assert "add(·, 0.0)" in capsys.readouterr().out
    assert main(["viz", model, "-p", "simplify", "--format", "dot", "--step", "simplify (1)"]) == 0
    assert "add" not in capsys.readouterr().out


@pytest.mark.skipif(shutil.which("dot") is None,
                    reason="Graphviz's dot is not installed (apt-get install graphviz)")
def test_viz_svg(model, tmp_path):
    pytest.importorskip("graphviz", reason="the graphviz Python package is not installed (the viz extra)")
    out = tmp_path / "m.svg"
    assert main(["viz", model, "--format", "svg", "-o", str(out)]) == 0
    assert out.read_text().rstrip().endswith("</svg>")


@pytest.mark.parametrize(("args", "message"), [
    (["--profile", "x=random"], "--profile times the compiled kernels: give --backend too"),
    (["--step", "1"], "--step picks the step an svg or dot picture draws"),
    (["--format", "dot", "--step", "fuse"], "no step named 'fuse'"),
    (["--backend", "llvm", "--profile", "x=random"], "no value for input 'w'; give --profile w=..."),
])
def test_viz_usage_errors_name_the_problem(model, capsys, args, message):
    assert main(["viz", model, *args]) == 1
    assert message in capsys.readouterr().err


def test_opt_viz_dir_writes_a_page_per_pass_and_the_timeline(model, tmp_path, capsys):
    folder = tmp_path / "pages"
    assert main(["opt", model, "-p", "simplify,dce", "--viz-dir", str(folder)]) == 0
    assert "graph(" in capsys.readouterr().out  # the IR is still printed
    assert sorted(p.name for p in folder.iterdir()) == ["001-simplify.html", "002-dce.html", "timeline.html"]
    pair = _document((folder / "001-simplify.html").read_text())
    assert [s["name"] for s in pair["steps"]] == ["input", "simplify (1)"]
    assert pair["steps"][1]["rebuilt"] and pair["steps"][1]["removed"]  # the + 0.0 goes; the sum is rebuilt
    timeline = _document((folder / "timeline.html").read_text())
    assert [s["name"] for s in timeline["steps"]] == ["input", "simplify (1)", "dce (2)"]
