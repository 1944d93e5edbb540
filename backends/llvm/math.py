"""Vectorisable transcendental functions for the LLVM backend, emitted as LLVM IR.

Each function has an exact path: straight-line code (a range reduction, a polynomial, and
`select` for special values: inf, NaN, signed zeros, overflow, underflow), in double-double steps
where float64 needs more than 53 bits; float32 evaluates it in float64 on the widened argument
and rounds once. Most functions also have a fast path for the common range (native float32
arithmetic with FMA and exact Cody-Waite reductions for float32; no Payne-Hanek and no clamping
for float64) and a mask of the lanes outside it: the exact path runs in its own block, entered
only when some lane of the vector (or the scalar) needs it, and is merged by `select` and a phi.
Every lane computes the same operations either way, so vector and scalar calls agree bit for bit.

Use ``emit(builder, "exp", x)`` with scalar or vector ``float``/``double`` values: it calls
``get(module, "exp", x.type)``, an internal ``noinline`` function created once per module
and called from every kernel (inlining it into each caller multiplied LLVM's compile time and
did not make loops faster); the builder stays where it was.
``host_lanes`` gives the host's vector width for a type.

Polynomial coefficients are Chebyshev fits (``mpmath.chebyfit``, 50 digits) of the named
function on the named interval, rounded to double (or float32 for the float32 fast paths); the
``*_F32`` sets used in float64 aim at 1e-10 relative error, enough for a float32 result.
"""

from __future__ import annotations

import functools
import math
import struct
from collections.abc import Callable

from graphc.backends.llvm.intrinsics import declare, intrinsic
from llvmlite import ir

F32 = ir.FloatType()
F64 = ir.DoubleType()

# ln2 = LN2_HI + LN2_LO with LN2_HI on 42 bits, so k * LN2_HI is exact for |k| < 2^11.
LN2_HI = float.fromhex("0x1.62e42fefa3800p-1")
LN2_LO = float.fromhex("0x1.ef35793c76730p-45")
INV_LN2 = float.fromhex("0x1.71547652b82fep+0")
# pi/2 = P1 + P2 + P3 + P4, the first three on 33 bits: k * Pi is exact for |k| < 2^20.
PIO2_1 = float.fromhex("0x1.921fb54400000p+0")
PIO2_2 = float.fromhex("0x1.0b4611a600000p-34")
PIO2_3 = float.fromhex("0x1.3198a2e000000p-69")
PIO2_4 = float.fromhex("0x1.b839a252049c1p-104")
# pi/2, pi, pi/4 and 2/3 as double-doubles.
PIO2_H = float.fromhex("0x1.921fb54442d18p+0")
PIO2_L = float.fromhex("0x1.1a62633145c07p-54")
PI_H = 2 * PIO2_H
PI_L = 2 * PIO2_L
PIO4_H = PIO2_H / 2
PIO4_L = PIO2_L / 2
TWO_THIRDS_H = float.fromhex("0x1.5555555555555p-1")
TWO_THIRDS_L = float.fromhex("0x1.5555555555555p-55")
TWO_OVER_PI = float.fromhex("0x1.45f306dc9c883p-1")
TAN_PI_8 = 0.41421356237309503
DBL_MAX = 1.7976931348623157e308
FLT_MAX = 3.4028234663852886e38
SQRT_HALF_BITS = 0x3FE6A09E667F3BCD
CODY_WAITE_LIMIT = 2.0**20  # beyond it sin/cos/tan use the Payne-Hanek reduction
PH_MIN_EXP = 20  # smallest binary exponent the 2/pi table covers

# (expm1(r) - r - r^2/2) / r^3 on |r| <= ln2/2.
EXPM1 = [0.16666666666666669, 0.041666666666666664, 0.008333333333330065, 0.0013888888888886554,
         0.00019841269863040545, 2.4801587317135164e-05, 2.7557268480310024e-06, 2.755728298405588e-07,
         2.5100375832561234e-08, 2.091122972975856e-09]
# (2 atanh(s) - 2s) / s^3 as a polynomial in z = s^2, |s| <= (sqrt2 - 1) / (sqrt2 + 1).
LOG = [0.6666666666666666, 0.4000000000000088, 0.2857142857080323, 0.2222222239180047,
       0.18181795630884753, 0.15386240205813478, 0.13268759668560612, 0.13086767009948175]
# (sin(x) - x) / x^3 and (cos(x) - 1 + x^2/2) / x^4 in z = x^2, |x| <= pi/4.
SIN = [-0.16666666666666666, 0.008333333333330925, -0.00019841269836722418, 2.755731608381636e-06,
       -2.5051127944014188e-08, 1.5917848524808262e-10]
COS = [0.041666666666666664, -0.0013888888888887382, 2.480158729874307e-05, -2.7557317260008837e-07,
       2.0876143827993133e-09, -1.1382456778061306e-11]
# (atan(u) - u) / u^3 in z = u^2, |u| <= tan(pi/8).
ATAN = [-0.3333333333333333, 0.19999999999995513, -0.1428571428466482, 0.11111111015117626,
        -0.09090904572487347, 0.07692183059894114, -0.06664509603255386, 0.05858132894427922,
        -0.05085365922344248, 0.03922923713835943, -0.01917392228554793]
# erf(x) / x in z = x^2, |x| <= 1.
ERF = [1.1283791670955126, -0.3761263890318375, 0.11283791670954879, -0.026866170645076792,
       0.0052239776248180145, -0.000854832698083379, 0.0001205533111164271, -1.4925595266831182e-05,
       1.6461000484121368e-06, -1.6350312701054695e-07, 1.4659775274047436e-08, -1.1372848856791674e-09,
       5.957176147748911e-11]
# erfc(x) * exp(x^2) in t = 1/(1+x) - ERFC_CENTER, 1 <= x <= 6.
ERFC_CENTER = 0.32142857142857145
ERFC = [0.24402507744132426, 0.949037442927304, 0.5163801198196042, -0.3811531311273213,
        -0.3045864623326312, 0.5935016828401207, -0.08091629546199382, -0.8426429367166558,
        1.169262132718876, 0.0063632781202381, -2.4372049955166313, 4.011268331561231,
        -1.3840165051361675, -7.2763311438932545, 18.04691824149723, -17.77945281797666,
        -15.712261017491176, 85.60234149078974, -92.37507978609202, -31.44545856580807]

