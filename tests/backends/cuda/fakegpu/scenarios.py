"""Checks of the CUDA backend on the fake GPU, run in a subprocess that has loaded it:
`python scenarios.py LIBDIR [NAME...]` runs the named scenarios (all by default) and prints one
JSON object, each scenario's name to null (passed) or its traceback.

Every scenario walks graphc's real driver layer (runtime.py over cuda-bindings, cublas.py's
ctypes binding) into the fake libcuda.so.1 and libcublas; after each, the fake must have seen no
misuse (a bad handle, a copy outside every allocation, a call without a current context).
"""

from __future__ import annotations

import gc
import json
import sys
import threading
import time
import traceback
from pathlib import Path

import numpy as np

FAKE = None  # the loaded fake driver (tests.backends.cuda.fakegpu.Fake), set by main
SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


@scenario
def device():
    """The driver is found through cuda-bindings, the device's properties read."""
    import graphc
    import graphc.cuda
    from graphc.backends.cuda import nvrtc, runtime

    assert graphc.cuda.is_available() and graphc.cuda.device_count() == 1
    dev = runtime.device(0)
    assert (dev.name, dev.arch, dev.sm_count) == ("Fake H100 (host memory)", "sm_90", 132), vars(dev)
    assert runtime.default_arch() == "sm_90"
    assert FAKE.release_threshold() == 2**64 - 1  # the pool keeps freed memory
    assert runtime.device(0) is dev and repr(dev) == "cuda:0"
    try:
        runtime.device(1)
    except RuntimeError as err:
        assert "there is no CUDA device 1" in str(err)
    else:
        raise AssertionError("device 1 exists")
    # compiled for another architecture: compiled again for the device's when called
    x = graphc.placeholder("x", (3,))
    f = graphc.function([x], graphc.sin(x) + 1, backend="cuda", arch="sm_80")
    assert f(np.ones(3, np.float32)).shape == (3,)
    try:
        runtime.Module(dev, nvrtc.compile_module(f.executable.cuda_source, "sm_80").cubin)
    except runtime.CudaError as err:
        assert "CUDA_ERROR_NO_BINARY_FOR_GPU" in str(err)  # as a real sm_90 refuses SASS for sm_80
    else:
        raise AssertionError("the fake loaded a CUBIN for sm_80")


@scenario
def round_trips():
    """Host values go to the device and back unchanged: dtypes, shapes, host views."""
    import graphc
    from graphc.backends.cuda import runtime
    from graphc.backends.cuda.arrays import DeviceArray

    rng = np.random.default_rng(0)
    dtypes = [np.float32, np.float64, np.float16, np.int8, np.uint8, np.int16, np.int32, np.int64, np.bool_,
              graphc.bfloat16.numpy]
    for dtype in dtypes:
        for shape in [(), (0,), (1,), (7,), (3, 5), (2, 3, 4), (4, 0, 2)]:
            data = (rng.standard_normal(shape) * 50).astype(dtype)
            views = [data] if data.ndim < 2 else [data, data.T, data[::2], data[..., ::-1]]
            for host in views:
                t = graphc.tensor(host).to("cuda")
                assert t.device == "cuda:0"
                back = t.cpu().numpy()
                assert back.dtype == host.dtype and back.shape == host.shape
                np.testing.assert_array_equal(back, host)
                array = DeviceArray.from_host(runtime.device(0), host)
                np.testing.assert_array_equal(array.numpy(), host)
    t = graphc.tensor([1.5, -2.0], device="cuda")
    assert t.cpu().tolist() == [1.5, -2.0] and t.cuda().cpu().tolist() == [1.5, -2.0]
    # a DeviceArray's memory goes back to the driver when nothing uses it
    gc.collect()
    before = FAKE.live_allocations()
    arrays = [DeviceArray.empty(runtime.device(0), (100,), np.float32) for _ in range(5)]
    assert FAKE.live_allocations() == before + 5
    del arrays
    gc.collect()
    assert FAKE.live_allocations() == before


