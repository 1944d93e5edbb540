"""How each elementwise op becomes LLVM IR on scalars (the loop vectoriser widens them).

A table from op name to a function `(b, node, args) -> value`, where `b` is an
IRBuilder, `node` the IR node (for dtypes and attributes) and `args` the operand
values. Semantics follow NumPy: NaN propagates through maximum/minimum, integer
arithmetic wraps, bools are i1 in registers and one byte in memory.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir

from graphc import dtypes
from graphc.backends.llvm.intrinsics import intrinsic
from graphc.dtypes import DType
from graphc.kernel import half_power_possible
from graphc.node import Node

I1, I8, I16, I32, I64 = ir.IntType(1), ir.IntType(8), ir.IntType(16), ir.IntType(32), ir.IntType(64)
F32, F64 = ir.FloatType(), ir.DoubleType()
# bfloat16 computes in float32 registers, rounded to bfloat16 after each op (as PyTorch's CPU
# kernels and ml_dtypes' NumPy loops do), and is 16 bits in memory.
REGISTER = {"bool": I1, "uint8": I8, "int8": I8, "int16": I16, "int32": I32, "int64": I64,
            "bfloat16": F32, "float32": F32, "float64": F64}
MEMORY = {**REGISTER, "bool": I8, "bfloat16": I16}

# Dtypes the LLVM backend computes in; float16 stays with NumPy.
SUPPORTED = frozenset(REGISTER)


def register_type(dtype: DType) -> ir.Type:
    return REGISTER[dtype.name]


def memory_type(dtype: DType) -> ir.Type:
    return MEMORY[dtype.name]


def like(value: ir.Value, element: ir.Type) -> ir.Type:
    """`element`, or a vector of it as wide as `value` when `value` is a vector."""
    ty = value.type
    return ir.VectorType(element, ty.count) if isinstance(ty, ir.VectorType) else element


def constant(dtype: DType, value) -> ir.Constant:
    """An IR constant of `dtype` (values enter as typed constants, never as text)."""
    if dtype is dtypes.bool_:
        return ir.Constant(I1, int(bool(value)))
    if dtype.category == 1:
        return ir.Constant(register_type(dtype), int(value))
    return ir.Constant(register_type(dtype), float(dtype.numpy.type(value)))  # bfloat16: rounded


def _splat_constant(ty: ir.Type, element: ir.Type, value) -> ir.Constant:
    """A constant of `element`, or of a vector of it where `ty` is a vector."""
    if isinstance(ty, ir.VectorType):
        return ir.Constant(ir.VectorType(element, ty.count), [value] * ty.count)
    return ir.Constant(element, value)


def bfloat16_bits(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    """float32 `x` rounded to the nearest bfloat16 (ties to even), as its upper 16 bits in an i32;
    a NaN stays a (quiet) NaN."""
    bits = b.bitcast(x, like(x, I32))
    lsb = b.and_(b.lshr(bits, _splat_constant(x.type, I32, 16)), _splat_constant(x.type, I32, 1))
    rounded = b.add(b.add(bits, _splat_constant(x.type, I32, 0x7FFF)), lsb)
    quiet = b.or_(bits, _splat_constant(x.type, I32, 0x00400000))
    return b.lshr(b.select(b.fcmp_unordered("uno", x, x), quiet, rounded), _splat_constant(x.type, I32, 16))


def round_bfloat16(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    """float32 `x` rounded to bfloat16 precision, still a float32."""
    bits = b.shl(bfloat16_bits(b, x), _splat_constant(x.type, I32, 16))
    return b.bitcast(bits, x.type)


def to_bfloat16(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    """float32 `x` as bfloat16 in memory (i16)."""
    return b.trunc(bfloat16_bits(b, x), like(x, I16))


def from_bfloat16(b: ir.IRBuilder, v: ir.Value) -> ir.Value:
    """bfloat16 in memory (i16) as a float32 register (exact)."""
    wide = b.shl(b.zext(v, like(v, I32)), _splat_constant(v.type, I32, 16))
    return b.bitcast(wide, like(v, F32))


def _signed(dtype: DType) -> bool:
    return dtype is not dtypes.uint8 and dtype is not dtypes.bool_


class VectorText(ir.Constant):
    """A vector constant written as LLVM spells it whole (`splat (float 0.5)`, `poison`),
    not lane by lane: long kernels use many constants, and their text was a large part of
    the IR that is formatted and parsed."""

    def __init__(self, typ: ir.VectorType, text: str):
        self.type, self.constant = typ, text

    def _to_string(self) -> str:
        return self.constant

    def _get_reference(self) -> str:
        return self.constant


def splat_constant(c: ir.Constant, lanes: int) -> ir.Constant:
    """The scalar constant `c` in each of `lanes` lanes."""
    return VectorText(ir.VectorType(c.type, lanes), f"splat ({c})")


def _is_float(node: Node) -> bool:
    return node.inputs[0].dtype.is_floating_point if node.inputs else node.dtype.is_floating_point


def _transcendental(name: str):
    def lower(b, node, args):
        from graphc.backends.llvm import math as llvm_math

        return llvm_math.emit(b, name, *args)
    return lower


def _neg(b, node, args):
    (x,) = args
    return b.fneg(x) if _is_float(node) else b.neg(x)


def _abs(b, node, args):
    (x,) = args
    if _is_float(node):
        return intrinsic(b, "fabs", [x])
    if not _signed(node.dtype):
        return x
    return b.select(b.icmp_signed("<", x, ir.Constant(x.type, 0)), b.neg(x), x)


def _sign(b, node, args):
    (x,) = args
    zero = ir.Constant(x.type, 0.0 if _is_float(node) else 0)
    one = ir.Constant(x.type, 1.0 if _is_float(node) else 1)
    if _is_float(node):
        pos, neg = b.fcmp_ordered(">", x, zero), b.fcmp_ordered("<", x, zero)
        rest = b.select(b.fcmp_unordered("uno", x, x), x, zero)  # NaN stays NaN; -0.0 gives 0.0, as NumPy
        return b.select(pos, one, b.select(neg, b.fneg(one), rest))
    if not _signed(node.dtype):
        return b.zext(b.icmp_unsigned("!=", x, zero), x.type)
    pos, neg = b.icmp_signed(">", x, zero), b.icmp_signed("<", x, zero)
    return b.sub(b.zext(pos, x.type), b.zext(neg, x.type))


def _round(name: str):
    def lower(b, node, args):
        return intrinsic(b, name, args) if _is_float(node) else args[0]
    return lower


def _relu(b, node, args):
    (x,) = args
    if _is_float(node):
        return intrinsic(b, "maximum", [x, ir.Constant(x.type, 0.0)])
    if not _signed(node.dtype):
        return x
    return intrinsic(b, "smax", [x, ir.Constant(x.type, 0)])


def _sigmoid(b, node, args):
    from graphc.backends.llvm import math as llvm_math

    return llvm_math.emit(b, "sigmoid", *args)


def _rsqrt(b, node, args):
    (x,) = args
    return b.fdiv(ir.Constant(x.type, 1.0), intrinsic(b, "sqrt", [x]))


def _cast(b, node, args):
    (x,) = args
    src, dst = node.inputs[0].dtype, node.dtype
    if src is dst:
        return x
    to = like(x, register_type(dst))
    if dst is dtypes.bool_:
        zero = ir.Constant(x.type, 0.0 if src.is_floating_point else 0)
        return b.fcmp_unordered("!=", x, zero) if src.is_floating_point else b.icmp_unsigned("!=", x, zero)
    if src is dtypes.bool_ or src is dtypes.uint8:
        return b.uitofp(x, to) if dst.is_floating_point else _resize(b, x, to, signed=False)
    if src.is_floating_point and dst.is_floating_point:  # bfloat16's float32 rounds after the op
        width = {F32: 32, F64: 64}
        if width[to.element if isinstance(to, ir.VectorType) else to] == width[register_type(src)]:
            return x
        return b.fpext(x, to) if dst.itemsize > src.itemsize else b.fptrunc(x, to)
    if src.is_floating_point:
        return _float_to_int(b, x, to, dst)
    if dst.is_floating_point:
        return b.sitofp(x, to)
    return _resize(b, x, to, signed=True)


def _resize(b, x, to, signed: bool):
    """An integer converted to another width: extended (by sign or zeros) or truncated."""
    have, want = x.type, to
    if isinstance(have, ir.VectorType):
        have, want = have.element, to.element
    if want.width == have.width:
        return x
    if want.width < have.width:
        return b.trunc(x, to)
    return b.sext(x, to) if signed else b.zext(x, to)


def _float_to_int(b, x, to, dst):
    """Truncation where the result fits; else NumPy's result on x86, the most negative integer
    (NaN, inf and values out of range), where fptosi alone would give poison. Integers narrower
    than 32 bits convert through int32 and wrap, as NumPy's casts do on x86."""
    if dst.itemsize < 4:
        return b.trunc(_float_to_int(b, x, like(x, I32), dtypes.int32), to)
    info = np.iinfo(dst.numpy)
    above = b.fcmp_ordered(">", x, ir.Constant(x.type, float(info.min) - 1.0))
    below = b.fcmp_ordered("<", x, ir.Constant(x.type, float(info.max) + 1.0))
    return b.select(b.and_(above, below), b.fptosi(x, to), ir.Constant(to, info.min))


