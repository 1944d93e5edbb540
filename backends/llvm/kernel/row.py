"""The loops of a row kernel (graphc/rows.py): for each row, the passes its schedule lists.

Each pass is a loop over the row (vectors, masked tail) that accumulates that pass's
reductions and stores what the pass writes; between passes, the row's constant values are
computed as scalars. A stashed value is stored in the memory of the output that is its home
and loaded back by later passes at the same offsets. A pass that calls a math function sums
what it stores in a second loop over the row (`_read_back`), where the row fits in cache
(a value it would not store otherwise goes to a buffer on the stack, for rows that fit there).

The stream variant (taken for large outputs whose rows start on cache lines, and whose rows'
stashes fit STASH_ROW_BYTES each) keeps each stash of a row in a buffer on the stack instead
of in an output's memory, and writes the outputs no later pass reads back with non-temporal
stores: an output's lines are then never read before they are written (softmax: 48 MiB of
traffic for a 16 MiB input becomes 32).
"""

from __future__ import annotations

from llvmlite import ir

from graphc import dtypes
from graphc.backends.llvm.intrinsics import masked_store, prefetch
from graphc.backends.llvm.kernel.layout import CONTIGUOUS, MOST_STACK_STASHES, STASH_ROW_BYTES
from graphc.backends.llvm.kernel.loops import ALIGN, PTR, STREAM_ALIGNMENT, KernelBuilder, Tail, plus, splat
from graphc.backends.llvm.kernel.reduction import Accumulator
from graphc.backends.llvm.math.library import MATH
from graphc.backends.llvm.scalar import I8, I64, like, memory_type, to_bfloat16
from graphc.node import Node
from graphc.rows import RowPass

CALLS = frozenset(MATH)  # ops that call the math library (backends/llvm/math)
CHAINS = 2  # vectors per iteration of a pass, each accumulated in its own chain
READ_BACK_MAX = 1 << 14  # longest row (elements) whose stored values are read back from cache


