"""Indexing (graphc/indexing.py): integer arrays and boolean masks as NumPy, functional index
assignment, gather/scatter as torch, sort/argsort/topk; on every CPU backend, eager and
symbolic, with gradients checked against finite differences or hand-derived ones."""

import numpy as np
import pytest

import graphc as gc
from graphc.ops import GraphBuildError

BACKENDS = ("numpy", "llvm")
A = np.arange(60.0).reshape(3, 4, 5) * 0.5 - 7

# Indices NumPy reads as advanced (arrays, masks) mixed with basic ones.
INDICES = [
    ([0, 2, 0],), (slice(None), [1, 3]), ([0, 1], [1, 2]), (0, slice(None), [1, -1]),
    ([[0], [2]], slice(1, 3), [1, 4]), (slice(None), [0, 1], [2, 3]), (Ellipsis, [4, 0]),
    (None, [1], 1), (np.array([True, False, True]),), (A > 10,), (slice(None), A[0] > -5),
    ([[0, 1], [2, 0]],), (slice(None, None, -1), [0, 0, 3]), (1, [0, 1], [2, 3]),
    ([0, 1], slice(None), [2, 3]), ([],), (np.array([-3, 2]), slice(None, None, 2)),
]


@pytest.mark.parametrize("index", INDICES, ids=range(len(INDICES)))
def test_eager_indexing_and_assignment_match_numpy(index):
    t = gc.tensor(A)
    expected = A[index]
    got = t[index].numpy()
    assert got.shape == expected.shape and np.array_equal(got, expected)
    values = np.random.default_rng(0).standard_normal(expected.shape)
    for value in (values, 2.5):
        want = A.copy()
        want[index] = value
        s = gc.tensor(A)
        s[index] = gc.tensor(value) if isinstance(value, np.ndarray) else value
        assert np.array_equal(s.numpy(), want)


@pytest.mark.parametrize("backend", BACKENDS)
def test_symbolic_integer_array_indexing_matches_numpy(backend):
    x = gc.placeholder("x", ("n", 4), gc.float64)
    i = gc.placeholder("i", ("m",), gc.int64)
    outs = [x[i], x[:, [3, 0, 3]], x[i, 1:3], x[1:, [0, -1]], x[[0, 1], [2, 3]], x[::-1][i]]
    f = gc.function([x, i], outs, backend=backend)
    for n, idx in ((5, [4, -5, 0, 2]), (3, [1])):
        a = np.random.default_rng(n).standard_normal((n, 4))
        ix = np.array(idx)
        want = [a[ix], a[:, [3, 0, 3]], a[ix, 1:3], a[1:, [0, -1]], a[[0, 1], [2, 3]], a[::-1][ix]]
        for got, w in zip(f(a, ix), want):
            np.testing.assert_array_equal(got, w)


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_index_out_of_range_is_an_index_error_at_run_time(backend):
    x = gc.placeholder("x", ("n",), gc.float64)
    i = gc.placeholder("i", (2,), gc.int64)
    f = gc.function([x, i], [x[i]], backend=backend)
    with pytest.raises(IndexError, match="out of bounds"):
        f(np.zeros(3), np.array([0, 3]))
    g = gc.function([x, i], [gc.index_put(x, (i,), 1.0)], backend=backend)
    with pytest.raises(IndexError, match="out of bounds"):
        g(np.zeros(3), np.array([-4, 0]))


def test_several_index_arrays_assign_with_a_component_out_of_range_refused():
    x = gc.placeholder("x", (3, 4), gc.float64)
    i, j = gc.placeholder("i", (2,), gc.int64), gc.placeholder("j", (2,), gc.int64)
    f = gc.function([x, i, j], [gc.index_put(x, (i, j), 1.0)], backend="numpy")
    a = np.zeros((3, 4))
    want = a.copy()
    want[[0, -1], [-4, 3]] = 1.0
    np.testing.assert_array_equal(f(a, np.array([0, -1]), np.array([-4, 3]))[0], want)
    with pytest.raises(IndexError):  # (0, 4) would land on (1, 0) of the flattened array
        f(a, np.array([0, 0]), np.array([4, 0]))


