"""Without a GPU: DeviceArray's views, its interchange formats (DLPack out and in, the CUDA
array interface) and argument checking, on host memory standing in for a device's."""

from __future__ import annotations

import weakref

import numpy as np
import pytest

from graphc.backends.cuda import dlpack
from graphc.backends.cuda.arrays import DeviceArray
from tests.backends.cuda.fake import DEVICE, as_numpy, over

BASE = np.arange(4 * 5 * 6, dtype=np.float32).reshape(4, 5, 6)


@pytest.mark.parametrize(("view", "numpy"), [
    (lambda a: a.transpose((2, 0, 1)), lambda x: x.transpose(2, 0, 1)),
    (lambda a: a.flip((0, 2)), lambda x: x[::-1, :, ::-1]),
    (lambda a: a.index([1, (None, None, 2), None]), lambda x: x[1, ::2, None]),
    (lambda a: a.index([(3, 0, -1), -2]), lambda x: x[3:0:-1, -2]),
    (lambda a: a.index([(5, 9, 1)]), lambda x: x[5:9]),
    (lambda a: a.index([(None, None, None), (None, None, None), (1, 2, 1)]).broadcast_to((2, 4, 5, 1)),
     lambda x: np.broadcast_to(x[:, :, 1:2], (2, 4, 5, 1))),
    (lambda a: a.reshape((20, 6)), lambda x: x.reshape(20, 6)),
    (lambda a: a.flip((1,)).transpose((1, 0, 2)).index([(None, None, -3)]),
     lambda x: x[:, ::-1].transpose(1, 0, 2)[::-3]),
], ids=range(8))
def test_views_step_through_memory_as_numpys_do(view, numpy):
    got, want = view(over(BASE)), numpy(BASE)
    assert got.shape == want.shape
    np.testing.assert_array_equal(as_numpy(got), want)


def test_contiguity_and_sizes():
    a = over(BASE)
    assert a.is_contiguous and a.size == 120 and a.nbytes == 480 and a.ndim == 3
    assert not a.transpose((1, 0, 2)).is_contiguous
    assert a.index([(None, None, None), (2, 3, 1)]).is_contiguous is False
    assert a.index([0, 1]).is_contiguous  # a row
    assert over(BASE[1:2]).is_contiguous  # a dimension of size 1 has any stride
    assert not over(BASE[:, :1]).is_contiguous


def test_bad_views_are_clear_errors():
    a = over(BASE)
    with pytest.raises(ValueError, match="reshape"):
        a.reshape((7, 7))
    with pytest.raises(ValueError, match="broadcast"):
        a.broadcast_to((4, 6, 6))
    with pytest.raises(IndexError, match="out of bounds"):
        a.index([4])


def test_a_device_array_is_not_silently_a_host_array():
    with pytest.raises(TypeError, match=r"\.numpy\(\)"):
        np.asarray(over(BASE))


def test_the_cuda_array_interface_describes_the_memory():
    view = over(BASE).transpose((1, 0, 2))
    interface = view.__cuda_array_interface__
    assert interface["shape"] == (5, 4, 6) and interface["typestr"] == "<f4"
    assert interface["strides"] == (24, 120, 4) and interface["version"] == 3
    assert interface["data"] == (BASE.ctypes.data, False) and interface["stream"] == DEVICE.stream
    assert over(BASE).__cuda_array_interface__["strides"] is None  # C-contiguous


class _Producer:
    """Exports a DeviceArray over host memory as a CPU DLPack tensor (what NumPy can read)."""

    def __init__(self, array):
        self.array = array

    def __dlpack__(self, stream=None, max_version=None, dl_device=None, copy=None):
        return dlpack.export(self.array, dlpack.CPU)

    def __dlpack_device__(self):
        return dlpack.CPU, 0


@pytest.mark.parametrize("dtype", [np.bool_, np.int32, np.int64, np.float16, np.float32, np.float64])
def test_dlpack_export_is_read_back_by_numpy(dtype):
    source = np.arange(24).reshape(2, 3, 4).astype(dtype)
    view = over(source).transpose((2, 0, 1)).flip((1,))
    np.testing.assert_array_equal(np.from_dlpack(_Producer(view)), source.transpose(2, 0, 1)[:, ::-1])


def test_an_unconsumed_capsule_releases_what_it_kept():
    before = len(dlpack._alive)
    capsule = dlpack.export(over(BASE), dlpack.CPU)
    assert len(dlpack._alive) == before + 1
    del capsule
    assert len(dlpack._alive) == before


def test_dlpack_tensors_of_other_libraries_are_viewed_in_place():
    source = np.arange(30, dtype=np.float64).reshape(5, 6)[::2, 1:]
    array = dlpack.view_capsule(source.__dlpack__(), source, DEVICE, dlpack.CPU)
    assert array.pointer == source.__array_interface__["data"][0]
    np.testing.assert_array_equal(as_numpy(array), source)
    with pytest.raises(TypeError, match="not a CUDA GPU"):
        dlpack.view_capsule(source.__dlpack__(), source, DEVICE)


def test_device_arrays_of_other_libraries_are_recognised():
    assert dlpack.is_device_array(over(BASE))
    assert not dlpack.is_device_array(BASE)  # NumPy's __dlpack_device__ says CPU
    assert not dlpack.is_device_array([1.0])


def test_a_fresh_array_is_owned_whole():
    from graphc.backends.cuda.outside import owned
    from graphc.backends.cuda.runtime import Allocation

    memory = Allocation.__new__(Allocation)  # (no device: not allocated, only owned)
    fresh = DeviceArray(DEVICE, BASE.ctypes.data, BASE.shape, BASE.dtype, owner=memory)
    memory.array = weakref.ref(fresh)
    assert owned(fresh) is fresh
