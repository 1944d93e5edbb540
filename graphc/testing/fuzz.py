"""The differential fuzzer: `python -m graphc.testing.fuzz --minutes N --seed S --out DIR`.

Runs seeded cases of three kinds in worker processes (graphc.testing.worker): "graphs" (random
programs on every configuration against plain NumPy), "grads" (gradients against finite
differences) and "parser" (mutated graph text). Findings are shrunk and written to DIR/findings
as `.gir` + `.py` reproducers; the counts of every outcome go to stdout and DIR/summary.txt.
docs/fuzzing.md explains the outcomes and the tolerance model.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from graphc.testing import reproducer
from graphc.testing.generator import generate
from graphc.testing.known import KNOWN_OPEN, known_issue
from graphc.testing.oracle import KINDS as OUTCOMES
from graphc.testing.oracle import Outcome
from graphc.testing.shrink import Budget, shrink_case, shrink_text
from graphc.testing.tasks import KINDS, Report, profile
from graphc.testing.worker import Pool, Reply, Task

MUTANTS_PER_TASK = 50
SHARE = {"graphs": 0.5, "grads": 0.2, "parser": 0.3}  # of the tasks, when running for a time
CANDIDATE_SECONDS = 20.0  # a shrinking candidate that runs longer counts as hanging


@dataclass
class Finding:
    what: str  # graphs, grads or parser
    seed: int
    outcome: Outcome
    subject: object  # the Case, the mutated text, or None (a worker died on a seed)
    count: int = 1
    files: list[str] = field(default_factory=list)


@dataclass
class Summary:
    seed: int
    what: tuple[str, ...]
    known: tuple[str, ...] = ()  # keys of KNOWN_OPEN whose findings count as "known"
    cases: Counter = field(default_factory=Counter)  # per kind: cases (parser: mutants) run
    counts: Counter = field(default_factory=Counter)  # (kind, config, outcome) -> n
    rejected: int = 0
    findings: dict[str, Finding] = field(default_factory=dict)  # by signature
    seconds: float = 0.0

    @property
    def finding_count(self) -> int:
        return sum(f.count for f in self.findings.values())

    def record(self, what: str, seed: int, outcome: Outcome, subject) -> None:
        if outcome.finding and known_issue(what, outcome, self.known):
            self.counts[(what, outcome.config, "known")] += 1
            return
        self.counts[(what, outcome.config, outcome.kind)] += 1
        if outcome.finding:
            key = f"{what}: {outcome.signature or outcome.kind + ' ' + outcome.config}"
            if key in self.findings:
                self.findings[key].count += 1
            else:
                self.findings[key] = Finding(what, seed, outcome, subject)

    def format(self) -> str:
        lines = [f"graphc fuzz: seed {self.seed}, {self.seconds / 60:.1f} minutes,"
                 f" what={','.join(self.what)}"]
        for what in self.what:
            unit = "mutants" if what == "parser" else "cases"
            lines.append(f"{what}: {self.cases[what]} {unit} run")
            configs = sorted({c for (w, c, _) in self.counts if w == what})
            kinds = [k for k in (*OUTCOMES, "known", "rejected", "accepted", "invalid")
                     if any(self.counts[(what, c, k)] for c in configs)]
            if configs:
                lines.append(f"  {'':22}" + "".join(f"{k:>11}" for k in kinds))
                for c in configs:
                    lines.append(f"  {c:22}" + "".join(f"{self.counts[(what, c, k)]:>11}" for k in kinds))
        if self.rejected:
            lines.append(f"(the generator's calls graphc refused with a clear error: {self.rejected})")
        lines.append(f"findings: {len(self.findings)} distinct, {self.finding_count} in all")
        for n, (key, f) in enumerate(self.findings.items(), 1):
            first = f.outcome.detail.splitlines()[0][:160] if f.outcome.detail else ""
            lines.append(f"  {n}. [{key}] x{f.count}: {first}")
            lines.extend(f"       {path}" for path in f.files)
        return "\n".join(lines)


def _task_stream(what: tuple[str, ...], seed: int, counts: dict[str, int] | None, scratch: Path,
                 task_module: str) -> Iterator[Task]:
    """Tasks in proportion to SHARE (or up to `counts` of each kind), seeds counting up per kind."""
    made = Counter()
    credit = Counter()
    while True:
        open_kinds = [w for w in what if counts is None or made[w] < counts.get(w, 0)]
        if not open_kinds:
            return
        for w in open_kinds:
            credit[w] += SHARE[w]
        w = max(open_kinds, key=lambda k: credit[k])
        credit[w] -= 1
        case_seed = seed * 1_000_000 + made[w]
        if w == "parser":
            mutants = MUTANTS_PER_TASK if counts is None else min(MUTANTS_PER_TASK, counts[w] - made[w])
            made[w] += mutants
            scratch_file = str(scratch / f"parser-{case_seed}.gir")
            yield Task(task_module, "parser_seed", (case_seed, mutants, scratch_file))
        else:
            made[w] += 1
            yield Task(task_module, "run_seed", (w, case_seed))


def _absorb(summary: Summary, task: Task, reply: Reply) -> None:
    what = "parser" if task.function == "parser_seed" else task.args[0]
    seed = task.args[1] if what != "parser" else task.args[0]
    if reply.status == "ok":
        report: Report = reply.value
        summary.cases[what] += len(report.outcomes) if what == "parser" else 1
        summary.rejected += report.rejected
        for k, outcome in enumerate(report.outcomes):
            summary.record(what, seed, outcome, report.texts.get(k) if what == "parser" else report.case)
        if what == "parser":
            Path(task.args[2]).unlink(missing_ok=True)
        return
    summary.cases[what] += task.args[1] if what == "parser" else 1
    summary.record(what, seed, _failure(reply), _subject_of(what, task))


def _subject_of(what: str, task: Task):
    """What a task that died or raised was working on: the mutant it had written to its scratch
    file, or the case of its seed (generated here: generating runs no backend)."""
    if what == "parser":
        with contextlib.suppress(OSError):
            return Path(task.args[2]).read_text(encoding="utf-8")
        return None
    try:
        return generate(task.args[1], profile(what))
    except Exception:
        return None


def _failure(reply: Reply) -> Outcome:
    """The crash finding of a task that raised in the fuzzer's code, died or ran out of time."""
    if reply.status == "error":
        last_line = reply.value.strip().splitlines()[-1]
        return Outcome("fuzzer", "crash", reply.value[-2000:], f"crash fuzzer {last_line[:80]}")
    return Outcome("worker", "crash", reply.value[-2000:], f"crash worker {reply.status}")


