"""Indexing beyond basic slices, composed of four primitives (`setitem`, `gather`, `scatter`,
`argsort`): integer-array and boolean-mask indexing as NumPy does it, functional index
assignment (`index_put`, `Tensor.__setitem__`), torch's gather/scatter family, and
sort/argsort/topk.

An integer array index (or several, broadcast together) becomes a chain of `gather`s along
the indexed axes, and assigning through one becomes a `scatter` into the flattened axes, so
gradients come from those two ops' rules. A boolean mask selects a number of elements that
only its values decide: an eager mask becomes the integer arrays of its true positions; a
symbolic one becomes the columns of a `nonzero`, whose count is a data-dependent size (a
symbol such as `nz0` that the node binds when it runs). Assignment through any mask is a
`where` (docs/indexing.md).
"""

from __future__ import annotations

import builtins
import weakref
from collections import namedtuple

import numpy as np

from graphc import dtypes
from graphc import functional as F
from graphc.functional import TensorLike, _node, _tensor, _wrap
from graphc.node import Node, user_location
from graphc.ops import build_error, checking, make
from graphc.shapes import broadcast_shapes, dims_equal, format_shape, fresh_size, normalize_axis, numel
from graphc.tensor import Tensor, composed_as, shown_as

sort_result = namedtuple("sort", ["values", "indices"])
topk_result = namedtuple("topk", ["values", "indices"])

FULL = slice(None)
_FAR_OUT = -(2**62)  # an index outside any dimension: scatter reports it


# ------------------------------------------------------------------------ primitives

def gather(x: TensorLike, dim: int, index: TensorLike) -> Tensor:
    """torch.gather: `out[i][j] = x[i][index[i][j]]` for dim=1; negative indices count back."""
    node, idx = _node(x), _node(index)
    with checking("gather", node.type, idx.type):
        dim = normalize_axis(dim, builtins.max(node.ndim, 1), "dim")
    return _wrap(make("gather", (node, idx), dim=dim), x)


def _scatter(x: TensorLike, dim: int, index: TensorLike, src, accumulate: bool) -> Tensor:
    node, idx = _node(x), _node(index)
    src = F._scalar_node(src, node.dtype) if isinstance(src, (bool, int, float, np.generic)) \
        else F._cast_node(_node(src), node.dtype)
    with checking("scatter_add" if accumulate else "scatter", node.type, idx.type, src.type):
        dim = normalize_axis(dim, builtins.max(node.ndim, 1), "dim")
        if src.ndim == 0:  # torch's `value=`: one value for every index
            src = make("broadcast_to", (src,), shape=idx.shape)
        elif src.ndim == idx.ndim and builtins.any(dims_equal(a, b) is not True
                                                   for a, b in zip(src.shape, idx.shape)):
            src = make("getitem", (src,), index=tuple((0, d, None) for d in idx.shape))
    return _wrap(make("scatter", (node, idx, src), dim=dim, accumulate=accumulate), x, Tensor(src))


def scatter(x: TensorLike, dim: int, index: TensorLike, src) -> Tensor:
    """torch.scatter as a new tensor: `src` (a tensor or one value) written at `index` along
    `dim`; where an index repeats, the last write wins."""
    return _scatter(x, dim, index, src, False)


def scatter_add(x: TensorLike, dim: int, index: TensorLike, src) -> Tensor:
    """torch.scatter_add as a new tensor: `src` added at `index` along `dim`, repeats summed."""
    return _scatter(x, dim, index, src, True)


