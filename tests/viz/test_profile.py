"""Per-kernel times of a profiled call, for the explorer's overlay."""

import numpy as np
import pytest

import graphc
from graphc.viz.profile import kernel_seconds


def _function(backend):
    x = graphc.placeholder("x", ("n",))
    y = graphc.exp(x) * 2.0
    return graphc.function([x], [y, graphc.sum(graphc.sin(x)) + y[0]], backend=backend)


def test_each_kernel_gets_a_positive_median_and_the_driver_is_restored():
    f = _function("llvm")
    namespace = dict(f.executable.run_unchecked.__globals__)
    args = [np.linspace(0, 1, 1000, dtype=np.float32)]
    times = kernel_seconds(f.executable, args, repeat=3)
    kernels = [n for n in f.executable.graph.nodes if n.op == "kernel"]
    assert set(times) == set(kernels) and len(kernels) >= 2
    assert all(t > 0 for t in times.values())
    assert f.executable.run_unchecked.__globals__ == namespace
    np.testing.assert_allclose(f(*args)[0], np.exp(args[0]) * 2, rtol=1e-6)


def test_a_backend_without_kernels_has_no_times():
    f = _function("numpy")
    assert kernel_seconds(f.executable, [np.ones(4, np.float32)]) == {}


def test_the_html_overlay_needs_something_compiled():
    x = graphc.placeholder("x", ("n",))
    with pytest.raises(ValueError, match="profile= needs something compiled"):
        graphc.to_html(graphc.exp(x), profile=[np.ones(3, np.float32)])
    page = graphc.to_html(graphc.exp(x) * 2.0, backend="llvm", profile=[np.ones(3, np.float32)])
    assert '"seconds":' in page and '"seconds":null' not in page.split('"kernels":')[1]
