"""CUDA C to PTX and CUBIN with NVRTC, on the CPU: no GPU or driver needed.

A module is compiled for one architecture (`sm_90`): NVRTC makes the PTX, and ptxas inside it
the CUBIN the driver loads as it is (PTX from an NVRTC newer than the driver could be
refused; a CUBIN for the device's own architecture is not). Options: C++17, full-accuracy
math (NVRTC's defaults: IEEE division and square root, denormals kept, no fast math), no
contraction of a * b + c into one fused multiply-add (`-fmad=false`: NumPy rounds the
product, and the backends agree bit for bit on such graphs), and `-Xptxas=-v`, whose report
(registers, stack, spills per function) `Compiled.functions` parses. Compiled modules go
into the disk cache (backends/cache.py), keyed on the source, NVRTC's version, the options
and the architecture.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from graphc.backends import cache

OPTIONS = ("-std=c++17", "-fmad=false", "-Xptxas=-v", "-default-device")
DEFAULT_ARCH = "sm_90"
_ARCH = re.compile(r"sm_\d{2,3}[af]?")
_FUNCTION = re.compile(r"Function properties for (\S+)\s*\n\s*ptxas\s+\.\s+(\d+) bytes stack frame,"
                       r" (\d+) bytes spill stores, (\d+) bytes spill loads")
_REGISTERS = re.compile(r"Compiling entry function '(\S+)' for '\S+'.*?Used (\d+) registers", re.S)
_lock = threading.Lock()
_compiled: dict[str, Compiled] = {}


class CompileError(RuntimeError):
    """NVRTC rejected a module: the message holds its log."""


@dataclass(frozen=True)
class Usage:
    """What ptxas reports for one function."""

    stack: int  # bytes of stack frame
    spill_stores: int
    spill_loads: int
    registers: int | None = None  # entry functions only


@dataclass
class Compiled:
    """One module compiled for one architecture."""

    arch: str
    ptx: str
    cubin: bytes
    log: str
    functions: dict[str, Usage] = field(default_factory=dict)

    @property
    def spills(self) -> dict[str, Usage]:
        """The functions that spill registers to local memory."""
        return {name: u for name, u in self.functions.items() if u.spill_stores or u.spill_loads}


def available() -> bool:
    """Whether NVRTC can be loaded (the `cuda` extra: cuda-bindings and nvidia-cuda-nvrtc)."""
    try:
        version()
    except Exception:  # ImportError, or NVRTC's library missing
        return False
    return True


def version() -> tuple[int, int]:
    from cuda.bindings import nvrtc

    major, minor = _check(nvrtc.nvrtcVersion())
    return major, minor


def compile_module(source: str, arch: str = DEFAULT_ARCH, name: str = "graphc.cu",
                   defines: tuple[str, ...] = ()) -> Compiled:
    """PTX and CUBIN of `source` for `arch` (from memory, the disk cache, or NVRTC), with the
    preprocessor's `defines` ("NAME=VALUE")."""
    if not _ARCH.fullmatch(arch):
        raise ValueError(f"arch must name a GPU architecture such as 'sm_90', not {arch!r}")
    options = (*OPTIONS, *(f"-D{d}" for d in defines))
    entry = cache.key(source, f"nvrtc {version()}; {' '.join(options)}; {arch}", _graphc_version())
    with _lock:
        if entry in _compiled:
            return _compiled[entry]
    blob = cache.load(entry)
    compiled = _unpack(blob, arch) if blob is not None else None
    if compiled is None:
        compiled = _nvrtc(source, arch, name, options)
        cache.store(entry, _pack(compiled))
    with _lock:
        _compiled[entry] = compiled
    return compiled


def _graphc_version() -> str:
    from graphc import __version__

    return __version__


def _nvrtc(source: str, arch: str, name: str, options: tuple[str, ...] = OPTIONS) -> Compiled:
    from cuda.bindings import nvrtc

    program = _check(nvrtc.nvrtcCreateProgram(source.encode(), name.encode(), 0, [], []))[0]
    try:
        options = [o.encode() for o in (*options, f"-arch={arch}")]
        (status,) = nvrtc.nvrtcCompileProgram(program, len(options), options)
        size = _check(nvrtc.nvrtcGetProgramLogSize(program))[0]
        log = b" " * size
        _check(nvrtc.nvrtcGetProgramLog(program, log))
        log_text = log.rstrip(b"\0 ").decode(errors="replace")
        if status != nvrtc.nvrtcResult.NVRTC_SUCCESS:
            raise CompileError(f"NVRTC could not compile the CUDA module for {arch}:\n{log_text}")
        ptx = b" " * _check(nvrtc.nvrtcGetPTXSize(program))[0]
        _check(nvrtc.nvrtcGetPTX(program, ptx))
        cubin = b" " * _check(nvrtc.nvrtcGetCUBINSize(program))[0]
        _check(nvrtc.nvrtcGetCUBIN(program, cubin))
    finally:
        nvrtc.nvrtcDestroyProgram(program)
    return Compiled(arch, ptx.rstrip(b"\0").decode(), bytes(cubin), log_text, parse_log(log_text))


def parse_log(log: str) -> dict[str, Usage]:
    """Stack, spills and registers of each function, from ptxas's verbose report."""
    registers = {m.group(1): int(m.group(2)) for m in _REGISTERS.finditer(log)}
    return {m.group(1): Usage(int(m.group(2)), int(m.group(3)), int(m.group(4)), registers.get(m.group(1)))
            for m in _FUNCTION.finditer(log)}


def _check(result: tuple):
    from cuda.bindings import nvrtc

    status, *values = result
    if status != nvrtc.nvrtcResult.NVRTC_SUCCESS:
        raise CompileError(f"NVRTC failed: {nvrtc.nvrtcGetErrorString(status)[1].decode()}")
    return values


_SEPARATOR = b"\0graphc-cubin\0"


def _pack(compiled: Compiled) -> bytes:
    return compiled.log.encode() + _SEPARATOR + compiled.ptx.encode() + _SEPARATOR + compiled.cubin


def _unpack(blob: bytes, arch: str) -> Compiled | None:
    parts = blob.split(_SEPARATOR, 2)
    if len(parts) != 3:
        return None
    log = parts[0].decode(errors="replace")
    return Compiled(arch, parts[1].decode(errors="replace"), parts[2], log, parse_log(log))
