"""Boolean-mask selection on symbolic tensors (graphc/indexing.py, the `nonzero` primitive):
`x[mask]`, `masked_select`, `nonzero`, `argwhere` have a data-dependent length, a size symbol
that the `nonzero` node binds when it runs. Values against NumPy at several sizes (with
all-false and all-true masks), gradients against the hand-derived rule and finite
differences, the text form, and the errors where such a size cannot be used."""

import numpy as np
import pytest

import graphc as gc
from graphc.backends import compile as compile_graph
from graphc.graph import Graph, GraphError
from graphc.ops import GraphBuildError
from graphc.parser import ParseError, parse
from graphc.shapes import data_dependent

BACKENDS = ("numpy", "llvm")
SIZES = (0, 1, 7, 33)


def _vectors(n: int, seed: int = 0):
    """A random vector, and ones whose masks `> 0` are all false and all true."""
    v = np.random.default_rng(seed).standard_normal(n)
    return (v, -np.abs(v) - 1, np.abs(v) + 1)


@pytest.mark.parametrize("backend", BACKENDS)
def test_selecting_by_a_symbolic_mask_matches_numpy(backend):
    x = gc.placeholder("x", ("n",), gc.float64)
    mask = x > 0
    outs = [x[mask], gc.masked_select(x, mask), gc.nonzero(mask), gc.argwhere(x > 0),
            gc.nonzero(x, as_tuple=True)[0], x[mask] * 2 + 1]
    f = gc.function([x], outs, backend=backend)
    for n in SIZES:
        for v in _vectors(n, n):
            want = [v[v > 0], v[v > 0], np.argwhere(v > 0), np.argwhere(v > 0), np.nonzero(v)[0],
                    v[v > 0] * 2 + 1]
            for got, w in zip(f(v), want):
                assert got.shape == w.shape
                np.testing.assert_array_equal(got, w)


@pytest.mark.parametrize("backend", BACKENDS)
def test_masks_of_several_dimensions_and_in_any_position_match_numpy(backend):
    x = gc.placeholder("x", ("n", 4), gc.float32)
    r = gc.placeholder("r", ("n",), gc.float32)
    c = gc.placeholder("c", (4,), gc.float32)
    outs = [x[x > 0], x[r > 0], x[:, c > 0], x[r > 0, 1], x[r > 0, 1:3], gc.nonzero(x > 0.5),
            gc.masked_select(x, c > 0), gc.nonzero(x > 0, as_tuple=True)[1]]
    f = gc.function([x, r, c], outs, backend=backend)
    for n in SIZES:
        rng = np.random.default_rng(n)
        a = rng.standard_normal((n, 4)).astype(np.float32)
        for rv, cv in ((rng.standard_normal(n), rng.standard_normal(4)), (-np.ones(n), -np.ones(4)),
                       (np.ones(n), np.ones(4))):
            rv, cv = rv.astype(np.float32), cv.astype(np.float32)
            want = [a[a > 0], a[rv > 0], a[:, cv > 0], a[rv > 0, 1], a[rv > 0, 1:3],
                    np.argwhere(a > 0.5), a[np.broadcast_to(cv > 0, a.shape)], np.nonzero(a > 0)[1]]
            for k, (got, w) in enumerate(zip(f(a, rv, cv), want)):
                assert got.shape == w.shape, k
                np.testing.assert_array_equal(got, w)


@pytest.mark.parametrize("backend", BACKENDS)
def test_grad_of_the_sum_of_squares_of_the_positive_elements_is_2x_where_positive(backend):
    x = gc.placeholder("x", ("n",), gc.float64)
    loss = gc.sum(x[x > 0] ** 2)
    f = gc.function([x], [loss, gc.grad(loss, x)], backend=backend)
    for n in SIZES:
        for v in _vectors(n, n + 1):
            value, grad = f(v)
            np.testing.assert_allclose(value, np.sum(v[v > 0] ** 2))
            np.testing.assert_allclose(grad, 2 * v * (v > 0))


