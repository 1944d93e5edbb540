"""PyTorch's tensor printing rules, applied to NumPy arrays.

Precision 4, summarise past 1000 elements with 3 edge items, 80-column lines;
floats switch to scientific notation when the ratio of the largest to the
smallest nonzero magnitude exceeds 1000, or the largest exceeds 1e8, or (for
non-integral values) the smallest is below 1e-4.
"""

from __future__ import annotations

import math

import numpy as np

PRECISION = 4
THRESHOLD = 1000
EDGEITEMS = 3
LINEWIDTH = 80


class _Formatter:
    """Chooses one width and notation for every element of a tensor."""

    def __init__(self, values: np.ndarray):
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(str(v)))
            return
        flat = flat.astype(np.float64)
        finite = flat[np.isfinite(flat) & (flat != 0)]
        if finite.size == 0:
            return
        magnitudes = np.abs(finite)
        lo, hi = float(magnitudes.min()), float(magnitudes.max())
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        if self.int_mode:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8
        else:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        for v in finite.tolist():
            if self.sci_mode:
                width = len(f"{v:.{PRECISION}e}")
            elif self.int_mode:
                width = len(f"{v:.0f}") + 1
            else:
                width = len(f"{v:.{PRECISION}f}")
            self.max_width = max(self.max_width, width)

    def format(self, value) -> str:
        if self.floating:
            value = float(value)
            if self.sci_mode:
                text = f"{value:{self.max_width}.{PRECISION}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    text += "."
            else:
                text = f"{value:.{PRECISION}f}"
        else:
            text = str(value)
        return " " * (self.max_width - len(text)) + text


def _summarized(values: np.ndarray) -> np.ndarray:
    """The edge items PyTorch formats when a tensor is summarised."""
    if values.ndim == 0:
        return values
    if values.shape[0] > 2 * EDGEITEMS:
        head, tail = values[:EDGEITEMS], values[-EDGEITEMS:]
        if values.ndim == 1:
            return np.concatenate((head, tail))
        return np.stack([_summarized(v) for v in (*head, *tail)])
    if values.ndim == 1:
        return values
    return np.stack([_summarized(v) for v in values])


def _vector(values: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    per_line = max(1, (LINEWIDTH - indent) // (fmt.max_width + 2))
    if summarize and values.shape[0] > 2 * EDGEITEMS:
        items = ([fmt.format(v) for v in values[:EDGEITEMS].tolist()] + [" ..."]
                 + [fmt.format(v) for v in values[-EDGEITEMS:].tolist()])
    else:
        items = [fmt.format(v) for v in values.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(values: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if values.ndim == 0:
        return fmt.format(values.item())
    if values.ndim == 1:
        return _vector(values, indent, summarize, fmt)
    n = values.shape[0]
    if summarize and n > 2 * EDGEITEMS:
        rows = ([_nested(values[i], indent + 1, summarize, fmt) for i in range(EDGEITEMS)] + ["..."]
                + [_nested(values[i], indent + 1, summarize, fmt) for i in range(n - EDGEITEMS, n)])
    else:
        rows = [_nested(values[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (values.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def format_values(values: np.ndarray, indent: int) -> str:
    """The bracketed body of a tensor's repr, aligned for a given indent."""
    if values.size == 0:
        return "[]"
    if values.dtype.itemsize == 2 and values.dtype.kind in "fV":  # float16, bfloat16
        values = values.astype(np.float32)
    summarize = values.size > THRESHOLD
    fmt = _Formatter(_summarized(values) if summarize else values)
    return _nested(values, indent, summarize, fmt)


def format_tensor(values: np.ndarray, dtype_name: str, suffixes: list[str],
                  default_dtype: bool, device: str = "cpu") -> str:
    """`tensor(...)` as PyTorch prints it, with `suffixes` like `requires_grad=True` (and, first,
    `device='cuda:0'` for a tensor on a GPU)."""
    prefix = "tensor("
    indent = len(prefix)
    extra = [] if device == "cpu" else [f"device='{device}'"]
    if values.size == 0:
        if values.ndim != 1:
            extra.append(f"size={tuple(values.shape)}")
        if dtype_name != "float32":
            extra.append(f"dtype=graphc.{dtype_name}")
    elif not default_dtype:
        extra.append(f"dtype=graphc.{dtype_name}")
    text = prefix + format_values(values, indent)
    parts = [text]
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in extra + suffixes:
        if last_line + len(suffix) + 2 > LINEWIDTH:
            parts.append(",\n" + " " * indent + suffix)
            last_line = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line += len(suffix) + 2
    return "".join(parts) + ")"
