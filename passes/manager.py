"""Run a pipeline over a graph, with instrumentation around every pass application.

`run(graph, "simplify,cse", time_passes=True)` is the whole API. Each application gets a
number (1, 2, ...), which `bisect_limit`, `ir_dump_dir` and error messages use. When a pass
raises, or leaves a graph that fails verification, a PassError names the pass, its number,
the passes before it and the error, and a reproducer (the IR before the pass, and the
`graphc opt` command that replays the rest of the pipeline) is written to disk.
"""

from __future__ import annotations

import difflib
import os
import shlex
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from graphc.graph import Graph
from graphc.passes.pipeline import Fixpoint, Item, PassItem, Pipeline, format_pipeline, parse_pipeline
from graphc.passes.registry import lookup

# Whether `verify_each` is on when the caller does not say; the test suite turns it on.
VERIFY_EACH_DEFAULT = False


class PassError(RuntimeError):
    """A pass raised or produced an invalid graph; the message says which and how to replay it."""

    def __init__(self, message: str, pass_name: str, index: int, reproducer: str | None,
                 command: str | None):
        super().__init__(message)
        self.pass_name, self.index = pass_name, index
        self.reproducer, self.command = reproducer, command


@dataclass
class Instrumentation:
    """What to do around each pass application (the `graphc opt` flags of the same names)."""

    print_ir_before: frozenset[str] = frozenset()  # pass names, or {"all"}
    print_ir_after: frozenset[str] = frozenset()
    print_ir_after_all: bool = False
    print_ir_after_change: bool = False
    print_changed: str | None = None  # "diff": a unified diff for each pass that changed the IR
    time_passes: bool = False
    statistics: bool = False
    verify_each: bool | None = None  # None: VERIFY_EACH_DEFAULT
    ir_dump_dir: str | None = None
    bisect_limit: int | None = None
    reproducer_dir: str | None = None  # default: ir_dump_dir, else a fresh temporary folder
    out: TextIO | None = None  # default: sys.stderr at the time of the run
    # Called after each pass application with its Record and the graph it left (the viz pass
    # timeline records the pipeline's steps with it).
    after_pass: Callable[[Record, Graph], None] | None = None

    def __post_init__(self):
        self.print_ir_before = frozenset(self.print_ir_before)
        self.print_ir_after = frozenset(self.print_ir_after)
        if self.print_changed not in (None, "diff", "full"):
            raise ValueError(f"print_changed is 'diff' or 'full', not {self.print_changed!r}")


@dataclass
class Record:
    """One pass application: what ran, how long, and what it did to the node count."""

    index: int
    name: str
    seconds: float
    nodes_before: int
    nodes_after: int
    changed: bool
    statistics: Counter = field(default_factory=Counter)


def _same(a: Graph, b: Graph) -> bool:
    """Nodes are hash-consed, so equal graphs have identical outputs."""
    return a is b or (len(a.outputs) == len(b.outputs) and all(x is y for x, y in zip(a.outputs, b.outputs))
                      and all(x is y for x, y in zip(a.inputs, b.inputs)))


