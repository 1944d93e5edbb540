"""The loop nest of a kernel function: its arguments, its loops, and its loads and stores.

`KernelBuilder` builds one variant of a kernel function; its subclasses say what runs inside
the loops (`ElementwiseBuilder` here; reductions and row kernels in their own modules).
"""

from __future__ import annotations

from dataclasses import dataclass

from llvmlite import ir

from graphc import dtypes
from graphc.backends.llvm.intrinsics import intrinsic, masked_load, masked_store, store_fence
from graphc.backends.llvm.kernel.body import BodyEmitter
from graphc.backends.llvm.kernel.layout import BROADCAST, CONTIGUOUS, KernelLayout
from graphc.backends.llvm.scalar import (
    F32,
    F64,
    I1,
    I8,
    I16,
    I32,
    I64,
    VectorText,
    from_bfloat16,
    like,
    memory_type,
    to_bfloat16,
)
from graphc.dtypes import DType
from graphc.graph import Graph

PTR = ir.PointerType()
ARRAY_DATA_OFFSET = 16  # PyArrayObject.data follows ob_refcnt and ob_type (checked at import)
ALIGN = {I1: 1, I8: 1, I16: 2, I32: 4, I64: 8, F32: 4, F64: 8}  # element alignment of vector accesses
STREAM_ALIGNMENT = 64  # a stream variant's outputs start on a cache line, and so do its rows


@dataclass
class Tail:
    """The last, partial vector of a row: which lanes are in bounds, and the last one's index."""

    mask: ir.Value  # <lanes x i1>
    last: ir.Value  # i64: lanes past it repeat it


