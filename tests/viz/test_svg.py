"""SVG through Graphviz, and a clear error naming what to install when it is missing."""

import shutil
import sys

import pytest

import graphc
from graphc.graph import Graph
from graphc.viz.svg import GraphvizMissingError, notebook_svg

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed (apt-get install graphviz)")


def _graph():
    x = graphc.placeholder("x", (3,))
    with graphc.scope("block"):
        y = graphc.exp(x) * 2.0
    return Graph([x], [y])


@needs_dot
def test_svg_of_a_graph_has_a_group_per_node_and_scope():
    pytest.importorskip("graphviz", reason="the graphviz Python package is not installed (the viz extra)")
    svg = graphc.to_svg(_graph())
    assert svg.lstrip().startswith("<?xml") and svg.rstrip().endswith("</svg>")
    assert svg.count('class="node"') == 4  # x, exp, mul (2.0 is written into its label), output
    assert svg.count('class="cluster"') == 1 and ">block<" in svg
    assert "y = mul(·, 2.0)" in svg


def test_without_the_dot_program_the_error_says_what_to_install(monkeypatch):
    pytest.importorskip("graphviz", reason="the graphviz Python package is not installed (the viz extra)")
    monkeypatch.setenv("PATH", "")
    with pytest.raises(GraphvizMissingError, match="apt-get install graphviz"):
        graphc.to_svg(_graph())
    assert notebook_svg(_graph()) is None  # a notebook falls back to the explorer


def test_without_the_graphviz_package_the_error_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(GraphvizMissingError, match=r"pip install 'graphc\[viz\]'"):
        graphc.to_svg(_graph())


def test_a_notebook_gets_no_svg_of_a_graph_too_large_to_lay_out_quickly(monkeypatch):
    import graphc.viz.svg as svg

    monkeypatch.setattr(svg, "NOTEBOOK_LIMIT", 2)
    monkeypatch.setattr(svg, "render_svg", lambda dot: pytest.fail("laid out a large graph"))
    assert notebook_svg(_graph()) is None