EXPM1_F32 = [0.16666666681614256, 0.041666666681610176, 0.008333310934448869, 0.0013888866495891856,
             0.00019890980869750327, 2.485128815112762e-05]
LOG_F32 = [0.6666666655445165, 0.40000121876972, 0.2855081659971155, 0.23330581938241893]
SIN_F32 = [-0.16666666663832763, 0.008333331865959415, -0.00019840082012765537, 2.7249314054698804e-06]
COS_F32 = [0.0416666666643024, -0.0013888887664713619, 2.4800596435621998e-05, -2.7300448619488353e-07]
ATAN_F32 = [-0.3333333327919426, 0.1999997723777395, -0.1428415006563401, 0.11071344117900768,
            -0.08624520273456275, 0.05047736342027177]
ERF_F32 = [1.1283791670615435, -0.3761263846802871, 0.11283782495236845, -0.026865430727670243,
           0.005221031807858023, -0.0008484080405535107, 0.00011265959025606609, -9.667044571486996e-06]
ERFC_F32 = [0.24402507744132426, 0.9490374440978344, 0.5163801198553972, -0.38115386826741615,
            -0.3045864790384868, 0.5936324799859745, -0.08091596379931766, -0.8522108774660901,
            1.1696174293101156, 0.3193117508462628, -2.4745985884469626]
# (2/pi * 2^(16a)) mod 4 for a = 0..6 as c0 (truncated to multiples of 2^-51) + c1: the float32
# reduction table, small enough to pick from by `select`.
TWO_OVER_PI_F32 = [(float.fromhex(h), float.fromhex(lo)) for h, lo in [
    ("0x1.45f306dc9c880p-1", "0x1.529fc2757d1f5p-52"), ("0x1.836e4e441529ep+0", "0x1.c2757d1f534dep-52"),
    ("0x1.27220a94fe13ap+1", "0x1.7d1f534ddc0dbp-52"), ("0x1.529fc2757d1e0p-4", "0x1.534ddc0db6296p-52"),
    ("0x1.fc2757d1f534cp+0", "0x1.dc0db6295993cp-52"), ("0x1.abe8fa9a6ee06p+1", "0x1.b6295993c4390p-52"),
    ("0x1.f534ddc0db628p+0", "0x1.5993c439041fep-52")]]


class _Emit:
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


# --- exp family ---------------------------------------------------------------------------

def _expm1_poly(e: _Emit, r):
    """expm1(r) for |r| <= ln2/2: r + r^2/2 + r^3 * P(r), P of degree 9."""
    r2 = e.mul(r, r)
    tail = e.add(e.mul(e.c(0.5), r2), e.mul(r2, e.mul(r, e.poly(r, e.pick(EXPM1, EXPM1_F32)))))
    return e.add(r, tail)


def _reduce_ln2(e: _Emit, x, lo: float, hi: float):
    """Cody-Waite reduction: x clamped to [lo, hi] = k ln2 + r, |r| <= ln2/2; returns (k, r)."""
    xc = e.minnum(e.maxnum(x, e.c(lo)), e.c(hi))
    k = e.rint(e.mul(xc, e.c(INV_LN2)))
    r = e.sub(xc, e.mul(k, e.c(LN2_HI)))  # exact
    return k, e.sub(r, e.mul(k, e.c(LN2_LO)))


def _scale(e: _Emit, p, k):
    """p * 2^k for an integral double k in [-1077, 1025], in two exact steps so that a subnormal
    result is rounded once and a large one overflows to inf."""
    ki = e.to_int(k)
    k1 = e.b.ashr(ki, e.i(1))
    return e.mul(e.mul(p, e.pow2(k1)), e.pow2(e.b.sub(ki, k1)))


def _exp_dd(e: _Emit, x, xlo=None):
    """exp(x + xlo): Cody-Waite reduction by ln2, degree-12 polynomial, scaling by 2^k."""
    k, r = _reduce_ln2(e, x, -746.0, 710.0)
    if xlo is not None:  # irrelevant, and maybe huge, where x itself over- or underflows
        r = e.add(r, e.select(e.cmp("<", e.fabs(x), e.c(746.0)), xlo, e.c(0.0)))
    y = _scale(e, e.add(e.c(1.0), _expm1_poly(e, r)), k)
    return e.select(e.isnan(x), x, y)


def _exp(e: _Emit, x):
    """exp: Cody-Waite reduction by ln2, degree-12 polynomial, scaling by 2^k (see _exp_dd)."""
    return _exp_dd(e, x)


def _expm1(e: _Emit, x):
    """expm1: reduction x = k ln2 + r as in exp, then (2^k - 1) + 2^k expm1(r), where both terms
    are exact up to the final rounding; 2^k (1 + expm1(r)) once 2^k - 1 is 2^k."""
    k, r = _reduce_ln2(e, x, -40.0, 710.0)
    em = _expm1_poly(e, r)
    t = e.pow2(e.to_int(e.minnum(k, e.c(56.0))))
    small = e.add(e.sub(t, e.c(1.0)), e.mul(t, em))
    big = _scale(e, e.add(e.c(1.0), em), k)
    y = e.select(e.cmp(">", k, e.c(56.0)), big, small)
    y = e.select(e.cmp("<", e.fabs(x), e.c(2.0**-54)), x, y)
    return e.select(e.isnan(x), x, y)


def _tanh(e: _Emit, x):
    """tanh: t = expm1(2|x|), tanh|x| = t / (t + 2), which damps the error of t; sign restored."""
    ax = e.minnum(e.fabs(x), e.c(22.0))  # tanh(22) rounds to 1
    t = _expm1(e, e.mul(e.c(2.0), ax))
    y = e.copysign(e.div(t, e.add(t, e.c(2.0))), x)
    y = e.select(e.cmp("<", e.fabs(x), e.c(2.0**-28)), x, y)
    return e.select(e.isnan(x), x, y)


def _sigmoid(e: _Emit, x):
    """sigmoid: with t = exp(-|x|), 1 / (1 + t) for x >= 0 and t / (1 + t) below: never overflows."""
    t = _exp(e, e.neg(e.fabs(x)))
    d = e.add(e.c(1.0), t)
    return e.select(e.cmp(">=", x, e.c(0.0)), e.div(e.c(1.0), d), e.div(t, d))


# --- log family ---------------------------------------------------------------------------

def _log_split(e: _Emit, x):
    """x > 0 as 2^k * m with m in [sqrt(2)/2, sqrt(2)); returns (k as a double, f = m - 1 exactly)."""
    tiny = e.cmp("<", x, e.c(2.0**-1022))
    xs = e.select(tiny, e.mul(x, e.c(2.0**54)), x)
    bits = e.bits(xs)
    k = e.b.ashr(e.b.sub(bits, e.i(SQRT_HALF_BITS)), e.i(52))
    m = e.from_bits(e.b.sub(bits, e.b.shl(k, e.i(52))))
    kd = e.sub(e.to_float(k), e.select(tiny, e.c(54.0), e.c(0.0)))
    return kd, e.sub(m, e.c(1.0))


def _log1p_kernel(e: _Emit, k, f, c):
    """k ln2 + log1p(f) + c with s = f / (2 + f), log1p(f) = 2 atanh(s) = f - (f^2/2 - s (f^2/2 + R))."""
    s = e.div(f, e.add(e.c(2.0), f))
    z = e.mul(s, s)
    big_r = e.mul(z, e.poly(z, e.pick(LOG, LOG_F32)))
    hfsq = e.mul(e.c(0.5), e.mul(f, f))
    low = e.add(e.mul(s, e.add(hfsq, big_r)), e.add(e.mul(k, e.c(LN2_LO)), c))
    return e.add(e.mul(k, e.c(LN2_HI)), e.sub(f, e.sub(hfsq, low)))


def _log_specials(e: _Emit, x, y, at_zero):
    """log-like special values: NaN below zero and for NaN, -inf at `at_zero`, inf at inf."""
    y = e.select(e.cmp("==", x, e.c(math.inf)), x, y)
    y = e.select(e.cmp("==", x, e.c(at_zero)), e.c(-math.inf), y)
    return e.select(e.or_(e.cmp("<", x, e.c(at_zero)), e.isnan(x)), e.c(math.nan), y)


def _log(e: _Emit, x):
    """log: x = 2^k m, m in [sqrt(2)/2, sqrt(2)), log m = 2 atanh((m-1)/(m+1)), degree-7 polynomial in s^2."""
    k, f = _log_split(e, x)
    return _log_specials(e, x, _log1p_kernel(e, k, f, e.c(0.0)), 0.0)


def _log1p(e: _Emit, x):
    """log1p: log(u) for u = fl(1 + x) as in log, plus the correction (1 + x - u) / u."""
    u = e.add(e.c(1.0), x)
    exact = e.select(e.cmp(">=", u, e.c(2.0)), e.sub(e.c(1.0), e.sub(u, x)), e.sub(x, e.sub(u, e.c(1.0))))
    k, f = _log_split(e, u)
    y = _log_specials(e, x, _log1p_kernel(e, k, f, e.div(exact, u)), -1.0)
    return e.select(e.cmp("<", e.fabs(x), e.c(2.0**-54)), x, y)


def _log_dd(e: _Emit, ax):
    """log(ax) for ax >= 0 as a double-double (about 2^-64 relative), as in log with the leading
    terms 2s and 2s^3/3 of the series kept in double-double."""
    k, f = _log_split(e, ax)
    dh, dl = e.fast_two_sum(e.c(2.0), f)
    sh = e.div(f, dh)
    sl = e.div(e.sub(e.fma(e.neg(sh), dh, f), e.mul(sh, dl)), dh)  # s = sh + sl = f / (2 + f)
    z = e.mul(sh, sh)
    tail = e.mul(e.mul(sh, e.mul(z, z)), e.poly(z, LOG[1:]))  # 2s^5/5 + ...
    zh, zl = e.two_prod(sh, sh)
    ch, cl = e.two_prod(zh, sh)
    cl = e.add(cl, e.mul(zl, sh))  # s^3 = ch + cl
    mh, ml = e.two_prod(ch, e.c(TWO_THIRDS_H))
    ml = e.add(ml, e.add(e.mul(ch, e.c(TWO_THIRDS_L)), e.mul(cl, e.c(TWO_THIRDS_H))))
    a, ae = e.two_sum(e.mul(k, e.c(LN2_HI)), e.mul(e.c(2.0), sh))
    b, be = e.two_sum(a, mh)
    low = e.add(e.add(ae, be), e.add(ml, tail))
    low = e.add(low, e.add(e.mul(e.mul(e.c(2.0), sl), e.add(e.c(1.0), z)), e.mul(k, e.c(LN2_LO))))
    hi, lo = e.fast_two_sum(b, low)
    special = e.or_(e.cmp("==", ax, e.c(0.0)), e.not_(e.cmp("<", ax, e.c(math.inf))))
    hi = e.select(e.cmp("==", ax, e.c(0.0)), e.c(-math.inf), e.select(special, ax, hi))
    return hi, e.select(special, e.c(0.0), lo)


def _pow(e: _Emit, x, y):
    """pow: exp(y log|x|), with log|x| and y log|x| in double-double for float64, and
    C99/NumPy special cases: x^0 = 1^y = 1, (-x)^odd = -(x^odd), negative^non-integer = NaN."""
    ax = e.fabs(x)
    if e.precise:
        lh, ll = _log_dd(e, ax)
        ph, pl = e.two_prod(y, lh)
        pl = e.add(pl, e.mul(y, ll))
        pl = e.select(e.isfinite(ph), pl, e.c(0.0))
        r = _exp_dd(e, ph, pl)
    else:
        r = _exp(e, e.mul(y, _log(e, ax)))
    y_int = e.cmp("==", e.floor(y), y)
    half = e.mul(e.c(0.5), y)
    y_odd = e.and_(y_int, e.cmp("!=", e.floor(half), half))
    r = e.select(e.and_(e.signbit(x), y_odd), e.neg(r), r)
    neg_finite = e.and_(e.cmp("<", x, e.c(0.0)), e.cmp(">", x, e.c(-math.inf)))
    r = e.select(e.and_(neg_finite, e.not_(y_int)), e.c(math.nan), r)
    unit_inf = e.and_(e.cmp("==", ax, e.c(1.0)), e.cmp("==", e.fabs(y), e.c(math.inf)))
    one = e.or_(unit_inf, e.or_(e.cmp("==", x, e.c(1.0)), e.cmp("==", y, e.c(0.0))))
    return e.select(one, e.c(1.0), r)


# --- trigonometric ------------------------------------------------------------------------

@functools.cache
def _two_over_pi_table() -> tuple[float, ...]:
    """For each binary exponent ex >= PH_MIN_EXP of |x|, T = (2/pi * 2^(ex-52)) mod 4 in four
    53-bit chunks (weights 2^1 .. 2^-210), so x * 2/pi mod 4 = M * T for the integer mantissa M."""
    import mpmath

    with mpmath.workprec(1400):
        bits = int(mpmath.floor(mpmath.ldexp(2 / mpmath.pi, 1300)))
    mask = (1 << 53) - 1
    table = []
    for ex in range(PH_MIN_EXP, 1024):
        window = (bits >> (1300 - (ex - 52 + 210))) & ((1 << 212) - 1)  # T * 2^210
        table += [math.ldexp((window >> (53 * (3 - j))) & mask, -51 - 53 * j) for j in range(4)]
    return tuple(table)


def _table_global(module: ir.Module) -> ir.GlobalVariable:
    name = "graphc.math.two_over_pi"
    table = module.globals.get(name)
    if table is None:
        values = _two_over_pi_table()
        ty = ir.ArrayType(F64, len(values))
        table = ir.GlobalVariable(module, ty, name)
        table.linkage = "internal"
        table.global_constant = True
        table.initializer = ir.Constant(ty, list(values))
    return table


def _mod4(e: _Emit, v):
    """v - 4 rint(v / 4), exact."""
    return e.sub(v, e.mul(e.c(4.0), e.rint(e.mul(e.c(0.25), v))))


def _reduce_cody_waite(e: _Emit, x):
    """x = k pi/2 + (rh + rl) for |x| < 2^20: pi/2 in four parts, the first three exact times k."""
    k = e.rint(e.mul(x, e.c(TWO_OVER_PI)))
    r1 = e.sub(x, e.mul(k, e.c(PIO2_1)))
    a, ea = e.two_sum(r1, e.neg(e.mul(k, e.c(PIO2_2))))
    b, eb = e.two_sum(a, e.neg(e.mul(k, e.c(PIO2_3))))
    lo = e.sub(e.add(ea, eb), e.mul(k, e.c(PIO2_4)))
    rh, rl = e.fast_two_sum(b, lo)
    return k, rh, rl


def _reduce_payne_hanek(e: _Emit, x):
    """x = k pi/2 + (rh + rl) for |x| >= 2^20 (float64): Payne-Hanek with a table, indexed by the
    exponent, of 2/pi in four 53-bit chunks (four loads, gathers once vectorised); see _payne_hanek."""
    b = e.b
    ex = b.sub(b.lshr(e.bits(e.fabs(x)), e.i(52)), e.i(1023))
    lo_ex, hi_ex = e.i(PH_MIN_EXP), e.i(1023)
    ex = b.select(b.icmp_signed("<", ex, lo_ex), lo_ex, b.select(b.icmp_signed(">", ex, hi_ex), hi_ex, ex))
    m = e.mul(x, e.pow2(b.sub(e.i(52), ex)))  # the integer mantissa, |m| in [2^52, 2^53)
    base = b.shl(b.sub(ex, lo_ex), e.i(2))
    table = _table_global(b.module)
    zero = ir.Constant(ir.IntType(64), 0)

    def chunk(j):
        idx = b.add(base, e.i(j))
        if e.lanes:
            return _gather(e, table, idx)
        return b.load(b.gep(table, [zero, idx], inbounds=True), typ=F64)

    return _payne_hanek(e, m, [chunk(j) for j in range(4)])


def _payne_hanek(e: _Emit, m, chunks):
    """m * sum(chunks) mod 4 as q + t, t in quarter turns near [-1/2, 1/2], then r = t pi/2:
    products split exactly by FMA, integer parts removed exactly, the rest in double-double.
    Returns (q, rh, rl)."""
    p0, e0 = e.two_prod(m, chunks[0])
    f, fl = e.two_sum(_mod4(e, p0), _mod4(e, e0))
    f = _mod4(e, f)
    k0 = e.rint(f)
    f = e.sub(f, k0)
    p1, e1 = e.two_prod(m, chunks[1])
    g, gl = e.two_sum(f, p1)
    k1 = e.rint(g)
    g = e.sub(g, k1)
    s, lo = e.two_sum(gl, e1)
    s, t = e.two_sum(s, fl)
    lo = e.add(lo, t)
    if len(chunks) > 2:
        p2, e2 = e.two_prod(m, chunks[2])
        s, t = e.two_sum(s, p2)
        lo = e.add(e.add(lo, t), e.add(e2, e.mul(m, chunks[3])))
    th, tl = e.two_sum(g, s)
    th, tl = e.fast_two_sum(th, e.add(tl, lo))
    rh, re = e.two_prod(th, e.c(PIO2_H))
    rl = e.add(re, e.add(e.mul(th, e.c(PIO2_L)), e.mul(tl, e.c(PIO2_H))))
    rh, rl = e.fast_two_sum(rh, rl)
    return e.add(k0, k1), rh, rl


def _reduce_pio2_f32(e: _Emit, x):
    """x = k pi/2 + (rh + rl) for x a widened float32: x = n 2^(16a) with n < 2^39, and
    (2/pi 2^(16a)) mod 4 picked by select from seven double-doubles; then as Payne-Hanek.
    No table loads, so no gathers."""
    b = e.b
    ex = b.sub(b.lshr(e.bits(e.fabs(x)), e.i(52)), e.i(1023 + 23))
    a = b.ashr(ex, e.i(4))
    a = b.select(b.icmp_signed("<", a, e.i(0)), e.i(0), b.select(b.icmp_signed(">", a, e.i(6)), e.i(6), a))
    n = e.mul(x, e.pow2(b.mul(a, e.i(-16))))
    c0, c1 = (e.c(v) for v in TWO_OVER_PI_F32[-1])
    for i in range(len(TWO_OVER_PI_F32) - 2, -1, -1):
        here = b.icmp_signed("==", a, e.i(i))
        c0 = e.select(here, e.c(TWO_OVER_PI_F32[i][0]), c0)
        c1 = e.select(here, e.c(TWO_OVER_PI_F32[i][1]), c1)
    k, rh, rl = _payne_hanek(e, n, [c0, c1])
    return e.to_int(k), rh, rl


def _gather(e: _Emit, table, idx):
    """Load table[idx] lane by lane, for explicit vector arguments (scalar code the loop vectoriser
    widens loads as a gather itself)."""
    out = ir.Constant(e.ty, ir.Undefined)
    zero = ir.Constant(ir.IntType(64), 0)
    for lane in range(e.lanes):
        i = e.b.extract_element(idx, ir.Constant(ir.IntType(32), lane))
        v = e.b.load(e.b.gep(table, [zero, i], inbounds=True), typ=F64)
        out = e.b.insert_element(out, v, ir.Constant(ir.IntType(32), lane))
    return out


def _reduce_pio2(e: _Emit, x):
    """x = q pi/2 + (rh + rl), |rh| <~ pi/4: Cody-Waite below 2^20, Payne-Hanek above, chosen per
    lane by select (float32: _reduce_pio2_f32). Returns (q as i64, rh, rl); inf and NaN give
    garbage the callers replace."""
    xs = e.select(e.isfinite(x), x, e.c(0.0))
    if not e.precise:
        return _reduce_pio2_f32(e, xs)
    ax = e.fabs(x)
    big = e.cmp(">=", ax, e.c(CODY_WAITE_LIMIT))
    k_cw, rh_cw, rl_cw = _reduce_cody_waite(e, e.select(big, e.c(0.0), xs))
    k_ph, rh_ph, rl_ph = _reduce_payne_hanek(e, xs)
    k = e.select(big, k_ph, k_cw)
    return e.to_int(k), e.select(big, rh_ph, rh_cw), e.select(big, rl_ph, rl_cw)


def _sin_kernel(e: _Emit, rh, rl):
    """sin(rh + rl) for |rh| <= pi/4: rh + rh^3 S(rh^2) + rl (1 - rh^2/2), S of degree 5."""
    z = e.mul(rh, rh)
    corr = e.sub(rl, e.mul(e.mul(e.c(0.5), z), rl))
    return e.add(rh, e.add(e.mul(e.mul(z, rh), e.poly(z, e.pick(SIN, SIN_F32))), corr))


def _cos_kernel(e: _Emit, rh, rl):
    """cos(rh + rl) for |rh| <= pi/4: 1 - z/2 + z^2 C(z) - rh rl, z = rh^2, with the rounding error
    of 1 - z/2 added back (as in fdlibm); C of degree 5."""
    z = e.mul(rh, rh)
    hz = e.mul(e.c(0.5), z)
    w = e.sub(e.c(1.0), hz)
    tail = e.sub(e.mul(e.mul(z, z), e.poly(z, e.pick(COS, COS_F32))), e.mul(rh, rl))
    return e.add(w, e.add(e.sub(e.sub(e.c(1.0), w), hz), tail))


def _quadrant_bit(e: _Emit, q, bit: int):
    return e.b.icmp_signed("!=", e.b.and_(q, e.i(bit)), e.i(0))


def _trig_specials(e: _Emit, x, y, odd: bool):
    """NaN for inf and NaN; x itself for |x| < 2^-27 when the function is odd (keeps -0)."""
    if odd:
        y = e.select(e.cmp("<", e.fabs(x), e.c(2.0**-27)), x, y)
    return e.select(e.isfinite(x), y, e.c(math.nan))


def _sin(e: _Emit, x, reduce=None):
    """sin: reduction by pi/2 (_reduce_pio2), then +-sin or +-cos kernel by quadrant."""
    q, rh, rl = (reduce or _reduce_pio2)(e, x)
    y = e.select(_quadrant_bit(e, q, 1), _cos_kernel(e, rh, rl), _sin_kernel(e, rh, rl))
    y = e.select(_quadrant_bit(e, q, 2), e.neg(y), y)
    return _trig_specials(e, x, y, odd=True)


def _cos(e: _Emit, x, reduce=None):
    """cos: reduction by pi/2 (_reduce_pio2), then +-cos or +-sin kernel by quadrant."""
    q, rh, rl = (reduce or _reduce_pio2)(e, x)
    y = e.select(_quadrant_bit(e, q, 1), _sin_kernel(e, rh, rl), _cos_kernel(e, rh, rl))
    y = e.select(_quadrant_bit(e, e.b.add(q, e.i(1)), 2), e.neg(y), y)
    return _trig_specials(e, x, y, odd=False)


def _tan(e: _Emit, x, reduce=None):
    """tan: reduction by pi/2 (_reduce_pio2), then sin/cos of the reduced argument, or -cos/sin in
    odd quadrants (one division)."""
    q, rh, rl = (reduce or _reduce_pio2)(e, x)
    s, c = _sin_kernel(e, rh, rl), _cos_kernel(e, rh, rl)
    odd = _quadrant_bit(e, q, 1)
    y = e.div(e.select(odd, e.neg(c), s), e.select(odd, s, c))
    return _trig_specials(e, x, y, odd=True)


def _atan2(e: _Emit, y, x):
    """atan2: atan of t = min/max(|x|, |y|) in [0, 1], reduced to |u| <= tan(pi/8) by
    atan t = pi/4 + atan((t-1)/(t+1)), degree-21 odd polynomial; then pi/2 - a, pi - a and the
    sign of y place it in its quadrant (C99 special cases for zeros and infinities)."""
    ax, ay = e.fabs(x), e.fabs(y)
    mn, mx = e.minnum(ax, ay), e.maxnum(ax, ay)
    both_inf = e.cmp("==", mn, e.c(math.inf))
    shrink = e.select(e.cmp(">", mx, e.c(2.0**1000)), e.c(0.25), e.c(1.0))  # keeps mn + mx finite
    mn = e.select(both_inf, e.c(1.0), e.mul(mn, shrink))
    mx = e.select(both_inf, e.c(1.0), e.select(e.cmp("==", mx, e.c(0.0)), e.c(1.0), e.mul(mx, shrink)))
    t = e.div(mn, mx)
    big = e.cmp(">", t, e.c(TAN_PI_8))
    u = e.select(big, e.div(e.sub(mn, mx), e.add(mn, mx)), t)
    z = e.mul(u, u)
    a = e.add(u, e.mul(e.mul(z, u), e.poly(z, e.pick(ATAN, ATAN_F32))))
    a = e.select(big, e.add(e.c(PIO4_H), e.add(a, e.c(PIO4_L))), a)
    a = e.select(e.cmp(">", ay, ax), e.add(e.sub(e.c(PIO2_H), a), e.c(PIO2_L)), a)
    a = e.select(e.signbit(x), e.add(e.sub(e.c(PI_H), a), e.c(PI_L)), a)
    r = e.copysign(a, y)
    return e.select(e.or_(e.isnan(x), e.isnan(y)), e.add(x, y), r)


def _erf(e: _Emit, x):
    """erf: x P(x^2) (degree 12 in x^2) for |x| < 1; 1 - exp(-x^2) Q(1/(1+|x|)) (degree 19, x^2
    split exactly by FMA) for 1 <= |x| < 6; +-1 beyond."""
    ax = e.fabs(x)
    small = e.mul(x, e.poly(e.mul(x, x), e.pick(ERF, ERF_F32)))
    axc = e.minnum(ax, e.c(6.0))
    t = e.sub(e.div(e.c(1.0), e.add(e.c(1.0), axc)), e.c(ERFC_CENTER))
    sq, sq_lo = e.two_prod(axc, axc)
    damp = e.mul(_exp(e, e.neg(sq)), e.sub(e.c(1.0), sq_lo))
    large = e.copysign(e.sub(e.c(1.0), e.mul(damp, e.poly(t, e.pick(ERFC, ERFC_F32)))), x)
    y = e.select(e.cmp("<", ax, e.c(1.0)), small, large)
    y = e.select(e.cmp(">=", ax, e.c(6.0)), e.copysign(e.c(1.0), x), y)
    return e.select(e.isnan(x), x, y)


# --- fast paths ----------------------------------------------------------------------------
# A fast path returns (y, need): y is right in every lane where the i1 mask `need` is false. The
# other lanes are recomputed by the exact code above, in a block entered only when some lane of
# the vector (or the scalar) needs it. float32 fast paths compute in float32 (exp, log families)
# or reduce exactly in float64 (sin, cos, tan); the exact code is the float64 code rounded once.

def _f32(value: float) -> float:
    return struct.unpack("f", struct.pack("f", value))[0]


LN2_HI_F32 = _f32(math.log(2))  # 24 bits: k * LN2_HI_F32 is exact inside an FMA
LN2_LO_F32 = _f32(math.log(2) - LN2_HI_F32)
LN2_HI16 = round(math.log(2) * 2**16) / 2**16  # 16 bits: k * LN2_HI16 is exact for |k| <= 256
LN2_LO16 = _f32(math.log(2) - LN2_HI16)
EXP_LIMIT_F32 = 87.0  # exp(x) is a normal float32 for |x| < 87
EXPM1_LIMIT_F32 = 16.0  # 2^k - 1 is exact for |k| <= 24
TRIG_LIMIT_F32 = 2.0**20  # Cody-Waite in double below it
SQRT_HALF_BITS_F32 = 0x3F3504F3
# (exp(r) - 1 - r) / r^2 on |r| <= 0.35 and (log1p(f) - f + f^2/2) / f^3 on [sqrt(1/2) - 1,
# sqrt(2) - 1], Chebyshev fits rounded to float32.
EXP_Q_F32 = [0.5, 0.1666666716337204, 0.04166645556688309, 0.00833331048488617, 0.0013934532180428505,
             0.00019891970441676676]
LOG_P_F32 = [0.3333333134651184, -0.2499999701976776, 0.20000715553760529, -0.1666780263185501,
             0.14249058067798615, -0.12425687164068222, 0.11685419827699661, -0.11479733884334564,
             0.06971611827611923]


def _outside(e: _Emit, x, limit: float):
    """The lanes with |x| >= limit or NaN."""
    return e.b.fcmp_unordered(">=", e.fabs(x), e.c(limit))


def _exp_core_f32(e: _Emit, x):
    """exp(x) for |x| < 87 in float32: x = k ln2 + r + rl with r exact (FMA), exp(r + rl) =
    1 + r + (r^2 Q(r) + rl (1 + r)) with 1 + r split exactly, times 2^k (a normal number)."""
    k = e.rint(e.mul(x, e.c(INV_LN2)))
    r = e.fma(k, e.c(-LN2_HI_F32), x)
    rl = e.mul(k, e.c(-LN2_LO_F32))
    tail = e.fma(e.mul(r, r), e.horner(r, EXP_Q_F32), e.fma(rl, r, rl))
    s = e.add(e.c(1.0), r)
    p = e.add(s, e.add(e.add(e.sub(e.c(1.0), s), r), tail))
    return e.mul(p, e.pow2(e.to_int(k)))


def _exp_f32(e: _Emit, x):
    """exp, float32 fast path: |x| < 87 (normal, finite results)."""
    return _exp_core_f32(e, x), _outside(e, x, EXP_LIMIT_F32)


def _expm1_core_f32(e: _Emit, x):
    """expm1(x) = (2^k - 1) + 2^k r + 2^k tail (terms as in _exp_core_f32), the first sum split
    exactly; accurate for |k| <= 24, a value near 2^k beyond."""
    k = e.rint(e.mul(x, e.c(INV_LN2)))
    r = e.fma(k, e.c(-LN2_HI_F32), x)
    rl = e.mul(k, e.c(-LN2_LO_F32))
    tail = e.fma(e.mul(r, r), e.horner(r, EXP_Q_F32), e.fma(rl, r, rl))
    t = e.pow2(e.to_int(k))
    a, b = e.sub(t, e.c(1.0)), e.mul(t, r)
    s = e.add(a, b)
    return e.add(s, e.fma(t, tail, e.add(e.sub(a, s), b)))


def _expm1_f32(e: _Emit, x):
    """expm1, float32 fast path: |x| < 16; the sign of x (and -0) restored."""
    return e.copysign(_expm1_core_f32(e, x), x), _outside(e, x, EXPM1_LIMIT_F32)


def _tanh_f32(e: _Emit, x):
    """tanh in float32: t = expm1(2|x|) (|x| clamped to 10, where tanh rounds to 1), t / (t + 2),
    sign restored; no slow path."""
    t = _expm1_core_f32(e, e.mul(e.c(2.0), e.minnum(e.fabs(x), e.c(10.0))))
    y = e.copysign(e.div(t, e.add(t, e.c(2.0))), x)
    return e.select(e.isnan(x), x, y), None


def _sigmoid_f32(e: _Emit, x):
    """sigmoid in float32: t = exp(-|x|), 1 / (1 + t) or t / (1 + t); |x| < 87."""
    t = _exp_core_f32(e, e.neg(e.fabs(x)))
    y = e.div(e.select(e.cmp(">=", x, e.c(0.0)), e.c(1.0), t), e.add(e.c(1.0), t))
    return y, _outside(e, x, EXP_LIMIT_F32)


def _log_split_f32(e: _Emit, x):
    """x = 2^k m for a normal positive float32 x, m in [sqrt(2)/2, sqrt(2)); returns (k, m - 1)."""
    bits = e.bits(x)
    k = e.b.ashr(e.b.sub(bits, e.i(SQRT_HALF_BITS_F32)), e.i(23))
    m = e.from_bits(e.b.sub(bits, e.b.shl(k, e.i(23))))
    return k, e.sub(m, e.c(1.0))


def _log_core_f32(e: _Emit, k, f):
    """k ln2 + log1p(f), log1p(f) = f - f^2/2 + f^3 P(f), with the two leading sums and f^2 split
    exactly (Fast2Sum, FMA) so that only the final addition rounds much."""
    kf = e.to_float(k)
    f2 = e.mul(f, f)
    f2l = e.fma(f, f, e.neg(f2))
    a = e.mul(kf, e.c(LN2_HI16))
    s1 = e.add(a, f)
    h = e.mul(e.c(-0.5), f2)
    s2 = e.add(s1, h)
    err = e.add(e.add(e.sub(a, s1), f), e.add(e.sub(s1, s2), h))
    lo = e.fma(e.mul(f, f2), e.horner(f, LOG_P_F32), e.fma(kf, e.c(LN2_LO16), e.fma(e.c(-0.5), f2l, err)))
    return e.add(s2, lo)


def _normal_below(e: _Emit, x, top_bits: int):
    """The lanes where x is not a positive normal float32 with bits below `top_bits`."""
    bits = e.b.sub(e.bits(x), e.i(0x00800000))
    return e.b.icmp_unsigned(">=", bits, e.i(top_bits - 0x00800000))


def _log_f32(e: _Emit, x):
    """log, float32 fast path: positive normal finite x."""
    k, f = _log_split_f32(e, x)
    return _log_core_f32(e, k, f), _normal_below(e, x, 0x7F800000)


def _log1p_f32(e: _Emit, x):
    """log1p, float32 fast path: u = 1 + x normal and below 2^97; the rounding error c of 1 + x
    is added to the reduced argument (f + c 2^-k), and the sign of x (and -0) restored."""
    u = e.add(e.c(1.0), x)
    k, f = _log_split_f32(e, u)
    c = e.select(e.cmp(">=", u, e.c(2.0)), e.sub(e.c(1.0), e.sub(u, x)), e.sub(x, e.sub(u, e.c(1.0))))
    f = e.fma(c, e.pow2(e.b.neg(k)), f)
    return e.copysign(_log_core_f32(e, k, f), x), _normal_below(e, u, 0x70800000)


PIO2_1_F32 = _f32(math.pi / 2)
PIO2_2_F32 = _f32(math.pi / 2 - PIO2_1_F32)
PIO2_3_F32 = _f32(float.fromhex("0x1.921fb54442d18p+0") - PIO2_1_F32 - PIO2_2_F32 + PIO2_L)
# (sin(r) - r) / r^3, (cos(r) - 1 + r^2/2) / r^4, (tan(r) - r) / r^3 in z = r^2 for |r| <= 0.85,
# Chebyshev fits rounded to float32.
SIN_R_F32 = [-0.1666666716337204, 0.008333330973982811, -0.00019839649030473083, 2.7197611416340806e-06]
COS_R_F32 = [0.0416666679084301, -0.0013888886896893382, 2.4800234314170666e-05, -2.7257291890236957e-07]
TAN_R_F32 = [0.3333333432674408, 0.1333336979150772, 0.05395789444446564, 0.021981630474328995,
             0.008276084437966347, 0.0052220518700778484, -0.0009389501647092402, 0.0022218471858650446]


def _reduce_pio2_fast_f32(e: _Emit, x):
    """x = k pi/2 + (rh + rl) in float32 for |x| < 2^20: x - k P1 exact (FMA), k P2 split exactly
    (FMA), the difference split by Fast2Sum, k P3 into the low part; error about 2^-52, against
    |r| >= 2^-27.8 for every float32 below 2^20. Returns (k as i32, rh, rl)."""
    k = e.rint(e.mul(x, e.c(TWO_OVER_PI)))
    r1 = e.fma(k, e.c(-PIO2_1_F32), x)
    ph = e.mul(k, e.c(PIO2_2_F32))
    pl = e.fma(k, e.c(PIO2_2_F32), e.neg(ph))
    rh = e.sub(r1, ph)
    rl = e.fma(k, e.c(-PIO2_3_F32), e.sub(e.sub(e.sub(r1, rh), ph), pl))
    return e.to_int(k), rh, rl


def _sin_kernel_f32(e: _Emit, rh, rl, z):
    """sin(rh + rl) = rh + (rh z S(z) + rl (1 - z/2)), z = rh^2."""
    return e.add(rh, e.fma(e.mul(rh, z), e.horner(z, SIN_R_F32), e.fma(e.mul(e.c(-0.5), z), rl, rl)))


def _cos_kernel_f32(e: _Emit, rh, rl, z):
    """cos(rh + rl) = (1 - z/2) + z^2 C(z) - rh rl, with 1 - z/2 and z = rh^2 split exactly."""
    hz = e.mul(e.c(0.5), z)
    w = e.sub(e.c(1.0), hz)
    low = e.sub(e.sub(e.c(1.0), w), hz)
    low = e.fma(e.c(-0.5), e.fma(rh, rh, e.neg(z)), low)
    return e.add(w, e.add(low, e.fma(e.mul(z, z), e.horner(z, COS_R_F32), e.mul(e.neg(rh), rl))))


def _sincos_f32(e: _Emit, x, cosine: bool):
    """sin or cos in float32 for |x| < 2^20: float32 reduction (_reduce_pio2_fast_f32), sin and cos
    kernels, quadrant by select."""
    q, rh, rl = _reduce_pio2_fast_f32(e, x)
    z = e.mul(rh, rh)
    s, c = _sin_kernel_f32(e, rh, rl, z), _cos_kernel_f32(e, rh, rl, z)
    odd = _quadrant_bit(e, q, 1)
    y = e.select(odd, s, c) if cosine else e.select(odd, c, s)
    y = e.select(_quadrant_bit(e, e.b.add(q, e.i(1)) if cosine else q, 2), e.neg(y), y)
    if not cosine:
        y = e.select(e.cmp("==", x, e.c(0.0)), x, y)
    return y, _outside(e, x, TRIG_LIMIT_F32)


def _sin_f32(e: _Emit, x):
    """sin, float32 fast path: |x| < 2^20 (_sincos_f32)."""
    return _sincos_f32(e, x, cosine=False)


def _cos_f32(e: _Emit, x):
    """cos, float32 fast path: |x| < 2^20 (_sincos_f32)."""
    return _sincos_f32(e, x, cosine=True)


def _tan_f32(e: _Emit, x):
    """tan, float32 fast path for |x| < 2^20: t = rh + (rh z T(z) + rl (1 + z)) kept as th + tl;
    in odd quadrants -1/t, one division refined by a Newton step on th + tl."""
    q, rh, rl = _reduce_pio2_fast_f32(e, x)
    z = e.mul(rh, rh)
    tail = e.fma(e.mul(rh, z), e.horner(z, TAN_R_F32), e.fma(rl, z, rl))
    th = e.add(rh, tail)
    tl = e.add(e.sub(rh, th), tail)
    inv = e.div(e.c(-1.0), th)
    cot = e.fma(inv, e.fma(inv, tl, e.fma(inv, th, e.c(1.0))), inv)
    y = e.select(_quadrant_bit(e, q, 1), cot, th)
    y = e.select(e.cmp("==", x, e.c(0.0)), x, y)
    return y, _outside(e, x, TRIG_LIMIT_F32)


def _reduce_cody_waite_only(e: _Emit, x):
    k, rh, rl = _reduce_cody_waite(e, x)
    return e.to_int(k), rh, rl


def _trig_f64(fn):
    """A float64 fast path for sin, cos or tan: Cody-Waite reduction only, for |x| < 2^20."""
    def fast(e: _Emit, x):
        return fn(e, x, reduce=_reduce_cody_waite_only), _outside(e, x, CODY_WAITE_LIMIT)
    fast.__doc__ = f"{fn.__name__[1:]}, float64 fast path: |x| < 2^20, no Payne-Hanek."
    return fast


def _exp_f64(e: _Emit, x):
    """exp, float64 fast path: |x| < 708, one scaling by 2^k, no clamping."""
    k = e.rint(e.mul(x, e.c(INV_LN2)))
    r = e.sub(e.sub(x, e.mul(k, e.c(LN2_HI))), e.mul(k, e.c(LN2_LO)))
    y = e.mul(e.add(e.c(1.0), _expm1_poly(e, r)), e.pow2(e.to_int(k)))
    return y, _outside(e, x, 708.0)


def _patch(e: _Emit, need, fast, slow: Callable[[], ir.Value]) -> ir.Value:
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
    "exp": _exp, "expm1": _expm1, "log": _log, "log1p": _log1p,
    "sin": _sin, "cos": _cos, "tan": _tan, "tanh": _tanh, "sigmoid": _sigmoid, "erf": _erf,
    "pow": _pow, "atan2": _atan2,
}
FAST_F32: dict[str, Callable] = {
    "exp": _exp_f32, "expm1": _expm1_f32, "log": _log_f32, "log1p": _log1p_f32, "tanh": _tanh_f32,
    "sigmoid": _sigmoid_f32, "sin": _sin_f32, "cos": _cos_f32, "tan": _tan_f32,
}
FAST_F64: dict[str, Callable] = {
    "exp": _exp_f64, "sin": _trig_f64(_sin), "cos": _trig_f64(_cos), "tan": _trig_f64(_tan),
}
ARITY = {"pow": 2, "atan2": 2}


def _type_suffix(ty: ir.Type) -> str:
    elem = ty.element if isinstance(ty, ir.VectorType) else ty
    base = {F32: "f32", F64: "f64"}.get(elem)
    if base is None:
        raise TypeError(f"graphc math functions take float or double values, not {ty}")
    return f"v{ty.count}{base}" if isinstance(ty, ir.VectorType) else base


def _body(builder: ir.IRBuilder, name: str, ty: ir.Type, args) -> ir.Value:
    """Emit math op `name` on `args` of type `ty`: the fast path, patched by the exact code."""
    single = (ty.element if isinstance(ty, ir.VectorType) else ty) == F32

    def exact():
        if not single:
            return MATH[name](_Emit(builder, ty), *args)
        wide = ir.VectorType(F64, ty.count) if isinstance(ty, ir.VectorType) else F64
        result = MATH[name](_Emit(builder, wide, precise=False), *(builder.fpext(a, wide) for a in args))
        return builder.fptrunc(result, ty)

    fast = (FAST_F32 if single else FAST_F64).get(name)
    if fast is None:
        return exact()
    e = _Emit(builder, ty, precise=not single)
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
