"""The import direction of docs/design.md ("The layers"), read from every module's syntax tree.

    IR (graphc/*)  <-  graphc.passes  <-  graphc.backends  <-  user API (imports them lazily)

An import against an arrow fails here with the module and line that makes it. The deliberate
exceptions are named below: graphc.targets (passes reach backends through it, lazily) and
the backend registry (it runs a backend's pipeline).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = {"graphc": "graphc", "passes": "graphc.passes", "backends": "graphc.backends"}

# graphc modules that compile what users build: they may import passes and backends, but only
# inside functions, so that importing graphc loads no pass and no backend. graphc.targets is
# the one door from passes to backends (a backend's fusion predicate, an evaluator).
USER_API = {"graphc", "graphc.autograd", "graphc.cli", "graphc.cuda", "graphc.evaluate",
            "graphc.function", "graphc.functional", "graphc.tensor", "graphc.targets",
            "graphc.dask.function",
            "graphc.viz.stages", "graphc.optable"}  # a picture's stages: a pipeline run and a compile
# graphc.testing (the fuzzer and the tolerance model) is built on the user API, like a user's code.
USER_API_PACKAGES = ("graphc.testing",)
# The backend registry runs each backend's pipeline with the pass manager.
REGISTRY = "graphc.backends"


def _modules():
    for folder, package in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            parts = parts[:-1] if parts[-1] == "__init__" else parts
            yield ".".join((package, *parts)), path


KNOWN = {module for module, _ in _modules()}


def _imports(path: Path):
    """(imported module, line, whether at module level) for every import in the file."""
    tree = ast.parse(path.read_text(), str(path))
    top = {id(n) for n in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from graphc import dtypes` imports the module graphc.dtypes, not the package
            names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in KNOWN else node.module
                     for a in node.names]
        else:
            continue
        for name in names:
            yield name, node.lineno, id(node) in top


def _layer(module: str) -> str:
    for layer in ("graphc.passes", "graphc.backends"):
        if module == layer or module.startswith(layer + "."):
            return layer
    if module in USER_API or module.startswith(tuple(p + "." for p in USER_API_PACKAGES)) \
            or module in USER_API_PACKAGES:
        return "user"
    return "ir" if module.startswith("graphc") else "outside"


def _violation(importer: str, imported: str, top_level: bool) -> str | None:
    """Why `importer` may not import `imported` (at module level or not), or None if it may."""
    source, target = _layer(importer), _layer(imported)
    if target not in ("graphc.passes", "graphc.backends") or target == source:
        return None
    if source == "user":
        return "the user API imports passes and backends lazily" if top_level else None
    if (source, target) == ("graphc.backends", "graphc.passes") and importer == REGISTRY:
        return None
    return f"{source} must not import {target}"


@pytest.mark.parametrize("module,path", list(_modules()), ids=lambda v: v if isinstance(v, str) else "")
def test_imports_follow_the_layers(module, path):
    bad = [f"{path.relative_to(ROOT)}:{line}: {module} imports {name}: {why}"
           for name, line, top in _imports(path)
           if (why := _violation(module, name, top))]
    assert not bad, "\n".join(bad)


def test_the_checker_sees_a_violation():
    assert _violation("graphc.passes.fuse", "graphc.backends.llvm", False) == \
        "graphc.passes must not import graphc.backends"
    assert _violation("graphc.ops", "graphc.passes.rewrite", False) == "ir must not import graphc.passes"
    assert _violation("graphc.function", "graphc.backends", True) == \
        "the user API imports passes and backends lazily"
    assert _violation("graphc.backends.llvm", "graphc.passes.fuse", False) == \
        "graphc.backends must not import graphc.passes"
    assert _violation("graphc.function", "graphc.backends", False) is None  # lazily: allowed
    assert _violation("graphc.backends", "graphc.passes", False) is None  # the registry
