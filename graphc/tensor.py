"""`graphc.Tensor`: the user's handle on a node, concrete (with a value) or symbolic."""

from __future__ import annotations

import functools
import weakref
from typing import Any

import numpy as np

from graphc import dtypes
from graphc.dtypes import DType
from graphc.node import Node
from graphc.ops import ops_with
from graphc.shapes import format_dim
from graphc.symint import SymbolicSizeError, wrap


class Size(tuple):
    """A tensor's shape: ints, and `graphc.SymInt`s for symbolic sizes; prints as
    `graphc.Size([n, 2])` and equals the plain tuple."""

    def __new__(cls, dims=()):
        return super().__new__(cls, (wrap(d) for d in dims))

    def __repr__(self) -> str:
        return "graphc.Size([" + ", ".join(format_dim(d) for d in self) + "])"

    __str__ = __repr__

    def numel(self):
        n = 1
        for d in self:
            n = n * d
        return n


# PyTorch's names for the backward functions of ops whose name differs from graphc's.
GRAD_FN_NAMES = {
    "reshape": "ViewBackward0", "broadcast_to": "ExpandBackward0", "cast": "ToCopyBackward0",
    "pad": "ConstantPadNdBackward0", "log1p": "Log1PBackward0", "expm1": "Expm1Backward0",
    "cat": "CatBackward0", "atan2": "Atan2Backward0", "mod": "RemainderBackward0",
    "setitem": "CopySlices",
}


# Nodes that end a composition PyTorch has one backward function for (std, softmax, sort,
# conv2d, ...), with that function's name: see `shown_as`.
_COMPOSED: weakref.WeakKeyDictionary[Node, str] = weakref.WeakKeyDictionary()


def shown_as(name: str):
    """Decorate a composition so the tensor it returns (or the `values` of a named tuple) shows
    PyTorch's `grad_fn=<name>`, not the name of the last primitive it built."""
    def decorate(function):
        @functools.wraps(function)
        def composed(*args, **kwargs):
            out = function(*args, **kwargs)
            result = out if isinstance(out, Tensor) else getattr(out, "values", None)
            if isinstance(result, Tensor) and not any(result is a for a in args):
                composed_as(result, name)
            return out
        return composed
    return decorate


def composed_as(t: Tensor, name: str) -> Tensor:
    """`t`, which shows `grad_fn=<name>` from now on (the tensor a composition returns)."""
    _COMPOSED[t._node] = name
    return t


def grad_fn_name(node: Node) -> str:
    """The name PyTorch shows in `grad_fn=<...>` for the op that made `node`."""
    if node in _COMPOSED:
        return _COMPOSED[node]
    op = node.op
    if op in ("sum", "mean", "max", "min"):
        full = len(node.attr("axes")) == node.inputs[0].ndim and not node.attr("keepdims")
        if op in ("max", "min"):
            return f"{op.title()}Backward{1 if full else 0}"
        return f"{op.title()}Backward{0 if full else 1}"
    if op == "matmul":
        ranks = (node.inputs[0].ndim, node.inputs[1].ndim)
        return {(1, 1): "DotBackward0", (2, 1): "MvBackward0", (2, 2): "MmBackward0"}.get(
            ranks, "BmmBackward0")
    if op == "getitem":
        index = node.attr("index")
        return "SelectBackward0" if all(isinstance(i, int) for i in index) else "SliceBackward0"
    if op == "transpose":
        moved = sum(1 for i, p in enumerate(node.attr("perm")) if i != p)
        return "TransposeBackward0" if moved == 2 else "PermuteBackward0"
    if op == "pow":
        return "PowBackward0" if node.inputs[1].op == "scalar" else "PowBackward1"
    return GRAD_FN_NAMES.get(op) or "".join(p.title() for p in op.split("_")) + "Backward0"


