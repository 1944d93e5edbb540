"""The indexing primitives on NumPy arrays (`gather`, `scatter`, `argsort`, `setitem`,
`nonzero`): the
NumPy backend's runtime and graphc.dask's blocks both call these."""

from __future__ import annotations

import numpy as np


def normalized_indices(index: np.ndarray, size: int, op: str, dim: int) -> np.ndarray:
    """`index` with negative entries counted back from `size`; IndexError for any outside."""
    bad = (index < -size) | (index >= size)
    if bad.any():
        raise IndexError(f"{op}: index {int(index[bad].flat[0])} is out of bounds for dimension"
                         f" {dim} with size {size}")
    return np.where(index < 0, index + size, index).astype(np.intp)


def gather(x: np.ndarray, index: np.ndarray, dim: int) -> np.ndarray:
    """torch.gather: out[..., j, ...] = x[..., index[..., j, ...], ...] along `dim`."""
    if x.ndim == 0:
        return gather(x[None], index[None], 0)[0]
    index = normalized_indices(index, x.shape[dim], "gather", dim)
    region = x[tuple(slice(None) if d == dim else slice(0, n) for d, n in enumerate(index.shape))]
    return np.take_along_axis(region, index, axis=dim)


def scatter(base: np.ndarray, index: np.ndarray, src: np.ndarray, dim: int, accumulate: bool) -> np.ndarray:
    """torch.scatter / scatter_add as a new array: src written (or added) at `index` along
    `dim`; of several writes to one place the last wins, additions happen in order."""
    out = np.array(base, copy=True)
    if out.ndim == 0:
        out = out[None]
        index, src = index[None], src[None]
    coords = list(np.indices(index.shape, sparse=True))
    coords[dim] = normalized_indices(index, out.shape[dim], "scatter", dim)
    if accumulate:
        np.add.at(out, tuple(coords), src)
    else:
        out[tuple(coords)] = src
    return out.reshape(np.shape(base))


def argsort(x: np.ndarray, dim: int, descending: bool) -> np.ndarray:
    """Stable argsort along `dim` (NaN last); descending keeps equal elements in order."""
    if x.ndim == 0:
        return np.zeros((), np.int64)
    if not descending:
        return np.argsort(x, axis=dim, kind="stable").astype(np.int64)
    reverse = np.argsort(np.flip(x, dim), axis=dim, kind="stable")
    return np.flip(x.shape[dim] - 1 - reverse, dim).astype(np.int64)


def setitem(base: np.ndarray, value: np.ndarray, index: tuple) -> np.ndarray:
    """A copy of `base` with `base[index]` replaced by `value` (broadcast)."""
    out = np.array(base, copy=True)
    out[index] = value
    return out


def nonzero(mask: np.ndarray) -> np.ndarray:
    """The positions of the true elements, int64 [count, ndim], in row-major order."""
    return np.argwhere(mask).astype(np.int64, copy=False).reshape(-1, mask.ndim)
