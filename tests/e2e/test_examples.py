"""The examples that `make demo` runs work end to end and print what they claim."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(script: str) -> str:
    done = subprocess.run([sys.executable, str(ROOT / "examples" / script)], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_define_then_run_prints_graph_source_and_results():
    out = run("define_then_run.py")
    assert "graph(%x: f32[n, 3], %w: f32[3]) {" in out
    assert "def graphc_fn(x, w):" in out
    total = float(re.search(r"sum = ([0-9.]+)", out).group(1))
    assert abs(total - 1.0) < 1e-5
    assert "n = 8 gives shapes (8,) (8,)" in out
    assert "= kernel %x" in out and "llvm agrees with numpy: True True" in out


def test_linear_regression_loss_falls_and_fits_the_line():
    out = run("linear_regression.py")
    losses = [float(v) for v in re.findall(r"loss ([0-9.]+)", out)]
    assert len(losses) >= 5
    assert losses[-1] < losses[0] / 100
    w, b = map(float, re.search(r"fitted w = ([-0-9.]+), b = ([-0-9.]+)", out).groups())
    assert abs(w - 3) < 0.1 and abs(b - 2) < 0.1


def test_explore_writes_an_explorer_page(tmp_path):
    page = tmp_path / "softmax.html"
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "explore.py"), str(page)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"wrote {page}" in done.stdout
    text = page.read_text()
    assert '"format":"graphc-viz"' in text and '"name":"fuse (6)"' in text and '"kind":"row"' in text
