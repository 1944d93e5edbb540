"""W7: a chemical kinetics right-hand side and its Jacobian, compiled from SymPy.

The system: 50 species, 150 mass-action reactions (a third of them reversible) with
Arrhenius rate constants k = A * T**b * exp(-Ea / (R*T)); the right-hand side d[c_i]/dt
(50 expressions of the concentrations and the temperature T) and the nonzero entries of its
Jacobian with respect to the concentrations, evaluated over 10^6 points (states and
temperatures), in chunks so that the outputs fit in memory (each tool evaluates the same
chunks). Every tool gets the same list of SymPy expressions:

- graphc.lambdify(backend="llvm"), with all threads and with one;
- sympy.lambdify (NumPy);
- SymEngine's Lambdify(backend="llvm"), with and without its CSE (single-threaded).

Compile time is the time from the SymPy expressions to a callable and its first call on one
chunk, in a fresh process per tool and run (graphc's disk cache off; each tool's modules
imported first), the median over `--compile-runs` runs: in one process, the tool that runs
first pays for faulting in fresh memory for its 350 MB of results, and the later ones reuse
what it freed. Evaluation time is the median over repeats of evaluating all chunks.

    python bench/w7_sympy.py                      # 10^6 points
    python bench/w7_sympy.py --points 100000      # a quicker check
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import statistics
import subprocess
import sys
import time

import numpy as np
import sympy

import graphc
import graphc.backends.llvm  # (imported before timing, as symengine is)
from graphc.threads import get_num_threads, set_num_threads

GAS_CONSTANT = 8.314  # J / (mol K)


def kinetics(n_species: int = 50, n_reactions: int = 150, seed: int = 0):
    """(concentration symbols, temperature symbol, right-hand side) of a random mass-action network."""
    rng = random.Random(seed)
    c = sympy.symbols(f"c0:{n_species}")
    temperature = sympy.Symbol("T")
    terms: list[list[sympy.Expr]] = [[] for _ in range(n_species)]
    shapes = (((1, 1), (1,)), ((1,), (1, 1)), ((2,), (1,)), ((1, 1), (1, 1)))  # A+B->C, A->B+C, 2A->B, ...

    def arrhenius():
        exponent = rng.choice((-1, -0.5, 0, 0.5, 1, 1.5, 2))
        factor = sympy.Float(10 ** rng.uniform(3, 12)) * temperature ** sympy.nsimplify(exponent)
        return factor * sympy.exp(-sympy.Float(rng.uniform(1e4, 2e5)) / (GAS_CONSTANT * temperature))

    def react(reactants, products, k):
        rate = k
        for species, order in reactants.items():
            rate *= c[species] ** order
        for species, order in reactants.items():
            terms[species].append(-order * rate)
        for species, order in products.items():
            terms[species].append(order * rate)

    for _ in range(n_reactions):
        left, right = rng.choice(shapes)
        picked = rng.sample(range(n_species), len(left) + len(right))
        reactants = {picked[k]: order for k, order in enumerate(left)}
        products = {picked[len(left) + k]: order for k, order in enumerate(right)}
        react(reactants, products, arrhenius())
        if rng.random() < 1 / 3:
            react(products, reactants, arrhenius())
    return list(c), temperature, [sympy.Add(*t) for t in terms]


def system(n_species: int = 50):
    """The arguments (c..., T) and the expressions: the right-hand side, then the nonzero
    entries of its Jacobian with respect to the concentrations."""
    c, temperature, rhs = kinetics(n_species)
    jacobian = [sympy.diff(f, ci) for f in rhs for ci in c]
    return [*c, temperature], rhs, [d for d in jacobian if d != 0]


def inputs(n_species: int, points: int) -> np.ndarray:
    """Concentrations in [0.01, 1] mol/L and temperatures in [800, 2000] K, one row per argument."""
    rng = np.random.default_rng(0)
    return np.vstack([rng.uniform(0.01, 1.0, (n_species, points)), rng.uniform(800, 2000, (1, points))])


def median_time(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def chunks(points: int, size: int):
    return [slice(start, min(start + size, points)) for start in range(0, points, size)]


class Table:
    """Rows of (tool, compile seconds, eval seconds), each checked against the first row."""

    def __init__(self, chunk_count: int, repeat: int):
        self.chunk_count, self.repeat = chunk_count, repeat
        self.rows: list[tuple[str, float, float]] = []
        self.reference: np.ndarray | None = None

    def compile(self, build, first_call, as_array):
        """A tool's callable, its first result as one array, and its compile time: building
        it plus the first call (graphc compiles some kernel variants then), not the gathering
        of that call's results into one array to check them (a 300 MB copy for tools that
        return a list of arrays, none for SymEngine's one array)."""
        start = time.perf_counter()
        fn = build()
        first = first_call(fn)
        seconds = time.perf_counter() - start
        return fn, as_array(fn, first), seconds

    def add(self, name: str, compile_s: float, first: np.ndarray, evaluate) -> None:
        if self.reference is None:
            self.reference = first
        else:
            error = np.max(np.abs(first - self.reference) / (np.abs(self.reference) + 1e-300))
            name += f" (max rel. diff {error:.1e})"
        seconds = median_time(lambda: [evaluate(k) for k in range(self.chunk_count)], self.repeat)
        self.rows.append((name, compile_s, seconds))
        print(f"  {name:<58} compile {compile_s:8.3f} s   eval {seconds:8.3f} s", flush=True)