@pytest.mark.parametrize("backend", BACKENDS)
def test_gather_and_scatter_follow_torch(backend):
    x = gc.placeholder("x", (3, 4), gc.float64)
    i = gc.placeholder("i", (2, 4), gc.int64)
    s = gc.placeholder("s", (2, 4), gc.float64)
    outs = [gc.gather(x, 1, i), gc.gather(x, 0, i), gc.scatter(x, 0, i[:, :3], s),
            gc.scatter_add(x, 0, i, s), gc.scatter(x, 1, i, -1.0), x.scatter_add(1, i, s[:, :4])]
    f = gc.function([x, i, s], outs, backend=backend)
    a = np.arange(12.0).reshape(3, 4)
    idx = np.array([[2, 0, 1, 2], [0, 0, 2, 1]])
    src = np.arange(8.0).reshape(2, 4) + 100
    rows, cols = np.indices(idx.shape)
    want = [a[rows, idx], a[idx, cols]]
    w = a.copy()
    w[idx[:, :3], cols[:, :3]] = src[:, :3]
    want.append(w)
    w = a.copy()
    np.add.at(w, (idx, cols), src)
    want.append(w)
    w = a.copy()
    w[rows, idx] = -1.0
    want.append(w)
    w = a.copy()
    np.add.at(w, (rows, idx), src)
    want.append(w)
    for got, w in zip(f(a, idx, src), want):
        np.testing.assert_array_equal(got, w)


def test_a_repeated_index_takes_the_last_write_as_numpy():
    t = gc.scatter(gc.zeros(3), 0, gc.tensor([1, 1, 1]), gc.tensor([5.0, 6.0, 7.0]))
    want = np.zeros(3, np.float32)
    want[[1, 1, 1]] = [5, 6, 7]
    np.testing.assert_array_equal(t.numpy(), want)


# Ties and NaN: NumPy's stable sort, and torch's descending (NaN first, ties in order).
SORTABLE = np.array([[3.0, np.nan, 1.0, 3.0, -0.0, 0.0, 1.0], [2.0, 2.0, 2.0, -1.0, np.nan, np.nan, 5.0]])


def _descending_stable(a, axis):
    """Torch's stable descending order: by value descending, NaN first, ties by position."""
    a = a.astype(np.float64)
    keyed = np.where(np.isnan(a), -np.inf, -a)
    return np.argsort(keyed, axis=axis, kind="stable")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [gc.float64, gc.float32, gc.int32, gc.bool_])
def test_argsort_and_sort_are_stable_as_numpy(backend, dtype):
    a = SORTABLE if dtype.is_floating_point else np.nan_to_num(SORTABLE, nan=7.0)
    a = a.astype(dtype.numpy) if dtype is not gc.bool_ else a > 1.5
    x = gc.placeholder("x", a.shape, dtype)
    outs = [gc.argsort(x), gc.argsort(x, 0), gc.argsort(x, descending=True), gc.sort(x, 0).values,
            gc.sort(x, descending=True).indices]
    f = gc.function([x], outs, backend=backend)
    got = f(a)
    np.testing.assert_array_equal(got[0], np.argsort(a, axis=-1, kind="stable"))
    np.testing.assert_array_equal(got[1], np.argsort(a, axis=0, kind="stable"))
    np.testing.assert_array_equal(got[2], _descending_stable(a, -1))
    np.testing.assert_array_equal(got[3], np.sort(a, axis=0, kind="stable"))
    np.testing.assert_array_equal(got[4], _descending_stable(a, -1))


@pytest.mark.parametrize("backend", BACKENDS)
def test_topk_gives_the_first_of_equal_elements(backend):
    a = np.array([[1.0, 5.0, 5.0, 2.0, 5.0], [0.0, -1.0, 0.0, 3.0, 3.0]])
    x = gc.placeholder("x", ("n", 5), gc.float64)
    top, low = gc.topk(x, 2), gc.topk(x, 3, dim=1, largest=False)
    f = gc.function([x], [top.values, top.indices, low.values, low.indices], backend=backend)
    order = _descending_stable(a, 1)[:, :2]
    up = np.argsort(a, axis=1, kind="stable")[:, :3]
    want = [np.take_along_axis(a, order, 1), order, np.take_along_axis(a, up, 1), up]
    for got, w in zip(f(a), want):
        np.testing.assert_array_equal(got, w)


def test_take_along_dim_and_index_select_match_numpy():
    a = np.random.default_rng(1).standard_normal((3, 4))
    idx = np.array([[0], [3], [1]])
    np.testing.assert_array_equal(gc.take_along_dim(gc.tensor(a), gc.tensor(idx), 1).numpy(),
                                  np.take_along_axis(a, idx, 1))
    np.testing.assert_array_equal(gc.take_along_dim(gc.tensor(a), gc.tensor([5, 0])).numpy(),
                                  np.take(a, [5, 0]))
    np.testing.assert_array_equal(gc.index_select(gc.tensor(a), 1, gc.tensor([3, 3, 0])).numpy(),
                                  a[:, [3, 3, 0]])