class RowBuilder(KernelBuilder):
    """A row kernel: loops over its kept dimensions, and over each row once per pass."""

    def _loops(self, start, stop, offsets) -> None:
        spec = self.spec
        self.accumulators = {r: Accumulator(self.b, r, self.lanes, CHAINS)
                             for step in spec.schedule.passes for r in step.reductions}
        passes = spec.schedule.passes
        late = {n for step in passes for n in _read_back_operands(step)}
        # buffers on the stack: the stream variant's stashes, and the values a pass reads back
        # that it does not store otherwise (`_read_back`)
        # (a scratch buffer serves only the pass that reads its value back: a later pass that
        # stores the same value stores it where it goes, for rows of any length)
        self.reads_back = {id(step): set(_read_back_operands(step)) for step in passes}
        self.stack = self._stack_buffers(spec.schedule.stash if self.nontemporal is not None else [])
        self.scratch = self._stack_buffers(list(dict.fromkeys(
            n for step in passes for n in _read_back_operands(step)
            if n not in step.stored and n not in self.stack))[:MOST_STACK_STASHES])
        # outputs loaded again: stored through the caches even in the stream variant
        self.read_back = late | {n for step in passes for n in step.loaded}
        self._nest(0, spec.rank - spec.reduced, start, stop, offsets, self._row)

    def _row(self, offsets):
        """One row of a row kernel: its passes, each a loop over the row's elements, with the
        values constant along the row computed in between (once per row, as scalars)."""
        b, spec = self.b, self.spec
        kept = spec.rank - spec.reduced
        self.row_start = offsets[self.first_output]  # where the row starts in the outputs
        row: dict[int, ir.Value] = {}  # values constant along the row, as scalars
        for step in spec.schedule.passes:
            if step.row_values:
                values = self._by_node(self._load_scalars(offsets, self._operands_of(step.row_values)))
                self.emitter.emit_nodes(b, step.row_values, {**values, **row}, None, row)
            for r in step.reductions:
                self.accumulators[r].reset(b)
            self._pass(step, row, offsets)
            for r in step.reductions:
                row[id(r)] = self.accumulators[r].total(b, self.sizes[kept:])

    def _pass(self, step: RowPass, row: dict, offsets) -> None:
        """The loops of one pass over a row."""
        kept = self.spec.rank - self.spec.reduced
        # (past MOST_STACK_STASHES scratch buffers, a pass accumulates the rest as it goes)
        late = [r for r in _read_back(step) if r.inputs[0] in step.stored or self._buffer(r.inputs[0], step)]
        if not late:
            self._elements(step, row, offsets, ())
            return
        b = self.b
        count = self.sizes[kept]
        for size in self.sizes[kept + 1:]:
            count = b.mul(count, size)
        most = min([READ_BACK_MAX] + [STASH_ROW_BYTES // n.dtype.numpy.itemsize
                                      for n in _read_back_operands(step) if self._buffer(n, step)])
        with b.if_else(b.icmp_signed("<=", count, ir.Constant(count.type, most))) as (short, long):
            with short:  # a second loop over what the first one just stored, from cache
                self._elements(step, row, offsets, late)
                self._nest(kept, self.spec.rank - 1, None, None, offsets, lambda offs: self._row_loop(
                    offs, lambda o, i, tail, chain: self._accumulate_stored(step, late, o, i, tail, chain)))
            with long:  # a row past the cache: read it once
                self._elements(step, row, offsets, ())

    def _elements(self, step: RowPass, row: dict, offsets, late) -> None:
        """The loop of a pass over a row's elements, leaving the reductions `late` out."""
        self._nest(self.spec.rank - self.spec.reduced, self.spec.rank - 1, None, None, offsets,
                   lambda offs: self._row_loop(offs, lambda o, i, tail, chain: self._row_element(
                       step, row, o, i, tail, late, chain)))

    def _row_loop(self, offsets, element) -> None:
        """The innermost loop over a row: `element(offsets, i, tail, chain)` for each vector from
        index `i`, CHAINS vectors per iteration, each into its own accumulator chain, then the
        vectors left and the masked tail (or for each element, in the generic variant)."""
        if self.lanes is None:
            self._innermost(offsets, lambda o: element(o, None, None, 0), None)
            return
        b, lanes = self.b, self.lanes
        grouped_end = b.and_(self.sizes[self.inner], I64(-CHAINS * lanes))

        def group(i):
            for chain in range(CHAINS):
                element(offsets, b.add(i, I64(chain * lanes)) if chain else i, None, chain)

        self._loop(I64(0), grouped_end, CHAINS * lanes, group)
        self._innermost(offsets, None, lambda o, i, tail: element(o, i, tail, 0), lo=grouped_end)

    def _row_element(self, step: RowPass, row: dict, offsets, i, tail: Tail | None, late=(), chain=0):
        """One element (or vector of elements, from index `i`) of a pass over a row; the
        reductions in `late` are left to `_accumulate_stored`."""
        b, lanes = self.b, self.lanes if i is not None else None
        needs = step.computed + [r.inputs[0] for r in step.reductions]
        only = self._operands_of(needs) | {k for k, o in enumerate(self.spec.operands) if o in needs}
        loaded = self._load_vectors(offsets, i, tail, only) if lanes else self._load_scalars(offsets, only)
        values = self._by_node(loaded)
        values.update((key, splat(b, v, lanes) if lanes else v) for key, v in row.items())
        # Every load comes before any store: a stash's home may take the next stash's value in
        # the pass that reads the last of this one (graphc/rows.py, _homes).
        for node in step.loaded:
            values[id(node)] = self._load_stored(node, step, offsets, i, tail)
        passes = self.spec.schedule.passes
        has_next_row = self.spec.rank > self.spec.reduced  # (a 1-d row kernel is one row)
        if lanes and tail is None and len(passes) > 1 and step is passes[1] and has_next_row:
            self._prefetch_next_row(offsets, i)  # while the first pass over it streams from memory
        self.emitter.emit_nodes(b, step.computed, values, lanes)
        for r in step.reductions:
            if r not in late:  # (accumulated as the pass goes)
                self.accumulators[r].add(b, values[id(r.inputs[0])], tail, chain)
        for node in step.stored:
            self._store_value(node, step, values[id(node)], offsets, i, tail)
        for node in dict.fromkeys(r.inputs[0] for r in late):  # (to read back from the stack)
            if node not in step.stored:
                self._store_value(node, step, values[id(node)], offsets, i, tail)

    def _accumulate_stored(self, step: RowPass, late: list[Node], offsets, i, tail: Tail | None,
                           chain: int = 0) -> None:
        """Take the operands of the reductions `late` that pass `step` stored back in, element
        by element (or a vector from index `i`)."""
        for r in late:
            value = self._load_stored(r.inputs[0], step, offsets, i, tail)
            self.accumulators[r].add(self.b, value, tail, chain)

    def _by_node(self, loaded: list[ir.Value | None]) -> dict[int, ir.Value]:
        """The operands' loaded values by node id (those not loaded left out)."""
        return {id(n): v for n, v in zip(self.spec.operands, loaded) if v is not None}

    def _stack_buffers(self, nodes: list[Node]) -> dict[Node, ir.Value]:
        """A buffer of STASH_ROW_BYTES on the stack for each of `nodes` (in the entry block,
        where `_loops` starts), for a row's values of them."""
        buffers = {}
        for node in nodes:
            ty = memory_type(node.dtype)
            buffer = self.b.alloca(ir.ArrayType(ty, STASH_ROW_BYTES // node.dtype.numpy.itemsize))
            buffer.align = STREAM_ALIGNMENT
            buffer.type = PTR  # an opaque pointer, as the arrays' are: vectors are stored through it
            buffers[node] = buffer
        return buffers

    def _buffer(self, node: Node, step: RowPass) -> ir.Value | None:
        """The stack buffer that holds `node`'s row in pass `step` (None: its memory is an
        output's): a stream variant's stash, or the scratch of a pass that reads it back."""
        if node in self.stack:
            return self.stack[node]
        scratch = node in self.scratch and node not in step.stored and node in self.reads_back[id(step)]
        return self.scratch[node] if scratch else None

    def _stack_element(self, buffer: ir.Value, node: Node, offsets, i) -> ir.Value:
        """The address of an element in a stack buffer: the element's place in its row, as
        the outputs (which share one contiguous layout) have it."""
        b, k = self.b, self.first_output
        at = b.sub(offsets[k] if i is None else plus(b, offsets[k], i), self.row_start)
        return b.gep(buffer, [at], inbounds=True, source_etype=memory_type(node.dtype))

    def _store_value(self, node: Node, step: RowPass, value: ir.Value, offsets, i, tail: Tail | None) -> None:
        """Store an output or stash written by pass `step`, for later passes or the caller."""
        buffer = self._buffer(node, step)
        if buffer is None:
            self._store(self._memory_of(node), value, offsets, i, tail, stream=node not in self.read_back)
            return
        b, ty = self.b, memory_type(node.dtype)
        if node.dtype is dtypes.bool_:
            value = b.zext(value, like(value, I8))
        elif node.dtype is dtypes.bfloat16:
            value = to_bfloat16(b, value)
        ptr = self._stack_element(buffer, node, offsets, i)
        if tail is not None:
            masked_store(b, value, ptr, ALIGN[ty], tail.mask)
        else:
            b.store(value, ptr, align=ALIGN[ty])

    def _load_stored(self, node: Node, step: RowPass, offsets, i, tail: Tail | None) -> ir.Value:
        """An output or stash stored earlier in the row (by an earlier pass, or by pass `step`
        to read it back), at the offsets (or its vector from index `i`)."""
        buffer = self._buffer(node, step)
        if buffer is None:
            return self._load_output(self._memory_of(node), offsets, i, tail)
        ptr, ty = self._stack_element(buffer, node, offsets, i), memory_type(node.dtype)
        v = self.b.load(ptr, typ=ty) if i is None else self._load_run(ptr, ty, tail)
        return self._from_memory(v, node.dtype)

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
                at = b.add(plus(b, offsets[k], i), self.step(k, kept - 1))
                ptr = b.gep(self.bases[k], [at], source_etype=memory_type(node.dtype))
                prefetch(b, ptr)

    def _operands_of(self, nodes: list[Node]) -> set[int]:
        """The operands (by index) that `nodes` read."""
        wanted = {i for n in nodes for i in n.inputs}
        return {k for k, o in enumerate(self.spec.operands) if o in wanted}

    def _load_output(self, j: int, offsets, i, tail: Tail | None) -> ir.Value:
        """Output `j`'s element at the offsets (or its vector from index `i`), written by an
        earlier pass over the row."""
        b, node, k = self.b, self.spec.outputs[j], self.first_output + j
        ty = memory_type(node.dtype)
        if i is None:
            v = b.load(self._element(k, node.dtype, offsets[k]), typ=ty)
        else:
            v = self._load_run(self._element(k, node.dtype, plus(b, offsets[k], i)), ty, tail)
        return self._from_memory(v, node.dtype)


def _read_back(step: RowPass) -> list[Node]:
    """The reductions of `step` to accumulate in a loop of their own, from memory, after the
    pass stored their operands (where an output or stash is, else in a buffer on the stack):
    where the pass calls a math function (exp in softmax), every vector register is saved
    around the call, and an accumulator kept across it would make a chain of stores and
    reloads through the stack, several cycles per vector (W6 log-softmax: 2.6 -> 2.1 ms)."""
    if not any(n.op in CALLS for n in step.computed):
        return []
    computed = set(step.computed)
    return [r for r in step.reductions if r.inputs[0] in computed]


def _read_back_operands(step: RowPass) -> list[Node]:
    """The values `step` stores to take them back into its reductions `_read_back`."""
    return list(dict.fromkeys(r.inputs[0] for r in _read_back(step)))
