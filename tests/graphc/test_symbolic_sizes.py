"""Symbolic sizes as the user sees them: `graphc.SymInt` in `graphc.Size`, never a sympy object;
accepted wherever a size is; jacobians and hessians of tensors of symbolic size."""

import numpy as np
import pytest
import sympy

import graphc

F64 = graphc.float64


def _x(shape=("n", 3)):
    return graphc.placeholder("x", shape)


def test_static_sizes_are_ints_and_symbolic_ones_symints():
    x = _x()
    n, three = x.shape
    assert type(three) is int and three == 3
    assert isinstance(n, graphc.SymInt) and not isinstance(n, sympy.Basic)
    assert x.size(0) is not None and isinstance(x.size(0), graphc.SymInt) and x.size(1) == 3
    assert repr(x.shape) == "graphc.Size([n, 3])" and str(n) == "n" and repr(2 * n - 1) == "2*n-1"


def test_no_sympy_object_reaches_the_user_through_shapes_sizes_and_numel():
    x = _x(("n", "m", 2))
    y = graphc.cat([x, x], 0).reshape(-1, 2)
    values = [*x.shape, *y.shape, x.numel(), y.numel(), y.shape.numel(), x.size(1), x.shape[0] * 2]
    assert all(isinstance(v, (int, graphc.SymInt)) for v in values)
    assert not any(isinstance(v, sympy.Basic) for v in values)
    assert str(y.shape) == "graphc.Size([2*m*n, 2])" and str(x.numel()) == "2*m*n"


