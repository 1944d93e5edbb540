"""LLVM for this process: the host target machine, the O3 pipeline, a JIT engine, and the
math library every kernel calls (compiled once per process)."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable

import llvmlite.binding as llvm
from llvmlite import ir
from llvmlite.binding import ffi

from graphc.backends import cache
from graphc.threads import get_num_threads, shared_pool

_lock = threading.Lock()


# How hard LLVM works depends on the size of what it compiles. Kernels arrive already
# vectorised (explicit vector loops) and free of common subexpressions (hash-consing), so on a
# long straight-line body O3's extra passes and the full code generator cost time and buy
# nothing. A module of kernels of ordinary size gets O3 up to LARGE_IR_CHARS of them, past it the
# O1 pipeline and code generator level 1 (each small kernel's loops still need the full code
# generator: 200 row sums in a 1.2 MB module ran 60% slower at level 0), past HUGE_IR_CHARS
# neither. A function past LARGE_IR_CHARS on its own (a fused body of thousands of ops) is
# compiled in a module of its own class, at `function_effort`: no IR pipeline and LLVM's fast
# code generator (level 0: fast register allocation, no machine scheduling), since the others
# grow faster than linearly in a function's live values. Measured with only that function's
# levels changed (the math library stays at O3): W7's kernel (487 KB, 571 outputs) compiles
# in 0.08 s instead of 0.53 (O1, level 1) or 0.17 (O1, level 0), and runs as fast; so do
# elementwise chains of 2k-5k ops with their gradients and reductions of 3k-op bodies; a
# softmax of a 3k-op body runs 30% faster without the O1 pipeline. Below about 130 KB the full
# effort pays (a 55 KB chain gradient ran 25% slower at level 0).
# The workloads of bench/run.py have kernels under 100 KB.
LARGE_IR_CHARS = int(os.environ.get("GRAPHC_LARGE_IR", 256_000))
HUGE_IR_CHARS = int(os.environ.get("GRAPHC_HUGE_IR", 2_000_000))


def effort(ir_chars: int) -> tuple[int, int]:
    """(IR pipeline speed level, code generator level) for a module of `ir_chars` characters
    of kernels of ordinary size."""
    if ir_chars > HUGE_IR_CHARS:
        return 0, 0
    if ir_chars > LARGE_IR_CHARS:
        return 1, 1
    return 3, 3


def function_effort(function_chars: int) -> tuple[int, int] | None:
    """The levels for a function of `function_chars` characters large enough to be compiled
    apart from the ordinary ones (no IR pipeline, the fast code generator), or None for an
    ordinary one."""
    return (0, 0) if function_chars > LARGE_IR_CHARS else None


@functools.cache
def _host() -> tuple[llvm.Target, str, str]:
    """The host's target, CPU name and CPU features (looked up once)."""
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    return llvm.Target.from_default_triple(), llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten()


def target_machine(opt: int = 3) -> llvm.TargetMachine:
    """A new target machine for the host CPU, with its features, so loops use its vector width;
    `opt` is its code generator's optimisation level. A new one per use (it costs 0.1 ms): LLVM's
    are not thread-safe, and an engine takes ownership of the one it is given."""
    target, cpu, features = _host()
    return target.create_target_machine(cpu=cpu, features=features, opt=opt, jit=True)


def triple() -> str:
    """The host's target triple, which every module names."""
    return _host()[0].triple


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
    _, cpu, features = _host()
    version = ".".join(map(str, llvm.llvm_version_info))
    return f"llvm {version}; {cpu}; {features}"


def _unlocked(name: str):
    """llvmlite's C function `name` without the global lock llvmlite takes around every call.

    That lock serialises all of LLVM; the calls made through this work on a module, context,
    pass builder and target machine that only the calling thread holds, which LLVM allows to
    run in parallel. (ctypes releases the GIL during the call.) If a later llvmlite wraps its
    functions differently, the locked function is used: correct, only serial.
    """
    function = getattr(ffi.lib, name)
    return getattr(function, "_cfn", function)


def parse(ir_text: str) -> llvm.ModuleRef:
    """A module parsed from `ir_text` into an LLVM context of its own, so that threads can
    parse, optimise and compile modules at the same time (the module keeps its context alive)."""
    context = llvm.create_context()
    with ffi.OutputString() as error:
        module = llvm.ModuleRef(_unlocked("LLVMPY_ParseAssembly")(context, ir_text.encode(), error), context)
        if error:
            module.close()
            raise RuntimeError(f"LLVM IR parsing error\n{error}")
    return module


def optimize(ir_text: str, speed: int = 3) -> llvm.ModuleRef:
    """Parse, verify and run the pipeline of LLVM's `-O<speed>` over a module."""
    module = parse(ir_text)
    module.verify()
    tm = target_machine()  # (the pass builder only borrows it: alive until we return)
    builder = llvm.create_pass_builder(tm, llvm.create_pipeline_tuning_options(speed_level=speed))
    _unlocked("LLVMPY_RunNewModulePassManager")(builder.getModulePassManager(), module, builder)
    return module


