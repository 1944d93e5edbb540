"""The GPU, through NVIDIA's driver API bindings (`cuda.bindings.driver`, the `cuda` extra).

One `Device` per GPU in this process: its primary context, one stream on which graphc
enqueues all its work (launches, copies, allocations and frees are stream-ordered, so a call
returns without waiting for the GPU; only copies back to the host synchronise), the stream's
memory pool (kept, not released at every synchronisation), and lazily loaded modules.

The driver library is loaded at the first use of a device, never at import: without a GPU,
`is_available()` is False and everything else in the backend still compiles.
"""

from __future__ import annotations

import ctypes
import functools
import threading
import weakref
from dataclasses import dataclass

NO_DEVICE = "no CUDA device is available (the CUDA backend compiles without one, but runs only on a GPU)"
STATUS_ERRORS = {1: (ValueError, "Integers to negative integer powers are not allowed."),
                 2: (IndexError, "an index of gather, scatter or integer-array indexing is out of"
                                 " bounds for its dimension")}
_lock = threading.Lock()


class CudaError(RuntimeError):
    """A CUDA driver call failed."""


def driver():
    from cuda.bindings import driver as cuda_driver

    return cuda_driver


def check(result):
    """The values a driver call returned after its status; CudaError naming the status if not success."""
    status, *values = result if isinstance(result, tuple) else (result,)
    if int(status) != 0:
        _, name = driver().cuGetErrorName(status)
        raise CudaError(f"CUDA driver error {name.decode() if name else int(status)}")
    return values[0] if len(values) == 1 else tuple(values)


@functools.cache
def device_count() -> int:
    """How many GPUs the driver sees (0 without a driver or a GPU)."""
    try:
        check(driver().cuInit(0))
        return check(driver().cuDeviceGetCount())
    except Exception:  # no driver library, no device, or a driver too old: no GPU for graphc
        return 0


def is_available() -> bool:
    return device_count() > 0


_devices: dict[int, Device] = {}


def device(ordinal: int = 0) -> Device:
    """The GPU `ordinal` (its context made current in this thread); RuntimeError without one."""
    if not 0 <= ordinal < device_count():
        raise RuntimeError(NO_DEVICE if not device_count() else
                           f"there is no CUDA device {ordinal}; this machine has {device_count()}")
    with _lock:
        if ordinal not in _devices:
            _devices[ordinal] = Device(ordinal)
    found = _devices[ordinal]
    found.make_current()
    return found


def default_arch() -> str:
    """The architecture to compile for: the first GPU's (`sm_90`), or sm_90 without a GPU."""
    return device(0).arch if is_available() else "sm_90"


class Device:
    """One GPU: primary context, graphc's stream, memory pool, SM count."""

    def __init__(self, ordinal: int):
        cu = driver()
        self.ordinal = ordinal
        self.handle = check(cu.cuDeviceGet(ordinal))
        self.context = check(cu.cuDevicePrimaryCtxRetain(self.handle))
        check(cu.cuCtxSetCurrent(self.context))
        attribute = cu.CUdevice_attribute
        major = self.attribute(attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)
        minor = self.attribute(attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)
        self.arch = f"sm_{major}{minor}"
        self.sm_count = self.attribute(attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)
        self.stream = check(cu.cuStreamCreate(int(cu.CUstream_flags.CU_STREAM_NON_BLOCKING)))
        pool = check(cu.cuDeviceGetDefaultMemPool(self.handle))
        keep = cu.cuuint64_t(2**64 - 1)  # freed memory stays in the pool for the next call
        check(cu.cuMemPoolSetAttribute(pool, cu.CUmemPool_attribute.CU_MEMPOOL_ATTR_RELEASE_THRESHOLD, keep))
        self.name = check(cu.cuDeviceGetName(256, self.handle)).split(b"\0")[0].decode()
        self._modules: dict[int, object] = {}

    def __repr__(self) -> str:
        return f"cuda:{self.ordinal}"

    def attribute(self, which) -> int:
        return check(driver().cuDeviceGetAttribute(which, self.handle))

    def make_current(self) -> None:
        check(driver().cuCtxSetCurrent(self.context))

    def synchronize(self) -> None:
        check(driver().cuStreamSynchronize(self.stream))

    def allocate(self, nbytes: int) -> Allocation:
        return Allocation(self, nbytes)

    def module(self, cubin: bytes) -> Module:
        """The module of `cubin`, loaded on this device once."""
        key = id(cubin)
        with _lock:
            found = self._modules.get(key)
            if found is None or found.cubin is not cubin:
                found = Module(self, cubin)
                self._modules[key] = found
        return found

    def wait_for(self, stream_handle: int) -> None:
        """Make graphc's stream wait for the work enqueued so far on another stream."""
        cu = driver()
        if stream_handle == int(self.stream):
            return
        event = check(cu.cuEventCreate(int(cu.CUevent_flags.CU_EVENT_DISABLE_TIMING)))
        check(cu.cuEventRecord(event, cu.CUstream(stream_handle)))
        check(cu.cuStreamWaitEvent(self.stream, event, 0))
        check(cu.cuEventDestroy(event))

    def signal(self, stream_handle: int) -> None:
        """Make another stream wait for the work enqueued so far on graphc's."""
        cu = driver()
        if stream_handle == int(self.stream):
            return
        event = check(cu.cuEventCreate(int(cu.CUevent_flags.CU_EVENT_DISABLE_TIMING)))
        check(cu.cuEventRecord(event, self.stream))
        check(cu.cuStreamWaitEvent(cu.CUstream(stream_handle), event, 0))
        check(cu.cuEventDestroy(event))

    def check_status(self, module: Module) -> None:
        """Raise NumPy's error for what a kernel of `module` flagged (`gc_raise`), and clear it."""
        status = module.read_status()
        for bit, (error, message) in STATUS_ERRORS.items():
            if status & bit:
                raise error(message)


class Allocation:
    """Device memory from the stream's pool, freed (stream-ordered) when no array uses it."""

    def __init__(self, dev: Device, nbytes: int):
        self.device, self.nbytes = dev, nbytes
        self.pointer = int(check(driver().cuMemAllocAsync(max(nbytes, 1), dev.stream)))
        self.array = None  # a weak reference to the array made over all of it, if any
        weakref.finalize(self, _free, dev, self.pointer)


def _free(dev: Device, pointer: int) -> None:
    try:
        dev.make_current()
        driver().cuMemFreeAsync(driver().CUdeviceptr(pointer), dev.stream)
    except Exception:  # at interpreter exit the driver may be gone already
        pass


class Module:
    """A CUBIN loaded on one device: its functions by name."""

    def __init__(self, dev: Device, cubin: bytes):
        self.device, self.cubin = dev, cubin
        self.handle = check(driver().cuModuleLoadData(cubin))
        self._functions: dict[str, object] = {}

    def function(self, name: str):
        found = self._functions.get(name)
        if found is None:
            found = check(driver().cuModuleGetFunction(self.handle, name.encode()))
            self._functions[name] = found
        return found

    def read_status(self) -> int:
        """The module's `gc_status` word (waits for the stream), reset to 0."""
        cu = driver()
        pointer, size = check(cu.cuModuleGetGlobal(self.handle, b"gc_status"))
        word = ctypes.c_uint32(0)
        self.device.synchronize()
        check(cu.cuMemcpyDtoH(ctypes.addressof(word), pointer, size))
        if word.value:
            check(cu.cuMemsetD32(pointer, 0, 1))
        return word.value


@dataclass(frozen=True)
class Arguments:
    """Kernel arguments packed as cuLaunchKernel takes them: an array of pointers to values."""

    values: tuple  # ctypes objects, kept alive until the launch is enqueued
    pointers: ctypes.Array

    @classmethod
    def pack(cls, values) -> Arguments:
        values = tuple(values)
        return cls(values, (ctypes.c_void_p * max(1, len(values)))(*[ctypes.addressof(v) for v in values]))


def launch(dev: Device, function, grid: int, block: int, arguments: Arguments, shared: int = 0) -> None:
    """Enqueue `function` on the device's stream over `grid` blocks of `block` threads."""
    check(driver().cuLaunchKernel(function, grid, 1, 1, block, 1, 1, shared, dev.stream,
                                  ctypes.addressof(arguments.pointers), 0))


def to_device(dev: Device, pointer: int, host_address: int, nbytes: int) -> None:
    if nbytes:
        check(driver().cuMemcpyHtoDAsync(pointer, host_address, nbytes, dev.stream))


def to_host(dev: Device, host_address: int, pointer: int, nbytes: int) -> None:
    """Copy device memory to the host and wait for it (and everything enqueued before)."""
    if nbytes:
        check(driver().cuMemcpyDtoHAsync(host_address, pointer, nbytes, dev.stream))
    dev.synchronize()


def copy(dev: Device, destination: int, source: int, nbytes: int) -> None:
    if nbytes:
        check(driver().cuMemcpyDtoDAsync(destination, source, nbytes, dev.stream))


def pointer_device(pointer: int) -> int | None:
    """The ordinal of the device that `pointer` (memory another library made) lives on, or
    None where it is not device memory the driver knows."""
    cu = driver()
    try:
        return int(check(cu.cuPointerGetAttribute(
            cu.CUpointer_attribute.CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL, pointer)))
    except CudaError:
        return None