@pytest.mark.parametrize("backend", BACKENDS)
def test_gradients_through_masks_match_finite_differences(backend):
    x = gc.placeholder("x", ("n", 3), gc.float64)
    r = gc.placeholder("r", ("n",), gc.float64)
    loss = gc.sum(gc.sin(x[x > 0.2]) * 3) + gc.sum(x[r > 0] ** 3) + gc.sum(gc.masked_select(x, x < -1) * 2)
    f = gc.function([x, r], [loss, gc.grad(loss, x)], backend=backend)
    value = gc.function([x, r], [loss], backend="numpy")
    rng = np.random.default_rng(5)
    for n in (1, 4, 9):
        a, rv = rng.standard_normal((n, 3)), rng.standard_normal(n)
        a[np.abs(np.abs(a) - 0.2) < 1e-3] += 0.01  # keep the masks still under a small step
        a[np.abs(a + 1) < 1e-3] += 0.01
        _, grad = f(a, rv)
        eps, numeric = 1e-6, np.zeros_like(a)
        for i in np.ndindex(a.shape):
            up, down = a.copy(), a.copy()
            up[i] += eps
            down[i] -= eps
            numeric[i] = (value(up, rv)[0] - value(down, rv)[0]) / (2 * eps)
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-6)


def test_eager_nonzero_and_masked_select_match_numpy():
    a = np.array([[0.0, 1.5, -2.0], [3.0, 0.0, 0.0]])
    t = gc.tensor(a)
    np.testing.assert_array_equal(gc.nonzero(t).numpy(), np.argwhere(a))
    np.testing.assert_array_equal(t.argwhere().numpy(), np.argwhere(a))
    for got, w in zip(gc.nonzero(t, as_tuple=True), np.nonzero(a)):
        np.testing.assert_array_equal(got.numpy(), w)
    np.testing.assert_array_equal(t.masked_select(t > 0).numpy(), a[a > 0])
    assert gc.nonzero(gc.tensor(np.zeros((0, 2)))).shape == (0, 2)


def test_one_mask_gives_one_size_so_its_selections_combine():
    x = gc.placeholder("x", ("n",), gc.float64)
    y = gc.placeholder("y", ("n",), gc.float64)
    mask = x > y
    both = x[mask] * y[mask]
    (size,) = data_dependent(tuple(both.node.shape))
    assert str(size).startswith("nz")
    f = gc.function([x, y], [both])
    a, b = np.array([1.0, 2.0, 3.0, -1.0]), np.array([0.0, 5.0, 1.0, -2.0])
    np.testing.assert_array_equal(f(a, b)[0], a[a > b] * b[a > b])


def test_different_masks_get_different_sizes_and_do_not_broadcast():
    x = gc.placeholder("x", ("n",), gc.float64)
    a, b = x[x > 0], x[x < 0]
    assert data_dependent(tuple(a.node.shape)) != data_dependent(tuple(b.node.shape))
    bound_here = r"data-dependent: bound when nonzero created at .*test_masks\.py"
    with pytest.raises(GraphBuildError, match=bound_here):
        a + b


def test_a_data_dependent_size_cannot_be_reshaped_to_a_static_one():
    x = gc.placeholder("x", ("n",), gc.float64)
    picked = x[x > 0]
    (size,) = data_dependent(tuple(picked.node.shape))
    with pytest.raises(GraphBuildError, match=rf"reshape.*the size {size} \(data-dependent"):
        picked.reshape((3,))
    with pytest.raises(GraphBuildError, match=rf"size {size} \(data-dependent"):
        picked + gc.placeholder("w", (3,), gc.float64)
    assert tuple(picked.reshape((1, size)).shape) == (1, size)  # a shape made of that size is fine


def test_a_placeholder_cannot_take_the_name_of_a_data_dependent_size():
    x = gc.placeholder("x", ("n",), gc.float64)
    (size,) = data_dependent(tuple(x[x > 0].node.shape))
    with pytest.raises(ValueError, match=rf"'{size}' already names a data-dependent size"):
        gc.placeholder("y", (str(size),), gc.float64)


def test_jacobian_of_a_data_dependent_shape_names_the_size():
    x = gc.placeholder("x", (4,), gc.float64)
    picked = x[x > 0]
    (size,) = data_dependent(tuple(picked.node.shape))
    with pytest.raises(ValueError, match=rf"jacobian needs a static shape.*size {size} \(data-dependent"):
        gc.jacobian(picked, x)