def test_arithmetic_with_ints_and_sizes():
    n, m = _x(("n", "m")).shape
    assert str(n + 1) == "n+1" and str(1 + n) == "n+1" and str(n - m) == "-m+n"
    assert str(3 * n) == "3*n" and str(n * m) == "m*n" and str(n // 2) == "floor(n/2)"
    assert str(2 * n // 2) == "n" and str(-n) == "-n"
    constant = n - n + 3  # a size that is constant is a plain int, as a static size is
    assert type(constant) is int and constant == 3
    assert type(2 * n // n) is int
    with pytest.raises(ZeroDivisionError):
        _ = n // 0


def test_equality_holds_for_every_value_of_the_symbols():
    n, m = _x(("n", "m")).shape
    assert n == n and 2 * n == n + n and n + 1 != n
    assert (n == 3) is False and n != 3 and (n == m) is False  # not known equal before a call
    assert hash(n) == hash(_x(("n",)).shape[0])
    assert {n: "first"}[_x(("n",)).shape[0]] == "first"
    assert _x(("n", 3)).shape == (n, 3) and _x(("n", 3)).shape != (m, 3)


def test_order_is_decided_where_provable_and_refused_otherwise():
    n, m = _x(("n", "m")).shape
    assert n < n + 1 and n + 1 > n and n >= 0 and not (n < 0) and 2 * n >= n
    with pytest.raises(graphc.SymbolicSizeError, match=r"n < 3 depends on the sizes a compiled function"):
        _ = n < 3
    with pytest.raises(graphc.SymbolicSizeError, match=r"m <= n"):
        _ = m <= n
    with pytest.raises(graphc.SymbolicSizeError, match="n != 0"):
        bool(n)
    assert bool(n + 1)  # n + 1 > 0 for every n
    with pytest.raises(TypeError, match=r"int\(\) of the symbolic size n"):
        int(n)
    with pytest.raises(graphc.SymbolicSizeError, match="symbolic size n"):
        range(n)
    with pytest.raises(TypeError, match=r"2\*n"):  # NumPy rewords the error, but names the size
        np.zeros(2 * n)
    assert isinstance(graphc.SymbolicSizeError("x"), TypeError)


def test_len_is_the_first_size_where_known_and_refused_where_symbolic():
    assert len(_x((4, "n"))) == 4
    with pytest.raises(graphc.SymbolicSizeError, match=r"len\(\) of a tensor whose first size, n, is"):
        len(_x())


def _run(outputs, n, x_value=None):
    x = outputs[0]
    f = graphc.function([x], outputs[1:])
    return f(np.arange(n * 3, dtype=np.float32).reshape(n, 3) if x_value is None else x_value)


@pytest.mark.parametrize("n", [2, 5])
def test_sizes_are_accepted_by_everything_that_takes_sizes(n):
    x = _x()
    rows, cols = x.shape
    outs = [
        x.reshape(rows * cols), x.view(cols, rows), graphc.reshape(x, (rows, cols, 1)),
        graphc.zeros(rows, 2) + 1, graphc.ones((2, rows)) * 2, graphc.full((rows,), 7.0),
        graphc.broadcast_to(x, (2, rows, cols)), x.unsqueeze(0).expand(4, rows, -1),
        x[None].expand(2, -1, -1), graphc.pad(x, (0, 0, rows, 1)),
    ]
    got = _run([x, *outs], n)
    a = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    expected = [a.reshape(-1), a.reshape(3, n), a[..., None], np.ones((n, 2)), np.full((2, n), 2.0),
                np.full(n, 7.0), np.broadcast_to(a, (2, n, 3)), np.broadcast_to(a, (4, n, 3)),
                np.broadcast_to(a, (2, n, 3)), np.pad(a, ((n, 1), (0, 0)))]
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g, e)


def test_arange_of_a_symbolic_size_is_refused_clearly():
    with pytest.raises(TypeError, match="arange of the symbolic size n is not supported"):
        graphc.arange(_x().shape[0])


@pytest.mark.parametrize("backend", ["llvm", "numpy"])
def test_jacobian_of_a_vector_of_symbolic_size_matches_the_analytic_one(backend):
    x = graphc.placeholder("x", ("n",), dtype=F64)
    jac = graphc.jacobian(x * graphc.sin(x), x)
    assert str(jac.shape) == "graphc.Size([n, n])"
    f = graphc.function([x], jac, backend=backend)
    for n in (3, 6):  # one compiled function, two sizes
        v = np.linspace(-1.0, 2.0, n)
        np.testing.assert_allclose(f(v), np.diag(np.sin(v) + v * np.cos(v)), rtol=1e-12, atol=1e-15)


def _central_difference(fun, v, eps=1e-6):
    columns = []
    for k in range(v.size):
        step = np.zeros_like(v)
        step.flat[k] = eps
        columns.append((fun(v + step) - fun(v - step)) / (2 * eps))
    return np.stack(columns, axis=-1).reshape(fun(v).shape + v.shape)


def test_jacobian_through_matmul_slices_and_reductions_matches_finite_differences():
    x = graphc.placeholder("x", ("n", 2), dtype=F64)
    w = np.array([[1.0, -2.0, 0.5], [0.3, 0.0, 1.0]])
    y = (graphc.tanh(x @ graphc.tensor(w)) * graphc.exp(x[:, :1]).sum(1, keepdims=True)
         + graphc.flip(x, 0)[1:].sum())
    f, jac = graphc.function([x], y), graphc.function([x], graphc.jacobian(y, x))
    for n in (2, 4):
        v = np.random.default_rng(n).standard_normal((n, 2))
        np.testing.assert_allclose(jac(v), _central_difference(f, v), rtol=1e-6, atol=1e-8)


def test_hessian_of_a_symbolic_size_matches_the_analytic_one():
    x = graphc.placeholder("x", ("n",), dtype=F64)
    h = graphc.function([x], graphc.hessian(graphc.sum(x ** 3) + graphc.sum(x) ** 2, x))
    for n in (2, 5):
        v = np.linspace(0.5, 1.5, n)
        np.testing.assert_allclose(h(v), np.diag(6 * v) + 2, rtol=1e-12)


def test_autodiff_of_symbolic_shapes_still_works_through_node_shapes():
    x = graphc.placeholder("x", ("n", 3), dtype=F64)
    loss = graphc.sum(graphc.pad(x, (1, 0), value=2.0) ** 2) + graphc.mean(x.max(dim=1).values)
    g = graphc.function([x], graphc.grad(loss, x))
    v = np.array([[1.0, 3.0, 2.0], [0.0, -1.0, 5.0]])
    top = (v == v.max(1, keepdims=True)) / v.shape[0]
    np.testing.assert_allclose(g(v), 2 * v + top)
