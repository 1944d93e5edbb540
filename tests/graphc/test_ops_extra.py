"""The ops users reach for: cumsum/cumprod, var/std, clamp, flatten, mT, tril/triu, einsum and
random tensors, against NumPy on every backend (static and symbolic shapes), their gradients
against finite differences, and the errors bad arguments get."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import strategies as st

import graphc
from tests.graphc.op_checks import (
    F32,
    F64,
    I32,
    I64,
    NUMERIC,
    arrays,
    check,
    check_raises,
    compiled,
    given_on_each_backend,
    pytest_generate_tests,  # noqa: F401  (pytest's hook: a test taking `backend` runs per backend)
    small_shapes,
)

G = graphc
RNG = np.random.default_rng(0)


def data(*shape, dtype=F64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def symbolic_check(backend, build, reference, shape, sizes, dtype=F64, rtol=1e-10, seed=0):
    """`build` on a placeholder of symbolic `shape`, compiled once, called at each binding in
    `sizes`, against `reference` on the same array."""
    x = G.placeholder("x", shape, dtype)
    f = compiled(backend, [x], build(x))
    for binding in sizes:
        concrete = tuple(binding[d] if isinstance(d, str) else d for d in shape)
        a = data(*concrete, dtype=dtype, seed=seed)
        got, want = f(a), np.asarray(reference(a))
        assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, got.dtype, want.shape)
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)


def numeric_gradient(fn, value: np.ndarray, cotangent: np.ndarray, eps=1e-6) -> np.ndarray:
    """d sum(fn(x) * cotangent) / dx by central differences, with NumPy-valued `fn`."""
    grad = np.zeros_like(value)
    for index in np.ndindex(value.shape):
        hi, lo = value.copy(), value.copy()
        hi[index] += eps
        lo[index] -= eps
        grad[index] = (np.sum(fn(hi) * cotangent) - np.sum(fn(lo) * cotangent)) / (2 * eps)
    return grad


def gradient(build, *values, wrt=0, seed=1):
    """The compiled gradient of sum(build(*xs) * w) for a random w, and w."""
    xs = [G.placeholder(f"x{k}", v.shape, G.float64) for k, v in enumerate(values)]
    out = build(*xs)
    w = np.random.default_rng(seed).standard_normal(tuple(out.shape))
    g = G.grad(G.sum(out * G.tensor(w)), xs[wrt])
    return G.function(xs, g)(*values), w


def check_gradient(build, *values, wrt=0, tol=1e-6):
    got, w = gradient(build, *values, wrt=wrt)

    def fn(v):
        args = list(values)
        args[wrt] = v
        return build(*(G.tensor(a) for a in args)).numpy()

    np.testing.assert_allclose(got, numeric_gradient(fn, values[wrt], w), rtol=tol, atol=tol)


# ------------------------------------------------------------------------------- cumsum / cumprod

def _scan_reference(name, dtype=None):
    fn = np.cumsum if name == "cumsum" else np.cumprod

    def reference(a, axis):
        if a.ndim == 0:
            return a.astype(dtype or (a.dtype if a.dtype.kind == "f" else I64))
        out_dtype = dtype or (a.dtype if a.dtype.kind == "f" else I64)
        return fn(a.astype(out_dtype), axis=axis)
    return reference


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@given_on_each_backend(data=st.data())
def test_scans_match_numpy_with_torch_dtypes(backend, name, data):
    dtype = data.draw(st.sampled_from([np.dtype(bool), *NUMERIC]))
    shape = data.draw(small_shapes(min_dims=0, max_dims=3))
    lo, hi = (-3, 3) if name == "cumprod" else (-100, 100)
    x = data.draw(arrays(dtype, shape, lo=lo, hi=hi))
    dim = data.draw(st.integers(-max(len(shape), 1), max(len(shape), 1) - 1))
    want = I64 if dtype.kind in "biu" else dtype
    reference = _scan_reference(name)
    check(backend, lambda t: getattr(G, name)(t, dim), lambda a: reference(a, dim), x, dtype=want)


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_scans_take_a_dtype_and_are_methods(backend, name):
    x = np.array([[1, 2, 3], [4, -5, 6]], I32)
    for dtype, np_dtype in ((G.float64, F64), (G.int32, I32), (G.float32, F32)):
        check(backend, lambda t, d=dtype: getattr(G, name)(t, 1, dtype=d),
              lambda a, n=np_dtype: _scan_reference(name, n)(a, 1), x, dtype=np_dtype)
    check(backend, lambda t: getattr(t, name)(0), lambda a: _scan_reference(name)(a, 0), x, dtype=I64)
    check(backend, lambda t: getattr(t, name)(dim=-1), lambda a: _scan_reference(name)(a, -1), x, dtype=I64)


def test_scans_wrap_int32_as_numpy_and_keep_nan_and_inf(backend):
    big = np.array([2**30, 2**30, 2**30], I32)
    check(backend, lambda t: G.cumsum(t, 0, dtype=G.int32), lambda a: np.cumsum(a, dtype=I32), big,
          dtype=I32)
    x = np.array([1.0, np.nan, 2.0, np.inf, -np.inf], F64)
    check(backend, lambda t: G.cumsum(t, 0), lambda a: np.cumsum(a), x, dtype=F64)
    check(backend, lambda t: G.cumprod(t, 0), lambda a: np.cumprod(a), x, dtype=F64)


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_scans_on_symbolic_shapes(backend, name):
    fn = getattr(np, name)
    symbolic_check(backend, lambda t: getattr(G, name)(t, 0) * 2, lambda a: fn(a, 0) * 2, ("n", 3),
                   [{"n": 1}, {"n": 5}, {"n": 0}])
    symbolic_check(backend, lambda t: getattr(G, name)(G.exp(t), -1), lambda a: fn(np.exp(a), -1),
                   (2, "n", "m"), [{"n": 3, "m": 4}, {"n": 1, "m": 7}])


def _cumprod_jacobian(x: np.ndarray) -> np.ndarray:
    """d cumprod(x)_j / d x_i = prod(x[:j+1] without x[i]) for j >= i, from the definition."""
    n = len(x)
    return np.array([[np.prod(np.delete(x[:j + 1], i)) if j >= i else 0.0 for j in range(n)]
                     for i in range(n)])


def _cumprod_hessian(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """d2 sum(w * cumprod(x)) / dx_i dx_k, from the definition."""
    n = len(x)
    h = np.zeros((n, n))
    for i, k in itertools.product(range(n), range(n)):
        if i != k:
            h[i, k] = sum(w[j] * np.prod(np.delete(x[:j + 1], [i, k])) for j in range(max(i, k), n))
    return h


@pytest.mark.parametrize("values", [[2.0, -1.0, 3.0, 0.5, 1.5], [2.0, 0.0, 3.0, 0.5, 1.5],
                                    [0.0, 2.0, 0.0, 0.5, 1.5], [1.0, 0.0, 0.0, 0.0, 2.0],
                                    [0.0, 0.0, 0.0, 0.0, 0.0], [3.0, 2.0, 1.0, 0.5, 0.0]])
def test_cumprod_gradient_and_hessian_are_exact_with_zeros(values):
    x = np.array(values)
    w = np.array([0.5, -1.0, 2.0, 1.5, -0.25])
    t = G.placeholder("x", (5,), G.float64)
    loss = G.sum(G.cumprod(t, 0) * G.tensor(w))
    g = G.grad(loss, t)
    f = G.function([t], [g, G.hessian(loss, t)])
    got_g, got_h = f(x)
    np.testing.assert_allclose(got_g, _cumprod_jacobian(x) @ w, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got_h, _cumprod_hessian(x, w), rtol=1e-12, atol=1e-12)


def test_cumsum_gradient_matches_finite_differences():
    check_gradient(lambda t: G.cumsum(G.sin(t), 1), data(2, 4, 3))
    check_gradient(lambda t: G.cumprod(t, -1), data(3, 4))


def test_scans_refuse_bad_dims_and_dtypes():
    x = np.zeros((2, 3), F32)
    for build, message in [(lambda t: G.cumsum(t, 2), "out of range"),
                           (lambda t: G.cumprod(t, -3), "out of range"),
                           (lambda t: G.cumsum(t), "needs the dimension"),
                           (lambda t: G.cumsum(t, 0, dtype=G.bool_), "numeric operand")]:
        with pytest.raises(G.GraphBuildError, match=message):
            build(G.placeholder("x", x.shape, G.float32))
    with pytest.raises(TypeError, match="either axis or dim"):
        G.cumsum(G.tensor(x), 0, axis=1)


def test_cumsum_grad_fn_is_named_as_pytorch():
    x = G.tensor([1.0, 2.0], requires_grad=True)
    assert x.cumsum(0).grad_fn == "CumsumBackward0"
    assert x.cumprod(0).grad_fn == "CumprodBackward0"
    x.cumprod(0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 1.0])


def test_scans_lower_to_dask_arrays():
    pytest.importorskip("dask.array")
    import dask
    import dask.array as da

    import graphc.dask as gdask

    x = G.placeholder("x", ("n", 6), G.float64)
    i = G.placeholder("i", ("n", 6), G.int32)
    f = G.function([x, i], [G.cumsum(x, 0), G.cumprod(x, 1), G.cumsum(G.exp(x), 0) * 2, G.cumsum(i, 1)])
    a, b = data(9, 6), np.arange(54, dtype=I32).reshape(9, 6)
    dask_f = gdask.compile(f)
    with dask.config.set(scheduler="synchronous"):
        got = dask.compute(*dask_f(da.from_array(a, chunks=(4, 4)), da.from_array(b, chunks=(2, 3))))
    for g, w in zip(got, f(a, b)):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=1e-12)


# ------------------------------------------------------------------------------------ var / std

VAR_CASES = [
    ({}, {"ddof": 1}),
    ({"dim": 1}, {"axis": 1, "ddof": 1}),
    ({"dim": (0, 2), "keepdim": True}, {"axis": (0, 2), "ddof": 1, "keepdims": True}),
    ({"dim": -1, "unbiased": False}, {"axis": -1, "ddof": 0}),
    ({"dim": 0, "correction": 2}, {"axis": 0, "ddof": 2}),
    ({"dim": 0, "correction": 0.5}, {"axis": 0, "ddof": 0.5}),
    ({"axis": 2, "keepdims": True}, {"axis": 2, "ddof": 1, "keepdims": True}),
]


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize(("ours", "numpys"), VAR_CASES)
def test_var_and_std_match_numpy(backend, name, ours, numpys):
    x = data(3, 4, 5, dtype=F32)
    reference = getattr(np, name)
    check(backend, lambda t: getattr(G, name)(t, **ours), lambda a: reference(a, **numpys), x, dtype=F32)
    check(backend, lambda t: getattr(t, name)(**ours),
          lambda a: reference(a.astype(F64), **numpys).astype(F64), x.astype(F64), dtype=F64)


def test_var_takes_pytorchs_positional_forms():
    x = data(4, 3)
    np.testing.assert_allclose(G.var(G.tensor(x), False).numpy(), np.var(x), rtol=1e-12)
    np.testing.assert_allclose(G.var(G.tensor(x), 0, False, True).numpy(), np.var(x, 0, keepdims=True),
                               rtol=1e-12)
    np.testing.assert_allclose(G.std(G.tensor(x), 1, True).numpy(), np.std(x, 1, ddof=1), rtol=1e-12)


def test_var_with_too_few_elements_is_inf_or_nan_as_pytorch():
    x = np.array([[1.0, 2.0]])
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(G.var(G.tensor(x), 0).numpy(), [np.nan, np.nan])
        np.testing.assert_array_equal(G.var(G.tensor(x), 1, correction=3).numpy(), [np.inf])


@pytest.mark.parametrize("name", ["var", "std"])
def test_var_and_std_on_symbolic_shapes(backend, name):
    reference = getattr(np, name)
    symbolic_check(backend, lambda t: getattr(G, name)(t, 0), lambda a: reference(a, 0, ddof=1), ("n", 3),
                   [{"n": 2}, {"n": 7}])
    symbolic_check(backend, lambda t: getattr(G, name)(t, correction=0), lambda a: reference(a), ("n", "m"),
                   [{"n": 2, "m": 3}, {"n": 5, "m": 1}])


def test_var_and_std_gradients_match_finite_differences():
    check_gradient(lambda t: G.var(t, 1), data(3, 4))
    check_gradient(lambda t: G.std(t, (0, 1), keepdim=True), data(3, 4, 2))
    check_gradient(lambda t: G.std(t, correction=0), data(5))


def test_var_and_std_refuse_bad_arguments():
    x = np.zeros((2, 3), I64)
    check_raises(lambda t: G.var(t), x)
    check_raises(lambda t: G.std(t, 2), x.astype(F32))
    with pytest.raises(TypeError, match="either unbiased or correction"):
        G.var(G.tensor(x.astype(F32)), 0, unbiased=True, correction=1)
    with pytest.raises(TypeError, match="correction must be a number"):
        G.std(G.tensor(x.astype(F32)), correction="1")


# ------------------------------------------------------------------------------------- clamp

def test_clamp_with_scalars_matches_numpy(backend):
    x = np.array([[-2.0, -0.5, 0.0], [0.5, 1.0, np.nan]], F32)
    check(backend, lambda t: G.clamp(t, -1, 0.5), lambda a: np.clip(a, -1, 0.5), x, dtype=F32)
    check(backend, lambda t: G.clamp(t, min=0), lambda a: np.maximum(a, 0), x, dtype=F32)
    check(backend, lambda t: t.clamp(max=0.25), lambda a: np.minimum(a, 0.25), x, dtype=F32)
    check(backend, lambda t: G.clip(t, 1.0, -1.0), lambda a: np.where(np.isnan(a), a, -1.0), x, dtype=F32)
    ints = np.array([-3, 0, 4, 9], I64)
    check(backend, lambda t: G.clamp(t, 0, 5), lambda a: np.clip(a, 0, 5), ints, dtype=I64)
    check(backend, lambda t: G.clamp(t, 0.5), lambda a: np.maximum(a, 0.5).astype(F32), ints, dtype=F32)


def test_clamp_with_tensor_bounds_broadcasts(backend):
    x, lo, hi = data(3, 4), data(4, seed=1) - 1, data(3, 1, seed=2) + 1
    check(backend, lambda a, b, c: G.clamp(a, b, c), lambda a, b, c: np.minimum(np.maximum(a, b), c),
          x, lo, hi, dtype=F64)
    check(backend, lambda a, b: a.clamp(None, b), lambda a, b: np.minimum(a, b), x, hi, dtype=F64)


def test_clamp_gradient_follows_pytorch_at_the_bounds():
    # x at a bound gets the gradient (min <= x <= max passes it), the bounds get it where exceeded
    x = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    lo, hi = np.full(5, -1.0), np.full(5, 1.0)
    for wrt, want in ((0, [0, 1, 1, 1, 0]), (1, [1, 0, 0, 0, 0]), (2, [0, 0, 0, 0, 1])):
        got, w = gradient(lambda a, b, c: G.clamp(a, b, c), x, lo, hi, wrt=wrt)
        np.testing.assert_array_equal(got, np.array(want) * w)
    got, w = gradient(lambda a: G.clamp(a, -1.0, 1.0), x)
    np.testing.assert_array_equal(got, np.array([0, 1, 1, 1, 0]) * w)
    check_gradient(lambda a: G.clamp(G.sin(a) * 3, -1.0, 1.0), data(3, 4))


def test_clamp_needs_a_bound():
    check_raises(lambda t: G.clamp(t), np.zeros(3, F32))


# ----------------------------------------------------------------------------- flatten / mT

@pytest.mark.parametrize(("start", "end"), [(0, -1), (1, -1), (0, 1), (1, 2), (-2, -1), (2, 2), (0, 0)])
def test_flatten_matches_numpy(backend, start, end):
    x = data(2, 3, 4)
    first, last = start % 3, end % 3
    shape = (*x.shape[:first], int(np.prod(x.shape[first:last + 1])), *x.shape[last + 1:])
    check(backend, lambda t: G.flatten(t, start, end), lambda a: a.reshape(shape), x, dtype=F64)
    check(backend, lambda t: t.flatten(start, end_dim=end), lambda a: a.reshape(shape), x, dtype=F64)


def test_flatten_of_a_scalar_is_one_element_and_works_on_symbolic_shapes(backend):
    check(backend, lambda t: G.flatten(t), lambda a: a.reshape(1), np.array(2.5, F32), dtype=F32)
    x = G.placeholder("x", ("n", 3, "m"))
    assert G.flatten(x).shape == (G.placeholder("y", ("n",)).shape[0] * 3 * G.placeholder(
        "z", ("m",)).shape[0],)
    symbolic_check(backend, lambda t: G.flatten(t, 1), lambda a: a.reshape(a.shape[0], -1),
                   ("n", 3, "m"), [{"n": 2, "m": 4}, {"n": 3, "m": 1}])


def test_flatten_refuses_bad_dims():
    x = np.zeros((2, 3), F32)
    check_raises(lambda t: G.flatten(t, 1, 0), x)
    check_raises(lambda t: G.flatten(t, 0, 2), x)


def test_mT_and_mH_swap_the_last_two_dims(backend):
    x = data(2, 3, 4)
    check(backend, lambda t: t.mT, lambda a: np.swapaxes(a, -1, -2), x, dtype=F64)
    check(backend, lambda t: t.mH @ t, lambda a: np.swapaxes(a, -1, -2) @ a, x, dtype=F64)
    with pytest.raises(G.GraphBuildError, match="matrix or a batch of matrices"):
        _ = G.tensor([1.0, 2.0]).mT


# ---------------------------------------------------------------------------------- tril / triu

@pytest.mark.parametrize("diagonal", [-5, -1, 0, 1, 2, 6])
@pytest.mark.parametrize("name", ["tril", "triu"])
def test_tril_triu_match_numpy(backend, name, diagonal):
    reference = getattr(np, name)
    for x in (data(4, 4), data(2, 3, 5), np.arange(12, dtype=I32).reshape(4, 3)):
        check(backend, lambda t: getattr(G, name)(t, diagonal), lambda a: reference(a, diagonal), x,
              dtype=x.dtype)
        check(backend, lambda t: getattr(t, name)(diagonal=diagonal), lambda a: reference(a, diagonal), x,
              dtype=x.dtype)
    b = np.ones((3, 3), bool)
    check(backend, lambda t: getattr(G, name)(t, diagonal), lambda a: reference(a, diagonal), b,
          dtype=np.dtype(bool))


@pytest.mark.parametrize("name", ["tril", "triu"])
def test_tril_triu_on_symbolic_sizes(backend, name):
    reference = getattr(np, name)
    symbolic_check(backend, lambda t: getattr(G, name)(t, 1), lambda a: reference(a, 1), ("n", "m"),
                   [{"n": 3, "m": 3}, {"n": 2, "m": 5}, {"n": 6, "m": 1}])
    symbolic_check(backend, lambda t: getattr(G, name)(t), lambda a: reference(a), (2, "n", 4),
                   [{"n": 3}, {"n": 5}])


def test_tril_gradient_is_the_mask():
    got, w = gradient(lambda t: G.tril(t, -1) * 2, data(3, 4))
    np.testing.assert_array_equal(got, np.tril(2 * w, -1))


def test_tril_triu_refuse_vectors_and_bad_diagonals():
    check_raises(lambda t: G.tril(t), np.zeros(3, F32))
    check_raises(lambda t: G.triu(t, 0.5), np.zeros((3, 3), F32))


# -------------------------------------------------------------------------------------- einsum

EINSUMS = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("ij,jk", [(3, 4), (4, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bij,bkj->bik", [(2, 3, 4), (2, 5, 4)]),
    ("i,j->ij", [(3,), (4,)]),
    ("i,i->", [(5,), (5,)]),
    ("i,i", [(5,), (5,)]),
    ("ii", [(4, 4)]),
    ("ii->i", [(4, 4)]),
    ("ij->ji", [(3, 4)]),
    ("ij->", [(3, 4)]),
    ("ijk->kij", [(2, 3, 4)]),
    ("ij,ij->ij", [(3, 4), (3, 4)]),
    ("ij,ij->i", [(3, 4), (3, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("iij,jk->ik", [(3, 3, 4), (4, 2)]),
    ("iji->j", [(3, 4, 3)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
    ("...i,...i->...", [(2, 3), (1, 3)]),
    ("a...,a...", [(2, 3, 4), (2, 3, 4)]),
    ("i...->...", [(3, 2, 2)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    ("Ab,bC->CA", [(2, 3), (3, 4)]),
    ("ij,kl->", [(2, 3), (4, 5)]),
    ("i,ij->j", [(1,), (3, 4)]),
    (" i j , j k -> i k ", [(3, 4), (4, 5)]),
]


@pytest.mark.parametrize(("equation", "shapes"), EINSUMS, ids=[e for e, _ in EINSUMS])
def test_einsum_matches_numpy(backend, equation, shapes):
    arrays_ = [data(*s, seed=k) for k, s in enumerate(shapes)]
    check(backend, lambda *ts: G.einsum(equation, *ts), lambda *a: np.einsum(equation.replace(" ", ""), *a),
          *arrays_, dtype=F64)


def test_einsum_broadcasts_size_one_labels_and_takes_a_list():
    a, b = data(1, 4), data(3, 4, seed=1)
    np.testing.assert_allclose(G.einsum("ij,ij->ij", [G.tensor(a), G.tensor(b)]).numpy(), a * b)
    np.testing.assert_allclose(G.einsum("ij,kj->ik", G.tensor(a), G.tensor(b)).numpy(), a @ b.T)


def test_einsum_of_integers_and_promotion():
    a, b = np.arange(6, dtype=I64).reshape(2, 3), np.arange(12, dtype=I32).reshape(3, 4)
    got = G.einsum("ij,jk->ik", G.tensor(a), G.tensor(b))
    assert got.dtype is G.int64
    np.testing.assert_array_equal(got.numpy(), a @ b)
    np.testing.assert_array_equal(G.einsum("ii", G.tensor(np.arange(9).reshape(3, 3))).numpy(), 12)


def test_einsum_contracts_with_matmul():
    a, b = G.placeholder("a", (2, 3, 4)), G.placeholder("b", (2, 4, 5))
    ops = {n.op for n in G.Graph([a, b], [G.einsum("bij,bjk->bik", a, b)]).nodes}
    assert "matmul" in ops and "mul" not in ops
    square = G.placeholder("s", (5, 5))
    ops = {n.op for n in G.Graph([square], [G.einsum("ii->i", square)]).nodes}
    assert "getitem" in ops and "where" not in ops  # a static diagonal is a strided view


def test_einsum_on_symbolic_shapes(backend):
    a, b = G.placeholder("a", ("n", "k"), G.float64), G.placeholder("b", ("batch", "k", "m"), G.float64)
    sq = G.placeholder("s", ("n", "n"), G.float64)
    f = compiled(backend, [a, b, sq], [G.einsum("nk,bkm->bnm", a, b), G.einsum("ii->i", sq),
                                       G.einsum("ij,ji", sq, sq)])
    for n, k, batch, m in ((2, 3, 4, 5), (5, 1, 2, 3)):
        x, y, s = data(n, k), data(batch, k, m, seed=1), data(n, n, seed=2)
        got = f(x, y, s)
        want = [np.einsum("nk,bkm->bnm", x, y), np.einsum("ii->i", s), np.einsum("ij,ji", s, s)]
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("equation,shapes", [("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]), ("ii", [(3, 3)]),
                                             ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
                                             ("...i,...i->...", [(2, 3), (3,)])])
def test_einsum_gradients_match_finite_differences(equation, shapes):
    values = [data(*s, seed=k) for k, s in enumerate(shapes)]
    for wrt in range(len(values)):
        check_gradient(lambda *ts: G.einsum(equation, *ts), *values, wrt=wrt)


@pytest.mark.parametrize(("equation", "shapes", "message"), [
    ("ij,jk->ik", [(3, 4)], "2 operand terms for 1 tensors"),
    ("ij->i->j", [(3, 4)], "more than one '->'"),
    ("i1->i", [(3, 4)], "character '1'"),
    ("i.j->i", [(3, 4)], "outside one"),
    ("ijk->i", [(3, 4)], "has 2 dimensions but its term 'ijk' names 3"),
    ("i->i", [(3, 4)], "has 2 dimensions but its term 'i' names 1"),
    ("ij,jk->ik", [(3, 4), (5, 6)], "label 'j' has sizes 4 and 5"),
    ("ij->k", [(3, 4)], "output label 'k' names no"),
    ("ij->ii", [(3, 4)], "appears more than once"),
    ("ii->i", [(3, 4)], "repeats in operand 0"),
])
def test_einsum_refuses_bad_equations_by_name(equation, shapes, message):
    tensors = [G.placeholder(f"x{k}", s) for k, s in enumerate(shapes)]
    with pytest.raises(G.GraphBuildError, match=message):
        G.einsum(equation, *tensors)


def test_einsum_takes_the_equation_first():
    with pytest.raises(TypeError, match="equation first"):
        G.einsum(G.tensor([1.0]), [0])


# ------------------------------------------------------------------------------------- random

def test_manual_seed_makes_draws_reproducible():
    G.manual_seed(123)
    first = [G.rand(3, 4).numpy(), G.randn((2, 2)).numpy(), G.randint(0, 10, (5,)).numpy()]
    G.manual_seed(123)
    second = [G.rand(3, 4).numpy(), G.randn((2, 2)).numpy(), G.randint(0, 10, (5,)).numpy()]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(G.rand(3, 4).numpy(), first[0])  # the stream moves on
    assert G.initial_seed() == 123


def test_generators_are_independent_of_the_default_one():
    g1, g2 = G.Generator().manual_seed(7), G.Generator().manual_seed(7)
    G.manual_seed(0)
    a = G.rand(4, generator=g1).numpy()
    G.rand(100)  # the default stream does not move g2's
    np.testing.assert_array_equal(G.rand(4, generator=g2).numpy(), a)
    assert g1.initial_seed() == 7
    assert isinstance(g1.seed(), int)


def test_random_values_dtypes_and_ranges():
    G.manual_seed(1)
    u = G.rand(20000, dtype=G.float64)
    assert u.dtype is G.float64 and u.shape == (20000,)
    values = u.numpy()
    assert values.min() >= 0 and values.max() < 1 and abs(values.mean() - 0.5) < 0.02
    n = G.randn(20000).numpy()
    assert n.dtype == F32 and abs(n.mean()) < 0.05 and abs(n.std() - 1) < 0.05
    h = G.rand(5000, dtype=G.float16).numpy()
    assert h.dtype == np.float16 and h.max() < 1
    r = G.randint(3, 7, (1000,)).numpy()
    assert r.dtype == I64 and r.min() == 3 and r.max() == 6
    r = G.randint(5, (2, 3), dtype=G.int32).numpy()
    assert r.dtype == I32 and r.shape == (2, 3) and r.min() >= 0 and r.max() < 5
    assert G.rand(()).shape == ()
    assert G.randint(4, size=(3,)).numpy().max() < 4 and G.randint(-2, 0, size=2).numpy().max() < 0


def test_like_variants_take_shape_and_dtype():
    x = G.tensor(np.zeros((2, 3), F64))
    assert G.rand_like(x).dtype is G.float64 and G.rand_like(x).shape == (2, 3)
    assert G.randn_like(x, dtype=G.float32).dtype is G.float32
    r = G.randint_like(G.tensor(np.zeros((4,), I32)), 2)
    assert r.dtype is G.int32 and set(r.numpy().tolist()) <= {0, 1}


def test_random_tensors_are_constants_in_the_graph_and_can_require_grad():
    G.manual_seed(5)
    w = G.randn(3, requires_grad=True)
    assert w.requires_grad and w.is_leaf
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * w.numpy())
    x = G.placeholder("x", (3,))
    noise = G.rand(3)
    f = G.function([x], x + noise)
    np.testing.assert_array_equal(f(np.zeros(3, F32)), f(np.zeros(3, F32)))  # drawn once, at build
    np.testing.assert_array_equal(f(np.zeros(3, F32)), noise.numpy())


def test_random_functions_refuse_bad_arguments():
    with pytest.raises(G.GraphBuildError, match="static sizes"):
        G.rand(("n", 3))
    with pytest.raises(G.GraphBuildError, match="static sizes"):
        G.randn_like(G.placeholder("x", ("n",)))
    with pytest.raises(G.GraphBuildError, match="floating-point"):
        G.rand(3, dtype=G.int64)
    with pytest.raises(G.GraphBuildError, match="low < high"):
        G.randint(5, 5, (3,))
    with pytest.raises(G.GraphBuildError, match="do not fit"):
        G.randint(0, 2**40, (3,), dtype=G.int32)
    with pytest.raises(TypeError, match="needs a size"):
        G.randint(5)
    with pytest.raises(ValueError, match="non-negative"):
        G.manual_seed(-1)
    with pytest.raises(TypeError, match="only floating-point"):
        G.randint(0, 3, (2,), requires_grad=True)


@st.composite
def einsum_problems(draw):
    """A random equation over the labels a-d (repeats, sums, outer products, size-1 broadcasts,
    implicit or explicit output) and operands that fit it."""
    sizes = {c: draw(st.integers(1, 3)) for c in "abcd"}
    terms = [draw(st.lists(st.sampled_from("abcd"), min_size=0, max_size=3))
             for _ in range(draw(st.integers(1, 3)))]
    shapes = [tuple(1 if draw(st.integers(0, 5)) == 0 and term.count(c) == 1 else sizes[c] for c in term)
              for term in terms]
    used = sorted({c for term in terms for c in term})
    equation = ",".join("".join(t) for t in terms)
    if draw(st.booleans()):
        output = draw(st.lists(st.sampled_from(used), unique=True)) if used else []
        equation += "->" + "".join(output)
    return equation, shapes


@given_on_each_backend(problem=einsum_problems(), seed=st.integers(0, 2**16))
def test_random_einsum_equations_match_numpy(backend, problem, seed):
    equation, shapes = problem
    values = [data(*s, seed=seed + k) for k, s in enumerate(shapes)]
    check(backend, lambda *ts: G.einsum(equation, *ts), lambda *a: np.einsum(equation, *a), *values,
          dtype=F64)
