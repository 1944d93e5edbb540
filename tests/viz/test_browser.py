"""The explorer in a real browser: headless Chromium loads generated pages, and the tests read
the DOM after its scripts ran. Skipped where Chromium is absent (CI's script installs it)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import graphc
from graphc.graph import Graph
from graphc.viz.headless import Page, find_chromium
from graphc.viz.html import explore, page
from graphc.viz.schema import to_document

pytestmark = pytest.mark.skipif(
    find_chromium() is None, reason="no Chromium: install Debian's chromium package to run the browser tests")


@pytest.fixture(scope="module")
def browser():
    with Page(width=1300, height=850) as tab:
        yield tab


@pytest.fixture
def show(browser, tmp_path):
    """Open the explorer of a subject; returns its JSON document. No console errors allowed."""
    def open_page(subject, **options):
        stages = explore(subject, **options)
        path = tmp_path / "page.html"
        path.write_text(page(stages), encoding="utf-8")
        browser.errors.clear()
        browser.open(path)
        browser.run("window.graphc.ready")
        return to_document(stages, values=False)

    yield open_page
    assert browser.errors == []


def _drawn_keys(browser) -> list[str]:
    return browser.run("[...document.querySelectorAll('#canvas g.node')].map(g => g.dataset.key)")


def _click(browser, key: str) -> None:
    browser.run(f"document.querySelector('#canvas g.node[data-key=\"{key}\"]')"
                ".dispatchEvent(new MouseEvent('click', {bubbles: true})); window.graphc.idle()")


def _softmax_with_gradient():
    x = graphc.placeholder("x", ("n", 8))
    with graphc.scope("model"):
        y = graphc.softmax(x, -1)
        loss = graphc.sum(y * y)
    return Graph([x], [y, loss, graphc.grad(loss, x)])


def test_every_node_of_a_small_graph_is_drawn(browser, show):
    graph = _softmax_with_gradient()
    doc = show(graph)
    expected = [str(n) for n in doc["graphs"][0]["nodes"] if doc["nodes"][n]["op"] != "scalar"]
    assert sorted(_drawn_keys(browser)) == sorted(expected)
    assert browser.run("document.body.dataset.drawn") == str(len(expected))
    gradient = browser.run("[...document.querySelectorAll('#canvas g.cluster text')].map(t => t.textContent)")
    assert "grad" in gradient and "model" in gradient


def test_search_finds_a_node_by_name_and_selects_it(browser, show):
    doc = show(_softmax_with_gradient())
    browser.run("""(() => { const box = document.getElementById('search'); box.value = 'loss';
        box.dispatchEvent(new Event('input'));
        box.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter'})); return window.graphc.idle(); })()""")
    loss = next(n for n in doc["nodes"] if n.get("name") == "loss")
    assert browser.run("document.body.dataset.matches") == "1"
    assert browser.run("document.querySelector('#canvas g.node.selected').dataset.key") == str(loss["id"])
    assert browser.run("document.querySelector('#panel h2').textContent").startswith("loss = sum")
    assert browser.run("document.querySelector('#results li').textContent").startswith("loss = sum")


def _keys_of(browser, cls: str) -> list[str]:
    script = f"[...document.querySelectorAll('#canvas g.node.{cls}')].map(g => g.dataset.key)"
    return sorted(browser.run(script))


def test_stepping_the_timeline_highlights_the_rewritten_nodes(browser, show):
    x = graphc.placeholder("x", ("n",))
    graph = Graph([x], [graphc.exp(x ** 2.0) + 1.0])
    doc = show(graph, passes="simplify")
    step = doc["steps"][1]
    assert len(step["rewritten"]) == 1 and len(step["rebuilt"]) == 2  # pow -> mul; exp and add rebuilt
    browser.run("window.graphc.step(0)")
    assert _keys_of(browser, "rewritten") == _keys_of(browser, "rebuilt") == []
    browser.run("document.querySelector('#timeline .step[data-step=\"1\"]').click(); window.graphc.idle()")
    assert _keys_of(browser, "rewritten") == [str(new) for new, _ in step["rewritten"]]
    assert _keys_of(browser, "rebuilt") == sorted(str(new) for new, _ in step["rebuilt"])
    summary = browser.run("document.getElementById('panel').textContent")
    assert "Rewritten (1)mul from pow(·, 2.0)" in summary and "Operands replaced (2)" in summary
    assert f"Removed ({len(step['removed'])})" in summary
    browser.run("document.querySelector('#changes input').click(); window.graphc.idle()")
    assert _keys_of(browser, "rewritten") == []  # the outlines can be turned off


def test_a_kernel_opens_on_a_click_and_shows_its_code(browser, show):
    x = graphc.placeholder("x", ("n", 8))
    f = graphc.function([x], graphc.softmax(x, -1))
    doc = show(f)
    kernel = str(doc["kernels"][0]["node"])
    browser.run("document.getElementById('collapse').click(); window.graphc.idle()")
    assert kernel in _drawn_keys(browser) and len(_drawn_keys(browser)) == 2  # x and the kernel
    _click(browser, kernel)
    body = doc["graphs"][doc["nodes"][int(kernel)]["attrs"]["body"]["graph"]]
    inside = [k for k in _drawn_keys(browser) if k.startswith(kernel + "/")]
    assert len(inside) == sum(doc["nodes"][n]["op"] != "scalar" for n in body["nodes"])
    panel = browser.run("document.getElementById('panel').textContent")
    assert "Generated LLVM IR" in panel and 'define void @"kernel0_' in panel


def test_the_kernel_time_overlay_labels_kernels_with_their_time(browser, show):
    x = graphc.placeholder("x", ("n",))
    show(graphc.exp(x) * 2.0, backend="llvm", profile=[np.ones(1000, np.float32)])
    assert browser.run("document.getElementById('times').hidden") is False
    browser.run("document.querySelector('#times input').click(); window.graphc.idle()")
    labels = browser.run("document.getElementById('canvas').textContent")
    assert "µs" in labels or " ms" in labels


def test_a_large_graph_opens_as_a_few_blocks_that_open_on_a_click(browser, show):
    x = graphc.placeholder("x", ("n",))
    y = x
    for _ in range(1500):
        y = graphc.sin(y)
    doc = show(Graph([x], [y]))
    assert len(doc["nodes"]) == 1501
    drawn = _drawn_keys(browser)
    assert len(drawn) < 250 and sum(k.startswith("g:b:") for k in drawn) >= 5
    _click(browser, next(k for k in drawn if k.startswith("g:b:")))
    assert len(_drawn_keys(browser)) == len(drawn) + 149  # a block of 150 nodes stands for one box


def test_a_name_cannot_inject_markup_into_the_page(browser, show):
    x = graphc.placeholder('<img src=x onerror="document.title=1">', (3,))
    doc = show(graphc.exp(x))
    browser.run(f"window.graphc.select('{doc['graphs'][0]['inputs'][0]}')")
    assert browser.run("document.querySelectorAll('img').length") == 0
    assert "<img" in browser.run("document.querySelector('#panel h2').textContent")
    assert json.dumps(browser.run("document.title")).startswith('"graphc')


def test_a_step_summary_lists_each_added_node_once(browser, show):
    x = graphc.placeholder("x", ("n", 8))
    y = graphc.softmax(x, -1)
    doc = show(graphc.function([x], [y, graphc.grad(graphc.sum(y * y), x)]))
    last = len(doc["steps"]) - 1
    browser.run(f"document.querySelector('#timeline .step[data-step=\"{last}\"]').click();"
                " window.graphc.idle()")
    added = doc["steps"][last]["added"]
    drawn = [i for i in added if doc["nodes"][i]["op"] != "scalar"]
    items = browser.run("""(() => { const h = [...document.querySelectorAll('#panel h3')]
        .find(e => e.textContent.startsWith('Added (')); return [h.textContent,
        h.parentElement.querySelectorAll('li').length]; })()""")
    assert items == [f"Added ({len(added)})", len(drawn)]
