"""Every registered backend's executable keeps the Executable protocol (graphc.backends)."""

import io

import numpy as np
import pytest

import graphc
from graphc.backends import BACKENDS, lookup, register_backend
from graphc.backends import compile as compile_graph


def _graph():
    x = graphc.placeholder("x", shape=("n",))
    return graphc.Graph([x], [graphc.sin(x) * 2.0 + graphc.sum(x)])


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_every_stage_emits_text_and_others_are_refused_by_name(backend):
    executable = compile_graph(_graph(), backend)
    assert executable.backend == backend
    assert executable.source == executable.emit(executable.stages[0])
    for stage in executable.stages:
        assert executable.emit(stage).strip(), f"{backend} emitted nothing for {stage}"
    first = executable.stages[0]
    with pytest.raises(ValueError, match=f"the {backend} backend emits .*'{first}'.*not 'nope'"):
        executable.emit("nope")


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_a_checked_call_and_an_unchecked_one_agree(backend):
    if backend == "cuda" and not graphc.cuda.is_available():
        pytest.skip("the CUDA backend runs only on a GPU")
    executable = compile_graph(_graph(), backend)
    x = np.linspace(-1, 1, 7, dtype=np.float32)
    (checked,), (unchecked,) = executable(x), executable.run_unchecked(x)
    np.testing.assert_array_equal(checked, unchecked)
    with pytest.raises(TypeError, match="must have dtype float32"):
        executable(x.astype(np.float64))


def test_the_backend_pipeline_runs_under_the_pass_manager_and_its_instrumentation():
    out = io.StringIO()
    executable = compile_graph(_graph(), "llvm", print_ir_after_all=True, time_passes=True, out=out)
    printed = out.getvalue()
    assert "IR Dump After fuse (1)" in printed and "= kernel %x" in printed
    assert "6 -> 3 (-3)  fuse" in printed  # the timing report counts fuse's nodes
    assert "kernel" in executable.emit("graph")
    assert lookup("llvm").pipeline == "fuse{backend=llvm}"


def test_function_emit_lists_the_stages_of_its_backend():
    x = graphc.placeholder("x", shape=(3,))
    f = graphc.function([x], graphc.exp(x), backend="numpy")
    assert f.stages == ("python", "graph")
    with pytest.raises(ValueError, match="emits 'python', 'graph', not 'asm'"):
        f.emit("asm")


def test_an_unknown_backend_is_named_with_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown backend 'nope'; choose one of \['cuda', 'llvm', 'numpy'"):
        compile_graph(_graph(), "nope")


def test_a_registered_backend_is_compiled_with_its_pipeline(monkeypatch):
    monkeypatch.setitem(BACKENDS, "fused-numpy", BACKENDS["numpy"])
    register_backend("fused-numpy", "graphc.backends.numpy", "fuse{backend=numpy}")
    executable = compile_graph(_graph(), "fused-numpy")
    assert any(n.op == "kernel" for n in executable.graph.nodes)
    (y,) = executable(np.ones(4, np.float32))
    np.testing.assert_allclose(y, np.sin(1.0) * 2 + 4, rtol=1e-6)
