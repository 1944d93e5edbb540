"""Gradients as graphs: grad, value_and_grad, vjp, jvp, jacobian, hessian, and backward().

Every function here returns tensors whose graphs can be printed, exported,
differentiated again and compiled like any other.
"""

from __future__ import annotations

import weakref

import numpy as np

from graphc import cuda
from graphc import functional as F
from graphc.gcpause import paused_gc
from graphc.graph import topological_order
from graphc.node import Node
from graphc.scopes import exact_scope, gradient_scope
from graphc.shapes import data_dependent, describe_size
from graphc.tensor import Tensor

# Leaves created with requires_grad=True, so backward() can find their tensors.
_LEAVES: weakref.WeakValueDictionary[Node, Tensor] = weakref.WeakValueDictionary()


def register_leaf(t: Tensor) -> None:
    _LEAVES[t._node] = t


def requires_grad_leaf(node: Node) -> bool:
    """Whether `node` is the leaf of a live tensor that requires gradients."""
    t = _LEAVES.get(node)
    return t is not None and t.requires_grad


def _as_list(value) -> tuple[list, bool]:
    if isinstance(value, (list, tuple)):
        return list(value), False
    return [value], True


def _vjp(outputs: list[Tensor], inputs: list[Tensor], cotangents: list[Tensor],
         allow_unused: bool, materialize_grads: bool) -> list[Tensor | None]:
    from graphc.passes.autodiff import vjp_nodes

    for out, cot in zip(outputs, cotangents):
        if tuple(cot.shape) != tuple(out.shape):
            raise ValueError(f"a cotangent of shape {list(cot.shape)} was given for an output of"
                             f" shape {list(out.shape)}")
    with paused_gc():
        nodes = vjp_nodes([o._node for o in outputs],
                          [F.cast(c, o.dtype)._node for o, c in zip(outputs, cotangents)],
                          [i._node for i in inputs])
    grads: list[Tensor | None] = []
    for k, (inp, node) in enumerate(zip(inputs, nodes)):
        if node is None:
            if materialize_grads:
                grads.append(F.zeros_like(inp))
                continue
            if not allow_unused:
                name = f" {inp.name!r}" if inp.name else ""
                raise ValueError(f"input {k}{name} is not used to compute the outputs; pass"
                                 " allow_unused=True (None) or materialize_grads=True (zeros)")
            grads.append(None)
        else:
            grads.append(Tensor(node))
    return grads


def _seed(output: Tensor) -> Tensor:
    """The cotangent 1 of a scalar output, built where autodiff builds its gradient."""
    with exact_scope(gradient_scope(output._node.scope)):
        return F.ones_like(output)


def grad(outputs, inputs, grad_outputs=None, *, allow_unused: bool = False,
         materialize_grads: bool = False):
    """Gradient graphs of the scalar `outputs` (or with explicit `grad_outputs`) w.r.t. `inputs`.

    Returns one tensor per input (a single tensor if `inputs` is one tensor).
    """
    outs, _ = _as_list(outputs)
    ins, single = _as_list(inputs)
    if grad_outputs is None:
        for o in outs:
            if o.ndim != 0:
                raise ValueError(f"grad of a non-scalar output (shape {list(o.shape)}) needs"
                                 " grad_outputs=, the cotangent to pull back")
        cots = [_seed(o) for o in outs]
    else:
        cots = [c if isinstance(c, Tensor) else F.tensor(c) for c in _as_list(grad_outputs)[0]]
    grads = _vjp(outs, ins, cots, allow_unused, materialize_grads)
    return grads[0] if single else grads


def value_and_grad(output: Tensor, inputs):
    """`(output, grad(output, inputs))`."""
    return output, grad(output, inputs)


def vjp(outputs, inputs, cotangents, *, allow_unused: bool = True):
    """Vector-Jacobian products: cotangents of `inputs` given those of `outputs`."""
    outs, _ = _as_list(outputs)
    ins, single = _as_list(inputs)
    cots = [c if isinstance(c, Tensor) else F.tensor(c) for c in _as_list(cotangents)[0]]
    grads = _vjp(outs, ins, cots, allow_unused, materialize_grads=True)
    return grads[0] if single else grads


def jvp(outputs, inputs, tangents):
    """Jacobian-vector products (forward mode), by transposing the linear map of vjp.

    `u -> J^T u` is linear in `u`, so pulling `tangents` back through it gives `J t`.
    """
    outs, single = _as_list(outputs)
    ins, _ = _as_list(inputs)
    tans = [t if isinstance(t, Tensor) else F.tensor(t) for t in _as_list(tangents)[0]]
    # The pullback is linear in `u`, so any point will do; u = 1, from a leaf of its own
    # (so no other node of the graph is it), broadcast to each output's shape, symbolic or not.
    dummies = [F.broadcast_to(Tensor(F.parameter_node(np.ones((), o.dtype.numpy))), tuple(o.shape))
               for o in outs]
    pulled = _vjp(outs, ins, dummies, allow_unused=True, materialize_grads=True)
    results = _vjp(pulled, dummies, [F.cast(t, p.dtype) for t, p in zip(tans, pulled)],
                   allow_unused=True, materialize_grads=True)
    return results[0] if single else results


