"""Without a GPU: `backend="cuda"` compiles every graph, emits its CUDA C, PTX, driver and fused
graph, refuses bad arguments as the CPU backends do, and says plainly that running needs a GPU."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import graphc
from graphc import OPS
from graphc.backends.cuda import driver, runtime, scalar
from graphc.backends.cuda.cublas import _Ctypes
from graphc.kernel import REDUCE_OPS, VIEW_OPS
from tests.backends.cuda.graphs import all_graphs

GRAPHS = all_graphs()
no_gpu = pytest.mark.skipif(runtime.is_available(), reason="this machine has a GPU")


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_every_graph_compiles_for_cuda(name):
    graph = GRAPHS[name]
    f = graphc.function(list(graph.inputs), list(graph.outputs), backend="cuda")
    kernels = [n for n in f.executable.graph.nodes if n.op == "kernel"]
    assert f.emit("cuda").count('extern "C" __global__') == len(kernels) + sum(
        k.attr("kind") == "reduce" for k in kernels)
    assert f.emit("ptx").count(".entry ") == f.emit("cuda").count('extern "C" __global__')


def test_every_op_runs_in_kernels_or_in_the_driver():
    in_kernels = set(scalar.LOWERING) | VIEW_OPS | REDUCE_OPS
    in_driver = set(driver.lowering({}))
    missing = sorted(set(OPS) - in_kernels - in_driver - {"placeholder"})
    assert not missing, f"ops the CUDA backend can neither compile nor run: {missing}"


def test_emit_names_its_stages():
    x = graphc.placeholder("x", ("n",))
    f = graphc.function([x], graphc.exp(x) * 2, backend="cuda")
    assert f.executable.stages == ("graph", "cuda", "ptx", "python")
    assert "kernel" in f.emit("graph") and "expf(a0)" in f.emit("cuda")
    assert "k0_mul(dev, x)" in f.emit("python") and ".entry k0_mul" in f.emit("ptx")
    with pytest.raises(ValueError, match="'graph', 'cuda', 'ptx', 'python'"):
        f.emit("asm")


def test_arch_option_chooses_the_target():
    x = graphc.placeholder("x", (3,))
    f = graphc.function([x], graphc.sin(x), backend="cuda", arch="sm_80")
    assert ".target sm_80" in f.emit("ptx")
    with pytest.raises(ValueError, match="architecture"):
        graphc.function([x], graphc.sin(x), backend="cuda", arch="volta")


@no_gpu
def test_calling_without_a_gpu_says_so():
    x = graphc.placeholder("x", (3,))
    f = graphc.function([x], x + 1, backend="cuda")
    with pytest.raises(RuntimeError, match="no CUDA device"):
        f(np.ones(3, np.float32))
    assert not graphc.backends.cuda.runtime.is_available()


def test_bad_arguments_are_refused_as_on_the_cpu_backends():
    x = graphc.placeholder("x", ("n", 3))
    f = graphc.function([x], x * 2, backend="cuda")
    with pytest.raises(TypeError, match="dtype float32"):
        f(np.ones((2, 3), np.float64))
    with pytest.raises(ValueError, match=r"shape \[n, 3\]"):
        f(np.ones((2, 4), np.float32))
    with pytest.raises(TypeError, match="expected 1 arguments"):
        f()
    for shape in (("n", 3), (2, 3)):  # (a static signature has a shortcut for exact arrays)
        y = graphc.placeholder("y", shape)
        device_only = graphc.function([y], y * 2, backend="cuda", transfer=False)
        with pytest.raises(TypeError, match="transfer=False"):
            device_only(np.ones((2, 3), np.float32))


@pytest.mark.parametrize("emit", ["cuda", "ptx"])
def test_the_cli_compiles_for_cuda(tmp_path, emit):
    source = tmp_path / "f.gir"
    source.write_text("graph(%x: f32[n]) {\n  %0 = exp %x : f32[n]\n  return %0\n}\n")
    run = subprocess.run([sys.executable, "-m", "graphc.cli", "compile", str(source), "--backend", "cuda",
                          "--emit", emit], capture_output=True, text=True, check=True)
    assert ("expf(a0)" if emit == "cuda" else ".entry k0_exp") in run.stdout


def test_the_cublas_binding_finds_its_library():
    try:
        blas = _Ctypes()
    except (ImportError, OSError) as err:
        pytest.skip(f"no cuBLAS library here: {err}")
    assert blas.lib.cublasSgemmStridedBatched and blas.lib.cublasGemmStridedBatchedEx
