"""The ops outside fused kernels, on the GPU, as the generated driver calls them.

Leaves are uploaded to the device (constants, scalars, `arange` and `eye` once per device;
parameters at each call, since the user may change their arrays), `cat` and `pad` are strided
copies into a fresh array, as is `setitem`; argmax/argmin, gather, scatter, argsort, nonzero
and integer matmul are support kernels, float matmul
is cuBLAS, and views are DeviceArray methods. Nothing here runs on the host's NumPy.
"""

from __future__ import annotations

import threading

import numpy as np

from graphc.backends.cuda import runtime, support
from graphc.backends.cuda.arrays import DeviceArray


class Constant:
    """An immutable array (a constant, a scalar, arange, eye), copied to each device once."""

    def __init__(self, array: np.ndarray):
        self.array = np.asarray(array, order="C")
        self._copies: dict[int, DeviceArray] = {}
        self._lock = threading.Lock()

    def get(self, device: runtime.Device) -> DeviceArray:
        copy = self._copies.get(device.ordinal)
        if copy is None:
            with self._lock:
                copy = self._copies.get(device.ordinal)
                if copy is None:
                    copy = self._copies[device.ordinal] = DeviceArray.from_host(device, self.array)
        return copy


class Parameter:
    """An array the graph reads by reference: its current value, on the device, at each call."""

    def __init__(self, reference):
        self.reference = reference

    def get(self, device: runtime.Device) -> DeviceArray:
        value = self.reference.value
        if isinstance(value, DeviceArray):
            return value
        return DeviceArray.from_host(device, np.asarray(value))


def owned(array: DeviceArray) -> DeviceArray:
    """An output the caller may keep: the array itself if this call allocated it whole, else a
    copy (a view of an input, a leaf's device copy)."""
    if isinstance(array.owner, runtime.Allocation) and array.owner.array is not None \
            and array.owner.array() is array:
        return array
    return array.copy()


def copy(array: DeviceArray) -> DeviceArray:
    return array.copy()


def cat(arrays: tuple[DeviceArray, ...], axis: int) -> DeviceArray:
    first = arrays[0]
    shape = list(first.shape)
    shape[axis] = sum(a.shape[axis] for a in arrays)
    out = DeviceArray.empty(first.device, shape, first.dtype)
    start = 0
    for a in arrays:
        index = [(None, None, None)] * axis + [(start, start + a.shape[axis], 1)]
        support.copy_into(out.index(index), a)
        start += a.shape[axis]
    return out


def pad(x: DeviceArray, widths: tuple[tuple[int, int], ...], value) -> DeviceArray:
    shape = [d + lo + hi for d, (lo, hi) in zip(x.shape, widths)]
    out = DeviceArray.empty(x.device, shape, x.dtype)
    support.fill(out, value)
    support.copy_into(out.index([(lo, lo + d, 1) for d, (lo, _) in zip(x.shape, widths)]), x)
    return out



def setitem(base: DeviceArray, value: DeviceArray, index) -> DeviceArray:
    """A copy of base with base[index] (graphc's basic index entries) replaced by value."""
    out = DeviceArray.empty(base.device, base.shape, base.dtype)
    support.copy_into(out, base)
    part = out.index(index)
    support.copy_into(part, value.broadcast_to(part.shape))
    return out