def _refuse_data_dependent(shape, what: str) -> None:
    unknown = data_dependent(tuple(shape))
    if unknown:
        raise ValueError(f"{what} needs a static shape, but {list(shape)} has the"
                         f" {describe_size(unknown[0])}, whose value only the run knows")


def jacobian(output: Tensor, inputs):
    """d output / d input, of shape `output.shape + input.shape`.

    With static sizes, one vjp per output element; with symbolic ones, one vjp rebuilt over a
    batch of all the basis cotangents at once (passes/autodiff/batching.py)."""
    ins, single = _as_list(inputs)
    out_shape = tuple(output._node.shape)
    _refuse_data_dependent(out_shape, "jacobian")
    if not all(isinstance(d, int) for d in out_shape):
        jacs = _batched_jacobian(output, ins)
        return jacs[0] if single else jacs
    size = int(np.prod(out_shape, dtype=np.int64))
    flat = F.reshape(output, (size,))
    rows: list[list[Tensor]] = [[] for _ in ins]
    for k in range(size):
        basis = np.zeros(size, dtype=output.dtype.numpy)
        basis[k] = 1
        for j, g in enumerate(vjp(flat, ins, [F.tensor(basis)])):
            rows[j].append(g)
    jacs = [F.reshape(F.stack(r), out_shape + tuple(i._node.shape)) for r, i in zip(rows, ins)]
    return jacs[0] if single else jacs


def _batched_jacobian(output: Tensor, ins: list[Tensor]) -> list[Tensor]:
    """The jacobian of an output of symbolic size: its pullback of a stand-in cotangent, rebuilt
    with the identity matrix (one basis cotangent per row) in the stand-in's place."""
    from graphc.passes.autodiff.batching import batched
    from graphc.shapes import numel

    size = numel(output._node.shape)
    flat = F.reshape(output, (size,))
    stand_in = F.broadcast_to(Tensor(F.parameter_node(np.ones((), output.dtype.numpy))), (size,))
    pulled = _vjp([flat], ins, [stand_in], allow_unused=True, materialize_grads=True)
    with paused_gc():
        rows = batched([p._node for p in pulled], stand_in._node, _identity(size, output.dtype)._node)
    return [F.reshape(Tensor(r), (*output._node.shape, *i._node.shape)) for r, i in zip(rows, ins)]


def _identity(size, dtype) -> Tensor:
    """The size x size identity for a symbolic size: rows [1, 0, ..., 0] of length size + 1,
    read back as size + 1 rows of length size, put the ones on the diagonal; the last row goes."""
    first = F.pad_widths(F.ones(1, dtype=dtype), ((0, size),))
    return F.reshape(F.broadcast_to(first, (size, size + 1)), (size + 1, size))[:-1]


def hessian(output: Tensor, inputs):
    """Second derivatives of a scalar: the jacobian of its gradient."""
    ins, single = _as_list(inputs)
    hs = [jacobian(grad(output, i, materialize_grads=True), i) for i in ins]
    return hs[0] if single else hs


def backward(output: Tensor, gradient=None) -> None:
    """Accumulate d output / d leaf into `leaf.grad` for every leaf that requires gradients."""
    if not output.requires_grad:
        raise RuntimeError("backward() on a tensor that does not require gradients"
                           " (no input had requires_grad=True)")
    if gradient is None:
        if output.ndim != 0:
            raise RuntimeError(f"backward() of a non-scalar tensor (shape {list(output.shape)})"
                               " needs a gradient argument")
        gradient = _seed(output)
    elif not isinstance(gradient, Tensor):
        gradient = F.tensor(gradient)
    from graphc.inplace import check_unmodified

    check_unmodified(output._node)
    # A leaf updated in place under no_grad holds a new node; the graph may read its old one.
    nodes = [n for n in topological_order([output._node]) if n in _LEAVES and _LEAVES[n].requires_grad]
    grads = _vjp([output], [Tensor(n) for n in nodes], [gradient], allow_unused=True,
                 materialize_grads=False)
    pairs = [(_LEAVES[n], g) for n, g in zip(nodes, grads) if g is not None]
    for (leaf, _), value in zip(pairs, cuda.values_of([g._node for _, g in pairs])):
        if leaf.grad is not None:
            value = leaf.grad.cpu().numpy() + value
        leaf.grad = F.tensor(value, device=None if leaf.device == "cpu" else leaf.device)