def _shrink(pool: Pool, finding: Finding, budget: Budget, task_module: str):
    """The finding's subject, minimised (judged in the pool, so crashes are survivable)."""
    signature = finding.outcome.signature

    def reproduces_case(candidate) -> bool:
        reply = pool.call(Task(task_module, "judge", (finding.what, candidate), CANDIDATE_SECONDS))
        if reply.status in ("died", "timeout"):
            return signature == f"crash worker {reply.status}"
        return reply.status == "ok" and any(o.signature == signature for o in reply.value)

    def reproduces_text(candidate: str) -> bool:
        reply = pool.call(Task(task_module, "judge_text", (candidate,), CANDIDATE_SECONDS))
        if reply.status in ("died", "timeout"):
            return signature == f"crash worker {reply.status}"
        return reply.status == "ok" and reply.value.signature == signature

    if finding.subject is None:
        return None
    if isinstance(finding.subject, str):
        return shrink_text(finding.subject, reproduces_text, budget)
    return shrink_case(finding.subject, reproduces_case, budget)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60]


def run(what: tuple[str, ...] = KINDS, seed: int = 0, out: str | Path = "fuzz-out",
        minutes: float | None = None, counts: dict[str, int] | None = None, jobs: int = 1,
        known: tuple[str, ...] = (), shrink: bool = True, task_module: str = "graphc.testing.tasks",
        log: Callable[[str], None] = print) -> Summary:
    """Fuzz for `minutes` (or exactly `counts` cases per kind), shrink the findings, write reproducers."""
    out = Path(out)
    scratch, findings_dir = out / "scratch", out / "findings"
    scratch.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("GRAPHC_CACHE_DIR", str(out / "cache"))
    summary = Summary(seed, tuple(what), tuple(known))
    start = time.monotonic()
    total = None if minutes is None else minutes * 60
    # With a time limit, cases run for 80% of it and shrinking gets the rest.
    deadline = None if total is None else start + 0.8 * total
    with Pool(jobs, log_dir=str(scratch)) as pool:
        stream = _task_stream(tuple(what), seed, counts, scratch, task_module)
        last_report = start
        for task, reply in pool.run(stream, deadline):
            _absorb(summary, task, reply)
            if time.monotonic() - last_report > 60:
                last_report = time.monotonic()
                log(f"[{(last_report - start) / 60:.1f} min] cases {dict(summary.cases)},"
                    f" findings {len(summary.findings)}")
        _write_findings(pool, summary, findings_dir, start, total, shrink, task_module, log)
    summary.seconds = time.monotonic() - start
    (out / "summary.txt").write_text(summary.format() + "\n", encoding="utf-8")
    (out / "summary.json").write_text(json.dumps(_as_json(summary), indent=2), encoding="utf-8")
    return summary


