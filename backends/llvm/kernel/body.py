"""A kernel body's elementwise ops as LLVM IR, on loaded operand values (scalars or vectors).

Each op goes through the scalar lowering table (backends/llvm/scalar.py); a sin and a cos of
the same value become one call of the math library's `sincos`.
"""

from __future__ import annotations

import functools

from llvmlite import ir

from graphc import dtypes
from graphc.backends.llvm import math as llvm_math
from graphc.backends.llvm.kernel.layout import KernelLayout
from graphc.backends.llvm.scalar import I32, LOWERING, constant, round_bfloat16, splat_constant
from graphc.graph import Graph
from graphc.kernel import VIEW_OPS
from graphc.node import Node
from graphc.rows import ROW_REDUCE_OPS

# A body's ops go into basic blocks of at most this many ops each. A large function or a huge
# module (jit.py) gets no IR pipeline, which would merge them again, and LLVM's code generator selects
# instructions one block at a time, in time that grows faster than the block: a chain of
# 100,000 ops compiled in 7.5 s instead of 11.3, with its gradient in 20.4 s instead of 25.4
# (bench/compile_scaling.py), and ran as fast. Smaller modules are merged back by the pipeline.
BLOCK_OPS = 2048


class BodyEmitter:
    """Emits the body's elementwise ops on loaded operand values (scalars or vectors)."""

    def __init__(self, body: Graph, spec: KernelLayout):
        self.order = [n for n in body.nodes if n.op not in VIEW_OPS and n.op != "placeholder"
                      and n is not spec.reduction and n.op not in ROW_REDUCE_OPS]
        self.operands = spec.operands
        self.emitted = 0
        self.results = (spec.reduction.inputs[0],) if spec.reduction is not None else body.outputs
        # sin and cos of one value share their argument reduction: one call computes both.
        trig = {(n.op, n.inputs[0]): n for n in self.order if n.op in ("sin", "cos")}
        self.sincos = {n: (n, trig[("cos", x)]) if op == "sin" else (trig[("sin", x)], n)
                       for (op, x), n in trig.items() if ("sin" if op == "cos" else "cos", x) in trig}

    def emit(self, b: ir.IRBuilder, loaded: list[ir.Value], lanes: int | None) -> list[ir.Value]:
        """The body's results, from its operands' loaded values."""
        values: dict[int, ir.Value] = {id(n): v for n, v in zip(self.operands, loaded)}
        self.emit_nodes(b, self.order, values, lanes)
        return [values[id(r)] for r in self.results]

    def emit_nodes(self, b: ir.IRBuilder, nodes: list[Node], values: dict[int, ir.Value],
                   lanes: int | None, into: dict[int, ir.Value] | None = None) -> None:
        """Compute `nodes` (in order) from `values` (by node id), adding them to `values` and,
        where given, to `into`."""
        for node in nodes:
            if id(node) in values:  # computed already (cos, by the sincos of its sin): record it
                if into is not None:
                    into[id(node)] = values[id(node)]
                continue
            if node.op == "scalar":
                c = constant(node.dtype, node.attr("value"))
                values[id(node)] = splat_constant(c, lanes) if lanes else c
                continue
            for i in node.inputs:
                if i.op == "scalar":
                    self.emit_nodes(b, [i], values, lanes)
            if node in self.sincos:
                self._emit_sincos(b, values, *self.sincos[node])
                done = self.sincos[node]
            else:
                values[id(node)] = LOWERING[node.op](b, node, [values[id(i)] for i in node.inputs])
                done = (node,)
            for n in done:
                if n.dtype is dtypes.bfloat16:  # computed in float32, rounded after each op
                    values[id(n)] = round_bfloat16(b, values[id(n)])
            if into is not None:
                into[id(node)] = values[id(node)]
            self.emitted += 1
            if self.emitted % BLOCK_OPS == 0:
                block = b.append_basic_block("ops")
                b.branch(block)
                b.position_at_end(block)

    @staticmethod
    def _emit_sincos(b: ir.IRBuilder, values: dict, sin: Node, cos: Node) -> None:
        x = values[id(sin.inputs[0])]
        both = llvm_math.emit(b, "sincos", x)
        for k, node in enumerate((sin, cos)):
            if isinstance(x.type, ir.VectorType):
                values[id(node)] = b.shuffle_vector(both, both, _half_mask(x.type.count, k))
            else:
                values[id(node)] = b.extract_element(both, I32(k))


@functools.cache
def _half_mask(lanes: int, k: int) -> ir.Constant:
    """The shuffle mask that picks half `k` of a `2 * lanes` vector (one constant for every
    sincos: llvmlite prints a constant once, and each element is an object of its own)."""
    return ir.Constant(ir.VectorType(I32, lanes), list(range(k * lanes, (k + 1) * lanes)))
