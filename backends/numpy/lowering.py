"""How each op becomes a NumPy expression: a table from op name to a template or function.

A template is a format string over the operand names `{0}, {1}, ...`; a function
gets `(operands, node, ctx)` and returns the expression. Attribute values reach the
code only as validated ints or through `ctx.ref(value)`, never as pasted text.
"""

from __future__ import annotations

from graphc.node import Node

NP_DTYPE = {"bool": "np.bool_", "uint8": "np.uint8", "int8": "np.int8", "int16": "np.int16",
            "int32": "np.int32", "int64": "np.int64", "float16": "np.float16",
            "bfloat16": "rt.bfloat16", "float32": "np.float32", "float64": "np.float64"}


def _ints(values) -> str:
    """A tuple literal of ints (validated as ints, so safe to paste)."""
    items = [str(int(v)) for v in values]
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def _pairs(widths, ctx) -> str:
    pairs = [f"({ctx.dim(lo)}, {ctx.dim(hi)})" for lo, hi in widths]
    return "(" + ", ".join(pairs) + ("," if len(pairs) == 1 else "") + ")"


def _int_or_none(v) -> str:
    return "None" if v is None else str(int(v))


def _keep_int(func: str):
    """floor/ceil/round are the identity on integers (NumPy would return floats)."""
    def lower(args, node: Node, ctx):
        return args[0] if node.dtype.category < 2 else f"{func}({args[0]})"
    return lower


def _reduce(func: str, accumulates: bool = False):
    """A reduction; sums, products and means of bfloat16 accumulate in float32 (as PyTorch),
    where NumPy's would in bfloat16 and stall at 256 ones."""
    def lower(args, node: Node, ctx):
        axes, keepdims = node.attr("axes"), node.attr("keepdims")
        call = f"{func}({args[0]}, axis={_ints(axes)}, keepdims={bool(keepdims)}"
        if accumulates and node.dtype.name == "bfloat16":
            return f"np.asarray({call}, dtype=np.float32)).astype(rt.bfloat16)"
        return call + ")"
    return lower


def _argreduce(func: str):
    def lower(args, node: Node, ctx):
        axis, keepdims = _int_or_none(node.attr("axis")), bool(node.attr("keepdims"))
        return f"{func}({args[0]}, axis={axis}, keepdims={keepdims})"
    return lower


def _scan(func: str):
    """cumsum/cumprod in the node's dtype (NumPy would widen int32 to int64)."""
    def lower(args, node: Node, ctx):
        return f"{func}({args[0]}, axis={int(node.attr('axis'))}, dtype={NP_DTYPE[node.dtype.name]})"
    return lower


def _shape(node: Node, ctx, attr: str = "shape") -> str:
    dims = [ctx.dim(d) for d in node.attr(attr)]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def _getitem(args, node: Node, ctx) -> str:
    return f"{args[0]}[{_index(node)}]"


def _setitem(args, node: Node, ctx) -> str:
    return f"rt.setitem({args[0]}, {args[1]}, np.s_[{_index(node)}])"


def _index(node: Node) -> str:
    """The subscript of a basic index (validated ints and None), `()` for an empty one."""
    parts = []
    for entry in node.attr("index"):
        if entry is None:
            parts.append("None")
        elif isinstance(entry, int):
            parts.append(str(int(entry)))
        else:
            start, stop, step = entry
            parts.append(f"{_int_or_none(start)}:{_int_or_none(stop)}:{_int_or_none(step)}")
    return ", ".join(parts) if parts else "()"


def _leaf_value(args, node: Node, ctx) -> str:
    return ctx.ref(node.attr("value").value, "c")


def _cast(args, node: Node, ctx) -> str:
    """A conversion; to and from bfloat16 through float32, as PyTorch's (and the compiled
    backends'): ml_dtypes' own integer conversions saturate or wrap in ways of their own."""
    src, dst = node.inputs[0].dtype.name, node.dtype.name
    if "bfloat16" in (src, dst) and "float32" not in (src, dst) and src != dst:
        return f"np.asarray({args[0]}).astype(np.float32).astype({NP_DTYPE[dst]})"
    return f"np.asarray({args[0]}).astype({NP_DTYPE[dst]})"


def _scalar(args, node: Node, ctx) -> str:
    return ctx.ref(node.dtype.numpy.type(node.attr("value")), "k")


def _kernel(args, node: Node, ctx) -> str:
    """A kernel's body becomes a function of its own, defined before the graph's, called here."""
    from graphc.backends.numpy.codegen import generate  # codegen imports this table

    fn = ctx.names.fresh("kernel_fn")
    source, namespace = generate(node.attr("body"), fn, names=ctx.names)
    ctx.functions.append(source)
    ctx.namespace.update(namespace)
    call = f"{fn}({', '.join(args)})"
    return call if len(node.attr("body").outputs) > 1 else f"{call}[0]"


