"""A pytest plugin that runs the GPU tests on the fake GPU: `make gpu-dry-run`.

Kernels do not execute on the fake, so every check of a value a kernel computes fails; this
plugin reports those failures as expected, and everything else as it is: a test that cannot
build its graph, calls an API wrongly, or fails a check of anything but a computed value
(a bare `assert` on a type, a device, a repr) fails here, before a machine with a GPU is spent
on it. Counted as checks of values: assertion failures raised inside numpy.testing,
tests/backends/agree.py or graphc/testing/tolerance.py (hypothesis groups of them too), an
error that only a kernel's status flag raises and that no kernel raised ("DID NOT RAISE
IndexError/ValueError"), and the seed tutorial's subprocess, which has no fake GPU.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.backends.cuda import fakegpu

FAKE = fakegpu.install(fakegpu.build(Path(tempfile.mkdtemp(prefix="graphc-fakegpu-"))))
VALUE_CHECKERS = ("numpy/testing/", "tests/backends/agree.py", "graphc/testing/tolerance.py")
SUBPROCESS_TEST = "test_the_seed_tutorial_on_the_gpu_prints_what_it_prints_on_the_cpu"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed or call.excinfo is None:
        return
    error = call.excinfo.value
    if isinstance(error, subprocess.CalledProcessError) and item.name == SUBPROCESS_TEST:
        report.outcome, report.wasxfail = "skipped", "its subprocess has no fake GPU"
    elif _about_values(error):
        report.outcome, report.wasxfail = "skipped", "a kernel's value (kernels do not run on the fake GPU)"


def _about_values(error: BaseException) -> bool:
    """Whether `error` is a failed check of a value a kernel computes."""
    if isinstance(error, BaseExceptionGroup):
        return all(_about_values(e) for e in error.exceptions)
    if type(error).__name__ == "Failed":
        return re.search(r"DID NOT RAISE (<class ')?(IndexError|ValueError)\b", str(error)) is not None
    if not isinstance(error, AssertionError) or error.__traceback__ is None:
        return False
    frame = error.__traceback__
    while frame.tb_next is not None:
        frame = frame.tb_next
    where = frame.tb_frame.f_code.co_filename.replace("\\", "/")
    return any(checker in where for checker in VALUE_CHECKERS)
