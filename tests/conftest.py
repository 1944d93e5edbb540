"""Every test runs with verify-each on, and every graph a test builds must round-trip as text."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

import graphc.passes.manager as pass_manager
from graphc.graph import Graph, GraphError
from graphc.parser import ParseError, parse

# Everything a test run writes (compiled objects, reproducers, dumps, files of the processes
# it starts) goes to one scratch folder, removed when the run ends; the user's cache is untouched.
SCRATCH = tempfile.mkdtemp(prefix="graphc-tests-")
os.environ.setdefault("GRAPHC_CACHE_DIR", os.path.join(SCRATCH, "cache"))
os.environ["TMPDIR"] = tempfile.tempdir = SCRATCH


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(SCRATCH, ignore_errors=True)

ROUND_TRIP_LIMIT = 3000  # larger graphs (kernel bodies counted) are left to the scaling tests


def _size(graph: Graph) -> int:
    return len(graph.nodes) + sum(len(n.attr("body").nodes) for n in graph.nodes if n.op == "kernel")


@pytest.fixture(autouse=True)
def verify_each(monkeypatch):
    monkeypatch.setattr(pass_manager, "VERIFY_EACH_DEFAULT", True)


@pytest.fixture(autouse=True)
def every_graph_round_trips(monkeypatch):
    """Record the graphs built during the test and check `print(parse(print(g))) == print(g)`."""
    built: list[Graph] = []
    original = Graph.__init__

    def recording_init(self, inputs, outputs):
        original(self, inputs, outputs)
        if _size(self) <= ROUND_TRIP_LIMIT:
            built.append(self)

    monkeypatch.setattr(Graph, "__init__", recording_init)
    yield
    monkeypatch.setattr(Graph, "__init__", original)
    seen: set[str] = set()
    for graph in built:
        text = str(graph)
        if text not in seen:
            seen.add(text)
            try:
                parsed = parse(text)
            except ParseError:
                # only a graph Graph.verify refuses may fail to parse: a kernel body printed on
                # its own (its sizes bound by the kernel's operands; its kernel's text round-trips)
                with pytest.raises(GraphError):
                    graph.verify()
                continue
            assert str(parsed) == text, f"this graph does not round-trip:\n{text}"