def test_a_mask_that_does_not_fit_the_tensor_is_refused():
    x = gc.placeholder("x", ("n", 4), gc.float64)
    with pytest.raises(GraphBuildError, match=r"mask of shape \[3\] does not match"):
        x[:, gc.placeholder("m", (3,), gc.bool)]
    with pytest.raises(GraphBuildError, match="expects a bool operand"):
        gc.ops.make("nonzero", (x._node,), size=gc.shapes.symbol("k"))


def test_the_text_form_round_trips_with_the_fresh_size():
    x = gc.placeholder("x", ("n", 3), gc.float32)
    graph = Graph([x], [x[x > 0], gc.nonzero(x < 1)])
    text = str(graph)
    assert "nonzero" in text and "{size=nz" in text
    again = parse(text)
    again.verify()
    assert str(again) == text


def test_a_parsed_nonzero_binds_its_size_once():
    text = ("graph(%m: bool[n]) {\n  %0 = nonzero %m {size=nz970001} : i64[nz970001, 1]\n"
            "  %1 = getitem %0 {index=[[none, none, none], 0]} : i64[nz970001]\n  return %1\n}")
    graph = parse(text)
    assert str(graph) == text
    for backend in BACKENDS:
        f = compile_graph(graph, backend)
        np.testing.assert_array_equal(f(np.array([True, False, True]))[0], [0, 2])
    again = "  %2 = nonzero %m {size=nz970001} : i64[nz970001, 1]\n  return %1, %2"
    twice = text.replace("  return %1", again)
    with pytest.raises(ParseError, match="size nz970001 is already bound"):
        parse(twice)
    by_input = text.replace("%m: bool[n]", "%m: bool[nz970001]")
    with pytest.raises(ParseError, match="size nz970001 is already bound"):
        parse(by_input)


def test_verify_refuses_a_size_bound_by_an_input_and_a_node(monkeypatch):
    monkeypatch.undo()  # this graph cannot round-trip: the parser refuses it (the test above)
    m = gc.placeholder("m", ("nz980001",), gc.bool)
    node = gc.ops.make("nonzero", (m._node,), size=gc.shapes.symbol("nz980001"))
    with pytest.raises(GraphError, match="binds the data-dependent size nz980001"):
        Graph([m], [node]).verify()


def test_dask_binds_the_count_when_it_lowers_the_graph():
    da = pytest.importorskip("dask.array")
    import dask

    import graphc.dask as gdask

    x = gc.placeholder("x", ("n",), gc.float64)
    loss = gc.sum(x[x > 0] ** 2)
    f = gdask.compile(gc.function([x], [loss, x[x > 0] + 1, gc.grad(loss, x)]))
    for v in _vectors(10, 3):
        with dask.config.set(scheduler="synchronous"):
            got = dask.compute(*f(da.from_array(v, chunks=3)))
        np.testing.assert_allclose(got[0], np.sum(v[v > 0] ** 2))
        np.testing.assert_array_equal(got[1], v[v > 0] + 1)
        np.testing.assert_allclose(got[2], 2 * v * (v > 0))


@pytest.mark.parametrize("backend", BACKENDS)
def test_masks_after_an_ellipsis_or_over_leading_dimensions_match_numpy(backend):
    x = gc.placeholder("x", ("n", 3, 4), gc.float64)
    c = gc.placeholder("c", (4,), gc.bool)
    m = gc.placeholder("m", ("n", 3), gc.bool)
    outs = [x[..., c], x[m], x[m, 1:3], x[:, 1][m[:, 0]], x[1:][m[1:]], gc.masked_select(x, c)]
    f = gc.function([x, c, m], outs, backend=backend)
    for n in (0, 1, 5):
        rng = np.random.default_rng(n)
        a = rng.standard_normal((n, 3, 4))
        masks = [(rng.random(4) < 0.5, rng.random((n, 3)) < 0.5),
                 (np.zeros(4, bool), np.zeros((n, 3), bool)), (np.ones(4, bool), np.ones((n, 3), bool))]
        for cv, mv in masks:
            want = [a[..., cv], a[mv], a[mv, 1:3], a[:, 1][mv[:, 0]], a[1:][mv[1:]],
                    a[np.broadcast_to(cv, a.shape)]]
            for k, (got, w) in enumerate(zip(f(a, cv, mv), want)):
                assert got.shape == w.shape, k
                np.testing.assert_array_equal(got, w)
