"""How each elementwise op becomes a CUDA C expression, with NumPy's semantics.

A table from op name to a function `(node, args) -> str`, where `args` are the C expressions
of the operands (in registers) and the result is an expression of the node's register type.
The helpers it names (`gc_floordiv`, `gc_to_i32`, ...) live in prelude.cuh. Values enter the
source only as literals made here from numbers (hexadecimal floats, so exactly), never as
text from the graph.

float16 and bfloat16 values are floats in registers, rounded to half precision (`gc_half`) or
to bfloat16 (`gc_bf16_round`) after each op that computes a new one; math functions are
CUDA's own at full accuracy (no fast math). uint8, int8 and int16 live in registers of their
own C type: every op's result is converted to it, so arithmetic wraps around as NumPy's.
"""

from __future__ import annotations

import math
import re

import numpy as np

from graphc import dtypes
from graphc.dtypes import DType
from graphc.kernel import half_power_possible
from graphc.node import Node

REGISTER = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short",
            "int32": "int", "int64": "long long", "float16": "float", "bfloat16": "float",
            "float32": "float", "float64": "double"}
MEMORY = {**REGISTER, "float16": "unsigned short", "bfloat16": "gc_bf16"}
SMALL_INTS = (dtypes.uint8, dtypes.int8, dtypes.int16)
# Dtypes the CUDA backend computes in: all of graphc's.
SUPPORTED = frozenset(REGISTER)


def register_type(dtype: DType) -> str:
    return REGISTER[dtype.name]


def memory_type(dtype: DType) -> str:
    return MEMORY[dtype.name]


def load(dtype: DType, expr: str) -> str:
    """An element read from memory, as a register value."""
    if dtype is dtypes.bfloat16:
        return f"gc_bf16_to_float({expr})"
    return f"gc_half_to_float({expr})" if dtype is dtypes.float16 else expr


def store(dtype: DType, expr: str) -> str:
    """A register value as the element written to memory."""
    if dtype is dtypes.bfloat16:
        return f"gc_float_to_bf16({expr})"
    return f"gc_float_to_half({expr})" if dtype is dtypes.float16 else expr


def literal(dtype: DType, value) -> str:
    """`value` as a C literal of `dtype`'s register type (exact: floats in hexadecimal)."""
    if dtype is dtypes.bool_:
        return "true" if value else "false"
    if dtype.category == 1:
        value = int(value)
        if dtype is dtypes.int32:
            return "GC_I32_MIN" if value == -2**31 else str(value)
        if dtype in SMALL_INTS:  # typed, so overloads of int helpers are not ambiguous
            return f"(({register_type(dtype)}){value})"
        return "GC_I64_MIN" if value == -2**63 else f"{value}LL"
    with np.errstate(over="ignore"):
        typed = dtype.numpy.type(value)  # rounded to the dtype, as the NumPy backend's scalars
    single = dtype is not dtypes.float64
    value = float(typed)
    if math.isnan(value) or math.isinf(value):  # by bits: C has no literal for them
        if single:
            return f"gc_f32_bits(0x{int(np.float32(value).view(np.uint32)):08x}u)"
        return f"gc_f64_bits(0x{int(np.float64(value).view(np.uint64)):016x}ull)"
    text = re.sub(r"\.?0*p", "p", value.hex())  # exact, including -0.0: "-0x0p+0"
    return text + ("f" if single else "")


def _float(node: Node) -> bool:
    return (node.inputs[0] if node.inputs else node).dtype.is_floating_point


def _half(node: Node, expr: str) -> str:
    """`expr` rounded to float16 (bfloat16) where the node computes float16 (bfloat16) values."""
    if node.dtype is dtypes.bfloat16:
        return f"gc_bf16_round({expr})"
    return f"gc_half({expr})" if node.dtype is dtypes.float16 else expr


def _math(name: str):
    """A CUDA math function: `sinf` for float32 and float16, `sin` for float64."""
    def lower(node, args):
        suffix = "" if node.inputs[0].dtype is dtypes.float64 else "f"
        return _half(node, f"{name}{suffix}({', '.join(args)})")
    return lower


def _arith(op: str, helper: str | None = None, bool_op: str | None = None):
    """Float arithmetic as C operators; integers through the wrapping helpers; bools logically."""
    def lower(node, args):
        dtype = node.inputs[0].dtype
        if dtype is dtypes.bool_:
            return f"({args[0]} {bool_op} {args[1]})"
        if dtype.is_floating_point:
            return _half(node, f"({args[0]} {op} {args[1]})")
        return f"{helper}({args[0]}, {args[1]})"
    return lower


def _neg(node, args):
    return f"(-{args[0]})" if _float(node) else f"gc_neg({args[0]})"


def _abs(node, args):
    if not _float(node):
        return f"gc_iabs({args[0]})"
    return f"fabs({args[0]})" if node.dtype is dtypes.float64 else f"fabsf({args[0]})"