class Engine:
    """Owns JIT-compiled modules and hands out function addresses.

    Compiled objects are looked up in memory, then in the disk cache, before LLVM
    optimises and compiles a module; `stats` counts which of the three happened. Threads may
    load modules at once: LLVM's work runs outside the lock, and a module another thread is
    compiling is waited for, not compiled twice, so no engine is ever dropped (an engine's
    machine code lives as long as it does).
    """

    def __init__(self):
        self._engines: dict[str, llvm.ExecutionEngine] = {}
        self._pending: dict[str, threading.Event] = {}
        self.stats = {"memory": 0, "disk": 0, "compiled": 0}

    def load(self, ir_text: str, levels: tuple[int, int] | None = None) -> llvm.ExecutionEngine:
        """The engine of module `ir_text`, compiled at `levels` (default: `effort` of its size)."""
        from graphc import __version__

        levels = levels or effort(len(ir_text))
        entry = cache.key(ir_text, f"{host_description()}; effort {levels}", __version__)
        mine = None  # the event this thread sets once it has built the module
        try:
            while True:
                with _lock:
                    engine = self._engines.get(entry)
                    if engine is not None:
                        self.stats["memory"] += 1
                        return engine
                    pending = self._pending.get(entry)
                    if pending is None:  # ours to build
                        mine = self._pending[entry] = threading.Event()
                        break
                pending.wait()  # (then found in memory; or its builder failed, and we try)
            engine, how = _build(entry, ir_text, levels)
            with _lock:
                self._engines[entry] = engine  # keeps the machine code alive
                self.stats[how] += 1
            return engine
        finally:  # (whatever happened, even an interrupt: never leave others waiting)
            if mine is not None:
                with _lock:
                    self._pending.pop(entry, None)
                mine.set()


def _build(entry: str, ir_text: str, levels: tuple[int, int]) -> tuple[llvm.ExecutionEngine, str]:
    """A finalised engine for `ir_text`, from the disk cache ("disk") or compiled ("compiled")."""
    obj = cache.load(entry)
    if obj is not None:
        engine = _engine(parse(ir_text), target_machine())
        engine.set_object_cache(getbuffer_func=lambda _module: obj)  # replaces compilation
        how = "disk"
    else:
        speed, codegen = levels
        engine = _engine(optimize(ir_text, speed), target_machine(codegen))
        engine.set_object_cache(notify_func=lambda _module, data: cache.store(entry, data))
        how = "compiled"
    _unlocked("LLVMPY_FinalizeObject")(engine)
    return engine, how


def _engine(module: llvm.ModuleRef, machine: llvm.TargetMachine) -> llvm.ExecutionEngine:
    """An MCJIT engine that owns `module` and `machine`, and keeps `module`'s context alive.

    (llvmlite lets go of a module's context before deleting the module when an engine is
    disposed of: a crash once the context was the module's own. Held by the engine, the
    context outlives it.)
    """
    engine = llvm.create_mcjit_compiler(module, machine)
    engine._graphc_context = module._context
    return engine


def load_all(modules: list[tuple[str, tuple[int, int]]]) -> list[llvm.ExecutionEngine]:
    """The engines of `modules` (text, levels), loaded at once: the calling thread loads the
    first while a pool of threads (one fewer than graphc's threads) loads the others."""
    workers = min(len(modules), get_num_threads()) - 1
    if workers < 1:
        return [ENGINE.load(text, levels) for text, levels in modules]
    pool = shared_pool("compile", workers)
    rest = [pool.submit(ENGINE.load, text, levels) for text, levels in modules[1:]]
    return [ENGINE.load(*modules[0])] + [future.result() for future in rest]


ENGINE = Engine()


def _after_fork_in_child() -> None:
    """A forked child has no thread of its parent's: a lock one held, or a module one was
    compiling, would wait forever."""
    global _lock
    _lock = threading.Lock()
    ENGINE._pending.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)
_linked: set[str] = set()


def link_math(module: ir.Module) -> None:
    """Compile (or find in the caches) each math function `module` declares, once per process,
    and make its address known to the JIT's linker, so kernels call one shared copy. (Called
    before `module` is compiled: the linker resolves the names when it finalises it.)"""
    from graphc.backends.llvm import math

    for fn in module.functions:
        if fn.is_declaration and fn.name.startswith("graphc.math.") and fn.name not in _linked:
            engine = ENGINE.load(math.library(fn.name, triple()))
            llvm.add_symbol(fn.name, engine.get_function_address(fn.name))
            with _lock:
                _linked.add(fn.name)


def link_math_soon(module: ir.Module) -> Callable[[], None]:
    """`link_math(module)` on a compile thread, where graphc may use more than one, while the
    caller goes on (printing the module's text); returns what waits for it (and raises what it
    raised). LLVM compiles the math functions outside the GIL."""
    if get_num_threads() < 2:
        link_math(module)
        return lambda: None
    return shared_pool("compile", 1).submit(link_math, module).result


def assembly(module: llvm.ModuleRef, opt: int = 3) -> str:
    """`module`'s machine code as text, from the code generator at level `opt`."""
    return target_machine(opt).emit_assembly(module)
