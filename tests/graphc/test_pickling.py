"""A compiled Function pickles as its graph's text and compiles once per process on unpickling."""

import pickle

import numpy as np
import pytest

import graphc
from graphc.function import restore, restored_count


@pytest.mark.parametrize("backend", ["numpy", "llvm"])
def test_an_unpickled_function_computes_what_the_original_does(backend):
    x = graphc.placeholder("x", ("n", 3))
    f = graphc.function([x], [graphc.softmax(x, -1), graphc.sum(graphc.sin(x) * 2.5)], backend=backend)
    g = pickle.loads(pickle.dumps(f))
    values = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    for got, want in zip(g(values), f(values)):
        np.testing.assert_array_equal(got, want)
    assert g.backend == backend and g.passes == f.passes and str(g.graph) == str(f.graph)


def test_a_function_of_one_output_still_returns_one_array():
    x = graphc.placeholder("x", (4,))
    g = pickle.loads(pickle.dumps(graphc.function([x], graphc.exp(x))))
    assert isinstance(g(np.zeros(4, np.float32)), np.ndarray)
    h = pickle.loads(pickle.dumps(graphc.function([x], [graphc.exp(x)])))
    assert isinstance(h(np.zeros(4, np.float32)), list)


def test_unpickling_the_same_function_again_compiles_nothing():
    x = graphc.placeholder("x", (6,))
    data = pickle.dumps(graphc.function([x], graphc.tanh(x) * 7.25))  # a graph no other test has
    before = restored_count()
    first = pickle.loads(data)
    assert restored_count() == before + 1
    second = pickle.loads(data)
    assert restored_count() == before + 1
    assert first.executable is second.executable


def test_a_parameter_travels_by_value():
    x = graphc.placeholder("x", (3,))
    weights = np.array([1.0, 2.0, 3.0], np.float32)
    g = pickle.loads(pickle.dumps(graphc.function([x], x * graphc.parameter(weights))))
    weights[:] = 0  # the pickle holds the values it was made with
    np.testing.assert_array_equal(g(np.ones(3, np.float32)), [1, 2, 3])


def test_restore_refuses_text_that_is_not_a_graph():
    with pytest.raises(graphc.ParseError):
        restore("graph(%x: f32[3]) {\n  return %y\n}", "llvm")
