"""Exact paths of the log family: log, log1p, and pow (exp of a double-double log)."""

from __future__ import annotations

import math

from graphc.backends.llvm.math.constants import (
    LN2_HI,
    LN2_LO,
    LOG,
    LOG_F32,
    SQRT_HALF_BITS,
    TWO_THIRDS_H,
    TWO_THIRDS_L,
)
from graphc.backends.llvm.math.emitter import Emitter
from graphc.backends.llvm.math.exp import exp, exp_dd


def _log_split(e: Emitter, x):
    """x > 0 as 2^k * m with m in [sqrt(2)/2, sqrt(2)); returns (k as a double, f = m - 1 exactly)."""
    tiny = e.cmp("<", x, e.c(2.0**-1022))
    xs = e.select(tiny, e.mul(x, e.c(2.0**54)), x)
    bits = e.bits(xs)
    k = e.b.ashr(e.b.sub(bits, e.i(SQRT_HALF_BITS)), e.i(52))
    m = e.from_bits(e.b.sub(bits, e.b.shl(k, e.i(52))))
    kd = e.sub(e.to_float(k), e.select(tiny, e.c(54.0), e.c(0.0)))
    return kd, e.sub(m, e.c(1.0))


def _log1p_kernel(e: Emitter, k, f, c):
    """k ln2 + log1p(f) + c with s = f / (2 + f), log1p(f) = 2 atanh(s) = f - (f^2/2 - s (f^2/2 + R))."""
    s = e.div(f, e.add(e.c(2.0), f))
    z = e.mul(s, s)
    big_r = e.mul(z, e.poly(z, e.pick(LOG, LOG_F32)))
    hfsq = e.mul(e.c(0.5), e.mul(f, f))
    low = e.add(e.mul(s, e.add(hfsq, big_r)), e.add(e.mul(k, e.c(LN2_LO)), c))
    return e.add(e.mul(k, e.c(LN2_HI)), e.sub(f, e.sub(hfsq, low)))


def _log_specials(e: Emitter, x, y, at_zero):
    """log-like special values: NaN below zero and for NaN, -inf at `at_zero`, inf at inf."""
    y = e.select(e.cmp("==", x, e.c(math.inf)), x, y)
    y = e.select(e.cmp("==", x, e.c(at_zero)), e.c(-math.inf), y)
    return e.select(e.or_(e.cmp("<", x, e.c(at_zero)), e.isnan(x)), e.c(math.nan), y)


def log(e: Emitter, x):
    """log: x = 2^k m, m in [sqrt(2)/2, sqrt(2)), log m = 2 atanh((m-1)/(m+1)), degree-7 polynomial in s^2."""
    k, f = _log_split(e, x)
    return _log_specials(e, x, _log1p_kernel(e, k, f, e.c(0.0)), 0.0)


def log1p(e: Emitter, x):
    """log1p: log(u) for u = fl(1 + x) as in log, plus the correction (1 + x - u) / u."""
    u = e.add(e.c(1.0), x)
    exact = e.select(e.cmp(">=", u, e.c(2.0)), e.sub(e.c(1.0), e.sub(u, x)), e.sub(x, e.sub(u, e.c(1.0))))
    k, f = _log_split(e, u)
    y = _log_specials(e, x, _log1p_kernel(e, k, f, e.div(exact, u)), -1.0)
    return e.select(e.cmp("<", e.fabs(x), e.c(2.0**-54)), x, y)


def _log_dd(e: Emitter, ax):
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


def power(e: Emitter, x, y):
    """pow: exp(y log|x|), with log|x| and y log|x| in double-double for float64, and
    C99/NumPy special cases: x^0 = 1^y = 1, (-x)^odd = -(x^odd), negative^non-integer = NaN."""
    ax = e.fabs(x)
    if e.precise:
        lh, ll = _log_dd(e, ax)
        ph, pl = e.two_prod(y, lh)
        pl = e.add(pl, e.mul(y, ll))
        pl = e.select(e.isfinite(ph), pl, e.c(0.0))
        r = exp_dd(e, ph, pl)
    else:
        r = exp(e, e.mul(y, log(e, ax)))
    y_int = e.cmp("==", e.floor(y), y)
    half = e.mul(e.c(0.5), y)
    y_odd = e.and_(y_int, e.cmp("!=", e.floor(half), half))
    r = e.select(e.and_(e.signbit(x), y_odd), e.neg(r), r)
    neg_finite = e.and_(e.cmp("<", x, e.c(0.0)), e.cmp(">", x, e.c(-math.inf)))
    r = e.select(e.and_(neg_finite, e.not_(y_int)), e.c(math.nan), r)
    unit_inf = e.and_(e.cmp("==", ax, e.c(1.0)), e.cmp("==", e.fabs(y), e.c(math.inf)))
    one = e.or_(unit_inf, e.or_(e.cmp("==", x, e.c(1.0)), e.cmp("==", y, e.c(0.0))))
    return e.select(one, e.c(1.0), r)
