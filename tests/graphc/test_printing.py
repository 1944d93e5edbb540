"""Tensor printing matches PyTorch's, character for character.

Every expected string below is what PyTorch 2.13 (CPU) printed for the same
expression with `graphc.` in place of `torch.`: PyTorch's output is the
specification. Covered: 4 decimals, integer-valued floats as `1.`, the switch to
scientific notation, inf/nan, alignment, summarisation past 1000 elements,
80-column wrapping, dtype and requires_grad suffixes, empty, bool and 0-d tensors.
"""

import numpy as np
import pytest

import graphc


def normal(seed, shape):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def uniform(seed, shape, low, high):
    return np.random.default_rng(seed).uniform(low, high, shape).astype(np.float32)


def spliced(head, fill, tail, count=1000):
    """`head`, then `count` copies of `fill`, then `tail`, as float32."""
    return np.concatenate([head, np.full(count, fill), tail]).astype(np.float32)


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
        lambda: graphc.arange(30.0) / 3,
        "tensor([0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333, 2.6667,\n"
        "        3.0000, 3.3333, 3.6667, 4.0000, 4.3333, 4.6667, 5.0000, 5.3333, 5.6667,\n"
        "        6.0000, 6.3333, 6.6667, 7.0000, 7.3333, 7.6667, 8.0000, 8.3333, 8.6667,\n"
        "        9.0000, 9.3333, 9.6667])",
        id="long_float_vector_wraps",
    ),
    pytest.param(
        lambda: graphc.arange(100),
        "tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n"
        "        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,\n"
        "        36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53,\n"
        "        54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71,\n"
        "        72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89,\n"
        "        90, 91, 92, 93, 94, 95, 96, 97, 98, 99])",
        id="long_int_vector_wraps",
    ),
    pytest.param(
        lambda: graphc.tensor(normal(6, (20,)) * np.float32(1e6)),
        "tensor([ 1053115.7500,  1776491.2500, -2553291.7500,  -137965.0625,\n"
        "         1013719.4375,  1352141.8750,   653788.3750,  1497117.8750,\n"
        "          289957.5938,   551267.1250,   178737.6875, -1073858.7500,\n"
        "         -846628.9375,   379584.2500,  -580195.1875,  1271551.3750,\n"
        "         1292386.6250,  1798786.2500,   -26073.8379,  1383709.7500])",
        id="long_sci_vector_wraps",
    ),
    pytest.param(
        lambda: graphc.tensor(normal(7, (2, 14))),
        "tensor([[ 1.2302e-03,  2.9875e-01, -2.7414e-01, -8.9059e-01, -4.5467e-01,\n"
        "         -9.9165e-01,  6.0144e-02,  1.3402e+00, -4.9221e-01, -6.2047e-01,\n"
        "          4.8984e-01,  3.5689e-01,  1.0541e-01, -9.3047e-01],\n"
        "        [-2.9252e-02,  6.9530e-01, -1.3442e+00, -4.5762e-01, -1.9012e+00,\n"
        "         -1.2895e+00, -1.8417e+00, -2.3509e-01, -1.2674e+00,  2.7126e-01,\n"
        "          1.5675e-01, -1.8693e-01, -2.5168e+00, -5.3869e-01]])",
        id="long_rows_wrap_in_matrix",
    ),
    pytest.param(
        lambda: graphc.arange(2000),
        "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])",
        id="summarised_int_vector",
    ),
    pytest.param(
        lambda: graphc.arange(1200.0).reshape(30, 40) / 7,
        "tensor([[0.0000e+00, 1.4286e-01, 2.8571e-01,  ..., 5.2857e+00, 5.4286e+00,\n"
        "         5.5714e+00],\n"
        "        [5.7143e+00, 5.8571e+00, 6.0000e+00,  ..., 1.1000e+01, 1.1143e+01,\n"
        "         1.1286e+01],\n"
        "        [1.1429e+01, 1.1571e+01, 1.1714e+01,  ..., 1.6714e+01, 1.6857e+01,\n"
        "         1.7000e+01],\n"
        "        ...,\n"
        "        [1.5429e+02, 1.5443e+02, 1.5457e+02,  ..., 1.5957e+02, 1.5971e+02,\n"
        "         1.5986e+02],\n"
        "        [1.6000e+02, 1.6014e+02, 1.6029e+02,  ..., 1.6529e+02, 1.6543e+02,\n"
        "         1.6557e+02],\n"
        "        [1.6571e+02, 1.6586e+02, 1.6600e+02,  ..., 1.7100e+02, 1.7114e+02,\n"
        "         1.7129e+02]])",
        id="summarised_float_matrix",
    ),
    pytest.param(
        lambda: graphc.tensor(normal(8, (10, 10, 12))),
        "tensor([[[-1.7383, -1.3366, -1.3611,  ...,  1.3923,  0.7675, -0.0530],\n"
        "         [ 0.8598,  1.5055, -0.6536,  ...,  0.2581, -1.6394,  0.3602],\n"
        "         [-0.1185, -0.2397, -0.1553,  ...,  1.4575, -0.5186,  1.5513],\n"
        "         ...,\n"
        "         [ 1.8185,  0.5195,  0.0498,  ...,  0.1599, -1.2508,  0.0739],\n"
        "         [ 0.6633, -0.3068, -0.6208,  ..., -0.0696, -1.1075,  2.0401],\n"
        "         [ 0.1776, -1.3420, -0.8914,  ...,  0.8531,  1.7010, -0.0847]],\n"
        "\n"
        "        [[-0.3095,  1.2679, -1.0720,  ..., -1.1266,  0.8141, -0.6727],\n"
        "         [-0.9104, -0.3676,  0.0460,  ...,  0.9198,  0.2754, -2.1152],\n"
        "         [-0.9883,  0.1432, -1.3719,  ..., -0.3526, -0.2892,  2.0199],\n"
        "         ...,\n"
        "         [-1.2665, -1.2688, -0.3191,  ...,  0.3472,  0.1957, -0.2615],\n"
        "         [ 1.0187,  0.3292, -1.0842,  ..., -1.2720,  0.2904,  1.1919],\n"
        "         [-0.9018, -0.5087,  1.7410,  ...,  0.4635,  1.2143,  0.8266]],\n"
        "\n"
        "        [[ 0.4112,  1.4955,  0.3111,  ..., -0.7637, -0.2767, -1.7804],\n"
        "         [ 0.3375,  0.4452,  0.6507,  ..., -0.4403,  0.1740, -0.8474],\n"
        "         [-0.5733, -0.7052, -0.1630,  ..., -0.3122, -0.4022,  1.0871],\n"
        "         ...,\n"
        "         [ 0.4160, -1.5522, -0.3126,  ..., -1.0038, -0.1530,  1.5731],\n"
        "         [ 0.9303,  1.0672,  0.5213,  ...,  0.4785, -0.7996,  1.8505],\n"
        "         [ 1.4198, -0.2176,  0.1971,  ..., -1.6114, -1.6076,  1.7411]],\n"
        "\n"
        "        ...,\n"
        "\n"
        "        [[ 0.3580,  1.6611, -1.6793,  ..., -0.3140,  0.9781,  0.0731],\n"
        "         [-1.3513, -0.2030, -0.3730,  ...,  0.4333,  0.6433,  0.3274],\n"
        "         [-0.6657, -1.5633, -0.9012,  ..., -0.1710, -0.3123, -1.1275],\n"
        "         ...,\n"
        "         [ 0.8978,  0.4113,  1.2243,  ...,  0.7912,  1.4564,  1.7913],\n"
        "         [ 0.4553, -0.2379,  1.4815,  ...,  1.0499, -0.1268,  0.4772],\n"
        "         [ 0.5409, -0.1221, -2.5663,  ...,  0.6164,  0.3974, -0.4935]],\n"
        "\n"
        "        [[ 0.2822, -1.2736, -0.7967,  ..., -0.5844, -0.7268, -1.6830],\n"
        "         [ 0.1620, -2.1030, -0.8465,  ...,  1.8128, -0.6013, -2.4916],\n"
        "         [ 0.2189, -0.2837,  0.2325,  ..., -0.2703,  0.8917, -0.7507],\n"
        "         ...,\n"
        "         [-0.3592,  0.0855, -1.7491,  ..., -1.1335,  0.1735, -1.8358],\n"
        "         [ 0.8043, -0.2122,  0.6527,  ..., -0.6092, -2.1442,  1.1061],\n"
        "         [ 1.7321, -0.7359,  1.2209,  ..., -0.6234, -0.8327, -0.6360]],\n"
        "\n"
        "        [[ 0.5183,  0.5902, -0.8880,  ..., -2.3972, -0.8424,  0.7047],\n"
        "         [ 0.3833,  0.4524, -0.0931,  ...,  1.3498, -1.8406, -0.5823],\n"
        "         [ 1.2332,  0.0701,  0.9621,  ...,  1.7822, -1.0846, -0.0695],\n"
        "         ...,\n"
        "         [ 1.3763,  1.9308, -0.4071,  ...,  0.0955, -0.3924, -0.0495],\n"
        "         [ 0.0149, -0.7408, -0.4538,  ..., -0.5524,  0.0514, -1.7972],\n"
        "         [-1.5637, -0.0347,  0.7850,  ...,  0.0264, -1.2474, -1.1387]]])",
        id="summarised_3d",
    ),
    pytest.param(
        lambda: graphc.arange(1001.0).reshape(1001, 1),
        "tensor([[   0.],\n"
        "        [   1.],\n"
        "        [   2.],\n"
        "        ...,\n"
        "        [ 998.],\n"
        "        [ 999.],\n"
        "        [1000.]])",
        id="summarised_narrow_rows",
    ),
    pytest.param(
        lambda: graphc.tensor(spliced([1.5] * 3, 1e-9, [2.5] * 3)),
        "tensor([1.5000, 1.5000, 1.5000,  ..., 2.5000, 2.5000, 2.5000])",
        id="summarised_edges_decide_format",
    ),
    pytest.param(
        lambda: graphc.tensor(spliced([np.nan, 1.0, 2.0], 1.0, [np.inf, 3.0, 4.0])),
        "tensor([nan, 1., 2.,  ..., inf, 3., 4.])",
        id="summarised_with_nan",
    ),
    pytest.param(
        lambda: graphc.ones(2000, dtype=graphc.bool),
        "tensor([True, True, True,  ..., True, True, True])",
        id="summarised_bool",
    ),
    pytest.param(
        lambda: graphc.tensor(uniform(11, (2, 600), -3, 3)),
        "tensor([[-2.2286, -0.0043,  0.6090,  ..., -1.9964, -0.3402,  0.6410],\n"
        "        [ 2.6780, -2.3101, -2.5241,  ..., -0.6380, -2.3835,  1.2343]])",
        id="summarised_columns_only",
    ),
    pytest.param(
        lambda: graphc.tensor(uniform(12, (4, 600), 0, 1)).reshape(4, 600) * 1e5,
        "tensor([[25082.4453, 94675.2969, 18932.0391,  ...,  8157.6904,  9464.4736,\n"
        "         26700.1562],\n"
        "        [12222.3770, 96731.2656, 15408.4121,  ..., 58794.6406, 72061.7422,\n"
        "         92750.5469],\n"
        "        [96214.5391, 89947.5078, 74246.6250,  ..., 32459.8750, 92101.6797,\n"
        "         83743.8203],\n"
        "        [77575.3906, 94809.3906, 88154.5859,  ..., 10711.2480, 73209.4609,\n"
        "         51410.9844]])",
        id="summarised_wide_rows_wrap",
    ),
    pytest.param(
        lambda: -graphc.arange(1500).reshape(3, 500),
        "tensor([[    0,    -1,    -2,  ...,  -497,  -498,  -499],\n"
        "        [ -500,  -501,  -502,  ...,  -997,  -998,  -999],\n"
        "        [-1000, -1001, -1002,  ..., -1497, -1498, -1499]])",
        id="summarised_negative_ints",
    ),
    pytest.param(
        lambda: graphc.arange(3000.0, dtype=graphc.float16).reshape(100, 30) / 3,
        "tensor([[0.0000e+00, 3.3325e-01, 6.6650e-01,  ..., 9.0000e+00, 9.3359e+00,\n"
        "         9.6641e+00],\n"
        "        [1.0000e+01, 1.0336e+01, 1.0664e+01,  ..., 1.9000e+01, 1.9328e+01,\n"
        "         1.9672e+01],\n"
        "        [2.0000e+01, 2.0328e+01, 2.0672e+01,  ..., 2.9000e+01, 2.9328e+01,\n"
        "         2.9672e+01],\n"
        "        ...,\n"
        "        [9.7000e+02, 9.7050e+02, 9.7050e+02,  ..., 9.7850e+02, 9.7950e+02,\n"
        "         9.8000e+02],\n"
        "        [9.8000e+02, 9.8000e+02, 9.8050e+02,  ..., 9.8950e+02, 9.8950e+02,\n"
        "         9.8950e+02],\n"
        "        [9.9000e+02, 9.9050e+02, 9.9050e+02,  ..., 9.9850e+02, 9.9950e+02,\n"
        "         1.0000e+03]], dtype=graphc.float16)",
        id="summarised_float16",
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
        lambda: graphc.tensor(normal(13, (2, 2, 12))),
        "tensor([[[ 1.8268, -3.0783,  0.9581,  0.0696,  1.3183,  0.3856,  1.8273,\n"
        "           0.0317, -0.5162,  0.5805,  0.4321, -0.3568],\n"
        "         [-0.2473,  0.7194,  0.7043, -0.4939, -0.3677, -1.8068,  1.6792,\n"
        "          -0.2243,  1.3373,  0.4175,  1.9440,  1.5371]],\n"
        "\n"
        "        [[ 0.3183,  1.4808, -0.9501,  1.2586, -1.4804,  0.3432,  1.0649,\n"
        "           0.2236, -0.3671, -0.8056, -0.3428,  1.0511],\n"
        "         [ 0.8908, -0.2621, -1.2460,  0.6740, -1.4499, -0.5309, -0.7348,\n"
        "           0.7433,  0.2359,  0.4619,  0.2724, -0.6779]]])",
        id="long_3d_rows_wrap_with_indent",
    ),
    pytest.param(
        lambda: graphc.arange(-20, 20, dtype=graphc.int32) * 1000,
        "tensor([-20000, -19000, -18000, -17000, -16000, -15000, -14000, -13000, -12000,\n"
        "        -11000, -10000,  -9000,  -8000,  -7000,  -6000,  -5000,  -4000,  -3000,\n"
        "         -2000,  -1000,      0,   1000,   2000,   3000,   4000,   5000,   6000,\n"
        "          7000,   8000,   9000,  10000,  11000,  12000,  13000,  14000,  15000,\n"
        "         16000,  17000,  18000,  19000], dtype=graphc.int32)",
        id="long_int32_vector",
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
        lambda: graphc.tensor(normal(10, (9,)).astype(np.float64), requires_grad=True),
        "tensor([-1.1033, -0.7250, -0.7818,  0.2670, -0.2486,  0.1265,  0.8430,  0.8579,\n"
        "         0.4752], dtype=graphc.float64, requires_grad=True)",
        id="suffix_wraps_past_80_columns",
    ),
    pytest.param(
        lambda: graphc.arange(14.0, dtype=graphc.float64) * 1.5,
        "tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n"
        "        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000],\n"
        "       dtype=graphc.float64)",
        id="suffix_wraps_after_long_vector",
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


def test_print_writes_the_repr(capsys):
    print(graphc.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert capsys.readouterr().out == "tensor([[1., 2.],\n        [3., 4.]])\n"


def test_exactly_threshold_elements_print_in_full():
    text = repr(graphc.arange(1000))
    assert "..." not in text
    numbers = [int(tok) for tok in text.replace("tensor([", "").replace("])", "").replace(",", " ").split()]
    assert numbers == list(range(1000))


def test_one_past_threshold_is_summarised():
    assert repr(graphc.arange(1001)) == "tensor([   0,    1,    2,  ...,  998,  999, 1000])"


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
