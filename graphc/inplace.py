"""In-place updates of eager tensors, with PyTorch's autograd rules.

Graph nodes are immutable, so `t.add_(1)` does not change a node: it rebinds `t` to the node of
`t + 1` and bumps `t._version`. A leaf keeps being a leaf: its new value is written into its
parameter array (shared with `from_numpy` arrays, as PyTorch shares them) under a fresh leaf node.

The node a tensor held before the update is remembered as *modified*. `backward()` refuses, as
PyTorch does, a graph in which an op whose derivative reads a value (`mul` reads its other operand,
`sin` its input, `exp` its result) reads a modified one.

Where graphc differs: equal computations are one node (hash-consing), so after
`y = x * 2; z = x * 2; y.mul_(3)` a derivative reading `z` refuses too; `.data` of a computed
tensor cannot be written through (refused); an in-place update of a non-leaf under `no_grad`
detaches it (PyTorch keeps its old gradient function); a tensor and its views (`x[0]`) do not
share storage, so updating one leaves the other as it was.
"""

from __future__ import annotations

import weakref

import numpy as np

from graphc.grad_mode import is_grad_enabled
from graphc.graph import topological_order
from graphc.node import Node
from graphc.shapes import format_shape
from graphc.tensor import Tensor

# Nodes a tensor held before an in-place update: node -> (the tensor, weakly; the version it had;
# the nodes the update itself built that read it, which may: PyTorch saves what they need).
_MODIFIED: weakref.WeakKeyDictionary[Node, tuple[weakref.ref, int, frozenset[int]]] = (
    weakref.WeakKeyDictionary())

# Ops whose derivative reads none of their values: an in-place change of an operand is harmless.
_READS_NOTHING = frozenset({
    "add", "sub", "neg", "reshape", "broadcast_to", "transpose", "getitem", "pad", "cat", "flip",
    "sum", "mean", "cast", "stop_gradient", "scalar", "constant", "parameter", "placeholder",
    "setitem", "gather",  # the indexing primitives: their derivatives read only integer indices
})
# Ops whose derivative reads their own result (PyTorch saves it), not their input.
_READS_RESULT = frozenset({"exp", "expm1", "tanh", "sigmoid", "sqrt", "rsqrt", "relu"})


def update(t: Tensor, new: Tensor) -> None:
    """Make `t` hold `new`'s value (same shape; dtype cast as PyTorch's in-place ops cast)."""
    node = new._node
    if tuple(node.shape) != tuple(t._node.shape):
        raise RuntimeError(f"output with shape {format_shape(t._node.shape)} doesn't match the"
                           f" broadcast shape {format_shape(node.shape)} of the in-place operation")
    if node.dtype.category > t.dtype.category:
        raise RuntimeError(f"result type {node.dtype.name} can't be cast to the desired output"
                           f" type {t.dtype.name} of the in-place operation")
    if t.requires_grad and t.is_leaf and is_grad_enabled():
        raise RuntimeError("a leaf tensor that requires grad is being used in an in-place"
                           " operation (do it under graphc.no_grad(), or on t.data)")
    if _DATA_VIEWS.get(id(t)) is t:
        array = _writable_array(t)
        if array is None or new.is_symbolic:
            raise RuntimeError("an in-place change through .data needs a tensor that holds its own"
                               " array (a leaf on the CPU) and a value, not a symbolic one; graphc"
                               " cannot write it back into a computed tensor")
        np.copyto(array, np.asarray(new._host_value()).astype(t.dtype.numpy))
        t._version += 1  # the tensor it views sees the change, unrecorded (PyTorch's `.data`)
        return
    old = t._node
    if t.is_leaf and not new.is_symbolic and not (new.requires_grad and not t.requires_grad):
        _write_leaf(t, new)
    else:
        from graphc import functional as F

        t._node = F.cast(new, t.dtype)._node
        t.requires_grad = new.requires_grad and t.dtype.is_floating_point  # a non-leaf now if so
    _MODIFIED[old] = (weakref.ref(t), t._version, _readers(t._node, old))
    t._value = None
    t._version += 1


