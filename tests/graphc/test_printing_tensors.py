"""What else a tensor's printout says, as PyTorch's does: dtype, requires_grad and grad_fn
suffixes, empty tensors, tensors from constructors and computations, sizes; and what a
symbolic tensor prints instead of values.

Every expected string below is what PyTorch 2.13 (CPU) printed for the same
expression with `graphc.` in place of `torch.`: PyTorch's output is the
specification.
"""

import numpy as np
import pytest

import graphc
from tests.graphc.printing_data import normal

CASES = [
    pytest.param(
        lambda: graphc.from_numpy(np.arange(6, dtype=np.int32).reshape(2, 3)),
        "tensor([[0, 1, 2],\n"
        "        [3, 4, 5]], dtype=graphc.int32)",
        id="matrix_from_numpy_int32",
    ),
    pytest.param(
        lambda: graphc.from_numpy(np.linspace(-1.0, 1.0, 5)),
        "tensor([-1.0000, -0.5000,  0.0000,  0.5000,  1.0000], dtype=graphc.float64)",
        id="from_numpy_float64",
    ),
    pytest.param(
        lambda: graphc.tensor([1.0, 2.5, -3.0], dtype=graphc.float64),
        "tensor([ 1.0000,  2.5000, -3.0000], dtype=graphc.float64)",
        id="float64_vector",
    ),
    pytest.param(
        lambda: graphc.tensor(normal(9, (2, 2)).astype(np.float64)),
        "tensor([[-0.8028,  0.2428],\n"
        "        [-1.6563,  0.6561]], dtype=graphc.float64)",
        id="float64_from_numpy_array",
    ),
    pytest.param(
        lambda: graphc.tensor([[1, 2], [30, -4]], dtype=graphc.int32),
        "tensor([[ 1,  2],\n"
        "        [30, -4]], dtype=graphc.int32)",
        id="int32_matrix",
    ),
    pytest.param(
        lambda: graphc.tensor([0.1, 1.0, 65504.0, -2.5], dtype=graphc.float16),
        "tensor([ 9.9976e-02,  1.0000e+00,  6.5504e+04, -2.5000e+00],\n"
        "       dtype=graphc.float16)",
        id="float16_vector",
    ),
    pytest.param(
        lambda: graphc.tensor([0.1, 0.2, -0.3], dtype=graphc.float16),
        "tensor([ 0.1000,  0.2000, -0.3000], dtype=graphc.float16)",
        id="float16_fixed",
    ),
    pytest.param(
        lambda: graphc.tensor([5, 6], dtype=graphc.int64),
        "tensor([5, 6])",
        id="int64_is_default",
    ),
    pytest.param(
        lambda: graphc.tensor([5, 6], dtype=graphc.float32),
        "tensor([5., 6.])",
        id="float32_is_default",
    ),
    pytest.param(
        lambda: graphc.ones(3, dtype=graphc.float64),
        "tensor([1., 1., 1.], dtype=graphc.float64)",
        id="ones_float64",
    ),
    pytest.param(
        lambda: graphc.zeros(2, 2, dtype=graphc.int32),
        "tensor([[0, 0],\n"
        "        [0, 0]], dtype=graphc.int32)",
        id="zeros_int32",
    ),
    pytest.param(
        lambda: graphc.full((2, 3), 7.0),
        "tensor([[7., 7., 7.],\n"
        "        [7., 7., 7.]])",
        id="full_float",
    ),
    pytest.param(
        lambda: graphc.full((2, 2), -3),
        "tensor([[-3, -3],\n"
        "        [-3, -3]])",
        id="full_int",
    ),
    pytest.param(
        lambda: graphc.full((3,), True),
        "tensor([True, True, True])",
        id="full_bool",
    ),
    pytest.param(
        lambda: graphc.tensor([1.0, 2.0, 3.0], requires_grad=True),
        "tensor([1., 2., 3.], requires_grad=True)",
        id="requires_grad",
    ),
    pytest.param(
        lambda: graphc.tensor([[0.5], [0.25]], dtype=graphc.float64, requires_grad=True),
        "tensor([[0.5000],\n"
        "        [0.2500]], dtype=graphc.float64, requires_grad=True)",
        id="requires_grad_float64",
    ),
    pytest.param(
        lambda: graphc.tensor(2.0, requires_grad=True),
        "tensor(2., requires_grad=True)",
        id="requires_grad_zero_dim",
    ),
    pytest.param(
        lambda: graphc.tensor([1.0, 2.0], requires_grad=True) * 2,
        "tensor([2., 4.], grad_fn=<MulBackward0>)",
        id="grad_fn_mul",
    ),
    pytest.param(
        lambda: graphc.tensor([1.0, 2.0], requires_grad=True) + graphc.tensor([0.5, 0.25]),
        "tensor([1.5000, 2.2500], grad_fn=<AddBackward0>)",
        id="grad_fn_add",
    ),
    pytest.param(
        lambda: graphc.tensor([]),
        "tensor([])",
        id="empty_float",
    ),
    pytest.param(
        lambda: graphc.zeros(0, 3),
        "tensor([], size=(0, 3))",
        id="empty_2d",
    ),
    pytest.param(
        lambda: graphc.tensor(np.zeros((1, 2, 0), dtype=np.float32)),
        "tensor([], size=(1, 2, 0))",
        id="empty_3d",
    ),
    pytest.param(
        lambda: graphc.tensor([], dtype=graphc.int64),
        "tensor([], dtype=graphc.int64)",
        id="empty_int64",
    ),
    pytest.param(
        lambda: graphc.tensor([], dtype=graphc.bool),
        "tensor([], dtype=graphc.bool)",
        id="empty_bool",
    ),
    pytest.param(
        lambda: graphc.zeros(3, 0, dtype=graphc.float64),
        "tensor([], size=(3, 0), dtype=graphc.float64)",
        id="empty_float64_2d",
    ),
    pytest.param(
        lambda: graphc.tensor([[1.0, 2.0], [3.0, 4.0]]) * 2 - 1,
        "tensor([[1., 3.],\n"
        "        [5., 7.]])",
        id="computed_values",
    ),
    pytest.param(
        lambda: graphc.tensor([1.0, 2.0, 3.0]) / 7,
        "tensor([0.1429, 0.2857, 0.4286])",
        id="computed_division",
    ),
    pytest.param(
        lambda: graphc.tensor([1, 2, 3]) / 4,
        "tensor([0.2500, 0.5000, 0.7500])",
        id="int_division_promotes",
    ),
    pytest.param(
        lambda: graphc.tensor([1, 2.5, True]),
        "tensor([1.0000, 2.5000, 1.0000])",
        id="mixed_list_promotes",
    ),
    pytest.param(
        lambda: graphc.cat([graphc.ones(2, 2), graphc.zeros(1, 2)]),
        "tensor([[1., 1.],\n"
        "        [1., 1.],\n"
        "        [0., 0.]])",
        id="cat_result",
    ),
    pytest.param(
        lambda: graphc.arange(12).reshape(3, 4)[1:, ::2],
        "tensor([[ 4,  6],\n"
        "        [ 8, 10]])",
        id="slice_of_matrix",
    ),
]


