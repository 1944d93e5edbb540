"""LLVM for this process: the host target machine, the O3 pipeline, and a JIT engine."""

from __future__ import annotations

import functools
import threading

import llvmlite.binding as llvm

_lock = threading.Lock()


@functools.cache
def target_machine() -> llvm.TargetMachine:
    """A target machine for the host CPU, with its features, so loops use its vector width."""
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    target = llvm.Target.from_default_triple()
    return target.create_target_machine(cpu=llvm.get_host_cpu_name(),
                                        features=llvm.get_host_cpu_features().flatten(),
                                        opt=3, jit=True)


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


def optimize(ir_text: str) -> llvm.ModuleRef:
    """Parse, verify and run the O3 pipeline over a module."""
    tm = target_machine()
    module = llvm.parse_assembly(ir_text)
    module.verify()
    tuning = llvm.create_pipeline_tuning_options(speed_level=3)
    builder = llvm.create_pass_builder(tm, tuning)
    builder.getModulePassManager().run(module, builder)
    return module


class Engine:
    """Owns JIT-compiled modules and hands out function addresses."""

    def __init__(self):
        self._engines = []

    def load(self, module: llvm.ModuleRef) -> llvm.ExecutionEngine:
        with _lock:
            engine = llvm.create_mcjit_compiler(module, target_machine())
            engine.finalize_object()
            self._engines.append(engine)  # keep the machine code alive
            return engine


def assembly(module: llvm.ModuleRef) -> str:
    return target_machine().emit_assembly(module)
