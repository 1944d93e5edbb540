"""Calling a compiled function: by placeholder name like a Python call, and `cast=True`."""

import pickle

import numpy as np
import pytest

import graphc

X = np.arange(6, dtype=np.float32).reshape(2, 3)
V = np.array([1.0, -2.0, 0.5], dtype=np.float32)


def affine(backend="numpy", **options):
    x = graphc.placeholder("x", (2, 3))
    v = graphc.placeholder("v", (3,))
    return graphc.function([x, v], x * 2.0 - v, backend=backend, **options)


def test_calling_by_keyword_computes_what_the_positional_call_does():
    f = affine()
    want = X * 2.0 - V
    np.testing.assert_array_equal(f(X, V), want)
    np.testing.assert_array_equal(f(x=X, v=V), want)
    np.testing.assert_array_equal(f(v=V, x=X), want)
    np.testing.assert_array_equal(f(X, v=V), want)


def test_keywords_work_on_the_llvm_backend_too():
    np.testing.assert_array_equal(affine("llvm")(v=V, x=X), X * 2.0 - V)


@pytest.mark.parametrize(("call", "message"), [
    (lambda f: f(X, w=V), r"unexpected keyword argument\(s\) 'w'; the inputs by name are 'x', 'v'"),
    (lambda f: f(X, x=X), r"argument\(s\) 'x' given both by position and by keyword"),
    (lambda f: f(x=X), r"missing argument\(s\) 'v'"),
    (lambda f: f(X, V, X, v=V), "expected 2 arguments, got 3 positional and 1 by keyword"),
])
def test_a_bad_keyword_call_names_what_is_wrong(call, message):
    with pytest.raises(TypeError, match=message):
        call(affine())


def test_inputs_sharing_a_name_cannot_be_passed_by_keyword_but_by_position():
    a, b = graphc.placeholder("x", (3,)), graphc.placeholder("x", (3,))
    f = graphc.function([a, b], a - b, backend="numpy")
    with pytest.raises(TypeError, match=r"inputs 0, 1 are all named 'x'.*pass them by position"):
        f(x=V)
    np.testing.assert_array_equal(f(V, V * 2), -V)


def test_a_missing_unnamed_input_is_named_by_its_position():
    x = graphc.placeholder("x", (3,))
    w = graphc.parameter(np.ones(3, np.float32))  # a leaf without a name
    f = graphc.function([x, w], x + w, backend="numpy")
    with pytest.raises(TypeError, match=r"missing argument\(s\) input 1 \(unnamed\)"):
        f(x=V)


def test_a_float64_array_is_refused_by_default_with_a_hint_at_cast():
    with pytest.raises(TypeError, match=r"'x' must have dtype float32, got float64 \(graphc.function"
                                        r"\(\.\.\., cast=True\) converts such arguments\)"):
        affine()(X.astype(np.float64), V)


def test_cast_true_converts_a_same_kind_array_as_numpy_astype_does():
    f = affine(cast=True)
    x64 = X.astype(np.float64) + 1e-9  # rounds away in float32, as astype does
    np.testing.assert_array_equal(f(x64, v=V.astype(np.float64)), x64.astype(np.float32) * 2.0 - V)
    np.testing.assert_array_equal(f(graphc.tensor(x64), V), x64.astype(np.float32) * 2.0 - V)


def test_cast_true_still_refuses_float_to_int_and_has_no_hint_for_it():
    n = graphc.placeholder("n", (3,), graphc.int32)
    f = graphc.function([n], n + 1, backend="numpy", cast=True)
    np.testing.assert_array_equal(f(np.array([1, 2, 3], np.int64)), np.array([2, 3, 4], np.int32))
    with pytest.raises(TypeError, match=r"must have dtype int32, got float64$"):
        f(np.ones(3))


def test_cast_true_refuses_integers_that_do_not_fit_instead_of_wrapping():
    n = graphc.placeholder("n", (2,), graphc.int32)
    f = graphc.function([n], n * 2, backend="numpy", cast=True)
    with pytest.raises(OverflowError, match="'n': value 4294967296 does not fit in int32"):
        f(np.array([1, 2**32], np.int64))


def test_cast_survives_pickling():
    g = pickle.loads(pickle.dumps(affine("llvm", cast=True)))
    np.testing.assert_array_equal(g(X.astype(np.float64), V), X * 2.0 - V)
