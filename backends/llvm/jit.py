"""LLVM for this process: the host target machine, the O3 pipeline, a JIT engine, and the
math library every kernel calls (compiled once per process)."""

from __future__ import annotations

import functools
import os
import threading

import llvmlite.binding as llvm
from llvmlite import ir

from graphc.backends import cache

_lock = threading.Lock()


# How hard LLVM works on a module depends on its size. Kernels arrive already vectorised
# (explicit vector loops) and free of common subexpressions (hash-consing), so on a long
# straight-line body O3's extra passes and the full code generator cost time and buy nothing:
# for W7's 580 KB kernel (665 outputs) the O1 pipeline and code generator level 1 compile in
# 0.7 s instead of 1.8 s, and the kernel runs as fast. Past LARGE_IR_CHARS a module gets those;
# past HUGE_IR_CHARS, no IR pipeline (O0) and LLVM's fast code generator (level 0: fast
# register allocation, no machine scheduling), since the others grow faster than linearly in a
# function's live values and a fused chain's gradient keeps thousands of them live
# (bench/compile_scaling.py grad). On such a chain (50,000 ops and their gradient, 13 MB of
# IR) the O1 pipeline took 3.4 s, more than the code generator, and the kernel ran no faster
# for it: the instructions it would combine are few, and the fast code generator does not
# mind them. The workloads of bench/run.py have kernels under 100 KB.
LARGE_IR_CHARS = int(os.environ.get("GRAPHC_LARGE_IR", 256_000))
HUGE_IR_CHARS = int(os.environ.get("GRAPHC_HUGE_IR", 2_000_000))


def effort(ir_chars: int) -> tuple[int, int]:
    """(IR pipeline speed level, code generator level) for a module of `ir_chars` characters."""
    if ir_chars > HUGE_IR_CHARS:
        return 0, 0
    if ir_chars > LARGE_IR_CHARS:
        return 1, 1
    return 3, 3


@functools.cache
def target_machine(opt: int = 3) -> llvm.TargetMachine:
    """A target machine for the host CPU, with its features, so loops use its vector width;
    `opt` is its code generator's optimisation level."""
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    target = llvm.Target.from_default_triple()
    return target.create_target_machine(cpu=llvm.get_host_cpu_name(),
                                        features=llvm.get_host_cpu_features().flatten(),
                                        opt=opt, jit=True)


def vector_bits() -> int:
    """The widest vector registers the host CPU has (what explicit vector loops use)."""
    features = llvm.get_host_cpu_features()
    if features.get("avx512f"):
        return 512
    if features.get("avx2") or features.get("avx"):
        return 256
    return 128


def host_description() -> str:
    """What compiled code depends on: LLVM's version, the CPU name and its features."""
    target_machine()
    version = ".".join(map(str, llvm.llvm_version_info))
    return f"llvm {version}; {llvm.get_host_cpu_name()}; {llvm.get_host_cpu_features().flatten()}"


def optimize(ir_text: str, speed: int = 3) -> llvm.ModuleRef:
    """Parse, verify and run the pipeline of LLVM's `-O<speed>` over a module."""
    tm = target_machine()
    module = llvm.parse_assembly(ir_text)
    module.verify()
    tuning = llvm.create_pipeline_tuning_options(speed_level=speed)
    builder = llvm.create_pass_builder(tm, tuning)
    builder.getModulePassManager().run(module, builder)
    return module


class Engine:
    """Owns JIT-compiled modules and hands out function addresses.

    Compiled objects are looked up in memory, then in the disk cache, before LLVM
    optimises and compiles a module; `stats` counts which of the three happened.
    """

    def __init__(self):
        self._engines: dict[str, llvm.ExecutionEngine] = {}
        self.stats = {"memory": 0, "disk": 0, "compiled": 0}

    def load(self, ir_text: str) -> llvm.ExecutionEngine:
        from graphc import __version__

        entry = cache.key(ir_text, host_description(), __version__)
        with _lock:
            engine = self._engines.get(entry)
            if engine is not None:
                self.stats["memory"] += 1
                return engine
            obj = cache.load(entry)
            if obj is not None:
                module = llvm.parse_assembly(ir_text)  # the object code replaces compilation
                engine = llvm.create_mcjit_compiler(module, target_machine())
                engine.set_object_cache(getbuffer_func=lambda _module: obj)
                self.stats["disk"] += 1
            else:
                speed, codegen = effort(len(ir_text))
                engine = llvm.create_mcjit_compiler(optimize(ir_text, speed), target_machine(codegen))
                engine.set_object_cache(notify_func=lambda _module, data: cache.store(entry, data))
                self.stats["compiled"] += 1
            engine.finalize_object()
            self._engines[entry] = engine  # keeps the machine code alive
            return engine


ENGINE = Engine()
_linked: set[str] = set()


def link_math(module: ir.Module) -> None:
    """Compile (or find in the caches) each math function `module` declares, once per process,
    and make its address known to the JIT's linker, so kernels call one shared copy."""
    from graphc.backends.llvm import math

    for fn in module.functions:
        if fn.is_declaration and fn.name.startswith("graphc.math.") and fn.name not in _linked:
            engine = ENGINE.load(math.library(fn.name, target_machine().triple))
            llvm.add_symbol(fn.name, engine.get_function_address(fn.name))
            with _lock:
                _linked.add(fn.name)


def assembly(module: llvm.ModuleRef) -> str:
    return target_machine().emit_assembly(module)
