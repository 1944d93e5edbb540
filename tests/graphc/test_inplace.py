"""In-place methods on eager tensors with PyTorch's autograd rules (graphc/inplace.py).

Values are checked against NumPy; where PyTorch is importable, the same programs run there too
and must agree (values, gradients, and whether an error is raised)."""

import numpy as np
import pytest

import graphc

try:
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not importable here")


@pytest.mark.parametrize(("method", "reference"), [
    ("add_", np.add), ("sub_", np.subtract), ("mul_", np.multiply), ("div_", np.divide)])
def test_arithmetic_in_place_changes_the_value_and_bumps_the_version(method, reference):
    a, b = np.array([1.0, 2.0, 4.0], np.float32), np.array([3.0, -1.0, 0.5], np.float32)
    t = graphc.tensor(a)
    assert t._version == 0
    result = getattr(t, method)(graphc.tensor(b))
    assert result is t and t._version == 1
    np.testing.assert_array_equal(t.numpy(), reference(a, b))


def test_fill_zero_copy_and_augmented_assignment():
    t = graphc.tensor([1.0, 2.0])
    t.fill_(7)
    np.testing.assert_array_equal(t.numpy(), [7.0, 7.0])
    t.zero_()
    np.testing.assert_array_equal(t.numpy(), [0.0, 0.0])
    t.copy_(graphc.tensor(3))  # broadcast into the shape
    np.testing.assert_array_equal(t.numpy(), [3.0, 3.0])
    alias = t
    t += 1
    t *= 2
    assert alias is t and t._version == 5
    np.testing.assert_array_equal(t.numpy(), [8.0, 8.0])
    t.add_(graphc.tensor([1.0, 2.0]), alpha=3)
    np.testing.assert_array_equal(t.numpy(), [11.0, 14.0])


def test_in_place_keeps_the_shape_and_the_dtype_category():
    i = graphc.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type float32 can't be cast to the desired output"):
        i.add_(1.5)
    with pytest.raises(RuntimeError, match=r"output with shape \[2\] doesn't match the broadcast shape"):
        i.add_(graphc.tensor([[1], [2]]))
    assert i._version == 0  # a refused update changes nothing
    i += 1
    assert i.dtype == graphc.int64 and i.tolist() == [2, 3]


def test_from_numpy_shares_memory_through_in_place_updates():
    array = np.zeros(3)
    t = graphc.from_numpy(array)
    t.add_(1)
    np.testing.assert_array_equal(array, [1.0, 1.0, 1.0])


def test_in_place_on_a_leaf_that_requires_grad_is_refused_outside_no_grad():
    w = graphc.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad is being used in"):
        w.add_(1)
    with graphc.no_grad():
        w.sub_(0.5)
    assert w.is_leaf and w.requires_grad and w._version == 1
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 3.0])  # 2 w at the new value


def test_a_sgd_step_under_no_grad_trains_a_leaf():
    w = graphc.tensor([2.0, -1.0], requires_grad=True)
    for _ in range(3):
        loss = (w * w).sum()
        loss.backward()
        with graphc.no_grad():
            w -= 0.25 * w.grad
        w.grad.zero_()
    np.testing.assert_allclose(w.numpy(), np.array([2.0, -1.0]) * 0.5 ** 3)
    np.testing.assert_array_equal(w.grad.numpy(), [0.0, 0.0])


def test_modifying_a_value_saved_for_backward_makes_backward_raise():
    x = graphc.tensor([1.0, 2.0], requires_grad=True)
    y = x.sigmoid()  # its derivative reads its result
    y.mul_(2)
    with pytest.raises(RuntimeError, match=r"inplace operation.*sigmoid.*version 1; expected version 0"):
        y.sum().backward()
    a = graphc.tensor([1.0, 3.0])
    z = x * a  # mul's derivative for x reads a
    a.mul_(2)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*mul"):
        z.sum().backward()


def test_modifying_a_value_no_derivative_reads_is_allowed():
    x = graphc.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.add_(1)  # a non-leaf: its new node is y + 1, still differentiable
    assert y.requires_grad and y.grad_fn == "AddBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    a = graphc.tensor([1.0, 3.0])
    x.grad = None
    z = x * a  # the derivative of mul for x reads a, not x
    with graphc.no_grad():
        x.add_(1)
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 3.0])


def test_in_place_with_an_operand_that_requires_grad_records_the_op():
    w = graphc.tensor([2.0, 3.0], requires_grad=True)
    c = graphc.tensor([1.0, 5.0])
    c.mul_(w)  # c now depends on w, as in PyTorch: not a leaf, grad_fn MulBackward0
    assert c.requires_grad and not c.is_leaf and c.grad_fn == "MulBackward0"
    c.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 5.0])
    np.testing.assert_array_equal(c.numpy(), [2.0, 15.0])


def test_data_is_detached_and_shares_the_leaf():
    w = graphc.tensor([1.0, 2.0], requires_grad=True)
    d = w.data
    assert not d.requires_grad
    d.sub_(1)  # unrecorded: no error, no version bump on w
    np.testing.assert_array_equal(w.numpy(), [0.0, 1.0])
    assert w._version == 0 and w.requires_grad
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [0.0, 2.0])
    c = graphc.tensor([1.0, 2.0])
    c.data.mul_(3)  # a constant leaf shares too
    np.testing.assert_array_equal(c.numpy(), [3.0, 6.0])
    computed = c * 2
    with pytest.raises(RuntimeError, match=r"through \.data needs a tensor that holds its own array"):
        computed.data.add_(1)  # graphc cannot write into a computed value: refused, not ignored
    w.data = graphc.tensor([5.0, 6.0, 7.0])  # replaces the value, any shape
    assert w.shape == (3,) and w.requires_grad and w.is_leaf
    np.testing.assert_array_equal(w.numpy(), [5.0, 6.0, 7.0])


@needs_torch
def test_the_same_programs_in_pytorch_agree():
    def run(lib, tensor):
        out = {}
        w = tensor([2.0, -1.0], requires_grad=True)
        try:
            w.add_(1)
            out["leaf"] = "no error"
        except RuntimeError:
            out["leaf"] = "error"
        x = tensor([1.0, 2.0], requires_grad=True)
        y = x.sigmoid()
        y.mul_(2)
        try:
            y.sum().backward()
            out["saved"] = "no error"
        except RuntimeError as err:
            out["saved"] = "modified by an inplace operation" in str(err)
        x = tensor([1.0, 2.0], requires_grad=True)
        a = tensor([1.0, 3.0])
        z = x * a
        with lib.no_grad():
            x.add_(1)
        z.sum().backward()
        out["unsaved_grad"] = np.asarray(x.grad.tolist())
        y = x * 2
        y.add_(1)
        x.grad = None
        y.sum().backward()
        out["nonleaf_grad"] = np.asarray(x.grad.tolist())
        out["version"] = x._version
        d = x.data
        d.mul_(3)
        out["data"] = (np.asarray(x.tolist()), x._version)
        return out

    ours, theirs = run(graphc, graphc.tensor), run(torch, torch.tensor)
    assert ours["leaf"] == theirs["leaf"] == "error"
    assert ours["saved"] is True and theirs["saved"] is True
    np.testing.assert_array_equal(ours["unsaved_grad"], theirs["unsaved_grad"])
    np.testing.assert_array_equal(ours["nonleaf_grad"], theirs["nonleaf_grad"])
    assert ours["version"] == theirs["version"]
    np.testing.assert_array_equal(ours["data"][0], theirs["data"][0])
