"""Errors name the user's code: the op, the operand types and the line that built it.

Build-time errors are `graphc.GraphBuildError` (a ValueError) raised while the
graph is built; calls of a compiled function check their arguments and raise
TypeError (count, dtype) or ValueError (shape, symbol binding), never crash.
"""

import os

import numpy as np
import pytest

import graphc

FILE = os.path.basename(__file__)


def raised_at(info) -> str:
    """`test_errors.py:LINE` of the innermost frame of this file the exception passed through."""
    lines = [entry.lineno + 1 for entry in info.traceback
             if os.path.basename(str(entry.path)) == FILE]
    return f"{FILE}:{lines[-1]}"


def assert_names_user_code(info, op: str, *operands: str) -> None:
    """The message starts with the op, shows every operand type and the user's file:line."""
    message = str(info.value)
    assert message.startswith(f"{op}:"), message
    for operand in operands:
        assert operand in message, f"{operand!r} missing from: {message}"
    assert raised_at(info) in message, f"{raised_at(info)} missing from: {message}"


def test_graph_build_error_is_a_value_error():
    assert issubclass(graphc.GraphBuildError, ValueError)


# ------------------------------------------------------------------ elementwise

def test_mismatched_broadcast_names_op_shapes_and_line():
    a, b = graphc.ones(2, 3), graphc.ones(4, 5)
    with pytest.raises(graphc.GraphBuildError) as info:
        a + b
    assert_names_user_code(info, "add", "f32[2, 3]", "f32[4, 5]")


def test_mismatched_broadcast_of_symbolic_shape():
    x = graphc.placeholder("x", ("n", 3))
    with pytest.raises(graphc.GraphBuildError) as info:
        graphc.mul(x, graphc.ones(4, 3, dtype=graphc.float64))
    assert_names_user_code(info, "mul", "f64[n, 3]", "f64[4, 3]")


def test_error_inside_a_user_helper_names_the_helper_line():
    w = graphc.ones(3, 2)

    def layer(x):
        return x @ w

    with pytest.raises(graphc.GraphBuildError) as info:
        layer(graphc.ones(5, 4))
    # The innermost user frame is the `return x @ w` line, not the call of layer.
    assert_names_user_code(info, "matmul", "f32[5, 4]", "f32[3, 2]")
    assert f"{FILE}:{layer.__code__.co_firstlineno + 1}" in str(info.value)


def test_where_with_unbroadcastable_condition():
    with pytest.raises(graphc.GraphBuildError) as info:
        graphc.where(graphc.tensor([True, False]), graphc.ones(2, 3), graphc.zeros(2, 3))
    assert_names_user_code(info, "where", "bool[2]", "f32[2, 3]")


