"""How compile time grows with the graph: chains of N ops, with their gradient, and N
independent outputs, each built and compiled in a fresh process (so peak memory is its own).

Prints wall and CPU seconds (the CPU time is the steadier figure on a shared machine), the
peak resident memory, and the ratio of each time to the one at half the size: a compiler
linear in the graph shows about 2 per doubling.

    python bench/compile_scaling.py                       # chain, grad, outputs; N = 1k..100k
    python bench/compile_scaling.py grad --sizes 1000 2000 4000 --backend numpy
    python bench/compile_scaling.py reductions --sizes 10 40   # LLVM time per small kernel
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

CASES = ("chain", "grad", "outputs", "reductions")
DESCRIPTION = {"chain": "a chain of N ops", "grad": "a chain of N ops and its gradient",
               "outputs": "N independent outputs",
               "reductions": "N independent reductions sum(sin(x*k), 0), one kernel each"}
SIZES = (1000, 2000, 5000, 10000, 20000, 50000, 100000)
KERNEL_SIZES = (10, 40, 160)  # the reductions case: that many kernels

_CHILD = r"""
import json, os, resource, sys, time
os.environ["GRAPHC_CACHE"] = "off"  # compile, not load an earlier run's object code
import graphc

case, n, backend = sys.argv[1], int(sys.argv[2]), sys.argv[3]
wall, cpu = time.perf_counter(), time.process_time()
x = graphc.placeholder("x", shape=("n",))
if case == "outputs":
    outs = [graphc.sin(x * float(k + 1)) + float(k) for k in range(n)]
elif case == "reductions":
    m = graphc.placeholder("m", shape=("n", "k"))
    x, outs = m, [graphc.sum(graphc.sin(m * (k + 1.5)), 0) for k in range(n)]
else:
    y = x
    for k in range(n):
        y = graphc.sin(y) if k % 3 == 0 else (y * 1.01 if k % 3 == 1 else y + 0.5)
    outs = [y, graphc.grad(graphc.sum(y), x)] if case == "grad" else [y]
graphc.function([x], outs, backend=backend)
print(json.dumps({"from": graphc.__file__, "wall": time.perf_counter() - wall,
                  "cpu": time.process_time() - cpu,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(case: str, n: int, backend: str, timeout: float) -> dict | None:
    """Build and compile one graph in a child process; None if it ran past `timeout`."""
    # (a PYTHONPATH given runs that checkout's graphc: measure another version with it)
    path = os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), _root()]))
    env = {**os.environ, "PYTHONPATH": path}
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD, case, str(n), backend], env=env,
                              cwd=tempfile.gettempdir(),  # (not this checkout: PYTHONPATH picks)
                              capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return None
    except subprocess.CalledProcessError as err:
        raise SystemExit(f"{case} N={n} failed:\n{err.stderr}") from None
    return json.loads(done.stdout.strip().splitlines()[-1])


def _root() -> str:
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", default=list(CASES), choices=CASES)
    parser.add_argument("--sizes", nargs="+", type=int, help=f"default {SIZES}; reductions {KERNEL_SIZES}")
    parser.add_argument("--backend", default="llvm")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per graph")
    args = parser.parse_args(argv)
    print(f"backend={args.backend}; build + -O1 + compile, each N in a fresh process")
    for case in args.cases:
        print(f"\n{case}: {DESCRIPTION[case]}")
        print(f"  {'N':>7} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} {'cpu ms/N':>9}  cpu ratio per doubling")
        previous = None
        for n in args.sizes or (KERNEL_SIZES if case == "reductions" else SIZES):
            result = measure(case, n, args.backend, args.timeout)
            if result is None:
                print(f"  {n:>7} did not finish in {args.timeout:.0f} s")
                break
            if previous is None and case == args.cases[0]:
                print(f"  (graphc from {os.path.dirname(result['from'])})")
            ratio = ""
            if previous is not None and n > previous[0]:  # the growth, scaled to one doubling
                pn, pcpu = previous
                ratio = f"x{(result['cpu'] / max(pcpu, 1e-9)) ** (math.log(2) / math.log(n / pn)):.2f}"
            print(f"  {n:>7} {result['wall']:8.2f} {result['cpu']:8.2f} {result['rss_mb']:8.0f}"
                  f" {1e3 * result['cpu'] / n:9.2f}  {ratio}")
            previous = (n, result["cpu"])


if __name__ == "__main__":
    main()
