"""A short seeded fuzz run (docs/fuzzing.md) finds nothing that is not already known and filed.

To see a failure's reproducers: python -m graphc.testing.fuzz --cases graphs=150,grads=30,parser=500
--seed 1 --known-open --jobs 2 (the findings are shrunk and written to fuzz-out/findings).
"""

from __future__ import annotations

from graphc.testing import fuzz
from graphc.testing.known import KNOWN_OPEN

SHORT = {"graphs": 150, "grads": 30, "parser": 500}
SEED = 1


def test_a_short_seeded_run_finds_nothing_new(tmp_path):
    summary = fuzz.run(tuple(SHORT), seed=SEED, out=tmp_path, counts=SHORT, jobs=2, known=tuple(KNOWN_OPEN),
                       shrink=False, log=lambda _: None)
    assert dict(summary.cases) == SHORT
    assert not summary.findings, summary.format()
    # the reference configuration judged every case (parser: every mutant)
    for what, n in SHORT.items():
        judged = sum(count for (w, config, _), count in summary.counts.items() if w == what
                     and config in ("numpy -O0", "parser", "build"))
        assert judged == n, (what, judged)
