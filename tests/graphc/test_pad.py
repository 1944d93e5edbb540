"""`graphc.pad` is `torch.nn.functional.pad`; `graphc.pad_widths` is NumPy's form (`numpy.pad`).

NumPy's `pad` modes are the reference (constant, reflect, edge = replicate, wrap = circular);
PyTorch itself too where it is importable."""

import numpy as np
import pytest

import graphc

try:
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

A = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
NUMPY_MODE = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
FLAT = [(1, 2), (2, 0, 1, 1), (0, 1, 2, 0), (1, 0, 0, 2, 1, 1)]


def numpy_widths(flat, ndim):
    """torch's flat widths (last dimension first) as numpy.pad's pairs (first dimension first)."""
    pairs = [(0, 0)] * ndim
    for k in range(0, len(flat), 2):
        pairs[ndim - 1 - k // 2] = (flat[k], flat[k + 1])
    return pairs


@pytest.mark.parametrize("mode", list(NUMPY_MODE))
@pytest.mark.parametrize("flat", FLAT)
def test_pad_follows_torch_widths_and_modes(mode, flat):
    expected = np.pad(A, numpy_widths(flat, A.ndim), mode=NUMPY_MODE[mode])
    np.testing.assert_array_equal(graphc.pad(graphc.tensor(A), flat, mode=mode).numpy(), expected)


@pytest.mark.skipif(torch is None, reason="PyTorch is not importable here")
@pytest.mark.parametrize("mode", list(NUMPY_MODE))
@pytest.mark.parametrize("flat", FLAT[:3])
def test_pad_agrees_with_torch(mode, flat):
    expected = torch.nn.functional.pad(torch.tensor(A), flat, mode=mode).numpy()
    np.testing.assert_array_equal(graphc.pad(graphc.tensor(A), flat, mode=mode).numpy(), expected)


def test_constant_pad_takes_a_value_and_crops_with_negative_widths():
    got = graphc.pad(graphc.tensor(A), (-1, 2, 1, -2), value=9.0).numpy()
    expected = np.pad(A, ((0, 0), (1, 0), (0, 2)), constant_values=9.0)[:, :-2, 1:]
    np.testing.assert_array_equal(got, expected)
    if torch is not None:
        np.testing.assert_array_equal(
            got, torch.nn.functional.pad(torch.tensor(A), (-1, 2, 1, -2), value=9.0).numpy())


def test_pad_widths_is_numpys_form():
    x = graphc.tensor(A)
    np.testing.assert_array_equal(graphc.pad_widths(x, ((1, 0), (0, 2), (3, 1)), 1.5).numpy(),
                                  np.pad(A, ((1, 0), (0, 2), (3, 1)), constant_values=1.5))
    np.testing.assert_array_equal(graphc.pad_widths(x, 1).numpy(), np.pad(A, 1))
    np.testing.assert_array_equal(graphc.pad_widths(x, (2, 0)).numpy(), np.pad(A, (2, 0)))


@pytest.mark.parametrize("mode", list(NUMPY_MODE))
def test_gradient_of_pad_matches_finite_differences(mode):
    x = graphc.placeholder("x", (3, 4), dtype=graphc.float64)
    weights = graphc.tensor(np.linspace(-1, 1, 5 * 7).reshape(5, 7))
    loss = graphc.sum(graphc.pad(x, (2, 1, 1, 1), mode=mode) ** 2 * weights)
    f, grad = graphc.function([x], loss), graphc.function([x], graphc.grad(loss, x))
    v = np.random.default_rng(0).standard_normal((3, 4))
    numeric = np.zeros_like(v)
    for i in np.ndindex(v.shape):
        step = np.zeros_like(v)
        step[i] = 1e-6
        numeric[i] = (f(v + step) - f(v - step)) / 2e-6
    np.testing.assert_allclose(grad(v), numeric, rtol=1e-6, atol=1e-8)


def test_pad_of_symbolic_sizes_compiles_once_for_every_size():
    x = graphc.placeholder("x", ("n", 3))
    rows = x.shape[0]
    f = graphc.function([x], [graphc.pad(x, (1, 0, rows, 0)), graphc.pad(x, (0, 0, 2, 1), mode="replicate")])
    for n in (1, 4):
        a = np.arange(3 * n, dtype=np.float32).reshape(n, 3)
        constant, replicate = f(a)
        np.testing.assert_array_equal(constant, np.pad(a, ((n, 0), (1, 0))))
        np.testing.assert_array_equal(replicate, np.pad(a, ((2, 1), (0, 0)), mode="edge"))


@pytest.mark.parametrize(("call", "message"), [
    (lambda x: graphc.pad(x, (1,)), "must be a flat tuple of"),
    (lambda x: graphc.pad(x, (1, 1) * 4), "at most two per dimension"),
    (lambda x: graphc.pad(x, (1, 1), mode="mirror"), "unknown mode 'mirror'"),
    (lambda x: graphc.pad(x, (1, 1), mode="reflect", value=2.0), "doesn't take in value"),
    (lambda x: graphc.pad(x, (4, 0), mode="reflect"), "needs widths below the size"),
    (lambda x: graphc.pad(x, (5, 0), mode="circular"), "needs widths at most the size"),
    (lambda x: graphc.pad(x, (-1, 0), mode="replicate"), "non-negative int widths"),
    (lambda x: graphc.pad(x, (1.5, 0)), "must be an int or a size"),
])
def test_bad_pads_are_refused_naming_the_problem(call, message):
    with pytest.raises(graphc.GraphBuildError, match=message):
        call(graphc.tensor(A))


def test_reflect_of_a_symbolic_dimension_is_refused():
    with pytest.raises(graphc.GraphBuildError, match="needs its size, which is symbolic"):
        graphc.pad(graphc.placeholder("x", ("n", 3)), (0, 0, 1, 1), mode="reflect")