@pytest.mark.parametrize(
    ("op", "build"),
    [
        ("neg", lambda b: -b),
        ("sub", lambda b: b - b),
        ("mod", lambda b: b % b),
        ("floordiv", lambda b: b // b),
    ],
)
def test_numeric_ops_reject_bool(op, build):
    b = graphc.tensor([True, False])
    with pytest.raises(graphc.GraphBuildError) as info:
        build(b)
    assert_names_user_code(info, op, "bool[2]")


@pytest.mark.parametrize("op", ["sin", "exp", "log", "sqrt", "tanh", "erf"])
def test_float_only_ops_reject_bool_operands_in_the_ir(op):
    # The user API casts bool to float first (as PyTorch); the op itself insists on floats.
    b = graphc.tensor([True, False]).node
    with pytest.raises(graphc.GraphBuildError) as info:
        graphc.ops.make(op, (b,))
    assert_names_user_code(info, op, "bool[2]")


def test_float_only_ops_reject_int_operands_in_the_ir():
    i = graphc.tensor([1, 2]).node
    with pytest.raises(graphc.GraphBuildError) as info:
        graphc.ops.make("div", (i, i))
    assert_names_user_code(info, "div", "i64[2]")


def test_float_only_ops_on_bool_compute_in_float_like_pytorch():
    assert graphc.sin(graphc.tensor([True, False])).dtype == graphc.float32


# --------------------------------------------------------------------- linalg

def test_bad_matmul_names_the_contracted_sizes():
    with pytest.raises(graphc.GraphBuildError) as info:
        graphc.ones(2, 3) @ graphc.ones(4, 5)
    assert_names_user_code(info, "matmul", "f32[2, 3]", "f32[4, 5]")
    assert "3" in str(info.value) and "4" in str(info.value)


def test_matmul_of_a_scalar():
    with pytest.raises(graphc.GraphBuildError) as info:
        graphc.matmul(graphc.tensor(2.0), graphc.ones(2, 2))
    assert_names_user_code(info, "matmul", "f32[]", "f32[2, 2]")


def test_matmul_symbolic_mismatch():
    x = graphc.placeholder("x", ("n", 3))
    with pytest.raises(graphc.GraphBuildError) as info:
        x @ graphc.ones(4, 2)
    assert_names_user_code(info, "matmul", "f32[n, 3]", "f32[4, 2]")


def test_batched_matmul_with_mismatched_batches():
    with pytest.raises(graphc.GraphBuildError) as info:
        graphc.ones(2, 3, 4) @ graphc.ones(5, 4, 2)
    assert_names_user_code(info, "matmul", "f32[2, 3, 4]", "f32[5, 4, 2]")


def test_dot_of_different_lengths():
    with pytest.raises(graphc.GraphBuildError) as info:
        graphc.dot(graphc.ones(3), graphc.ones(4))
    assert_names_user_code(info, "dot", "f32[3]", "f32[4]")


# ------------------------------------------------------------------ shape ops

def test_bad_reshape():
    with pytest.raises(graphc.GraphBuildError) as info:
        graphc.ones(2, 3).reshape(4, 2)
    assert_names_user_code(info, "reshape", "f32[2, 3]", "[4, 2]")


def test_bad_reshape_with_inferred_dimension():
    with pytest.raises(graphc.GraphBuildError) as info:
        graphc.ones(2, 3).reshape(-1, 4)
    assert_names_user_code(info, "reshape", "f32[2, 3]", "[-1, 4]")


def test_reshape_with_two_inferred_dimensions():
    with pytest.raises(graphc.GraphBuildError) as info:
        graphc.ones(2, 3).reshape(-1, -1)
    assert_names_user_code(info, "reshape", "f32[2, 3]")


def test_cat_with_mismatched_shapes():
    with pytest.raises(graphc.GraphBuildError) as info:
        graphc.cat([graphc.ones(2, 3), graphc.ones(4, 5)])
    assert_names_user_code(info, "cat", "f32[2, 3]", "f32[4, 5]")


def test_cat_with_mismatched_ranks():
    with pytest.raises(graphc.GraphBuildError) as info:
        graphc.cat([graphc.ones(2, 3), graphc.ones(3)], dim=0)
    assert_names_user_code(info, "cat", "f32[2, 3]", "f32[3]")


def test_cat_along_an_out_of_range_axis():
    with pytest.raises(graphc.GraphBuildError) as info:
        graphc.cat([graphc.ones(2, 3), graphc.ones(2, 3)], dim=2)
    assert_names_user_code(info, "cat", "f32[2, 3]")
    assert "2" in str(info.value)


def test_stack_with_mismatched_shapes():
    with pytest.raises(graphc.GraphBuildError) as info:
        graphc.stack([graphc.ones(2, 3), graphc.ones(3, 2)])
    # The user called stack, with these shapes: not cat of the unsqueezed operands.
    assert_names_user_code(info, "stack", "f32[2, 3]", "f32[3, 2]")


def test_broadcast_to_an_incompatible_shape():
    with pytest.raises(graphc.GraphBuildError) as info:
        graphc.ones(2, 3).broadcast_to((4, 3, 2))
    assert_names_user_code(info, "broadcast_to", "f32[2, 3]", "[4, 3, 2]")


def test_pad_with_wrong_number_of_widths():
    with pytest.raises(graphc.GraphBuildError) as info:
        graphc.pad_widths(graphc.ones(2, 3), ((1, 1),))
    assert_names_user_code(info, "pad", "f32[2, 3]")


@pytest.mark.parametrize(
    ("op", "build"),
    [
        ("sum", lambda t: t.sum(2)),
        ("mean", lambda t: t.mean(dim=-3)),
        ("max", lambda t: t.max(axis=5)),
        ("argmax", lambda t: t.argmax(2)),
        ("permute", lambda t: t.permute(0, 2)),
        ("transpose", lambda t: t.transpose(0, 3)),
        ("unsqueeze", lambda t: t.unsqueeze(4)),
        ("squeeze", lambda t: t.squeeze(3)),
        ("flip", lambda t: t.flip(2)),
        ("softmax", lambda t: graphc.softmax(t, dim=2)),
    ],
)
def test_out_of_range_axis(op, build):
    t = graphc.ones(2, 3)
    with pytest.raises(graphc.GraphBuildError) as info:
        build(t)
    assert_names_user_code(info, op, "f32[2, 3]")


def test_repeated_reduction_axis():
    with pytest.raises(graphc.GraphBuildError) as info:
        graphc.ones(2, 3).sum((0, 0))
    assert_names_user_code(info, "sum", "f32[2, 3]")


# ------------------------------------------------------------------- indexing

@pytest.mark.parametrize(
    ("build", "detail"),
    [
        (lambda t: t[2], "2"),
        (lambda t: t[-3], "-3"),
        (lambda t: t[0, 3], "3"),
        (lambda t: t[:, -4], "-4"),
    ],
)
def test_out_of_bounds_index(build, detail):
    t = graphc.ones(2, 3)
    with pytest.raises(graphc.GraphBuildError) as info:
        build(t)
    assert_names_user_code(info, "getitem", "f32[2, 3]", detail)


def test_too_many_indices():
    with pytest.raises(graphc.GraphBuildError) as info:
        graphc.ones(2, 3)[0, 0, 0]
    assert_names_user_code(info, "getitem", "f32[2, 3]")


@pytest.mark.parametrize(
    "index",
    [
        1.5,
        pytest.param(lambda: np.array([0.5, 1.0]), id="float-array"),
        pytest.param(lambda: graphc.placeholder("m", (3,), graphc.bool_), id="mask-of-another-shape"),
        pytest.param(lambda: graphc.placeholder("m", (), graphc.bool_), id="0-d-symbolic-mask"),
    ],
)
def test_an_index_graphc_cannot_read_is_rejected(index):  # integer arrays and masks work
    index = index() if callable(index) else index
    t = graphc.ones(2, 3)
    with pytest.raises(graphc.GraphBuildError) as info:
        t[index]
    assert_names_user_code(info, "getitem", "f32[2, 3]")


def test_two_ellipses():
    with pytest.raises(graphc.GraphBuildError) as info:
        graphc.ones(2, 3)[..., ...]
    assert_names_user_code(info, "getitem", "f32[2, 3]")


def test_zero_slice_step():
    with pytest.raises(graphc.GraphBuildError) as info:
        graphc.ones(2, 3)[::0]
    assert_names_user_code(info, "getitem", "f32[2, 3]")


def test_errors_are_raised_while_building_symbolic_graphs():
    x = graphc.placeholder("x", ("n", 3))
    with pytest.raises(graphc.GraphBuildError) as info:
        x[:, 3]
    assert_names_user_code(info, "getitem", "f32[n, 3]")


# ------------------------------------------------------ calling compiled functions

@pytest.fixture
def f():
    """f(x: f32[n, 3], y: f32[n]) = sum(x * y[:, None], axis=1)."""
    x = graphc.placeholder("x", ("n", 3))
    y = graphc.placeholder("y", ("n",))
    return graphc.function([x, y], (x * y.reshape(-1, 1)).sum(1))


def ones(*shape, dtype=np.float32):
    return np.ones(shape, dtype)


def test_valid_call(f):
    np.testing.assert_array_equal(f(ones(2, 3), np.array([1.0, 2.0], np.float32)), [3.0, 6.0])


@pytest.mark.parametrize("count", [0, 1, 3])
def test_wrong_argument_count(f, count):
    args = [ones(2, 3), ones(2), ones(2)][:count]
    with pytest.raises(TypeError, match=r"expected 2 arguments \(x, y\), got " + str(count)):
        f(*args)


def test_wrong_dtype_array(f):
    with pytest.raises(TypeError, match=r"'x'.*float32.*float64"):
        f(ones(2, 3, dtype=np.float64), ones(2))


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_, np.float16])
def test_arrays_are_never_cast_implicitly(f, dtype):
    with pytest.raises(TypeError, match="'y'"):
        f(ones(2, 3), ones(2, dtype=dtype))


