"""`graphc.cuda`: GPUs for tensors, the PyTorch way (`.to("cuda")`, `.cuda()`, `.cpu()`, `device=`).

A tensor is on the GPU when its value is computed from a leaf placed there: `t.to("cuda")`
copies `t`'s value into a new leaf on the device (keeping a host copy in the graph, so it
prints, exports and differentiates like any leaf), and everything computed from such leaves is
on that device too, evaluated there by the CUDA backend when it is printed or read, and kept
there (`device_value`). A tensor that needs gradients stays a leaf that needs them on the
device (where PyTorch's `.to` makes a non-leaf copy): its `.grad` lands on the device.
Tensors of two different GPUs, or a GPU and a CPU tensor of one dimension or more, do not mix.

Without a GPU, `is_available()` is False and `.to("cuda")` raises RuntimeError.
"""

from __future__ import annotations

import weakref

import numpy as np

from graphc.graph import Graph
from graphc.node import Node, Ref, TensorType

_PLACED: weakref.WeakKeyDictionary[Node, int] = weakref.WeakKeyDictionary()  # leaf -> GPU ordinal
_DEVICE_OF: weakref.WeakKeyDictionary[Node, int | None] = weakref.WeakKeyDictionary()
_VALUES: weakref.WeakKeyDictionary[Node, object] = weakref.WeakKeyDictionary()  # node -> DeviceArray


def is_available() -> bool:
    """Whether a CUDA GPU (and its driver) can be used."""
    from graphc.backends.cuda import runtime

    return runtime.is_available()


def device_count() -> int:
    from graphc.backends.cuda import runtime

    return runtime.device_count()


def parse_device(device) -> int | None:
    """A GPU ordinal for "cuda", "cuda:1", 1 or a DeviceArray's device; None for "cpu"."""
    if device is None or device == "cpu":
        return None
    if isinstance(device, int) and not isinstance(device, bool):
        return device
    text = str(device)
    if text == "cuda":
        return 0
    if text.startswith("cuda:") and text[5:].isdigit():
        return int(text[5:])
    raise ValueError(f"unknown device {device!r}; expected 'cpu', 'cuda' or 'cuda:N'")


def device_of(node: Node) -> int | None:
    """The GPU a node's value is on (that of the placed leaves it reads), or None for the CPU.

    CPU values it reads (constants, scalars) are copied to the GPU with the graph; values on
    two different GPUs do not mix.
    """
    if not _PLACED:  # no tensor was ever moved to a GPU
        return None
    stack = [node]
    while stack:  # iterative: long chains are common
        n = stack[-1]
        if n in _DEVICE_OF:
            stack.pop()
            continue
        pending = [i for i in n.inputs if i not in _DEVICE_OF]
        if pending and n not in _PLACED:
            stack.extend(pending)
            continue
        stack.pop()
        devices = {_PLACED[n]} if n in _PLACED else {_DEVICE_OF[i] for i in n.inputs} - {None}
        if len(devices) > 1:
            raise RuntimeError(f"{n.op} reads tensors on different GPUs: "
                               f"{', '.join(f'cuda:{d}' for d in sorted(devices))} (at {n.location})")
        _DEVICE_OF[n] = next(iter(devices), None)
    return _DEVICE_OF[node]


def device_name(node: Node) -> str:
    ordinal = device_of(node)
    return "cpu" if ordinal is None else f"cuda:{ordinal}"


def place(tensor, device):
    """`tensor` on `device` ("cpu", "cuda", "cuda:N"): itself if it is there, else a copy."""
    from graphc.tensor import Tensor

    ordinal = parse_device(device)
    if ordinal == device_of(tensor._node):
        return tensor
    if tensor.is_symbolic:
        raise ValueError("a symbolic tensor has no value to move; compile it with graphc.function("
                         "..., backend='cuda') and call that with GPU arrays")
    from graphc.dtypes import from_numpy
    from graphc.ops import make_leaf

    host = np.array(host_value(tensor._node))
    device_array = _upload(host, ordinal) if ordinal is not None else None
    host.flags.writeable = False
    op = "parameter" if tensor.requires_grad else "constant"
    leaf = make_leaf(op, TensorType(from_numpy(host.dtype), host.shape), identity=True, value=Ref(host))
    if ordinal is not None:
        _PLACED[leaf] = ordinal
        _VALUES[leaf] = device_array
    result = Tensor(leaf)
    return result.requires_grad_(True) if tensor.requires_grad else result


def _upload(host: np.ndarray, ordinal: int):
    from graphc.backends.cuda import runtime
    from graphc.backends.cuda.arrays import DeviceArray

    return DeviceArray.from_host(runtime.device(ordinal), host)


def host_value(node: Node) -> np.ndarray:
    """A node's value on the host (copied from its GPU if it is on one)."""
    if device_of(node) is None:
        from graphc.evaluate import value_of

        return value_of(node)
    return device_value(node).numpy()


def device_value(node: Node):
    """The DeviceArray value of a node on a GPU, computed there by the CUDA backend (once)."""
    value = _VALUES.get(node)
    if value is not None:
        return value
    from graphc.backends import compile as compile_graph
    from graphc.evaluate import cached_frontier

    ordinal = device_of(node)
    frontier = cached_frontier(node, known=_VALUES)
    executable = compile_graph(Graph(frontier, [node]), "cuda", {"device": ordinal, "transfer": False})
    (value,) = executable.run_unchecked(*(_VALUES[n] for n in frontier))
    if not node.reads_parameter:
        _VALUES[node] = value
    return value


def values_of(nodes: list[Node]) -> list[np.ndarray]:
    """Host values of `nodes`, each computed where it lives (its GPU, or the CPU: there by one
    graph for all of them)."""
    from graphc.evaluate import values_of as host_values

    on_gpu = [device_of(n) is not None for n in nodes]
    host = iter(host_values([n for n, gpu in zip(nodes, on_gpu) if not gpu]))
    return [device_value(n).numpy() if gpu else next(host) for n, gpu in zip(nodes, on_gpu)]


def to_device(array: np.ndarray, device="cuda"):
    """A NumPy array copied to a GPU, as a DeviceArray (what CUDA functions take in place)."""
    return _upload(np.asarray(array), parse_device(device) or 0)
