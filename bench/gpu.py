"""GPU benchmark: W1, W2 and W6 on 10^8 float32 elements, graphc's CUDA backend against CuPy,
PyTorch (eager and torch.compile) and JAX (jit) on the same card, with each workload's
effective bandwidth next to a device-to-device copy's (the floor for a streaming kernel).

    PYTHONPATH=. python3 bench/gpu.py          # `make gpu-test` runs it after the GPU tests
    PYTHONPATH=. python3 bench/gpu.py W1 W6    # some workloads

Inputs are on the GPU before timing starts and results stay there: the times are the
kernels', plus each library's launch overhead. Targets (docs/cuda.md): W1 and W6 at least 80%
of the copy's bandwidth, W2 at most 1.5x W1, graphc ahead of torch.compile.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import graphc
from graphc.backends.cuda import runtime
from graphc.backends.cuda.arrays import DeviceArray


def _load_cpu_bench():
    """bench/run.py, whose workload functions (f_graphc, row_function) this shares."""
    spec = importlib.util.spec_from_file_location("graphc_bench_run", Path(__file__).with_name("run.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CPU_BENCH = _load_cpu_bench()
f_graphc, row_function = CPU_BENCH.f_graphc, CPU_BENCH.row_function

N = 10**8
ROWS = (N // 1024, 1024)  # W6: 97,656 rows of 1024
BYTES = 8  # per element: each workload reads one float32 and writes one


def have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def gpu_time(run, synchronize, calls: int = 10, repeat: int = 5) -> float:
    """Median seconds per call of `run` over `repeat` batches of `calls`, the GPU drained before
    and after each batch."""
    run()
    synchronize()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(calls):
            run()
        synchronize()
        samples.append((time.perf_counter() - start) / calls)
    return statistics.median(samples)


def copy_time(device: runtime.Device) -> float:
    """A device-to-device copy of N float32: the bandwidth any streaming kernel is held to."""
    source = DeviceArray.empty(device, (N,), np.float32)
    target = DeviceArray.empty(device, (N,), np.float32)
    return gpu_time(lambda: runtime.copy(device, target.pointer, source.pointer, source.nbytes),
                    device.synchronize)


def graphc_rows(device: runtime.Device, workload: str, host: np.ndarray) -> list[tuple[str, float]]:
    shape = host.shape
    x = graphc.placeholder("x", shape)
    if workload == "W1":
        f = graphc.function([x], f_graphc(x), backend="cuda")
    elif workload == "W2":
        f = graphc.function([x], graphc.grad(graphc.sum(f_graphc(x)), x), backend="cuda")
    else:
        f = graphc.function([x], row_function(graphc, workload)(x), backend="cuda")
    on_gpu = DeviceArray.from_host(device, host)
    return [("graphc cuda", gpu_time(lambda: f(on_gpu), device.synchronize))]


def cupy_rows(workload: str, host: np.ndarray) -> list[tuple[str, float]]:
    if not have("cupy") or workload == "W2":  # CuPy has no autodiff
        return []
    import cupy

    x = cupy.asarray(host)
    if workload == "W1":
        def run():
            return cupy.sin(x) * cupy.cos(x) + cupy.exp(-x * x) * np.float32(0.5) + cupy.tanh(x)
    else:
        function = row_function(cupy, workload)

        def run():
            return function(x)
    return [("cupy", gpu_time(run, cupy.cuda.Device().synchronize))]


def torch_rows(workload: str, host: np.ndarray) -> list[tuple[str, float]]:
    if not have("torch"):
        return []
    import torch

    if not torch.cuda.is_available():
        return []
    forward = None if workload in ("W1", "W2") else row_function(torch, workload)
    return CPU_BENCH._torch_rows(host, workload == "W2", forward, "cuda",
                                 lambda run: gpu_time(run, torch.cuda.synchronize))


def jax_rows(workload: str, host: np.ndarray) -> list[tuple[str, float]]:
    if not have("jax"):
        return []
    import jax
    import jax.numpy as jnp

    if jax.default_backend() != "gpu":
        return []

    def f(t):
        return jnp.sin(t) * jnp.cos(t) + jnp.exp(-t * t) * 0.5 + jnp.tanh(t)

    if workload == "W1":
        fn = jax.jit(f)
    elif workload == "W2":
        fn = jax.jit(jax.grad(lambda t: f(t).sum()))
    else:
        fn = jax.jit(row_function(jnp, workload))
    x = jax.device_put(host)
    result = []

    def run():
        result[:] = [fn(x)]

    return [("jax.jit", gpu_time(run, lambda: result and result[0].block_until_ready()))]


def workload(device: runtime.Device, name: str, copy: float) -> dict[str, float]:
    rng = np.random.default_rng(0)
    host = rng.standard_normal(ROWS if name in ("softmax", "layer_norm") else N).astype(np.float32)
    rows = graphc_rows(device, name, host)
    rows += cupy_rows(name, host) + torch_rows(name, host) + jax_rows(name, host)
    print(f"\n{name}: {host.size:.0e} float32 ({'x'.join(map(str, host.shape))})")
    for label, seconds in rows:
        bandwidth = BYTES * host.size / seconds / 1e9
        share = copy / seconds * 100
        print(f"  {label:<16} {seconds * 1e3:9.3f} ms  {bandwidth:8.1f} GB/s  {share:5.1f}% of copy")
    return dict(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=["W1", "W2", "W6"])
    args = parser.parse_args(argv)
    if not runtime.is_available():
        print("bench/gpu.py: no CUDA GPU here; nothing to measure")
        return 1
    device = runtime.device(0)
    copy = copy_time(device)
    print(f"graphc {graphc.__version__} on {device.name} ({device.arch}, {device.sm_count} SMs);"
          f" device-to-device copy of {N:.0e} float32: {copy * 1e3:.3f} ms,"
          f" {BYTES * N / copy / 1e9:.1f} GB/s")
    names = [n for w in args.workloads for n in (["softmax", "layer_norm"] if w == "W6" else [w])]
    results = {name: workload(device, name, copy) for name in names}
    print("\ntargets (docs/cuda.md):")
    for name, times in results.items():
        ours = times["graphc cuda"]
        if name != "W2":
            _report(f"{name} at >= 80% of copy bandwidth", copy / ours >= 0.8, f"{copy / ours:.0%}")
        if "torch.compile" in times:
            _report(f"{name} ahead of torch.compile", ours <= times["torch.compile"],
                    f"{times['torch.compile'] / ours:.2f}x as fast")
    if "W1" in results and "W2" in results:
        ratio = results["W2"]["graphc cuda"] / results["W1"]["graphc cuda"]
        _report("W2 <= 1.5x W1", ratio <= 1.5, f"{ratio:.2f}x")
    return 0


def _report(target: str, met: bool, figure: str) -> None:
    print(f"  {'met ' if met else 'MISS'} {target}: {figure}")


if __name__ == "__main__":
    sys.exit(main())
