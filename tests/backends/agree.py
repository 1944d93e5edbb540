"""The differential tests' helper: compile a graph on the NumPy backend and another, assert agreement.

What "agree" means lives in graphc.testing.tolerance, which the fuzzer shares (docs/fuzzing.md);
`assert_within` judges a result element by element as the fuzzer does, by graphc.testing.bounds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

import graphc
from graphc.testing import bounds
from graphc.testing.tolerance import all_nodes, assert_agree, precision

__all__ = ["all_nodes", "assert_agree", "assert_within", "compare_backends", "precision"]


def compare_backends(inputs: Sequence, outputs: Sequence, args: Sequence, compile_fn: Callable | None = None,
                     rtol: float | None = None, atol: float | None = None,
                     backend: str = "llvm") -> list[np.ndarray]:
    """Compile `outputs` of `inputs` on the NumPy backend and on `backend`, call both with
    `args`, assert they agree.

    Returns the NumPy backend's results. `compile_fn(inputs, outputs, backend)` defaults to
    `graphc.function`.
    """
    compile_fn = compile_fn or graphc.function
    reference = compile_fn(inputs, list(outputs), "numpy")
    tested = compile_fn(inputs, list(outputs), backend)
    with np.errstate(all="ignore"):
        want = reference(*args)
    got = tested(*args)
    level = precision(reference.graph)
    for k, (g, w) in enumerate(zip(got, want)):
        assert_agree(g, w, level, rtol, atol, what=f"output {k}")
    return want


def assert_within(got, want: bounds.Bounded, what: str = "result") -> None:
    """`got` has `want`'s dtype and shape, and each element is in the range `want` allows it
    (exact elements bit for bit, NaN included; wild ones anything)."""
    problem = bounds.check(got, want)
    assert problem is None, f"{what}: {problem}"