def _sign(node, args):
    return f"gc_sign({args[0]})" if _float(node) else f"gc_isign({args[0]})"


def _rounding(name: str):
    """floor, ceil, round (half to even: rint): the identity on integers."""
    def lower(node, args):
        if not _float(node):
            return args[0]
        return f"{name}({args[0]})" if node.dtype is dtypes.float64 else f"{name}f({args[0]})"
    return lower


def _rsqrt(node, args):
    """1 / sqrt(x), each step rounded as NumPy's (the square root to float16 too)."""
    one = literal(node.dtype, 1.0)
    sqrt = "sqrt" if node.dtype is dtypes.float64 else "sqrtf"
    return _half(node, f"({one} / {_half(node, f'{sqrt}({args[0]})')})")


def _extremum(name: str, bool_op: str):
    def lower(node, args):
        if node.dtype is dtypes.bool_:
            return f"({args[0]} {bool_op} {args[1]})"
        half = "h" if node.dtype is dtypes.float16 else ""
        return f"gc_{half}{name}({args[0]}, {args[1]})"
    return lower


def _relu(node, args):
    if node.dtype is dtypes.float16:  # NumPy's maximum(x, 0) of float16 keeps -0.0
        return f"gc_hmaximum({args[0]}, 0.0f)"
    return f"gc_relu({args[0]})"


def _floordiv(node, args):
    if _float(node):
        return _half(node, f"gc_floordiv({args[0]}, {args[1]})")
    return f"gc_ifloordiv({args[0]}, {args[1]})"


def _mod(node, args):
    if _float(node):
        return _half(node, f"gc_mod({args[0]}, {args[1]})")
    return f"gc_imod({args[0]}, {args[1]})"


def _pow(node, args):
    if not _float(node):
        return f"gc_ipow({args[0]}, {args[1]})"
    power = _math("pow")(node, args)
    if not half_power_possible(node):
        return power
    root = _math("sqrt")(node, args[:1])
    return f"(({args[1]}) == 0.5 ? {root} : {power})"


def _sigmoid(node, args):
    return _half(node, f"gc_sigmoid({args[0]})")


def _cast(node, args):
    (x,) = args
    src, dst = node.inputs[0].dtype, node.dtype
    if src is dst:
        return x
    if dst is dtypes.bool_:
        return f"({x} != 0)"
    if src is dtypes.bool_:
        return f"({register_type(dst)}){x}"
    if dst is dtypes.float16:
        return f"gc_half({x})" if src.is_floating_point else f"gc_half((float){x})"
    if dst is dtypes.bfloat16:
        return f"gc_bf16_round({x})" if src.is_floating_point else f"gc_bf16_round((float){x})"
    if dst.is_floating_point:
        return f"({register_type(dst)}){x}"
    if src.is_floating_point:  # narrower integers through int32, wrapping as NumPy's on x86-64
        return f"gc_to_i64({x})" if dst is dtypes.int64 else f"({register_type(dst)})gc_to_i32({x})"
    return f"({register_type(dst)}){x}"


def _compare(symbol: str):
    def lower(node, args):
        return f"({args[0]} {symbol} {args[1]})"
    return lower


LOWERING = {
    "neg": _neg,
    "abs": _abs,
    "sign": _sign,
    "sqrt": _math("sqrt"),
    "rsqrt": _rsqrt,
    "relu": _relu,
    "floor": _rounding("floor"),
    "ceil": _rounding("ceil"),
    "round": _rounding("rint"),
    "logical_not": lambda n, a: f"(!{a[0]})",
    "stop_gradient": lambda n, a: a[0],
    "cast": _cast,
    "add": _arith("+", "gc_add", "||"),
    "sub": _arith("-", "gc_sub"),
    "mul": _arith("*", "gc_mul", "&&"),
    "div": _arith("/"),
    "floordiv": _floordiv,
    "mod": _mod,
    "pow": _pow,
    "maximum": _extremum("maximum", "||"),
    "minimum": _extremum("minimum", "&&"),
    "logical_and": lambda n, a: f"({a[0]} && {a[1]})",
    "logical_or": lambda n, a: f"({a[0]} || {a[1]})",
    "where": lambda n, a: f"({a[0]} ? {a[1]} : {a[2]})",
    "sigmoid": _sigmoid,
}
for _name in ("exp", "log", "log1p", "expm1", "sin", "cos", "tan", "tanh", "erf", "atan2"):
    LOWERING[_name] = _math(_name)
for _name, _symbol in dict(eq="==", ne="!=", lt="<", le="<=", gt=">", ge=">=").items():
    LOWERING[_name] = _compare(_symbol)


def can_lower(node: Node) -> bool:
    """True when this backend compiles `node` inside a kernel."""
    return node.op in LOWERING and all(
        t.name in SUPPORTED for t in (node.dtype, *(i.dtype for i in node.inputs)))
