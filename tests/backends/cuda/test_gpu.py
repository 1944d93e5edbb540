"""On a GPU (`make gpu-test`; skipped without one): the CUDA backend agrees with the NumPy
backend (tests/backends/agree.py) on every corpus, random and row graph, on special values and
gradients, on inputs of every layout given as NumPy arrays, DeviceArrays, CuPy arrays and torch
tensors, from several threads at once; errors are NumPy's; results export DLPack and the CUDA
array interface."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphc
from graphc import Graph
from graphc.backends.cuda import runtime
from graphc.backends.cuda.arrays import DeviceArray
from tests.backends.agree import assert_agree, compare_backends, precision
from tests.backends.cuda.graphs import all_graphs
from tests.backends.cuda.test_host_semantics import float_semantics, integer_semantics, special_inputs
from tests.backends.llvm.test_backend import agree_on_drawn_inputs, draw_graph
from tests.passes.corpus import random_inputs

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not runtime.is_available(), reason="no CUDA GPU here")]
GRAPHS = all_graphs()
SIZES = {"n": 37, "m": 300, "k": 5, "batch": 3}


def agree(graph: Graph, args: list) -> None:
    compare_backends(list(graph.inputs), list(graph.outputs), args, backend="cuda")


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_every_graph_agrees_with_numpy(name):
    graph = GRAPHS[name]
    agree(graph, random_inputs(graph, np.random.default_rng(0), SIZES))


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_every_graph_agrees_on_special_values(name):
    graph = GRAPHS[name]
    if any(n.op == "pow" and not n.dtype.is_floating_point for n in graph.nodes):
        pytest.skip("integer powers of negative exponents raise (tested below)")
    agree(graph, special_inputs(graph, np.random.default_rng(1)))


@pytest.mark.parametrize("build", [integer_semantics, float_semantics], ids=lambda f: f.__name__)
def test_numpy_semantics_of_special_values(build):
    graph = build()
    for seed in range(3):
        agree(graph, special_inputs(graph, np.random.default_rng(seed)))


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(data=st.data())
def test_random_graphs_in_every_layout(data):
    agree_on_drawn_inputs(data, draw_graph(data), "cuda")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_device_arrays_of_every_layout_are_read_in_place(dtype):
    x = graphc.placeholder("x", ("n", "m"), dtype)
    y = graphc.placeholder("y", ("m",), dtype)
    outs = [graphc.sin(x) * y + 1, graphc.sum(x * y, 1), graphc.max(x, 0, keepdims=True), x.T * 2,
            graphc.softmax(x, -1), graphc.matmul(x, y), graphc.matmul(x.T, x)]
    f = graphc.function([x, y], outs, backend="cuda")
    reference = graphc.function([x, y], outs, backend="numpy")
    device = runtime.device(0)
    big = np.random.default_rng(2).standard_normal((64, 80)).astype(dtype)
    on_gpu = DeviceArray.from_host(device, big)
    views = [(on_gpu, big), (on_gpu.transpose((1, 0)), big.T), (on_gpu.index([(None, None, 2), (3, 50, 3)]),
                                                                 big[::2, 3:50:3]),
             (on_gpu.flip((0, 1)), big[::-1, ::-1])]
    for gx, hx in views:
        hy = hx[0].copy()
        got = f(gx, DeviceArray.from_host(device, hy))
        assert all(isinstance(g, DeviceArray) for g in got)
        for g, w in zip(got, reference(hx, hy)):
            assert_agree(g.numpy(), w, precision(reference.graph))


def test_gradients_agree():
    x = graphc.placeholder("x", ("n",))
    w = graphc.placeholder("w", ("n", 4))
    y = graphc.sum(graphc.tanh(graphc.matmul(graphc.exp(x * 0.1), w)) ** 2) + graphc.sum(graphc.softmax(w, 0))
    grads = graphc.grad(y, [x, w])
    rng = np.random.default_rng(3)
    compare_backends([x, w], [y, *grads], [rng.standard_normal(50).astype(np.float32),
                                           rng.standard_normal((50, 4)).astype(np.float32)], backend="cuda")


def test_errors_are_numpys():
    i = graphc.placeholder("i", (3,), graphc.int64)
    f = graphc.function([i], i ** i, backend="cuda")
    np.testing.assert_array_equal(f(np.array([1, 2, 3])), [1, 4, 27])
    with pytest.raises(ValueError, match="negative integer powers"):
        f(np.array([1, -2, 3]))
    np.testing.assert_array_equal(f(np.array([2, 2, 2])), [4, 4, 4])  # the flag was cleared
    x = graphc.placeholder("x", ("n", 3))
    g = graphc.function([x], [graphc.max(x, 0), graphc.softmax(x.T, -1)], backend="cuda")
    with pytest.raises(ValueError, match="empty"):
        g(np.zeros((0, 3), np.float32))


def test_calls_from_several_threads_agree():
    x = graphc.placeholder("x", ("n",))
    f = graphc.function([x], [graphc.sum(graphc.sin(x)), graphc.exp(x) * 2], backend="cuda")
    inputs = [np.random.default_rng(k).standard_normal(10_000 + k).astype(np.float32) for k in range(8)]
    expected = [f(a) for a in inputs]
    failures = []

    def work(k):
        for _ in range(20):
            got = f(inputs[k])
            if not all(np.array_equal(g, e) for g, e in zip(got, expected[k])):
                failures.append(k)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures


def test_results_export_dlpack_and_the_cuda_array_interface():
    x = graphc.placeholder("x", (4, 3))
    f = graphc.function([x], x * 2 + 1, backend="cuda")
    out = f(DeviceArray.from_host(runtime.device(0), np.arange(12, dtype=np.float32).reshape(4, 3)))
    want = np.arange(12, dtype=np.float32).reshape(4, 3) * 2 + 1
    np.testing.assert_array_equal(out.numpy(), want)
    if _importable("cupy"):
        import cupy

        np.testing.assert_array_equal(cupy.asnumpy(cupy.asarray(out)), want)  # the CUDA array interface
        np.testing.assert_array_equal(cupy.asnumpy(cupy.from_dlpack(out)), want)
    if _importable("torch"):
        import torch

        np.testing.assert_array_equal(torch.from_dlpack(out).cpu().numpy(), want)


def _importable(module: str) -> bool:
    try:
        __import__(module)
    except Exception:  # not installed, or without a GPU build
        return False
    return True


@pytest.mark.skipif(not _importable("torch"), reason="PyTorch is not installed")
def test_torch_tensors_go_in_without_copies():
    import torch

    if not torch.cuda.is_available():
        pytest.skip("PyTorch has no GPU here")
    x = graphc.placeholder("x", ("n", "m"))
    f = graphc.function([x], [graphc.exp(x) - graphc.max(x, -1, keepdims=True), graphc.sum(x, 0)],
                        backend="cuda")
    t = torch.randn(300, 200, device="cuda")
    stream = torch.cuda.Stream()
    with torch.cuda.stream(stream):  # made on another stream: graphc waits for it
        u = (t * 3).T
    got = f(u)
    want = [torch.exp(u) - u.amax(-1, keepdim=True), u.sum(0)]
    for g, w in zip(got, want):
        np.testing.assert_allclose(torch.from_dlpack(g).cpu().numpy(), w.cpu().numpy(), rtol=1e-6, atol=1e-5)
    with pytest.raises(TypeError, match="dtype float32"):
        f(t.double())
    with pytest.raises(ValueError, match="shape"):
        f(t[0])


@pytest.mark.skipif(not _importable("cupy"), reason="CuPy is not installed")
def test_cupy_arrays_go_in_without_copies():
    import cupy

    x = graphc.placeholder("x", ("n",), graphc.float64)
    f = graphc.function([x], graphc.sqrt(x) + 1, backend="cuda", transfer=False)
    a = cupy.arange(10, dtype=cupy.float64)
    np.testing.assert_allclose(cupy.asnumpy(cupy.asarray(f(a[::2])[0])), np.sqrt(np.arange(0, 10, 2)) + 1)
    with pytest.raises(TypeError, match="transfer=False"):
        f(np.arange(3.0))


def test_tensors_on_the_gpu():
    t = graphc.tensor([[1.0, 2.0], [3.0, 4.0]], device="cuda")
    w = graphc.tensor(2.0, requires_grad=True, device="cuda")
    y = graphc.sum(graphc.sin(t) * w)
    assert y.device == "cuda:0" and "device='cuda:0'" in repr(y)
    np.testing.assert_allclose(y.item(), 2 * np.sin([[1.0, 2.0], [3.0, 4.0]]).sum(), rtol=1e-6)
    y.backward()
    assert w.grad.device == "cuda:0"
    np.testing.assert_allclose(w.grad.item(), np.sin([[1.0, 2.0], [3.0, 4.0]]).sum(), rtol=1e-6)
    np.testing.assert_array_equal((t.cpu() * 2).numpy(), [[2.0, 4.0], [6.0, 8.0]])


def test_the_seed_tutorial_on_the_gpu_prints_what_it_prints_on_the_cpu():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]

    def run(script):
        return subprocess.run([sys.executable, str(root / "examples" / script)], capture_output=True,
                              text=True, check=True, cwd=root, timeout=300).stdout

    cpu, gpu = run("seed_basics.py"), run("seed_basics_cuda.py")
    assert "device='cuda:0'" in gpu
    assert gpu.replace(", device='cuda:0'", "").splitlines() == cpu.splitlines()
