"""How many threads compiled code may use: `graphc.set_num_threads(n)` or GRAPHC_NUM_THREADS;
and the process's shared pools of worker threads."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

_override: int | None = None


def set_num_threads(n: int | None) -> None:
    """Use `n` threads for compiled kernels (None: back to GRAPHC_NUM_THREADS or all cores)."""
    global _override
    if n is not None and (not isinstance(n, int) or n < 1):
        raise ValueError(f"the number of threads must be a positive int, got {n!r}")
    _override = n


def get_num_threads() -> int:
    """The thread count in force, read at call time (never frozen at import)."""
    if _override is not None:
        return _override
    value = os.environ.get("GRAPHC_NUM_THREADS")
    if value:
        try:
            n = int(value)
        except ValueError:
            raise ValueError(f"GRAPHC_NUM_THREADS must be a positive int, got {value!r}") from None
        if n >= 1:
            return n
        raise ValueError(f"GRAPHC_NUM_THREADS must be a positive int, got {value!r}")
    return os.cpu_count() or 1


_pools: dict[str, tuple[ThreadPoolExecutor, int]] = {}
_pools_lock = threading.Lock()


def shared_pool(name: str, workers: int) -> ThreadPoolExecutor:
    """The process's pool `name` ("kernels", "compile"), with at least `workers` threads.

    A larger need replaces it with a larger pool. The old one is dropped, not shut down: a
    thread that took it a moment ago may still be submitting work to it, which must run (its
    threads end once nothing refers to it).
    """
    with _pools_lock:
        pool, size = _pools.get(name, (None, 0))
        if pool is None or size < workers:
            pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"graphc-{name}")
            _pools[name] = (pool, workers)
        return pool


def _forget_pools() -> None:
    """In a forked child: its parent's worker threads do not exist there (work queued on the
    inherited pools would wait forever), nor does any thread that held the lock."""
    global _pools_lock
    _pools.clear()
    _pools_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_pools)