def _arith(float_op: str, int_op: str, bool_op: str | None = None, unsigned_op: str | None = None):
    def lower(b, node, args):
        dtype = node.inputs[0].dtype
        if dtype is dtypes.bool_ and bool_op:
            return getattr(b, bool_op)(*args)
        if dtype is dtypes.uint8 and unsigned_op:
            return getattr(b, unsigned_op)(*args)
        return getattr(b, float_op if dtype.is_floating_point else int_op)(*args)
    return lower


def _extremum(symbol: str, int_name: str, bool_op: str):
    def lower(b, node, args):
        dtype = node.inputs[0].dtype
        if dtype is dtypes.bool_:
            return getattr(b, bool_op)(*args)
        if not dtype.is_floating_point:
            return intrinsic(b, int_name if _signed(dtype) else "u" + int_name[1:], args)
        # NumPy's rule: x if x > y (x < y for minimum) or x is NaN, else y. NaN propagates,
        # and of two equal values (0.0 and -0.0) the second wins, where llvm.maximum would
        # order the zeros.
        x, y = args
        keep = b.or_(b.fcmp_ordered(symbol, x, y), b.fcmp_unordered("uno", x, x))
        return b.select(keep, x, y)
    return lower


def _compare(symbol: str):
    def lower(b, node, args):
        dtype = node.inputs[0].dtype
        if dtype.is_floating_point:
            if symbol == "!=":
                return b.fcmp_unordered(symbol, *args)  # NaN != NaN is true
            return b.fcmp_ordered(symbol, *args)
        if not _signed(dtype):
            return b.icmp_unsigned(symbol, *args)
        return b.icmp_signed(symbol, *args)
    return lower


