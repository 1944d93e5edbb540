"""Arrays across libraries: DLPack capsules out and in, `__cuda_array_interface__` in.

`export` wraps an array's memory in a DLPack capsule (the legacy, unversioned
`DLManagedTensor`, which every consumer reads); the array stays alive until the consumer calls
the tensor's deleter (or, unconsumed, until the capsule is collected). `adopt` views another
library's GPU array (CuPy, PyTorch, JAX, Numba) as a `DeviceArray` without copying, through
its `__cuda_array_interface__` or its `__dlpack__`, after making graphc's stream wait for the
stream the producer names.
"""

from __future__ import annotations

import ctypes
import threading

import numpy as np

from graphc import dtypes
from graphc.backends.cuda import runtime
from graphc.backends.cuda.arrays import DeviceArray

CPU, CUDA = 1, 2  # DLDeviceType
LEGACY_STREAM, PER_THREAD_STREAM = 1, 2  # CUDA's CU_STREAM_LEGACY and CU_STREAM_PER_THREAD
_CODES = {"b": 6, "i": 0, "u": 1, "f": 2}  # DLDataTypeCode: kDLBool, kDLInt, kDLUInt, kDLFloat
_KINDS = {code: kind for kind, code in _CODES.items()}
_BFLOAT = 4  # kDLBfloat: ml_dtypes' bfloat16 in NumPy
_BFLOAT16 = np.dtype(dtypes.bfloat16.numpy)


def _code(dtype: np.dtype) -> int | None:
    """The DLPack type code of a NumPy dtype (None where DLPack has none)."""
    return _BFLOAT if dtype == _BFLOAT16 else _CODES.get(dtype.kind)


class DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", DLDevice), ("ndim", ctypes.c_int32),
                ("dtype", DLDataType), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64)), ("byte_offset", ctypes.c_uint64)]


DELETER = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


class DLManagedTensor(ctypes.Structure):
    _fields_ = [("dl_tensor", DLTensor), ("manager_ctx", ctypes.c_void_p), ("deleter", DELETER)]


_NAME, _USED = b"dltensor", b"used_dltensor"
_alive: dict[int, tuple] = {}  # address of an exported DLManagedTensor -> what it keeps alive
_alive_lock = threading.Lock()
_api = ctypes.pythonapi
_api.PyCapsule_New.restype = ctypes.py_object
_api.PyCapsule_New.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
_api.PyCapsule_IsValid.restype = ctypes.c_int
_api.PyCapsule_IsValid.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
_api.PyCapsule_GetPointer.restype = ctypes.c_void_p
_api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_SetName.restype = ctypes.c_int
_api.PyCapsule_SetName.argtypes = [ctypes.py_object, ctypes.c_char_p]
_pointer_of_capsule = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p)(
    ("PyCapsule_GetPointer", _api))


@DELETER
def _release(address: int) -> None:
    """The exported tensor's deleter: drop what it kept alive."""
    with _alive_lock:
        _alive.pop(address, None)


@ctypes.CFUNCTYPE(None, ctypes.c_void_p)
def _capsule_destructor(capsule: int) -> None:
    """A capsule collected before any consumer took its tensor deletes the tensor itself."""
    if _api.PyCapsule_IsValid(capsule, _NAME):
        _release(_pointer_of_capsule(capsule, _NAME))