class Tensor:
    """A value in a lazily built graph.

    Operations build nodes; a tensor that depends on no placeholder is evaluated
    on demand (printing, `.numpy()`, `.item()`) and its value cached.
    """

    __slots__ = ("__weakref__", "_node", "_value", "_version", "grad", "requires_grad")
    __array_priority__ = 1000  # make `ndarray + Tensor` defer to Tensor.__radd__
    __hash__ = object.__hash__  # == builds a tensor, so hash by identity

    def __init__(self, node: Node, requires_grad: bool = False):
        self._node = node
        self._value: np.ndarray | None = None  # this tensor's value, once computed
        self.requires_grad = requires_grad
        self.grad: Tensor | None = None
        self._version = 0  # bumped by each in-place update, as PyTorch's version counter

    # ---------------------------------------------------------------- properties
    @property
    def node(self) -> Node:
        return self._node

    @property
    def shape(self) -> Size:
        return Size(self._node.shape)

    def size(self, dim: int | None = None):
        """The shape, or the size of dimension `dim`: an int, or a `graphc.SymInt` if symbolic."""
        return self.shape if dim is None else self.shape[dim]

    @property
    def dtype(self) -> DType:
        return self._node.dtype

    @property
    def ndim(self) -> int:
        return self._node.ndim

    def dim(self) -> int:
        return self._node.ndim

    def numel(self):
        return self.shape.numel()

    @property
    def device(self) -> str:
        """"cpu", or "cuda:N" for a tensor computed from values placed on GPU N (graphc/cuda.py)."""
        from graphc import cuda

        return cuda.device_name(self._node)

    @property
    def is_leaf(self) -> bool:
        return not self.requires_grad or not self._node.inputs

    @property
    def is_symbolic(self) -> bool:
        """True when the tensor depends on a placeholder and so has no value yet."""
        return self._node.depends_on_placeholder

    @property
    def name(self) -> str | None:
        return self._node.attr("name")

    @property
    def grad_fn(self) -> str | None:
        """The name PyTorch gives the backward function that produced this tensor."""
        if not self.requires_grad or not self._node.inputs:
            return None
        return grad_fn_name(self._node)

    # ------------------------------------------------------------------- values
    def numpy(self) -> np.ndarray:
        """The value as a NumPy array (shared with `from_numpy` arrays, read-only otherwise)."""
        from graphc.evaluate import value_of

        if self.device != "cpu":
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu()"
                            " to copy the tensor to host memory first.")

        if self._value is None:
            value = value_of(self._node)
            if not self._node.reads_parameter or self._node.op == "parameter":
                return value
            self._value = value
        return self._value

    def _host_value(self) -> np.ndarray:
        """The value on the host: copied from the GPU for a tensor there."""
        from graphc import cuda

        return self.numpy() if self.device == "cpu" else cuda.host_value(self._node)

    def item(self):
        values = self._host_value()
        if values.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape"
                             f" {list(values.shape)}")
        return values.reshape(()).item()

    def tolist(self):
        return self._host_value().tolist()

    def __array__(self, dtype=None, copy=None):
        values = self.numpy()
        if dtype is not None:
            values = values.astype(dtype)
        return np.array(values, copy=True) if copy else values

    def __len__(self) -> int:
        """The first size, as PyTorch's; a TypeError where it is symbolic (known only at a call)."""
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        first = self._node.shape[0]
        if not isinstance(first, int):
            raise SymbolicSizeError(f"len() of a tensor whose first size, {format_dim(first)}, is symbolic:"
                            " it is known only when the compiled function is called; x.shape[0]"
                            " is the symbolic size")
        return first

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self)))

    def __bool__(self) -> bool:
        if self.is_symbolic:
            raise TypeError("the truth value of a symbolic tensor is unknown until it is evaluated")
        values = self._host_value()
        if values.size != 1:
            raise ValueError("the truth value of a tensor with more than one element is ambiguous")
        return bool(values.reshape(()))

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.dtype.category != 1:
            raise TypeError(f"only integer tensors can be used as an index, not {self.dtype.name}")
        return int(self.item())

    # ----------------------------------------------------------------- printing
    def __repr__(self) -> str:
        if self.is_symbolic:
            name = f"name={self.name!r}, " if self.name else ""
            return f"Tensor({name}op={self._node.op}, shape={self.shape}, dtype={self.dtype!r})"
        from graphc.formatting import format_tensor

        suffixes = []
        if self.grad_fn is not None:
            suffixes.append(f"grad_fn=<{self.grad_fn}>")
        elif self.requires_grad:
            suffixes.append("requires_grad=True")
        default = self.dtype in (dtypes.float32, dtypes.int64, dtypes.bool_)
        return format_tensor(self._host_value(), self.dtype.name, suffixes, default, self.device)

    __str__ = __repr__

    # Jupyter: a symbolic tensor shows the explorer of its graph (or a picture); a tensor with
    # values shows them, as its repr does.
    def _repr_html_(self) -> str | None:
        from graphc.viz.html import notebook_html

        return notebook_html(self) if self.is_symbolic else None

    def _repr_svg_(self) -> str | None:
        from graphc.viz.svg import notebook_svg

        return notebook_svg(self) if self.is_symbolic else None

    # ------------------------------------------------------------ gradients flags
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Mark a leaf as needing gradients (an array constant becomes a parameter)."""
        if requires_grad and not self.dtype.is_floating_point:
            raise TypeError(f"only floating-point tensors can require gradients, not {self.dtype.name}")
        if not self.is_leaf:
            raise RuntimeError("requires_grad_() can only change leaf tensors")
        if requires_grad and self._node.op == "constant":
            self._node = F.parameter_node(self._node.attr("value").value)
            self._value = None
        self.requires_grad = requires_grad
        if requires_grad:
            from graphc.autograd import register_leaf

            register_leaf(self)
        return self

    def backward(self, gradient=None) -> None:
        """Accumulate the gradient of this tensor into `.grad` of the leaves that require it."""
        from graphc.autograd import backward

        backward(self, gradient)

    # ------------------------------------------------------------ in-place updates
    def _update_in_place(self, new: Tensor) -> Tensor:
        """Make this tensor hold `new`'s value: rebind its node, bump `_version` (graphc/inplace.py).

        Every in-place method ends here; it enforces PyTorch's rules (shape kept, no in-place
        change of a leaf that requires grad outside no_grad)."""
        from graphc import inplace

        inplace.update(self, new)
        return self

    def add_(self, other, *, alpha=1) -> Tensor:
        return self._update_in_place(F.add(self, other if alpha == 1 else F.mul(other, alpha)))

    def sub_(self, other, *, alpha=1) -> Tensor:
        return self._update_in_place(F.sub(self, other if alpha == 1 else F.mul(other, alpha)))

    def mul_(self, other) -> Tensor:
        return self._update_in_place(F.mul(self, other))

    def div_(self, other) -> Tensor:
        return self._update_in_place(F.div(self, other))

    def fill_(self, value) -> Tensor:
        return self._update_in_place(F.full_like(self, value.item() if isinstance(value, Tensor)
                                                 else value))

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def copy_(self, src) -> Tensor:
        """Copy `src` (broadcast to this shape, cast to this dtype) into this tensor."""
        src = src if isinstance(src, Tensor) else F.tensor(src)
        return self._update_in_place(F.cast(F.broadcast_to(src, self._node.shape), self.dtype))

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_

    @property
    def data(self) -> Tensor:
        """This tensor's value, detached, sharing its storage: in-place changes through it are
        seen by this tensor and are not recorded for autograd (as PyTorch's `.data`)."""
        from graphc import inplace

        return inplace.data_view(self)

    @data.setter
    def data(self, value) -> None:
        from graphc import inplace

        inplace.replace_data(self, value if isinstance(value, Tensor) else F.tensor(value))

    def detach(self) -> Tensor:
        """The same value, cut off from gradient computation."""
        return Tensor(F.stop_gradient(self)._node, False)

    # ---------------------------------------------------------------- operators
    def __add__(self, other): return F.add(self, other)
    def __radd__(self, other): return F.add(other, self)
    def __sub__(self, other): return F.sub(self, other)
    def __rsub__(self, other): return F.sub(other, self)
    def __mul__(self, other): return F.mul(self, other)
    def __rmul__(self, other): return F.mul(other, self)
    def __truediv__(self, other): return F.div(self, other)
    def __rtruediv__(self, other): return F.div(other, self)
    def __floordiv__(self, other): return F.floordiv(self, other)
    def __rfloordiv__(self, other): return F.floordiv(other, self)
    def __mod__(self, other): return F.mod(self, other)
    def __rmod__(self, other): return F.mod(other, self)
    def __pow__(self, other): return F.pow(self, other)
    def __rpow__(self, other): return F.pow(other, self)
    def __matmul__(self, other): return F.matmul(self, other)
    def __rmatmul__(self, other): return F.matmul(other, self)
    def __neg__(self): return F.neg(self)
    def __pos__(self): return self
    def __abs__(self): return F.abs(self)
    def __invert__(self): return F.logical_not(self)
    def __and__(self, other): return F.logical_and(self, other)
    def __rand__(self, other): return F.logical_and(other, self)
    def __or__(self, other): return F.logical_or(self, other)
    def __ror__(self, other): return F.logical_or(other, self)
    # `t == None` is False and `t != None` True, as in PyTorch, not an error
    def __eq__(self, other): return other is not None and F.eq(self, other)  # type: ignore[override]
    def __ne__(self, other): return other is None or F.ne(self, other)  # type: ignore[override]
    def __lt__(self, other): return F.lt(self, other)
    def __le__(self, other): return F.le(self, other)
    def __gt__(self, other): return F.gt(self, other)
    def __ge__(self, other): return F.ge(self, other)
    def __getitem__(self, index): return F.getitem(self, index)

    def __setitem__(self, index, value) -> None:
        """`t[index] = value`: in place, as PyTorch (graphc/indexing.py, graphc/inplace.py)."""
        self._update_in_place(F.setitem(self, index, value))

    @property
    def T(self) -> Tensor:  # noqa: N802 - NumPy's and PyTorch's name
        return F.permute(self, tuple(reversed(range(self.ndim))))

    @property
    def mT(self) -> Tensor:  # noqa: N802 - PyTorch's name
        """The last two dimensions swapped (a batch of matrices transposed)."""
        return F.matrix_transpose(self)

    @property
    def mH(self) -> Tensor:  # noqa: N802 - PyTorch's name
        """The conjugate transpose of the last two dimensions: `mT`, as graphc's dtypes are real."""
        return F.matrix_transpose(self)

    def reshape(self, *shape) -> Tensor:
        return F.reshape(self, *shape)

    view = reshape

    def expand(self, *sizes) -> Tensor:
        """PyTorch's `expand`: broadcast to `sizes` (new dimensions in front); -1 keeps a size."""
        sizes = F._shape_args(sizes)
        lead = len(sizes) - self.ndim
        dims = [self._node.shape[i - lead] if i >= lead and isinstance(d, int) and d == -1 else d
                for i, d in enumerate(sizes)]
        return F.broadcast_to(self, tuple(dims))

    def permute(self, *dims) -> Tensor:
        return F.permute(self, *dims)

    def to(self, target, dtype=None) -> Tensor:
        """PyTorch's `.to`: a dtype (`t.to(graphc.float64)`), a device (`t.to("cuda")`), or both."""
        if isinstance(target, str) and (target == "cpu" or target.startswith("cuda")):
            from graphc import cuda

            moved = cuda.place(self, target)
            return moved if dtype is None else F.cast(moved, dtype)
        return F.cast(self, target)

    def cuda(self, device=None) -> Tensor:
        """This tensor on a GPU (the first, or `device`): itself if it is there, else a copy."""
        from graphc import cuda

        return cuda.place(self, "cuda" if device is None else device)

    def cpu(self) -> Tensor:
        """This tensor on the CPU: itself if it is there, else a copy."""
        from graphc import cuda

        return cuda.place(self, "cpu")

    def astype(self, dtype) -> Tensor:
        return F.cast(self, dtype)


# Methods that call the function of the same name with the tensor first: those of the ops
# whose `method` trait says so, and of these compositions.
_METHODS = (*sorted(ops_with("method")),
            "squeeze", "unsqueeze", "dot", "softmax", "log_softmax", "logsumexp",
            "scatter_add", "sort", "topk", "index_select", "take_along_dim", "index_put",
            "std", "var", "clamp", "clip", "flatten", "tril", "triu",
            "masked_select", "argwhere")


def _method(name: str):
    def method(self, *args: Any, **kwargs: Any):
        return getattr(F, name)(self, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"`graphc.{name}(self, ...)`"
    return method


for _name in _METHODS:
    setattr(Tensor, _name, _method(_name))

# PyTorch's casting methods: `x.float()` is `graphc.cast(x, graphc.float32)`.
_CASTS = {"float": dtypes.float32, "double": dtypes.float64, "half": dtypes.float16,
          "bfloat16": dtypes.bfloat16, "int": dtypes.int32, "long": dtypes.int64,
          "short": dtypes.int16, "char": dtypes.int8, "byte": dtypes.uint8, "bool": dtypes.bool_}


def _cast_method(name: str, dtype):
    def method(self) -> Tensor:
        return F.cast(self, dtype)

    method.__name__ = name
    method.__doc__ = f"`graphc.cast(self, graphc.{dtype.name})`"
    return method


for _name, _dtype in _CASTS.items():
    setattr(Tensor, _name, _cast_method(_name, _dtype))

from graphc import functional as F  # noqa: E402 - functional builds Tensors
