"""backends/llvm/text.py prints a function exactly as llvmlite does: every variant of kernels
of every kind (elementwise, reduce, column, row, stream; bool, int, bfloat16 and float dtypes;
casts, selects, comparisons, phis, masked loads and stores, non-temporal metadata)."""

from __future__ import annotations

import pytest
from llvmlite import ir

import graphc
from graphc.backends.llvm import jit
from graphc.backends.llvm.kernel import build, layout, variants, vector_lanes
from graphc.backends.llvm.text import function_text, instruction_text


def kernels():
    """Graphs whose fused kernels cover the instruction kinds kernels are made of."""
    x = graphc.placeholder("x", ("n", "m"))
    v = graphc.placeholder("v", ("m",), dtype=graphc.float64)
    i = graphc.placeholder("i", ("n", "m"), dtype=graphc.int32)
    b = graphc.placeholder("b", ("m",), dtype=graphc.bfloat16)
    yield [x], [graphc.sin(x) * graphc.cos(x) + graphc.exp(-x * x) * 0.5, x > 0.25]
    yield [x], [graphc.sum(graphc.tanh(x), 0), graphc.max(x * 2.0, 1)]
    yield [x], [graphc.softmax(x, -1)]
    yield [v, b], [graphc.where(v > 1.0, graphc.sqrt(v), -v) + b.to(graphc.float64), b * b]
    yield [i], [(i * 3 + 1) // 2 - graphc.abs(i), (i % 5).to(graphc.float32)]


@pytest.mark.parametrize("case", range(5))
def test_function_text_is_llvmlites(case):
    inputs, outputs = list(kernels())[case]
    f = graphc.function(inputs, outputs, backend="llvm")
    module = ir.Module("test")
    module.triple = jit.triple()
    for k, node in enumerate(f.executable.layouts):
        body = node.attr("body")
        spec = layout(body, f"kernel{k}", node.attr("kind"))
        lanes = vector_lanes(jit.vector_bits(), body)
        for variant in variants(spec, lanes):
            build(body, spec, module, lanes, variant)
    functions = [g for g in module.globals.values() if isinstance(g, ir.Function) and g.blocks]
    assert len(functions) >= 2
    for fn in functions:
        ours = function_text(fn)  # (first: llvmlite caches the strings it prints)
        assert ours == str(fn), fn.name


def test_an_instruction_with_metadata_is_llvmlites_too():
    module = ir.Module("test")
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [ir.PointerType(), ir.DoubleType()]), "f")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    store = b.store(fn.args[1], fn.args[0], align=8)
    store.set_metadata("nontemporal", module.add_metadata([ir.IntType(32)(1)]))
    b.ret_void()
    assert instruction_text(store) == str(store)
    assert function_text(fn) == str(fn)