def _matmul_cases(dtype):
    """(graph inputs' shapes, output builder, NumPy's answer) for every layout cublas.py tells apart."""
    import graphc

    t = lambda x: graphc.transpose(x, 0, 1)  # noqa: E731
    bt = lambda x: graphc.transpose(x, 1, 2)  # noqa: E731
    return [
        ("C order", [(3, 4), (4, 5)], lambda a, b: graphc.matmul(a, b), lambda a, b: a @ b),
        ("a transposed", [(4, 3), (4, 5)], lambda a, b: graphc.matmul(t(a), b), lambda a, b: a.T @ b),
        ("b transposed", [(3, 4), (5, 4)], lambda a, b: graphc.matmul(a, t(b)), lambda a, b: a @ b.T),
        ("both transposed", [(4, 3), (5, 4)], lambda a, b: graphc.matmul(t(a), t(b)), lambda a, b: a.T @ b.T),
        ("vector @ matrix", [(4,), (4, 5)], lambda a, b: graphc.matmul(a, b), lambda a, b: a @ b),
        ("matrix @ vector", [(3, 4), (4,)], lambda a, b: graphc.matmul(a, b), lambda a, b: a @ b),
        ("vector @ vector", [(6,), (6,)], lambda a, b: graphc.matmul(a, b), lambda a, b: a @ b),
        ("batched", [(2, 3, 4), (2, 4, 5)], lambda a, b: graphc.matmul(a, b), lambda a, b: a @ b),
        ("b shared (stride 0)", [(3, 3, 4), (4, 5)], lambda a, b: graphc.matmul(a, b), lambda a, b: a @ b),
        ("a shared (stride 0)", [(3, 4), (2, 4, 5)], lambda a, b: graphc.matmul(a, b), lambda a, b: a @ b),
        ("broadcast batches", [(2, 1, 3, 4), (1, 3, 4, 2)], lambda a, b: graphc.matmul(a, b),
         lambda a, b: a @ b),
        ("batched, transposed", [(2, 4, 3), (2, 5, 4)], lambda a, b: graphc.matmul(bt(a), bt(b)),
         lambda a, b: np.swapaxes(a, 1, 2) @ np.swapaxes(b, 1, 2)),
        ("strided slices (copied)", [(6, 8), (8, 5)],
         lambda a, b: graphc.matmul(a[::2, ::2], b[::2]), lambda a, b: a[::2, ::2] @ b[::2]),
        ("outer product (k = 1)", [(5, 1), (1, 3)], lambda a, b: graphc.matmul(a, b), lambda a, b: a @ b),
        ("row times matrix (m = 1)", [(1, 4), (4, 3)], lambda a, b: graphc.matmul(a, b), lambda a, b: a @ b),
        ("empty inner dimension (k = 0)", [(3, 0), (0, 4)], lambda a, b: graphc.matmul(a, b),
         lambda a, b: a @ b),
    ]


def _matmul(dtype, rtol: float):
    import graphc
    from graphc.backends.cuda import cublas, runtime
    from graphc.backends.cuda.arrays import DeviceArray

    rng = np.random.default_rng(1)
    gdtype = graphc.dtypes.from_numpy(np.dtype(dtype))
    for label, shapes, build, want in _matmul_cases(dtype):
        a, b = (graphc.placeholder(v, s, gdtype) for v, s in zip("ab", shapes))
        f = graphc.function([a, b], [build(a, b)], backend="cuda", passes="")
        x, y = (rng.standard_normal(s).astype(dtype) for s in shapes)
        expected = want(x.astype(np.float64), y.astype(np.float64)).astype(dtype)
        (got,) = f(x, y)
        assert got.shape == expected.shape and got.dtype == expected.dtype, (label, got.shape, expected.shape)
        np.testing.assert_allclose(got.astype(np.float64), expected.astype(np.float64), rtol=rtol,
                                   atol=rtol, err_msg=label)
        # the same from device arrays (their views reach cuBLAS without host copies)
        dev = runtime.device(0)
        (on_device,) = f(DeviceArray.from_host(dev, x), DeviceArray.from_host(dev, y))
        np.testing.assert_array_equal(on_device.numpy(), got, err_msg=label)
    dev = runtime.device(0)
    assert FAKE.cublas_stream(cublas.handle(dev)) == int(dev.stream)  # cuBLAS works on graphc's stream


@scenario
def matmul_float32():
    _matmul(np.float32, 1e-5)


@scenario
def matmul_float64():
    _matmul(np.float64, 1e-12)


@scenario
def matmul_float16():
    _matmul(np.float16, 2e-3)


@scenario
def matmul_bfloat16():
    import graphc

    _matmul(graphc.bfloat16.numpy, 2e-2)


KERNEL_GRAPHS = ["corpus:fused_kernels", "corpus:reductions", "corpus:indexing_ops", "corpus:scans",
                 "corpus:mask_selection", "corpus:shape_ops", "corpus:linalg", "dtypes:3", "rows:0", "rows:2"]


