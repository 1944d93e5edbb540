"""Without a GPU: the host side of the CUDA backend runs end to end against a stand-in driver.

Memory is host memory, copies are memmoves, and a launch only records what it was given, so
kernels compute nothing; but every call walks the real driver code, launch planning, argument
packing, views, leaves, cat/pad/argmax and matmul dispatch. Results must have the NumPy
backend's shapes and dtypes, copies must carry values, and each launch must pass one argument
per kernel parameter with a sane configuration.
"""

from __future__ import annotations

import ctypes

import numpy as np
import pytest

import graphc
from graphc.backends.cuda import cublas, runtime
from graphc.backends.cuda.arrays import DeviceArray
from graphc.shapes import data_dependent
from tests.backends.cuda.graphs import all_graphs
from tests.passes.corpus import random_inputs

GRAPHS = all_graphs()
SIZES = {"n": 5, "m": 7, "k": 3, "batch": 2}


class FakeAllocation(runtime.Allocation):
    def __init__(self, device, nbytes: int):
        self.device, self.nbytes, self.array = device, nbytes, None
        self.buffer = np.zeros(nbytes + 256, np.uint8)
        self.pointer = self.buffer.ctypes.data + (-self.buffer.ctypes.data % 256)


class FakeModule:
    def function(self, name: str) -> str:
        return name

    def read_status(self) -> int:
        return 0


class FakeDevice:
    ordinal, arch, sm_count, stream, name = 0, "sm_90", 2, 0, "stand-in GPU"

    def __init__(self):
        self.launches: list[tuple] = []

    def __repr__(self) -> str:
        return "cuda:0"

    def make_current(self) -> None:
        pass

    def synchronize(self) -> None:
        pass

    def allocate(self, nbytes: int) -> FakeAllocation:
        return FakeAllocation(self, nbytes)

    def module(self, cubin: bytes) -> FakeModule:
        return FakeModule()

    def check_status(self, module) -> None:
        pass


class FakeBlas:
    def __init__(self, device):
        self.device = device

    def gemm(self, dtype, handle, *args):
        self.device.launches.append(("gemm", dtype, args))


_UNSIGNED = {1: ctypes.c_uint8, 2: ctypes.c_uint16, 4: ctypes.c_uint32, 8: ctypes.c_uint64}


def _strided(pointer: int, itemsize: int, shape: list[int], strides: list[int]) -> np.ndarray:
    base = np.ctypeslib.as_array(ctypes.cast(pointer, ctypes.POINTER(_UNSIGNED[itemsize])), (1,))
    return np.lib.stride_tricks.as_strided(base, shape, [s * itemsize for s in strides])


def _run_support(function: str, values) -> None:
    """What support.cuh's copy and fill kernels do, on host memory."""
    itemsize = int(function.rsplit("_", 1)[1])
    if function.startswith("gc_fill_"):
        destination, value, n = values
        _strided(destination.value, itemsize, [n.value], [1])[...] = value.value
        return
    destination, to, source, frm, sizes, rank, _ = values
    shape = list(sizes.v[:rank.value])
    _strided(destination.value, itemsize, shape, list(to.v[:rank.value]))[...] = \
        _strided(source.value, itemsize, shape, list(frm.v[:rank.value]))


def _run_nonzero(function: str, grid: int, block: int, values) -> None:
    """What support.cuh's two nonzero kernels do, block by block, on host memory."""
    if function == "gc_nonzero_count":
        counts, mask, n = values
        flags = _strided(mask.value, 1, [n.value], [1]).astype(bool)
        _strided(counts.value, 8, [grid], [1])[...] = [flags[b * block:(b + 1) * block].sum()
                                                      for b in range(grid)]
        return
    out, mask, starts, sizes, rank, n = values
    flags = _strided(mask.value, 1, [n.value], [1]).astype(bool)
    shape = list(sizes.v[:rank.value])
    rows = _strided(out.value, 8, [int(flags.sum()), rank.value], [rank.value, 1])
    first = _strided(starts.value, 8, [grid], [1])
    for b in range(grid):
        found = np.flatnonzero(flags[b * block:(b + 1) * block]) + b * block
        rows[first[b]:first[b] + len(found)] = np.stack(np.unravel_index(found, shape), axis=1)


@pytest.fixture
def device(monkeypatch):
    fake = FakeDevice()

    def memmove(_device, destination, source, nbytes):
        ctypes.memmove(destination, source, nbytes)

    def launch(dev, function, grid, block, arguments, shared=0):
        assert grid >= 1 and block % 32 == 0 and block <= 256, (function, grid, block)
        dev.launches.append((function, grid, block, len(arguments.values)))
        if function.startswith(("gc_copy_", "gc_fill_")):
            _run_support(function, arguments.values)
        if function.startswith("gc_nonzero_"):
            _run_nonzero(function, grid, block, arguments.values)

    monkeypatch.setattr(runtime, "device", lambda ordinal=0: fake)
    monkeypatch.setattr(runtime, "device_count", lambda: 1)
    monkeypatch.setattr(runtime, "launch", launch)
    for name in ("to_device", "to_host", "copy"):
        monkeypatch.setattr(runtime, name, memmove)
    monkeypatch.setattr(cublas, "binding", lambda: FakeBlas(fake))
    monkeypatch.setattr(cublas, "handle", lambda dev: 0)
    return fake


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_every_graph_runs_through_the_driver(device, name):
    graph = GRAPHS[name]
    args = random_inputs(graph, np.random.default_rng(0), SIZES)
    gpu = graphc.function(list(graph.inputs), list(graph.outputs), backend="cuda")
    reference = graphc.function(list(graph.inputs), list(graph.outputs), backend="numpy")
    with np.errstate(all="ignore"):
        want = reference(*args)
    got = gpu(*args)
    # a data-dependent size counts values that kernels here never compute: only its rank is known
    sizes = [[None if data_dependent((d,)) else d for d in o.shape] for o in graph.outputs]
    assert [(g.dtype, [d and s for d, s in zip(size, g.shape)]) for g, size in zip(got, sizes)] == \
        [(w.dtype, [d and s for d, s in zip(size, w.shape)]) for w, size in zip(want, sizes)]
    params = {spec.name: len(spec.params) for spec in (k.spec for k in gpu.executable.kernels.values())}
    for launch in device.launches:
        if launch[0] in params:
            assert launch[3] == params[launch[0]], launch


