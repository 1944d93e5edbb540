"""A kernel's body becomes LLVM functions: loop nests over its iteration space.

Each generated function has the signature

    void kernel(ptr arrays, ptr strides, ptr shape, i64 start, i64 stop)

`arrays` holds one NumPy array object (a `PyObject *`) per operand and one per
output; the kernel reads each one's data pointer from NumPy's public struct layout
(`PyArray_DATA`: the field after the object header), which costs far less per call
than asking NumPy for it from Python. `strides` holds, per
array, one element stride per iteration dimension (0 where broadcast); `shape` the
iteration sizes. The outermost dimension runs from `start` to `stop`, so callers
can split it across threads. Reduce kernels iterate the reduced dimensions
innermost (the caller transposes its views so they come last).

Two variants are built per kernel. The *generic* one is a plain scalar loop nest
that accepts any strides. The *vector* one is specialised for the innermost strides
the operands are expected to have (1: contiguous, 0: broadcast, other: strided) and
processes `lanes` elements per iteration with explicit vector instructions; the last,
partial vector of a row runs the same code with its lanes past the end masked off
(masked loads and stores), so the body is emitted once. The caller picks the vector
variant when the actual strides match, and the backend compiles the generic variants
of such kernels only when some call needs one. A kernel of several outputs stores each
in the same iteration. A reduce kernel that keeps some dimensions also gets a *column*
variant, for reductions over leading axes (`sum(x, 0)` of a C-ordered `x`): it runs
along the last kept dimension in vectors, each lane accumulating its own output element
over the reduced dimensions (COLUMN_CHUNK accumulators at a time, on the stack), so it
reads memory in order instead of gathering strided elements; the caller picks it when
it gathers fewer operands than the row-wise vector variant would.

A row kernel (graphc/rows.py) loops over its kept dimensions; for each row it runs the
passes its schedule lists, each a loop over the row (vectors, masked tail) that
accumulates that pass's reductions and stores what the pass writes, and between passes
computes the row's constant values as scalars. A stashed value is stored in the memory of
the output that is its home and loaded back by later passes at the same offsets.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass

from graphc.backends.llvm import math as llvm_math
from graphc.backends.llvm.intrinsics import intrinsic, masked_load, masked_store, prefetch, store_fence
from graphc.backends.llvm.scalar import (
    F32,
    F64,
    I1,
    I8,
    I64,
    LOWERING,
    constant,
    memory_type,
    register_type,
)
from llvmlite import ir

from graphc import dtypes
from graphc.graph import Graph
from graphc.kernel import VIEW_OPS
from graphc.node import Node
from graphc.rows import ROW_REDUCE_OPS, RowPass, RowSchedule, row_schedule

PTR = ir.PointerType()
I32 = ir.IntType(32)
CONTIGUOUS, BROADCAST, STRIDED = "c", "b", "s"
ARRAY_DATA_OFFSET = 16  # PyArrayObject.data follows ob_refcnt and ob_type (checked at import)
ALIGN = {I1: 1, I8: 1, I32: 4, I64: 8, F32: 4, F64: 8}  # element alignment of vector accesses
COLUMN_CHUNK = 256  # kept elements a column reduction accumulates at once (on the stack)
X86_64 = platform.machine().lower() in ("x86_64", "amd64")
STREAM_ALIGNMENT = 64  # a stream variant's outputs start on a cache line, and so do its rows


@dataclass
class KernelLayout:
    """What the caller must prepare: which body values are loaded, and how the loops run."""

    name: str
    operands: list[Node]  # body nodes read from memory (inputs or view chains)
    rank: int  # iteration rank
    reduced: int  # how many trailing iteration dimensions are reduced
    reduction: Node | None  # the reduce node, for reduce kernels
    outputs: tuple[Node, ...]  # the body's outputs, stored in this order after the operands
    expected: tuple[str, ...]  # innermost stride class of each operand and each output
    column_expected: tuple[str, ...] | None = None  # the same along the last kept dimension
    schedule: RowSchedule | None = None  # a row kernel's passes over each row (the trailing
    # `reduced` dimensions)

    def function(self, variant: str) -> str:
        """The name of the kernel's "generic", "vector", "column" or "stream" function."""
        return f"{self.name}_{variant}"


