"""A kernel's body becomes one LLVM function: a loop nest over its iteration space.

The generated function has the signature

    void kernel(ptr data, ptr strides, ptr shape, i64 start, i64 stop)

`data` holds one pointer per operand and one for the output; `strides` holds, per
array, one element stride per iteration dimension (0 where broadcast); `shape` the
iteration sizes. The outermost dimension runs from `start` to `stop`, so callers
can split it across threads. Reduce kernels iterate the reduced dimensions
innermost (the caller transposes its views so they come last).
"""

from __future__ import annotations

from dataclasses import dataclass

from llvmlite import ir

from backends.llvm.scalar import (
    F64,
    I1,
    I8,
    I64,
    LOWERING,
    constant,
    intrinsic,
    memory_type,
    register_type,
)
from graphc import dtypes
from graphc.graph import Graph
from graphc.node import Node

VIEW_OPS = frozenset({"broadcast_to", "reshape", "transpose", "getitem", "flip"})
REDUCTIONS = frozenset({"sum", "prod", "mean", "max", "min"})
PTR = ir.PointerType()


@dataclass
class KernelLayout:
    """What the caller must prepare: which body values are loaded, and how the loops run."""

    name: str
    operands: list[Node]  # body nodes read from memory (inputs or view chains)
    rank: int  # iteration rank
    reduced: int  # how many trailing iteration dimensions are reduced
    reduction: Node | None  # the reduce node, for reduce kernels


def layout(body: Graph, name: str) -> KernelLayout:
    """Find the operands a body loads and the shape of its loop nest."""
    output = body.outputs[0]
    reduction = output if output.op in REDUCTIONS else None
    operands: list[Node] = []
    for node in body.nodes:
        if node.op in VIEW_OPS or node.op == "placeholder" or node.op == "scalar":
            continue
        for i in node.inputs:
            if (i.op in VIEW_OPS or i.op == "placeholder") and i not in operands:
                operands.append(i)
    if output.op in VIEW_OPS or output.op == "placeholder":  # a kernel that only copies
        operands.append(output)
    if reduction is not None:
        rank = reduction.inputs[0].ndim
        reduced = len(reduction.attr("axes"))
    else:
        rank, reduced = output.ndim, 0
    return KernelLayout(name, operands, rank, reduced, reduction)


def build(body: Graph, spec: KernelLayout, module: ir.Module) -> ir.Function:
    """Add the kernel's function to `module`."""
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR, PTR, PTR, I64, I64]), spec.name)
    data, strides, shape, start, stop = fn.args
    for arg in (data, strides, shape):
        arg.add_attribute("noalias")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    n = len(spec.operands) + 1
    rank = spec.rank
    bases = [b.load(b.gep(data, [I64(k)], source_etype=PTR), typ=PTR) for k in range(n)]
    steps = [[b.load(b.gep(strides, [I64(k * rank + d)], source_etype=I64), typ=I64)
              for d in range(rank)] for k in range(n)]
    sizes = [b.load(b.gep(shape, [I64(d)], source_etype=I64), typ=I64) for d in range(rank)]
    emitter = _BodyEmitter(body, spec)
    out_type = body.outputs[0].dtype
    kept = rank - spec.reduced

    def store(b, offsets, value):
        ty = memory_type(out_type)
        if out_type is dtypes.bool_:
            value = b.zext(value, I8)
        b.store(value, b.gep(bases[-1], [offsets[-1]], inbounds=True, source_etype=ty))

    def loads(b, offsets):
        values = []
        for k, node in enumerate(spec.operands):
            ty = memory_type(node.dtype)
            v = b.load(b.gep(bases[k], [offsets[k]], inbounds=True, source_etype=ty), typ=ty)
            values.append(b.trunc(v, I1) if node.dtype is dtypes.bool_ else v)
        return values

    zero = [I64(0)] * n
    if spec.reduction is None:
        def innermost(b, offsets):
            store(b, offsets, emitter.emit(b, loads(b, offsets)))
        _nest(b, fn, 0, rank, sizes, steps, start, stop, zero, innermost)
    else:
        reducer = _Reducer(spec.reduction)
        acc = b.alloca(reducer.acc_type)  # in the entry block, so it becomes a register

        def outer(b, offsets):
            b.store(reducer.init(), acc)

            def accumulate(b, inner_offsets):
                value = emitter.emit(b, loads(b, inner_offsets))
                b.store(reducer.combine(b, b.load(acc, typ=reducer.acc_type), value), acc)

            _nest(b, fn, kept, rank, sizes, steps, None, None, offsets, accumulate)
            store(b, offsets, reducer.finish(b, b.load(acc, typ=reducer.acc_type), sizes[kept:]))

        _nest(b, fn, 0, kept, sizes, steps, start, stop, zero, outer)
    b.ret_void()
    return fn


