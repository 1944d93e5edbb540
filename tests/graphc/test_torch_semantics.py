"""Where graphc mirrors PyTorch: max/min with dim give (values, indices), `dim=` spellings,
`t == None`, and mean of integers. NumPy is the reference; PyTorch itself where importable."""

import numpy as np
import pytest

import graphc
from graphc.ops import GraphBuildError

A = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]], dtype=np.float32)


@pytest.mark.parametrize(("name", "arg"), [("max", np.argmax), ("min", np.argmin)])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_max_and_min_along_dim_give_values_and_indices(name, arg, dim):
    a = graphc.tensor(A)
    for result in (getattr(graphc, name)(a, dim=dim), getattr(a, name)(dim=dim)):
        values, indices = result  # a named tuple unpacks like PyTorch's
        np.testing.assert_array_equal(result.values.numpy(), getattr(np, name)(A, axis=dim))
        np.testing.assert_array_equal(result.indices.numpy(), arg(A, axis=dim))  # ties: the first
        assert values is result.values and indices is result.indices
        assert result.indices.dtype == graphc.int64


def test_max_along_dim_keeps_the_dimension_when_asked():
    values, indices = graphc.max(graphc.tensor(A), dim=1, keepdim=True)
    np.testing.assert_array_equal(values.numpy(), A.max(1, keepdims=True))
    np.testing.assert_array_equal(indices.numpy(), np.argmax(A, 1)[:, None])


def test_max_without_dim_stays_one_tensor():
    a = graphc.tensor(A)
    assert isinstance(graphc.max(a), graphc.Tensor) and graphc.max(a).item() == 7.0
    np.testing.assert_array_equal(graphc.max(a, 1).numpy(), A.max(1))  # NumPy's positional axis
    np.testing.assert_array_equal(a.min(axis=0).numpy(), A.min(0))


def test_max_of_two_tensors_is_elementwise():
    a, other = graphc.tensor(A), np.full_like(A, 3.0)
    np.testing.assert_array_equal(graphc.max(a, graphc.tensor(other)).numpy(), np.maximum(A, other))
    np.testing.assert_array_equal(graphc.min(a, graphc.tensor(other)).numpy(), np.minimum(A, other))


def test_max_along_several_dims_is_refused_with_the_numpy_spelling_named():
    with pytest.raises(TypeError, match=r"takes one dimension, an int.*axis=\.\.\."):
        graphc.max(graphc.tensor(A), dim=(0, 1))


def test_max_along_dim_in_a_compiled_graph():
    x = graphc.placeholder("x", (2, 3))
    values, indices = graphc.max(x, dim=1)
    f = graphc.function([x], [values, indices])
    got_values, got_indices = f(A)
    np.testing.assert_array_equal(got_values, A.max(1))
    np.testing.assert_array_equal(got_indices, np.argmax(A, 1))


def test_dim_is_accepted_where_pytorch_takes_it():
    a = graphc.tensor(A)
    np.testing.assert_allclose(graphc.logsumexp(a, dim=0).numpy(), np.log(np.exp(A).sum(0)), rtol=1e-6)
    np.testing.assert_allclose(a.logsumexp(dim=1, keepdim=True).numpy(),
                               np.log(np.exp(A).sum(1, keepdims=True)), rtol=1e-6)
    np.testing.assert_allclose(graphc.softmax(a, dim=0).numpy(), np.exp(A) / np.exp(A).sum(0), rtol=1e-6)
    np.testing.assert_array_equal(graphc.sum(a, dim=1).numpy(), A.sum(1))
    np.testing.assert_array_equal(a.mean(dim=0).numpy(), A.mean(0))
    column = graphc.tensor(A[:, :1])
    assert column.squeeze(dim=1).shape == (2,) and column.squeeze(dim=0).shape == (2, 1)
    assert a.unsqueeze(dim=1).shape == (2, 1, 3) and graphc.unsqueeze(a, dim=-1).shape == (2, 3, 1)
    np.testing.assert_array_equal(graphc.flip(a, dims=1).numpy(), np.flip(A, 1))


@pytest.mark.parametrize("call", [lambda a: graphc.squeeze(a, 0, dim=0), lambda a: graphc.sum(a, 0, dim=0),
                                  lambda a: graphc.flip(a, 0, dims=0)])
