"""No pass changes what a graph computes: before and after agree on random inputs (NumPy backend).

Agreement is exact: the same dtype, shape and values, NaN where NaN (`+0.0` and `-0.0` count
as equal, see passes/simplify.py).
"""

from __future__ import annotations

import numpy as np
import pytest

import graphc as gc
from graphc import Graph, passes
from graphc.backends import compile as compile_graph
from tests.passes.corpus import CORPUS, random_inputs

PIPELINES = ["canonicalize", "simplify", "fold-constants", "cse", "dce", "-O1", "-O2", "sympy-simplify"]
EXECUTABLE = sorted(CORPUS)


def assert_same_results(before: Graph, after: Graph, args: list) -> None:
    expected = compile_graph(before)(*args)
    actual = compile_graph(after)(*args)
    assert len(expected) == len(actual)
    for k, (a, b) in enumerate(zip(expected, actual)):
        assert (a.dtype, a.shape) == (b.dtype, b.shape), f"output {k}"
        np.testing.assert_array_equal(a, b, err_msg=f"output {k}")


@pytest.mark.parametrize("pipeline", PIPELINES)
@pytest.mark.parametrize("name", EXECUTABLE)
def test_pass_keeps_results_of_corpus_graph(name, pipeline):
    graph = CORPUS[name]()
    optimised = passes.run(graph, pipeline)
    assert_same_results(graph, optimised, random_inputs(graph, np.random.default_rng(7)))


SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, np.nan, np.inf, -np.inf, 0.5, 3.0], np.float32)


def random_graph(seed: int) -> Graph:
    """A random expression over x and y full of the literals that rewrite rules look for."""
    rng = np.random.default_rng(seed)
    x, y = gc.placeholder("x", (3, 4)), gc.placeholder("y", (4,))
    c = gc.placeholder("c", (3, 4), gc.bool_)
    values = [x, y, x * 1, y + 0]
    literals = [0.0, 1.0, -1.0, 2.0, -0.0]
    for _ in range(12):
        a = values[rng.integers(len(values))]
        b = values[rng.integers(len(values))]
        lit = literals[rng.integers(len(literals))]
        choice = rng.integers(17)
        if choice == 0:
            v = a + lit
        elif choice == 1:
            v = lit * a
        elif choice == 2:
            v = a - b
        elif choice == 3:
            v = gc.neg(gc.neg(a))
        elif choice == 4:
            v = a / 1.0
        elif choice == 5:
            v = gc.where(c, a, b) if a.ndim == 2 or b.ndim == 2 else gc.where(True, a, b)
        elif choice == 6:
            v = gc.maximum(a, b) if rng.integers(2) else gc.minimum(a, a)
        elif choice == 7:
            v = gc.cast(gc.cast(a, gc.float64), gc.float32)
        elif choice == 8:
            v = gc.reshape(gc.reshape(a, (-1,)), a.shape)
        elif choice == 9:
            v = gc.permute(gc.permute(a, 1, 0), 1, 0) if a.ndim == 2 else gc.exp(a)
        elif choice == 10:
            v = gc.broadcast_to(gc.full((), lit), (3, 4)) * a
        elif choice == 11:
            v = gc.abs(-a)
        elif choice == 12:
            v = gc.sum(a, ()) + gc.full(a.shape, 2.0) * 3.0
        elif choice == 13:
            v = gc.where(gc.full((), False), a, b)
        elif choice == 14:
            v = (a > b) & (b < a)
            v = gc.where(v, a, b)
        elif choice == 15:
            v = gc.relu(gc.relu(a)) * gc.full((), lit)
        else:
            v = a * b + b * a
        values.append(v)
    return Graph([x, y, c], values[-4:])


@pytest.mark.parametrize("pipeline", ["simplify", "canonicalize", "-O2", "sympy-simplify"])
@pytest.mark.parametrize("seed", range(20))
def test_pass_keeps_results_of_random_graph(seed, pipeline):
    graph = random_graph(seed)
    rng = np.random.default_rng(seed)
    args = [rng.choice(SPECIAL, (3, 4)), rng.choice(SPECIAL, (4,)), rng.random((3, 4)) > 0.5]
    assert_same_results(graph, passes.run(graph, pipeline), args)


def test_random_graphs_give_the_rules_work():
    """The random graphs above are only a test if rules fire on them."""
    fired = passes.Instrumentation(statistics=True)
    total = 0
    for seed in range(20):
        manager = passes.PassManager("simplify", fired)
        fired.out = open("/dev/null", "w")  # noqa: SIM115 - closed below
        manager.run(random_graph(seed))
        fired.out.close()
        total += sum(sum(r.statistics.values()) for r in manager.records)
    assert total >= 40
