"""What a worker process runs: one seeded case of a kind, or a judgement of a given case or text.

Each function is called by name in a worker (graphc.testing.worker) and returns plain data.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

import graphc
from graphc.testing import generator, gradients, oracle
from graphc.testing.mutate import mutate
from graphc.testing.oracle import Outcome
from graphc.testing.program import Case
from graphc.testing.textcheck import check_text

KINDS = ("graphs", "grads", "parser")


@dataclass
class Report:
    """What a task found: one outcome per configuration (per mutant for the parser), and the
    case or texts that produced findings."""

    kind: str
    seed: int
    outcomes: list[Outcome]
    case: Case | None = None
    texts: dict[int, str] = field(default_factory=dict)  # outcome index -> mutated text (parser)
    rejected: int = 0  # calls graphc refused while the generator grew the program


@functools.cache
def configs() -> list[tuple[str, str]]:
    return oracle.available_configs()


def profile(kind: str) -> generator.Profile:
    return generator.GRADS if kind == "grads" else generator.GRAPHS


def judge(kind: str, case: Case) -> list[Outcome]:
    """The outcomes of a given case (shrinking asks this of each candidate)."""
    if kind == "grads":
        return gradients.run_grad_case(case, configs())
    return oracle.run_case(case, configs())


def run_seed(kind: str, seed: int) -> Report:
    """Generate the case of `seed` and judge it."""
    case = generator.generate(seed, profile(kind))
    outcomes = judge(kind, case)
    rejected = int(next((n.split("=")[1] for n in case.notes if n.startswith("rejected=")), 0))
    return Report(kind, seed, outcomes, case if any(o.finding for o in outcomes) else None, rejected=rejected)


def parser_seed(seed: int, mutations: int, scratch: str) -> Report:
    """Mutate texts printed from the case of `seed` and check each; each mutant is written to
    `scratch` first, so that one that kills the worker is known."""
    rng = np.random.default_rng([seed, 13])
    texts = seed_texts(seed, with_kernels=rng.random() < 0.3)
    outcomes, found = [], {}
    for _ in range(mutations):
        text = mutate(rng, texts[int(rng.integers(len(texts)))])
        with open(scratch, "w", encoding="utf-8") as f:
            f.write(text)
        outcome = check_text(text)
        if outcome.finding:
            found[len(outcomes)] = text
        outcomes.append(outcome)
    return Report("parser", seed, outcomes, texts=found)


def seed_texts(seed: int, with_kernels: bool) -> list[str]:
    """Texts graphc printed for the graph of `seed`: as built, after -O1, and fused for LLVM."""
    case = generator.generate(seed, generator.GRAPHS)
    built = case.program.build()
    texts = [str(built.graph)]
    try:
        texts.append(str(graphc.function(built.placeholders, built.outputs, "numpy").graph))
        if with_kernels and "llvm" in dict(configs()):
            texts.append(str(graphc.function(built.placeholders, built.outputs, "llvm").executable.graph))
    except Exception:
        pass
    return texts


def judge_text(text: str) -> Outcome:
    return check_text(text)
