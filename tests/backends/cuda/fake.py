"""A stand-in for a GPU in CPU tests: DeviceArrays over host memory, whose view arithmetic and
interchange formats can be checked against NumPy's without a device."""

from __future__ import annotations

import numpy as np

from graphc.backends.cuda.arrays import DeviceArray


class FakeDevice:
    ordinal, stream = 0, 7

    def __repr__(self) -> str:
        return "cuda:0"


DEVICE = FakeDevice()


def over(array: np.ndarray) -> DeviceArray:
    """A DeviceArray viewing `array`'s memory (on the fake device)."""
    return DeviceArray(DEVICE, array.__array_interface__["data"][0], array.shape, array.dtype,
                       array.strides, array)


def as_numpy(array: DeviceArray) -> np.ndarray:
    """The host memory a fake DeviceArray views, as a NumPy array of its shape and strides."""
    class Interface:
        __array_interface__ = {"shape": array.shape, "typestr": array.dtype.str, "version": 3,
                               "data": (array.pointer, True), "strides": array.strides}
    return np.asarray(Interface())
