"""The gradient API: grad, value_and_grad, vjp, jvp, jacobian, hessian, higher orders,
gradient graph size, stopping gradients, and PyTorch's backward() semantics."""

from __future__ import annotations

import time

import numpy as np
import pytest

import graphc as G

F64 = G.float64


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def central_difference(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d f(x) / d x of shape `f(x).shape + x.shape`, by central differences."""
    out_shape = np.shape(f(x))
    jac = np.zeros(out_shape + x.shape)
    for i in np.ndindex(x.shape):
        hi, lo = x.copy(), x.copy()
        hi[i] += eps
        lo[i] -= eps
        jac[(Ellipsis, *i)] = (np.asarray(f(hi)) - np.asarray(f(lo))) / (2 * eps)
    return jac


# ---------------------------------------------------------------------------- grad, vjp, jvp

def test_grad_returns_graphs_that_print_and_compile():
    x = G.placeholder("x", (3,), dtype=F64)
    g = G.grad(G.sum(G.sin(x) * x), x)
    assert isinstance(g, G.Tensor) and g.is_symbolic
    text = str(G.Graph([x], [g]))
    assert "cos" in text and "%x" in text
    assert "digraph" in G.to_dot(G.Graph([x], [g]))
    v = np.array([0.5, 1.0, -2.0])
    np.testing.assert_allclose(G.function([x], g)(v), np.sin(v) + v * np.cos(v))


def test_grad_of_a_list_of_inputs_and_of_a_concrete_tensor():
    a = G.placeholder("a", (2,), dtype=F64)
    b = G.placeholder("b", (), dtype=F64)
    ga, gb = G.grad(G.sum(a * a * b), [a, b])
    va, vb = np.array([1.0, -3.0]), np.float64(2.0)
    np.testing.assert_allclose(G.function([a, b], [ga, gb])(va, vb)[0], 2 * va * vb)
    np.testing.assert_allclose(G.function([a, b], gb)(va, vb), np.sum(va * va))
    w = G.tensor([1.0, 2.0], dtype=F64, requires_grad=True)
    np.testing.assert_allclose(G.grad(G.sum(w ** 3), w).numpy(), [3.0, 12.0])


def test_grad_of_a_non_scalar_needs_grad_outputs():
    x = G.placeholder("x", (3,), dtype=F64)
    with pytest.raises(ValueError, match="grad_outputs"):
        G.grad(x * 2, x)
    g = G.grad(G.exp(x), x, grad_outputs=G.tensor(np.array([1.0, 0.0, 2.0])))
    np.testing.assert_allclose(G.function([x], g)(np.zeros(3)), [1.0, 0.0, 2.0])
    with pytest.raises(ValueError, match="cotangent"):
        G.grad(G.exp(x), x, grad_outputs=G.tensor(np.ones(2)))


def test_value_and_grad():
    x = G.placeholder("x", (2,), dtype=F64)
    value, g = G.value_and_grad(G.sum(x ** 2), x)
    out, grad = G.function([x], [value, g])(np.array([3.0, 4.0]))
    assert out == 25.0
    np.testing.assert_allclose(grad, [6.0, 8.0])


def test_vjp_is_the_transposed_jacobian_applied_to_the_cotangent():
    x = G.placeholder("x", (3,), dtype=F64)
    u = G.placeholder("u", (2,), dtype=F64)
    m = G.tensor(rng().standard_normal((2, 3)))

    def f(t):
        return G.tanh(m @ t) * G.sum(t)

    pulled = G.vjp(f(x), x, u)
    v, uv = rng(1).standard_normal(3), rng(2).standard_normal(2)
    forward = G.function([x], f(x))
    jac = central_difference(forward, v)
    np.testing.assert_allclose(G.function([x, u], pulled)(v, uv), uv @ jac, rtol=1e-6, atol=1e-8)


def test_vjp_gives_zeros_for_an_input_the_output_does_not_use():
    x = G.placeholder("x", (3,), dtype=F64)
    unused = G.placeholder("z", (2,), dtype=F64)
    gx, gz = G.vjp(x * 2, [x, unused], G.tensor(np.ones(3)))
    np.testing.assert_array_equal(G.function([x, unused], gz)(np.ones(3), np.ones(2)), [0.0, 0.0])
    np.testing.assert_array_equal(G.function([x], gx)(np.ones(3)), [2.0, 2.0, 2.0])


@pytest.mark.parametrize("name,fn", [
    ("sin-mul", lambda t: G.sin(t) * t[::-1]),
    ("sqrt-log-div", lambda t: G.sqrt(t) + G.log(t) / t),  # rules that guard 0 * inf
    ("pow-exp", lambda t: t ** 2.5 + G.exp(-t)),
    ("matmul-softmax", lambda t: G.softmax(G.reshape(t, (3, 1)) @ G.reshape(t, (1, 3)), axis=1)),
])
def test_jvp_matches_finite_differences(name, fn):
    x = G.placeholder("x", (3,), dtype=F64)
    t = G.placeholder("t", (3,), dtype=F64)
    forward = G.function([x], fn(x))
    tangent_out = G.function([x, t], G.jvp(fn(x), x, t))
    for seed in range(3):
        v, tv = rng(seed).uniform(0.5, 2.0, 3), rng(seed + 10).standard_normal(3)
        eps = 1e-6
        expected = (forward(v + eps * tv) - forward(v - eps * tv)) / (2 * eps)
        np.testing.assert_allclose(tangent_out(v, tv), expected, rtol=1e-6, atol=1e-8, err_msg=name)


def test_jvp_of_several_outputs_and_inputs():
    a = G.placeholder("a", (2,), dtype=F64)
    b = G.placeholder("b", (2,), dtype=F64)
    ta = G.tensor(np.array([1.0, 0.0]))
    tb = G.tensor(np.array([0.0, 2.0]))
    ja, jb = G.jvp([a * b, G.sum(a)], [a, b], [ta, tb])
    va, vb = np.array([3.0, 5.0]), np.array([7.0, 11.0])
    out = G.function([a, b], [ja, jb])(va, vb)
    np.testing.assert_allclose(out[0], [1.0 * 7.0, 5.0 * 2.0])
    np.testing.assert_allclose(out[1], 1.0)


def test_jvp_with_symbolic_shapes():
    x = G.placeholder("x", ("n", 2), dtype=F64)
    t = G.placeholder("t", ("n", 2), dtype=F64)

    def f(u):
        return G.sqrt(u) * G.sum(u, axis=0)

    forward = G.function([x], f(x))
    tangent_out = G.function([x, t], G.jvp(f(x), x, t))
    for n in (1, 4):
        v, tv = rng(n).uniform(0.5, 2.0, (n, 2)), rng(n + 1).standard_normal((n, 2))
        eps = 1e-6
        expected = (forward(v + eps * tv) - forward(v - eps * tv)) / (2 * eps)
        np.testing.assert_allclose(tangent_out(v, tv), expected, rtol=1e-6, atol=1e-8)


def test_jacobian_shape_and_values():
    x = G.placeholder("x", (2, 2), dtype=F64)
    y = G.stack([G.sin(x[0]) * x[1], G.exp(x[:, 0])])  # shape (2, 2)
    jac = G.jacobian(y, x)
    assert tuple(jac.shape) == (2, 2, 2, 2)
    v = rng().standard_normal((2, 2))
    expected = central_difference(G.function([x], y), v)
    np.testing.assert_allclose(G.function([x], jac)(v), expected, rtol=1e-6, atol=1e-8)
    ja, jb = G.jacobian(G.sum(x, axis=0), [x, x])
    assert tuple(ja.shape) == (2, 2, 2) and tuple(jb.shape) == (2, 2, 2)


# ------------------------------------------------------------------------- unused and stopped

def test_unused_inputs_raise_unless_allowed():
    x = G.placeholder("x", (2,), dtype=F64)
    z = G.placeholder("z", (3,), dtype=F64)
    y = G.sum(x * x)
    with pytest.raises(ValueError, match="not used"):
        G.grad(y, [x, z])
    gx, gz = G.grad(y, [x, z], allow_unused=True)
    assert gz is None and gx is not None
    gx, gz = G.grad(y, [x, z], materialize_grads=True)
    np.testing.assert_array_equal(G.function([z], gz)(np.ones(3)), np.zeros(3))


def test_inputs_reached_only_through_zero_derivative_ops_get_zeros_as_in_pytorch():
    x = G.placeholder("x", (2,), dtype=F64)
    # floor has a zero derivative: x is used, its gradient is zero (PyTorch: zeros).
    g = G.grad(G.sum(G.floor(x) * 3), x)
    np.testing.assert_array_equal(G.function([x], g)(np.array([0.5, 2.5])), [0.0, 0.0])
    # A comparison gives bools, which carry no gradient (PyTorch: not used).
    with pytest.raises(ValueError, match="not used"):
        G.grad(G.sum(G.where(x > 0, 1.0, 2.0)), x)
    assert G.grad(G.sum(G.where(x > 0, 1.0, 2.0)), x, allow_unused=True) is None


def test_stop_gradient_and_detach_stop_gradients():
    x = G.placeholder("x", (3,), dtype=F64)
    v = np.array([1.0, 2.0, -3.0])
    g = G.grad(G.sum(x * G.stop_gradient(x)), x)
    np.testing.assert_allclose(G.function([x], g)(v), v)  # not 2x
    g = G.grad(G.sum(x.detach() * G.sin(x)), x)
    np.testing.assert_allclose(G.function([x], g)(v), v * np.cos(v))
    with pytest.raises(ValueError, match="not used"):
        G.grad(G.sum(G.stop_gradient(x) ** 2), x)
    assert G.grad(G.sum(x.detach()), x, allow_unused=True) is None
    w = G.tensor([1.0, 2.0], requires_grad=True)
    d = w.detach()
    assert not d.requires_grad and d.grad_fn is None
    np.testing.assert_array_equal(d.numpy(), [1.0, 2.0])


def test_no_grad_results_do_not_require_grad_and_are_constants_for_backward():
    w = G.tensor(4.0, requires_grad=True)
    with G.no_grad():
        z = w * 2
        assert not G.is_grad_enabled()
    assert G.is_grad_enabled()
    assert not z.requires_grad and z.grad_fn is None
    assert repr(z) == "tensor(8.)"
    q = z * w
    assert q.requires_grad
    q.backward()
    assert w.grad.item() == 8.0  # d(z * w)/dw with z constant, not 4 * w = 16
    # symbolic graphs too: a no_grad product of a requires-grad tensor is a constant
    with G.no_grad():
        c = w * w
    assert G.grad(c * w, w).item() == 16.0


# ------------------------------------------------------------------------- higher derivatives

def _mlp_loss(theta: G.Tensor, x: G.Tensor, target: G.Tensor) -> G.Tensor:
    w1 = G.reshape(theta[:6], (3, 2))
    b1 = theta[6:8]
    w2 = G.reshape(theta[8:10], (2, 1))
    hidden = G.tanh(x @ w1 + b1)
    return G.mean((hidden @ w2 - target) ** 2) + 0.1 * G.sum(G.sigmoid(theta) ** 2)


def test_hessian_of_a_small_mlp_loss_matches_finite_differences_of_its_gradient():
    r = rng(3)
    x = G.tensor(r.standard_normal((5, 3)))
    target = G.tensor(r.standard_normal((5, 1)))
    theta = G.placeholder("theta", (10,), dtype=F64)
    loss = _mlp_loss(theta, x, target)
    hess = G.hessian(loss, theta)
    assert tuple(hess.shape) == (10, 10)
    gradient = G.function([theta], G.grad(loss, theta))
    hessian = G.function([theta], hess)
    for seed in range(2):
        v = rng(seed).standard_normal(10)
        h = hessian(v)
        np.testing.assert_allclose(h, central_difference(gradient, v), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(h, h.T, rtol=1e-10, atol=1e-12)


def test_hessian_of_several_inputs_gives_each_diagonal_block():
    a = G.placeholder("a", (2,), dtype=F64)
    b = G.placeholder("b", (), dtype=F64)
    ha, hb = G.hessian(G.sum(a ** 3) * b ** 2, [a, b])
    assert tuple(ha.shape) == (2, 2) and tuple(hb.shape) == ()
    va, vb = np.array([1.0, 2.0]), np.float64(3.0)
    out = G.function([a, b], [ha, hb])(va, vb)
    np.testing.assert_allclose(out[0], np.diag(6 * va * vb ** 2))
    np.testing.assert_allclose(out[1], 2 * np.sum(va ** 3))


def test_third_derivative_of_sin_is_minus_cos():
    x = G.placeholder("x", (4,), dtype=F64)
    d = G.sin(x)
    for _ in range(3):
        d = G.grad(G.sum(d), x)
    v = np.array([0.0, 0.5, -2.0, 3.0])
    np.testing.assert_allclose(G.function([x], d)(v), -np.cos(v), rtol=1e-12)
    fourth = G.grad(G.sum(d), x)
    np.testing.assert_allclose(G.function([x], fourth)(v), np.sin(v), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name,fn,d_dx", [
    ("sqrt", G.sqrt, lambda v: 0.5 / np.sqrt(v)),
    ("log", G.log, lambda v: 1 / v),
    ("reciprocal", lambda t: 1 / t, lambda v: -1 / v ** 2),
    ("pow", lambda t: t ** 2.5, lambda v: 2.5 * v ** 1.5),
    ("exp", G.exp, np.exp),
])
def test_mixed_second_derivative_is_right_where_the_cotangent_is_zero(name, fn, d_dx):
    # d/dc d/dx (c * f(x)) = f'(x), also at c = 0, where the first gradient is 0.
    x = G.placeholder("x", (), dtype=F64)
    c = G.placeholder("c", (), dtype=F64)
    mixed = G.grad(G.grad(c * fn(x), x), c)
    for cv in (0.0, 1.5):
        np.testing.assert_allclose(G.function([x, c], mixed)(np.float64(2.0), np.float64(cv)),
                                   d_dx(2.0), rtol=1e-12, err_msg=name)


def test_second_derivative_of_a_guarded_sqrt_at_zero_is_finite():
    x = G.placeholder("x", (3,), dtype=F64)
    g = G.grad(G.sum(G.where(x > 0, G.sqrt(x), 0.0)), x)
    h = G.grad(G.sum(g), x)
    np.testing.assert_allclose(G.function([x], h)(np.array([0.0, 4.0, -1.0])), [0.0, -1 / 32, 0.0])


# ------------------------------------------------------------------------------- graph size

@pytest.mark.parametrize("name,step,bound,point", [
    # hash-consing builds only the alternative that is kept
    ("sin/mul/add", lambda i, y, x: (G.sin(y), y * x, y + x)[i % 3], 4, [0.1, 0.2, -0.3, 0.05]),
    # rules that guard 0 * inf (exp, log, sqrt, div) cost a few more nodes each
    ("exp/log/sqrt/div", lambda i, y, x: (G.exp(y), G.log(y), G.sqrt(y), y / x)[i % 4], 12,
     [0.5, 0.8, 1.2, 2.0]),
])
def test_gradient_graph_of_a_depth_1000_composition_is_linear_in_its_size(name, step, bound, point):
    x = G.placeholder("x", (4,), dtype=F64)
    y = x
    for i in range(1000):
        y = step(i, y, x)
    y = G.sum(y)
    g = G.grad(y, x)
    forward, backward = len(G.Graph([x], [y])), len(G.Graph([x], [g]))
    ratio = backward / forward
    assert ratio <= bound, f"{name}: gradient/forward node count: {backward}/{forward} = {ratio:.2f}"
    v = np.array(point)
    eps = 1e-7
    f = G.function([x], y)
    expected = [(f(v + eps * e) - f(v - eps * e)) / (2 * eps) for e in np.eye(4)]
    np.testing.assert_allclose(G.function([x], g)(v), expected, rtol=1e-5, atol=1e-6)


def test_a_100000_node_chain_differentiates_compiles_and_runs():
    start = time.perf_counter()
    x = G.placeholder("x", (), dtype=F64)
    y = G.sin(x)
    steps = 50_000
    for _ in range(steps):
        y = y * 0.99999 + 1e-6  # two nodes per step: mul, add
    assert len(G.Graph([x], [y])) >= 100_000
    g = G.grad(y, x)
    assert len(G.Graph([x], [g])) <= 3 * (2 * steps)
    f = G.function([x], g)
    np.testing.assert_allclose(f(np.float64(0.3)), np.cos(0.3) * 0.99999 ** steps, rtol=1e-9)
    assert time.perf_counter() - start < 120  # quadratic behaviour would take far longer


# ------------------------------------------------------------------------ PyTorch's backward()

def seed_tensors():
    x = G.tensor(3.0)
    w = G.tensor(4.0, requires_grad=True)
    b = G.tensor(5.0, requires_grad=True)
    return x, w, b


def test_backward_fills_grad_of_leaves_that_require_it_as_in_the_seed():
    x, w, b = seed_tensors()
    y = w * x + b
    assert repr(y) == "tensor(17., grad_fn=<AddBackward0>)"
    assert w.grad is None and b.grad is None
    y.backward()
    assert repr(w.grad) == "tensor(3.)"
    assert x.grad is None
    assert repr(b.grad) == "tensor(1.)"
    assert repr(w) == "tensor(4., requires_grad=True)"


def test_backward_accumulates_and_grad_can_be_reset():
    x, w, b = seed_tensors()
    (w * x + b).backward()
    (w * x + b).backward()
    assert w.grad.item() == 6.0 and b.grad.item() == 2.0
    w.grad.zero_()
    assert w.grad.item() == 0.0
    (w * w).backward()
    assert w.grad.item() == 8.0
    w.grad = None
    (w * x).backward()
    assert w.grad.item() == 3.0
    assert b.grad.item() == 2.0  # untouched by a backward it took no part in


def test_backward_of_a_non_scalar_needs_a_gradient():
    v = G.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = v * v
    with pytest.raises(RuntimeError, match="gradient"):
        y.backward()
    y.backward(G.tensor([1.0, 0.0, -1.0]))
    np.testing.assert_array_equal(v.grad.numpy(), [2.0, 0.0, -6.0])
    y.backward([1.0, 1.0, 1.0])
    np.testing.assert_array_equal(v.grad.numpy(), [4.0, 4.0, 0.0])


def test_backward_on_a_tensor_that_does_not_require_grad_raises():
    x = G.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="require"):
        G.sum(x * 2).backward()


def test_requires_grad_propagates_through_ops():
    x, w, b = seed_tensors()
    assert not x.requires_grad and w.requires_grad
    assert (w * x).requires_grad and (x * w).requires_grad
    assert not (x * 2).requires_grad
    assert G.sin(G.reshape(G.stack([w, b]), (2, 1))).requires_grad
    assert G.sum(G.cat([G.unsqueeze(w, 0), G.unsqueeze(x, 0)])).requires_grad
    assert w.is_leaf and x.is_leaf and not (w * x).is_leaf
    assert w.grad_fn is None and x.grad_fn is None
    with pytest.raises(TypeError):
        G.tensor([1, 2], requires_grad=True)  # only floating-point tensors


@pytest.mark.parametrize("build,name", [
    (lambda w, x: w * x + 5, "AddBackward0"),
    (lambda w, x: w * x, "MulBackward0"),
    (lambda w, x: w * 2.0, "MulBackward0"),
    (lambda w, x: w - x, "SubBackward0"),
    (lambda w, x: w / x, "DivBackward0"),
    (lambda w, x: w ** 2, "PowBackward0"),
    (lambda w, x: -w, "NegBackward0"),
    (lambda w, x: G.sin(w), "SinBackward0"),
    (lambda w, x: G.exp(w), "ExpBackward0"),
    (lambda w, x: G.sum(G.stack([w, x])), "SumBackward0"),
    (lambda w, x: G.sum(G.reshape(G.stack([w, x, x, w]), (2, 2)), dim=0), "SumBackward1"),
    (lambda w, x: G.mean(G.stack([w, x])), "MeanBackward0"),
])
def test_grad_fn_names_are_pytorchs(build, name):
    x, w, _ = seed_tensors()
    y = build(w, x)
    assert y.grad_fn == name
    assert repr(y).endswith(f"grad_fn=<{name}>)")