SIZE_CASES = [
    pytest.param(lambda: graphc.tensor([[1, 2], [3, 4], [5, 6]]).shape, "graphc.Size([3, 2])", id="size_2d"),
    pytest.param(lambda: graphc.zeros(2, 3, 4).shape, "graphc.Size([2, 3, 4])", id="size_3d"),
    pytest.param(lambda: graphc.tensor(1.0).shape, "graphc.Size([])", id="size_0d"),
    pytest.param(lambda: graphc.ones(5).size(), "graphc.Size([5])", id="size_1d"),
    pytest.param(lambda: graphc.zeros(0, 3).size(), "graphc.Size([0, 3])", id="size_empty_dim"),
]


@pytest.mark.parametrize(("make", "expected"), CASES)
def test_tensor_prints_as_pytorch_does(make, expected):
    t = make()
    assert repr(t) == expected
    assert str(t) == expected


@pytest.mark.parametrize(("make", "expected"), SIZE_CASES)
def test_size_prints_as_pytorch_does(make, expected):
    size = make()
    assert repr(size) == expected
    assert str(size) == expected


def test_size_equals_the_plain_tuple():
    size = graphc.zeros(3, 2).shape
    assert size == (3, 2)
    assert isinstance(size, tuple)
    assert size.numel() == 6


