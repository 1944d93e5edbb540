"""Gradients against finite differences: `graphc.vjp` of a float64 program, checked numerically.

The loss is L(x) = sum_k sum(output_k(x) * c_k) for random cotangents c_k, so its gradient is
the vjp graphc derives. NumPy (the program's mirror, independent of graphc) evaluates L at
x +- h e_i, and Richardson's extrapolation of the central differences at h and h/2 estimates
dL/dx_i to O(h^4). An element counts only where the function is smooth near the point: the
estimates from (h, h/2) and (h/2, h/4) must agree, which fails next to a kink of relu, abs,
max or where, so those elements are skipped instead of raising false alarms.

The gradient graph itself is run on every configuration and compared with the NumPy backend's
result the way tests/backends compares graphs (graphc.testing.tolerance).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

import graphc
from graphc.testing.oracle import Outcome, config_name, crash_outcome, worst
from graphc.testing.program import REJECTED, Built, Case, Program, evaluate
from graphc.testing.tolerance import agrees, identical, precision

FD = "finite-differences"
STEP = 1e-4
# |graphc - estimate| must be within RTOL of their size, plus ATOL of the loss's scale.
RTOL, ATOL = 1e-6, 1e-9


def cotangents(case: Case, outputs: list[np.ndarray], call: int) -> list[np.ndarray]:
    """Random cotangents for the outputs of a call (reproducible from the case's seed)."""
    rng = np.random.default_rng([case.seed, call, 7])
    return [rng.uniform(-1, 1, np.shape(o)).astype(o.dtype) for o in outputs]


def _loss(program: Program, built: Built, arrays: list[np.ndarray], binding, cots) -> tuple[float, float]:
    """(L, sum of |terms|) computed with NumPy."""
    outputs = [b.value for b in evaluate(program, built, arrays, binding)]
    terms = [np.asarray(o, np.float64) * c for o, c in zip(outputs, cots)]
    return float(sum(t.sum() for t in terms)), float(sum(np.abs(t).sum() for t in terms))


def finite_differences(program: Program, built: Built, arrays: list[np.ndarray], binding,
                       cots) -> tuple[list[np.ndarray], list[np.ndarray], float]:
    """(estimates, smooth masks, scale) of dL/dx for every input element.

    An element is smooth where the Richardson estimates from (h, h/2) and (h/2, h/4) agree and
    the one-sided differences at h/4 agree: at a kink (relu at 0, max of tied values) the
    central differences can be consistent, but the two sides are not.
    """
    base = [np.array(a, np.float64) for a in arrays]
    at_base, scale = _loss(program, built, base, binding, cots)
    estimates, smooth = [], []
    for k, x in enumerate(base):
        estimate, ok = np.zeros(x.shape), np.zeros(x.shape, bool)
        for i in np.ndindex(x.shape):
            h = STEP * max(1.0, abs(float(x[i])))
            loss = {}
            for step in (h, -h, h / 2, -h / 2, h / 4, -h / 4):
                moved = [a.copy() for a in base]
                moved[k][i] += step
                loss[step] = _loss(program, built, moved, binding, cots)[0]
            d1, d2, d4 = ((loss[s] - loss[-s]) / (2 * s) for s in (h, h / 2, h / 4))
            coarse, fine = (4 * d2 - d1) / 3, (4 * d4 - d2) / 3
            forward, backward = (loss[h / 4] - at_base) / (h / 4), (at_base - loss[-h / 4]) / (h / 4)
            estimate[i] = fine
            consistent = abs(coarse - fine) <= 1e-5 * abs(fine) + 1e-7 * (1 + scale)
            two_sided = abs(forward - backward) <= 1e-3 * (abs(forward) + abs(backward)) + 1e-6 * (1 + scale)
            ok[i] = bool(np.isfinite(fine) and consistent and two_sided)
        estimates.append(estimate)
        smooth.append(ok)
    return estimates, smooth, scale


def run_grad_case(case: Case, configs: list[tuple[str, str]]) -> list[Outcome]:
    """Outcomes of the gradient graph on each configuration, and of finite differences."""
    try:
        case = differentiable(case)
        built = case.program.build()
        cots = [graphc.placeholder(f"c{k}", tuple(o.shape), o.dtype) for k, o in enumerate(built.outputs)]
        grads = graphc.vjp(built.outputs, built.placeholders, cots)
    except REJECTED as error:
        return [Outcome("build", "invalid", str(error)[:200])]
    except Exception as error:
        return [crash_outcome("grad", error, "deriving the gradient graph")]
    functions, outcomes = {}, []
    for backend, passes in configs:
        name = config_name(backend, passes)
        try:
            functions[name] = graphc.function([*built.placeholders, *cots], list(grads), backend, passes)
        except Exception as error:
            outcomes.append(crash_outcome(name, error, "compiling the gradient graph"))
    if not functions:
        return outcomes
    reference_name = next(iter(functions))
    level = precision(functions[reference_name].graph)
    per_config: dict[str, list[Outcome]] = {name: [] for name in functions}
    fd_outcomes = []
    for call, (binding, arrays) in enumerate(case.calls()):
        try:
            outputs = [b.value for b in evaluate(case.program, built, arrays, binding)]
        except Exception:
            continue
        c = cotangents(case, outputs, call)
        results = {}
        for name, function in functions.items():
            try:
                with np.errstate(all="ignore"):
                    results[name] = [np.asarray(r) for r in function(*arrays, *c)]
            except Exception as error:
                per_config[name].append(crash_outcome(name, error, "calling the gradient graph"))
        reference = results.get(reference_name)
        if reference is None:
            continue
        estimate = finite_differences(case.program, built, arrays, binding, c) \
            if all(np.all(np.isfinite(g)) for g in reference) else None
        fd_outcomes.append(_check_fd(reference, estimate))
        for name, got in results.items():
            per_config[name].append(_compare(name, got, reference, level, estimate))
    outcomes += [worst(found) for found in per_config.values() if found]
    if fd_outcomes:
        outcomes.append(worst(fd_outcomes))
    return outcomes


def differentiable(case: Case) -> Case:
    """The case with only its floating-point outputs (the others have no gradient); ValueError if
    none is left."""
    built = case.program.build()
    outputs = tuple(k for k, t in zip(case.program.outputs, built.outputs) if t.dtype.is_floating_point)
    if not outputs:
        raise ValueError("no floating-point output to differentiate")
    return replace(case, program=replace(case.program, outputs=outputs))


def _compare(name: str, got: list, reference: list, level: str, estimate) -> Outcome:
    """Another configuration's gradients against the NumPy backend's: the same bits, within the
    graph-level tolerance, or (the order of a sum differs more than that allows) as close to the
    finite differences as the NumPy backend's must be."""
    if all(identical(g, r) for g, r in zip(got, reference)):
        return Outcome(name, "agree")
    for k, (g, r) in enumerate(zip(got, reference)):
        if not agrees(g, r, level) and (estimate is None or _fd_problem(got, estimate) is not None):
            return Outcome(name, "mismatch", f"gradient {k} differs from the NumPy backend's ({level} graph):"
                           f" {g!r} vs {r!r}"[:600], f"mismatch {name}")
    return Outcome(name, "explained")


def _fd_problem(grads: list, estimate) -> str | None:
    """Where `grads` are farther from the finite differences than the tolerance, described."""
    estimates, smooth, scale = estimate
    for k, (g, e, ok) in enumerate(zip(grads, estimates, smooth)):
        bad = ok & (np.abs(g - e) > RTOL * (np.abs(g) + np.abs(e)) + ATOL * (1 + scale))
        if bad.any():
            i = tuple(int(j) for j in np.unravel_index(int(np.flatnonzero(bad)[0]), g.shape))
            return f"d loss / d input {k}{list(i)}: graphc {g[i]!r}, finite differences {e[i]!r}"
    return None


def _check_fd(grads: list, estimate) -> Outcome:
    """The NumPy backend's gradients against the finite differences."""
    if estimate is None:
        return Outcome(FD, "explained", "non-finite gradient: not compared")
    problem = _fd_problem(grads, estimate)
    if problem:
        return Outcome(FD, "mismatch", problem, f"mismatch {FD}")
    skipped = sum(int((~ok).sum()) for ok in estimate[1])
    if skipped:
        return Outcome(FD, "explained", f"{skipped} elements not smooth")
    return Outcome(FD, "agree")
