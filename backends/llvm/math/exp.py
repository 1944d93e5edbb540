"""Exact paths of the exp family: exp, expm1, tanh, sigmoid, and erf (which needs exp)."""

from __future__ import annotations

from graphc.backends.llvm.math.constants import (
    ERF,
    ERF_F32,
    ERFC,
    ERFC_CENTER,
    ERFC_F32,
    EXPM1,
    EXPM1_F32,
    INV_LN2,
    LN2_HI,
    LN2_LO,
)
from graphc.backends.llvm.math.emitter import Emitter


def expm1_poly(e: Emitter, r):
    """expm1(r) for |r| <= ln2/2: r + r^2/2 + r^3 * P(r), P of degree 9."""
    r2 = e.mul(r, r)
    tail = e.add(e.mul(e.c(0.5), r2), e.mul(r2, e.mul(r, e.poly(r, e.pick(EXPM1, EXPM1_F32)))))
    return e.add(r, tail)


def _reduce_ln2(e: Emitter, x, lo: float, hi: float):
    """Cody-Waite reduction: x clamped to [lo, hi] = k ln2 + r, |r| <= ln2/2; returns (k, r)."""
    xc = e.minnum(e.maxnum(x, e.c(lo)), e.c(hi))
    k = e.rint(e.mul(xc, e.c(INV_LN2)))
    r = e.sub(xc, e.mul(k, e.c(LN2_HI)))  # exact
    return k, e.sub(r, e.mul(k, e.c(LN2_LO)))


def _scale(e: Emitter, p, k):
    """p * 2^k for an integral double k in [-1077, 1025], in two exact steps so that a subnormal
    result is rounded once and a large one overflows to inf."""
    ki = e.to_int(k)
    k1 = e.b.ashr(ki, e.i(1))
    return e.mul(e.mul(p, e.pow2(k1)), e.pow2(e.b.sub(ki, k1)))


def exp_dd(e: Emitter, x, xlo=None):
    """exp(x + xlo): Cody-Waite reduction by ln2, degree-12 polynomial, scaling by 2^k."""
    k, r = _reduce_ln2(e, x, -746.0, 710.0)
    if xlo is not None:  # irrelevant, and maybe huge, where x itself over- or underflows
        r = e.add(r, e.select(e.cmp("<", e.fabs(x), e.c(746.0)), xlo, e.c(0.0)))
    y = _scale(e, e.add(e.c(1.0), expm1_poly(e, r)), k)
    return e.select(e.isnan(x), x, y)


def exp(e: Emitter, x):
    """exp: Cody-Waite reduction by ln2, degree-12 polynomial, scaling by 2^k (see exp_dd)."""
    return exp_dd(e, x)


def expm1(e: Emitter, x):
    """expm1: reduction x = k ln2 + r as in exp, then (2^k - 1) + 2^k expm1(r), where both terms
    are exact up to the final rounding; 2^k (1 + expm1(r)) once 2^k - 1 is 2^k."""
    k, r = _reduce_ln2(e, x, -40.0, 710.0)
    em = expm1_poly(e, r)
    t = e.pow2(e.to_int(e.minnum(k, e.c(56.0))))
    small = e.add(e.sub(t, e.c(1.0)), e.mul(t, em))
    big = _scale(e, e.add(e.c(1.0), em), k)
    y = e.select(e.cmp(">", k, e.c(56.0)), big, small)
    y = e.select(e.cmp("<", e.fabs(x), e.c(2.0**-54)), x, y)
    return e.select(e.isnan(x), x, y)


def tanh(e: Emitter, x):
    """tanh: t = expm1(2|x|), tanh|x| = t / (t + 2), which damps the error of t; sign restored."""
    ax = e.minnum(e.fabs(x), e.c(22.0))  # tanh(22) rounds to 1
    t = expm1(e, e.mul(e.c(2.0), ax))
    y = e.copysign(e.div(t, e.add(t, e.c(2.0))), x)
    y = e.select(e.cmp("<", e.fabs(x), e.c(2.0**-28)), x, y)
    return e.select(e.isnan(x), x, y)


def sigmoid(e: Emitter, x):
    """sigmoid: with t = exp(-|x|), 1 / (1 + t) for x >= 0 and t / (1 + t) below: never overflows."""
    t = exp(e, e.neg(e.fabs(x)))
    d = e.add(e.c(1.0), t)
    return e.select(e.cmp(">=", x, e.c(0.0)), e.div(e.c(1.0), d), e.div(t, d))


def erf(e: Emitter, x):
    """erf: x P(x^2) (degree 12 in x^2) for |x| < 1; 1 - exp(-x^2) Q(1/(1+|x|)) (degree 19, x^2
    split exactly by FMA) for 1 <= |x| < 6; +-1 beyond."""
    ax = e.fabs(x)
    small = e.mul(x, e.poly(e.mul(x, x), e.pick(ERF, ERF_F32)))
    axc = e.minnum(ax, e.c(6.0))
    t = e.sub(e.div(e.c(1.0), e.add(e.c(1.0), axc)), e.c(ERFC_CENTER))
    sq, sq_lo = e.two_prod(axc, axc)
    damp = e.mul(exp(e, e.neg(sq)), e.sub(e.c(1.0), sq_lo))
    large = e.copysign(e.sub(e.c(1.0), e.mul(damp, e.poly(t, e.pick(ERFC, ERFC_F32)))), x)
    y = e.select(e.cmp("<", ax, e.c(1.0)), small, large)
    y = e.select(e.cmp(">=", ax, e.c(6.0)), e.copysign(e.c(1.0), x), y)
    return e.select(e.isnan(x), x, y)
