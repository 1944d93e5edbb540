"""SVG pictures, laid out by Graphviz: the `graphviz` Python package running the system `dot`."""

from __future__ import annotations

from graphc.viz.dot import graph_dot

NOTEBOOK_LIMIT = 2000  # nodes: larger graphs get no SVG in a notebook (the explorer copes with them)


class GraphvizMissingError(RuntimeError):
    """The `graphviz` Python package or Graphviz's `dot` program is not installed."""


def render_svg(dot: str) -> str:
    """Lay out DOT text with Graphviz's `dot` and return the SVG."""
    try:
        import graphviz
    except ImportError:
        raise GraphvizMissingError(
            "SVG output needs the graphviz Python package: pip install 'graphc[viz]'"
            " (or pip install graphviz), and Graphviz's dot program") from None
    try:
        return graphviz.Source(dot).pipe(format="svg", encoding="utf-8")
    except graphviz.ExecutableNotFound:
        raise GraphvizMissingError(
            "SVG output needs Graphviz's dot program on the PATH: install the graphviz system"
            " package (apt-get install graphviz, brew install graphviz, conda install graphviz);"
            " graphc.to_html needs nothing installed") from None


def to_svg(subject, name: str = "graphc", *, step: int | str | None = None, passes: str | None = None,
           backend: str | None = None) -> str:
    """SVG of a Tensor, tensors, a Graph, a Function or a `.gir` path (arguments as `to_dot`)."""
    from graphc.viz.dot import to_dot

    return render_svg(to_dot(subject, name, step=step, passes=passes, backend=backend))


def notebook_svg(subject) -> str | None:
    """An SVG for `_repr_svg_`, or None (no Graphviz, or too large to lay out quickly)."""
    from graphc.viz.diff import all_nodes
    from graphc.viz.stages import collect

    graph = collect(subject).final
    if len(all_nodes(graph)) > NOTEBOOK_LIMIT:
        return None
    try:
        return render_svg(graph_dot(graph))
    except GraphvizMissingError:
        return None
