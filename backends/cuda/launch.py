"""Calling a fused kernel: operand views in, fresh device arrays out, one launch (two for a
split reduction), enqueued on the device's stream.

The launch configuration follows the sizes of the call (docs/cuda.md, "Kernels"): vectors
where the arrays are aligned, 32-bit index arithmetic where every index fits, a warp or a
thread per reduced output and how many chunks to split a long reduction into, a block size
that suits the row length. What depends only on the operands' shapes and strides is worked
out once per layout and kept (`_Plan`).
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from graphc.backends.cuda import runtime
from graphc.backends.cuda.arrays import DeviceArray
from graphc.backends.cuda.codegen import BLOCK
from graphc.backends.cuda.layout import CONTIGUOUS, STRIDED, UNIFORM, KernelSpec
from graphc.backends.cuda.reductions import ROW_CACHE, accumulator_type
from graphc.backends.cuda.support import BLOCKS_PER_SM, element_strides, grid

NARROW = 2**31 - 1  # indices up to this fit the kernels' 32-bit arithmetic
WORK_PER_SM = 2048  # threads a reduction keeps busy per multiprocessor before it splits
MIN_CHUNK = 16  # reduced elements per lane, at least, in one chunk of a split reduction
MAX_PLANS = 64
_ACCUMULATOR = {"double": np.float64, "float": np.float32, "int": np.int32, "long long": np.int64,
                "bool": np.bool_, "unsigned char": np.uint8, "signed char": np.int8, "short": np.int16}


@dataclass
class _Plan:
    space: tuple[int, ...]
    out_shape: tuple[int, ...]
    values: dict  # role -> value, for every parameter but the pointers
    grid: int
    block: int
    splits: int = 1  # a split reduction's chunks per output
    outputs: int = 0  # a reduction's output count
    count: int = 0  # a reduction's (or row's) reduced count


class KernelCall:
    """A compiled kernel as a callable over DeviceArray views of its operands."""

    def __init__(self, spec: KernelSpec, module: Callable[[runtime.Device], runtime.Module]):
        self.spec = spec
        self.module = module  # the executable's module on a device (loaded on first use)
        self.plans: dict[tuple, _Plan] = {}
        self.out_dtypes = [np.dtype(o.dtype.numpy) for o in spec.outputs]
        self.ctypes = [_ctype(p.ctype) for p in spec.params]
        reductions = [spec.reduction] if spec.reduction is not None else [
            r for step in spec.schedule.passes for r in step.reductions] if spec.schedule else []
        self.extremum = next((r for r in reductions if r.op in ("max", "min")), None)

    def __call__(self, device: runtime.Device, *views: DeviceArray):
        spec = self.spec
        key = tuple((v.shape, v.strides) for v in views)
        plan = self.plans.get(key)
        if plan is None:
            plan = self._plan(device, views)
            if len(self.plans) >= MAX_PLANS:
                self.plans.clear()
            self.plans[key] = plan
        operands = [v.contiguous() if o.access == CONTIGUOUS else v for v, o in zip(views, spec.operands)]
        outputs = [DeviceArray.empty(device, plan.out_shape, d) for d in self.out_dtypes]
        result = outputs[0] if len(outputs) == 1 else outputs
        if not math.prod(plan.space) and not (spec.kind == "reduce" and plan.outputs):
            return result
        values = dict(plan.values)
        for k, v in enumerate(operands):
            values[("operand", k)] = v.pointer
        for j, out in enumerate(outputs):
            values[("output", j)] = out.pointer
        if spec.vectorizable:  # vectors of spec.vector elements need addresses aligned to their size
            vectors = [v for v, o in zip(operands, spec.operands) if o.access == CONTIGUOUS] + outputs
            values[("vec",)] = int(all(a.pointer % (spec.vector * a.itemsize) == 0 for a in vectors))
        partial = None
        if spec.kind == "reduce":
            if plan.splits > 1:
                partial = DeviceArray.empty(device, (plan.outputs * plan.splits,),
                                            _ACCUMULATOR[accumulator_type(spec.reduction)])
            values[("partial",)] = partial.pointer if partial is not None else 0
        module = self.module(device)
        arguments = runtime.Arguments.pack(c(values[p.role]) for c, p in zip(self.ctypes, spec.params))
        runtime.launch(device, module.function(spec.name), plan.grid, plan.block, arguments)
        if partial is not None:
            finish = runtime.Arguments.pack([
                ctypes.c_uint64(partial.pointer), ctypes.c_uint64(outputs[0].pointer),
                ctypes.c_int64(plan.outputs), ctypes.c_int32(plan.splits), ctypes.c_int64(plan.count)])
            runtime.launch(device, module.function(f"{spec.name}_finish"), grid(device, plan.outputs),
                           BLOCK, finish)
        return result

    # ------------------------------------------------------------------------ plans
    def _plan(self, device: runtime.Device, views: tuple[DeviceArray, ...]) -> _Plan:
        spec = self.spec
        space = tuple(np.broadcast_shapes(*(v.shape for v in views))) if views else ()
        if len(space) != spec.rank:
            raise ValueError(f"kernel {spec.name} iterates {spec.rank} dimensions, but its operands"
                             f" broadcast to shape {list(space)}")
        if self.extremum is not None and any(space[a] == 0 for a in spec.axes):
            raise ValueError(f"{self.extremum.op} of an empty axis has no value"
                             f" (reduction created at {self.extremum.location})")
        values: dict = {("size", d): n for d, n in enumerate(space)}
        reach = 0  # the largest element offset any strided operand reaches
        for k, (v, operand) in enumerate(zip(views, spec.operands)):
            if operand.access == STRIDED:
                strides = element_strides(v.broadcast_to(space))
                values.update((("stride", k, d), s) for d, s in enumerate(strides))
                reach = max(reach, sum((n - 1) * abs(s) for n, s in zip(space, strides)))
            elif operand.access == CONTIGUOUS and tuple(v.shape) != space:
                raise ValueError(f"kernel {spec.name}: operand {operand.name} has shape {list(v.shape)},"
                                 f" not the iteration shape {list(space)}")
            elif operand.access == UNIFORM and v.size != 1:
                raise ValueError(f"kernel {spec.name}: operand {operand.name} must hold one element")
        total = math.prod(space)
        kept = [space[d] for d in range(spec.rank) if d not in spec.axes]
        count = math.prod(space[d] for d in spec.axes)
        if spec.kind == "elementwise":
            return self._elementwise(device, space, values, total, reach)
        if spec.kind == "row":
            return self._rows(device, space, values, math.prod(kept), count, total, reach)
        return self._reduce(device, space, values, kept, count, total, reach)

    def _elementwise(self, device, space, values, total, reach) -> _Plan:
        if self.spec.vectorizable:
            return _Plan(space, space, values, grid(device, math.ceil(total / self.spec.vector)), BLOCK)
        blocks = grid(device, total)
        values[("narrow",)] = int(max(total + blocks * BLOCK, reach) < NARROW)
        return _Plan(space, space, values, blocks, BLOCK)

    def _rows(self, device, space, values, rows, count, total, reach) -> _Plan:
        block = BLOCK if count > ROW_CACHE * BLOCK // 2 else max(32, 32 * math.ceil(count / ROW_CACHE / 32))
        blocks = max(1, min(rows, device.sm_count * BLOCKS_PER_SM))
        values[("narrow",)] = int(max(total + blocks * block, reach, rows + blocks) < NARROW)
        return _Plan(space, space, values, blocks, block, count=count)

    def _reduce(self, device, space, values, kept, count, total, reach) -> _Plan:
        spec = self.spec
        outputs = math.prod(kept)
        innermost = spec.axes[-1]
        lanes = 32 if count >= 32 and all(
            o.access != STRIDED or abs(values[("stride", k, innermost)]) <= 1
            for k, o in enumerate(spec.operands)) else 1
        wanted = device.sm_count * WORK_PER_SM // lanes
        splits = 1
        if outputs and outputs < wanted and count > lanes * MIN_CHUNK:
            splits = min(math.ceil(wanted / outputs), count // (lanes * MIN_CHUNK))
        chunk = max(1, math.ceil(count / splits))
        splits = max(1, math.ceil(count / chunk))
        blocks = grid(device, outputs * splits * lanes)
        values.update({("chunk",): chunk, ("splits",): splits, ("lanes",): lanes,
                       ("narrow",): int(max(total, reach, outputs * splits * lanes + blocks * BLOCK,
                                            count + chunk) < NARROW)})
        keepdims = spec.reduction.attr("keepdims")
        out_shape = tuple(1 if d in spec.axes else n for d, n in enumerate(space)) \
            if keepdims else tuple(kept)
        return _Plan(space, out_shape, values, blocks, BLOCK, splits, outputs, count)


def _ctype(declaration: str):
    if "*" in declaration:
        return ctypes.c_uint64
    return {"long long": ctypes.c_int64, "int": ctypes.c_int32}[declaration]
