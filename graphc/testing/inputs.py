"""Random input arrays: ordinary values, special values, and the memory layouts a caller may pass.

Values come in styles: "normal" (moderate floats, small ints), "special" (NaN, infinities, signed
zeros, the largest and smallest floats, integer extremes mixed in), "ints" (floats that are
whole numbers, where ties and exact zeros happen) and "smooth" (floats in [-1.5, 1.5] away from
zero, for gradient checks). A layout is how the same values are laid out in memory: "C",
"F" (Fortran order), "strided" (every other element of a larger buffer), "reversed" (negative
strides), "broadcast" (stride 0 along the first axis: every row equal) or "scalar" (a NumPy
scalar instead of a 0-d array).
"""

from __future__ import annotations

import numpy as np

LAYOUTS = ("C", "F", "strided", "reversed", "broadcast", "scalar")
STYLES = ("normal", "special", "ints", "smooth")

FLOAT_SPECIALS = (np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 1e-30, -1e-30, 1e30, -1e30)


def _float_specials(dtype: np.dtype) -> np.ndarray:
    info = np.finfo(dtype)
    extra = (info.max, -info.max, info.tiny, -info.tiny, info.smallest_subnormal, -info.smallest_subnormal,
             info.eps, 88.7, -103.9, 709.8, -745.2)
    with np.errstate(all="ignore"):
        return np.array(FLOAT_SPECIALS + extra, dtype=np.float64).astype(dtype)


def _int_specials(dtype: np.dtype) -> np.ndarray:
    info = np.iinfo(dtype)
    return np.array([info.min, info.max, info.min + 1, info.max - 1, -1, 0, 1, 2, -2], dtype=dtype)


def random_values(rng: np.random.Generator, dtype: str, shape: tuple[int, ...], style: str) -> np.ndarray:
    """A C-ordered array of `dtype` and `shape` in `style`."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return np.asarray(rng.random(shape) < 0.5)
    if dtype.kind in "iu":
        values = np.asarray(rng.integers(-6, 7, shape)).astype(dtype)
        if style == "special" and values.size:
            mask = rng.random(shape) < 0.3
            values[mask] = rng.choice(_int_specials(dtype), int(mask.sum()))
        return values
    if style == "smooth":
        magnitude = rng.uniform(0.2, 1.5, shape)
        return np.asarray(magnitude * rng.choice([-1.0, 1.0], shape)).astype(dtype)
    if style == "ints":
        return np.asarray(rng.integers(-3, 4, shape)).astype(dtype)
    values = np.asarray(rng.standard_normal(shape) * rng.choice([0.5, 2.0, 10.0])).astype(dtype)
    if style == "special" and values.size:
        mask = rng.random(shape) < 0.3
        values[mask] = rng.choice(_float_specials(dtype), int(mask.sum()))
    return values


def random_layout(rng: np.random.Generator, shape: tuple[int, ...]) -> str:
    """A layout that can hold an array of `shape` (broadcast needs a first axis to repeat)."""
    if not shape:
        return str(rng.choice(["C", "scalar"]))
    choices = ["C", "C", "strided", "reversed"]
    if len(shape) >= 2:
        choices.append("F")
    if shape[0] > 1:
        choices.append("broadcast")
    return str(rng.choice(choices))


def fit_layout(values: np.ndarray, layout: str) -> np.ndarray:
    """The values a layout can carry: "broadcast" repeats the first row."""
    if layout == "broadcast" and values.ndim and values.shape[0]:
        return np.array(np.broadcast_to(values[:1], values.shape))
    return values


def with_layout(values: np.ndarray, layout: str) -> np.ndarray:
    """`values` (C order) in `layout`; equal to `values` element by element."""
    if layout == "F":
        return np.asfortranarray(values)
    if layout == "strided" and values.ndim:
        buffer = np.zeros((values.shape[0] * 2, *values.shape[1:]), values.dtype)
        buffer[::2] = values
        return buffer[::2]
    if layout == "reversed" and values.ndim:
        return np.flip(np.array(np.flip(values)))
    if layout == "broadcast" and values.ndim and values.shape[0]:
        return np.broadcast_to(values[:1], values.shape)
    if layout == "scalar" and not values.ndim:
        return values[()]
    return np.array(values, order="C")
