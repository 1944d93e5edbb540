"""A pytest plugin that runs the GPU tests on the fake GPU: `make gpu-dry-run`.

Kernels do not execute on the fake, so every check of a value a kernel computes fails; this
plugin reports those failures (an AssertionError, or an expected error that no kernel raised)
as expected failures, and everything else as it is: a test that cannot build its graph, calls
an API wrongly or crashes fails here, before a machine with a GPU is spent on it.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.backends.cuda import fakegpu

FAKE = fakegpu.install(fakegpu.build(Path(tempfile.mkdtemp(prefix="graphc-fakegpu-"))))
SUBPROCESS = "a subprocess has no fake GPU (examples/seed_basics_cuda.py runs on it in-process)"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed or call.excinfo is None:
        return
    error = call.excinfo.value
    if _about_values(error) or isinstance(error, subprocess.CalledProcessError):
        report.outcome = "skipped"
        report.wasxfail = SUBPROCESS if isinstance(error, subprocess.CalledProcessError) else \
            "a kernel's value (kernels do not run on the fake GPU)"


def _about_values(error: BaseException) -> bool:
    """Whether `error` is a failed check of a value (hypothesis gathers several in a group)."""
    if isinstance(error, BaseExceptionGroup):
        return all(_about_values(e) for e in error.exceptions)
    did_not_raise = type(error).__name__ == "Failed" and "DID NOT RAISE" in str(error)
    return isinstance(error, AssertionError) or did_not_raise