def _write_findings(pool: Pool, summary: Summary, directory: Path, start: float, total: float | None,
                    shrink: bool, task_module: str, log) -> None:
    todo = list(summary.findings.values())
    for n, finding in enumerate(todo, 1):
        left = len(todo) - n + 1
        remaining = 120.0 if total is None else max(5.0, start + total - time.monotonic()) / left
        subject = finding.subject
        if shrink and subject is not None:
            log(f"shrinking finding {n}/{len(todo)}: {finding.outcome.signature}")
            tries = 2000 if isinstance(subject, str) else 150
            subject = _shrink(pool, finding, Budget(tries, seconds=min(120.0, remaining)),
                              task_module) or subject
        stem = f"{n:03d}-{finding.what}-{_slug(finding.outcome.signature or finding.outcome.kind)}"
        try:
            if isinstance(subject, str):
                paths = reproducer.write_text(directory, stem, subject, finding.outcome)
            elif subject is not None:
                paths = reproducer.write_case(directory, stem, finding.what, subject, finding.outcome)
            else:
                paths = reproducer.write(directory, stem, f"# {finding.what} seed {finding.seed}: "
                                         f"{finding.outcome.detail[:500]!r}\n", None)
        except Exception as error:
            log(f"could not write the reproducer of {stem}: {error!r}")
            paths = []
        finding.files = [str(p) for p in paths]


def _as_json(summary: Summary) -> dict:
    return {"seed": summary.seed, "what": list(summary.what), "seconds": round(summary.seconds, 1),
            "cases": dict(summary.cases), "rejected": summary.rejected,
            "counts": [{"what": w, "config": c, "outcome": k, "n": n}
                       for (w, c, k), n in sorted(summary.counts.items())],
            "findings": [{"key": key, "what": f.what, "seed": f.seed, "count": f.count,
                          "kind": f.outcome.kind, "config": f.outcome.config, "detail": f.outcome.detail,
                          "files": f.files}
                         for key, f in summary.findings.items()]}


def _counts(text: str) -> dict[str, int]:
    """`graphs=150,parser=500` as a dict; ArgumentTypeError naming a bad part."""
    counts = {}
    for part in text.split(","):
        kind, _, number = part.partition("=")
        if kind not in KINDS or not number.isdigit():
            raise argparse.ArgumentTypeError(f"{part!r}: give KIND=N with KIND one of {', '.join(KINDS)}")
        counts[kind] = int(number)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m graphc.testing.fuzz",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=1.0, help="how long to run (default 1)")
    parser.add_argument("--cases", type=_counts, default=None,
                        help="run exactly these cases instead, e.g. graphs=150,grads=30,parser=500")
    parser.add_argument("--seed", type=int, default=0, help="the run's seed (the same seed, the same cases)")
    parser.add_argument("--out", default="fuzz-out", help="where the summary and reproducers go")
    parser.add_argument("--what", choices=(*KINDS, "all"), default="all")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--known-open", action="store_true",
                        help="count the known-open findings as 'known', not as findings: "
                        + "; ".join(issue.what for issue in KNOWN_OPEN.values()))
    parser.add_argument("--no-shrink", action="store_true", help="write findings as found, unshrunk")
    args = parser.parse_args(argv)
    what = KINDS if args.what == "all" else (args.what,)
    if args.cases:
        what = tuple(w for w in KINDS if w in args.cases)
    summary = run(what, args.seed, args.out, minutes=None if args.cases else args.minutes,
                  counts=args.cases, jobs=args.jobs,
                  known=tuple(KNOWN_OPEN) if args.known_open else (), shrink=not args.no_shrink)
    print(summary.format())
    return 1 if summary.findings else 0


if __name__ == "__main__":
    sys.exit(main())