def _nest(b, fn, depth, end, sizes, steps, start, stop, offsets, body):
    """Loops over dimensions depth..end-1, calling body(builder, offsets) innermost."""
    if depth == end:
        body(b, offsets)
        return
    lo = start if depth == 0 and start is not None else I64(0)
    hi = stop if depth == 0 and stop is not None else sizes[depth]
    head = b.block
    loop = fn.append_basic_block(f"loop{depth}")
    after = fn.append_basic_block(f"after{depth}")
    b.cbranch(b.icmp_signed("<", lo, hi), loop, after)
    b.position_at_end(loop)
    i = b.phi(I64, f"i{depth}")
    i.add_incoming(lo, head)
    inner = [b.add(off, b.mul(i, steps[k][depth])) for k, off in enumerate(offsets)]
    _nest(b, fn, depth + 1, end, sizes, steps, None, None, inner, body)
    nxt = b.add(i, I64(1))
    i.add_incoming(nxt, b.block)
    b.cbranch(b.icmp_signed("<", nxt, hi), loop, after)
    b.position_at_end(after)


class _BodyEmitter:
    """Emits the body's elementwise ops on loaded operand values."""

    def __init__(self, body: Graph, spec: KernelLayout):
        self.order = [n for n in body.nodes
                      if n.op not in VIEW_OPS and n.op != "placeholder" and n is not spec.reduction]
        self.operands = spec.operands
        self.result = spec.reduction.inputs[0] if spec.reduction is not None else body.outputs[0]

    def emit(self, b: ir.IRBuilder, loaded: list[ir.Value]) -> ir.Value:
        values: dict[int, ir.Value] = {id(n): v for n, v in zip(self.operands, loaded)}
        for node in self.order:
            if id(node) in values:
                continue
            if node.op == "scalar":
                values[id(node)] = constant(node.dtype, node.attr("value"))
                continue
            args = [values[id(i)] for i in node.inputs]
            values[id(node)] = LOWERING[node.op](b, node, args)
        return values[id(self.result)]


class _Reducer:
    """Accumulator type, initial value, combine step and finish of one reduction."""

    def __init__(self, node: Node):
        self.op = node.op
        self.dtype = node.dtype
        value_type = register_type(node.dtype)
        # float32 sums accumulate in float64: at least as accurate as NumPy's pairwise sum.
        wide = self.op in ("sum", "mean") and node.dtype is dtypes.float32
        self.acc_type = F64 if wide else value_type
        self.value_type = value_type

    def init(self) -> ir.Constant:
        floating = self.dtype.is_floating_point
        if self.op in ("sum", "mean"):
            return ir.Constant(self.acc_type, 0.0 if floating else 0)
        if self.op == "prod":
            return ir.Constant(self.acc_type, 1.0 if floating else 1)
        if self.dtype is dtypes.bool_:
            return ir.Constant(I1, 0 if self.op == "max" else 1)
        if floating:
            return ir.Constant(self.acc_type, float("-inf") if self.op == "max" else float("inf"))
        bits = self.acc_type.width
        return ir.Constant(self.acc_type, -(2 ** (bits - 1)) if self.op == "max" else 2 ** (bits - 1) - 1)

    def combine(self, b: ir.IRBuilder, acc: ir.Value, value: ir.Value) -> ir.Value:
        floating = self.dtype.is_floating_point
        if self.acc_type is not self.value_type:
            value = b.fpext(value, self.acc_type)
        if self.op in ("sum", "mean", "prod"):
            result = (b.fadd if self.op != "prod" else b.fmul)(acc, value) if floating else \
                (b.add if self.op != "prod" else b.mul)(acc, value)
            if floating:
                result.flags.append("reassoc")
            return result
        if self.dtype is dtypes.bool_:
            return b.or_(acc, value) if self.op == "max" else b.and_(acc, value)
        name = ("maximum" if self.op == "max" else "minimum") if floating else \
            ("smax" if self.op == "max" else "smin")
        return intrinsic(b, name, [acc, value])

    def finish(self, b: ir.IRBuilder, acc: ir.Value, reduced_sizes: list[ir.Value]) -> ir.Value:
        if self.op == "mean":
            count = I64(1)
            for size in reduced_sizes:
                count = b.mul(count, size)
            acc = b.fdiv(acc, b.sitofp(count, self.acc_type))
        if self.acc_type is not self.value_type:
            acc = b.fptrunc(acc, self.value_type)
        return acc

