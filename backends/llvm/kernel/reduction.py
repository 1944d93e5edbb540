"""Reductions in a kernel: the arithmetic of each one (`Reducer`), running values kept in a loop
nest (`Accumulator`), and the variants of reduce kernels (`ReduceBuilder`, `ColumnReduceBuilder`).
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir

from graphc import dtypes
from graphc.backends.llvm.intrinsics import intrinsic
from graphc.backends.llvm.kernel.loops import KernelBuilder, Tail, splat_like
from graphc.backends.llvm.scalar import F64, I1, I32, I64, register_type, round_bfloat16
from graphc.node import Node

COLUMN_CHUNK = 256  # kept elements a column reduction accumulates at once (on the stack)


class Accumulator:
    """A reduction's running value in a loop nest: a scalar and, for vector loops, one partial
    result per lane, in entry-block slots (which become registers). `chains` vector slots
    let a loop that takes in several vectors per iteration keep independent chains of
    operations (each waits for its own previous value only), merged at the end."""

    def __init__(self, b: ir.IRBuilder, node: Node, lanes: int | None, chains: int = 1):
        self.reducer = r = Reducer(node)
        self.scalar = b.alloca(r.acc_type)
        self.vectors = [b.alloca(ir.VectorType(r.acc_type, lanes)) for _ in range(chains)] if lanes else []

    def reset(self, b: ir.IRBuilder) -> None:
        init = self.reducer.init()
        b.store(init, self.scalar)
        for slot in self.vectors:
            b.store(ir.Constant(slot.allocated_type, init.constant), slot)

    def add(self, b: ir.IRBuilder, value: ir.Value, tail: Tail | None = None, chain: int = 0) -> None:
        """Take in a value, or a vector of them into vector chain `chain` (whose lanes masked
        off in a `tail` count as the identity)."""
        r = self.reducer
        slot = self.vectors[chain] if isinstance(value.type, ir.VectorType) else self.scalar
        if tail is not None:
            identity = ir.Constant(value.type, [r.init().constant] * value.type.count)
            value = b.select(tail.mask, value, identity)
        b.store(r.combine(b, b.load(slot, typ=slot.allocated_type), value), slot)

    def total(self, b: ir.IRBuilder, reduced_sizes: list[ir.Value]) -> ir.Value:
        """The reduction of everything taken in (the chains and lanes merged), finished (a mean
        divided)."""
        r = self.reducer
        acc = b.load(self.scalar, typ=r.acc_type)
        if self.vectors:
            vector = b.load(self.vectors[0], typ=self.vectors[0].allocated_type)
            for slot in self.vectors[1:]:
                vector = r.merge(b, vector, b.load(slot, typ=slot.allocated_type))
            acc = r.merge(b, acc, r.merge_lanes(b, vector))
        return r.finish(b, acc, reduced_sizes)


class Reducer:
    """Accumulator type, initial value, combine step and finish of one reduction."""

    def __init__(self, node: Node):
        self.op, self.dtype = node.op, node.dtype
        self.value_type = register_type(node.dtype)
        # float32 (and bfloat16) sums accumulate in float64: at least as accurate as NumPy's
        # pairwise sum (and PyTorch's float32 accumulator of bfloat16).
        wide = self.op in ("sum", "mean") and node.dtype in (dtypes.float32, dtypes.bfloat16)
        self.acc_type = F64 if wide else self.value_type

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
        info = np.iinfo(self.dtype.numpy)
        return ir.Constant(self.acc_type, int(info.min) if self.op == "max" else int(info.max))

    def combine(self, b: ir.IRBuilder, acc: ir.Value, value: ir.Value) -> ir.Value:
        if self.acc_type is not self.value_type:
            wide = ir.VectorType(self.acc_type, value.type.count) \
                if isinstance(value.type, ir.VectorType) else self.acc_type
            value = b.fpext(value, wide)
        return self.merge(b, acc, value)

    def merge(self, b: ir.IRBuilder, acc: ir.Value, value: ir.Value) -> ir.Value:
        """Combine two partial results (accumulator type)."""
        floating = self.dtype.is_floating_point
        if self.op in ("sum", "mean", "prod"):
            if floating and self.op == "prod":
                return b.fmul(acc, value)
            if floating:
                result = b.fadd(acc, value)
                result.flags.append("reassoc")
                return result
            return b.mul(acc, value) if self.op == "prod" else b.add(acc, value)
        if self.dtype is dtypes.bool_:
            return b.or_(acc, value) if self.op == "max" else b.and_(acc, value)
        if floating:
            # NaN wins (sticky in `acc`); which of two equal zeros wins is free, as in NumPy.
            # Cheaper than llvm.maximum, which also orders -0 below +0.
            better = b.fcmp_ordered(">" if self.op == "max" else "<", value, acc)
            return b.select(b.or_(better, b.fcmp_unordered("uno", value, value)), value, acc)
        prefix = "u" if self.dtype is dtypes.uint8 else "s"
        return intrinsic(b, prefix + ("max" if self.op == "max" else "min"), [acc, value])

    def merge_lanes(self, b: ir.IRBuilder, vector: ir.Value) -> ir.Value:
        """The lanes of an accumulator vector combined into one value: halves at a time (a tree of
        log2(lanes) steps rather than a chain of `lanes`)."""
        while vector.type.count > 1:
            half = vector.type.count // 2
            low, high = (b.shuffle_vector(vector, vector, ir.Constant(
                ir.VectorType(I32, half), list(range(k * half, (k + 1) * half)))) for k in (0, 1))
            vector = self.merge(b, low, high)
        return b.extract_element(vector, I32(0))

    def finish(self, b: ir.IRBuilder, acc: ir.Value, reduced_sizes: list[ir.Value]) -> ir.Value:
        if self.op == "mean":
            count = I64(1)
            for size in reduced_sizes:
                count = b.mul(count, size)
            acc = b.fdiv(acc, splat_like(b, b.sitofp(count, self.acc_type), acc.type))
        if self.acc_type is not self.value_type:
            lanes = acc.type.count if isinstance(acc.type, ir.VectorType) else None
            acc = b.fptrunc(acc, ir.VectorType(self.value_type, lanes) if lanes else self.value_type)
        if self.dtype is dtypes.bfloat16:
            acc = round_bfloat16(b, acc)
        return acc


class ReduceBuilder(KernelBuilder):
    """A reduce kernel: for each kept element, one loop nest over the reduced dimensions."""

    def _loops(self, start, stop, offsets) -> None:
        self.accumulator = Accumulator(self.b, self.spec.reduction, self.lanes)
        self._nest(0, self.spec.rank - self.spec.reduced, start, stop, offsets, self._reduce_outer)

    def _reduce_outer(self, offsets):
        b, spec, acc = self.b, self.spec, self.accumulator
        acc.reset(b)

        def scalar(offs):
            (value,) = self.emitter.emit(b, self._load_scalars(offs), None)
            acc.add(b, value)

        def vector(offs, i, tail):
            (value,) = self.emitter.emit(b, self._load_vectors(offs, i, tail), self.lanes)
            acc.add(b, value, tail)

        rank = spec.rank
        self._nest(rank - spec.reduced, rank - 1, None, None, offsets,
                   lambda offs: self._innermost(offs, scalar, vector))
        self._store_all(offsets, [acc.total(b, self.sizes[rank - spec.reduced:])])


class ColumnReduceBuilder(KernelBuilder):
    """The column variant of a reduce kernel: vectors along the last kept dimension."""

    column = True

    def _loops(self, start, stop, offsets) -> None:
        self.reducer = Reducer(self.spec.reduction)
        vty = ir.VectorType(self.reducer.acc_type, self.lanes)
        self.chunk = self.b.alloca(ir.ArrayType(vty, COLUMN_CHUNK // self.lanes))
        self._nest_then(self.spec.rank - self.spec.reduced - 1, start, stop, offsets, self._column_row)

    def _column_row(self, offsets, lo, hi):
        """Reduce over the reduced dimensions with the last kept one innermost, in vectors:
        COLUMN_CHUNK kept elements at a time, each a lane's own accumulator in the chunk
        (so no lanes combine: every output element sums in the same order as one loop)."""
        b, r, spec, d = self.b, self.reducer, self.spec, self.inner
        lo = lo if lo is not None else I64(0)
        hi = hi if hi is not None else self.sizes[d]
        vty = ir.VectorType(r.acc_type, self.lanes)
        identity = ir.Constant(vty, [r.init().constant] * self.lanes)

        def chunk(c):
            end = intrinsic(b, "smin", [b.add(c, I64(COLUMN_CHUNK)), hi])
            self._loop(I64(0), I64(COLUMN_CHUNK), self.lanes, lambda j: b.store(identity, self._slot(j)))

            def accumulate(offs, j, tail):
                (value,) = self.emitter.emit(b, self._load_vectors(offs, j, tail), self.lanes)
                slot = self._slot(b.sub(j, c))
                b.store(r.combine(b, b.load(slot, typ=vty), value), slot)

            self._nest(spec.rank - spec.reduced, spec.rank, None, None, offsets,
                       lambda offs: self._innermost(offs, None, accumulate, c, end))

            def finish(offs, j, tail):
                acc = b.load(self._slot(b.sub(j, c)), typ=vty)
                self._store_all(offs, [r.finish(b, acc, self.sizes[spec.rank - spec.reduced:])], j, tail)

            self._innermost(offsets, None, finish, c, end)

        self._loop(lo, hi, COLUMN_CHUNK, chunk)

    def _slot(self, j):
        """The accumulators of the chunk's elements j, j + 1, ... (j a multiple of `lanes`)."""
        return self.b.gep(self.chunk, [I64(0), self.b.udiv(j, I64(self.lanes))], inbounds=True)