GRAD_FN_CASES = [
    pytest.param(
        lambda w, v: w - 1,
        "tensor([[0., 1.],\n"
        "        [2., 3.]], grad_fn=<SubBackward0>)",
        id="sub",
    ),
    pytest.param(
        lambda w, v: w / 2,
        "tensor([[0.5000, 1.0000],\n"
        "        [1.5000, 2.0000]], grad_fn=<DivBackward0>)",
        id="div",
    ),
    pytest.param(
        lambda w, v: -w,
        "tensor([[-1., -2.],\n"
        "        [-3., -4.]], grad_fn=<NegBackward0>)",
        id="neg",
    ),
    pytest.param(
        lambda w, v: graphc.sin(w),
        "tensor([[ 0.8415,  0.9093],\n"
        "        [ 0.1411, -0.7568]], grad_fn=<SinBackward0>)",
        id="sin",
    ),
    pytest.param(
        lambda w, v: graphc.exp(v),
        "tensor([1.6487, 0.3679], grad_fn=<ExpBackward0>)",
        id="exp",
    ),
    pytest.param(
        lambda w, v: w.sum(),
        "tensor(10., grad_fn=<SumBackward0>)",
        id="sum_all",
    ),
    pytest.param(
        lambda w, v: w.sum(0),
        "tensor([4., 6.], grad_fn=<SumBackward1>)",
        id="sum_dim",
    ),
    pytest.param(
        lambda w, v: w.mean(),
        "tensor(2.5000, grad_fn=<MeanBackward0>)",
        id="mean_all",
    ),
    pytest.param(
        lambda w, v: w.mean(dim=1),
        "tensor([1.5000, 3.5000], grad_fn=<MeanBackward1>)",
        id="mean_dim",
    ),
    pytest.param(
        lambda w, v: w @ w,
        "tensor([[ 7., 10.],\n"
        "        [15., 22.]], grad_fn=<MmBackward0>)",
        id="mm",
    ),
    pytest.param(
        lambda w, v: w @ v,
        "tensor([-1.5000, -2.5000], grad_fn=<MvBackward0>)",
        id="mv",
    ),
    pytest.param(
        lambda w, v: v @ v,
        "tensor(1.2500, grad_fn=<DotBackward0>)",
        id="dot",
    ),
    pytest.param(
        lambda w, v: w.reshape(4),
        "tensor([1., 2., 3., 4.], grad_fn=<ViewBackward0>)",
        id="reshape",
    ),
    pytest.param(
        lambda w, v: w ** 2,
        "tensor([[ 1.,  4.],\n"
        "        [ 9., 16.]], grad_fn=<PowBackward0>)",
        id="pow",
    ),
    pytest.param(
        lambda w, v: graphc.cat([w, w]),
        "tensor([[1., 2.],\n"
        "        [3., 4.],\n"
        "        [1., 2.],\n"
        "        [3., 4.]], grad_fn=<CatBackward0>)",
        id="cat",
    ),
    pytest.param(
        lambda w, v: w[0],
        "tensor([1., 2.], grad_fn=<SelectBackward0>)",
        id="select",
    ),
    pytest.param(
        lambda w, v: w[:, 1:],
        "tensor([[2.],\n"
        "        [4.]], grad_fn=<SliceBackward0>)",
        id="slice",
    ),
    pytest.param(
        lambda w, v: w.transpose(0, 1),
        "tensor([[1., 3.],\n"
        "        [2., 4.]], grad_fn=<TransposeBackward0>)",
        id="transpose",
    ),
    pytest.param(
        lambda w, v: graphc.relu(v),
        "tensor([0.5000, 0.0000], grad_fn=<ReluBackward0>)",
        id="relu",
    ),
    pytest.param(
        lambda w, v: graphc.sigmoid(v),
        "tensor([0.6225, 0.2689], grad_fn=<SigmoidBackward0>)",
        id="sigmoid",
    ),
    pytest.param(
        lambda w, v: graphc.tanh(v),
        "tensor([ 0.4621, -0.7616], grad_fn=<TanhBackward0>)",
        id="tanh",
    ),
    pytest.param(
        lambda w, v: w.double(),
        "tensor([[1., 2.],\n"
        "        [3., 4.]], dtype=graphc.float64, grad_fn=<ToCopyBackward0>)",
        id="double",
    ),
    pytest.param(
        lambda w, v: v.abs(),
        "tensor([0.5000, 1.0000], grad_fn=<AbsBackward0>)",
        id="abs",
    ),
    pytest.param(
        lambda w, v: w.max(),
        "tensor(4., grad_fn=<MaxBackward1>)",
        id="max_all",
    ),
    pytest.param(
        lambda w, v: graphc.sqrt(w),
        "tensor([[1.0000, 1.4142],\n"
        "        [1.7321, 2.0000]], grad_fn=<SqrtBackward0>)",
        id="sqrt",
    ),
    pytest.param(
        lambda w, v: graphc.log(w),
        "tensor([[0.0000, 0.6931],\n"
        "        [1.0986, 1.3863]], grad_fn=<LogBackward0>)",
        id="log",
    ),
    pytest.param(
        lambda w, v: graphc.cos(w),
        "tensor([[ 0.5403, -0.4161],\n"
        "        [-0.9900, -0.6536]], grad_fn=<CosBackward0>)",
        id="cos",
    ),
    pytest.param(
        lambda w, v: graphc.tan(v),
        "tensor([ 0.5463, -1.5574], grad_fn=<TanBackward0>)",
        id="tan",
    ),
    pytest.param(
        lambda w, v: graphc.where(v > 0, v, v * 0),
        "tensor([0.5000, -0.0000], grad_fn=<WhereBackward0>)",
        id="where",
    ),
    pytest.param(
        lambda w, v: graphc.maximum(v, v * 2),
        "tensor([ 1., -1.], grad_fn=<MaximumBackward0>)",
        id="maximum",
    ),
    pytest.param(
        lambda w, v: graphc.full((2,), 3.0, requires_grad=True),
        "tensor([3., 3.], requires_grad=True)",
        id="full_rg",
    ),
    pytest.param(
        lambda w, v: w * 3 + 1,
        "tensor([[ 4.,  7.],\n"
        "        [10., 13.]], grad_fn=<AddBackward0>)",
        id="mul_add",
    ),
]


