"""The math library: one function per op and type, declared in kernel modules and defined once.

`get` declares the function in a kernel's module, `library` builds the module that defines it
(its fast path, patched by the exact path where some lane needs it), `emit` calls it, and
`host_lanes` says how many lanes the host's vectors hold.
"""

from __future__ import annotations

from collections.abc import Callable

from llvmlite import ir

from graphc.backends.llvm.intrinsics import declare, intrinsic, type_suffix
from graphc.backends.llvm.math.emitter import F32, F64, Emitter
from graphc.backends.llvm.math.exp import erf, exp, expm1, sigmoid, tanh
from graphc.backends.llvm.math.fast import FAST_F32, FAST_F64
from graphc.backends.llvm.math.log import log, log1p, power
from graphc.backends.llvm.math.trig import atan2, cos, sin, tan


def _patch(e: Emitter, need, fast, slow: Callable[[], ir.Value]) -> ir.Value:
    """`fast`, with the lanes in `need` replaced by `slow()`, emitted in a block taken only when
    some lane needs it; the builder is left at the join block, whose phi is returned."""
    b = e.b
    start = b.block
    slow_block = b.append_basic_block("math.slow")
    join = b.append_basic_block("math.join")
    b.cbranch(e.any_(need), slow_block, join).set_weights([1, 64])
    b.position_at_end(slow_block)
    value = slow()
    if e.lanes:
        value = b.select(need, value, fast)
    end = b.block
    b.branch(join)
    b.position_at_end(join)
    phi = b.phi(fast.type)
    phi.add_incoming(fast, start)
    phi.add_incoming(value, end)
    return phi


MATH: dict[str, Callable[..., ir.Value]] = {
    "exp": exp, "expm1": expm1, "log": log, "log1p": log1p,
    "sin": sin, "cos": cos, "tan": tan, "tanh": tanh, "sigmoid": sigmoid, "erf": erf,
    "pow": power, "atan2": atan2,
}
ARITY = {"pow": 2, "atan2": 2}


def _type_suffix(ty: ir.Type) -> str:
    """The type in a math function's symbol ("f64", "v8f32"): float or double values only."""
    if (ty.element if isinstance(ty, ir.VectorType) else ty) not in (F32, F64):
        raise TypeError(f"graphc math functions take float or double values, not {ty}")
    return type_suffix(ty)


def _body(builder: ir.IRBuilder, name: str, ty: ir.Type, args) -> ir.Value:
    """Emit math op `name` on `args` of type `ty`: the fast path, patched by the exact code."""
    single = (ty.element if isinstance(ty, ir.VectorType) else ty) == F32

    def exact():
        if not single:
            return MATH[name](Emitter(builder, ty), *args)
        wide = ir.VectorType(F64, ty.count) if isinstance(ty, ir.VectorType) else F64
        result = MATH[name](Emitter(builder, wide, precise=False), *(builder.fpext(a, wide) for a in args))
        return builder.fptrunc(result, ty)

    fast = (FAST_F32 if single else FAST_F64).get(name)
    if fast is None:
        return exact()
    e = Emitter(builder, ty, precise=not single)
    y, need = fast(e, *args)
    return y if need is None else _patch(e, need, y, exact)


_DECLARED: dict[str, tuple[str, ir.Type]] = {}  # symbol -> (op name, type), for `library`


def _signature(name: str, ty: ir.Type) -> ir.FunctionType:
    """`sincos` returns sin and cos side by side (twice the lanes); the others, one `ty`."""
    result = ty
    if name == "sincos" and isinstance(ty, ir.VectorType):
        result = ir.VectorType(ty.element, 2 * ty.count)
    elif name == "sincos":
        result = ir.VectorType(ty, 2)
    return ir.FunctionType(result, [ty] * ARITY.get(name, 1))


def get(module: ir.Module, name: str, ty: ir.Type) -> ir.Function:
    """The declaration, in `module`, of the function computing math op `name` on values of
    type `ty`; `library` defines it, once per process (jit.link_math)."""
    if name not in ("sqrt", "sincos") and name not in MATH:
        raise KeyError(f"unknown math function {name!r}; known: sqrt, sincos, {', '.join(sorted(MATH))}")
    symbol = f"graphc.math.{name}.{_type_suffix(ty)}"
    fn = declare(module, symbol, _signature(name, ty))
    fn.attributes.add("nounwind")
    _DECLARED[symbol] = (name, ty)
    return fn


def library(symbol: str, triple: str) -> str:
    """The text of a module defining the math function `symbol` that `get` declared."""
    name, ty = _DECLARED[symbol]
    module = ir.Module(symbol)
    module.triple = triple
    fn = ir.Function(module, _signature(name, ty), symbol)
    fn.attributes.add("nounwind")
    builder = ir.IRBuilder(fn.append_basic_block("entry"))
    if name == "sincos":  # the optimiser merges the two functions' common work (the reduction)
        s = _body(builder, "sin", ty, fn.args)
        c = _body(builder, "cos", ty, fn.args)
        if not isinstance(ty, ir.VectorType):
            s, c = (builder.insert_element(ir.Constant(ir.VectorType(ty, 1), ir.Undefined), v,
                                           ir.Constant(ir.IntType(32), 0)) for v in (s, c))
        width = 2 * (ty.count if isinstance(ty, ir.VectorType) else 1)
        builder.ret(builder.shuffle_vector(s, c, ir.Constant(ir.VectorType(ir.IntType(32), width),
                                                             list(range(width)))))
    elif name == "sqrt":
        builder.ret(intrinsic(builder, "sqrt", list(fn.args)))
    else:
        builder.ret(_body(builder, name, ty, fn.args))
    return str(module)


def emit(builder: ir.IRBuilder, name: str, *args: ir.Value) -> ir.Value:
    """Emit math op `name` (exp, log, ..., sqrt) on scalar or vector `args` at the builder's
    position: a call of the library function, whose fast and exact paths branch inside."""
    return builder.call(get(builder.module, name, args[0].type), args)


def host_lanes(ty: ir.Type) -> int:
    """Vector lanes of float or double in the host CPU's widest vector register (512 bits with
    AVX-512F, else 256 with AVX, else 128)."""
    import llvmlite.binding as llvm

    features = llvm.get_host_cpu_features()
    bits = 512 if features.get("avx512f") else 256 if features.get("avx") else 128
    return bits // (32 if ty == F32 else 64)
