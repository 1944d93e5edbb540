"""Tensor values print as PyTorch prints them, character for character: 4 decimals,
integer-valued floats as `1.`, the switch to scientific notation, inf/nan, alignment,
bool and 0-d tensors.

Every expected string below is what PyTorch 2.13 (CPU) printed for the same
expression with `graphc.` in place of `torch.`: PyTorch's output is the
specification.
"""

import numpy as np
import pytest

import graphc
from tests.graphc.printing_data import normal, uniform

CASES = [
    pytest.param(
        lambda: graphc.tensor([[1.0, 2.0], [3.0, 4.0]]),
        "tensor([[1., 2.],\n"
        "        [3., 4.]])",
        id="matrix_2x2",
    ),
    pytest.param(
        lambda: graphc.tensor([1.5, -2.25, 3.125, -0.0625]),
        "tensor([ 1.5000, -2.2500,  3.1250, -0.0625])",
        id="vector_mixed_signs",
    ),
    pytest.param(
        lambda: graphc.tensor([0.12345, 2.71828, -3.14159, 10.00005]),
        "tensor([ 0.1235,  2.7183, -3.1416, 10.0000])",
        id="rounding_to_four_decimals",
    ),
    pytest.param(
        lambda: graphc.tensor([[-1.0, 20.0], [300.0, -4.0]]),
        "tensor([[ -1.,  20.],\n"
        "        [300.,  -4.]])",
        id="int_valued_floats_with_negatives",
    ),
    pytest.param(
        lambda: graphc.tensor(3.5),
        "tensor(3.5000)",
        id="zero_dim_float",
    ),
    pytest.param(
        lambda: graphc.tensor(-2.0),
        "tensor(-2.)",
        id="zero_dim_int_valued_float",
    ),
    pytest.param(
        lambda: graphc.tensor(7),
        "tensor(7)",
        id="zero_dim_int",
    ),
    pytest.param(
        lambda: graphc.tensor(True),
        "tensor(True)",
        id="zero_dim_bool",
    ),
    pytest.param(
        lambda: graphc.tensor(float('nan')),
        "tensor(nan)",
        id="zero_dim_nan",
    ),
    pytest.param(
        lambda: graphc.tensor(0.1, dtype=graphc.float64),
        "tensor(0.1000, dtype=graphc.float64)",
        id="zero_dim_float64",
    ),
    pytest.param(
        lambda: graphc.tensor([True, False, True]),
        "tensor([ True, False,  True])",
        id="bool_vector",
    ),
    pytest.param(
        lambda: graphc.tensor([[True, False], [False, False], [True, True]]),
        "tensor([[ True, False],\n"
        "        [False, False],\n"
        "        [ True,  True]])",
        id="bool_matrix",
    ),
    pytest.param(
        lambda: graphc.tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]]),
        "tensor([[ 1,  2,  3],\n"
        "        [ 4,  5,  6],\n"
        "        [ 7,  8,  9],\n"
        "        [10, 11, 12]])",
        id="int_matrix_alignment",
    ),
    pytest.param(
        lambda: graphc.tensor([[1, -40, 3], [600, 5, -7000]]),
        "tensor([[    1,   -40,     3],\n"
        "        [  600,     5, -7000]])",
        id="int_matrix_negative_alignment",
    ),
    pytest.param(
        lambda: graphc.tensor([1, -1000000, 123456789012]),
        "tensor([           1,     -1000000, 123456789012])",
        id="large_ints",
    ),
    pytest.param(
        lambda: graphc.tensor([1e-5, 1.0, 0.5]),
        "tensor([1.0000e-05, 1.0000e+00, 5.0000e-01])",
        id="sci_small_magnitude",
    ),
    pytest.param(
        lambda: graphc.tensor([1e9, 1.0]),
        "tensor([1.0000e+09, 1.0000e+00])",
        id="sci_large_ratio_ints",
    ),
    pytest.param(
        lambda: graphc.tensor([123456789.0, 200000000.0]),
        "tensor([1.2346e+08, 2.0000e+08])",
        id="sci_big_max",
    ),
    pytest.param(
        lambda: graphc.tensor([1000.0, 1.0]),
        "tensor([1000.,    1.])",
        id="ratio_exactly_1000_is_fixed",
    ),
    pytest.param(
        lambda: graphc.tensor([1001.0, 1.0]),
        "tensor([1.0010e+03, 1.0000e+00])",
        id="ratio_over_1000_int_is_sci",
    ),
    pytest.param(
        lambda: graphc.tensor([1000.5, 0.5]),
        "tensor([1.0005e+03, 5.0000e-01])",
        id="ratio_over_1000_fraction_is_sci",
    ),
    pytest.param(
        lambda: graphc.tensor([0.0002, 0.1]),
        "tensor([0.0002, 0.1000])",
        id="min_just_above_1e-4_is_fixed",
    ),
    pytest.param(
        lambda: graphc.tensor([0.0, 1e-5]),
        "tensor([0.0000e+00, 1.0000e-05])",
        id="zero_is_ignored_for_sci",
    ),
    pytest.param(
        lambda: graphc.zeros(2, 3),
        "tensor([[0., 0., 0.],\n"
        "        [0., 0., 0.]])",
        id="all_zeros",
    ),
    pytest.param(
        lambda: graphc.tensor([-0.0, 1.0]),
        "tensor([-0., 1.])",
        id="negative_zero",
    ),
    pytest.param(
        lambda: graphc.tensor([float('inf'), -float('inf'), float('nan'), 1.0, -2.0]),
        "tensor([inf, -inf, nan,  1., -2.])",
        id="inf_nan_int_mode",
    ),
    pytest.param(
        lambda: graphc.tensor([float('nan'), 2.5, float('inf'), -0.25]),
        "tensor([    nan,  2.5000,     inf, -0.2500])",
        id="inf_nan_fixed_mode",
    ),
    pytest.param(
        lambda: graphc.tensor([[float('inf'), 1e-6], [-3.0e5, float('nan')]]),
        "tensor([[        inf,  1.0000e-06],\n"
        "        [-3.0000e+05,         nan]])",
        id="inf_nan_sci_mode",
    ),
    pytest.param(
        lambda: graphc.tensor([float('nan'), float('inf'), -float('inf')]),
        "tensor([nan, inf, -inf])",
        id="only_nonfinite",
    ),
    pytest.param(
        lambda: graphc.tensor(normal(1, (2, 3, 4))),
        "tensor([[[ 0.3456,  0.8216,  0.3304, -1.3032],\n"
        "         [ 0.9054,  0.4464, -0.5370,  0.5811],\n"
        "         [ 0.3646,  0.2941,  0.0284,  0.5467]],\n"
        "\n"
        "        [[-0.7365, -0.1629, -0.4821,  0.5988],\n"
        "         [ 0.0397, -0.2925, -0.7819, -0.2572],\n"
        "         [ 0.0081, -0.2756,  1.2941,  1.0067]]])",
        id="random_normal_3d",
    ),
    pytest.param(
        lambda: graphc.tensor(normal(2, (2, 2, 2, 3))),
        "tensor([[[[ 0.1891, -0.5227, -0.4131],\n"
        "          [-2.4415,  1.7997,  1.1442]],\n"
        "\n"
        "         [[-0.3254,  0.7738,  0.2812],\n"
        "          [-0.5538,  0.9776, -0.3106]]],\n"
        "\n"
        "\n"
        "        [[[-0.3288, -0.7921,  0.4550],\n"
        "          [-0.0992,  0.5453, -0.6072]],\n"
        "\n"
        "         [[ 0.1268, -0.8923,  0.8415],\n"
        "          [ 0.1880,  0.3306,  0.4105]]]])",
        id="random_normal_4d",
    ),
    pytest.param(
        lambda: graphc.tensor(normal(3, (3, 4)) * np.float32(1e4) + np.float32(1e-3)),
        "tensor([[ 20409.1934, -25556.6484,   4180.9893,  -5677.6948],\n"
        "        [ -4526.4922,  -2155.9707, -20199.8594,  -2319.3228],\n"
        "        [ -8652.1299,  33229.9961,   2257.8672,  -3526.3069]])",
        id="random_wide_magnitudes",
    ),
    pytest.param(
        lambda: graphc.tensor(normal(4, (5,)) * np.float32(1e-7)),
        "tensor([-6.5179e-08, -1.7472e-08,  1.6637e-07,  6.5915e-08, -1.6414e-07])",
        id="random_tiny",
    ),
    pytest.param(
        lambda: graphc.tensor(uniform(5, (2, 5), -500, 500)),
        "tensor([[ 305.0029,  307.9408,   15.3256, -214.1986, -446.0693],\n"
        "        [-116.6311,  -91.5268, -454.7248, -451.2423,  499.1761]])",
        id="random_hundreds_fixed",
    ),
    pytest.param(
        lambda: graphc.tensor([[[2.5]]]),
        "tensor([[[2.5000]]])",
        id="single_element_nested",
    ),
    pytest.param(
        lambda: graphc.tensor([1e-100, 1.0, -1e200], dtype=graphc.float64),
        "tensor([ 1.0000e-100,   1.0000e+00, -1.0000e+200], dtype=graphc.float64)",
        id="three_digit_exponent",
    ),
    pytest.param(
        lambda: graphc.tensor([-1e10, 3.0, 7.0]),
        "tensor([-1.0000e+10,  3.0000e+00,  7.0000e+00])",
        id="negative_big_ints_sci",
    ),
    pytest.param(
        lambda: graphc.tensor([99999999.0, 100000.0]),
        "tensor([100000000.,    100000.])",
        id="big_ints_within_ratio_fixed",
    ),
    pytest.param(
        lambda: graphc.tensor([9.99999, 0.5]),
        "tensor([10.0000,  0.5000])",
        id="rounds_up_to_next_integer_digit",
    ),
    pytest.param(
        lambda: graphc.tensor([0.00015, 0.00025, 1.00005], dtype=graphc.float64),
        "tensor([1.5000e-04, 2.5000e-04, 1.0001e+00], dtype=graphc.float64)",
        id="half_ulp_rounding",
    ),
    pytest.param(
        lambda: graphc.tensor(1.5, dtype=graphc.float16),
        "tensor(1.5000, dtype=graphc.float16)",
        id="zero_dim_float16",
    ),
    pytest.param(
        lambda: graphc.tensor(2.0, dtype=graphc.float64, requires_grad=True),
        "tensor(2., dtype=graphc.float64, requires_grad=True)",
        id="zero_dim_requires_grad_float64",
    ),
    pytest.param(
        lambda: graphc.tensor(1e-8),
        "tensor(1.0000e-08)",
        id="zero_dim_sci",
    ),
    pytest.param(
        lambda: graphc.tensor(-5, dtype=graphc.int32),
        "tensor(-5, dtype=graphc.int32)",
        id="zero_dim_int32",
    ),
    pytest.param(
        lambda: graphc.tensor([70000.0, 1.0], dtype=graphc.float16),
        "tensor([inf, 1.], dtype=graphc.float16)",
        id="float16_overflow_inf",
    ),
    pytest.param(
        lambda: graphc.tensor([5e-324, 1.0], dtype=graphc.float64),
        "tensor([4.9407e-324,  1.0000e+00], dtype=graphc.float64)",
        id="denormal_float64",
    ),
]


@pytest.mark.parametrize(("make", "expected"), CASES)
def test_tensor_prints_as_pytorch_does(make, expected):
    t = make()
    assert repr(t) == expected
    assert str(t) == expected


def test_print_writes_the_repr(capsys):
    print(graphc.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert capsys.readouterr().out == "tensor([[1., 2.],\n        [3., 4.]])\n"


def test_float64_from_python_floats_keeps_double_precision():
    # PyTorch builds float64 tensors from Python floats without a float32 detour.
    t = graphc.tensor([0.1, 1e-100, 1e200], dtype=graphc.float64)
    assert t.numpy().tolist() == [0.1, 1e-100, 1e200]


def test_printing_does_not_change_the_values():
    t = graphc.tensor(normal(20, (3, 3)))
    before = t.numpy().copy()
    repr(t)
    np.testing.assert_array_equal(t.numpy(), before)
    assert t.dtype == graphc.float32
