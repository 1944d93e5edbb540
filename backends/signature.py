"""Validation of the arguments of a compiled call: count, dtype, shape, symbols."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType

import numpy as np

from graphc.dtypes import scalar_dtype
from graphc.graph import Graph
from graphc.node import Node
from graphc.shapes import format_shape

NO_SYMBOLS = MappingProxyType({})


class Signature:
    """What a compiled graph accepts; `bind(args)` returns arrays and symbol values.

    A backend whose arrays live elsewhere (the GPU) passes `adopt(k, value)`: it returns
    argument `k` as the backend's own array (with `shape`, `ndim` and `dtype`), whose dtype
    and shape are then checked like a NumPy array's, or None to convert it as usual.
    """

    def __init__(self, graph: Graph, adopt: Callable[[int, object], object | None] | None = None):
        self.adopt = adopt
        self.inputs = graph.inputs
        self.names = [n.attr("name") or f"input {k}" for k, n in enumerate(graph.inputs)]
        self.np_dtypes = [n.dtype.numpy for n in graph.inputs]
        # Bare symbols are bound at their first occurrence; other dims are checked.
        self.binders: dict[object, tuple[int, int]] = {}
        self.checks: list[tuple[int, int, object]] = []
        for k, node in enumerate(graph.inputs):
            for axis, dim in enumerate(node.shape):
                if not isinstance(dim, int) and dim.is_Symbol and dim not in self.binders:
                    self.binders[dim] = (k, axis)
                else:
                    self.checks.append((k, axis, dim))
        self.static = not self.binders
        # (no shortcut where `adopt` must see every argument)
        self.exact = [(n.dtype.numpy, n.shape) for n in graph.inputs] \
            if adopt is None and all(isinstance(d, int) for n in graph.inputs for d in n.shape) else None

    def bind(self, args: tuple) -> tuple[Sequence[np.ndarray], Mapping]:
        """Check and convert `args`; return the arrays and each symbol's value."""
        if self.exact is not None and len(args) == len(self.exact):
            for a, (dt, shape) in zip(args, self.exact):
                if type(a) is not np.ndarray or a.dtype != dt or a.shape != shape:
                    break
            else:
                return args, NO_SYMBOLS  # the common case: arrays of exactly the static types
        if len(args) != len(self.inputs):
            raise TypeError(f"expected {len(self.inputs)} arguments ({', '.join(self.names)}),"
                            f" got {len(args)}")
        arrays = [self._convert(k, a) for k, a in enumerate(args)]
        for k, array in enumerate(arrays):
            if array.ndim != self.inputs[k].ndim:
                self._shape_error(k, array)
        symbols = {sym: arrays[k].shape[axis] for sym, (k, axis) in self.binders.items()}
        for k, axis, dim in self.checks:
            if isinstance(dim, int):
                expected = dim
            elif dim in symbols:
                expected = symbols[dim]
            else:
                expected = dim.subs(symbols)
            if arrays[k].shape[axis] != expected:
                self._shape_error(k, arrays[k], symbols)
        return arrays, symbols

    def _convert(self, k: int, value) -> np.ndarray:
        want = self.np_dtypes[k]
        adopted = self.adopt(k, value) if self.adopt is not None else None
        if adopted is not None:
            if adopted.dtype != want:
                raise TypeError(f"argument {self.names[k]!r} must have dtype {want}, got {adopted.dtype}")
            return adopted
        if isinstance(value, np.ndarray):
            if value.dtype != want:
                raise TypeError(f"argument {self.names[k]!r} must have dtype {want}, got {value.dtype}")
            if type(value) is np.ndarray:
                return value
            # A subclass changes what indexing and arithmetic mean (np.matrix keeps two
            # dimensions, so x[0] broadcasts differently): compute on the plain array.
            if isinstance(value, np.ma.MaskedArray):
                raise TypeError(f"argument {self.names[k]!r} is a masked array, and graphc would"
                                " ignore its mask; pass .filled(value) or .data")
            return value.view(np.ndarray)
        tensor_node = getattr(value, "_node", None)
        if isinstance(tensor_node, Node):
            return self._convert(k, value.numpy())
        if isinstance(value, (bool, int, float, np.generic)):
            source = value.dtype if isinstance(value, np.generic) else scalar_dtype(value).numpy
            if not np.can_cast(source, want, "same_kind"):
                raise TypeError(f"argument {self.names[k]!r} must have dtype {want};"
                                f" cannot safely cast {value!r} to it")
            if want.kind in "iu" and not isinstance(value, (bool, np.bool_)):
                self._check_range(k, int(value), int(value), want)
            return np.asarray(value, dtype=want)
        if isinstance(value, (list, tuple)):
            try:
                array = np.asarray(value)
            except ValueError as err:
                raise ValueError(f"argument {self.names[k]!r}: {err}") from None
            if array.dtype.kind not in "biuf" or not np.can_cast(array.dtype, want, "same_kind"):
                raise TypeError(f"argument {self.names[k]!r} must have dtype {want};"
                                f" cannot safely cast a list of {array.dtype} to it")
            if want.kind in "iu" and array.dtype.kind in "iu" and array.size:
                self._check_range(k, int(array.min()), int(array.max()), want)
            return array.astype(want)
        raise TypeError(f"argument {self.names[k]!r} must be an array of {want},"
                        f" got {type(value).__name__}")

    def _check_range(self, k: int, low: int, high: int, want: np.dtype) -> None:
        """Refuse integers that `want` cannot hold, rather than letting them wrap around."""
        info = np.iinfo(want)
        if low < info.min or high > info.max:
            bad = low if low < info.min else high
            raise OverflowError(f"argument {self.names[k]!r}: value {bad} does not fit in {want}")

    def _shape_error(self, k: int, array: np.ndarray, symbols: dict | None = None):
        expected = format_shape(self.inputs[k].shape)
        bound = ""
        if symbols:
            bound = " with " + ", ".join(f"{s}={v}" for s, v in symbols.items())
        raise ValueError(f"argument {self.names[k]!r} must have shape {expected}{bound},"
                         f" got {list(array.shape)}")