@scenario
def kernels():
    """Fused, reduction, row and support kernels launch: every name exists in its module (the
    fake refuses others), configurations are sane, results have NumPy's shapes and dtypes.
    Kernels do not run here, so values are not checked."""
    import graphc
    from graphc.backends.cuda import runtime
    from graphc.backends.cuda.support import BLOCKS_PER_SM
    from graphc.shapes import data_dependent
    from tests.backends.cuda.graphs import all_graphs
    from tests.passes.corpus import random_inputs

    graphs = all_graphs()
    dev = runtime.device(0)
    names = set()
    x = graphc.placeholder("x", ("n",))
    split = graphc.function([x], [graphc.sum(x), graphc.exp(x) * 2], backend="cuda")  # a split reduction
    split(np.ones(1_000_000, np.float32))
    for name in KERNEL_GRAPHS:
        graph = graphs[name]
        args = random_inputs(graph, np.random.default_rng(0), {"n": 5, "m": 7, "k": 3, "batch": 2})
        f = graphc.function(list(graph.inputs), list(graph.outputs), backend="cuda")
        with np.errstate(all="ignore"):
            want = graphc.function(list(graph.inputs), list(graph.outputs), backend="numpy")(*args)
        got = f(*args)
        sizes = [[None if data_dependent((d,)) else d for d in o.shape] for o in graph.outputs]
        assert [(g.dtype, [d and s for d, s in zip(size, g.shape)]) for g, size in zip(got, sizes)] == \
            [(w.dtype, [d and s for d, s in zip(size, w.shape)]) for w, size in zip(want, sizes)], name
        names.update(spec.name for spec in (k.spec for k in f.executable.kernels.values()))
    launches = FAKE.launches()
    launched = {launch["name"] for launch in launches}
    for launch in launches:
        assert launch["stream"] == int(dev.stream), launch
        assert launch["block"][1:] == (1, 1) and launch["block"][0] % 32 == 0, launch
        assert launch["grid"][1:] == (1, 1) and launch["grid"][0] <= dev.sm_count * BLOCKS_PER_SM, launch
    assert {"k0_sum", "k0_sum_finish"} <= launched, launched
    assert launched & names and any(n.startswith("gc_") for n in launched), launched


@scenario
def status_flags():
    """A kernel's gc_status bit becomes NumPy's error, and is cleared for the next call."""
    import graphc
    from graphc.backends.cuda import runtime, support

    x = graphc.placeholder("x", (4,), graphc.int32)
    y = graphc.placeholder("y", (4,), graphc.int32)
    f = graphc.function([x, y], x ** y, backend="cuda")
    assert f.executable.flags_errors
    args = np.arange(4, dtype=np.int32), np.ones(4, np.int32)
    f(*args)
    for bit, (error, message) in runtime.STATUS_ERRORS.items():
        FAKE.set_status(bit)
        try:
            f(*args)
        except error as err:
            assert str(err) == message
        else:
            raise AssertionError(f"status {bit} raised nothing")
        result = f(*args)  # cleared: the next call runs
        assert result.shape == (4,)
    dev = runtime.device(0)
    assert f.executable._module(dev).read_status() == 0  # cleared when read
    # gather's index check reads the support module's word
    FAKE.set_status(0)
    i = graphc.placeholder("i", (2,), graphc.int64)
    g = graphc.function([x, i], graphc.gather(x, 0, i), backend="cuda")
    g(args[0], np.zeros(2, np.int64))
    FAKE.set_status(2)
    try:
        g(args[0], np.zeros(2, np.int64))
    except IndexError:
        pass
    else:
        raise AssertionError("gather did not read the support module's status")
    assert dev.module(support._compiled(dev.arch).cubin).read_status() == 0  # cleared when read


class Foreign:
    """Another library's GPU array, by the CUDA array interface."""

    def __init__(self, pointer: int, shape, dtype, stream: int | None):
        self.__cuda_array_interface__ = {"shape": shape, "typestr": np.dtype(dtype).str, "version": 3,
                                         "data": (pointer, False), "strides": None, "stream": stream}


