"""Crash isolation: a case that kills its worker is recorded as a crash, and the run goes on."""

from __future__ import annotations

from graphc.testing import fuzz
from graphc.testing.worker import Pool, Task
from tests.fuzz.crashing_tasks import FATAL_SEED


def test_a_case_that_aborts_the_worker_is_a_crash_and_the_run_continues(tmp_path):
    summary = fuzz.run(("graphs",), seed=0, out=tmp_path, counts={"graphs": 5}, shrink=False,
                       task_module="tests.fuzz.crashing_tasks", known=tuple(fuzz.KNOWN_OPEN),
                       log=lambda _: None)
    assert summary.cases["graphs"] == 5
    died = summary.findings["graphs: crash worker died"]
    assert died.seed == FATAL_SEED and "SIGABRT" in died.outcome.detail
    assert died.subject.seed == FATAL_SEED  # the case it died on, ready to shrink and write
    assert sum(n for (what, config, kind), n in summary.counts.items() if config == "numpy -O0") == 4
    assert (tmp_path / "summary.txt").read_text().count("crash worker died") == 1


def test_a_task_past_its_time_limit_is_stopped_and_the_worker_replaced(tmp_path):
    with Pool(1, log_dir=str(tmp_path)) as pool:
        # Start the worker first, so the time limit runs out inside the task, not while a
        # loaded machine is still importing it.
        assert pool.call(Task("tests.fuzz.crashing_tasks", "sleep", (0,))).value == 0
        reply = pool.call(Task("tests.fuzz.crashing_tasks", "sleep", (30,), timeout=1))
        assert reply.status == "timeout"
        assert "crashing_tasks.py" in reply.value and "in sleep" in reply.value  # where it hung
        assert pool.call(Task("tests.fuzz.crashing_tasks", "sleep", (0,))).value == 0


def test_a_task_that_raises_reports_its_traceback(tmp_path):
    with Pool(1, log_dir=str(tmp_path)) as pool:
        reply = pool.call(Task("tests.fuzz.crashing_tasks", "sleep", ("not a number",)))
    assert reply.status == "error" and "TypeError" in reply.value