def test_copies_views_and_leaves_carry_values(device):
    x = graphc.placeholder("x", ("n", 3))
    outs = [x, x.T, graphc.flip(x, 0)[::2], graphc.cat([x, x], 0),
            graphc.pad_widths(x, ((1, 0), (0, 2)), 7.5), graphc.tensor([1.5, 2.5]), graphc.reshape(x, (-1,))]
    f = graphc.function([x], outs, backend="cuda", passes="")
    data = np.arange(12, dtype=np.float32).reshape(4, 3)
    want = graphc.function([x], outs, backend="numpy", passes="")(data)
    for g, w in zip(f(data), want):
        np.testing.assert_array_equal(g, w)


def test_device_arrays_stay_on_the_device(device):
    x = graphc.placeholder("x", ("n",))
    f = graphc.function([x], [x * 2, graphc.sum(x)], backend="cuda")
    on_device = DeviceArray.from_host(device, np.arange(5, dtype=np.float32))
    results = f(on_device)
    assert all(isinstance(r, DeviceArray) for r in results)
    assert [r.shape for r in results] == [(5,), ()]
    np.testing.assert_array_equal(on_device.numpy(), np.arange(5, dtype=np.float32))
    with pytest.raises(TypeError, match="dtype float32"):
        f(DeviceArray.from_host(device, np.arange(5.0)))


def test_matmul_dispatch(device):
    a, b = graphc.placeholder("a", (2, 3, 4)), graphc.placeholder("b", (4, 5))
    i, j = graphc.placeholder("i", (3, 4), graphc.int32), graphc.placeholder("j", (4,), graphc.int32)
    f = graphc.function([a, b, i, j], [graphc.matmul(a, b), graphc.matmul(a[0].T, a[1]), graphc.matmul(i, j)],
                        backend="cuda", passes="")
    got = f(np.ones((2, 3, 4), np.float32), np.ones((4, 5), np.float32), np.ones((3, 4), np.int32),
            np.ones(4, np.int32))
    assert [g.shape for g in got] == [(2, 3, 5), (4, 4), (3,)]
    gemms = [launch for launch in device.launches if launch[0] == "gemm"]
    assert [g[2][:5] for g in gemms] == [(cublas.OP_N, cublas.OP_N, 5, 3, 4),  # batched, b shared
                                         (cublas.OP_N, cublas.OP_T, 4, 4, 3)]  # a transposed view
    assert gemms[0][2][8] == 0 and gemms[0][2][16] == 2  # b: batch stride 0; two batches
    assert any(launch[0] == "gc_matmul_int32" for launch in device.launches)


def test_reductions_split_when_few_outputs_are_long(device):
    x = graphc.placeholder("x", ("n",))
    f = graphc.function([x], graphc.sum(x), backend="cuda")
    f(np.ones(1_000_000, np.float32))
    names = [launch[0] for launch in device.launches]
    assert names[-2:] == ["k0_sum", "k0_sum_finish"]
    (plan,) = next(iter(f.executable.kernels.values())).plans.values()
    assert plan.splits > 1 and plan.values[("lanes",)] == 32


def test_tensors_on_the_stand_in_gpu(device, monkeypatch):
    t = graphc.tensor([1.0, 2.0], device="cuda")
    assert t.device == "cuda:0" and (t * 2).device == "cuda:0"
    assert t.cpu().tolist() == [1.0, 2.0]
    computed = graphc.sin(t) * 2  # compiled for the stand-in GPU and run there (computing nothing)
    assert computed.cpu().shape == (2,) and computed.cpu().device == "cpu"
    assert any(launch[0].startswith("k") for launch in device.launches)


@pytest.mark.parametrize("shape", [(0,), (1,), (300,), (3, 200), (7, 5, 40)])
def test_nonzero_counts_per_block_and_writes_rows_in_order(device, shape):
    m = graphc.placeholder("m", shape, graphc.bool)
    x = graphc.placeholder("x", shape, graphc.float64)
    f = graphc.function([m, x], [graphc.nonzero(m), x[m]], backend="cuda", passes="")
    rng = np.random.default_rng(len(shape))
    for mask in (rng.random(shape) < 0.3, np.zeros(shape, bool), np.ones(shape, bool)):
        data = rng.standard_normal(shape)
        positions, picked = f(mask, data)
        np.testing.assert_array_equal(positions, np.argwhere(mask))
        assert picked.shape == (int(mask.sum()),)