def plus(b: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
    """`x + y` for i64 offsets, without an instruction where one of them is the constant 0
    (a 1-d kernel's offsets all start at 0: hundreds of `add 0, %i` for LLVM to fold)."""
    if isinstance(x, ir.Constant) and x.constant == 0:
        return y
    if isinstance(y, ir.Constant) and y.constant == 0:
        return x
    return b.add(x, y)


def splat(b: ir.IRBuilder, value: ir.Value, lanes: int) -> ir.Value:
    """`value` in every lane of a vector (a vector `value` is returned as it is)."""
    if isinstance(value.type, ir.VectorType):
        return value
    vty = ir.VectorType(value.type, lanes)
    poison = VectorText(vty, "poison")  # (one word of text, not one per lane)
    one = b.insert_element(poison, value, I32(0))
    return b.shuffle_vector(one, poison, ir.Constant(ir.VectorType(I32, lanes), [0] * lanes))


def splat_like(b: ir.IRBuilder, value: ir.Value, ty: ir.Type) -> ir.Value:
    """`value` broadcast to vector type `ty`, or itself where `ty` is scalar."""
    return splat(b, value, ty.count) if isinstance(ty, ir.VectorType) else value


class KernelBuilder:
    """Builds one variant of a kernel function: `lanes` elements at a time along the innermost
    dimension (None: the scalar, generic variant), `stream` for non-temporal vector stores."""

    column = False  # whether vectors run along the last kept dimension (column reductions)

    def __init__(self, body: Graph, spec: KernelLayout, module: ir.Module, name: str,
                 lanes: int | None, stream: bool = False):
        self.spec, self.lanes = spec, lanes
        # whole vectors go straight to memory (the caller guarantees cache-line alignment)
        self.nontemporal = module.add_metadata([I32(1)]) if stream else None
        # the dimension vectors run along, and the stride classes they were built for
        self.inner = spec.rank - spec.reduced - 1 if self.column else spec.rank - 1
        self.expected = spec.column_expected if self.column else spec.expected
        self.fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR, PTR, PTR, I64, I64]), name)
        for arg in self.fn.args[:3]:
            arg.add_attribute("noalias")
        self.emitter = BodyEmitter(body, spec)
        self.first_output = len(spec.operands)

    def build(self) -> None:
        """Emit the function: read its arguments, then the variant's loops (`_loops`)."""
        fn, spec = self.fn, self.spec
        data, strides, shape, start, stop = fn.args
        b = self.b = ir.IRBuilder(fn.append_basic_block("entry"))
        n, rank = len(spec.operands) + len(spec.outputs), spec.rank
        objects = [b.load(b.gep(data, [I64(k)], source_etype=PTR), typ=PTR) for k in range(n)]
        self.bases = [b.load(b.gep(o, [I64(ARRAY_DATA_OFFSET)], source_etype=I8), typ=PTR)
                      for o in objects]
        self.entry, self.strides, self._steps = b.block, strides, {}
        self.sizes = [b.load(b.gep(shape, [I64(d)], source_etype=I64), typ=I64) for d in range(rank)]
        self._loops(start, stop, [I64(0)] * n)
        if self.nontemporal is not None:  # streaming stores are weakly ordered: publish them
            store_fence(b)
        b.ret_void()

    def _loops(self, start, stop, offsets) -> None:
        """The variant's loops, the outermost dimension from `start` to `stop`."""
        raise NotImplementedError

    # ------------------------------------------------------------------ loop nests
    def _nest(self, depth, end, start, stop, offsets, body):
        """Loops over dimensions depth..end-1, calling body(offsets) innermost."""
        if depth == end:
            body(offsets)
            return
        lo = start if depth == 0 and start is not None else I64(0)
        hi = stop if depth == 0 and stop is not None else self.sizes[depth]
        self._loop(lo, hi, 1, lambda i: self._nest(depth + 1, end, None, None, self._at(offsets, depth, i),
                                                   body))

    def _nest_then(self, end, start, stop, offsets, body):
        """Loops over dimensions 0..end-1, calling body(offsets, lo, hi) innermost for dimension
        `end`: `lo` and `hi` are `start` and `stop` where it is the outermost, else None."""
        outermost = end == 0
        self._nest(0, end, start, stop, offsets, lambda offs: body(
            offs, start if outermost else None, stop if outermost else None))

    def _loop(self, lo, hi, step: int, body):
        b, fn = self.b, self.fn
        head = b.block
        loop, after = fn.append_basic_block("loop"), fn.append_basic_block("after")
        b.cbranch(b.icmp_signed("<", lo, hi), loop, after)
        b.position_at_end(loop)
        i = b.phi(I64)
        i.add_incoming(lo, head)
        body(i)
        nxt = b.add(i, I64(step))
        i.add_incoming(nxt, b.block)
        b.cbranch(b.icmp_signed("<", nxt, hi), loop, after)
        b.position_at_end(after)

    def _innermost(self, offsets, scalar_body, vector_body, lo=None, hi=None):
        """The last dimension (from `lo` to `hi`): vectors of `lanes` elements, then scalars."""
        b, d = self.b, self.inner
        lo = lo if lo is not None else I64(0)
        hi = hi if hi is not None else self.sizes[d]
        if self.lanes is None:
            self._loop(lo, hi, 1, lambda i: scalar_body(self._at(offsets, d, i)))
            return
        vector_end = b.add(lo, b.and_(b.sub(hi, lo), I64(-self.lanes)))
        self._loop(lo, vector_end, self.lanes, lambda i: vector_body(offsets, i, None))
        # The last partial vector: its lanes past `hi` are masked off (no scalar copy of the body).
        with b.if_then(b.icmp_signed("<", vector_end, hi)):
            lanes = ir.Constant(ir.VectorType(I64, self.lanes), list(range(self.lanes)))
            index = b.add(splat(b, vector_end, self.lanes), lanes)
            vector_body(offsets, vector_end, Tail(b.icmp_signed("<", index, splat(b, hi, self.lanes)),
                                                  b.sub(b.sub(hi, vector_end), I64(1))))

    def _at(self, offsets, d, i):
        return [plus(self.b, off, self.b.mul(i, self.step(k, d))) for k, off in enumerate(offsets)]

    def step(self, k: int, d: int) -> ir.Value:
        """Array `k`'s element stride along dimension `d`, loaded in the entry block when first
        needed (a kernel of hundreds of contiguous outputs needs none of theirs)."""
        step = self._steps.get((k, d))
        if step is None:
            b = self.b
            with b.goto_block(self.entry):
                at = b.gep(self.strides, [I64(k * self.spec.rank + d)], source_etype=I64)
                step = self._steps[k, d] = b.load(at, typ=I64)
        return step

    # --------------------------------------------------------------- memory access
    def _element(self, k: int, node_dtype, offset):
        ty = memory_type(node_dtype)
        return self.b.gep(self.bases[k], [offset], inbounds=True, source_etype=ty)

    def _from_memory(self, value: ir.Value, dtype: DType) -> ir.Value:
        """A loaded value as registers hold it: a bool is a byte in memory and an i1 there, a
        bfloat16 16 bits there and a float32 here."""
        if dtype is dtypes.bfloat16:
            return from_bfloat16(self.b, value)
        return self.b.trunc(value, like(value, I1)) if dtype is dtypes.bool_ else value

    def _load_operands(self, load, only: set[int] | None):
        """Each operand's `load(k, node, memory type)`, None for those not in `only` (if given)."""
        return [None if only is not None and k not in only
                else self._from_memory(load(k, node, memory_type(node.dtype)), node.dtype)
                for k, node in enumerate(self.spec.operands)]

    def _load_scalars(self, offsets, only: set[int] | None = None):
        return self._load_operands(
            lambda k, node, ty: self.b.load(self._element(k, node.dtype, offsets[k]), typ=ty), only)

    def _load_vectors(self, offsets, i, tail: Tail | None, only: set[int] | None = None):
        """Each operand's `lanes` elements from index `i` of the last dimension; in a `tail`,
        masked lanes hold a copy of an element in bounds (never read past the end). Operands
        not in `only` (where given) are not loaded (None)."""
        b, d, lanes = self.b, self.inner, self.lanes

        def load(k, node, ty):
            kind = self.expected[k]
            if kind == CONTIGUOUS:
                return self._load_run(self._element(k, node.dtype, plus(b, offsets[k], i)), ty, tail)
            if kind == BROADCAST:
                return splat(b, b.load(self._element(k, node.dtype, offsets[k]), typ=ty), lanes)
            v = ir.Constant(ir.VectorType(ty, lanes), ir.Undefined)
            for j in range(lanes):
                at = I64(j) if tail is None else intrinsic(b, "smin", [I64(j), tail.last])
                off = plus(b, offsets[k], b.mul(b.add(i, at), self.step(k, d)))
                v = b.insert_element(v, b.load(self._element(k, node.dtype, off), typ=ty), I32(j))
            return v

        return self._load_operands(load, only)

    def _load_run(self, ptr, ty: ir.Type, tail: Tail | None) -> ir.Value:
        """`lanes` consecutive elements of type `ty` from `ptr`; in a `tail`, the masked lanes
        hold a copy of the first."""
        b = self.b
        if tail is None:
            return b.load(ptr, typ=ir.VectorType(ty, self.lanes), align=ALIGN[ty])
        first = splat(b, b.load(ptr, typ=ty), self.lanes)
        return masked_load(b, ptr, ALIGN[ty], tail.mask, first)

    def _store_all(self, offsets, values, i=None, tail: Tail | None = None):
        """Store each output's value at its offset (plus `i` for vectors of `lanes` elements,
        only the unmasked lanes in a `tail`)."""
        for k, value in enumerate(values):
            self._store(k, value, offsets, i, tail)

    def _store(self, j: int, value, offsets, i=None, tail: Tail | None = None, stream: bool = True):
        """Store output `j`'s value (as `_store_all`); `stream=False`: through the caches, even
        in a stream variant (a row kernel reads it back)."""
        b, node, k = self.b, self.spec.outputs[j], self.first_output + j
        ty = memory_type(node.dtype)
        if node.dtype is dtypes.bool_:
            value = b.zext(value, ir.VectorType(I8, self.lanes) if i is not None else I8)
        elif node.dtype is dtypes.bfloat16:
            value = to_bfloat16(b, value)
        ptr = self._element(k, node.dtype, offsets[k] if i is None else plus(b, offsets[k], i))
        if tail is not None:
            masked_store(b, value, ptr, ALIGN[ty], tail.mask)
        elif i is not None and self.nontemporal is not None and stream:
            store = b.store(value, ptr, align=min(STREAM_ALIGNMENT, self.lanes * ALIGN[ty]))
            store.set_metadata("nontemporal", self.nontemporal)
        else:
            b.store(value, ptr, align=ALIGN[ty] if i is not None else None)