def export(array: DeviceArray, device_type: int = CUDA):
    """A `dltensor` capsule of `array` (on `device_type`'s device `array.device.ordinal`)."""
    if _code(array.dtype) is None:
        raise BufferError(f"DLPack has no type for {array.dtype}")
    if any(s % array.itemsize for s in array.strides):
        raise BufferError("DLPack strides count elements; this array steps by partial elements")
    managed = DLManagedTensor()
    shape = (ctypes.c_int64 * max(1, array.ndim))(*array.shape)
    strides = (ctypes.c_int64 * max(1, array.ndim))(*(s // array.itemsize for s in array.strides))
    tensor = managed.dl_tensor
    tensor.data = array.pointer
    tensor.device = DLDevice(device_type, array.device.ordinal)
    tensor.ndim = array.ndim
    tensor.dtype = DLDataType(_code(array.dtype), array.itemsize * 8, 1)
    tensor.shape = ctypes.cast(shape, ctypes.POINTER(ctypes.c_int64))
    tensor.strides = ctypes.cast(strides, ctypes.POINTER(ctypes.c_int64))
    managed.deleter = _release
    address = ctypes.addressof(managed)
    with _alive_lock:
        _alive[address] = (managed, shape, strides, array)
    return _api.PyCapsule_New(address, _NAME, ctypes.cast(_capsule_destructor, ctypes.c_void_p))


class _Imported:
    """Keeps a consumed DLPack tensor's memory alive; calls its deleter when collected."""

    def __init__(self, address: int, producer: object):
        self.address, self.producer = address, producer

    def __del__(self):
        managed = DLManagedTensor.from_address(self.address)
        if managed.deleter:
            managed.deleter(self.address)


def stream_handle(stream: int | None) -> int:
    """The CUstream that a DLPack or CUDA-array-interface stream number names."""
    if stream is None or stream == LEGACY_STREAM:
        return LEGACY_STREAM
    return int(stream)


def is_device_array(value) -> bool:
    """Whether `value` is another library's GPU array that graphc can adopt."""
    if hasattr(value, "__cuda_array_interface__"):
        return True
    probe = getattr(value, "__dlpack_device__", None)
    if probe is None:
        return False
    try:
        return probe()[0] == CUDA
    except Exception:  # a broken or exotic producer: not ours to adopt
        return False


def adopt(value, device: runtime.Device) -> DeviceArray:
    """`value` (a GPU array of another library) as a DeviceArray sharing its memory, readable on
    graphc's stream once the producer's stream has finished with it."""
    if isinstance(value, DeviceArray):
        return value
    interface = getattr(value, "__cuda_array_interface__", None)
    if interface is not None:
        return _from_interface(value, interface, device)
    try:
        capsule = value.__dlpack__(stream=int(device.stream))
    except TypeError:  # a producer older than the `stream` keyword
        capsule = value.__dlpack__()
    return view_capsule(capsule, value, device)


def view_capsule(capsule, producer: object, device, device_type: int = CUDA) -> DeviceArray:
    """The tensor of a `dltensor` capsule (which this consumes) as a DeviceArray on `device`."""
    address = _api.PyCapsule_GetPointer(capsule, _NAME)
    _api.PyCapsule_SetName(capsule, _USED)
    owner = _Imported(address, producer)
    tensor = DLManagedTensor.from_address(address).dl_tensor
    if tensor.device.device_type != device_type:
        raise TypeError(f"the array is on DLPack device type {tensor.device.device_type}, not a CUDA GPU")
    bfloat16 = tensor.dtype.code == _BFLOAT and tensor.dtype.bits == 16
    if tensor.dtype.lanes != 1 or not (tensor.dtype.code in _KINDS or bfloat16):
        raise TypeError(f"graphc cannot read DLPack type code {tensor.dtype.code} x{tensor.dtype.lanes}")
    dtype = _BFLOAT16 if bfloat16 else np.dtype(f"{_KINDS[tensor.dtype.code]}{tensor.dtype.bits // 8}")
    shape = tuple(tensor.shape[k] for k in range(tensor.ndim))
    strides = None if not tensor.strides else tuple(tensor.strides[k] * dtype.itemsize
                                                    for k in range(tensor.ndim))
    _check_device(tensor.device.device_id, device)
    return DeviceArray(device, (tensor.data or 0) + tensor.byte_offset, shape, dtype, strides, owner)


def _from_interface(value, interface: dict, device: runtime.Device) -> DeviceArray:
    pointer = interface["data"][0] or 0
    shape = tuple(interface["shape"])
    dtype = np.dtype(interface["typestr"])
    if interface.get("mask") is not None:
        raise TypeError("graphc cannot read a masked __cuda_array_interface__ array")
    if pointer and np.prod(shape, dtype=np.int64):
        ordinal = runtime.pointer_device(pointer)
        if ordinal is None:
            raise TypeError("the array's __cuda_array_interface__ does not point to device memory")
        _check_device(ordinal, device)
    stream = interface.get("stream")
    if stream is not None:
        device.wait_for(stream_handle(stream))
    return DeviceArray(device, pointer, shape, dtype, interface.get("strides"), value)


def _check_device(ordinal: int, device) -> None:
    if ordinal != device.ordinal:
        raise ValueError(f"the array is on cuda:{ordinal}, but this function runs on {device!r}")