def test_axis_and_dim_together_are_refused(call):
    with pytest.raises(TypeError, match="give either axis or dim"):
        call(graphc.tensor(A))


def test_unsqueeze_without_a_position_is_refused():
    with pytest.raises(TypeError, match="unsqueeze needs the position"):
        graphc.tensor(A).unsqueeze()


def test_comparing_with_none_is_false_not_an_error():
    a = graphc.tensor(A)
    assert (a == None) is False  # noqa: E711 - the comparison under test
    assert (a != None) is True  # noqa: E711
    assert a in [None, a] and None not in [a]
    np.testing.assert_array_equal((a == graphc.tensor(A)).numpy(), np.ones_like(A, bool))


@pytest.mark.parametrize("dtype", [graphc.int32, graphc.int64, graphc.bool_])
def test_mean_of_a_non_float_tensor_is_refused_as_in_pytorch(dtype):
    with pytest.raises(GraphBuildError, match=r"mean: cannot infer the result's dtype.*x\.float\(\)"):
        graphc.tensor([1, 0, 1], dtype=dtype).mean()
    np.testing.assert_allclose(graphc.tensor([1, 0, 1], dtype=dtype).float().mean().item(), 2 / 3, rtol=1e-6)


# ---------------------------------------------------------------- PyTorch itself, where installed

def test_the_same_calls_agree_with_pytorch():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed; the NumPy checks above stand")
    a, t = graphc.tensor(A), torch.tensor(A)
    for name in ("max", "min"):
        ours, theirs = getattr(a, name)(dim=1), getattr(t, name)(dim=1)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    np.testing.assert_allclose(a.logsumexp(dim=0).numpy(), t.logsumexp(dim=0).numpy(), rtol=1e-6)
    assert (a == None) == (t == None) and (a != None) == (t != None)  # noqa: E711
    with pytest.raises(RuntimeError, match="mean"):
        torch.tensor([1, 2]).mean()


# ---------------------------------------------------------------- len

def test_len_is_the_first_size_as_numpy_says():
    assert len(graphc.tensor(A)) == len(A) == 2
    assert len(graphc.placeholder("x", (4, "n"))) == 4  # a symbolic later size does not matter
    assert [r.shape for r in graphc.tensor(A)] == [(3,), (3,)]


def test_len_of_a_symbolic_first_size_is_a_clear_type_error():
    x = graphc.placeholder("x", ("n", 3))
    with pytest.raises(TypeError, match=r"len\(\) of a tensor whose first size, n, is symbolic"):
        len(x)
    with pytest.raises(TypeError, match="first size, n, is symbolic"):
        list(x)
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(graphc.tensor(1.0))


# ---------------------------------------------------------------- expand, sizes, in-place, pad

def test_expand_broadcasts_with_minus_one_keeping_a_size():
    column = graphc.tensor(A[:, :1])
    np.testing.assert_array_equal(column.expand(2, 4).numpy(), np.broadcast_to(A[:, :1], (2, 4)))
    np.testing.assert_array_equal(column.expand(3, -1, 5).numpy(), np.broadcast_to(A[:, :1], (3, 2, 5)))
    with pytest.raises(GraphBuildError, match="broadcast_to"):
        graphc.tensor(A).expand(3, 3)


def test_static_sizes_are_plain_ints_like_torch_size():
    shape = graphc.tensor(A).shape
    assert shape == (2, 3) and all(type(d) is int for d in shape) and shape.numel() == 6
    assert graphc.tensor(A).size(-1) == 3


def test_expand_pad_and_in_place_agree_with_pytorch():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed; the NumPy checks above stand")
    a, t = graphc.tensor(A[:, :1]), torch.tensor(A[:, :1])
    np.testing.assert_array_equal(a.expand(3, -1, 4).numpy(), t.expand(3, -1, 4).numpy())
    assert tuple(a.expand(3, -1, 4).shape) == tuple(t.expand(3, -1, 4).shape)
    for mode in ("constant", "reflect", "replicate", "circular"):
        np.testing.assert_array_equal(graphc.pad(graphc.tensor(A), (1, 2), mode=mode).numpy(),
                                      torch.nn.functional.pad(torch.tensor(A), (1, 2), mode=mode).numpy())
    ours, theirs = graphc.tensor(A), torch.tensor(A)
    for x in (ours, theirs):
        x.add_(1).mul_(2)
        x -= 1
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours._version == theirs._version == 3
