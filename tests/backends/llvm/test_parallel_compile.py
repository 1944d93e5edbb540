"""A graph's kernels split over several modules, which threads compile at the same time."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from llvmlite import ir
from llvmlite.binding import ffi

import graphc
from graphc.backends.llvm import jit, split
from graphc.threads import set_num_threads, shared_pool

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def two_threads(monkeypatch):
    """Two threads, no disk cache, and modules split at 1,000 characters."""
    monkeypatch.setenv("GRAPHC_CACHE", "off")
    monkeypatch.setattr(split, "MODULE_CHARS", 1000)
    set_num_threads(2)
    yield
    set_num_threads(None)


def reductions(scale: float, n: int = 6):
    """`n` reductions of one matrix, one kernel each (`scale`: constants no other test uses)."""
    m = graphc.placeholder("m", ("n", "k"), graphc.float64)
    return m, [graphc.sum(graphc.sin(m * (scale + k)), 0) for k in range(n)]


def agree(m, outs, f) -> None:
    values = np.linspace(-2, 2, 9 * 13).reshape(9, 13)
    expected = graphc.function([m], outs, backend="numpy")(values)
    for got, want in zip(f(values), expected):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_kernels_in_several_modules_compute_what_numpy_does(two_threads):
    m, outs = reductions(1.0731)
    f = graphc.function([m], outs, backend="llvm")
    assert len(f.executable.llvm_modules) == 2
    assert f.executable.llvm_ir.count("; ModuleID") == 2 and f.emit("llvm").count("define ") >= 6
    agree(m, outs, f)


def test_the_modules_are_compiled_at_the_same_time(two_threads, monkeypatch):
    """LLVM's calls from two threads overlap in time, and none takes llvmlite's global lock
    (which serialises every other call into LLVM)."""
    calls, locked = [], []
    unlocked = jit._unlocked

    def timed(name):
        function = unlocked(name)

        def call(*args):
            start = time.perf_counter()
            try:
                return function(*args)
            finally:
                calls.append((threading.get_ident(), start, time.perf_counter()))
        return call

    def acquired():
        locked.append((threading.get_ident(), time.perf_counter()))

    def released():
        pass

    monkeypatch.setattr(jit, "_unlocked", timed)
    ffi.register_lock_callback(acquired, released)
    try:
        m, outs = reductions(2.0917, n=16)
        graphc.function([m], outs, backend="llvm")
    finally:
        ffi.unregister_lock_callback(acquired, released)
    assert len({thread for thread, _, _ in calls}) == 2
    assert any(a[0] != b[0] and a[1] < b[2] and b[1] < a[2] for a in calls for b in calls)
    assert not any(thread == t and start < when < end for thread, start, end in calls for t, when in locked)


def test_one_thread_compiles_one_module_with_the_text_llvmlite_prints(two_threads):
    set_num_threads(1)
    m, outs = reductions(3.0119)
    f = graphc.function([m], outs, backend="llvm")
    assert len(f.executable.llvm_modules) == 1
    agree(m, outs, f)
    module = ir.Module("graphc")
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), []), "f")
    ir.IRBuilder(fn.append_basic_block()).ret_void()
    ir.Function(module, ir.FunctionType(ir.DoubleType(), [ir.DoubleType()]), "g")
    assert split.split_module(module) == [split.Part(str(module), ["f"], jit.effort(len(str(fn))))]


def test_the_split_is_deterministic_and_balanced(two_threads):
    set_num_threads(3)
    m, outs = reductions(4.0233, n=7)
    first = graphc.function([m], outs, backend="llvm").executable.llvm_modules
    again = graphc.function([m], outs, backend="llvm").executable.llvm_modules
    assert first == again and len(first) == 3
    sizes = [len(text) for text in first]
    assert max(sizes) < 2 * min(sizes)


def test_functions_compiled_from_several_threads_at_once(two_threads, monkeypatch):
    """Four threads compile the same graph and one each of their own: each module is
    compiled once (the others wait for it), and every function computes what NumPy does."""
    built = []
    build = jit._build

    def spy(entry, ir_text, levels):
        built.append(entry)
        return build(entry, ir_text, levels)

    monkeypatch.setattr(jit, "_build", spy)
    barrier, errors = threading.Barrier(4), []

    def work(k: int) -> None:
        try:
            barrier.wait()
            for scale in (5.0171, 6.0 + k / 7):
                m, outs = reductions(scale)
                agree(m, outs, graphc.function([m], outs, backend="llvm"))
        except Exception as error:  # (reported by the main thread)
            errors.append(error)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len(built) == len(set(built))


PROGRAM = """
import json, numpy as np, graphc
from graphc.backends.llvm import jit
m = graphc.placeholder("m", ("n", "k"), graphc.float64)
f = graphc.function([m], [graphc.sum(graphc.cos(m * (7.0313 + k)), 0) for k in range(6)], backend="llvm")
values = np.linspace(-1, 1, 12).reshape(3, 4)
print(json.dumps({"stats": jit.ENGINE.stats, "modules": len(f.executable.llvm_modules),
                  "value": [v.tolist() for v in f(values)]}))
