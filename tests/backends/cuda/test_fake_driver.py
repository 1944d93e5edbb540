"""Without a GPU: the CUDA backend's real driver layer against a fake GPU.

runtime.py calls the installed cuda-bindings, which load a fake libcuda.so.1, and cublas.py's
ctypes binding loads a fake libcublas (both built here from tests/backends/cuda/fakegpu/*.c).
Device memory is host memory, copies and GEMMs are real, kernels are only checked and logged:
this catches a wrong argument to a driver call, a misread return value, a kernel name the
module lacks, and a transposed or misstrided GEMM, before a GPU is needed. The scenarios
(fakegpu/scenarios.py) run in one subprocess, since the driver a process loads is for good.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.backends.cuda import fakegpu
from tests.backends.cuda.fakegpu import scenarios

REPOSITORY = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.skipif(fakegpu.compiler() is None, reason="no C compiler to build the fake GPU with")


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    directory = fakegpu.build(tmp_path_factory.mktemp("fakegpu"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPOSITORY),
                                                                     os.environ.get("PYTHONPATH")]))}
    run = subprocess.run([sys.executable, scenarios.__file__, str(directory)], capture_output=True, text=True,
                         timeout=600, cwd=REPOSITORY, env=env)
    assert run.returncode == 0 and run.stdout.strip(), f"the scenarios crashed:\n{run.stdout}\n{run.stderr}"
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", list(scenarios.SCENARIOS))
def test_on_the_fake_gpu(results, name):
    if results[name] is not None:
        pytest.fail(f"scenario {name} failed in the subprocess:\n{results[name]}", pytrace=False)
