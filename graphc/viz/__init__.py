"""Pictures and exports of graphs: DOT, SVG, the HTML explorer and JSON.

Each takes a Tensor, a list of tensors, a Graph, a compiled Function or the path of a `.gir`
file. `passes=` and `backend=` take a graph through a pipeline and a backend first, so the
explorer and the JSON show one step per pass application, the fused kernels and their code.

    graphc.to_svg(y)                                   # a picture of the graph behind y
    open("f.html", "w").write(graphc.to_html(f))       # explore a compiled function, offline
    graphc.to_json(g, passes="-O1", backend="llvm")    # every stage, as data (docs/viz.md)
"""

from graphc.viz.dot import to_dot
from graphc.viz.html import notebook_html, to_html
from graphc.viz.schema import FORMAT, VERSION, SchemaError, from_json, to_json
from graphc.viz.svg import GraphvizMissingError, to_svg

FORMATS = ("html", "svg", "json", "dot")


def export(subject, format: str, **options) -> str:  # noqa: A002 - the word users know
    """The text of `subject` in `format` ("html", "svg", "json" or "dot")."""
    writers = {"html": to_html, "svg": to_svg, "json": to_json, "dot": to_dot}
    try:
        writer = writers[format]
    except KeyError:
        raise ValueError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}") from None
    return writer(subject, **options)