def test_wrong_rank(f):
    with pytest.raises(ValueError, match=r"'x' must have shape \[n, 3\].*\[2, 3, 1\]"):
        f(ones(2, 3, 1), ones(2))


def test_wrong_static_dimension(f):
    with pytest.raises(ValueError, match=r"'x' must have shape \[n, 3\].*\[2, 4\]"):
        f(ones(2, 4), ones(2))


def test_inconsistent_symbolic_sizes_name_the_binding(f):
    with pytest.raises(ValueError, match=r"'y' must have shape \[n\] with n=2, got \[5\]"):
        f(ones(2, 3), ones(5))


def test_one_function_serves_every_consistent_size(f):
    for n in (0, 1, 7):
        assert f(ones(n, 3), ones(n)).shape == (n,)


def test_square_symbolic_shape_is_checked():
    m = graphc.placeholder("m", ("n", "n"))
    total = graphc.function([m], m.sum())
    assert total(ones(3, 3)) == 9.0
    with pytest.raises(ValueError, match=r"'m' must have shape \[n, n\] with n=3, got \[3, 4\]"):
        total(ones(3, 4))


def test_python_int_is_cast_to_a_float_input():
    s = graphc.placeholder("s", ())
    double = graphc.function([s], s * 2)
    result = double(3)
    assert result.dtype == np.float32 and result == 6.0


