"""Compile `out[i] = f(a[i][, b[i]])` loops over backends.llvm.math and call them on NumPy arrays.

A loop is scalar (one element per iteration, left to the loop vectoriser) or explicitly vector:
`lanes` elements per iteration as `<lanes x T>` values, then a scalar remainder loop, the way the
LLVM backend's kernels call `emit`.
"""

from __future__ import annotations

import ctypes
import functools

import llvmlite.binding as llvm
import numpy as np
from llvmlite import ir

from graphc.backends.llvm import math as llvm_math
from graphc.backends.llvm.jit import link_math

_TYPES = {np.dtype(np.float32): ir.FloatType(), np.dtype(np.float64): ir.DoubleType()}
_keep_alive = []
I64 = ir.IntType(64)


@functools.cache
def target_machine() -> llvm.TargetMachine:
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    return llvm.Target.from_default_triple().create_target_machine(
        cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten(), opt=3, jit=True)


def host_lanes(dtype) -> int:
    """The vector width the host's widest registers hold for `dtype` (16 float32 with AVX-512)."""
    return llvm_math.host_lanes(_TYPES[np.dtype(dtype)])


def _loop(b: ir.IRBuilder, start, stop, step: int, body, name: str) -> None:
    """Emit `for i in range(start, stop, step): body(b, i)`; the builder ends after the loop."""
    loop, done = b.append_basic_block(name), b.append_basic_block(name + ".done")
    before = b.block
    b.cbranch(b.icmp_signed("<", start, stop), loop, done)
    b.position_at_end(loop)
    i = b.phi(I64)
    i.add_incoming(start, before)
    body(b, i)
    nxt = b.add(i, ir.Constant(I64, step))
    i.add_incoming(nxt, b.block)  # emit may have left the builder in a later block
    b.cbranch(b.icmp_signed("<", nxt, stop), loop, done)
    b.position_at_end(done)


def loop_module(name: str, dtype, arity: int = 1, lanes: int | None = None) -> ir.Module:
    """A module with `void kernel(T* out, T* a, [T* b,] i64 n)` applying math op `name`, scalar, or
    `lanes` elements at a time with a scalar remainder loop."""
    ty = _TYPES[np.dtype(dtype)]
    module = ir.Module("test")
    module.triple = target_machine().triple
    ptr = ir.PointerType()
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [ptr] * (arity + 1) + [I64]), "kernel")
    for arg in fn.args[: arity + 1]:
        arg.add_attribute("noalias")
    out, *ins, n = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    size = np.dtype(dtype).itemsize

    def body(vty):
        def apply(b, i):
            args = [b.load(b.gep(p, [i], inbounds=True, source_etype=ty), typ=vty, align=size) for p in ins]
            result = llvm_math.emit(b, name, *args)
            b.store(result, b.gep(out, [i], inbounds=True, source_etype=ty), align=size)
        return apply

    zero = ir.Constant(I64, 0)
    split = zero
    if lanes:
        split = b.and_(n, ir.Constant(I64, -lanes))
        _loop(b, zero, split, lanes, body(ir.VectorType(ty, lanes)), "vector")
    _loop(b, split, n, 1, body(ty), "scalar")
    b.ret_void()
    return module


def optimize(module: ir.Module) -> llvm.ModuleRef:
    """Parse, verify and run the O3 pipeline for the host CPU."""
    ref = llvm.parse_assembly(str(module))
    ref.verify()
    builder = llvm.create_pass_builder(target_machine(), llvm.create_pipeline_tuning_options(speed_level=3))
    builder.getModulePassManager().run(ref, builder)
    return ref


@functools.cache
def kernel(name: str, dtype, arity: int = 1, lanes: int | None = None):
    """A Python callable f(*arrays) -> array running the compiled loop (see loop_module)."""
    module = loop_module(name, dtype, arity, lanes)
    link_math(module)  # the math library the loop calls
    ref = optimize(module)
    engine = llvm.create_mcjit_compiler(ref, target_machine())
    engine.finalize_object()
    _keep_alive.append(engine)
    cfunc = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * (arity + 1), ctypes.c_int64)(
        engine.get_function_address("kernel"))

    def call(*arrays, out=None):
        arrays = [np.ascontiguousarray(a, dtype=dtype) for a in np.broadcast_arrays(*arrays)]
        if out is None:
            out = np.empty_like(arrays[0])
        cfunc(out.ctypes.data, *[a.ctypes.data for a in arrays], out.size)
        return out

    call.raw = cfunc  # raw(out_ptr, *arg_ptrs, n), no checks
    return call
