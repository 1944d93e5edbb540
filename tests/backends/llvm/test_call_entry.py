"""A compiled function's call: exact arrays take the generated entry's short path, everything
else the full check, with the same results and the same errors as before either existed."""

from __future__ import annotations

import numpy as np
import pytest

import graphc


def compiled(backend: str = "llvm"):
    x = graphc.placeholder("x", (4,))
    y = graphc.placeholder("y", (4,))
    return graphc.function([x, y], [graphc.sin(x) * y + 1.0, x - y], backend=backend)


def expected(a, b):
    return [np.sin(a) * b + np.float32(1.0), a - b]


def test_exact_arrays_and_views_compute_the_same_values_as_numpy():
    f = compiled()
    a = np.linspace(-2, 2, 4, dtype=np.float32)
    b = np.arange(4, dtype=np.float32)
    reversed_view = np.arange(8, dtype=np.float32)[::-2]  # right shape, not contiguous
    for args in [(a, b), (reversed_view, a), (a, b[::-1])]:
        for got, want in zip(f(*args), expected(*args)):
            np.testing.assert_allclose(got, want, rtol=1e-6)


def test_arguments_off_the_short_path_are_converted_as_before():
    f, reference = compiled(), compiled("numpy")
    a = np.arange(4, dtype=np.float32)

    class Sub(np.ndarray):
        pass

    for args in [(a.view(Sub), a), ([0.0, 1.0, 2.0, 3.0], a), (a,), ()]:
        call = {"y": a} if len(args) == 1 else {}
        if not args:
            call = {"x": a, "y": a}
        for got, want in zip(f(*args, **call), reference(*args, **call)):
            np.testing.assert_array_equal(got, want)
            assert type(got) is np.ndarray


@pytest.mark.parametrize("args, error, words", [
    ((np.ones(4, np.float64), np.ones(4, np.float32)), TypeError, "must have dtype float32"),
    ((np.ones(5, np.float32), np.ones(4, np.float32)), ValueError, "must have shape [4]"),
    ((np.ones((4, 1), np.float32), np.ones(4, np.float32)), ValueError, "must have shape [4]"),
    ((np.ones(4, np.float32),), TypeError, "expected 2 arguments"),
    ((np.ones(4, np.float32),) * 3, TypeError, "expected 2 arguments"),
    (("four", np.ones(4, np.float32)), TypeError, "must be an array of float32"),
])
def test_bad_arguments_are_refused_with_the_full_checks_message(args, error, words):
    with pytest.raises(error, match=words.replace("[", r"\[").replace("]", r"\]")):
        compiled()(*args)


def test_symbolic_shapes_bind_through_the_full_check():
    x = graphc.placeholder("x", ("n",))
    f = graphc.function([x], x * 2.0)
    for n in (1, 17):
        np.testing.assert_array_equal(f(np.arange(n, dtype=np.float32)), np.arange(n, dtype=np.float32) * 2)
    with pytest.raises(TypeError, match="must have dtype float32"):
        f(np.arange(3))
