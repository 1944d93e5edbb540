"""Compile `out[i] = f(a[i][, b[i]])` loops over backends.llvm.math and call them on NumPy arrays."""

from __future__ import annotations

import ctypes
import functools

import llvmlite.binding as llvm
import numpy as np
from llvmlite import ir

from backends.llvm import math as llvm_math

_TYPES = {np.dtype(np.float32): ir.FloatType(), np.dtype(np.float64): ir.DoubleType()}
_keep_alive = []


@functools.cache
def target_machine() -> llvm.TargetMachine:
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    return llvm.Target.from_default_triple().create_target_machine(
        cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten(), opt=3, jit=True)


def loop_module(name: str, dtype, arity: int = 1) -> ir.Module:
    """A module with `void kernel(T* out, T* a, [T* b,] i64 n)` applying math op `name`."""
    ty = _TYPES[np.dtype(dtype)]
    module = ir.Module("test")
    module.triple = target_machine().triple
    i64 = ir.IntType(64)
    ptr = ir.PointerType()
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [ptr] * (arity + 1) + [i64]), "kernel")
    for arg in fn.args[: arity + 1]:
        arg.add_attribute("noalias")
    out, *ins, n = fn.args
    entry, loop, done = (fn.append_basic_block(s) for s in ("entry", "loop", "done"))
    b = ir.IRBuilder(entry)
    b.cbranch(b.icmp_signed(">", n, ir.Constant(i64, 0)), loop, done)
    b.position_at_end(loop)
    i = b.phi(i64)
    i.add_incoming(ir.Constant(i64, 0), entry)
    args = [b.load(b.gep(p, [i], inbounds=True, source_etype=ty), typ=ty) for p in ins]
    b.store(llvm_math.emit(b, name, *args), b.gep(out, [i], inbounds=True, source_etype=ty))
    nxt = b.add(i, ir.Constant(i64, 1))
    i.add_incoming(nxt, loop)
    b.cbranch(b.icmp_signed("<", nxt, n), loop, done)
    b.position_at_end(done)
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
def kernel(name: str, dtype, arity: int = 1):
    """A Python callable f(*arrays) -> array running the compiled loop."""
    ref = optimize(loop_module(name, dtype, arity))
    engine = llvm.create_mcjit_compiler(ref, target_machine())
    engine.finalize_object()
    _keep_alive.append(engine)
    cfunc = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * (arity + 1), ctypes.c_int64)(
        engine.get_function_address("kernel"))

    def call(*arrays):
        arrays = [np.ascontiguousarray(a, dtype=dtype) for a in np.broadcast_arrays(*arrays)]
        out = np.empty_like(arrays[0])
        cfunc(out.ctypes.data, *[a.ctypes.data for a in arrays], out.size)
        return out

    return call