LOWERING = {
    # leaves (placeholders are function arguments)
    "constant": _leaf_value,
    "parameter": _leaf_value,
    "scalar": _scalar,
    "arange": lambda a, n, ctx: (f"np.arange({ctx.ref(n.attr('start'))}, {ctx.ref(n.attr('stop'))},"
                                 f" {ctx.ref(n.attr('step'))}, dtype={NP_DTYPE[n.dtype.name]})"),
    "eye": lambda a, n, ctx: (f"np.eye({int(n.attr('n'))}, {int(n.attr('m'))},"
                              f" dtype={NP_DTYPE[n.dtype.name]})"),
    # unary
    "neg": "np.negative({0})",
    "abs": "np.abs({0})",
    "sign": lambda a, n, ctx: (f"np.sign({a[0]})" if n.dtype.name != "bfloat16"  # ml_dtypes keeps -0.0
                               else f"np.sign(np.asarray({a[0]}, np.float32)).astype(rt.bfloat16)"),
    "exp": "np.exp({0})",
    "log": "np.log({0})",
    "log1p": "np.log1p({0})",
    "expm1": "np.expm1({0})",
    "sqrt": "np.sqrt({0})",
    "rsqrt": "rt.rsqrt({0})",
    "sin": "np.sin({0})",
    "cos": "np.cos({0})",
    "tan": "np.tan({0})",
    "tanh": "np.tanh({0})",
    "sigmoid": "rt.sigmoid({0})",
    "relu": "rt.relu({0})",
    "floor": _keep_int("np.floor"),
    "ceil": _keep_int("np.ceil"),
    "round": _keep_int("np.round"),
    "erf": "rt.erf({0})",
    "logical_not": "np.logical_not({0})",
    "stop_gradient": "{0}",
    "cast": _cast,
    # binary
    "add": "np.add({0}, {1})",
    "sub": "np.subtract({0}, {1})",
    "mul": "np.multiply({0}, {1})",
    "div": "np.true_divide({0}, {1})",
    "floordiv": "np.floor_divide({0}, {1})",
    "mod": "np.mod({0}, {1})",
    "pow": "np.power({0}, {1})",
    "maximum": "np.maximum({0}, {1})",
    "minimum": "np.minimum({0}, {1})",
    "atan2": "np.arctan2({0}, {1})",
    "eq": "np.equal({0}, {1})",
    "ne": "np.not_equal({0}, {1})",
    "lt": "np.less({0}, {1})",
    "le": "np.less_equal({0}, {1})",
    "gt": "np.greater({0}, {1})",
    "ge": "np.greater_equal({0}, {1})",
    "logical_and": "np.logical_and({0}, {1})",
    "logical_or": "np.logical_or({0}, {1})",
    "where": "np.where({0}, {1}, {2})",
    # reductions
    "sum": _reduce("np.sum", accumulates=True),
    "prod": _reduce("np.prod", accumulates=True),
    "mean": _reduce("rt.mean", accumulates=True),
    "max": _reduce("np.max"),
    "min": _reduce("np.min"),
    "argmax": _argreduce("np.argmax"),
    "argmin": _argreduce("np.argmin"),
    # scans
    "cumsum": _scan("np.cumsum"),
    "cumprod": _scan("np.cumprod"),
    # shapes
    "reshape": lambda a, n, ctx: f"np.reshape({a[0]}, {_shape(n, ctx)})",
    "broadcast_to": lambda a, n, ctx: f"np.broadcast_to({a[0]}, {_shape(n, ctx)})",
    "transpose": lambda a, n, ctx: f"np.transpose({a[0]}, {_ints(n.attr('perm'))})",
    "flip": lambda a, n, ctx: f"np.flip({a[0]}, axis={_ints(n.attr('axes'))})",
    "pad": lambda a, n, ctx: (f"np.pad({a[0]}, {_pairs(n.attr('widths'), ctx)},"
                              f" constant_values={ctx.ref(n.attr('value'))})" if n.ndim else a[0]),
    "cat": lambda a, n, ctx: f"np.concatenate(({', '.join(a)},), axis={int(n.attr('axis'))})",
    "getitem": _getitem,
    "setitem": _setitem,
    "gather": lambda a, n, ctx: f"rt.gather({a[0]}, {a[1]}, {int(n.attr('dim'))})",
    "scatter": lambda a, n, ctx: (f"rt.scatter({a[0]}, {a[1]}, {a[2]}, {int(n.attr('dim'))},"
                                  f" {bool(n.attr('accumulate'))})"),
    "argsort": lambda a, n, ctx: f"rt.argsort({a[0]}, {int(n.attr('dim'))}, {bool(n.attr('descending'))})",
    "nonzero": "rt.nonzero({0})",
    # linear algebra
    "matmul": lambda a, n, ctx: (f"np.matmul({a[0]}, {a[1]})" if n.dtype.name != "bfloat16"  # ml_dtypes
                                 else f"np.matmul({a[0]}, {a[1]}).astype(rt.bfloat16)"),  # gives f32
    # fusion
    "kernel": _kernel,
    "result": lambda args, node, ctx: f"{args[0]}[{node.attr('index')}]",
}