def argsort(x: TensorLike, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """Indices that sort `x` along `dim`. Always stable (equal elements keep their order, also
    when descending), NaN sorts as the largest value, as NumPy's and torch's sorts."""
    node = _node(x)
    with checking("argsort", node.type):
        dim = normalize_axis(dim, builtins.max(node.ndim, 1), "dim")
    return Tensor(make("argsort", (node,), dim=dim, descending=bool(descending)))


# Each mask's count symbol, so that selecting twice with one mask gives one nonzero node
# (and one size), as hash-consing gives one node for any other op built twice.
_COUNTS: weakref.WeakKeyDictionary[Node, object] = weakref.WeakKeyDictionary()


def _nonzero_of(mask: Tensor) -> Tensor:
    """The `nonzero` node of a symbolic bool mask, with a fresh data-dependent count."""
    node = mask._node
    size = _COUNTS.get(node)
    if size is None:
        size = _COUNTS[node] = fresh_size("nz", f"nonzero created at {user_location()}")
    return Tensor(make("nonzero", (node,), size=size))


def nonzero(x: TensorLike, *, as_tuple: bool = False):
    """torch.nonzero: the positions of the non-zero (true) elements, an int64 tensor of shape
    [count, ndim] in row-major order, or (`as_tuple`) one 1-D tensor per dimension. On a
    symbolic tensor the count is a data-dependent size, known when the graph runs."""
    x = _tensor(x)
    mask = x if x.dtype is dtypes.bool_ else F.ne(x, F.zeros((), dtype=x.dtype))
    if mask.is_symbolic:
        positions = _nonzero_of(mask)
    else:
        positions = F.tensor(np.argwhere(mask.numpy()).astype(np.int64).reshape(-1, mask.ndim))
    if as_tuple:
        return tuple(positions[:, d] for d in range(mask.ndim))
    return positions


def argwhere(x: TensorLike) -> Tensor:
    """torch.argwhere: `nonzero(x)`."""
    return nonzero(x)


@shown_as("MaskedSelectBackward0")
def masked_select(x: TensorLike, mask: TensorLike) -> Tensor:
    """torch.masked_select: the elements of `x` where `mask` (broadcast with it) is true, as a
    1-D tensor in row-major order; its length is data-dependent for a symbolic mask."""
    x, mask = _tensor(x), _tensor(mask)
    if mask.dtype is not dtypes.bool_:
        raise build_error("masked_select", f"the mask must be bool, not {mask.dtype.name}",
                          [x._node.type, mask._node.type])
    with checking("masked_select", x._node.type, mask._node.type):
        shape = broadcast_shapes(tuple(x.shape), tuple(mask.shape))
    return getitem(F.broadcast_to(x, shape), F.broadcast_to(mask, shape))


@shown_as("SortBackward0")
def sort(x: TensorLike, dim: int = -1, descending: bool = False, stable: bool = False):
    """`(values, indices)` sorted along `dim` (stable); gradients flow to `values`."""
    indices = argsort(x, dim, descending)
    return sort_result(gather(x, dim, indices), indices)


@shown_as("TopkBackward0")
def topk(x: TensorLike, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    """The `k` largest (smallest) elements along `dim` and their indices, in order; of equal
    elements the first comes first."""
    x = _tensor(x)
    with checking("topk", x._node.type):
        axis = normalize_axis(dim, builtins.max(x.ndim, 1), "dim")
        size = x.shape[axis] if x.ndim else 1
        if isinstance(k, bool) or not isinstance(k, int) or k < 0 or (isinstance(size, int) and k > size):
            raise ValueError(f"k={k!r} must be an int from 0 to the size of dim {axis} ({size})")
    indices = argsort(x, axis, descending=largest)
    if x.ndim:
        indices = indices[(FULL,) * axis + (slice(0, k),)]
    return topk_result(gather(x, axis, indices), indices)


def take_along_dim(x: TensorLike, indices: TensorLike, dim: int | None = None) -> Tensor:
    """torch.take_along_dim: gather with `x` and `indices` broadcast (all but `dim`); dim=None
    takes from the flattened tensor."""
    x, indices = _tensor(x), _tensor(indices)
    if dim is None:
        return gather(F.reshape(x, (-1,)), 0, F.reshape(indices, (-1,)))
    with checking("take_along_dim", x._node.type, indices._node.type):
        dim = normalize_axis(dim, x.ndim, "dim")
        if x.ndim != indices.ndim:
            raise ValueError("the tensor and the indices must have one number of dimensions")
        shape = list(broadcast_shapes(tuple(x.shape), tuple(indices.shape)))
    x_shape, i_shape = list(shape), list(shape)
    x_shape[dim], i_shape[dim] = x.shape[dim], indices.shape[dim]
    return gather(F.broadcast_to(x, tuple(x_shape)), dim, F.broadcast_to(indices, tuple(i_shape)))


def index_select(x: TensorLike, dim: int, index: TensorLike) -> Tensor:
    """torch.index_select: the entries of `x` at the 1-D `index` along `dim`."""
    x = _tensor(x)
    with checking("index_select", x._node.type):
        dim = normalize_axis(dim, x.ndim, "dim")
        if _tensor(index).ndim != 1:
            raise ValueError("index_select takes a 1-D index")
    return getitem(x, (FULL,) * dim + (_tensor(index),))


# ------------------------------------------------------------------ parsing an index

def _is_integer(item) -> bool:
    return isinstance(item, (int, np.integer)) and not isinstance(item, (bool, np.bool_))


def _is_array(item) -> bool:
    """An index that NumPy treats as advanced: a list, an array or a (non-scalar) tensor."""
    if isinstance(item, Tensor):
        return not (item.ndim == 0 and item.dtype.category == 1 and not item.is_symbolic)
    return isinstance(item, (list, np.ndarray))


def basic_entries(node, index: tuple) -> tuple:
    """graphc's `getitem` entries for a basic index: ints, (start, stop, step) and None."""
    entries = []
    consuming = builtins.sum(1 for i in index if i is not None and i is not Ellipsis)
    if builtins.sum(1 for i in index if i is Ellipsis) > 1:
        raise build_error("getitem", "an index can only have one Ellipsis (...)", [node.type])
    for item in index:
        if item is Ellipsis:
            entries.extend([(None, None, None)] * builtins.max(0, node.ndim - consuming))
        elif item is None:
            entries.append(None)
        elif isinstance(item, slice):
            with checking("getitem", node.type):
                entries.append(tuple(_index_int(v) for v in (item.start, item.stop, item.step)))
        elif _is_integer(item):
            entries.append(int(item))
        elif isinstance(item, Tensor) and not _is_array(item):
            entries.append(int(item.item()))
        else:
            raise build_error("getitem", f"unsupported index {F._short(item)}; graphc supports ints,"
                              " slices, None, Ellipsis, integer arrays and boolean masks", [node.type])
    if consuming > node.ndim:
        raise build_error("getitem", f"too many indices ({consuming}) for a tensor of shape"
                          f" {format_shape(node.shape)}", [node.type])
    return tuple(entries)


def _index_int(value):
    if value is None:
        return None
    if isinstance(value, Tensor):
        value = value.item()
    if not _is_integer(value):
        raise TypeError(f"slice bounds must be ints or None, got {value!r}")
    return int(value)


def _as_index_tensor(item, op: str, node) -> Tensor:
    t = item if isinstance(item, Tensor) else F.tensor(np.asarray(item))
    if t.dtype.category == 1:
        return t
    if t.dtype is dtypes.bool_:
        return t
    if isinstance(item, list) and not item:
        return F.tensor(np.zeros(0, np.int64))
    raise build_error(op, f"an index array must hold integers or bools, not {t.dtype.name}", [node.type])


def _masks_to_indices(items: list, op: str, node) -> list:
    """Each boolean mask replaced by the integer arrays of its true positions (NumPy's
    nonzero): of an eager mask, constants; of a symbolic one, a `nonzero` node's columns,
    whose length is a data-dependent size."""
    out = []
    axis: int | None = 0  # the dimension the item indexes (None after an Ellipsis)
    for item in items:
        if item is Ellipsis:
            axis = None
        if not _is_array(item):
            out.append(item)
            if axis is not None and item is not None:
                axis += 1
            continue
        t = _as_index_tensor(item, op, node)
        if t.dtype is not dtypes.bool_:
            out.append(t)
            axis = None if axis is None else axis + 1
            continue
        if t.ndim == 0:
            raise build_error(op, "a 0-d boolean mask is not supported; use graphc.where",
                              [node.type, t._node.type])
        if axis is not None:
            fits = axis + t.ndim <= node.ndim and builtins.all(
                dims_equal(a, b) is True for a, b in zip(t.shape, node.shape[axis:]))
            if not fits:
                raise build_error(op, f"a mask of shape {format_shape(t.shape)} does not match the"
                                  f" indexed dimensions from dimension {axis}", [node.type, t._node.type])
        out.extend(nonzero(t, as_tuple=True))
        axis = None if axis is None else axis + t.ndim
    return out


def _split(x: Tensor, index) -> tuple[tuple, list[int], list[Tensor]]:
    """A mixed index as a basic index of `x` (each array replaced by a full slice), the axes
    of that basic result the arrays index, and the arrays, ints among them, as tensors."""
    node = x._node
    items = _masks_to_indices(list(index if isinstance(index, tuple) else (index,)), "getitem", node)
    consuming = builtins.sum(1 for i in items if i is not None and i is not Ellipsis)
    if consuming > x.ndim:
        raise build_error("getitem", f"too many indices ({consuming}) for a tensor of shape"
                          f" {format_shape(x.shape)}", [node.type])
    basic, axes, arrays = [], [], []
    for item in items:
        if item is Ellipsis:
            basic.extend([FULL] * (x.ndim - consuming))
        elif _is_array(item) or _is_integer(item):
            axes.append(len(basic))
            arrays.append(item if isinstance(item, Tensor) else F.tensor(np.int64(item)))
            basic.append(FULL)
        else:
            basic.append(item)
    return tuple(basic), axes, arrays


def _moved_front(x: Tensor, axes: list[int]) -> Tensor:
    return F.permute(x, tuple(axes) + tuple(a for a in range(x.ndim) if a not in axes))


def _result_order(t: Tensor, batch: int, axes: list[int]) -> Tensor:
    """NumPy puts the broadcast index dimensions (the first `batch` of `t`) where the arrays
    stood when they stand together, else first."""
    together = axes == list(range(axes[0], axes[0] + len(axes)))
    if not together or axes[0] == 0 or batch == 0:
        return t
    rest = list(range(batch, t.ndim))
    return F.permute(t, tuple(rest[:axes[0]] + list(range(batch)) + rest[axes[0]:]))


# -------------------------------------------------------------- reading and writing

def getitem(x: TensorLike, index) -> Tensor:
    """NumPy indexing: ints, slices, None, Ellipsis, and integer arrays or boolean masks."""
    x = _tensor(x)
    items = index if isinstance(index, tuple) else (index,)
    if not builtins.any(map(_is_array, items)):
        return _wrap(make("getitem", (x._node,), index=basic_entries(x._node, items)), x)
    whole = _whole_mask(x, items)
    if whole is not None:  # x[mask], the mask as large as x: one gather of the flattened x
        count = numel(tuple(x.shape))
        flat = F.reshape(whole, (count,))
        return composed_as(gather(F.reshape(x, (count,)), 0, nonzero(flat, as_tuple=True)[0]),
                           "IndexBackward0")
    basic, axes, arrays = _split(x, index)
    part = getitem(x, basic)
    with checking("getitem", *(t._node.type for t in (x, *arrays))):
        batch = broadcast_shapes(*(tuple(a.shape) for a in arrays))
    count = numel(batch)
    flat = [F.reshape(F.broadcast_to(a, batch), (count,)) for a in arrays]
    t = _moved_front(part, axes)
    rest = tuple(t.shape[len(axes):])
    for k, positions in enumerate(flat):  # gather along the next indexed axis, per index
        keep = 0 if k == 0 else 1
        shape = (*tuple(t.shape[:keep]), count if k == 0 else 1, *tuple(t.shape[keep + 1:]))
        t = gather(t, keep, F.broadcast_to(F.reshape(positions, (count,) + (1,) * (t.ndim - 1)), shape))
        if k:
            t = F.reshape(t, (count, *tuple(t.shape[2:])))
    return composed_as(_result_order(F.reshape(t, tuple(batch) + rest), len(batch), axes), "IndexBackward0")


def _whole_mask(x: Tensor, items: tuple) -> Tensor | None:
    """The index if it is one symbolic bool mask of `x`'s shape, else None."""
    if len(items) != 1 or not isinstance(items[0], Tensor):
        return None
    mask = items[0]
    if mask.dtype is not dtypes.bool_ or not mask.is_symbolic or mask.ndim != x.ndim or not x.ndim:
        return None
    if not builtins.all(dims_equal(a, b) is True for a, b in zip(mask.shape, x.shape)):
        return None
    return mask


def setitem(x: TensorLike, index, value) -> Tensor:
    """`x` with `x[index]` replaced by `value` (broadcast), as a new tensor: NumPy's
    assignment, functional. Repeated integer indices: the last value wins."""
    return index_put(x, index, value)


def index_put(x: TensorLike, indices, values, accumulate: bool = False) -> Tensor:
    """torch.index_put as a new tensor: `x[indices] = values` (`+=` with accumulate, where
    repeated indices add up); `indices` may be any index `getitem` takes."""
    x = _tensor(x)
    items = indices if isinstance(indices, tuple) else (indices,)
    values = _tensor(values) if isinstance(values, Tensor) else F.tensor(values, dtype=x.dtype) \
        if not isinstance(values, (bool, int, float, np.generic)) else values
    if not builtins.any(map(_is_array, items)):
        entries = basic_entries(x._node, items)
        if accumulate:
            values = F.add(getitem(x, items), values)
        value = F._cast_node(_node(values), x.dtype) if isinstance(values, Tensor) \
            else F._scalar_node(values, x.dtype)
        return _wrap(make("setitem", (x._node, value), index=entries), x, values)
    mask = _single_mask(x, items)
    if mask is not None:
        value = F.cast(values if isinstance(values, Tensor) else F.tensor(values), x.dtype)
        return F.where(mask, F.add(x, value) if accumulate else value, x)
    basic, axes, arrays = _split(x, items)
    part = getitem(x, basic)
    updated = _scatter_into(part, axes, arrays, values, accumulate)
    if builtins.all(b == FULL for b in basic):
        return updated
    return index_put(x, basic, updated)


def _single_mask(x: Tensor, items: tuple):
    """A boolean mask over the leading dimensions of `x` (from `x[mask] = v`), broadcast to
    `x`'s shape, when it is the whole index and computed from placeholders; else None."""
    if len(items) != 1 or not isinstance(items[0], Tensor) or items[0].dtype is not dtypes.bool_ \
            or not items[0].is_symbolic:
        return None
    mask = items[0]
    if mask.ndim > x.ndim or builtins.any(dims_equal(a, b) is not True
                                          for a, b in zip(mask.shape, x.shape)):
        raise build_error("setitem", f"a mask of shape {format_shape(mask.shape)} does not fit the"
                          f" leading dimensions of {format_shape(x.shape)}", [x._node.type])
    return F.reshape(mask, tuple(mask.shape) + (1,) * (x.ndim - mask.ndim))


def _scatter_into(part: Tensor, axes: list[int], arrays: list[Tensor], values, accumulate: bool) -> Tensor:
    """`part` with the elements its integer arrays pick (at `axes`) set to (or increased by)
    `values`: one scatter along the indexed axes, flattened into one."""
    with checking("setitem", *(t._node.type for t in (part, *arrays))):
        batch = broadcast_shapes(*(tuple(a.shape) for a in arrays))
    count = numel(batch)
    t = _moved_front(part, axes)
    sizes = list(t.shape[:len(axes)])
    rest = tuple(t.shape[len(axes):])
    if not builtins.all(isinstance(s, int) for s in sizes[1:]):
        raise build_error("setitem", "assigning through several index arrays needs the sizes of"
                          f" the indexed dimensions after the first to be known, not {sizes}",
                          [part._node.type])
    flat, stride, outside = None, 1, None
    for k in reversed(range(len(arrays))):
        positions = F.cast(F.reshape(F.broadcast_to(arrays[k], batch), (count,)), dtypes.int64)
        if k:  # the first index may count back (a negative flat index does the same)
            size = sizes[k]
            wrong = (positions < -size) | (positions >= size)
            outside = wrong if outside is None else outside | wrong
            positions = F.where(positions < 0, positions + size, positions)
        flat = positions * stride if flat is None else flat + positions * stride
        stride = stride * sizes[k] if k else stride
    if outside is not None:
        flat = F.where(outside, F.full((), _FAR_OUT, dtype=flat.dtype), flat)
    merged = F.reshape(t, (numel(tuple(sizes)), *rest))
    order = _result_order(F.zeros(tuple(batch) + rest, dtype=part.dtype), len(batch), axes)
    src = F.broadcast_to(values if isinstance(values, Tensor) else F.tensor(values, dtype=part.dtype),
                         tuple(order.shape))
    src = _moved_front(src, _batch_axes(len(batch), axes, order.ndim)) if len(batch) else src
    src = F.reshape(F.cast(src, part.dtype), (count, *rest))
    index = F.broadcast_to(F.reshape(flat, (count,) + (1,) * len(rest)), (count, *rest))
    scattered = _scatter(merged, 0, index, src, accumulate)
    back = F.reshape(scattered, tuple(sizes) + rest)
    inverse = [0] * back.ndim
    for position, axis in enumerate(tuple(axes) + tuple(a for a in range(part.ndim) if a not in axes)):
        inverse[axis] = position
    return F.permute(back, tuple(inverse))


def _batch_axes(batch: int, axes: list[int], ndim: int) -> list[int]:
    """Where `_result_order` put the `batch` index dimensions of a result of `ndim` dims."""
    together = axes == list(range(axes[0], axes[0] + len(axes)))
    start = axes[0] if together else 0
    return list(range(start, start + batch))
