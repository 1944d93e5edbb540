"""Crash isolation: fuzz cases run in child processes that may die without taking the fuzzer along.

A `Pool` keeps N worker processes (started with "spawn", so no LLVM state is inherited). A task is
a module-level function named by module and name, with picklable arguments. When a worker
segfaults, aborts or runs past the task's time limit, the task is reported as having "died" or
"timed out" (with the tail of the worker's stderr, where faulthandler writes the Python stack),
and a fresh worker takes its place.
"""

from __future__ import annotations

import contextlib
import faulthandler
import importlib
import multiprocessing
import os
import signal
import tempfile
import time
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

TASK_MARK = "--- task "  # the worker's log starts each task's part with it
STARTUP_SECONDS = 60.0  # how long a new worker may take to say it is ready


@dataclass(frozen=True)
class Task:
    """`module.function(*args)`, to run in a worker."""

    module: str
    function: str
    args: tuple = ()
    timeout: float = 120.0


@dataclass(frozen=True)
class Reply:
    status: str  # "ok", "error" (the task raised), "died", "timeout"; "ready" (a new worker)
    value: Any = None  # the task's return value, or a description of what went wrong


def _serve(connection: Connection, log_path: str) -> None:
    """The worker's loop: run tasks until told to stop (None)."""
    log = open(log_path, "a", buffering=1)  # noqa: SIM115 - open for the worker's lifetime
    os.dup2(log.fileno(), 2)
    faulthandler.enable(log)
    faulthandler.register(signal.SIGUSR1, file=log, all_threads=True)  # where a hung task is
    connection.send(Reply("ready"))
    while True:
        message = connection.recv()
        if message is None:
            return
        module, function, args = message
        log.write(f"{TASK_MARK}{module}.{function}\n")
        try:
            value = getattr(importlib.import_module(module), function)(*args)
        except BaseException:
            connection.send(Reply("error", traceback.format_exc()))
        else:
            connection.send(Reply("ok", value))


class Worker:
    """One child process and the task it is running, if any."""

    def __init__(self, log_dir: str):
        self.log_dir = log_dir
        self.task: Task | None = None
        self.started = 0.0
        self._start()

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        fd, self.log_path = tempfile.mkstemp(prefix="worker-", suffix=".log", dir=self.log_dir)
        os.close(fd)
        self.process = context.Process(target=_serve, args=(child, self.log_path), daemon=True)
        self.process.start()
        child.close()
        # A task's clock starts once the worker can run it and say where it hangs: a fresh
        # interpreter can take seconds to start on a busy machine, and a SIGUSR1 before
        # faulthandler listens would kill it without a word.
        if self.connection.poll(STARTUP_SECONDS):
            with contextlib.suppress(EOFError, OSError):
                self.connection.recv()

    def submit(self, task: Task) -> None:
        self.task, self.started = task, time.monotonic()
        self.connection.send((task.module, task.function, task.args))

    def overdue(self) -> bool:
        return self.task is not None and time.monotonic() - self.started > self.task.timeout

    def collect(self) -> Reply:
        """The running task's reply; restarts the worker if it died or is overdue."""
        try:
            if self.connection.poll():
                reply = self.connection.recv()
                self.task = None
                return reply
        except (EOFError, OSError):
            pass
        if self.overdue() and self.process.is_alive():
            os.kill(self.process.pid, signal.SIGUSR1)  # faulthandler writes the stack it hangs in
            time.sleep(0.5)
            self.process.kill()
            self.process.join()
            reply = Reply("timeout", f"no answer after {self.task.timeout:.0f} s\n{self._log_tail()}")
        else:
            self.process.join(timeout=5)
            reply = Reply("died", f"{_exit_description(self.process.exitcode)}\n{self._log_tail()}")
        self.task = None
        self._restart()
        return reply

    def _log_tail(self, lines: int = 40) -> str:
        """What the worker wrote to stderr during its last task (the last `lines` lines)."""
        try:
            with open(self.log_path, errors="replace") as log:
                text = log.read()
        except OSError:
            return ""
        return "\n".join(text.rpartition(TASK_MARK)[2].splitlines()[1:][-lines:])

    def _restart(self) -> None:
        self.connection.close()
        self._start()

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.connection.send(None)
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.connection.close()


def _exit_description(code: int | None) -> str:
    if code is None:
        return "the worker vanished"
    if code < 0:
        try:
            return f"the worker was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"the worker was killed by signal {-code}"
    return f"the worker exited with status {code}"


class Pool:
    """`jobs` workers; `run(tasks)` yields (task, reply) as replies come, in any order."""

    def __init__(self, jobs: int = 1, log_dir: str | None = None):
        self.log_dir = log_dir or tempfile.mkdtemp(prefix="graphc-fuzz-")
        self.workers = [Worker(self.log_dir) for _ in range(max(1, jobs))]

    def run(self, tasks: Iterable[Task], deadline: float | None = None) -> Iterator[tuple[Task, Reply]]:
        """Run `tasks`, none started after `deadline` (time.monotonic())."""
        pending = iter(tasks)
        exhausted = False
        while True:
            for worker in self.workers:
                in_time = deadline is None or time.monotonic() < deadline
                if worker.task is None and not exhausted and in_time:
                    task = next(pending, None)
                    if task is None:
                        exhausted = True
                    else:
                        worker.submit(task)
            busy = [w for w in self.workers if w.task is not None]
            if not busy:
                return
            wait([w.connection for w in busy] + [w.process.sentinel for w in busy], timeout=1.0)
            for worker in busy:
                if worker.connection.poll() or not worker.process.is_alive() or worker.overdue():
                    task = worker.task
                    yield task, worker.collect()

    def call(self, task: Task) -> Reply:
        """Run one task and wait for its reply."""
        for _, reply in self.run([task]):
            return reply
        raise RuntimeError("the pool ran no task")

    def close(self) -> None:
        for worker in self.workers:
            worker.close()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
