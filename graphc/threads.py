"""How many threads compiled code may use: `graphc.set_num_threads(n)` or GRAPHC_NUM_THREADS."""

from __future__ import annotations

import os

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
