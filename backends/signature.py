"""Validation of the arguments of a compiled call: count, dtype, shape, symbols."""

from __future__ import annotations

import linecache
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

    def entry(self, run: Callable[..., tuple], label: str = "entry") -> Callable[..., tuple]:
        """`run` behind this signature's checks, as one generated function: arrays of exactly
        the inputs' static dtypes and shapes go straight to `run` (no loop, no `bind` call:
        at 16 elements the checks cost as much as the work); anything else goes through
        `bind`, which converts or refuses it."""
        if self.exact is None or not self.exact:
            def checked(*args):
                return run(*self.bind(args)[0])
            return checked
        names = [f"a{k}" for k in range(len(self.exact))]
        tests = " and ".join(f"type({a}) is ndarray and {a}.dtype is dtype_{k} and {a}.shape == shape_{k}"
                             for k, a in enumerate(names))
        source = (f"def graphc_{label}(*args):\n"
                  f"    if len(args) == {len(names)}:\n"
                  f"        {', '.join(names)}, = args\n"
                  f"        if {tests}:\n"
                  f"            return run({', '.join(names)})\n"
                  f"    return run(*bind(args)[0])\n")
        namespace = {"ndarray": np.ndarray, "run": run, "bind": self.bind}
        for k, (dtype, shape) in enumerate(self.exact):
            namespace[f"dtype_{k}"], namespace[f"shape_{k}"] = np.dtype(dtype), tuple(shape)
        filename = f"<graphc-{label}-{id(self):x}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        exec(compile(source, filename, "exec"), namespace)  # our own generated code
        return namespace[f"graphc_{label}"]

    def _convert(self, k: int, value) -> np.ndarray:
        want = self.np_dtypes[k]
        adopted = self.adopt(k, value) if self.adopt is not None else None
        if adopted is not None:
            if adopted.dtype != want:
                raise TypeError(f"argument {self.names[k]!r} must have dtype {want}, got {adopted.dtype}")
            return adopted
        if isinstance(value, np.ndarray):
            if value.dtype != want:
                raise TypeError(f"argument {self.names[k]!r} must have dtype {want}, got {value.dtype}"
                                + cast_hint(value.dtype, want))
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
        check_range(repr(self.names[k]), low, high, want)

    def _shape_error(self, k: int, array: np.ndarray, symbols: dict | None = None):
        expected = format_shape(self.inputs[k].shape)
        bound = ""
        if symbols:
            bound = " with " + ", ".join(f"{s}={v}" for s, v in symbols.items())
        raise ValueError(f"argument {self.names[k]!r} must have shape {expected}{bound},"
                         f" got {list(array.shape)}")


def check_range(label: str, low: int, high: int, want: np.dtype) -> None:
    """Refuse integers that `want` cannot hold, rather than letting them wrap around."""
    info = np.iinfo(want)
    if low < info.min or high > info.max:
        bad = low if low < info.min else high
        raise OverflowError(f"argument {label}: value {bad} does not fit in {want}")


def cast_hint(given: np.dtype, want: np.dtype) -> str:
    """The end of a dtype error: where `given` converts to `want` within its kind, say how."""
    if np.can_cast(given, want, "same_kind"):
        return " (graphc.function(..., cast=True) converts such arguments)"
    return ""


class CallArguments:
    """The slow path of a compiled call: arguments by keyword and same-kind casts.

    A call with positional arrays only, to a function compiled without `cast`, never comes
    here (`Function.__call__` passes them straight to the backend). `arrange(args, kwargs)`
    returns the positional tuple the backend's `Signature` then checks.
    """

    def __init__(self, graph: Graph, cast: bool = False):
        self.cast = cast
        self.names = [n.attr("name") for n in graph.inputs]
        self.np_dtypes = [n.dtype.numpy for n in graph.inputs]
        positions: dict[str, list[int]] = {}
        for k, name in enumerate(self.names):
            if name is not None:
                positions.setdefault(name, []).append(k)
        self.positions = {name: ks[0] for name, ks in positions.items() if len(ks) == 1}
        self.shared = {name: ks for name, ks in positions.items() if len(ks) > 1}

    def arrange(self, args: tuple, kwargs: Mapping) -> tuple:
        """`args` then `kwargs` by input name, in input order; TypeError naming what is wrong."""
        if kwargs:
            args = self._by_keyword(args, kwargs)
        if self.cast:
            args = tuple(self._cast(k, a) for k, a in enumerate(args))
        return args

    def _label(self, k: int) -> str:
        return repr(self.names[k]) if self.names[k] is not None else f"input {k} (unnamed)"

    def _by_keyword(self, args: tuple, kwargs: Mapping) -> tuple:
        count = len(self.names)
        if len(args) > count:
            raise TypeError(f"expected {count} arguments, got {len(args)} positional"
                            f" and {len(kwargs)} by keyword")
        for name in kwargs:
            if name in self.shared:
                inputs = ", ".join(str(k) for k in self.shared[name])
                raise TypeError(f"inputs {inputs} are all named {name!r}, so {name!r} cannot be"
                                " passed by keyword; pass them by position")
        unknown = [name for name in kwargs if name not in self.positions]
        if unknown:
            known = ", ".join(repr(n) for n in self.positions) or "none"
            raise TypeError(f"unexpected keyword argument(s) {', '.join(map(repr, unknown))};"
                            f" the inputs by name are {known}")
        arranged = list(args) + [_MISSING] * (count - len(args))
        twice = [name for name in kwargs if self.positions[name] < len(args)]
        if twice:
            raise TypeError(f"argument(s) {', '.join(map(repr, twice))} given both by position"
                            " and by keyword")
        for name, value in kwargs.items():
            arranged[self.positions[name]] = value
        missing = [self._label(k) for k, value in enumerate(arranged) if value is _MISSING]
        if missing:
            raise TypeError(f"missing argument(s) {', '.join(missing)}")
        return tuple(arranged)

    def _cast(self, k: int, value):
        """`value` as the input's dtype where NumPy's same-kind rule allows (float64 to
        float32, int64 to int32 when the values fit); anything else unchanged, for `Signature`
        to accept or refuse."""
        want = self.np_dtypes[k]
        if isinstance(getattr(value, "_node", None), Node) and value.dtype.numpy != want:
            value = value.numpy()
        if not isinstance(value, np.ndarray) or value.dtype == want \
                or not np.can_cast(value.dtype, want, "same_kind"):
            return value
        if want.kind in "iu" and value.dtype.kind in "iu" and value.size:
            check_range(self._label(k), int(value.min()), int(value.max()), want)
        return value.astype(want)


_MISSING = object()
