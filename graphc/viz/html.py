"""The explorer: one self-contained HTML page of a subject's stages, for any browser, offline.

The page holds the JSON document (graphc/viz/schema.py), the explorer's script and style
(graphc/viz/assets/) and Graphviz compiled to WebAssembly (graphc/viz/vendor/), which lays the
graph out in the browser: it opens from a file, needs nothing installed, and can be attached to
a bug report.
"""

from __future__ import annotations

import html
import json
import string
from collections.abc import Sequence
from importlib import resources

from graphc.viz.schema import to_document
from graphc.viz.stages import Stages, collect

NOTEBOOK_HEIGHT = 640  # pixels: the explorer in a Jupyter cell


def _asset(path: str) -> str:
    return resources.files("graphc.viz").joinpath(path).read_text(encoding="utf-8")


def _script_safe(text: str, what: str) -> str:
    if "</script" in text.lower():
        raise ValueError(f"{what} cannot be inlined in a <script> element: it holds '</script'")
    return text


def page(stages: Stages) -> str:
    """The explorer page of `stages`."""
    from graphc import __version__

    data = json.dumps(to_document(stages, values=False), allow_nan=False, separators=(",", ":"))
    return string.Template(_asset("assets/page.html")).substitute(
        version=__version__,
        css=_asset("assets/explorer.css"),
        data=data.replace("<", "\\u003c"),  # no "</script>" can end the data early
        graphviz=_script_safe(_asset("vendor/wasm-graphviz.js"), "the vendored Graphviz"),
        model=_script_safe(_asset("assets/model.js"), "model.js"),
        explorer=_script_safe(_asset("assets/explorer.js"), "explorer.js"),
    )


def explore(subject, *, passes: str | None = None, backend: str | None = None,
            profile: Sequence | None = None, title: str | None = None) -> Stages:
    """The stages the explorer shows; `profile`, arguments for a call, measures each kernel."""
    from graphc.viz.profile import kernel_seconds

    stages = collect(subject, passes, backend)
    if title is not None:
        stages.title = title
    if profile is not None:
        if stages.executable is None:
            raise ValueError("profile= needs something compiled: a Function, or backend='llvm'")
        stages.kernel_seconds = kernel_seconds(stages.executable, profile)
    return stages


def to_html(subject, *, passes: str | None = None, backend: str | None = None,
            profile: Sequence | None = None, title: str | None = None) -> str:
    """The explorer page of a Tensor, tensors, a Graph, a Function or a `.gir` path.

    `passes` and `backend` take a graph through a pipeline and a backend, one timeline step per
    pass application (a Function has its own); `profile=(x, w)` calls the compiled code with
    those arguments and overlays each kernel's measured time.
    """
    return page(explore(subject, passes=passes, backend=backend, profile=profile, title=title))


def notebook_html(subject) -> str:
    """The explorer in an iframe sized to a notebook cell (for `_repr_html_`)."""
    return (f'<iframe srcdoc="{html.escape(to_html(subject), quote=True)}" style="width: 100%;'
            f' height: {NOTEBOOK_HEIGHT}px; border: 1px solid #d9dde3; border-radius: 4px;"'
            ' sandbox="allow-scripts"></iframe>')
