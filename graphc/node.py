"""The IR node: immutable, hash-consed, and aware of where the user built it."""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import os
import sys
import weakref
from _weakref import _remove_dead_weakref  # (what WeakValueDictionary uses)
from collections.abc import Iterator
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from graphc.dtypes import DType
from graphc.scopes import current_scope
from graphc.shapes import Shape, format_shape


@dataclass(frozen=True, slots=True)
class TensorType:
    """What a node produces: an element type and a (possibly symbolic) shape."""

    dtype: DType
    shape: Shape

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def parts(self) -> tuple[TensorType, ...]:
        return (self,)

    def __str__(self) -> str:
        return self.dtype.short + format_shape(self.shape)


@dataclass(frozen=True, slots=True)
class TupleType:
    """What a multi-output kernel produces: one tensor per output, read with `result`."""

    parts: tuple[TensorType, ...]

    def __str__(self) -> str:
        return "(" + ", ".join(map(str, self.parts)) + ")"


class Ref:
    """Wraps an unhashable attribute value (an array) so it compares by identity."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value

    def __repr__(self) -> str:
        return f"Ref({type(self.value).__name__})"


class Location(str):
    """Where a node was built: `file:line` as a string, and the `scope` it was built in.

    Like MLIR's name locations, the scope travels with the location: passes build a node's
    replacement with the node's location, so the replacement keeps the scope too. The same
    Location object marks every node built as a replacement of one node (the viz pass
    timeline uses that to tell rewritten nodes from added ones).
    """

    __slots__ = ("scope",)
    scope: str

    def __new__(cls, where: str, scope: str = "") -> Location:
        location = super().__new__(cls, where)
        object.__setattr__(location, "scope", scope)
        return location

    def __setattr__(self, name, value):
        raise AttributeError("a Location is immutable")

    def __reduce__(self):
        return Location, (str(self), self.scope)


_SKIPPED_FILES = (contextlib.__file__,)  # `with checking(...)` exits through contextlib
_PACKAGE_DIRS = tuple(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep + pkg + os.sep
    for pkg in ("graphc", "passes", "backends")
)


def user_location() -> str:
    """`file:line` of the innermost stack frame outside graphc's own packages."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_PACKAGE_DIRS) and filename not in _SKIPPED_FILES:
            return f"{filename}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"


_ONE_LOCATION: contextvars.ContextVar[Location | None] = contextvars.ContextVar(
    "graphc_one_location", default=None)


@contextlib.contextmanager
def at_callers_line() -> Iterator[None]:
    """Nodes built inside, without a location of their own, get the line of the user's code
    that entered: for a builder that makes thousands of nodes from one call (`from_sympy`),
    which would otherwise walk the stack for each."""
    token = _ONE_LOCATION.set(Location(user_location(), current_scope()))
    try:
        yield
    finally:
        _ONE_LOCATION.reset(token)


class Node:
    """One operation in a graph: `(op, inputs, attrs, type)`.

    Nodes are immutable and hash-consed: building a node equal to a live one
    returns that node, so equality is identity. Leaves that carry identity
    (placeholders, parameters, array constants) get a unique `uid` and are never
    merged. `attrs` is a tuple of `(name, value)` pairs sorted by name.
    """

    __slots__ = (
        "__weakref__",
        "attrs",
        "depends_on_placeholder",
        "inputs",
        "location",
        "op",
        "reads_parameter",
        "type",
        "uid",
    )

    op: str
    inputs: tuple[Node, ...]
    attrs: tuple[tuple[str, Any], ...]
    type: TensorType | TupleType
    uid: int  # 0 for structural nodes, unique for identity-carrying leaves
    location: Location
    depends_on_placeholder: bool
    reads_parameter: bool  # depends on a leaf whose array the user may change

    def __setattr__(self, name, value):
        raise AttributeError("graphc nodes are immutable")

    # A one-output node's element type, shape and rank, read from its TensorType (a
    # multi-output kernel's TupleType has none of them: its `parts` have them).
    dtype = property(attrgetter("type.dtype"))
    shape = property(attrgetter("type.shape"))
    ndim = property(attrgetter("type.ndim"))

    @property
    def scope(self) -> str:
        """The `graphc.scope` path the node was built in ("" for none)."""
        return self.location.scope

    def attr(self, name: str, default: Any = None) -> Any:
        for key, value in self.attrs:
            if key == name:
                return value
        return default

    @property
    def attr_dict(self) -> dict[str, Any]:
        return dict(self.attrs)

    def __repr__(self) -> str:
        args = ", ".join(f"<{i.op}>" for i in self.inputs)
        attrs = ", ".join(f"{k}={v!r}" for k, v in self.attrs)
        inner = ", ".join(p for p in (args, attrs) if p)
        return f"Node({self.op}({inner}) : {self.type})"