def layout(body: Graph, name: str, kind: str = "elementwise") -> KernelLayout:
    """Find the operands a body loads, the shape of its loop nest and the strides to expect."""
    output = body.outputs[0]
    reduction = output if kind == "reduce" else None
    schedule = row_schedule(body) if kind == "row" else None
    if schedule is not None and schedule.unhomed:  # a body fuse did not make: recompute instead
        schedule = row_schedule(body, recompute=lambda node: True, most=None)
    operands: list[Node] = []
    for node in body.nodes:
        if node.op in VIEW_OPS or node.op in ("placeholder", "scalar"):
            continue
        for i in node.inputs:
            if (i.op in VIEW_OPS or i.op == "placeholder") and i not in operands:
                operands.append(i)
    if reduction is not None:
        rank, reduced = reduction.inputs[0].ndim, len(reduction.attr("axes"))
        inner_axis = reduction.attr("axes")[-1] if reduced else rank - 1
    else:
        rank, inner_axis = output.ndim, output.ndim - 1
        reduced = len(schedule.axes) if schedule is not None else 0
    # The output of a reduce kernel is written outside the innermost loop: any stride will do.
    output_class = STRIDED if reduction is not None else CONTIGUOUS
    expected = (*(_expected_class(o, rank, inner_axis) for o in operands),
                *(output_class for _ in body.outputs))
    column = None
    if reduction is not None and reduced < rank and reduction.dtype is not dtypes.bool_:
        kept_axis = max(d for d in range(rank) if d not in reduction.attr("axes"))
        column = (*(_expected_class(o, rank, kept_axis) for o in operands), CONTIGUOUS)
    return KernelLayout(name, operands, rank, reduced, reduction, tuple(body.outputs), expected, column,
                        schedule)


def _expected_class(operand: Node, rank: int, axis: int) -> str:
    """Guess an operand's innermost stride: broadcast, contiguous, or strided (a view moved it)."""
    position = axis - (rank - operand.ndim)
    if position < 0 or operand.shape[position] == 1:
        return BROADCAST
    chain = operand
    while chain.op in VIEW_OPS:
        if chain.op in ("transpose", "flip") or (chain.op == "getitem" and any(
                isinstance(e, tuple) and e[2] not in (None, 1) for e in chain.attr("index"))):
            return STRIDED
        if chain.op == "broadcast_to":
            return BROADCAST if position < chain.ndim - chain.inputs[0].ndim else CONTIGUOUS
        chain = chain.inputs[0]
    return CONTIGUOUS if position == operand.ndim - 1 else STRIDED


