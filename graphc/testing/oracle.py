"""Run one case on every configuration and judge each against plain NumPy with bounds.

A configuration is a backend and a pass pipeline: the NumPy backend without passes, with -O1
and with -O2, and every other registered backend that can run here with its default -O1. Each
is called with every binding of the case's arguments and its outputs are judged against
`graphc.testing.program.evaluate`:

- agree: bit for bit NumPy's values (or both raise);
- explained: different bits, but within the bounds of the tolerance model (docs/fuzzing.md);
- mismatch: outside them, or a different dtype or shape, or only one side raises;
- crash: graphc raised while building, compiling or running what NumPy computes;
- aliasing: two outputs share memory, an output is an input's memory, or an input was written;
- stale: an earlier call's results changed when the function was called again;
- warning: the call let a Python warning (NumPy's RuntimeWarning) reach the caller.

The graph's text form must also print, parse and print again to the same text ("print/parse").
"""

from __future__ import annotations

import traceback
import warnings
from dataclasses import dataclass

import numpy as np

import graphc
from graphc.testing import bounds
from graphc.testing.program import REJECTED, Case, declared_shape, evaluate_all
from graphc.testing.tolerance import identical

# Worst first: a config's outcome over a case's calls is the worst it had.
KINDS = ("crash", "mismatch", "aliasing", "stale", "warning", "explained", "agree")
FINDINGS = frozenset(KINDS[:5])
TEXT = "print/parse"
SHAPES = "shape rules"


@dataclass(frozen=True)
class Outcome:
    config: str
    kind: str
    detail: str = ""
    signature: str = ""  # what a smaller case must reproduce to count as the same finding

    @property
    def finding(self) -> bool:
        return self.kind in FINDINGS


def worst(outcomes: list[Outcome]) -> Outcome:
    return min(outcomes, key=lambda o: KINDS.index(o.kind))


def where_raised(error: BaseException) -> str:
    """`Type at file:function` of the innermost graphc frame that raised `error`."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if "/graphc/" in f.filename
              or "/backends/" in f.filename or "/passes/" in f.filename]
    frame = frames[-1] if frames else None
    place = f" at {frame.filename.rsplit('/', 2)[-2]}/{frame.filename.rsplit('/', 1)[-1]}:{frame.name}" \
        if frame else ""
    return f"{type(error).__name__}{place}"


def crash_outcome(config: str, error: BaseException, when: str) -> Outcome:
    where = where_raised(error)
    return Outcome(config, "crash", f"{when}: {type(error).__name__}: {str(error)[:300]}",
                   f"crash {config} {where}")


def available_configs() -> list[tuple[str, str]]:
    """(backend, pipeline) pairs: the NumPy backend three ways, the others with -O1."""
    from graphc.backends import BACKENDS

    configs = [("numpy", ""), ("numpy", "-O1"), ("numpy", "-O2")]
    for name in BACKENDS:
        if name != "numpy" and _runs_here(name):
            configs.append((name, "-O1"))
    return configs


def _runs_here(backend: str) -> bool:
    x = graphc.placeholder("x", (2,))
    try:
        graphc.function([x], x + 1, backend=backend)(np.zeros(2, np.float32))
    except Exception:
        return False
    return True


def config_name(backend: str, passes: str) -> str:
    return f"{backend} {passes or '-O0'}"


def run_case(case: Case, configs: list[tuple[str, str]] | None = None) -> list[Outcome]:
    """One outcome per configuration (and one for print/parse); "invalid" if graphc refuses the
    program itself (only shrinking makes such programs)."""
    configs = available_configs() if configs is None else configs
    try:
        built = case.program.build()
        graph = built.graph
    except REJECTED as error:
        return [Outcome("build", "invalid", str(error)[:200])]
    except Exception as error:
        return [crash_outcome("build", error, "building the graph")]
    outcomes = [_text_round_trip(graph)]
    functions = {}
    for backend, passes in configs:
        name = config_name(backend, passes)
        try:
            functions[name] = graphc.function(built.placeholders, built.outputs, backend, passes)
        except Exception as error:
            outcomes.append(crash_outcome(name, error, "compiling"))
    calls = list(case.calls())
    wants, shapes = [], []
    for binding, arrays in calls:
        try:
            values = evaluate_all(case.program, built, arrays, binding)
            wants.append([values[o] for o in case.program.outputs])
            shapes.append(_shape_rules(case, built, values, binding))
        except Exception as error:
            wants.append(error)
    outcomes.append(worst(shapes) if shapes else Outcome(SHAPES, "agree"))
    for name, function in functions.items():
        outcomes.append(worst(_judge_calls(name, function, calls, wants)))
    return outcomes


def _shape_rules(case: Case, built, values: list, binding: dict[str, int]) -> Outcome:
    """Each value's shape, as graphc's type rules declare it at this binding, is NumPy's."""
    for k, (tensor, value) in enumerate(zip(built.values, values)):
        declared = declared_shape(tensor, binding)
        if declared != value.shape:
            first = len(case.program.inputs)
            op = case.program.steps[k - first].op if k >= first else "input"
            return Outcome(SHAPES, "mismatch", f"{op} has the type {tensor.dtype.name}{list(tensor.shape)},"
                           f" which is {list(declared)} at {binding}; NumPy's result has shape"
                           f" {list(value.shape)}", f"mismatch {SHAPES} {op}")
    return Outcome(SHAPES, "agree")


