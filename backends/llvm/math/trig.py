"""Exact paths of sin, cos, tan and atan2, with the reductions by pi/2 they rest on.

Cody-Waite below 2^20, Payne-Hanek (a table of 2/pi) above it for float64; float32 values,
widened, reduce by a short table picked from by `select`.
"""

from __future__ import annotations

import functools
import math

from llvmlite import ir

from graphc.backends.llvm.math.constants import (
    ATAN,
    ATAN_F32,
    CODY_WAITE_LIMIT,
    COS,
    COS_F32,
    PH_MIN_EXP,
    PI_H,
    PI_L,
    PIO2_1,
    PIO2_2,
    PIO2_3,
    PIO2_4,
    PIO2_H,
    PIO2_L,
    PIO4_H,
    PIO4_L,
    SIN,
    SIN_F32,
    TAN_PI_8,
    TWO_OVER_PI,
    TWO_OVER_PI_F32,
)
from graphc.backends.llvm.math.emitter import F64, Emitter


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


def _mod4(e: Emitter, v):
    """v - 4 rint(v / 4), exact."""
    return e.sub(v, e.mul(e.c(4.0), e.rint(e.mul(e.c(0.25), v))))


def reduce_cody_waite(e: Emitter, x):
    """x = k pi/2 + (rh + rl) for |x| < 2^20: pi/2 in four parts, the first three exact times k."""
    k = e.rint(e.mul(x, e.c(TWO_OVER_PI)))
    r1 = e.sub(x, e.mul(k, e.c(PIO2_1)))
    a, ea = e.two_sum(r1, e.neg(e.mul(k, e.c(PIO2_2))))
    b, eb = e.two_sum(a, e.neg(e.mul(k, e.c(PIO2_3))))
    lo = e.sub(e.add(ea, eb), e.mul(k, e.c(PIO2_4)))
    rh, rl = e.fast_two_sum(b, lo)
    return k, rh, rl


def _reduce_payne_hanek(e: Emitter, x):
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


def _payne_hanek(e: Emitter, m, chunks):
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


def _reduce_pio2_f32(e: Emitter, x):
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


def _gather(e: Emitter, table, idx):
    """Load table[idx] lane by lane, for explicit vector arguments (scalar code the loop vectoriser
    widens loads as a gather itself)."""
    out = ir.Constant(e.ty, ir.Undefined)
    zero = ir.Constant(ir.IntType(64), 0)
    for lane in range(e.lanes):
        i = e.b.extract_element(idx, ir.Constant(ir.IntType(32), lane))
        v = e.b.load(e.b.gep(table, [zero, i], inbounds=True), typ=F64)
        out = e.b.insert_element(out, v, ir.Constant(ir.IntType(32), lane))
    return out


def _reduce_pio2(e: Emitter, x):
    """x = q pi/2 + (rh + rl), |rh| <~ pi/4: Cody-Waite below 2^20, Payne-Hanek above, chosen per
    lane by select (float32: _reduce_pio2_f32). Returns (q as i64, rh, rl); inf and NaN give
    garbage the callers replace."""
    xs = e.select(e.isfinite(x), x, e.c(0.0))
    if not e.precise:
        return _reduce_pio2_f32(e, xs)
    ax = e.fabs(x)
    big = e.cmp(">=", ax, e.c(CODY_WAITE_LIMIT))
    k_cw, rh_cw, rl_cw = reduce_cody_waite(e, e.select(big, e.c(0.0), xs))
    k_ph, rh_ph, rl_ph = _reduce_payne_hanek(e, xs)
    k = e.select(big, k_ph, k_cw)
    return e.to_int(k), e.select(big, rh_ph, rh_cw), e.select(big, rl_ph, rl_cw)


def _sin_kernel(e: Emitter, rh, rl):
    """sin(rh + rl) for |rh| <= pi/4: rh + rh^3 S(rh^2) + rl (1 - rh^2/2), S of degree 5."""
    z = e.mul(rh, rh)
    corr = e.sub(rl, e.mul(e.mul(e.c(0.5), z), rl))
    return e.add(rh, e.add(e.mul(e.mul(z, rh), e.poly(z, e.pick(SIN, SIN_F32))), corr))


def _cos_kernel(e: Emitter, rh, rl):
    """cos(rh + rl) for |rh| <= pi/4: 1 - z/2 + z^2 C(z) - rh rl, z = rh^2, with the rounding error
    of 1 - z/2 added back (as in fdlibm); C of degree 5."""
    z = e.mul(rh, rh)
    hz = e.mul(e.c(0.5), z)
    w = e.sub(e.c(1.0), hz)
    tail = e.sub(e.mul(e.mul(z, z), e.poly(z, e.pick(COS, COS_F32))), e.mul(rh, rl))
    return e.add(w, e.add(e.sub(e.sub(e.c(1.0), w), hz), tail))


def quadrant_bit(e: Emitter, q, bit: int):
    return e.b.icmp_signed("!=", e.b.and_(q, e.i(bit)), e.i(0))


def _trig_specials(e: Emitter, x, y, odd: bool):
    """NaN for inf and NaN; x itself for |x| < 2^-27 when the function is odd (keeps -0)."""
    if odd:
        y = e.select(e.cmp("<", e.fabs(x), e.c(2.0**-27)), x, y)
    return e.select(e.isfinite(x), y, e.c(math.nan))


def sin(e: Emitter, x, reduce=None):
    """sin: reduction by pi/2 (_reduce_pio2), then +-sin or +-cos kernel by quadrant."""
    q, rh, rl = (reduce or _reduce_pio2)(e, x)
    y = e.select(quadrant_bit(e, q, 1), _cos_kernel(e, rh, rl), _sin_kernel(e, rh, rl))
    y = e.select(quadrant_bit(e, q, 2), e.neg(y), y)
    return _trig_specials(e, x, y, odd=True)


def cos(e: Emitter, x, reduce=None):
    """cos: reduction by pi/2 (_reduce_pio2), then +-cos or +-sin kernel by quadrant."""
    q, rh, rl = (reduce or _reduce_pio2)(e, x)
    y = e.select(quadrant_bit(e, q, 1), _sin_kernel(e, rh, rl), _cos_kernel(e, rh, rl))
    y = e.select(quadrant_bit(e, e.b.add(q, e.i(1)), 2), e.neg(y), y)
    return _trig_specials(e, x, y, odd=False)


def tan(e: Emitter, x, reduce=None):
    """tan: reduction by pi/2 (_reduce_pio2), then sin/cos of the reduced argument, or -cos/sin in
    odd quadrants (one division)."""
    q, rh, rl = (reduce or _reduce_pio2)(e, x)
    s, c = _sin_kernel(e, rh, rl), _cos_kernel(e, rh, rl)
    odd = quadrant_bit(e, q, 1)
    y = e.div(e.select(odd, e.neg(c), s), e.select(odd, s, c))
    return _trig_specials(e, x, y, odd=True)


def atan2(e: Emitter, y, x):
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