class PassManager:
    """Runs one pipeline; `records` keeps what each pass application did."""

    def __init__(self, pipeline: str | Pipeline, instrumentation: Instrumentation | None = None):
        self.pipeline: Pipeline = parse_pipeline(pipeline) if isinstance(pipeline, str) else tuple(pipeline)
        self.inst = instrumentation or Instrumentation()
        self.records: list[Record] = []
        self._count = 0
        self._trail: list[tuple[tuple[Item, ...], int, bool]] = []  # (items, position, in fixpoint)

    @property
    def text(self) -> str:
        return format_pipeline(self.pipeline)

    @property
    def out(self) -> TextIO:
        return self.inst.out or sys.stderr

    def run(self, graph: Graph) -> Graph:
        self.records, self._count = [], 0
        if self.inst.ir_dump_dir:
            os.makedirs(self.inst.ir_dump_dir, exist_ok=True)
            self._write(os.path.join(self.inst.ir_dump_dir, "000-input.gir"), str(graph))
        graph = self._sequence(self.pipeline, graph, in_fixpoint=False)
        if self.inst.time_passes:
            self._print_timing()
        if self.inst.statistics:
            self._print_statistics()
        return graph

    # ------------------------------------------------------------------ structure
    def _sequence(self, items: tuple[Item, ...], graph: Graph, in_fixpoint: bool) -> Graph:
        for position, item in enumerate(items):
            self._trail.append((items, position, in_fixpoint))
            try:
                if isinstance(item, Fixpoint):
                    graph = self._fixpoint(item, graph)
                else:
                    graph = self._apply(item, graph)
            finally:
                self._trail.pop()
        return graph

    def _fixpoint(self, item: Fixpoint, graph: Graph) -> Graph:
        for _ in range(item.max_iters):
            new = self._sequence(item.items, graph, in_fixpoint=True)
            if _same(new, graph):
                return new
            graph = new
        return graph

    # ------------------------------------------------------------------ one application
    def _apply(self, item: PassItem, graph: Graph) -> Graph:
        self._count += 1
        index, name, inst = self._count, item.name, self.inst
        if inst.bisect_limit is not None:
            if index > inst.bisect_limit:
                print(f"// bisect: NOT running pass ({index}) {name}", file=self.out)
                return graph
            print(f"// bisect: running pass ({index}) {name}", file=self.out)
        if name in inst.print_ir_before or "all" in inst.print_ir_before:
            self._dump(f"IR Dump Before {name} ({index})", graph)
        instance = lookup(name).create(dict(item.options))
        start = time.perf_counter()
        try:
            new = instance(graph)
            if not isinstance(new, Graph):
                raise TypeError(f"returned {type(new).__name__}, not a Graph")
            if new.inputs != graph.inputs:
                raise ValueError("changed the graph's inputs; passes must keep them")
        except Exception as err:
            raise self._failure(name, index, graph, f"raised {type(err).__name__}: {err}") from err
        seconds = time.perf_counter() - start
        verify = inst.verify_each if inst.verify_each is not None else VERIFY_EACH_DEFAULT
        if verify:
            try:
                new.verify()
            except Exception as err:
                raise self._failure(name, index, graph, f"produced an invalid graph: {err}",
                                    verify=True) from err
        changed = not _same(new, graph)
        stats = Counter(getattr(instance, "statistics", None) or {})
        record = Record(index, name, seconds, len(graph), len(new), changed, stats)
        self.records.append(record)
        if inst.after_pass is not None:
            inst.after_pass(record, new)
        if inst.print_ir_after_all or name in inst.print_ir_after or "all" in inst.print_ir_after:
            self._dump(f"IR Dump After {name} ({index})", new)
        elif changed and (inst.print_ir_after_change or inst.print_changed == "full"):
            self._dump(f"IR Dump After {name} ({index}), changed", new)
        if changed and inst.print_changed == "diff":
            self._diff(name, index, graph, new)
        if inst.ir_dump_dir:
            self._write(os.path.join(inst.ir_dump_dir, f"{index:03d}-{name}.after.gir"), str(new))
        return new

    # ------------------------------------------------------------------ output
    def _dump(self, title: str, graph: Graph) -> None:
        print(f"// -----// {title} //----- //", file=self.out)
        print(graph, file=self.out)

    def _diff(self, name: str, index: int, before: Graph, after: Graph) -> None:
        lines = difflib.unified_diff(str(before).splitlines(), str(after).splitlines(),
                                     f"before {name} ({index})", f"after {name} ({index})", lineterm="")
        print("\n".join(lines), file=self.out)

    def _print_timing(self) -> None:
        total = sum(r.seconds for r in self.records) or 1e-12
        rows: dict[str, list] = {}
        for r in self.records:
            row = rows.setdefault(r.name, [0.0, 0, r.nodes_before, r.nodes_after])
            row[0] += r.seconds
            row[1] += 1
            row[3] = r.nodes_after
        print("// ===-- graphc pass timing --=== //", file=self.out)
        print(f"//  {'seconds':>9} {'%':>6} {'runs':>5}  {'nodes before -> after':>22}  pass", file=self.out)
        for name, (seconds, runs, before, after) in rows.items():
            delta = f"{before} -> {after} ({after - before:+d})"
            print(f"//  {seconds:9.4f} {100 * seconds / total:5.1f}% {runs:5d}  {delta:>22}  {name}",
                  file=self.out)
        print(f"//  {total:9.4f} 100.0% {len(self.records):5d}  {'':>22}  total", file=self.out)

    def _print_statistics(self) -> None:
        totals: dict[str, Counter] = {}
        for r in self.records:
            totals.setdefault(r.name, Counter()).update(r.statistics)
        print("// ===-- graphc pass statistics --=== //", file=self.out)
        for name, counts in totals.items():
            for rule, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
                print(f"//  {n:7d}  {name}: {rule}", file=self.out)

    @staticmethod
    def _write(path: str, text: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text + "\n")

    # ------------------------------------------------------------------ failures
    def _remaining(self) -> str:
        """The failing pass and everything the pipeline would run after it.

        Inside a fixpoint that is the rest of its body and then the whole fixpoint again.
        """
        parts: list[str] = []
        include_current = True  # the innermost frame includes the failing pass itself
        for items, position, in_fixpoint in reversed(self._trail):
            start = position if include_current else position + 1
            parts += [format_pipeline((it,)) for it in items[start:]]
            include_current = in_fixpoint
        return ",".join(parts)

    def _failure(self, name: str, index: int, graph: Graph, what: str, verify: bool = False) -> PassError:
        before = [r.name for r in self.records]
        rest = self._remaining()
        directory = (self.inst.reproducer_dir or self.inst.ir_dump_dir
                     or tempfile.mkdtemp(prefix="graphc-repro-"))
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, f"{index:03d}-{name}.before.gir")
        flags = " --verify-each" if verify else ""
        command = f"graphc opt {shlex.quote(path)} -p {shlex.quote(rest)}{flags}"
        self._write(path, f"// reproducer: pass {name!r} ({index}) {what.splitlines()[0]}\n"
                          f"// replay: {command}\n{graph}")
        message = (f"pass {name!r} (application {index} of pipeline {self.text!r}) {what}\n"
                   f"  passes run before it: {', '.join(before) or 'none'}\n"
                   f"  reproducer: {path}\n"
                   f"  replay: {command}")
        return PassError(message, name, index, path, command)


def run(graph: Graph, pipeline: str | Pipeline = "-O1", instrumentation: Instrumentation | None = None,
        **options) -> Graph:
    """Run `pipeline` over `graph`; keyword options are Instrumentation fields.

    `run(g, "simplify,cse,dce", print_ir_after_all=True, time_passes=True)`
    """
    if instrumentation is not None and options:
        raise TypeError("give an Instrumentation or keyword options, not both")
    return PassManager(pipeline, instrumentation or Instrumentation(**options)).run(graph)
