"""Findings that are known and open, so that a seeded run can stay green until they are fixed.

A run given the keys of `KNOWN_OPEN` (`--known-open`, and the short run in `make test`) counts an
outcome whose "kind: signature" starts with one of the issue's `signatures` as "known" instead
of a finding. `make fuzz` passes none: there they are findings with reproducers.
tests/fuzz/test_issue13_findings.py pins each open issue with a strict xfail, which starts
failing the day the issue is fixed; then its entry here goes.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphc.testing.oracle import Outcome


@dataclass(frozen=True)
class KnownIssue:
    what: str  # the issue, as filed
    signatures: tuple[str, ...] = ()  # "kind: outcome signature" prefixes it explains


KNOWN_OPEN: dict[str, KnownIssue] = {}  # none open today


def known_issue(what: str, outcome: Outcome, known: tuple[str, ...] | frozenset[str]) -> str | None:
    """The key of the issue among `known` that explains `outcome` of a `what` case, if any."""
    found = f"{what}: {outcome.signature}"
    for key in known:
        if any(found.startswith(s) for s in KNOWN_OPEN[key].signatures):
            return key
    return None