def test_python_float_is_not_cast_to_an_int_input():
    i = graphc.placeholder("i", (), dtype=graphc.int64)
    inc = graphc.function([i], i + 1)
    assert inc(4) == 5
    with pytest.raises(TypeError, match="'i'"):
        inc(2.5)
    with pytest.raises(TypeError, match="'i'"):
        inc(2.0)


def test_python_int_out_of_range_of_an_int_input():
    i = graphc.placeholder("i", (), dtype=graphc.int32)
    inc = graphc.function([i], i + 1)
    with pytest.raises(OverflowError, match="'i'"):
        inc(2**40)
    big = graphc.placeholder("big", (), dtype=graphc.int64)
    with pytest.raises(OverflowError, match="'big'"):
        graphc.function([big], big + 1)(2**70)


def test_lists_are_accepted_and_checked(f):
    np.testing.assert_array_equal(f([[1, 2, 3]], [2.0]), [12.0])
    with pytest.raises(ValueError, match="'x'"):
        f([[1, 2, 3], [1]], [2.0, 1.0])  # ragged
    with pytest.raises(TypeError, match="'x'"):
        f([["a", "b", "c"]], [2.0])


def test_list_of_floats_is_not_cast_to_an_int_input():
    i = graphc.placeholder("i", (2,), dtype=graphc.int32)
    inc = graphc.function([i], i + 1)
    np.testing.assert_array_equal(inc([1, 2]), np.array([2, 3], np.int32))
    with pytest.raises(TypeError, match="'i'"):
        inc([1.5, 2])


def test_list_of_ints_out_of_range_is_not_wrapped():
    i = graphc.placeholder("i", (2,), dtype=graphc.int32)
    inc = graphc.function([i], i + 1)
    with pytest.raises(OverflowError, match="'i'"):
        inc([2**40, 2])


def test_list_with_the_wrong_shape(f):
    with pytest.raises(ValueError, match="'y'"):
        f([[1, 2, 3]], [2.0, 3.0])


@pytest.mark.parametrize("bad", [None, "abc", {"a": 1}, object()])
def test_non_array_arguments(f, bad):
    with pytest.raises(TypeError, match="'x'"):
        f(bad, ones(2))


def test_tensor_arguments():
    s = graphc.placeholder("s", ())
    double = graphc.function([s], s * 2)
    assert double(graphc.tensor(2.0)) == 4.0
    with pytest.raises(TypeError, match="'s'"):
        double(graphc.tensor(2.0, dtype=graphc.float64))
    with pytest.raises(ValueError):
        double(graphc.placeholder("other", ()))


def test_non_contiguous_arrays_give_correct_results(f):
    x = np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3))
    y = np.arange(4, dtype=np.float32)[::2]
    assert not y.flags.c_contiguous and not x.flags.c_contiguous
    np.testing.assert_array_equal(f(x, y), (x * y[:, None]).sum(1))


def test_bad_calls_leave_the_function_usable(f):
    with pytest.raises(ValueError):
        f(ones(2, 3), ones(3))
    np.testing.assert_array_equal(f(ones(1, 3), ones(1)), [3.0])