def _exact(value):
    """A key that tells apart values Python calls equal: 0.0 and -0.0, 1 and 1.0, NaNs."""
    if isinstance(value, float):
        return ("f", value.hex())
    if isinstance(value, tuple):
        return tuple([_exact(v) for v in value])
    if isinstance(value, (bool, int)):
        return (type(value).__name__, value)
    return value


class _Ref(weakref.ref):
    """A weak reference to an interned node that knows its key (weakref.KeyedRef without its
    Python-level constructor, which cost a third of a microsecond per node)."""

    __slots__ = ("key",)


# The interning table: key -> weak reference to the live node (a WeakValueDictionary without
# its Python-level wrapper, which cost a fifth of interning; the reference removes its own
# entry, and only its own, when the node dies).
_INTERNED: dict[tuple, _Ref] = {}
_UIDS = itertools.count(1)
_set = object.__setattr__


def _forget(ref: _Ref) -> None:
    """Called when an interned node dies: drop its entry (unless a new node has taken it)."""
    if _INTERNED is not None:  # (None while the interpreter shuts down)
        _remove_dead_weakref(_INTERNED, ref.key)


def _lookup(key: tuple) -> Node | None:
    """The live node interned under `key`, if any."""
    ref = _INTERNED.get(key)
    return None if ref is None else ref()


def intern(op: str, inputs: tuple[Node, ...], attrs: tuple, type_: TensorType | TupleType | None,
           infer, *, identity: bool = False, location: str | None = None) -> Node:
    """Return the unique node for `(op, inputs, attrs)`, creating it if needed.

    `infer()` computes the node's type on a miss (and raises on bad input); it is
    not called when an equal node already exists. With `identity=True` the node
    is a fresh leaf that no other node equals. A new node gets `location` (a Location
    keeps its scope; a plain string, or none for the user's line, gets the current scope).
    """
    key = None
    if not identity:
        key = (op, inputs, _exact(attrs) if attrs else (), type_)
        node = _lookup(key)
        if node is not None:
            return node
    node = object.__new__(Node)
    _set(node, "op", op)
    _set(node, "inputs", inputs)
    _set(node, "attrs", attrs)
    _set(node, "type", type_ if type_ is not None else infer())
    _set(node, "uid", next(_UIDS) if identity else 0)
    if location and not isinstance(location, Location):
        location = Location(location, current_scope())
    elif not location:
        location = _ONE_LOCATION.get() or Location(user_location(), current_scope())
    _set(node, "location", location)
    placeholder, parameter = op == "placeholder", op == "parameter"
    for i in inputs:  # (a loop: any() over a generator costs more on one or two inputs)
        placeholder = placeholder or i.depends_on_placeholder
        parameter = parameter or i.reads_parameter
    _set(node, "depends_on_placeholder", placeholder)
    _set(node, "reads_parameter", parameter)
    if key is not None:
        ref = _INTERNED[key] = _Ref(node, _forget)
        ref.key = key
    return node