def _write_leaf(t: Tensor, new: Tensor) -> None:
    """A leaf's new value, computed now: into its parameter array if it has a writable one."""
    from graphc import functional as F

    value = np.asarray(new._host_value()).astype(t.dtype.numpy)
    array = _writable_array(t)
    if t.device != "cpu":
        t._node = F.tensor(value, device=t.device)._node
    elif array is not None:
        np.copyto(array, value)
        t._node = F.parameter_node(array, t._node.attr("name"))
    elif t.requires_grad:
        t._node = F.parameter_node(np.array(value))
    else:
        t._node = F.tensor(value, dtype=t.dtype)._node
    if t.requires_grad:
        from graphc.autograd import register_leaf

        register_leaf(t)


def _readers(top: Node, old: Node) -> frozenset[int]:
    """The ids of the nodes above `top` (not past `old`) that read `old` directly."""
    found, seen, stack = set(), {id(old)}, [top]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if any(i is old for i in node.inputs):
            found.add(id(node))
        stack.extend(node.inputs)
    return frozenset(found)


def _writable_array(t: Tensor) -> np.ndarray | None:
    """The array a CPU parameter leaf reads, if it can be written."""
    if t._node.op != "parameter" or t.device != "cpu":
        return None
    array = t._node.attr("value").value
    return array if array.flags.writeable else None


# Tensors made by `.data`: in-place changes through them write their leaf's array unrecorded.
# (By id: a tensor's == builds a tensor, so it cannot be a set member.)
_DATA_VIEWS: weakref.WeakValueDictionary[int, Tensor] = weakref.WeakValueDictionary()


def data_view(t: Tensor) -> Tensor:
    """`t.data`: `t`'s node without gradients; it shares `t`'s parameter array where it has one."""
    if t._node.op == "constant" and t.device == "cpu":  # give it an array to share, as torch's
        from graphc import functional as F

        t._node = F.parameter_node(np.array(t._node.attr("value").value))
        t._value = None
    view = Tensor(t._node, False)
    _DATA_VIEWS[id(view)] = view
    return view


def replace_data(t: Tensor, value: Tensor) -> None:
    """`t.data = value`: `t` becomes a leaf holding `value` (any shape), unrecorded."""
    from graphc import functional as F

    if value.is_symbolic:
        raise TypeError("t.data = ... needs a tensor with a value, not a symbolic one")
    if t.requires_grad and not t.is_leaf:
        raise RuntimeError("t.data = ... can only replace the value of a leaf tensor")
    array = np.array(value._host_value())
    if t.requires_grad:
        t._node = F.parameter_node(array, t._node.attr("name"))
        from graphc.autograd import register_leaf

        register_leaf(t)
    else:
        t._node = F.tensor(array)._node
    t._value = None


def check_unmodified(output: Node) -> None:
    """Raise PyTorch's error if backward() from `output` needs a value changed in place since."""
    if not _MODIFIED:
        return
    from graphc.autograd import requires_grad_leaf

    order = topological_order([output])
    grads: set[Node] = set()  # nodes whose value needs a gradient: they read a leaf that does
    for node in order:
        if requires_grad_leaf(node) or (node.dtype.is_floating_point and node.op != "stop_gradient"
                                        and any(i in grads for i in node.inputs)):
            grads.add(node)
    for node in order:
        if node not in grads or node.op in _READS_NOTHING or not node.inputs:
            continue
        read = [node] if node.op in _READS_RESULT else _read_operands(node, grads)
        for value in read:
            if value in _MODIFIED and id(node) not in _MODIFIED[value][2]:
                _raise_modified(value, node)


def _read_operands(node: Node, grads: set[Node]) -> list[Node]:
    """The operands `node`'s derivative reads: for mul, each operand the other's gradient needs."""
    if node.op == "mul":
        a, b = node.inputs
        return [v for v, other in ((a, b), (b, a)) if other in grads]
    return list(node.inputs)


def _raise_modified(value: Node, reader: Node) -> None:
    tensor, version, _ = _MODIFIED[value]
    t = tensor()
    now = f"version {t._version}" if t is not None else "a later version"
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace"
        f" operation: [{value.dtype.name} tensor of shape {format_shape(value.shape)}], read by the"
        f" derivative of {reader.op} (created at {reader.location}), is at {now}; expected"
        f" version {version} instead")
