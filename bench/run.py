"""Side-by-side timings of graphc against NumPy and the peers a user would pick instead.

Every workload runs in this one process on the same inputs; medians are printed with
their ratio to NumPy, next to this machine's copy bandwidth as the physical reference.
Peers (numexpr, JAX, PyTorch) are used when installed: `pip install -e .[bench]`.

    python bench/run.py            # all workloads
    python bench/run.py W1 W3      # some of them
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import statistics
import sys
import time

import numpy as np

import graphc
from graphc.threads import set_num_threads


def median_time(fn, repeat: int = 7, min_time: float = 0.2) -> float:
    """Median seconds per call, calls batched so each sample lasts at least `min_time / repeat`."""
    fn()
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-9)
    number = max(1, int(min_time / repeat / once))
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def copy_bandwidth_time(nbytes: int) -> float:
    """Seconds to read and write `nbytes` once (a memcpy), the floor for a streaming kernel."""
    src = np.ones(nbytes // 4, np.float32)
    dst = np.empty_like(src)
    return median_time(lambda: np.copyto(dst, src))


def have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def f_graphc(x):
    return graphc.sin(x) * graphc.cos(x) + graphc.exp(-x * x) * 0.5 + graphc.tanh(x)


def f_numpy(x):
    return np.sin(x) * np.cos(x) + np.exp(-x * x) * np.float32(0.5) + np.tanh(x)


def compiled(backend: str, n, grad: bool = False):
    x = graphc.placeholder("x", shape=(n,))
    y = f_graphc(x)
    out = graphc.grad(graphc.sum(y), x) if grad else y
    return graphc.function([x], out, backend=backend)


def workload_elementwise(n: int, label: str, grad: bool) -> list[tuple[str, float]]:
    xs = np.random.default_rng(0).standard_normal(n).astype(np.float32)
    rows = []
    if grad:
        rows.append(("numpy (hand-written derivative)", median_time(
            lambda: (np.cos(xs) ** 2 - np.sin(xs) ** 2) - xs * np.exp(-xs * xs)
            + (1 - np.tanh(xs) ** 2))))
    else:
        rows.append(("numpy", median_time(lambda: f_numpy(xs))))
        if have("numexpr"):
            import numexpr

            expr = "sin(x)*cos(x) + exp(-x*x)*0.5 + tanh(x)"
            rows.append(("numexpr", median_time(lambda: numexpr.evaluate(expr, local_dict={"x": xs}))))
    for backend in ("numpy", "llvm"):
        f = compiled(backend, n, grad)
        rows.append((f"graphc {backend}", median_time(lambda f=f: f(xs))))
    if have("jax"):
        import jax
        import jax.numpy as jnp

        def jf(x):
            return jnp.sin(x) * jnp.cos(x) + jnp.exp(-x * x) * 0.5 + jnp.tanh(x)

        fn = jax.jit(jax.grad(lambda x: jf(x).sum())) if grad else jax.jit(jf)
        xj = jnp.asarray(xs)
        rows.append(("jax.jit", median_time(lambda: fn(xj).block_until_ready())))
    if have("torch"):
        rows += _torch_rows(xs, grad)
    return rows


def _torch_rows(xs: np.ndarray, grad: bool, forward=None, device: str = "cpu",
                timer=median_time) -> list[tuple[str, float]]:
    """torch eager and torch.compile of `forward` (default: W1's function) on `xs` (moved to
    `device`), or of its gradient, timed by `timer` (bench/gpu.py's synchronises the GPU)."""
    import torch

    def tf(x):
        return torch.sin(x) * torch.cos(x) + torch.exp(-x * x) * 0.5 + torch.tanh(x)

    forward = forward or tf
    xt = torch.from_numpy(xs).to(device)
    rows = []
    for label, fn in (("torch eager", forward), ("torch.compile", torch.compile(forward))):
        if grad:
            def step(fn=fn):
                x = xt.detach().requires_grad_(True)
                fn(x).sum().backward()
                return x.grad
        else:
            def step(fn=fn):
                with torch.no_grad():
                    return fn(xt)
        try:
            rows.append((label, timer(step)))
        except Exception as err:  # torch.compile needs a working C++ toolchain
            print(f"  ({label} skipped: {type(err).__name__}: {str(err).splitlines()[0][:80]})")
    return rows


def workload_mlp() -> list[tuple[str, float]]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 784)).astype(np.float32)
    t = rng.standard_normal((256, 10)).astype(np.float32)
    w1 = (rng.standard_normal((784, 256)) * 0.05).astype(np.float32)
    b1 = np.zeros(256, np.float32)
    w2 = (rng.standard_normal((256, 10)) * 0.05).astype(np.float32)
    b2 = np.zeros(10, np.float32)

    def numpy_step():
        h = x @ w1 + b1
        r = np.maximum(h, 0)
        y = r @ w2 + b2
        d = y - t
        loss = np.mean(d * d)
        gy = d * (2 / d.size)
        gw2 = r.T @ gy
        gb2 = gy.sum(0)
        gh = (gy @ w2.T) * (h > 0)
        return loss, x.T @ gh, gh.sum(0), gw2, gb2

    gh = np.maximum(x @ w1, 0)

    def largest_matmuls():  # x @ w1 and x.T @ gh: 97% of the step's FLOPs, in every tool
        return x @ w1, x.T @ gh

    rows = [("numpy (hand-written backprop)", median_time(numpy_step)),
            ("  its two 256x784x256 matmuls alone (floor)", median_time(largest_matmuls))]
    if have("torch"):
        import torch

        tx, tt = torch.from_numpy(x), torch.from_numpy(t)
        params = [torch.from_numpy(a.copy()).requires_grad_(True) for a in (w1, b1, w2, b2)]

        def torch_step():
            for p in params:
                p.grad = None
            y = torch.relu(tx @ params[0] + params[1]) @ params[2] + params[3]
            loss = ((y - tt) ** 2).mean()
            loss.backward()
            return loss

        rows.append(("torch eager", median_time(torch_step)))
    if have("jax"):
        import jax
        import jax.numpy as jnp

        def jloss(w1, b1, w2, b2, x, t):
            y = jnp.maximum(x @ w1 + b1, 0) @ w2 + b2
            return jnp.mean((y - t) ** 2)

        jstep = jax.jit(jax.value_and_grad(jloss, argnums=(0, 1, 2, 3)))
        args = [jnp.asarray(a) for a in (w1, b1, w2, b2, x, t)]
        rows.append(("jax.jit", median_time(lambda: jax.block_until_ready(jstep(*args)))))
    ph = {name: graphc.placeholder(name, shape=a.shape)
          for name, a in (("x", x), ("t", t), ("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2))}
    y = graphc.relu(ph["x"] @ ph["w1"] + ph["b1"]) @ ph["w2"] + ph["b2"]
    loss = graphc.mean((y - ph["t"]) ** 2)
    grads = graphc.grad(loss, [ph["w1"], ph["b1"], ph["w2"], ph["b2"]])
    for backend in ("numpy", "llvm"):
        f = graphc.function(list(ph.values()), [loss, *grads], backend=backend)
        rows.append((f"graphc {backend}", median_time(lambda f=f: f(x, t, w1, b1, w2, b2))))
    return rows


ROWS = (4096, 1024)  # W6: 16 MiB of float32, rows of 4 KiB


def row_function(lib, name: str):
    """Softmax or layer norm along the last axis, written with `lib` (numpy, graphc, jax.numpy, torch)."""
    torch_like = lib.__name__ == "torch"
    keep = {"keepdim": True} if torch_like else {"keepdims": True}

    def row_max(x):
        return x.amax(-1, **keep) if torch_like else lib.max(x, -1, **keep)

    def softmax(x):
        e = lib.exp(x - row_max(x))
        return e / lib.sum(e, -1, **keep)

    def layer_norm(x):
        centred = x - lib.mean(x, -1, **keep)
        return centred / lib.sqrt(lib.mean(centred * centred, -1, **keep) + 1e-5)

    return softmax if name == "softmax" else layer_norm


def row_peers(name: str, xs: np.ndarray, threads: int) -> dict:
    """torch.compile and jax.jit of W6 `name` on `xs`, each a no-argument callable (where
    installed); PyTorch on `threads` threads (JAX's threads are set by XLA_FLAGS at its start)."""
    peers = {}
    if have("torch"):
        import torch

        torch.set_num_threads(threads)
        compiled, xt = torch.compile(row_function(torch, name)), torch.from_numpy(xs)

        def torch_compiled():
            with torch.no_grad():
                return compiled(xt)
        peers["torch.compile"] = torch_compiled
    if have("jax"):
        import jax
        import jax.numpy as jnp

        jf, xj = jax.jit(row_function(jnp, name)), jnp.asarray(xs)
        peers["jax.jit"] = lambda: jf(xj).block_until_ready()
    return peers


def workload_rows(name: str) -> list[tuple[str, float]]:
    xs = np.random.default_rng(0).standard_normal(ROWS).astype(np.float32)
    rows = [("numpy", median_time(lambda: row_function(np, name)(xs)))]
    x = graphc.placeholder("x", shape=ROWS)
    for backend in ("numpy", "llvm"):
        f = graphc.function([x], row_function(graphc, name)(x), backend=backend)
        rows.append((f"graphc {backend}", median_time(lambda f=f: f(xs))))
    if have("jax"):
        import jax
        import jax.numpy as jnp

        fn, xj = jax.jit(row_function(jnp, name)), jnp.asarray(xs)
        rows.append(("jax.jit", median_time(lambda: fn(xj).block_until_ready())))
    if have("torch"):
        import torch

        rows += _torch_rows(xs, False, row_function(torch, name))
    return rows


def workload_compile(k: int) -> list[tuple[str, float]]:
    def build_and_compile(backend):
        x = graphc.placeholder("x", shape=("n",))
        y = x
        for i in range(k):
            y = graphc.sin(y) if i % 3 == 0 else (y * 1.01 if i % 3 == 1 else y + 0.5)
        g = graphc.grad(graphc.sum(y), x)
        graphc.function([x], [y, g], backend=backend)

    rows = []
    saved = os.environ.get("GRAPHC_CACHE")
    os.environ["GRAPHC_CACHE"] = "off"  # compile, not load last run's object code from disk
    try:
        for backend in ("numpy", "llvm"):
            start = time.perf_counter()
            build_and_compile(backend)
            rows.append((f"graphc {backend} (build + grad + -O1 + compile)", time.perf_counter() - start))
    finally:
        if saved is None:
            del os.environ["GRAPHC_CACHE"]
        else:
            os.environ["GRAPHC_CACHE"] = saved
    if have("jax"):
        import jax
        import jax.numpy as jnp

        def chain(x):
            for i in range(k):
                x = jnp.sin(x) if i % 3 == 0 else (x * 1.01 if i % 3 == 1 else x + 0.5)
            return x

        start = time.perf_counter()
        fn = jax.jit(lambda x: (chain(x), jax.grad(lambda v: chain(v).sum())(x)))
        jax.block_until_ready(fn(jnp.ones(8, jnp.float32)))
        rows.append(("jax.jit (trace + grad + compile)", time.perf_counter() - start))
    return rows


def print_table(title: str, rows: list[tuple[str, float]], unit: str = "ms", reference: float | None = None):
    scale = {"ms": 1e3, "us": 1e6, "s": 1.0}[unit]
    base = rows[0][1]
    print(f"\n{title}")
    for name, seconds in rows:
        print(f"  {name:<48} {seconds * scale:10.3f} {unit}   x{base / seconds:6.2f} vs {rows[0][0]}")
    if reference is not None:
        print(f"  {'copy bandwidth floor (memcpy of the input)':<48} {reference * scale:10.3f} {unit}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=["W1", "W2", "W3", "W4", "W5", "W6"])
    parser.add_argument("--threads", type=int, default=None, help="graphc threads (default: all)")
    args = parser.parse_args(argv)
    if args.threads:
        set_num_threads(args.threads)
    print(f"graphc {graphc.__version__}, numpy {np.__version__}, python {sys.version.split()[0]},"
          f" {platform.machine()}, {os.cpu_count()} cores, threads={args.threads or 'all'}")
    n = 10 ** 7
    if "W1" in args.workloads:
        print_table("W1 fused elementwise, 1e7 float32", workload_elementwise(n, "W1", False),
                    reference=copy_bandwidth_time(4 * n))
    if "W2" in args.workloads:
        print_table("W2 gradient of sum(f(x)), 1e7 float32", workload_elementwise(n, "W2", True))
    if "W3" in args.workloads:
        print_table("W3 the same function on 16 elements (per call)",
                    workload_elementwise(16, "W3", False), unit="us")
    if "W4" in args.workloads:
        print_table("W4 MLP training step (value and 4 gradients)", workload_mlp())
    if "W5" in args.workloads:
        for k in (100, 1000, 5000):
            print_table(f"W5 compile time, chain of K={k} ops", workload_compile(k), unit="s")
    if "W6" in args.workloads:
        for name in ("softmax", "layer_norm"):
            print_table(f"W6 {name} along rows, {ROWS[0]}x{ROWS[1]} float32", workload_rows(name),
                        reference=copy_bandwidth_time(4 * ROWS[0] * ROWS[1]))


if __name__ == "__main__":
    main()
