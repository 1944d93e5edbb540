"""ns per element of backends.llvm.math against NumPy, per function and dtype (not a test).

Each function runs in the vector harness of tests/backends/llvm/harness.py (one `<lanes x T>`
vector per iteration at the host's vector width, scalar remainder), one thread, 10^6 elements
from a typical range of the function; NumPy runs its own loop on the same array.

    python bench/math_speed.py [NAME ...]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import scipy.special

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.backends.llvm.harness import host_lanes, kernel

N = 1_000_000
CACHED = 32768
NUMPY = {
    "exp": np.exp, "expm1": np.expm1, "log": np.log, "log1p": np.log1p, "sin": np.sin, "cos": np.cos,
    "tan": np.tan, "tanh": np.tanh, "erf": scipy.special.erf,
    "sqrt": np.sqrt, "pow": np.power, "atan2": np.arctan2,
}
RANGES = {
    "exp": (-20, 20), "expm1": (-5, 5), "log": (0.01, 100), "log1p": (-0.5, 10), "sin": (-100, 100),
    "cos": (-100, 100), "tan": (-100, 100), "tanh": (-5, 5), "sigmoid": (-20, 20), "erf": (-3, 3),
    "sqrt": (0, 100), "pow": (0.1, 10), "atan2": (-10, 10),
}


def _sigmoid(x, out):
    """NumPy's sigmoid: 1 / (1 + exp(-x)) in three passes."""
    np.negative(x, out=out)
    np.exp(out, out=out)
    np.add(out, 1, out=out)
    return np.reciprocal(out, out=out)


def _raw(kernel_call, args, out):
    """kernel_call's compiled loop on fixed arrays, without the harness's per-call checks."""
    ptrs = [out.ctypes.data, *(a.ctypes.data for a in args), out.size]
    return lambda *_, out: kernel_call.raw(*ptrs)


def best_ns(fn, args, out, repeat: int = 15) -> float:
    """Best of `repeat` timings of fn(*args, out=out), in ns per element (enough calls per timing
    to last about 10 ms)."""
    calls = max(1, 10**7 // args[0].size)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(calls):
            fn(*args, out=out)
        times.append((time.perf_counter() - start) / calls)
    return min(times) / args[0].size * 1e9


def main(names: list[str]) -> None:
    """Print the table for `names` (all functions when empty)."""
    rng = np.random.default_rng(0)
    print(f"ns/element, one thread; {N:.0e} elements, and {CACHED} elements (in cache); x: NumPy / ours")
    heads = ["ours", "numpy", "ours", "numpy", "1e6", "cache"]
    print(f"{'function':9} {'dtype':8}" + "".join(f" {h:>7}" for h in heads))
    for name in names or list(NUMPY):
        for dtype in (np.float32, np.float64):
            lo, hi = RANGES[name]
            args = [rng.uniform(lo, hi, N).astype(dtype)]
            if name == "pow":
                args.append(rng.uniform(-5, 5, N).astype(dtype))
            elif name == "atan2":
                args.append(rng.uniform(lo, hi, N).astype(dtype))
            ours = kernel(name, dtype, len(args), host_lanes(dtype))
            ref = NUMPY[name] if name != "sigmoid" else _sigmoid
            row = []
            for n in (N, CACHED):
                part, out = [a[:n] for a in args], np.empty(n, dtype)
                with np.errstate(all="ignore"):
                    row += [best_ns(_raw(ours, part, out), part, out), best_ns(ref, part, out)]
            print(f"{name:9} {np.dtype(dtype).name:8}" + "".join(f" {t:7.3f}" for t in row)
                  + f" {row[1] / row[0]:6.2f}x {row[3] / row[2]:6.2f}x", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