def _text_round_trip(graph) -> Outcome:
    try:
        text = str(graph)
        again = str(graphc.parse(text))
    except Exception as error:
        return crash_outcome(TEXT, error, "printing or parsing the graph")
    if again != text:
        return Outcome(TEXT, "mismatch", f"the text does not round-trip:\n{text}\n---\n{again}",
                       f"mismatch {TEXT}")
    return Outcome(TEXT, "agree")


def _judge_calls(name: str, function, calls, wants) -> list[Outcome]:
    outcomes, kept = [], []
    for (_, arrays), want in zip(calls, wants):
        outcome, results = _judge_call(name, function, arrays, want)
        outcomes.append(outcome)
        if results is not None:
            kept.append((results, [np.copy(r) for r in results]))
    for results, copies in kept:  # a later call must not have changed an earlier call's results
        if not all(identical(r, c) for r, c in zip(results, copies)):
            outcomes.append(Outcome(name, "stale", "a later call changed the results of an earlier one",
                                    f"stale {name}"))
    return outcomes


def _judge_call(name: str, function, arrays: list, want) -> tuple[Outcome, list | None]:
    snapshots = [np.copy(a) for a in arrays]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            got = function(*arrays)
        except Exception as error:
            if isinstance(want, Exception) and isinstance(error, (ValueError, type(want))):
                return Outcome(name, "agree", "both raise"), None
            return crash_outcome(name, error, "calling"), None
    if isinstance(want, Exception):
        if not name.endswith("-O0"):  # a pass may remove a computation whose value no output needs
            return Outcome(name, "explained", f"NumPy raises {want!r}; the optimised graph returns"), None
        return Outcome(name, "mismatch", f"NumPy raises {want!r}; graphc returns", f"mismatch {name}"), None
    got = list(got)
    problem = _aliasing(got, arrays, snapshots)
    if problem:
        what = "outputs" if problem.startswith("outputs") else "input"
        return Outcome(name, "aliasing", problem, f"aliasing {what} {name}"), got
    kind, details, first = "agree", [], ""
    for k, (g, w) in enumerate(zip(got, want)):
        if identical(g, w.value):
            continue
        reason = bounds.check(g, w)
        if reason is None:
            kind = "explained" if kind == "agree" else kind
        else:
            kind = "mismatch"
            details.append(f"output {k}: {reason}")
            first = first or f" {w.dtype}"  # one finding per dtype: int and float bugs differ
    if kind == "mismatch":
        return Outcome(name, kind, "; ".join(details), f"mismatch {name}{first}"), got
    if caught:
        message = f"{caught[0].category.__name__}: {caught[0].message}"
        return Outcome(name, "warning", message, f"warning {message[:60]} {name}"), got
    return Outcome(name, kind), got


def _aliasing(got: list, arrays: list, snapshots: list) -> str | None:
    for k, a in enumerate(arrays):
        if not identical(np.asarray(a), snapshots[k]):
            return f"input {k} was written"
    for i, g in enumerate(got):
        if not isinstance(g, np.ndarray) or not g.size:
            continue
        for j in range(i + 1, len(got)):
            if isinstance(got[j], np.ndarray) and got[j].size and np.shares_memory(g, got[j]):
                return f"outputs {i} and {j} share memory"
        for k, a in enumerate(arrays):
            if isinstance(a, np.ndarray) and np.shares_memory(g, a):
                return f"output {i} shares memory with input {k}"
    return None
