"""Jupyter: a Graph, a symbolic Tensor and a Function show the explorer (or an SVG); repr stays text."""

import html
import re

import graphc
from graphc.graph import Graph


def _inner_page(iframe: str) -> str:
    match = re.fullmatch(
        r'<iframe srcdoc="([^"]*)" style="width: 100%;[^"]*" sandbox="allow-scripts"></iframe>', iframe)
    assert match, iframe[:200]
    return html.unescape(match.group(1))


def test_a_graph_shows_the_explorer_inline_sized_to_the_cell():
    x = graphc.placeholder("x", (3,))
    graph = Graph([x], [graphc.exp(x)])
    page = _inner_page(graph._repr_html_())
    assert page.startswith("<!doctype html>") and '"op":"exp"' in page
    assert repr(graph) == "<graphc.Graph: 1 inputs, 1 outputs, 2 nodes>"


def test_a_symbolic_tensor_shows_its_graph_and_a_tensor_with_values_shows_them():
    x = graphc.placeholder("x", (3,))
    y = graphc.sin(x)
    assert '"op":"sin"' in _inner_page(y._repr_html_())
    concrete = graphc.tensor([1.0, 2.0])
    assert concrete._repr_html_() is None and concrete._repr_svg_() is None
    assert repr(concrete) == "tensor([1., 2.])"


def test_a_function_shows_its_stages():
    x = graphc.placeholder("x", ("n",))
    f = graphc.function([x], graphc.exp(x) * 2.0)
    page = _inner_page(f._repr_html_())
    assert '"name":"fuse"' in page and '"kind":"backend"' in page
    assert repr(f).startswith("<graphc.Function(x) backend=llvm")


def test_the_explorer_page_cannot_be_ended_early_by_a_name():
    x = graphc.placeholder("</script><script>alert(1)</script>", (3,))
    page = graphc.to_html(graphc.exp(x))
    assert page.count("</script>") == 3  # the data, the vendored library and the explorer's own
    assert "\\u003c/script>\\u003cscript>alert(1)" in page
