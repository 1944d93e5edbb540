"""Without a GPU: every kernel the CUDA backend makes compiles with NVRTC for sm_80 and sm_90,
and ptxas spills no register to local memory in any of them."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphc import Graph
from graphc.backends.cuda import nvrtc
from graphc.backends.cuda.source import graph_module, support_source
from tests.backends.cuda.graphs import all_graphs, fused
from tests.backends.llvm.test_backend import draw_graph

ARCHS = ("sm_80", "sm_90")
GRAPHS = all_graphs()


def compile_everywhere(graph: Graph) -> str:
    """Fuse `graph` for CUDA, compile its module for every arch; assert no spills. The source."""
    source, specs = graph_module(fused(graph))
    for arch in ARCHS:
        compiled = nvrtc.compile_module(source, arch)
        assert not compiled.spills, f"{arch}: spills in {compiled.spills}\n{compiled.log}"
        entries = {name for name, usage in compiled.functions.items() if usage.registers is not None}
        wanted = {s.name for s in specs.values()} | {f"{s.name}_finish" for s in specs.values()
                                                     if s.kind == "reduce"}
        assert entries == wanted
    return source


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_every_kernel_compiles_without_spills(name):
    compile_everywhere(GRAPHS[name])


@settings(max_examples=20, deadline=None, derandomize=True, database=None)
@given(data=st.data())
def test_random_graphs_compile_without_spills(data):
    graph = draw_graph(data)
    compile_everywhere(Graph(graph.inputs, graph.outputs))


@pytest.mark.parametrize("arch", ARCHS)
def test_the_support_kernels_compile_without_spills(arch):
    compiled = nvrtc.compile_module(support_source(), arch)
    assert not compiled.spills
    names = set(compiled.functions)
    assert {"gc_copy_4", "gc_fill_8", "gc_argmax_float32", "gc_argmin_bool", "gc_matmul_int64"} <= names
    indexing = {f"gc_{kind}_{size}_{index}" for kind in ("gather", "scatter") for size in (1, 2, 4, 8)
                for index in (4, 8)}
    indexing |= {f"gc_scatter_add_{t}_{index}" for t in ("int32", "int64", "float16", "float32", "float64")
                 for index in (4, 8)}
    indexing |= {f"gc_argsort_{order}{t}" for order in ("", "descending_")
                 for t in ("bool", "int32", "int64", "float16", "float32", "float64")}
    indexing |= {"gc_nonzero_count", "gc_nonzero_positions"}
    assert indexing <= names
    assert {"gc_cumsum_float16", "gc_cumprod_int32"} <= names


def test_each_kernel_is_one_global_function_named_after_its_value():
    source = compile_everywhere(GRAPHS["corpus:fused_kernels"])
    globals_ = re.findall(r'extern "C" __global__ void __launch_bounds__\(\d+, \d+\) (\w+)\(', source)
    assert globals_ == ["k0_sum", "k0_sum_finish", "k1_sub_tanh", "k4_relu", "k6_mul"]
    assert "// k1_sub_tanh: %1 = kernel (kind=row) of the compiled graph" in source
    assert "const float sin0 = sinf(a0);" in source  # the body's `%0 = sin %a0`


def test_ptxas_reports_are_parsed():
    log = ("ptxas info    : Compiling entry function 'k' for 'sm_90'\n"
           "ptxas info    : Function properties for k\n"
           "ptxas         .     8 bytes stack frame, 4 bytes spill stores, 12 bytes spill loads\n"
           "ptxas info    : Used 40 registers, used 0 barriers\n")
    assert nvrtc.parse_log(log) == {"k": nvrtc.Usage(8, 4, 12, 40)}
    assert nvrtc.Compiled("sm_90", "", b"", log, nvrtc.parse_log(log)).spills


def test_a_bad_arch_or_source_is_a_clear_error():
    with pytest.raises(ValueError, match="sm_90"):
        nvrtc.compile_module("", "compute_90; rm -rf")
    with pytest.raises(nvrtc.CompileError, match="undefined"):
        nvrtc.compile_module("__global__ void f() { undefined_thing(); }", "sm_90")
