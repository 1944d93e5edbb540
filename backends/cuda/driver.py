"""The host side of a compiled graph: a generated Python function that enqueues its kernels.

The NumPy backend's code generator writes it (backends/numpy/codegen.py), with this table of
lowerings for what a fused graph holds: kernel calls, leaves (uploaded), views (DeviceArray
methods), and the ops outside kernels (backends/cuda/outside.py, cuBLAS). Every call in it
enqueues work on the device's stream and returns at once; `dev` is the executable's device.
Values reach the code as references (`ctx.ref`) or validated ints, never as pasted text.
"""

from __future__ import annotations

import numpy as np

from graphc.backends.cuda import cublas, outside, support
from graphc.backends.numpy.lowering import LOWERING as NUMPY_LOWERING
from graphc.kernel import REDUCE_OPS, VIEW_OPS
from graphc.node import Node

DEVICE = "dev"  # the name of the device in the generated function's globals
FRESH = frozenset({"kernel", "result", "matmul", "cat", "pad", "argmax", "argmin",
                   "setitem", "gather", "scatter", "argsort", "cumsum", "cumprod", "nonzero"})


def _function(ctx, function, name: str) -> str:
    """The driver's name for one of this backend's functions: one global per function."""
    named = vars(ctx).setdefault("cuda_functions", {})
    if name not in named:
        named[name] = ctx.ref(function, name)
    return named[name]


def _leaf(make_array):
    def lower(args, node: Node, ctx) -> str:
        return f"{ctx.ref(outside.Constant(make_array(node)), 'c')}.get({DEVICE})"
    return lower


def _parameter(args, node: Node, ctx) -> str:
    return f"{ctx.ref(outside.Parameter(node.attr('value')), 'p')}.get({DEVICE})"


def _call(function, hint: str):
    """`function(operands...)` for an op with no attributes."""
    def lower(args, node: Node, ctx) -> str:
        return f"{_function(ctx, function, hint)}({', '.join(args)})"
    return lower


def _shape(node: Node, ctx, attr: str = "shape") -> str:
    dims = [ctx.dim(d) for d in node.attr(attr)]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def _ints(values) -> str:
    items = [str(int(v)) for v in values]
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def _pad(args, node: Node, ctx) -> str:
    if not node.ndim:
        return args[0]
    widths = ", ".join(f"({ctx.dim(lo)}, {ctx.dim(hi)})" for lo, hi in node.attr("widths"))
    return (f"{_function(ctx, outside.pad, 'pad')}({args[0]}, ({widths},),"
            f" {ctx.ref(node.dtype.numpy.type(node.attr('value')), 'k')})")


def _argreduce(args, node: Node, ctx) -> str:
    axis = node.attr("axis")
    return (f"{_function(ctx, support.argreduce, 'argreduce')}({node.op!r}, {args[0]},"
            f" {'None' if axis is None else int(axis)}, {bool(node.attr('keepdims'))},"
            f" {node.inputs[0].dtype.name!r}, {ctx.ref(str(node.location), 'where')})")


def _scan(args, node: Node, ctx) -> str:
    return f"{_function(ctx, support.scan, 'scan')}({node.op!r}, {args[0]}, {int(node.attr('axis'))})"


VIEWS = {
    "reshape": lambda a, n, ctx: f"{a[0]}.reshape({_shape(n, ctx)})",
    "broadcast_to": lambda a, n, ctx: f"{a[0]}.broadcast_to({_shape(n, ctx)})",
    "transpose": lambda a, n, ctx: f"{a[0]}.transpose({_ints(n.attr('perm'))})",
    "flip": lambda a, n, ctx: f"{a[0]}.flip({_ints(n.attr('axes'))})",
    "getitem": lambda a, n, ctx: f"{a[0]}.index({ctx.ref(n.attr('index'), 'index')})",
}


def lowering(kernel_calls: dict) -> dict:
    """The driver's lowering table; `kernel_calls` maps each kernel node to its KernelCall."""
    def kernel(args, node: Node, ctx) -> str:
        call = kernel_calls[node]
        body = node.attr("body")
        exprs = dict(zip(body.inputs, args))
        for n in body.nodes:
            if n.op in VIEW_OPS:
                exprs[n] = VIEWS[n.op]([exprs[n.inputs[0]]], n, ctx)
        operands = ", ".join([DEVICE, *(exprs[o.node] for o in call.spec.operands)])
        return f"{ctx.ref(call, call.spec.name)}({operands})"

    table = {
        "constant": _leaf(lambda n: n.attr("value").value),
        "parameter": _parameter,
        "scalar": _leaf(lambda n: np.asarray(n.attr("value"), n.dtype.numpy)),
        "arange": _leaf(lambda n: np.arange(n.attr("start"), n.attr("stop"), n.attr("step"),
                                            dtype=n.dtype.numpy)),
        "eye": _leaf(lambda n: np.eye(n.attr("n"), n.attr("m"), dtype=n.dtype.numpy)),
        **VIEWS,
        "pad": _pad,
        "cat": lambda a, n, ctx: f"{_function(ctx, outside.cat, 'cat')}(({', '.join(a)},),"
                                 f" {int(n.attr('axis'))})",
        "matmul": _call(cublas.matmul, "matmul"),
        "argmax": _argreduce,
        "argmin": _argreduce,
        "setitem": lambda a, n, ctx: (f"{_function(ctx, outside.setitem, 'setitem')}({a[0]}, {a[1]},"
                                      f" {ctx.ref(n.attr('index'), 'index')})"),
        "gather": lambda a, n, ctx: (f"{_function(ctx, support.gather, 'gather')}({a[0]}, {a[1]},"
                                     f" {int(n.attr('dim'))})"),
        "scatter": lambda a, n, ctx: (f"{_function(ctx, support.scatter, 'scatter')}({', '.join(a)},"
                                      f" {int(n.attr('dim'))}, {bool(n.attr('accumulate'))})"),
        "argsort": lambda a, n, ctx: (f"{_function(ctx, support.argsort, 'argsort')}({a[0]},"
                                      f" {int(n.attr('dim'))}, {bool(n.attr('descending'))},"
                                      f" {n.inputs[0].dtype.name!r})"),
        "cumsum": _scan,
        "cumprod": _scan,
        "nonzero": _call(support.nonzero, "nonzero"),
        "kernel": kernel,
        "result": NUMPY_LOWERING["result"],
        "stop_gradient": "{0}",
    }
    table.update((op, _over_no_axes) for op in REDUCE_OPS)
    return table


def _over_no_axes(args, node: Node, ctx) -> str:
    """A reduction over no axes is its operand (fuse leaves only those outside kernels)."""
    if node.attr("axes"):
        raise ValueError(f"the CUDA backend reduces only inside kernels, not {node.op} at {node.location}")
    return args[0]
