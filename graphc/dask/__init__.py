"""graphc on Dask: compiled graphs over arrays larger than one machine (docs/dask.md).

`graphc.dask.compile(graphc.function(...))` takes Dask arrays and returns Dask arrays.
Fused kernels run on every block with the compiled LLVM code (one compiled kernel for all
block shapes), reductions become Dask tree reductions of graphc kernels, and matmul, views,
cat and pad become the matching dask.array operations. Needs `pip install graphc[dask]`.
"""

try:
    import dask.array as _dask_array
except ImportError as _err:  # pragma: no cover - depends on the environment
    raise ImportError("graphc.dask needs Dask: pip install 'graphc[dask]'"
                      " (dask[array] and distributed)") from _err

from graphc.dask.function import DaskFunction, compile
