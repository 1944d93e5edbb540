"""Every cell of the seed tutorial prints, in graphc, what the seed shows for PyTorch."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.seed.notebook import SEED, cells, nonblank, run_cell

ROOT = Path(__file__).resolve().parents[2]


def _expected_outputs() -> list[tuple[str, list[str], list[str]]]:
    """(code, produced lines, the seed's lines for them) for each cell, run in order."""
    namespace: dict = {}
    results = []
    for cell in cells():
        produced = nonblank(run_cell(cell.code, namespace).splitlines())
        expected = nonblank(cell.tail)[: len(produced)]
        results.append((cell.code, produced, expected))
    return results


def test_seed_has_the_cells_we_expect():
    codes = [c.code for c in cells()]
    assert len(codes) >= 25
    assert any(c.endswith("y.backward()") for c in codes)
    assert any("from_numpy" in c for c in codes)


def test_every_seed_cell_prints_what_the_seed_shows():
    for code, produced, expected in _expected_outputs():
        assert produced == expected, f"cell:\n{code}"


def test_seed_cells_that_display_values_produce_output():
    outputs = {code: produced for code, produced, _ in _expected_outputs()}
    assert outputs["t1.dtype"] == ["graphc.float32"]
    assert outputs["y = w * x + b\ny"] == ["tensor(17., grad_fn=<AddBackward0>)"]


@pytest.mark.parametrize("script", ["examples/seed_basics.py"])
def test_seed_example_matches_the_seed_line_by_line(script):
    run = subprocess.run([sys.executable, str(ROOT / script)], capture_output=True, text=True,
                         cwd=ROOT, timeout=120, check=True)
    expected = [line for _, _, lines in _expected_outputs() for line in lines]
    lines = nonblank(run.stdout.splitlines())
    assert [line for line in lines if not line.startswith("# In [")] == expected


@pytest.mark.parametrize("script", ["examples/seed_basics.py"])
def test_seed_example_labels_each_cell_by_the_seed_s_number_in_order(script):
    run = subprocess.run([sys.executable, str(ROOT / script)], capture_output=True, text=True,
                         cwd=ROOT, timeout=120, check=True)
    labels = re.findall(r"^# In \[(\d+)\]: \S", run.stdout, re.MULTILINE)
    headers = iter(re.findall(r"^In \[(\d+)\]:", SEED.read_text(), re.MULTILINE))
    displaying = [produced for _, produced, _ in _expected_outputs() if produced]
    assert len(labels) == len(displaying)  # one label per cell that shows something
    assert all(number in headers for number in labels)  # the seed's numbers, in its order