LOWERING = {
    "neg": _neg,
    "abs": _abs,
    "sign": _sign,
    "sqrt": lambda b, n, a: intrinsic(b, "sqrt", a),
    "rsqrt": _rsqrt,
    "relu": _relu,
    "floor": _round("floor"),
    "ceil": _round("ceil"),
    "round": _round("roundeven"),
    "logical_not": lambda b, n, a: b.not_(a[0]),
    "stop_gradient": lambda b, n, a: a[0],
    "cast": _cast,
    "add": _arith("fadd", "add", "or_"),
    "sub": _arith("fsub", "sub"),
    "mul": _arith("fmul", "mul", "and_"),
    "div": _arith("fdiv", "sdiv", unsigned_op="udiv"),
    "maximum": _extremum(">", "smax", "or_"),
    "minimum": _extremum("<", "smin", "and_"),
    "eq": _compare("=="),
    "ne": _compare("!="),
    "lt": _compare("<"),
    "le": _compare("<="),
    "gt": _compare(">"),
    "ge": _compare(">="),
    "logical_and": lambda b, n, a: b.and_(*a),
    "logical_or": lambda b, n, a: b.or_(*a),
    "where": lambda b, n, a: b.select(*a),
    "sigmoid": _sigmoid,
}
for _name in ("exp", "log", "log1p", "expm1", "sin", "cos", "tan", "tanh", "erf", "atan2"):
    LOWERING[_name] = _transcendental(_name)


def _pow(b, node, args):
    """pow, and sqrt where NumPy computes that (graphc/kernel.py `half_power_possible`): a
    select that LLVM folds away when the exponent is a constant."""
    power = _transcendental("pow")(b, node, args)
    if not half_power_possible(node):
        return power
    x, y = args
    half = b.fcmp_ordered("==", y, _splat_constant(y.type, getattr(y.type, "element", y.type), 0.5))
    return b.select(half, intrinsic(b, "sqrt", [x]), power)


LOWERING["pow"] = _pow


def can_lower(node: Node) -> bool:
    """True when this backend compiles `node` inside a kernel (else NumPy runs it)."""
    if node.op not in LOWERING:
        return False
    types = [node.dtype] + [i.dtype for i in node.inputs]
    if any(t.name not in SUPPORTED for t in types):
        return False
    # Integer pow needs NumPy's error for negative exponents; keep it there.
    return not (node.op == "pow" and not node.dtype.is_floating_point)