TOOLS = {  # name -> (build the callable, call it on (rows of points, columns of arguments))
    "graphc": (lambda symbols, exprs: graphc.lambdify(symbols, exprs), lambda fn, rows, cols: fn(*cols)),
    "symengine": (lambda symbols, exprs: _symengine().Lambdify(symbols, exprs, backend="llvm"),
                  lambda fn, rows, cols: fn(rows)),
    "symengine-cse": (lambda symbols, exprs: _symengine().Lambdify(symbols, exprs, backend="llvm", cse=True),
                      lambda fn, rows, cols: fn(rows)),
    "sympy": (lambda symbols, exprs: sympy.lambdify(symbols, exprs, "numpy"),
              lambda fn, rows, cols: fn(*cols)),
}


def _symengine():
    import symengine

    return symengine


def compile_child(tool: str, species: int, chunk: int) -> None:
    """In a fresh process: time one tool's build and first call; print them as JSON."""
    build, call = TOOLS[tool]
    if tool.startswith("symengine"):
        _symengine()  # (imported before timing, as graphc is)
    symbols, rhs, jac = system(species)
    data = inputs(species, chunk)
    rows, cols = np.ascontiguousarray(data.T), [np.ascontiguousarray(row) for row in data]
    start = time.perf_counter()
    fn = build(symbols, rhs + jac)
    built = time.perf_counter()
    call(fn, rows, cols)
    print(json.dumps({"build": built - start, "first": time.perf_counter() - built}))


