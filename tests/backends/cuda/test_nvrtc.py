"""Without a GPU: every kernel the CUDA backend makes compiles with NVRTC for sm_80 and sm_90,
and ptxas spills no register to local memory in any of them."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphc
from graphc import Graph
from graphc.backends.cuda import nvrtc
from graphc.backends.cuda.source import compile_graph_module, graph_module, support_source
from graphc.ops import GraphBuildError
from graphc.testing import generator, gradients
from tests.backends.cuda.graphs import all_graphs, fused
from tests.backends.llvm.test_backend import draw_graph

ARCHS = ("sm_80", "sm_90")
GRAPHS = all_graphs()


def compile_everywhere(graph: Graph) -> str:
    """Fuse `graph` for CUDA, compile its module for every arch; assert no spills. The source."""
    source, specs = graph_module(fused(graph))
    for arch in ARCHS:
        compiled = compile_graph_module(source, arch)
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
    head = r'extern "C" __global__ void __launch_bounds__\(\d+, GC_MIN_BLOCKS_\w+\) (\w+)\('
    globals_ = re.findall(head, source)
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


@pytest.mark.parametrize("seed", range(24))
def test_the_fuzzers_graphs_compile_without_spills(seed):
    """The differential fuzzer's programs (graphc/testing, `make fuzz`): every op family, bool,
    integer and float dtypes, symbolic and empty shapes; those graphc refuses to build are
    refused on every backend alike (the fuzzer counts them too)."""
    try:
        built = generator.generate(seed).program.build()
    except (GraphBuildError, ValueError, TypeError, IndexError):
        pytest.skip("graphc refuses this program on every backend (a clear error)")
    compile_everywhere(built.graph)


# 36: a float64 kernel that needs more than 128 registers on sm_90; 43: one that spilled once
# sibling kernels merged; 110: a row kernel reading a row operand in two passes (declared twice)
@pytest.mark.parametrize("seed", [*range(8), 36, 43, 110])
def test_the_fuzzers_gradient_graphs_compile_without_spills(seed):
    """The gradient graphs of the fuzzer's gradient cases (as graphc/testing/gradients.py
    derives them: a vector-Jacobian product of the floating-point outputs)."""
    try:
        case = gradients.differentiable(generator.generate(seed, generator.GRADS))
        built = case.program.build()
    except (GraphBuildError, ValueError, TypeError, IndexError):
        pytest.skip("graphc refuses this program on every backend (a clear error)")
    cots = [graphc.placeholder(f"c{k}", tuple(o.shape), o.dtype) for k, o in enumerate(built.outputs)]
    grads = graphc.vjp(built.outputs, built.placeholders, cots)
    compile_everywhere(Graph([*built.placeholders, *cots], list(grads)))


def test_only_kernels_that_spill_are_given_more_registers(monkeypatch):
    """A kernel that fits in 64 registers keeps 4 blocks per SM (no define); one that spills is
    compiled again with 2, then 1, and no longer spills."""
    calls = []
    compile_module = nvrtc.compile_module
    monkeypatch.setattr(nvrtc, "compile_module", lambda source, arch, defines=(): calls.append(defines)
                        or compile_module(source, arch, defines=defines))
    x = graphc.placeholder("x", ("n",))
    source, _ = graph_module(fused(Graph([x], [graphc.sin(x) * 2.0])))
    assert not compile_graph_module(source, "sm_90").spills and calls == [()]
    calls.clear()
    case = gradients.differentiable(generator.generate(36, generator.GRADS))
    built = case.program.build()
    cots = [graphc.placeholder(f"c{k}", tuple(o.shape), o.dtype) for k, o in enumerate(built.outputs)]
    source, _ = graph_module(fused(Graph([*built.placeholders, *cots],
                                         list(graphc.vjp(built.outputs, built.placeholders, cots)))))
    compiled = compile_graph_module(source, "sm_90")
    assert not compiled.spills and len(calls) == 3
    assert calls[1] == ("GC_MIN_BLOCKS_k14_add=2",) and calls[2] == ("GC_MIN_BLOCKS_k14_add=1",)
    assert compiled.functions["k14_add"].registers > 128