"""


def test_a_second_process_loads_every_module_from_disk(tmp_path):
    env = {**os.environ, "GRAPHC_CACHE_DIR": str(tmp_path), "GRAPHC_CACHE": "on",
           "GRAPHC_NUM_THREADS": "2", "GRAPHC_MODULE_CHARS": "1000"}
    runs = [json.loads(subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True,
                                      cwd=ROOT, env=env, timeout=120, check=True).stdout)
            for _ in range(2)]
    assert runs[0]["modules"] == 2 and runs[0]["stats"]["disk"] == 0
    # two modules, cos from the math library, and `graphc.enter`
    assert runs[1]["stats"] == {"memory": 0, "disk": 4, "compiled": 0}
    assert runs[1]["value"] == runs[0]["value"]


def test_a_kernel_optimises_to_the_same_code_in_either_module(two_threads):
    """The O3 pipeline makes the same IR of a kernel in the graph's one module and in its share
    (but for the numbers of attribute groups, which count the module's functions)."""
    m, outs = reductions(8.0411, n=4)
    split_up = graphc.function([m], outs, backend="llvm").executable.llvm_modules
    set_num_threads(1)
    whole = graphc.function([m], outs, backend="llvm").executable.llvm_modules
    assert len(split_up) == 2 and len(whole) == 1

    def optimised(texts):
        functions = (f for text in texts for f in jit.optimize(text).functions)
        return {f.name: re.sub(r"#\d+", "#", str(f)) for f in functions if not f.is_declaration}

    together = optimised(whole)
    assert len(together) == 4 and optimised(split_up) == together


def test_the_effort_follows_the_kernels_whatever_the_split(two_threads, monkeypatch):
    """A graph's ordinary kernels get the effort of their total size in one module or in
    several (each share repeats the header and declarations, which must not count)."""
    chosen = []
    load_all = jit.load_all
    monkeypatch.setattr(jit, "load_all", lambda modules: chosen.append([levels for _, levels in modules])
                        or load_all(modules))
    m, outs = reductions(6.1379)
    shares = graphc.function([m], outs, backend="llvm").executable.llvm_modules
    set_num_threads(1)
    (whole,) = graphc.function([m], outs, backend="llvm").executable.llvm_modules
    functions = sum(len(f) for f in re.findall(r"(?ms)^define .*?^}$", whole))
    assert len(shares) == 2 and len("\n".join(shares)) > len(whole) > functions
    # thresholds between the functions' size and the one module's, and between that and the shares'
    for threshold in ((functions + len(whole)) // 2, (len(whole) + len("\n".join(shares))) // 2):
        monkeypatch.setattr(jit, "LARGE_IR_CHARS", threshold)
        chosen.clear()
        for threads in (2, 1):
            set_num_threads(threads)
            graphc.function([m], outs, backend="llvm")
        assert chosen == [[(3, 3)] * 2, [(3, 3)]]


def test_a_large_kernel_is_compiled_apart_by_the_fast_code_generator(two_threads, monkeypatch):
    """A function past LARGE_IR_CHARS gets a module of its own, no IR pipeline and code
    generator level 0; the small kernels beside it keep their effort, and all agree with NumPy."""
    chosen = []
    load_all = jit.load_all
    monkeypatch.setattr(jit, "load_all", lambda modules: chosen.extend(modules) or load_all(modules))
    m = graphc.placeholder("m", ("n", "k"), graphc.float64)
    y = m
    for k in range(200):  # one long elementwise kernel (constants no other test uses)
        y = graphc.sin(y) * 1.0419 + 0.0311 * k
    outs = [y] + [graphc.sum(graphc.sin(m * (7.2281 + k)), 0) for k in range(3)]
    text = "\n".join(graphc.function([m], outs, backend="llvm").executable.llvm_modules)
    sizes = sorted(len(f) for f in re.findall(r"(?ms)^define .*?^}$", text))
    assert len(sizes) == 4 and sizes[-1] > 2 * sum(sizes[:-1])
    monkeypatch.setattr(jit, "LARGE_IR_CHARS", (sizes[-1] + sum(sizes[:-1])) // 2)
    assert jit.function_effort(sizes[-1]) == (0, 0) and jit.function_effort(sum(sizes[:-1])) is None
    chosen.clear()
    f = graphc.function([m], outs, backend="llvm")
    assert sorted(levels for _, levels in chosen) == [(0, 0), (3, 3), (3, 3)]
    (large,) = [text for text, levels in chosen if levels == (0, 0)]
    assert large.count("define ") == 1 and "sin" in large
    agree(m, outs, f)
    # what emit shows is what was compiled: the large kernel's module at its levels
    optimize, assembly, shown = jit.optimize, jit.assembly, []
    monkeypatch.setattr(jit, "optimize",
                        lambda text, speed=3: shown.append((text, speed)) or optimize(text, speed))
    monkeypatch.setattr(jit, "assembly", lambda module, opt=3: shown.append(opt) or assembly(module, opt))
    f.executable.emit("llvm-opt")
    assert (large, 0) in shown
    shown.clear()
    f.executable.emit("asm")
    assert shown[shown.index((large, 0)) + 1] == 0


def test_a_pool_replaced_by_a_larger_one_still_runs_work_given_to_it():
    """One thread takes the pool, another needs more workers and replaces it: the first
    thread's work must still run (it once raised "cannot schedule new futures after
    shutdown")."""
    old = shared_pool("test-pool", 1)
    assert shared_pool("test-pool", 3) is not old
    assert old.submit(lambda: 42).result(timeout=10) == 42


needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() on this platform")


def finishes_in_a_forked_child(work) -> bool:
    """Whether `work` runs to its end, within a minute, in a child forked now (what
    multiprocessing does by default on Linux): a child has none of its parent's threads."""
    import multiprocessing

    child = multiprocessing.get_context("fork").Process(target=work)
    child.start()
    child.join(timeout=60)
    if child.is_alive():
        child.kill()
    return child.exitcode == 0


def _compile_in_child() -> None:
    set_num_threads(2)
    split.MODULE_CHARS = 1000
    m, outs = reductions(7.2917)
    agree(m, outs, graphc.function([m], outs, backend="llvm"))


@needs_fork
def test_a_forked_child_compiles_in_parallel_again(two_threads):
    """After a compile that used the pool, a forked child's own compiles must not wait on the
    parent's compile threads forever."""
    m, outs = reductions(8.0117)
    assert len(graphc.function([m], outs, backend="llvm").executable.llvm_modules) == 2
    assert finishes_in_a_forked_child(_compile_in_child)


def _split_kernel_call() -> None:
    x = graphc.placeholder("x", ("n",), graphc.float64)
    f = graphc.function([x], graphc.sin(x) * 1.7093)
    values = np.linspace(-3, 3, 1 << 20)
    np.testing.assert_allclose(f(values), np.sin(values) * 1.7093, rtol=1e-12)


@needs_fork
def test_a_forked_child_splits_kernels_over_threads_again(two_threads):
    """The same for the pool that runs a large kernel's shares."""
    _split_kernel_call()  # (the parent's pool now has a thread)
    assert finishes_in_a_forked_child(_split_kernel_call)


def test_a_deferred_variant_is_compiled_in_several_modules_too(two_threads):
    """The first call that needs another variant (here the generic one, for transposed
    operands) compiles every kernel's variant, split as the graph's modules are; emit shows
    each module optimised on its own."""
    m, outs = reductions(9.3371)
    f = graphc.function([m], outs, backend="llvm")
    parts = f.executable._deferred_parts("generic")
    assert len(parts) == 2
    values = np.linspace(-2, 2, 13 * 9).reshape(13, 9).T  # not C-ordered
    expected = graphc.function([m], outs, backend="numpy")(values)
    for got, want in zip(f(values), expected):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    assert f.emit("llvm-opt").count("; ModuleID") >= 4