def compile_times(tools: list[str], runs: int, species: int,
                  chunk: int) -> dict[str, tuple[float, float, float]]:
    """Each tool's median (compile, build, first call) seconds over `runs` fresh processes,
    the tools taking turns."""
    samples: dict[str, list[dict]] = {tool: [] for tool in tools}
    for _ in range(runs):
        for tool in tools:
            done = subprocess.run([sys.executable, __file__, "--child", tool, "--species", str(species),
                                   "--chunk", str(chunk)], capture_output=True, text=True, check=True,
                                  env={**os.environ, "GRAPHC_CACHE": "off"})
            samples[tool].append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {tool: (statistics.median(s["build"] + s["first"] for s in got),
                   statistics.median(s["build"] for s in got), statistics.median(s["first"] for s in got))
            for tool, got in samples.items()}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10 ** 6)
    parser.add_argument("--chunk", type=int, default=2 ** 16, help="points per call")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--compile-runs", type=int, default=3, help="fresh processes per tool")
    parser.add_argument("--species", type=int, default=50)
    parser.add_argument("--child", choices=TOOLS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ["GRAPHC_CACHE"] = "off"  # time compiling, not loading a previous run's code
    if args.child:
        compile_child(args.child, args.species, args.chunk)
        return
    has_symengine = importlib.util.find_spec("symengine") is not None
    tools = ["graphc", *(["symengine", "symengine-cse"] if has_symengine else []), "sympy"]
    compiled = compile_times(tools, args.compile_runs, args.species, args.chunk)
    print(f"compile, a fresh process per run, median of {args.compile_runs} (build + first call):")
    for tool, (total, build, first) in compiled.items():
        print(f"  {tool:<16} {total:6.3f} s  ({build:.3f} + {first:.3f})")

    symbols, rhs, jac = system(args.species)
    exprs = rhs + jac
    print(f"W7: {len(rhs)} right-hand sides + {len(jac)} nonzero Jacobian entries"
          f" ({sum(sympy.count_ops(e) for e in exprs)} SymPy ops), {len(symbols)} arguments,"
          f" {args.points} points in chunks of {args.chunk}; {os.cpu_count()} cores"
          " (on a shared machine the figures are noisy)")
    data = inputs(args.species, args.points)
    columns = [[np.ascontiguousarray(data[k, s]) for k in range(len(symbols))]
               for s in chunks(args.points, args.chunk)]
    rows_first = [np.ascontiguousarray(data[:, s].T) for s in chunks(args.points, args.chunk)]
    table = Table(len(columns), args.repeat)
    threads = get_num_threads()

    fn, first, _ = table.compile(lambda: TOOLS["graphc"][0](symbols, exprs),
                                 lambda fn: fn(*columns[0]), lambda fn, out: np.array(out))
    compile_s = compiled["graphc"][0]
    table.add(f"graphc.lambdify llvm, {threads} threads", compile_s, first, lambda k: fn(*columns[k]))
    set_num_threads(1)
    table.add("graphc.lambdify llvm, 1 thread", compile_s, first, lambda k: fn(*columns[k]))
    set_num_threads(None)
    fn_jac, first, compile_s = table.compile(
        lambda: graphc.lambdify(symbols, rhs, jacobian=symbols[:-1]),
        lambda fn: fn(*columns[0]), lambda fn, out: np.array(_nonzero(fn, out)))
    # the same expressions as above, so LLVM's machine code comes from the in-process cache
    # (its compile time is measured in this process)
    table.add(f"graphc.lambdify(rhs, jacobian=[c...]) [LLVM cached], {threads} threads", compile_s, first,
              lambda k: fn_jac(*columns[k]))
    peers = {  # tool -> (its row's name, its first result as one array of the reference's layout)
        "symengine": ("symengine Lambdify llvm", lambda fn, out: np.asarray(out).T),
        "symengine-cse": ("symengine Lambdify llvm, cse", lambda fn, out: np.asarray(out).T),
        "sympy": ("sympy.lambdify numpy",
                  lambda fn, out: np.array([np.broadcast_to(o, (len(columns[0][0]),)) for o in out])),
    }
    if not has_symengine:
        print("  (symengine is not installed: pip install -e .[bench])")
    for tool in tools[1:]:
        (build, call), (name, as_array) = TOOLS[tool], peers[tool]
        fn_peer, first, _ = table.compile(lambda build=build: build(symbols, exprs),
                                          lambda fn, call=call: call(fn, rows_first[0], columns[0]),
                                          as_array)
        table.add(name, compiled[tool][0], first,
                  lambda k, fn=fn_peer, call=call: call(fn, rows_first[k], columns[k]))
    report(table.rows, threads)


def report(rows: list[tuple[str, float, float]], threads: int) -> None:
    print("\nratios: a peer's time / graphc.lambdify's (> 1: graphc is faster)")
    by_name = {name.split(" (")[0]: (c, e) for name, c, e in rows}
    compile_s, eval_threads = by_name[f"graphc.lambdify llvm, {threads} threads"]
    eval_one = by_name["graphc.lambdify llvm, 1 thread"][1]
    for peer, (peer_compile, peer_eval) in by_name.items():
        if not peer.startswith("graphc"):
            print(f"  {peer:<32} eval: x{peer_eval / eval_threads:6.2f} ({threads} threads),"
                  f" x{peer_eval / eval_one:6.2f} (1 thread); compile: x{peer_compile / compile_s:6.2f}")


def _nonzero(fn, result):
    """The right-hand side and the Jacobian entries that are not identically zero, in the
    order of `system()`, from a call of graphc.lambdify(..., jacobian=...)."""
    values, jacobian = result
    return [*values, *(value for row, exprs in zip(jacobian, fn.jacobian)
                       for value, d in zip(row, exprs) if d != 0)]


if __name__ == "__main__":
    main()