# ------------------------------------------------------------------------------ gradients

def _numeric_grad(f, a, eps=1e-6):
    g = np.zeros_like(a)
    for k in np.ndindex(a.shape):
        up, down = a.copy(), a.copy()
        up[k] += eps
        down[k] -= eps
        g[k] = (f(up) - f(down)) / (2 * eps)
    return g


GRADIENT_CASES = {
    "array index": lambda x: gc.sum(gc.sin(x[[0, 2, 0], 1:]) * 1.5),
    "two arrays": lambda x: gc.sum(x[[0, 1, 0], [-1, 2, -1]] ** 2),
    "columns": lambda x: gc.sum(gc.exp(x[:, [3, 0, 3]])),
    "gather": lambda x: gc.sum(gc.gather(x, 1, gc.tensor([[0, 0], [3, 1], [2, 2]])) ** 3),
    "scatter": lambda x: gc.sum(gc.scatter(x, 1, gc.tensor([[0, 0], [3, 1]]), x[:2, 1:3] * 2) ** 2),
    "scatter_add": lambda x: gc.sum(gc.scatter_add(x * x, 0, gc.tensor([[0, 2, 2, 0]]), x[1:2]) ** 2),
    "sort": lambda x: gc.sum(gc.sort(x, 1).values * gc.tensor([1.0, 2.0, 3.0, 4.0])),
    "topk": lambda x: gc.sum(gc.topk(x, 2, dim=0).values ** 2),
    "assignment": lambda x: gc.sum(gc.index_put(x, (slice(None), [1, 2]), x[:, :2] * 3) ** 2),
    "strided": lambda x: gc.sum(x[::-2, 1::2] ** 2),
}


@pytest.mark.parametrize("case", sorted(GRADIENT_CASES))
def test_gradients_match_finite_differences(case):
    build = GRADIENT_CASES[case]
    a = np.random.default_rng(3).standard_normal((3, 4))
    x = gc.placeholder("x", (3, 4), gc.float64)
    y = build(x)
    f = gc.function([x], [y, gc.grad(y, x)], backend="numpy")
    _, got = f(a)
    np.testing.assert_allclose(got, _numeric_grad(lambda v: float(f(v)[0]), a), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_strided_and_reversed_slices_of_a_symbolic_dim_have_gradients(backend):
    x = gc.placeholder("x", ("n",), gc.float64)
    y = gc.sum(x[::2] * x[::2]) + gc.sum(x[::-3] * 3) + gc.sum(x[-2:0:-2] ** 3)
    f = gc.function([x], [y, gc.grad(y, x)], backend=backend)
    for n in (1, 5, 6, 7):
        v = np.arange(float(n)) - 2
        want = np.zeros(n)
        want[::2] += 2 * v[::2]
        want[::-3] += 3
        want[-2:0:-2] += 3 * v[-2:0:-2] ** 2
        np.testing.assert_allclose(f(v)[1], want)


def test_setitem_gradient_is_the_untouched_part_and_the_assigned_part():
    # d/dx sum((x with x[1:, ::2] = 3 w)^2) = 2 x outside the slice, 0 inside; d/dw = sum(6 (3w)).
    x = gc.placeholder("x", ("n", 4), gc.float64)
    w = gc.placeholder("w", (), gc.float64)
    y = gc.setitem(x, (slice(1, None), slice(None, None, 2)), w * 3)
    loss = gc.sum(y * y)
    f = gc.function([x, w], gc.grad(loss, [x, w]), backend="numpy")
    a = np.random.default_rng(0).standard_normal((3, 4))
    gx, gw = f(a, np.float64(0.5))
    want = 2 * a
    want[1:, ::2] = 0
    np.testing.assert_allclose(gx, want)
    np.testing.assert_allclose(gw, 2 * 1.5 * 3 * 4)


# ------------------------------------------------------------------- masks and assignment

def test_an_eager_mask_selects_and_differentiates():
    a = np.array([[1.0, -2.0], [3.0, -4.0]])
    x = gc.tensor(a, requires_grad=True)
    picked = x[x > 0]
    np.testing.assert_array_equal(picked.numpy(), a[a > 0])
    gc.sum(picked * picked).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.where(a > 0, 2 * a, 0))


