"""Worker tasks for tests/fuzz/test_worker.py: the fuzzer's own, except that one seed kills the worker."""

from __future__ import annotations

import os
import time

from graphc.testing import tasks

FATAL_SEED = 2  # of the run's graphs cases, counted from 0


def run_seed(kind: str, seed: int) -> tasks.Report:
    if seed % 1_000_000 == FATAL_SEED:
        os.abort()
    return tasks.run_seed(kind, seed)


def sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds
