"""Fast paths: the common range of a function, and a mask of the lanes outside it.

A fast path returns (y, need): y is right in every lane where the i1 mask `need` is false (None:
in every lane). The other lanes are recomputed by the exact code, in a block entered only when
some lane of the vector (or the scalar) needs it. float32 fast paths compute in float32 (exp, log
families) or reduce exactly in float64 (sin, cos, tan); the exact code is the float64 code
rounded once. float64 fast paths skip the clamping of exp and the Payne-Hanek reduction.
"""

from __future__ import annotations

from collections.abc import Callable

from graphc.backends.llvm.math.constants import (
    CODY_WAITE_LIMIT,
    COS_R_F32,
    EXP_LIMIT_F32,
    EXP_Q_F32,
    EXPM1_LIMIT_F32,
    INV_LN2,
    LN2_HI,
    LN2_HI16,
    LN2_HI_F32,
    LN2_LO,
    LN2_LO16,
    LN2_LO_F32,
    LOG_P_F32,
    PIO2_1_F32,
    PIO2_2_F32,
    PIO2_3_F32,
    SIN_R_F32,
    SQRT_HALF_BITS_F32,
    TAN_R_F32,
    TRIG_LIMIT_F32,
    TWO_OVER_PI,
)
from graphc.backends.llvm.math.emitter import Emitter
from graphc.backends.llvm.math.exp import expm1_poly
from graphc.backends.llvm.math.trig import cos, quadrant_bit, reduce_cody_waite, sin, tan


def _outside(e: Emitter, x, limit: float):
    """The lanes with |x| >= limit or NaN."""
    return e.b.fcmp_unordered(">=", e.fabs(x), e.c(limit))


def _exp_core_f32(e: Emitter, x):
    """exp(x) for |x| < 87 in float32: x = k ln2 + r + rl with r exact (FMA), exp(r + rl) =
    1 + r + (r^2 Q(r) + rl (1 + r)) with 1 + r split exactly, times 2^k (a normal number)."""
    k = e.rint(e.mul(x, e.c(INV_LN2)))
    r = e.fma(k, e.c(-LN2_HI_F32), x)
    rl = e.mul(k, e.c(-LN2_LO_F32))
    tail = e.fma(e.mul(r, r), e.horner(r, EXP_Q_F32), e.fma(rl, r, rl))
    s = e.add(e.c(1.0), r)
    p = e.add(s, e.add(e.add(e.sub(e.c(1.0), s), r), tail))
    return e.mul(p, e.pow2(e.to_int(k)))


def _exp_f32(e: Emitter, x):
    """exp, float32 fast path: |x| < 87 (normal, finite results)."""
    return _exp_core_f32(e, x), _outside(e, x, EXP_LIMIT_F32)


def _expm1_core_f32(e: Emitter, x):
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


def _expm1_f32(e: Emitter, x):
    """expm1, float32 fast path: |x| < 16; the sign of x (and -0) restored."""
    return e.copysign(_expm1_core_f32(e, x), x), _outside(e, x, EXPM1_LIMIT_F32)


def _tanh_f32(e: Emitter, x):
    """tanh in float32: t = expm1(2|x|) (|x| clamped to 10, where tanh rounds to 1), t / (t + 2),
    sign restored; no slow path."""
    t = _expm1_core_f32(e, e.mul(e.c(2.0), e.minnum(e.fabs(x), e.c(10.0))))
    y = e.copysign(e.div(t, e.add(t, e.c(2.0))), x)
    return e.select(e.isnan(x), x, y), None


def _sigmoid_f32(e: Emitter, x):
    """sigmoid in float32: t = exp(-|x|), 1 / (1 + t) or t / (1 + t); |x| < 87."""
    t = _exp_core_f32(e, e.neg(e.fabs(x)))
    y = e.div(e.select(e.cmp(">=", x, e.c(0.0)), e.c(1.0), t), e.add(e.c(1.0), t))
    return y, _outside(e, x, EXP_LIMIT_F32)


def _log_split_f32(e: Emitter, x):
    """x = 2^k m for a normal positive float32 x, m in [sqrt(2)/2, sqrt(2)); returns (k, m - 1)."""
    bits = e.bits(x)
    k = e.b.ashr(e.b.sub(bits, e.i(SQRT_HALF_BITS_F32)), e.i(23))
    m = e.from_bits(e.b.sub(bits, e.b.shl(k, e.i(23))))
    return k, e.sub(m, e.c(1.0))


def _log_core_f32(e: Emitter, k, f):
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


def _normal_below(e: Emitter, x, top_bits: int):
    """The lanes where x is not a positive normal float32 with bits below `top_bits`."""
    bits = e.b.sub(e.bits(x), e.i(0x00800000))
    return e.b.icmp_unsigned(">=", bits, e.i(top_bits - 0x00800000))


def _log_f32(e: Emitter, x):
    """log, float32 fast path: positive normal finite x."""
    k, f = _log_split_f32(e, x)
    return _log_core_f32(e, k, f), _normal_below(e, x, 0x7F800000)


def _log1p_f32(e: Emitter, x):
    """log1p, float32 fast path: u = 1 + x normal and below 2^97; the rounding error c of 1 + x
    is added to the reduced argument (f + c 2^-k), and the sign of x (and -0) restored."""
    u = e.add(e.c(1.0), x)
    k, f = _log_split_f32(e, u)
    c = e.select(e.cmp(">=", u, e.c(2.0)), e.sub(e.c(1.0), e.sub(u, x)), e.sub(x, e.sub(u, e.c(1.0))))
    f = e.fma(c, e.pow2(e.b.neg(k)), f)
    return e.copysign(_log_core_f32(e, k, f), x), _normal_below(e, u, 0x70800000)


def _reduce_pio2_fast_f32(e: Emitter, x):
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


def _sin_kernel_f32(e: Emitter, rh, rl, z):
    """sin(rh + rl) = rh + (rh z S(z) + rl (1 - z/2)), z = rh^2."""
    return e.add(rh, e.fma(e.mul(rh, z), e.horner(z, SIN_R_F32), e.fma(e.mul(e.c(-0.5), z), rl, rl)))


def _cos_kernel_f32(e: Emitter, rh, rl, z):
    """cos(rh + rl) = (1 - z/2) + z^2 C(z) - rh rl, with 1 - z/2 and z = rh^2 split exactly."""
    hz = e.mul(e.c(0.5), z)
    w = e.sub(e.c(1.0), hz)
    low = e.sub(e.sub(e.c(1.0), w), hz)
    low = e.fma(e.c(-0.5), e.fma(rh, rh, e.neg(z)), low)
    return e.add(w, e.add(low, e.fma(e.mul(z, z), e.horner(z, COS_R_F32), e.mul(e.neg(rh), rl))))


def _sincos_f32(e: Emitter, x, cosine: bool):
    """sin or cos in float32 for |x| < 2^20: float32 reduction (_reduce_pio2_fast_f32), sin and cos
    kernels, quadrant by select."""
    q, rh, rl = _reduce_pio2_fast_f32(e, x)
    z = e.mul(rh, rh)
    s, c = _sin_kernel_f32(e, rh, rl, z), _cos_kernel_f32(e, rh, rl, z)
    odd = quadrant_bit(e, q, 1)
    y = e.select(odd, s, c) if cosine else e.select(odd, c, s)
    y = e.select(quadrant_bit(e, e.b.add(q, e.i(1)) if cosine else q, 2), e.neg(y), y)
    if not cosine:
        y = e.select(e.cmp("==", x, e.c(0.0)), x, y)
    return y, _outside(e, x, TRIG_LIMIT_F32)


def _sin_f32(e: Emitter, x):
    """sin, float32 fast path: |x| < 2^20 (_sincos_f32)."""
    return _sincos_f32(e, x, cosine=False)


def _cos_f32(e: Emitter, x):
    """cos, float32 fast path: |x| < 2^20 (_sincos_f32)."""
    return _sincos_f32(e, x, cosine=True)


def _tan_f32(e: Emitter, x):
    """tan, float32 fast path for |x| < 2^20: t = rh + (rh z T(z) + rl (1 + z)) kept as th + tl;
    in odd quadrants -1/t, one division refined by a Newton step on th + tl."""
    q, rh, rl = _reduce_pio2_fast_f32(e, x)
    z = e.mul(rh, rh)
    tail = e.fma(e.mul(rh, z), e.horner(z, TAN_R_F32), e.fma(rl, z, rl))
    th = e.add(rh, tail)
    tl = e.add(e.sub(rh, th), tail)
    inv = e.div(e.c(-1.0), th)
    cot = e.fma(inv, e.fma(inv, tl, e.fma(inv, th, e.c(1.0))), inv)
    y = e.select(quadrant_bit(e, q, 1), cot, th)
    y = e.select(e.cmp("==", x, e.c(0.0)), x, y)
    return y, _outside(e, x, TRIG_LIMIT_F32)


def _reduce_cody_waite_only(e: Emitter, x):
    """The Cody-Waite reduction alone, its k as an integer (as the trig functions take it)."""
    k, rh, rl = reduce_cody_waite(e, x)
    return e.to_int(k), rh, rl


def _trig_f64(fn):
    """A float64 fast path for sin, cos or tan: Cody-Waite reduction only, for |x| < 2^20."""
    def fast(e: Emitter, x):
        return fn(e, x, reduce=_reduce_cody_waite_only), _outside(e, x, CODY_WAITE_LIMIT)
    fast.__doc__ = f"{fn.__name__}, float64 fast path: |x| < 2^20, no Payne-Hanek."
    return fast


def _exp_f64(e: Emitter, x):
    """exp, float64 fast path: |x| < 708, one scaling by 2^k, no clamping."""
    k = e.rint(e.mul(x, e.c(INV_LN2)))
    r = e.sub(e.sub(x, e.mul(k, e.c(LN2_HI))), e.mul(k, e.c(LN2_LO)))
    y = e.mul(e.add(e.c(1.0), expm1_poly(e, r)), e.pow2(e.to_int(k)))
    return y, _outside(e, x, 708.0)


FAST_F32: dict[str, Callable] = {
    "exp": _exp_f32, "expm1": _expm1_f32, "log": _log_f32, "log1p": _log1p_f32, "tanh": _tanh_f32,
    "sigmoid": _sigmoid_f32, "sin": _sin_f32, "cos": _cos_f32, "tan": _tan_f32,
}
FAST_F64: dict[str, Callable] = {
    "exp": _exp_f64, "sin": _trig_f64(sin), "cos": _trig_f64(cos), "tan": _trig_f64(tan),
}
