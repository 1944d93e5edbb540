"""A fake GPU for CPU tests: libcuda.so.1 and libcublas stand-ins in C (fake_cuda.c,
fake_cublas.c), under which the CUDA backend's real driver layer (runtime.py through
cuda-bindings, and cublas.py's ctypes binding) runs unchanged.

`build` compiles both libraries; `install` loads them into this process before the driver is
first used (the fake is process-wide, so tests run it in a subprocess), and checks every
launch's arguments against the kernel's parameters in the CUBIN; `Fake` reads the fake
driver's launch log and state, and injects failures.
"""

from __future__ import annotations

import ctypes
import functools
import os
import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).parent
CUDA, CUBLAS = "libcuda.so.1", "libfakecublas.so"


def compiler() -> str | None:
    """The C compiler to build the fakes with, if there is one."""
    return os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")


def build(directory: Path) -> Path:
    """Compile the fake driver (SONAME libcuda.so.1) and cuBLAS into `directory`."""
    cc = compiler()
    if cc is None:
        raise RuntimeError("no C compiler")
    for source, target, extra in (("fake_cuda.c", CUDA, ["-Wl,-soname,libcuda.so.1"]),
                                  ("fake_cublas.c", CUBLAS, [])):
        command = [cc, "-shared", "-fPIC", "-O1", "-o", str(directory / target), str(HERE / source), *extra]
        run = subprocess.run(command, capture_output=True, text=True)
        if run.returncode:
            raise RuntimeError(f"{cc} could not build {source}:\n{run.stderr}")
    return directory


class Launch(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char * 128), ("grid", ctypes.c_uint * 3), ("block", ctypes.c_uint * 3),
                ("shared", ctypes.c_uint), ("stream", ctypes.c_void_p)]


class Fake:
    """The loaded fake driver: its launch log, module status words, failures to inject."""

    def __init__(self, lib: ctypes.CDLL, blas: ctypes.CDLL | None = None):
        self.lib, self.blas = lib, blas
        lib.fake_launch.restype = ctypes.POINTER(Launch)
        lib.fake_launch.argtypes = [ctypes.c_int]
        lib.fake_problem.restype = ctypes.c_char_p
        lib.fake_fail.argtypes = [ctypes.c_char_p, ctypes.c_int]
        lib.fake_set_status.argtypes = [ctypes.c_uint]
        lib.fake_status.restype = ctypes.c_uint
        lib.fake_release_threshold.restype = ctypes.c_uint64
        lib.fake_function_name.restype = ctypes.c_char_p
        lib.fake_function_name.argtypes = [ctypes.c_void_p]
        lib.fake_param_sizes.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
        if blas is not None:
            blas.fake_cublas_stream.restype = ctypes.c_void_p
            blas.fake_cublas_stream.argtypes = [ctypes.c_void_p]

    def launches(self) -> list[dict]:
        """Every kernel launch so far: name, grid, block, shared bytes, stream handle."""
        found = []
        for i in range(self.lib.fake_launch_count()):
            one = self.lib.fake_launch(i).contents
            found.append({"name": one.name.decode(), "grid": tuple(one.grid), "block": tuple(one.block),
                          "shared": one.shared, "stream": one.stream or 0})
        return found

    def problem(self) -> str:
        """The first misuse of the driver it saw (a bad handle, a range outside every
        allocation, no current context...), or ''."""
        return self.lib.fake_problem().decode()

    def reset(self) -> None:
        """Forget launches, the problem seen, and a failure not yet injected."""
        self.lib.fake_reset()

    def fail(self, entry: str, code: int) -> None:
        """The next call of driver entry point `entry` returns CUresult `code`."""
        self.lib.fake_fail(entry.encode(), code)

    def set_status(self, value: int) -> None:
        """Write `value` to every module's gc_status (what a kernel's gc_raise does)."""
        self.lib.fake_set_status(value)

    def statuses(self) -> list[int]:
        return [self.lib.fake_status(i) for i in range(self.lib.fake_module_count())]

    def live_allocations(self) -> int:
        return self.lib.fake_live_allocations()

    def release_threshold(self) -> int:
        return self.lib.fake_release_threshold()

    def parameters(self, function: int) -> tuple[str, list[int] | None]:
        """A loaded function's name, and its parameters' sizes in bytes as the CUBIN declares them."""
        sizes = (ctypes.c_int * 64)()
        count = self.lib.fake_param_sizes(function, sizes, 64)
        return self.lib.fake_function_name(function).decode(), None if count < 0 else list(sizes[:count])

    def check_arguments(self, function: int, arguments) -> None:
        """AssertionError unless `arguments` (runtime.Arguments) match the kernel's parameters in
        number and size, as the driver copies them."""
        name, sizes = self.parameters(function)
        given = [ctypes.sizeof(v) for v in arguments.values]
        assert sizes is None or given == sizes, \
            f"{name} is launched with arguments of {given} bytes; its parameters take {sizes}"

    def cublas_stream(self, handle: int) -> int:
        return self.blas.fake_cublas_stream(handle) or 0


def install(directory: Path) -> Fake:
    """Load the fakes from `directory` into this process, before cuda-bindings first looks for
    the driver (it then finds the loaded libcuda.so.1 by its SONAME), and point cublas.py's
    ctypes binding at the fake cuBLAS."""
    lib = ctypes.CDLL(str(directory / CUDA), mode=os.RTLD_GLOBAL)
    blas = ctypes.CDLL(str(directory / CUBLAS))
    from graphc.backends.cuda import cublas, runtime

    cublas._library_path = lambda: str(directory / CUBLAS)
    cublas.binding = functools.cache(cublas._Ctypes)  # the ctypes binding even where nvmath is installed
    fake = Fake(lib, blas)
    launch = runtime.launch

    def checked_launch(dev, function, grid, block, arguments, shared=0):
        fake.check_arguments(int(function), arguments)
        launch(dev, function, grid, block, arguments, shared)

    runtime.launch = checked_launch  # launch.py and support.py call it through the module
    return fake