@pytest.mark.parametrize(("make", "expected"), GRAD_FN_CASES)
def test_grad_fn_prints_as_pytorch_does(make, expected):
    w = graphc.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    v = graphc.tensor([0.5, -1.0], requires_grad=True)
    assert repr(make(w, v)) == expected


def test_results_without_grad_have_no_suffix():
    w = graphc.tensor([1.0, 2.0], requires_grad=True)
    with graphc.no_grad():
        y = w * 2
    assert repr(y) == "tensor([2., 4.])"
    assert repr(w.detach()) == "tensor([1., 2.])"


# ------------------------------------------------------------------ symbolic tensors

def test_placeholder_prints_name_op_shape_and_dtype():
    x = graphc.placeholder("x", ("n", 3))
    assert repr(x) == "Tensor(name='x', op=placeholder, shape=graphc.Size([n, 3]), dtype=graphc.float32)"
    assert str(x) == repr(x)


def test_symbolic_result_prints_its_op_not_values():
    x = graphc.placeholder("x", ("n", 3))
    w = graphc.tensor([1.0, 2.0, 3.0])
    assert repr(x * w) == "Tensor(op=mul, shape=graphc.Size([n, 3]), dtype=graphc.float32)"
    assert repr((x * w).sum(1)) == "Tensor(op=sum, shape=graphc.Size([n]), dtype=graphc.float32)"
    assert repr(x.sum()) == "Tensor(op=sum, shape=graphc.Size([]), dtype=graphc.float32)"


def test_symbolic_shapes_print_as_expressions():
    x = graphc.placeholder("x", ("n", 3))
    both = graphc.cat([x, x])
    assert repr(both.shape) == "graphc.Size([2*n, 3])"
    assert repr(both) == "Tensor(op=cat, shape=graphc.Size([2*n, 3]), dtype=graphc.float32)"


def test_symbolic_int_placeholder_prints_its_dtype():
    i = graphc.placeholder("idx", (4,), dtype=graphc.int64)
    assert repr(i) == "Tensor(name='idx', op=placeholder, shape=graphc.Size([4]), dtype=graphc.int64)"
    assert repr(i.float()) == "Tensor(op=cast, shape=graphc.Size([4]), dtype=graphc.float32)"


def test_symbolic_tensor_has_no_value_to_print():
    x = graphc.placeholder("x", (2,))
    with pytest.raises(graphc.SymbolicTensorError, match="'x'"):
        (x + 1).numpy()
