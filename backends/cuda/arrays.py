"""`DeviceArray`: an n-dimensional array in GPU memory, as the CUDA backend's calls return.

Like a NumPy array it has a shape, a dtype and strides (in bytes), and views share memory:
the view ops of graphc's IR (`reshape`, `transpose`, `getitem`, `flip`, `broadcast_to`) are
methods that only change those (a reshape of a non-contiguous array copies, as NumPy's does).
It exports `__cuda_array_interface__` (version 3) and `__dlpack__`, so CuPy, PyTorch and JAX
take it without a copy, and `.numpy()` copies it to the host.
"""

from __future__ import annotations

import math
import weakref

import numpy as np

from graphc.backends.cuda import runtime


def c_strides(shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    strides, step = [], itemsize
    for d in reversed(shape):
        strides.append(step)
        step *= max(d, 1)
    return tuple(reversed(strides))


class DeviceArray:
    """Memory on one GPU viewed as an array: `pointer` is the address of element (0, ..., 0)."""

    __slots__ = ("__weakref__", "device", "dtype", "owner", "pointer", "shape", "strides")

    def __init__(self, device: runtime.Device, pointer: int, shape: tuple[int, ...], dtype,
                 strides: tuple[int, ...] | None = None, owner: object = None):
        self.device = device
        self.pointer = pointer
        self.shape = tuple(int(d) for d in shape)
        self.dtype = np.dtype(dtype)
        self.strides = c_strides(self.shape, self.dtype.itemsize) if strides is None else tuple(strides)
        self.owner = owner  # what keeps the memory alive: an Allocation, or another library's array

    # ---------------------------------------------------------------------- making
    @classmethod
    def empty(cls, device: runtime.Device, shape, dtype) -> DeviceArray:
        dtype = np.dtype(dtype)
        allocation = device.allocate(math.prod(shape) * dtype.itemsize)
        array = cls(device, allocation.pointer, tuple(shape), dtype, owner=allocation)
        allocation.array = weakref.ref(array)  # the one array that owns all of it (see `owned`)
        return array

    @classmethod
    def from_host(cls, device: runtime.Device, array: np.ndarray) -> DeviceArray:
        """A device copy of a NumPy array (enqueued on the device's stream)."""
        host = np.asarray(array, order="C")  # (ascontiguousarray would make a 0-d array 1-d)
        result = cls.empty(device, host.shape, host.dtype)
        runtime.to_device(device, result.pointer, host.ctypes.data, host.nbytes)  # (staged: `host`
        return result  # may go once the call returns)

    # ------------------------------------------------------------------ properties
    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.size * self.itemsize

    @property
    def is_contiguous(self) -> bool:
        """C-contiguous (dimensions of size 1 may have any stride, as in NumPy)."""
        if self.size == 0:
            return True
        expected = c_strides(self.shape, self.itemsize)
        return all(s == e or d == 1 for s, e, d in zip(self.strides, expected, self.shape))

    def __repr__(self) -> str:
        return f"DeviceArray(shape={self.shape}, dtype={self.dtype}, device='{self.device!r}')"

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d array")
        return self.shape[0]

    def __array__(self, dtype=None, copy=None):
        raise TypeError("a DeviceArray lives in GPU memory: call .numpy() to copy it to the host")

    # ------------------------------------------------------------------- copies
    def numpy(self) -> np.ndarray:
        """A host copy (waits for the GPU work that makes this array)."""
        source = self if self.is_contiguous else self.contiguous()
        host = np.empty(self.shape, self.dtype)
        runtime.to_host(self.device, host.ctypes.data, source.pointer, host.nbytes)
        return host

    get = numpy  # CuPy's name

    def contiguous(self) -> DeviceArray:
        """This array if C-contiguous, else a C-contiguous copy."""
        return self if self.is_contiguous else self.copy()

    def copy(self) -> DeviceArray:
        """A fresh C-contiguous copy."""
        from graphc.backends.cuda import support

        result = DeviceArray.empty(self.device, self.shape, self.dtype)
        support.copy_into(result, self)
        return result

    # --------------------------------------------------------------------- views
    def _view(self, pointer: int, shape, strides) -> DeviceArray:
        return DeviceArray(self.device, pointer, tuple(shape), self.dtype, tuple(strides), self.owner)

    def reshape(self, shape) -> DeviceArray:
        shape = tuple(int(d) for d in shape)
        if math.prod(shape) != self.size:
            raise ValueError(f"cannot reshape an array of {self.size} elements into shape {list(shape)}")
        source = self.contiguous()
        return source._view(source.pointer, shape, c_strides(shape, self.itemsize))

    def transpose(self, perm) -> DeviceArray:
        return self._view(self.pointer, [self.shape[p] for p in perm], [self.strides[p] for p in perm])

    def flip(self, axes) -> DeviceArray:
        pointer, strides = self.pointer, list(self.strides)
        for a in axes:
            if self.shape[a]:
                pointer += (self.shape[a] - 1) * strides[a]
            strides[a] = -strides[a]
        return self._view(pointer, self.shape, strides)

    def broadcast_to(self, shape) -> DeviceArray:
        shape = tuple(int(d) for d in shape)
        lead = len(shape) - self.ndim
        if lead < 0 or any(d not in (1, s) for d, s in zip(self.shape, shape[lead:])):
            raise ValueError(f"cannot broadcast shape {list(self.shape)} to {list(shape)}")
        strides = [0] * lead + [0 if d == 1 and s != 1 else st
                                for d, s, st in zip(self.shape, shape[lead:], self.strides)]
        return self._view(self.pointer, shape, strides)

    def index(self, entries) -> DeviceArray:
        """Basic indexing with graphc's `getitem` entries: an int, (start, stop, step), or None
        for a new axis; dimensions past the entries are kept."""
        pointer, shape, strides, axis = self.pointer, [], [], 0
        for entry in entries:
            if entry is None:
                shape.append(1)
                strides.append(0)
                continue
            size, stride = self.shape[axis], self.strides[axis]
            if isinstance(entry, int):
                if not -size <= entry < size:
                    raise IndexError(f"index {entry} is out of bounds for axis {axis} of size {size}")
                pointer += (entry % size) * stride
            else:
                start, _, step = indices = slice(*entry).indices(size)
                pointer += start * stride if len(range(*indices)) else 0
                shape.append(len(range(*indices)))
                strides.append(stride * step)
            axis += 1
        return self._view(pointer, [*shape, *self.shape[axis:]], [*strides, *self.strides[axis:]])

    # ------------------------------------------------------------ interchange
    @property
    def __cuda_array_interface__(self) -> dict:
        return {"shape": self.shape, "typestr": self.dtype.str, "version": 3,
                "data": (self.pointer if self.size else 0, False),
                "strides": None if self.is_contiguous else self.strides,
                "stream": int(self.device.stream)}

    def __dlpack_device__(self) -> tuple[int, int]:
        from graphc.backends.cuda.dlpack import CUDA

        return CUDA, self.device.ordinal

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """A DLPack capsule of this array; the consumer's `stream` first waits for graphc's."""
        from graphc.backends.cuda import dlpack

        if dl_device is not None and tuple(dl_device) != self.__dlpack_device__():
            raise BufferError(f"this array is on {self.device!r}; it cannot be exported to {dl_device}")
        if copy:
            return self.copy().__dlpack__(stream=stream)
        if stream != -1:  # -1: the consumer synchronises itself
            self.device.signal(dlpack.stream_handle(stream))
        return dlpack.export(self)