def vector_lanes(vector_bits: int) -> int:
    return max(1, vector_bits // 32)


def has_vector_variant(spec: KernelLayout, lanes: int) -> bool:
    # A float product is not reassociated: with overflow and underflow its order decides
    # between inf, 0 and NaN, so it runs in NumPy's order (the generic loop).
    ordered = spec.reduction is not None and spec.reduction.op == "prod"
    return spec.rank > 0 and lanes > 1 and not ordered


def has_column_variant(spec: KernelLayout, lanes: int) -> bool:
    return spec.column_expected is not None and lanes > 1


def has_stream_variant(spec: KernelLayout, lanes: int) -> bool:
    """Elementwise kernels get one on x86-64 (whose sfence publishes the weakly ordered stores)."""
    # (not row kernels: their later passes read outputs back from cache)
    return spec.reduction is None and spec.schedule is None and has_vector_variant(spec, lanes) and X86_64


def build(body: Graph, spec: KernelLayout, vector_module: ir.Module | None, lanes: int,
          generic_module: ir.Module | None, stream_module: ir.Module | None = None) -> None:
    """Add the kernel's vector functions (where it has them) to `vector_module`, its generic
    function to `generic_module` and its streaming one to `stream_module` (each if given)."""
    if vector_module is not None and has_vector_variant(spec, lanes):
        _Builder(body, spec, vector_module, spec.function("vector"), lanes).build()
    if vector_module is not None and has_column_variant(spec, lanes):
        _Builder(body, spec, vector_module, spec.function("column"), lanes, column=True).build()
    if generic_module is not None:
        _Builder(body, spec, generic_module, spec.function("generic"), None).build()
    if stream_module is not None and has_stream_variant(spec, lanes):
        _Builder(body, spec, stream_module, spec.function("stream"), lanes, stream=True).build()


class _Builder:
    """Builds one variant of a kernel function."""

    def __init__(self, body: Graph, spec: KernelLayout, module: ir.Module, name: str,
                 lanes: int | None, column: bool = False, stream: bool = False):
        self.spec, self.lanes, self.column = spec, lanes, column
        # whole vectors go straight to memory (the caller guarantees cache-line alignment)
        self.nontemporal = module.add_metadata([I32(1)]) if stream else None
        # the dimension vectors run along, and the stride classes they were built for
        self.inner = spec.rank - spec.reduced - 1 if column else spec.rank - 1
        self.expected = spec.column_expected if column else spec.expected
        self.fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR, PTR, PTR, I64, I64]), name)
        for arg in self.fn.args[:3]:
            arg.add_attribute("noalias")
        self.emitter = _BodyEmitter(body, spec)
        self.first_output = len(spec.operands)
        self.reducer = _Reducer(spec.reduction) if spec.reduction is not None else None

    def build(self) -> None:
        fn, spec = self.fn, self.spec
        data, strides, shape, start, stop = fn.args
        b = self.b = ir.IRBuilder(fn.append_basic_block("entry"))
        n, rank = len(spec.operands) + len(spec.outputs), spec.rank
        objects = [b.load(b.gep(data, [I64(k)], source_etype=PTR), typ=PTR) for k in range(n)]
        self.bases = [b.load(b.gep(o, [I64(ARRAY_DATA_OFFSET)], source_etype=I8), typ=PTR)
                      for o in objects]
        self.steps = [[b.load(b.gep(strides, [I64(k * rank + d)], source_etype=I64), typ=I64)
                       for d in range(rank)] for k in range(n)]
        self.sizes = [b.load(b.gep(shape, [I64(d)], source_etype=I64), typ=I64) for d in range(rank)]
        zero = [I64(0)] * n
        if self.reducer is None and rank == 0:
            self._store_all(zero, self.emitter.emit(b, self._load_scalars(zero), None))
        elif spec.schedule is not None:
            self.accumulators = {r: _Accumulator(b, r, self.lanes)
                                 for step in spec.schedule.passes for r in step.reductions}
            self._nest(0, rank - spec.reduced, start, stop, zero, self._row)
        elif self.reducer is None:
            self._nest(0, rank - 1, start, stop, zero,
                       lambda offs: self._elementwise_inner(offs, start if rank == 1 else None,
                                                            stop if rank == 1 else None))
        elif self.column:
            kept = rank - spec.reduced
            vty = ir.VectorType(self.reducer.acc_type, self.lanes)
            self.chunk = b.alloca(ir.ArrayType(vty, COLUMN_CHUNK // self.lanes))
            self._nest(0, kept - 1, start, stop, zero, lambda offs: self._column_row(
                offs, start if kept == 1 else None, stop if kept == 1 else None))
        else:
            self.accumulator = _Accumulator(b, spec.reduction, self.lanes)
            self._nest(0, rank - spec.reduced, start, stop, zero, self._reduce_outer)
        if self.nontemporal is not None:  # streaming stores are weakly ordered: publish them
            store_fence(b)
        b.ret_void()

    # ------------------------------------------------------------------ loop nests
    def _nest(self, depth, end, start, stop, offsets, body):
        """Loops over dimensions depth..end-1, calling body(offsets) innermost."""
        if depth == end:
            body(offsets)
            return
        lo = start if depth == 0 and start is not None else I64(0)
        hi = stop if depth == 0 and stop is not None else self.sizes[depth]
        self._loop(lo, hi, 1, lambda i: self._nest(
            depth + 1, end, None, None,
            [self.b.add(off, self.b.mul(i, self.steps[k][depth])) for k, off in enumerate(offsets)],
            body))

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
            index = b.add(_splat(b, vector_end, self.lanes), lanes)
            vector_body(offsets, vector_end, _Tail(b.icmp_signed("<", index, _splat(b, hi, self.lanes)),
                                                   b.sub(b.sub(hi, vector_end), I64(1))))

    def _at(self, offsets, d, i):
        return [self.b.add(off, self.b.mul(i, self.steps[k][d])) for k, off in enumerate(offsets)]

    # --------------------------------------------------------------- memory access
    def _element(self, k: int, node_dtype, offset):
        ty = memory_type(node_dtype)
        return self.b.gep(self.bases[k], [offset], inbounds=True, source_etype=ty)

    def _load_scalars(self, offsets, only: set[int] | None = None):
        values = []
        for k, node in enumerate(self.spec.operands):
            if only is not None and k not in only:
                values.append(None)
                continue
            ty = memory_type(node.dtype)
            v = self.b.load(self._element(k, node.dtype, offsets[k]), typ=ty)
            values.append(self.b.trunc(v, I1) if node.dtype is dtypes.bool_ else v)
        return values

    def _load_vectors(self, offsets, i, tail: _Tail | None, only: set[int] | None = None):
        """Each operand's `lanes` elements from index `i` of the last dimension; in a `tail`,
        masked lanes hold a copy of an element in bounds (never read past the end). Operands
        not in `only` (where given) are not loaded (None)."""
        b, d, lanes = self.b, self.inner, self.lanes
        values = []
        for k, node in enumerate(self.spec.operands):
            if only is not None and k not in only:
                values.append(None)
                continue
            ty = memory_type(node.dtype)
            vty = ir.VectorType(ty, lanes)
            kind = self.expected[k]
            if kind == CONTIGUOUS:
                ptr = self._element(k, node.dtype, b.add(offsets[k], i))
                if tail is None:
                    v = b.load(ptr, typ=vty, align=ALIGN[ty])
                else:
                    first = _splat(b, b.load(ptr, typ=ty), lanes)
                    v = masked_load(b, ptr, ALIGN[ty], tail.mask, first)
            elif kind == BROADCAST:
                s = b.load(self._element(k, node.dtype, offsets[k]), typ=ty)
                v = _splat(b, s, lanes)
            else:
                v = ir.Constant(vty, ir.Undefined)
                for j in range(lanes):
                    at = I64(j) if tail is None else intrinsic(b, "smin", [I64(j), tail.last])
                    off = b.add(offsets[k], b.mul(b.add(i, at), self.steps[k][d]))
                    v = b.insert_element(v, b.load(self._element(k, node.dtype, off), typ=ty), I32(j))
            values.append(b.trunc(v, ir.VectorType(I1, lanes)) if node.dtype is dtypes.bool_ else v)
        return values

    def _store_all(self, offsets, values, i=None, tail: _Tail | None = None):
        """Store each output's value at its offset (plus `i` for vectors of `lanes` elements,
        only the unmasked lanes in a `tail`)."""
        for k, value in enumerate(values):
            self._store(k, value, offsets, i, tail)

    def _store(self, j: int, value, offsets, i=None, tail: _Tail | None = None):
        """Store output `j`'s value (as `_store_all`)."""
        b, node, k = self.b, self.spec.outputs[j], self.first_output + j
        ty = memory_type(node.dtype)
        if node.dtype is dtypes.bool_:
            value = b.zext(value, ir.VectorType(I8, self.lanes) if i is not None else I8)
        ptr = self._element(k, node.dtype, offsets[k] if i is None else b.add(offsets[k], i))
        if tail is not None:
            masked_store(b, value, ptr, ALIGN[ty], tail.mask)
        elif i is not None and self.nontemporal is not None:
            store = b.store(value, ptr, align=min(STREAM_ALIGNMENT, self.lanes * ALIGN[ty]))
            store.set_metadata("nontemporal", self.nontemporal)
        else:
            b.store(value, ptr, align=ALIGN[ty] if i is not None else None)

    # ------------------------------------------------------------------ elementwise
    def _elementwise_inner(self, offsets, lo, hi):
        def scalar(offs):
            self._store_all(offs, self.emitter.emit(self.b, self._load_scalars(offs), None))

        def vector(offs, i, tail):
            values = self.emitter.emit(self.b, self._load_vectors(offs, i, tail), self.lanes)
            self._store_all(offs, values, i, tail)

        self._innermost(offsets, scalar, vector, lo, hi)

    # --------------------------------------------------------------------- reduce
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

    # ------------------------------------------------------------------ row kernels
    def _row(self, offsets):
        """One row of a row kernel: its passes, each a loop over the row's elements, with the
        values constant along the row computed in between (once per row, as scalars)."""
        b, spec = self.b, self.spec
        kept = spec.rank - spec.reduced
        row: dict[int, ir.Value] = {}  # values constant along the row, as scalars
        for step in spec.schedule.passes:
            if step.row_values:
                loaded = self._load_scalars(offsets, self._operands_of(step.row_values))
                values = {id(n): v for n, v in zip(spec.operands, loaded) if v is not None}
                self.emitter.emit_nodes(b, step.row_values, {**values, **row}, None, row)
            for r in step.reductions:
                self.accumulators[r].reset(b)
            self._nest(kept, spec.rank - 1, None, None, offsets, lambda offs, step=step: self._innermost(
                offs, lambda o: self._row_element(step, row, o, None, None),
                lambda o, i, tail: self._row_element(step, row, o, i, tail)))
            for r in step.reductions:
                row[id(r)] = self.accumulators[r].total(b, self.sizes[kept:])

    def _row_element(self, step: RowPass, row: dict, offsets, i, tail: _Tail | None):
        """One element (or vector of elements, from index `i`) of a pass over a row."""
        b, lanes = self.b, self.lanes if i is not None else None
        needs = step.computed + [r.inputs[0] for r in step.reductions]
        only = self._operands_of(needs) | {k for k, o in enumerate(self.spec.operands) if o in needs}
        loaded = self._load_vectors(offsets, i, tail, only) if lanes else self._load_scalars(offsets, only)
        values = {id(n): v for n, v in zip(self.spec.operands, loaded) if v is not None}
        values.update((key, _splat(b, v, lanes) if lanes else v) for key, v in row.items())
        # Every load comes before any store: a stash's home may take the next stash's value in
        # the pass that reads the last of this one (graphc/rows.py, _homes).
        for node in step.loaded:
            values[id(node)] = self._load_output(self._memory_of(node), offsets, i, tail)
        passes = self.spec.schedule.passes
        if lanes and tail is None and len(passes) > 1 and step is passes[1]:
            self._prefetch_next_row(offsets, i)  # while the first pass over it streams from memory
        self.emitter.emit_nodes(b, step.computed, values, lanes)
        for r in step.reductions:
            self.accumulators[r].add(b, values[id(r.inputs[0])], tail)
        for node in step.stored:
            self._store(self._memory_of(node), values[id(node)], offsets, i, tail)

    def _memory_of(self, node: Node) -> int:
        """The output (by index) whose memory holds `node`: its own, or that of its home."""
        return self.spec.outputs.index(self.spec.schedule.homes.get(node, node))

    def _prefetch_next_row(self, offsets, i) -> None:
        """Ask for the next row's elements of the contiguous operands, from index `i` (a hint,
        harmless past the end): the row after this one then streams in while this one computes."""
        b, spec = self.b, self.spec
        kept = spec.rank - spec.reduced
        for k, node in enumerate(spec.operands):
            if self.expected[k] == CONTIGUOUS:
                at = b.add(b.add(offsets[k], i), self.steps[k][kept - 1])
                ptr = b.gep(self.bases[k], [at], source_etype=memory_type(node.dtype))
                prefetch(b, ptr)

    def _operands_of(self, nodes: list[Node]) -> set[int]:
        """The operands (by index) that `nodes` read."""
        wanted = {i for n in nodes for i in n.inputs}
        return {k for k, o in enumerate(self.spec.operands) if o in wanted}

    def _load_output(self, j: int, offsets, i, tail: _Tail | None) -> ir.Value:
        """Output `j`'s element at the offsets (or its vector from index `i`), written by an
        earlier pass over the row."""
        b, node, k = self.b, self.spec.outputs[j], self.first_output + j
        ty = memory_type(node.dtype)
        if i is None:
            v = b.load(self._element(k, node.dtype, offsets[k]), typ=ty)
        else:
            ptr = self._element(k, node.dtype, b.add(offsets[k], i))
            vty = ir.VectorType(ty, self.lanes)
            if tail is None:
                v = b.load(ptr, typ=vty, align=ALIGN[ty])
            else:
                first = _splat(b, b.load(ptr, typ=ty), self.lanes)
                v = masked_load(b, ptr, ALIGN[ty], tail.mask, first)
        if node.dtype is dtypes.bool_:
            return b.trunc(v, ir.VectorType(I1, self.lanes) if i is not None else I1)
        return v

    # ------------------------------------------------------------ column reduce
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


@dataclass
class _Tail:
    """The last, partial vector of a row: which lanes are in bounds, and the last one's index."""

    mask: ir.Value  # <lanes x i1>
    last: ir.Value  # i64: lanes past it repeat it


def _splat_like(b: ir.IRBuilder, value: ir.Value, ty: ir.Type) -> ir.Value:
    """`value` broadcast to vector type `ty`, or itself where `ty` is scalar."""
    return _splat(b, value, ty.count) if isinstance(ty, ir.VectorType) else value


def _splat(b: ir.IRBuilder, value: ir.Value, lanes: int) -> ir.Value:
    if isinstance(value.type, ir.VectorType):
        return value
    vty = ir.VectorType(value.type, lanes)
    one = b.insert_element(ir.Constant(vty, ir.Undefined), value, I32(0))
    zeros = ir.Constant(ir.VectorType(I32, lanes), [0] * lanes)
    return b.shuffle_vector(one, ir.Constant(vty, ir.Undefined), zeros)


class _BodyEmitter:
    """Emits the body's elementwise ops on loaded operand values (scalars or vectors)."""

    def __init__(self, body: Graph, spec: KernelLayout):
        self.order = [n for n in body.nodes if n.op not in VIEW_OPS and n.op != "placeholder"
                      and n is not spec.reduction and n.op not in ROW_REDUCE_OPS]
        self.operands = spec.operands
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
            if id(node) in values:
                continue
            if node.op == "scalar":
                c = constant(node.dtype, node.attr("value"))
                values[id(node)] = ir.Constant(ir.VectorType(c.type, lanes), c.constant) if lanes else c
                continue
            for i in node.inputs:
                if i.op == "scalar":
                    self.emit_nodes(b, [i], values, lanes)
            if node in self.sincos:
                self._emit_sincos(b, values, *self.sincos[node])
            else:
                values[id(node)] = LOWERING[node.op](b, node, [values[id(i)] for i in node.inputs])
            if into is not None:
                into[id(node)] = values[id(node)]

    @staticmethod
    def _emit_sincos(b: ir.IRBuilder, values: dict, sin: Node, cos: Node) -> None:
        x = values[id(sin.inputs[0])]
        both = llvm_math.emit(b, "sincos", x)
        for k, node in enumerate((sin, cos)):
            if isinstance(x.type, ir.VectorType):
                half = ir.Constant(ir.VectorType(I32, x.type.count),
                                   list(range(k * x.type.count, (k + 1) * x.type.count)))
                values[id(node)] = b.shuffle_vector(both, both, half)
            else:
                values[id(node)] = b.extract_element(both, I32(k))


class _Accumulator:
    """A reduction's running value in a loop nest: a scalar and, for vector loops, one partial
    result per lane, in entry-block slots (which become registers)."""

    def __init__(self, b: ir.IRBuilder, node: Node, lanes: int | None):
        self.reducer = r = _Reducer(node)
        self.scalar = b.alloca(r.acc_type)
        self.vector = b.alloca(ir.VectorType(r.acc_type, lanes)) if lanes else None

    def reset(self, b: ir.IRBuilder) -> None:
        init = self.reducer.init()
        b.store(init, self.scalar)
        if self.vector is not None:
            b.store(ir.Constant(self.vector.allocated_type, init.constant), self.vector)

    def add(self, b: ir.IRBuilder, value: ir.Value, tail: _Tail | None = None) -> None:
        """Take in a value, or a vector of them (whose lanes masked off in a `tail` count as
        the identity)."""
        r = self.reducer
        slot = self.vector if isinstance(value.type, ir.VectorType) else self.scalar
        if tail is not None:
            identity = ir.Constant(value.type, [r.init().constant] * value.type.count)
            value = b.select(tail.mask, value, identity)
        b.store(r.combine(b, b.load(slot, typ=slot.allocated_type), value), slot)

    def total(self, b: ir.IRBuilder, reduced_sizes: list[ir.Value]) -> ir.Value:
        """The reduction of everything taken in (the lanes merged), finished (a mean divided)."""
        r = self.reducer
        acc = b.load(self.scalar, typ=r.acc_type)
        if self.vector is not None:
            acc = r.merge(b, acc, r.merge_lanes(b, b.load(self.vector, typ=self.vector.allocated_type)))
        return r.finish(b, acc, reduced_sizes)


class _Reducer:
    """Accumulator type, initial value, combine step and finish of one reduction."""

    def __init__(self, node: Node):
        self.op, self.dtype = node.op, node.dtype
        self.value_type = register_type(node.dtype)
        # float32 sums accumulate in float64: at least as accurate as NumPy's pairwise sum.
        wide = self.op in ("sum", "mean") and node.dtype is dtypes.float32
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
        bits = self.acc_type.width
        return ir.Constant(self.acc_type, -(2 ** (bits - 1)) if self.op == "max" else 2 ** (bits - 1) - 1)

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
        return intrinsic(b, "smax" if self.op == "max" else "smin", [acc, value])

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
            acc = b.fdiv(acc, _splat_like(b, b.sitofp(count, self.acc_type), acc.type))
        if self.acc_type is not self.value_type:
            lanes = acc.type.count if isinstance(acc.type, ir.VectorType) else None
            acc = b.fptrunc(acc, ir.VectorType(self.value_type, lanes) if lanes else self.value_type)
        return acc
