"""The IR builder every math function is written with, bound to one float type.

Besides the arithmetic, comparisons and bit casts, it has the pieces the algorithms share:
Horner's scheme, 2^k from an integer k, and the error-free double-double steps.
"""

from __future__ import annotations

from llvmlite import ir

from graphc.backends.llvm.intrinsics import intrinsic
from graphc.backends.llvm.math.constants import DBL_MAX, FLT_MAX

F32 = ir.FloatType()
F64 = ir.DoubleType()


class Emitter:
    """An IR builder bound to one float or double type (scalar or vector): splatted constants,
    intrinsics, comparisons, and the error-free double-double steps. `precise` is False when the
    result will be rounded to float32, so cheaper approximations do."""

    def __init__(self, builder: ir.IRBuilder, ty: ir.Type, precise: bool = True):
        self.b = builder
        self.ty = ty
        self.precise = precise
        self.lanes = ty.count if isinstance(ty, ir.VectorType) else None
        self.single = (ty.element if self.lanes else ty) == F32
        self.ity = self._shaped(ir.IntType(32 if self.single else 64))
        self.mant, self.bias = (23, 127) if self.single else (52, 1023)

    def _shaped(self, elem: ir.Type) -> ir.Type:
        return ir.VectorType(elem, self.lanes) if self.lanes else elem

    def _const(self, ty: ir.Type, value) -> ir.Constant:
        if isinstance(ty, ir.VectorType):
            return ir.Constant(ty, [ir.Constant(ty.element, value)] * ty.count)
        return ir.Constant(ty, value)

    def pick(self, f64: list[float], f32: list[float]) -> list[float]:
        return f64 if self.precise else f32

    def c(self, value: float) -> ir.Constant:
        return self._const(self.ty, value)

    def i(self, value: int) -> ir.Constant:
        return self._const(self.ity, value)

    # arithmetic
    def add(self, a, b): return self.b.fadd(a, b)
    def sub(self, a, b): return self.b.fsub(a, b)
    def mul(self, a, b): return self.b.fmul(a, b)
    def div(self, a, b): return self.b.fdiv(a, b)
    def neg(self, a): return self.b.fneg(a)

    def intrinsic(self, name: str, *args):
        return intrinsic(self.b, name, list(args))

    def fma(self, a, b, c): return self.intrinsic("fma", a, b, c)
    def fabs(self, a): return self.intrinsic("fabs", a)
    def rint(self, a): return self.intrinsic("rint", a)
    def floor(self, a): return self.intrinsic("floor", a)
    def copysign(self, a, b): return self.intrinsic("copysign", a, b)
    def minnum(self, a, b): return self.intrinsic("minnum", a, b)
    def maxnum(self, a, b): return self.intrinsic("maxnum", a, b)

    def poly(self, x, coeffs: list[float]):
        """Horner's scheme, lowest-degree coefficient first (fmuladd: fused where the CPU can)."""
        acc = self.c(coeffs[-1])
        for coef in reversed(coeffs[:-1]):
            acc = self.intrinsic("fmuladd", acc, x, self.c(coef))
        return acc

    def horner(self, x, coeffs: list[float]):
        """Horner's scheme with explicit fused multiply-adds (the same rounding in every lane)."""
        acc = self.c(coeffs[-1])
        for coef in reversed(coeffs[:-1]):
            acc = self.fma(acc, x, self.c(coef))
        return acc

    # comparisons (ordered: false when either side is NaN) and selection
    def cmp(self, op: str, a, b): return self.b.fcmp_ordered(op, a, b)
    def isnan(self, a): return self.b.fcmp_unordered("uno", a, a)
    def isfinite(self, a): return self.cmp("<=", self.fabs(a), self.c(FLT_MAX if self.single else DBL_MAX))
    def select(self, cond, a, b): return self.b.select(cond, a, b)
    def and_(self, a, b): return self.b.and_(a, b)
    def or_(self, a, b): return self.b.or_(a, b)
    def not_(self, a): return self.b.not_(a)

    # bits
    def bits(self, a): return self.b.bitcast(a, self.ity)
    def from_bits(self, a): return self.b.bitcast(a, self.ty)
    def signbit(self, a): return self.b.icmp_signed("<", self.bits(a), self.i(0))
    def to_int(self, a): return self.b.fptosi(a, self.ity)
    def to_float(self, a): return self.b.sitofp(a, self.ty)

    def pow2(self, k):
        """2^k for an integer k in the normal exponent range ([-1022, 1023] for double)."""
        return self.from_bits(self.b.shl(self.b.add(k, self.i(self.bias)), self.i(self.mant)))

    def any_(self, mask):
        """True when some lane of the i1 mask is (the mask itself for scalars)."""
        if not self.lanes:
            return mask
        return intrinsic(self.b, "vector.reduce.or", [mask], result=ir.IntType(1))

    # error-free transformations
    def two_sum(self, a, b):
        """(s, e) with s = fl(a + b) and s + e = a + b exactly (Knuth)."""
        s = self.add(a, b)
        bb = self.sub(s, a)
        e = self.add(self.sub(a, self.sub(s, bb)), self.sub(b, bb))
        return s, e

    def fast_two_sum(self, a, b):
        """(s, e) with s + e = a + b exactly when |a| >= |b| (Dekker)."""
        s = self.add(a, b)
        return s, self.sub(b, self.sub(s, a))

    def two_prod(self, a, b):
        """(p, e) with p = fl(a * b) and p + e = a * b exactly (needs a fused multiply-add)."""
        p = self.mul(a, b)
        return p, self.fma(a, b, self.neg(p))