def test_a_mask_computed_from_placeholders_selects_when_read_and_is_a_where_when_written():
    x = gc.placeholder("x", ("n", 3), gc.float64)
    picked = x[x > 0]  # a data-dependent length: tests/graphc/test_masks.py
    y = x * 1
    y[y > 0] = 0.0
    z = x * 1
    z[x[:, 0] > 0] = -1.0
    a = np.random.default_rng(0).standard_normal((4, 3))
    got = gc.function([x], [y, z, picked], backend="numpy")(a)
    np.testing.assert_array_equal(got[2], a[a > 0])
    want_z = a.copy()
    want_z[a[:, 0] > 0] = -1.0
    np.testing.assert_array_equal(got[0], np.where(a > 0, 0.0, a))
    np.testing.assert_array_equal(got[1], want_z)


def test_setitem_on_a_tensor_rebinds_it_and_leaves_earlier_results_alone():
    t = gc.tensor([1.0, 2.0, 3.0])
    before = t * 1
    t[0] = 5
    t[1:] += 1
    np.testing.assert_array_equal(t.numpy(), [5.0, 3.0, 4.0])
    np.testing.assert_array_equal(before.numpy(), [1.0, 2.0, 3.0])


def test_setitem_on_a_leaf_that_requires_grad_is_refused_as_torch():
    w = gc.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w[0] = 3.0
    with gc.no_grad():
        w[0] = 3.0
    np.testing.assert_array_equal(w.numpy(), [3.0, 2.0])


def test_gradient_flows_through_an_assigned_copy():
    w = gc.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = w * 2
    y[1] = w[0] * 10
    gc.sum(y).backward()
    np.testing.assert_array_equal(w.grad.numpy(), [12.0, 0.0, 2.0])


@pytest.mark.parametrize("bad, message", [
    (lambda t: t[[0.5]], "integers or bools"),
    (lambda t: t[[0], [1], [2]], "too many indices"),
    (lambda t: gc.gather(t, 0, gc.tensor([[0.0]])), "integer tensor"),
    (lambda t: gc.gather(t, 2, gc.tensor([[0]])), "out of range"),
    (lambda t: gc.gather(t, 0, gc.tensor([0])), "as many dimensions"),
    (lambda t: gc.scatter_add(t > 0, 0, gc.tensor([[0]]), True), "not bools"),
    (lambda t: gc.topk(t, 5), "k=5"),
    (lambda t: gc.setitem(t, (0,), gc.zeros(3)), "cannot be assigned"),
])
def test_bad_indexing_is_a_clear_build_error(bad, message):
    with pytest.raises((GraphBuildError, IndexError), match=message):
        bad(gc.tensor(np.zeros((2, 4))))


def test_the_gradient_graph_of_a_symbolic_gather_compiles_on_dask():
    dask = pytest.importorskip("dask")
    import graphc.dask as gdask

    def f(x, i):
        spread = i[:, None].broadcast_to((2, 3))
        return [gc.sort(x, 0).values, x[i], gc.scatter_add(x, 0, spread, x[[0, 1]] * 2)]

    a = np.random.default_rng(0).standard_normal((5, 3))
    idx = np.array([4, -1])
    x, i = gc.placeholder("x", ("n", 3), gc.float64), gc.placeholder("i", (2,), gc.int64)
    dask_f = gdask.compile(gc.function([x, i], f(x, i)))
    with dask.config.set(scheduler="synchronous"):
        import dask.array as da

        got = dask.compute(*dask_f(da.from_array(a, chunks=2), da.from_array(idx, chunks=1)))
    want = f(gc.tensor(a), gc.tensor(idx))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w.numpy())


DOCS_MODEL = """graph(%x: f32[n], %w: f32[3] = parameter {name="w", value=dense<[1.0, 2.0, 3.0]>}) {
  %0 = scalar {value=2.0} : f32[]
  %1 = mul %x, %0 : f32[n]
  %2 = getitem %1 {index=[[1, none, 2]]} : f32[floor(n/2)]
  return %2, %x
}
"""


def test_graphc_grad_of_the_docs_model_with_a_strided_symbolic_slice(tmp_path, capsys):
    # docs/passes.md's model.gir: d sum(2 x[1::2]) / dx is 2 at odd positions, 0 elsewhere.
    from graphc.cli import main
    from graphc.parser import parse

    path = tmp_path / "model.gir"
    path.write_text(DOCS_MODEL)
    assert main(["grad", str(path), "--wrt", "x"]) == 0
    graph = parse(capsys.readouterr().out)
    f = gc.function(list(graph.inputs[:1]), list(graph.outputs), backend="numpy")
    for n in (1, 4, 7):
        want = np.zeros(n, np.float32)
        want[1::2] = 2
        np.testing.assert_array_equal(f(np.ones(n, np.float32))[0], want)