@scenario
def streams_and_pointers():
    """Waiting on and signalling another stream (events), and which memory is the device's."""
    from cuda.bindings import driver as cu

    import graphc
    from graphc.backends.cuda import dlpack, runtime
    from graphc.backends.cuda.arrays import DeviceArray

    dev = runtime.device(0)
    err, other = cu.cuStreamCreate(0)
    assert int(err) == 0
    dev.wait_for(int(other))
    dev.signal(int(other))
    dev.wait_for(int(dev.stream))  # graphc's own stream: nothing to wait for
    data = np.arange(6, dtype=np.float32)
    array = DeviceArray.from_host(dev, data)
    assert runtime.pointer_device(array.pointer) == 0
    assert runtime.pointer_device(array.pointer + 8) == 0  # inside an allocation
    assert runtime.pointer_device(data.ctypes.data) is None  # host memory the driver does not know
    x = graphc.placeholder("x", (6,))
    f = graphc.function([x], x * 2, backend="cuda")
    out = f(Foreign(array.pointer, (6,), np.float32, int(other)))  # adopted: waits for `other`
    assert isinstance(out, DeviceArray) and out.shape == (6,)
    f(Foreign(array.pointer, (6,), np.float32, dlpack.LEGACY_STREAM))
    try:
        f(Foreign(data.ctypes.data, (6,), np.float32, None))
    except TypeError as err:
        assert "does not point to device memory" in str(err)
    else:
        raise AssertionError("host memory was taken for device memory")
    array.__dlpack__(stream=int(other))  # the consumer's stream waits for graphc's
    # another thread makes the context current before using the device (the fake checks)
    done = []
    worker = threading.Thread(target=lambda: done.append(f(np.ones(6, np.float32))))
    worker.start()
    worker.join()
    assert len(done) == 1 and done[0].shape == (6,)
    assert FAKE.live_allocations() > 0


@scenario
def driver_errors():
    """A failing driver call raises CudaError naming its status; the next call works."""
    import graphc
    from graphc.backends.cuda import runtime
    from graphc.backends.cuda.arrays import DeviceArray

    dev = runtime.device(0)
    x = graphc.placeholder("x", ("n",))
    f = graphc.function([x], graphc.exp(x) + 1, backend="cuda")
    for entry, code, name in [("cuMemAllocAsync", 2, "CUDA_ERROR_OUT_OF_MEMORY"),
                              ("cuLaunchKernel", 701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"),
                              ("cuMemcpyDtoHAsync", 700, "CUDA_ERROR_ILLEGAL_ADDRESS")]:
        FAKE.fail(entry, code)
        try:
            f(np.ones(3, np.float32))
        except runtime.CudaError as err:
            assert name in str(err), (entry, str(err))
        else:
            raise AssertionError(f"a failing {entry} raised nothing")
        result = f(np.ones(3, np.float32))
        assert result.shape == (3,)
    FAKE.fail("cuMemAllocAsync", 2)
    try:
        DeviceArray.from_host(dev, np.ones(3))
    except runtime.CudaError as err:
        assert "CUDA_ERROR_OUT_OF_MEMORY" in str(err)
    else:
        raise AssertionError("no CudaError")
    # a module the driver refuses is not kept: the next call loads it again
    y = graphc.placeholder("y", ("n",))
    g = graphc.function([y], graphc.sin(y) * 3, backend="cuda")
    FAKE.fail("cuModuleLoadData", 209)
    try:
        g(np.ones(3, np.float32))
    except runtime.CudaError as err:
        assert "CUDA_ERROR_NO_BINARY_FOR_GPU" in str(err)
    else:
        raise AssertionError("no CudaError")
    result = g(np.ones(3, np.float32))
    assert result.shape == (3,)


@scenario
def gpu_benchmark():
    """bench/gpu.py (what `make gpu-test` runs after the GPU tests) goes through, on small
    arrays: its workloads compile, run and are timed, and its targets are reported. (Kernels do
    not run on the fake, so the figures mean nothing; the peers need a real GPU and are skipped.)"""
    import contextlib
    import importlib.util
    import io

    path = Path(__file__).resolve().parents[4] / "bench" / "gpu.py"
    spec = importlib.util.spec_from_file_location("graphc_bench_gpu", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.N, bench.ROWS = 8192, (8, 1024)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert bench.main([]) == 0
    report = printed.getvalue()
    for name in ("W1", "W2", "softmax", "layer_norm"):
        assert f"\n{name}: " in report and "graphc cuda" in report, report
    assert "targets (docs/cuda.md):" in report and "W2 <= 1.5x W1" in report, report


def main(argv: list[str]) -> None:
    global FAKE
    sys.path.insert(0, str(Path(__file__).resolve().parents[4]))  # the repository, for `tests.`
    from tests.backends.cuda import fakegpu

    FAKE = fakegpu.install(Path(argv[0]))
    results = {}
    for name in argv[1:] or list(SCENARIOS):
        FAKE.reset()
        start = time.perf_counter()
        try:
            SCENARIOS[name]()
            gc.collect()  # frees run now, and must be right too
            assert not FAKE.problem(), f"the fake driver saw a misuse: {FAKE.problem()}"
            results[name] = None
        except BaseException:  # reported to the test, which fails with it
            results[name] = traceback.format_exc()
        print(f"{name}: {time.perf_counter() - start:.2f} s", file=sys.stderr)
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1:])
