"""Every derivative rule in `passes.autodiff.VJP` against central finite differences.

Each case builds `loss = sum(f(xs) * w)` from float64 placeholders (`w` a random
cotangent), takes `graphc.grad(loss, xs)`, compiles it with `graphc.function` and
compares it, at random points drawn by hypothesis, with central differences of the
compiled forward. Edge points (ties, zeros, kinks, overflow) get exact checks.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphc
from graphc.graph import topological_order
from graphc.passes.autodiff import VJP

F64 = graphc.float64

# ----------------------------------------------------------------------------- samplers

Sampler = Callable[[np.random.Generator, tuple[int, ...]], np.ndarray]


def normal(rng, shape):
    return rng.standard_normal(shape)


def positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def uniform(lo, hi) -> Sampler:
    return lambda rng, shape: rng.uniform(lo, hi, shape)


def away_from_zero(rng, shape):
    return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def with_zeros(rng, shape):
    """Normal values with about a third of the entries exactly zero (so slices hold 0, 1, 2+ zeros)."""
    x = rng.standard_normal(shape)
    x[rng.random(shape) < 0.35] = 0.0
    return x


def off_integers(rng, shape):
    """Values at least 0.1 from any integer, where floor and int casts jump."""
    return rng.integers(-3, 4, shape) + rng.uniform(0.1, 0.9, shape)


def dividend(rng, shape):
    """Multiples of 0.5 plus (0.05, 0.45): over any divisor below, a quotient at least 0.025
    from an integer, where mod jumps, whatever pairs broadcasting makes."""
    return rng.integers(-6, 6, shape) * 0.5 + rng.uniform(0.05, 0.45, shape)


def divisor(rng, shape):
    return rng.choice([-2.0, -1.0, -0.5, 0.5, 1.0, 2.0], shape)


def distinct(rng, shape):
    """Values at least 0.1 apart, so that no max/min is within a finite-difference step of a tie."""
    n = math.prod(shape)
    return (rng.permutation(n) * 0.1 + rng.uniform(0, 0.01, n)).reshape(shape) - 0.05 * n


# ----------------------------------------------------------------------------- the cases

@dataclass(frozen=True)
class Case:
    """`fn` applied to float64 placeholders of `shapes` (a dim may be a symbol name)."""

    name: str
    fn: Callable
    shapes: tuple
    sample: Sampler | tuple[Sampler, ...] = normal
    bindings: tuple[dict, ...] = ({},)
    eps: float = 1e-6
    tol: float = 1e-5

    def samplers(self) -> tuple[Sampler, ...]:
        return self.sample if isinstance(self.sample, tuple) else (self.sample,) * len(self.shapes)


G = graphc
S2 = ((2, 3),)
SYM = ({"n": 2}, {"n": 5})  # each symbolic case is evaluated at two sizes

UNARY = [
    Case("neg", G.neg, S2),
    Case("abs", G.abs, S2, away_from_zero),
    Case("exp", G.exp, S2),
    Case("log", G.log, S2, positive),
    Case("log1p", G.log1p, S2, uniform(-0.5, 2.0)),
    Case("expm1", G.expm1, S2),
    Case("sqrt", G.sqrt, S2, positive),
    Case("rsqrt", G.rsqrt, S2, positive),
    Case("sin", G.sin, S2),
    Case("cos", G.cos, S2),
    Case("tan", G.tan, S2, uniform(-1.2, 1.2)),
    Case("tanh", G.tanh, S2),
    Case("sigmoid", G.sigmoid, S2),
    Case("relu", G.relu, S2, away_from_zero),
    Case("erf", G.erf, S2),
    # float64 -> float32 -> float64: a coarse step, as float32 rounds at 1e-7
    Case("cast", lambda x: G.cast(G.cast(x, G.float32) ** 2, F64), S2, eps=1e-2, tol=1e-3),
    Case("cast-to-int-stops", lambda x: x * G.cast(G.cast(x, G.int64), F64), S2, off_integers),
]

BROADCASTS = [((2, 3), (2, 3)), ((3, 1), (4,)), ((2, 3), ()), ((), (2, 3)), ((2, 1, 3), (4, 1))]
BINARY_FNS = {
    "add": (G.add, normal, normal),
    "sub": (G.sub, normal, normal),
    "mul": (G.mul, normal, normal),
    "div": (G.div, normal, away_from_zero),
    "mod": (G.mod, dividend, divisor),
    "pow": (G.pow, positive, uniform(-2, 2)),
    "maximum": (G.maximum, normal, normal),
    "minimum": (G.minimum, normal, normal),
    "atan2": (G.atan2, normal, normal),
}
BINARY = [Case(f"{name}{list(sa)}{list(sb)}", fn, (sa, sb), (s0, s1))
          for name, (fn, s0, s1) in BINARY_FNS.items() for sa, sb in BROADCASTS]
BINARY += [
    Case("mul-python-scalar", lambda x: 2.5 * x - x / 4.0, S2),
    Case("pow-int-exponent-negative-base", lambda x: x ** 3 + x ** 2 - x ** -1, S2, away_from_zero),
    Case("pow-scalar-base", lambda x: 2.0 ** x, S2),
    Case("pow-tensor-int-exponent", lambda x, n: x ** G.floor(n), ((3, 1), (4,)),
         (away_from_zero, off_integers)),
    Case("where", lambda a, b: G.where(a > 0, a * b, b), ((3, 1), (4,))),
    Case("where-constant-condition",
         lambda a, b: G.where(G.tensor([[True], [False], [True]]), a, b * b), ((4,), (3, 4))),
    Case("where-broadcast-branches", lambda a, b: G.where(a > b, a, G.sin(b)), ((3, 1), (4,))),
]

R3 = ((2, 3, 4),)
REDUCTIONS = []
for _op, _sampler in (("sum", normal), ("mean", normal), ("max", distinct), ("min", distinct),
                      ("prod", with_zeros)):
    for _axis in (None, 0, 1, -1, (0, 2)):
        for _keep in (False, True):
            REDUCTIONS.append(Case(
                f"{_op}-axis{_axis}-keep{_keep}",
                lambda x, op=_op, axis=_axis, keep=_keep: getattr(G, op)(x, axis=axis, keepdims=keep),
                R3, _sampler))

SHAPES = [
    Case("reshape", lambda x: G.reshape(x, (6, 4)), R3),
    Case("reshape-infer", lambda x: G.reshape(x, (-1,)), R3),
    Case("squeeze-unsqueeze", lambda x: G.squeeze(G.unsqueeze(x, 1)[:, :, :2], 1), S2),
    Case("broadcast_to", lambda x: G.broadcast_to(x, (2, 3, 4)), ((3, 1),)),
    Case("permute", lambda x: G.permute(x, (2, 0, 1)), R3),
    Case("transpose", lambda x: G.transpose(x, 0, 2), R3),
    Case("T", lambda x: x.T, S2),
    Case("flip", lambda x: G.flip(x, 1), R3),
    Case("flip-many", lambda x: G.flip(x, (0, 2)), R3),
    Case("pad", lambda x: G.pad_widths(x, ((1, 2), (0, 3))), S2),
    Case("pad-value", lambda x: G.pad_widths(x, 1, value=2.0), S2),
    Case("cat0", lambda a, b, c: G.cat([a, b, c], 0), ((2, 3), (1, 3), (4, 3))),
    Case("cat1", lambda a, b: G.cat([a, b], axis=1), ((2, 3), (2, 2))),
    Case("cat-same-tensor", lambda a: G.cat([a, a * 2], axis=-1), S2),
    Case("stack0", lambda a, b: G.stack([a, b]), (S2[0], S2[0])),
    Case("stack-last", lambda a, b: G.stack([a, b], axis=-1), (S2[0], S2[0])),
]

INDEXES = [
    1, -1, (slice(None), 2), (slice(None), -2), (slice(1, 3),), (slice(None, None, 2),),
    (slice(None, None, -1),), (slice(4, 0, -2),), (slice(-3, -1),), (slice(None, None, 3), -1),
    (None, Ellipsis, 1), (Ellipsis, -2), (1, None, slice(None, None, -3)), (slice(None), None),
    (), Ellipsis, (slice(5, None, -2), slice(1, None, 2)), (-5, slice(0, 0)), (0, 1),
    (slice(10, -10, -1), None, slice(-1, None)),
]
GETITEM = [Case(f"getitem{index!r}".replace(" ", ""), lambda x, i=index: x[i], ((5, 4),))
           for index in INDEXES]
GETITEM.append(Case("getitem-3d", lambda x: x[1:, ..., ::-2], R3))

MATMUL = [
    Case(f"matmul{list(sa)}@{list(sb)}", G.matmul, (sa, sb))
    for sa, sb in [((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)),
                   ((2, 1, 3, 4), (5, 4, 2)), ((3, 4), (2, 4, 5)), ((2, 3, 4), (4,)), ((4,), (2, 4, 3))]
]

COMPOSITES = [
    Case("softmax", lambda x: G.softmax(x, axis=1), R3),
    Case("softmax-axis0", lambda x: G.softmax(x, dim=0), S2),
    Case("log_softmax", lambda x: G.log_softmax(x), R3),
    Case("logsumexp", lambda x: G.logsumexp(x, axis=0), R3),
    Case("logsumexp-keepdims", lambda x: G.logsumexp(x, axis=2, keepdims=True), R3),
    Case("dot", G.dot, ((4,), (4,))),
    Case("mlp", lambda x, w: G.sum(G.tanh(x @ w) ** 2, axis=1), ((3, 4), (4, 2))),
]

SCANS = [
    Case("cumsum1", lambda x: G.cumsum(x, 1), R3),
    Case("cumsum-last", lambda x: G.cumsum(x, dim=-1), S2),
    Case("cumprod0", lambda x: G.cumprod(x, 0), R3),
    Case("cumprod-last", lambda x: G.cumprod(x, -1), R3),
    Case("cumprod-zeros", lambda x: G.cumprod(x, 1), ((3, 6),), with_zeros),
    Case("sym-cumsum", lambda x: G.cumsum(x, 0), (("n", 3),), bindings=SYM),
    Case("sym-cumprod-zeros", lambda x: G.cumprod(x, 0), (("n", 3),), with_zeros, SYM),
]

SYMBOLIC = [
    Case("sym-unary", lambda x: G.exp(G.sin(x)), (("n", 3),), bindings=SYM),
    Case("sym-broadcast-add", lambda x, b: x * b + b, (("n", 3), (3,)), bindings=SYM),
    Case("sym-broadcast-col", lambda x, b: x / b, (("n", 1), (1, 3)), (normal, away_from_zero), SYM),
    Case("sym-broadcast-same", lambda x, y: G.maximum(x, y), (("n", 3), ("n", 1)), bindings=SYM),
    Case("sym-sum0", lambda x: G.sum(x, axis=0), (("n", 3),), bindings=SYM),
    Case("sym-sum-keep", lambda x: G.sum(x, axis=1, keepdims=True), (("n", 3),), bindings=SYM),
    Case("sym-mean0", lambda x: G.mean(x, axis=0), (("n", 3),), bindings=SYM),
    Case("sym-mean-all", G.mean, (("n", 3),), bindings=SYM),
    Case("sym-max0", lambda x: G.max(x, axis=0, keepdims=True), (("n", 3),), distinct, SYM),
    Case("sym-min-all", G.min, (("n", 3),), distinct, SYM),
    Case("sym-prod0", lambda x: G.prod(x, axis=0), (("n", 3),), with_zeros, SYM),
    Case("sym-reshape", lambda x: G.reshape(x, (-1,)), (("n", 3),), bindings=SYM),
    Case("sym-transpose-flip", lambda x: G.flip(x.T, 1), (("n", 3),), bindings=SYM),
    Case("sym-pad", lambda x: G.pad_widths(x, ((2, 1), (0, 1))), (("n", 3),), bindings=SYM),
    Case("sym-slice", lambda x: x[1:, ::2], (("n", 3),), bindings=SYM),
    Case("sym-slice-neg", lambda x: x[:-1] * x[1:], (("n", 3),), bindings=SYM),
    Case("sym-index0", lambda x: x[0], (("n", 3),), bindings=SYM),
    Case("sym-index-neg", lambda x: x[-1] + x[-2], (("n", 3),), bindings=SYM),
    Case("sym-cat1", lambda x, y: G.cat([x, y], axis=1), (("n", 3), ("n", 2)), bindings=SYM),
    Case("sym-cat0", lambda x, y: G.cat([y, x, y], axis=0), (("n", 3), (2, 3)), bindings=SYM),
    Case("sym-stack", lambda x: G.stack([x, -x], axis=1), (("n", 3),), bindings=SYM),
    Case("sym-matmul", lambda x, w: x @ w, (("n", 3), (3, 2)), bindings=SYM),
    Case("sym-matmul-contract", lambda x, y: x.T @ y, (("n", 3), ("n", 2)), bindings=SYM),
    Case("sym-softmax", lambda x: G.softmax(x, axis=0), (("n", 3),), bindings=SYM),
    Case("sym-where", lambda x: G.where(x > 0, G.sqrt(G.abs(x)), x), (("n", 3),), away_from_zero, SYM),
]

# Indexing (graphc/indexing.py): integer arrays, assignment, gather/scatter, sort.
INDEXING = [
    Case("setitem", lambda x, v: G.setitem(x, (slice(1, None), slice(None, None, 2)), v),
         ((4, 3), (2,))),
    Case("gather", lambda x: G.gather(x, 1, G.tensor([[0, 0, 2], [1, 2, 2], [2, 0, 1], [0, 0, 0]])),
         ((4, 3),)),
    Case("scatter", lambda x, s: G.scatter(x, 0, G.tensor([[0, 3, 1], [0, 2, 1]]), s), ((4, 3), (2, 3))),
    Case("scatter_add", lambda x, s: G.scatter_add(x, 0, G.tensor([[0, 3, 1], [0, 3, 3]]), s),
         ((4, 3), (2, 3))),
    Case("array-index", lambda x: x[[0, -1, 0], 1:] * x[:, [2, 2]][:3, :2], ((4, 3),)),
    Case("sort", lambda x: G.sort(x, 0).values * G.topk(x, 2).values[:1, :1], ((4, 3),), distinct),
    Case("sym-strided-reversed", lambda x: x[::-2, ::2], (("n", 3),), bindings=SYM),
    Case("sym-setitem", lambda x: G.setitem(x, (slice(None, None, -3),), x[0] * 2), (("n", 3),),
         bindings=SYM),
    Case("sym-array-index", lambda x: x[[0, -1, 0]] + x[:, [1]][0], (("n", 3),), bindings=SYM),
    Case("sym-sort", lambda x: G.sort(x, 0, descending=True).values, (("n", 3),), distinct, SYM),
]

CASES = UNARY + BINARY + REDUCTIONS + SHAPES + GETITEM + MATMUL + COMPOSITES + SCANS + SYMBOLIC + INDEXING


# ----------------------------------------------------------------------------- the check

def _concrete(shape, binding: dict) -> tuple[int, ...]:
    return tuple(d if isinstance(d, int) else binding[d] for d in shape)


class Checker:
    """The compiled loss and gradient of one case; compares them at given points."""

    def __init__(self, case: Case):
        self.case = case
        self.xs = [G.placeholder(f"x{k}", shape, dtype=F64) for k, shape in enumerate(case.shapes)]
        out = case.fn(*self.xs)
        assert out.dtype == F64, out.dtype
        self.w = G.placeholder("w", tuple(out.shape), dtype=F64)
        loss = G.sum(out * self.w)
        grads = G.grad(loss, self.xs)
        for x, g in zip(self.xs, grads):
            assert g.dtype == x.dtype and tuple(g.shape) == tuple(x.shape), (g.shape, x.shape)
        self.out = G.function(self.xs, out)
        self.loss = G.function([*self.xs, self.w], loss)
        self.grads = G.function([*self.xs, self.w], grads)

    def check(self, rng: np.random.Generator) -> None:
        case = self.case
        for binding in case.bindings:
            values = [s(rng, _concrete(shape, binding)) for s, shape in zip(case.samplers(), case.shapes)]
            values = [np.asarray(v, dtype=np.float64) for v in values]
            w = rng.standard_normal(np.shape(self.out(*values)))
            grads = self.grads(*values, w)
            for k, (v, g) in enumerate(zip(values, grads)):
                expected = self.finite_difference(values, w, k)
                np.testing.assert_allclose(
                    g, expected, rtol=case.tol, atol=case.tol,
                    err_msg=f"{case.name}: d/dx{k} at {binding or 'static shapes'}, x{k}={v!r}")

    def finite_difference(self, values, w, k):
        eps = self.case.eps
        x = values[k]
        out = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            hi, lo = x.copy(), x.copy()
            hi[i] += eps
            lo[i] -= eps
            args_hi = [*values[:k], hi, *values[k + 1:], w]
            args_lo = [*values[:k], lo, *values[k + 1:], w]
            out[i] = (self.loss(*args_hi) - self.loss(*args_lo)) / (2 * eps)
        return out


class SecondOrderChecker(Checker):
    """Hessian-vector products: the gradient of <gradient, v>, against differences of the gradient."""

    def __init__(self, case: Case):
        super().__init__(case)
        grads = G.grad(G.sum(self.case.fn(*self.xs) * self.w), self.xs)
        self.vs = [G.placeholder(f"v{k}", x.shape, dtype=F64) for k, x in enumerate(self.xs)]
        directional = sum((G.sum(g * v) for g, v in zip(grads, self.vs)), start=G.tensor(0.0, dtype=F64))
        hvps = G.grad(directional, self.xs, materialize_grads=True)
        self.hvps = G.function([*self.xs, self.w, *self.vs], hvps)

    def check(self, rng: np.random.Generator) -> None:
        case = self.case
        eps = case.eps * 10
        for binding in case.bindings:
            values = [s(rng, _concrete(shape, binding)) for s, shape in zip(case.samplers(), case.shapes)]
            values = [np.asarray(v, dtype=np.float64) for v in values]
            w = rng.standard_normal(np.shape(self.out(*values)))
            vs = [rng.standard_normal(v.shape) for v in values]
            hvps = self.hvps(*values, w, *vs)
            hi = self.grads(*(x + eps * v for x, v in zip(values, vs)), w)
            lo = self.grads(*(x - eps * v for x, v in zip(values, vs)), w)
            for k, hvp in enumerate(hvps):
                np.testing.assert_allclose(
                    hvp, (hi[k] - lo[k]) / (2 * eps), rtol=case.tol * 10, atol=case.tol * 10,
                    err_msg=f"{case.name}: hessian-vector product for x{k} at {binding or 'static shapes'}")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hessian_vector_product_matches_finite_differences(case):
    checker = SecondOrderChecker(case)

    @settings(max_examples=3, deadline=None, database=None)
    @given(st.integers(0, 2**32 - 1))
    def at_random_points(seed):
        checker.check(np.random.default_rng(seed))

    at_random_points()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_gradient_matches_finite_differences(case):
    checker = Checker(case)

    @settings(max_examples=8, deadline=None, database=None)
    @given(st.integers(0, 2**32 - 1))
    def at_random_points(seed):
        checker.check(np.random.default_rng(seed))

    at_random_points()


def test_every_rule_is_exercised_by_a_finite_difference_case():
    used: set[str] = set()
    for case in CASES:
        xs = [G.placeholder(f"x{k}", s, dtype=F64) for k, s in enumerate(case.shapes)]
        used |= {n.op for n in topological_order([case.fn(*xs)._node])}
    assert set(VJP) - used == set(), "rules without a finite-difference case"


# ----------------------------------------------------------------------------- edge points

def grad_at(fn, value, dtype=F64, cotangent=None):
    """d sum(fn(x) * cotangent) / dx at `value`, compiled."""
    value = np.asarray(value, dtype=dtype.numpy)
    x = G.placeholder("x", value.shape, dtype=dtype)
    y = fn(x)
    if cotangent is None:
        g = G.grad(G.sum(y), x)
    else:
        g = G.grad(y, x, grad_outputs=G.tensor(np.asarray(cotangent, dtype=dtype.numpy)))
    return G.function([x], g)(value)


def test_where_guarding_sqrt_has_a_finite_gradient_at_zero():
    g = grad_at(lambda x: G.where(x > 0, G.sqrt(x), 0.0), [0.0, 4.0, -1.0])
    np.testing.assert_array_equal(g, [0.0, 0.25, 0.0])


def test_where_guarding_log_and_division_leaks_no_nan():
    g = grad_at(lambda x: G.where(x > 0, G.log(x), 0.0) + G.where(x != 0, 1.0 / x, 0.0),
                [0.0, 2.0, -1.0])
    np.testing.assert_allclose(g, [0.0, 0.5 - 0.25, -1.0])


def test_pow_at_zero_and_at_negative_bases_with_integer_exponents():
    x = [0.0, -2.0, -0.5, 3.0]
    np.testing.assert_allclose(grad_at(lambda x: x ** 2, x), [0.0, -4.0, -1.0, 6.0])
    np.testing.assert_allclose(grad_at(lambda x: x ** 3, x), [0.0, 12.0, 0.75, 27.0])
    np.testing.assert_array_equal(grad_at(lambda x: x ** 0, x), [0.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(grad_at(lambda x: x ** 1, x), [1.0, 1.0, 1.0, 1.0])
    np.testing.assert_allclose(grad_at(lambda x: x ** -2, x[1:]), [0.25, 16.0, -2 / 27])
    # As PyTorch: d/dx x**0.5 at 0 is inf, and d/dx x**1.5 at 0 is 0.
    assert grad_at(lambda x: x ** 0.5, [0.0])[0] == np.inf
    assert grad_at(lambda x: x ** 1.5, [0.0])[0] == 0.0


def test_pow_gradient_wrt_the_exponent_at_a_zero_base():
    # d/db 0**b = 0 for b > 0 (PyTorch's convention; the limit of b * 0**b * log 0).
    a = G.tensor(np.zeros(3))
    b = G.placeholder("b", (3,), dtype=F64)
    g = G.function([b], G.grad(G.sum(a ** b), b))(np.array([0.5, 1.0, 2.0]))
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])


def test_negative_base_with_integer_tensor_exponent_has_finite_base_gradient():
    a = G.placeholder("a", (3,), dtype=F64)
    n = G.tensor(np.array([2.0, 3.0, -1.0]))
    g = G.function([a], G.grad(G.sum(a ** n), a))(np.array([-2.0, -1.0, -4.0]))
    np.testing.assert_allclose(g, [-4.0, 3.0, -1 / 16])


def test_abs_and_relu_have_zero_gradient_at_zero_as_pytorch():
    np.testing.assert_array_equal(grad_at(G.abs, [0.0, -2.0, 3.0]), [0.0, -1.0, 1.0])
    np.testing.assert_array_equal(grad_at(G.relu, [0.0, -2.0, 3.0]), [0.0, 0.0, 1.0])


def test_max_and_min_split_the_cotangent_evenly_among_ties():
    np.testing.assert_allclose(grad_at(G.max, [1.0, 3.0, 3.0, 2.0]), [0, 0.5, 0.5, 0])
    np.testing.assert_allclose(grad_at(G.min, [1.0, 1.0, 1.0, 2.0]), [1 / 3, 1 / 3, 1 / 3, 0])
    x = [[1.0, 5.0, 5.0], [2.0, 2.0, 0.0]]
    np.testing.assert_allclose(
        grad_at(lambda t: G.max(t, axis=1, keepdims=True), x, cotangent=[[2.0], [4.0]]),
        [[0, 1, 1], [2, 2, 0]])
    np.testing.assert_allclose(
        grad_at(lambda t: G.min(t, axis=0), x, cotangent=[1.0, 3.0, 5.0]),
        [[1, 0, 0], [0, 3, 5]])


def test_maximum_and_minimum_split_ties_in_half_as_pytorch():
    a = G.placeholder("a", (3,), dtype=F64)
    b = G.placeholder("b", (3,), dtype=F64)
    for op, a_wins in ((G.maximum, [1, 0.5, 0]), (G.minimum, [0, 0.5, 1])):
        ga, gb = G.function([a, b], G.grad(G.sum(op(a, b)), [a, b]))(
            np.array([2.0, 1.0, 0.0]), np.array([1.0, 1.0, 1.0]))
        np.testing.assert_array_equal(ga, a_wins)
        np.testing.assert_array_equal(gb, 1 - np.array(a_wins))


def test_prod_with_zeros_gives_the_product_of_the_others():
    np.testing.assert_array_equal(grad_at(G.prod, [2.0, 0.0, 3.0]), [0.0, 6.0, 0.0])
    np.testing.assert_array_equal(grad_at(G.prod, [0.0, 0.0, 3.0]), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(grad_at(G.prod, [2.0, -1.0, 3.0]), [-3.0, 6.0, -2.0])
    np.testing.assert_array_equal(
        grad_at(lambda t: G.prod(t, axis=1), [[0.0, 4.0], [0.0, 0.0]]), [[4.0, 0.0], [0.0, 0.0]])


@pytest.mark.parametrize("scale", [1000.0, -1000.0, 1e300])
def test_softmax_family_has_finite_gradients_at_huge_inputs(scale):
    x = np.array([[1.0, 1.0, 0.0], [0.0, -1.0, 2.0]]) * scale
    w = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]])
    for fn in (lambda t: G.softmax(t, axis=1), lambda t: G.log_softmax(t, axis=1),
               lambda t: G.logsumexp(t, axis=1, keepdims=True)):
        g = grad_at(lambda t, fn=fn: fn(t) * G.tensor(w[:, : fn(t).shape[1]]), x)
        assert np.all(np.isfinite(g)), (scale, g)
    # d logsumexp / dx is softmax: at x = [1000, 1000, -1000] that is [0.5, 0.5, 0].
    np.testing.assert_allclose(grad_at(lambda t: G.logsumexp(t, axis=0), [1000.0, 1000.0, -1000.0]),
                               [0.5, 0.5, 0.0])
    # d/dx_j of log_softmax(x)_0 is [j == 0] - softmax(x)_j.
    np.testing.assert_allclose(grad_at(lambda t: G.log_softmax(t, axis=0)[0], [1000.0, 1000.0, 0.0]),
                               [0.5, -0.5, 0.0], atol=1e-12)


def test_non_differentiable_ops_pass_no_gradient():
    x = [0.3, 1.7, -2.5]
    # floor/sign/round/comparisons/argmax are piecewise constant: only the outer x counts.
    np.testing.assert_allclose(grad_at(lambda t: t * G.floor(t) + G.sign(t) + G.round(t), x),
                               np.floor(x))
    np.testing.assert_allclose(
        grad_at(lambda t: t * G.cast(G.argmax(t), F64) + G.cast(t > 0, F64), x), [1.0, 1.0, 1.0])
    np.testing.assert_allclose(grad_at(lambda t: t * G.floordiv(t, 2.0), x), np.floor(np.array(x) / 2))


def test_gradients_keep_the_input_dtype():
    x = G.placeholder("x", (3,), dtype=G.float32)
    g = G.grad(G.sum(G.cast(x, F64) ** 2), x)
    assert g.dtype == G.float32
    np.testing.assert_allclose(G.function([x], g)(np.array([1, 2, 3], np.float32)), [2, 4, 6])


@pytest.mark.parametrize("values", [[2.0, -1.0, 3.0, 0.5], [2.0, 0.0, 3.0, 0.5], [0.0, 0.0, 3.0, 0.5],
                                    [0.0, 0.0, 0.0, 0.5], [0.0, 0.0, 0.0, 0.0]])
def test_hessian_of_prod_is_exact_with_zeros(values):
    x = G.placeholder("x", (4,), dtype=F64)
    h = G.function([x], G.hessian(G.prod(x), x))(np.array(values))
    # d2 prod / dx_i dx_j = the product of the entries other than i and j (0 on the diagonal).
    expected = np.array([[0.0 if i == j else np.prod(np.delete(values, [i, j])) for j in range(4)]
                         for i in range(4)])
    np.testing.assert_array_equal(h, expected)


def test_second_derivatives_through_symbolic_slices_pads_and_cats():
    x = G.placeholder("x", ("n",), dtype=F64)
    # (x[0] and x[1] stacked: x[:2] has Min(2, n) elements, and a cat of two pieces of
    # symbolic sizes has no gradient)
    loss = (G.sum(x[-1] ** 3 + G.pad_widths(x[1:], (2, 0)) ** 2)
            + G.sum(G.cat([x, G.stack([x[0], x[1]])]) ** 3))
    g = G.grad(loss, x)
    hdiag = G.grad(G.sum(g), x)
    f = G.function([x], [g, hdiag])
    for v in (np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0, 1.5, -0.25])):
        # loss = (n+1) * x[-1]**3 + sum(x[1:]**2) + sum(x**3) + x[0]**3 + x[1]**3 (the scalar broadcasts)
        n = len(v)
        grad = 3 * v ** 2 + np.r_[0.0, 2 * v[1:]] + np.r_[3 * v[:2] ** 2, np.zeros(n - 2)]
        grad[-1] += 3 * (n + 1) * v[-1] ** 2
        hess = 6 * v + np.r_[0.0, np.full(n - 1, 2.0)] + np.r_[6 * v[:2], np.zeros(n - 2)]
        hess[-1] += 6 * (n + 1) * v[-1]
        got_g, got_h = f(v)
        np.testing.assert_allclose(got_g, grad, rtol=1e-12)
        np.testing.assert_allclose(got_h, hess, rtol=1e-12)