class ElementwiseBuilder(KernelBuilder):
    """An elementwise kernel: each element's outputs, stored in the same iteration."""

    def _loops(self, start, stop, offsets) -> None:
        if self.spec.rank == 0:
            self._scalar(offsets)
            return
        inner = self._innermost if self.lanes is None else self._vector_loop
        self._nest_then(self.spec.rank - 1, start, stop, offsets,
                        lambda offs, lo, hi: inner(offs, self._scalar, None, lo, hi))

    def _scalar(self, offsets) -> None:
        self._store_all(offsets, self.emitter.emit(self.b, self._load_scalars(offsets), None))

    def _vector_loop(self, offsets, _scalar, _vector, lo=None, hi=None) -> None:
        """The last dimension in vectors of `lanes` elements, the body emitted once: each
        iteration loads and stores whole vectors, or masked ones in the last, partial vector
        (a branch the CPU predicts). A body written twice, once more for the tail, doubled the
        IR that LLVM optimises and compiles, which dominates the compile time of long chains."""
        b, d, lanes = self.b, self.inner, self.lanes
        lo = lo if lo is not None else I64(0)
        hi = hi if hi is not None else self.sizes[d]
        vector_end = b.add(lo, b.and_(b.sub(hi, lo), I64(-lanes)))
        head = b.block
        loop, after = self.fn.append_basic_block("loop"), self.fn.append_basic_block("after")
        b.cbranch(b.icmp_signed("<", lo, hi), loop, after)
        b.position_at_end(loop)
        i = b.phi(I64)
        i.add_incoming(lo, head)
        whole = b.icmp_signed("<", i, vector_end)
        with b.if_else(whole) as (then, otherwise):
            with then:
                plain, plain_block = self._load_vectors(offsets, i, None), b.block
            with otherwise:
                masked = self._load_vectors(offsets, i, self._tail(i, hi))
                masked_block = b.block
        loaded = []
        for p, m in zip(plain, masked):
            v = b.phi(p.type)
            v.add_incoming(p, plain_block)
            v.add_incoming(m, masked_block)
            loaded.append(v)
        values = self.emitter.emit(b, loaded, lanes)
        with b.if_else(whole) as (then, otherwise):
            with then:
                self._store_all(offsets, values, i)
            with otherwise:
                self._store_all(offsets, values, i, self._tail(i, hi))
        nxt = b.add(i, I64(lanes))
        i.add_incoming(nxt, b.block)
        b.cbranch(b.icmp_signed("<", nxt, hi), loop, after)
        b.position_at_end(after)

    def _tail(self, i, hi) -> Tail:
        """The lanes of the vector at index `i` that are before `hi`."""
        b, lanes = self.b, self.lanes
        index = b.add(splat(b, i, lanes), ir.Constant(ir.VectorType(I64, lanes), list(range(lanes))))
        return Tail(b.icmp_signed("<", index, splat(b, hi, lanes)), b.sub(b.sub(hi, i), I64(1)))
