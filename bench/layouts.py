"""Memory layouts: graphc's LLVM backend against NumPy on operands that are not C-ordered.

Each case runs one small function over a 1024x1024 matrix laid out five ways: C order,
Fortran order, a transposed C array, every other column of a wider matrix, and columns
reversed. A ratio under 0.5 (graphc over twice NumPy's time) is marked: a layout the kernels
handle badly (docs/kernels.md, "An operand that is not in C order").

    python bench/layouts.py
    python bench/layouts.py --size 512 --dtypes float64
"""

from __future__ import annotations

import argparse

import numpy as np
from run import median_time  # bench/run.py (this script's folder is on the path)

import graphc


def seconds_per_call(fn) -> float:
    """bench/run.py's median time per call, after the calls in which graphc measures whether
    a layout's work is worth splitting over threads (docs/kernels.md)."""
    for _ in range(5):
        fn()
    return median_time(fn, repeat=5, min_time=0.25)


def layouts(matrix: np.ndarray) -> dict[str, np.ndarray]:
    return {"C": matrix, "Fortran": np.asfortranarray(matrix),
            "transposed": np.ascontiguousarray(matrix.T).T,
            "every other column": np.repeat(matrix, 2, axis=1)[:, ::2], "reversed": matrix[:, ::-1]}


def softmax(a: np.ndarray) -> np.ndarray:
    e = np.exp(a - a.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


CASES = {  # name: (graphc function of x, the NumPy function, floats only)
    "x + 1": (lambda x: x + 1, lambda a: a + 1, False),
    "exp(x) * x + 1": (lambda x: graphc.exp(x) * x + 1, lambda a: np.exp(a) * a + 1, True),
    "sum(x, 0)": (lambda x: graphc.sum(x, 0), lambda a: a.sum(0), False),
    "sum(x, 1)": (lambda x: graphc.sum(x, 1), lambda a: a.sum(1), False),
    "max(x, 1)": (lambda x: graphc.max(x, 1), lambda a: a.max(1), False),
    "sum(x)": (lambda x: graphc.sum(x), lambda a: a.sum(), False),
    "softmax(x, 1)": (lambda x: graphc.softmax(x, 1), softmax, True),
}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--dtypes", nargs="*", default=["float32", "float64", "int32"])
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    print(f"{args.size}x{args.size}; time per call; ratio = NumPy's time / graphc's (> 1: graphc faster)")
    for name in args.dtypes:
        dtype = np.dtype(name)
        matrix = (rng.integers(-100, 100, (args.size, args.size)) if dtype.kind == "i"
                  else rng.uniform(-2, 2, (args.size, args.size))).astype(dtype)
        x = graphc.placeholder("x", ("m", "k"), graphc.dtypes.as_dtype(dtype))
        for case, (build, reference, floats_only) in CASES.items():
            if floats_only and dtype.kind != "f":
                continue
            f = graphc.function([x], build(x), backend="llvm")
            for layout, value in layouts(matrix).items():
                ours = seconds_per_call(lambda f=f, value=value: f(value))
                theirs = seconds_per_call(lambda ref=reference, value=value: ref(value))
                mark = "  <- under half NumPy's speed" if theirs / ours < 0.5 else ""
                print(f"  {name:8} {case:15} {layout:19} graphc {ours * 1e6:8.0f} us"
                      f"   numpy {theirs * 1e6:8.0f} us   x{theirs / ours:5.2f}{mark}", flush=True)


if __name__ == "__main__":
    main()
