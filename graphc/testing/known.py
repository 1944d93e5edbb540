"""Findings that are known and open (issue 13), so that a seeded run can stay green until they are fixed.

A run that `avoid`s an issue does not generate what triggers it where the generator can steer
clear (a float cast to an integer, one value returned twice, a reduction of a 0-d value), and
counts an outcome whose "kind: signature" starts with one of the issue's `signatures` as "known" instead
of a finding. `make fuzz` avoids nothing: there they are findings with reproducers.
tests/fuzz/test_known_findings.py pins each issue with a strict xfail, which starts failing the
day the issue is fixed; then its entry here goes.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphc.testing.oracle import Outcome


@dataclass(frozen=True)
class KnownIssue:
    what: str  # the issue, as filed
    signatures: tuple[str, ...] = ()  # "kind: outcome signature" prefixes it explains


KNOWN_OPEN = {
    "nonfinite-to-int": KnownIssue("issue 13 item 2: casting inf/NaN to an integer differs by backend"),
    "duplicate-outputs": KnownIssue("issue 13 item 6: one value returned twice shares one buffer",
                                    ("graphs: aliasing outputs",)),
    "reduce-0d": KnownIssue("issue 13 item 7: sum of a 0-d -0.0 keeps the sign of the zero"),
    "empty-mean": KnownIssue("issue 13 item 7: the NumPy backend warns 'Mean of empty slice'",
                             ("graphs: warning RuntimeWarning: Mean of empty slice",)),
    "parser-errors": KnownIssue(
        "issue 13 items 3 and 4: parser failures other than ParseError, attributes and types not"
        " validated (and, found by the fuzzer: Mod(n, 0), a nested list as a dimension, a graph"
        " whose symbols no input binds, n**(huge) hanging in sympy, constants and slices of"
        " dimensions past 2**63)",
        ("parser: crash parser AttributeError at graphc/node.py:__str__",
         "parser: crash parser ValueError at graphc/shapes.py:symbol",
         "parser: crash parser TypeError at graphc/parser.py:dim_atom",
         "parser: crash parser ZeroDivisionError at graphc/parser.py:dim_atom",
         "parser: crash parser JSONDecodeError at graphc/parser.py:attr",
         "parser: crash parser AttributeError at graphc/ops.py:rule",
         "parser: crash parser AttributeError at graphc/shapes.py:numel",
         "parser: crash parser ValueError at graphc/parser.py:array",
         "parser: crash parser OverflowError at graphc/parser.py:array",
         "parser: crash parser OverflowError at graphc/ops.py:slice_length",
         "parser: mismatch parser malformed attribute", "parser: mismatch parser unknown attribute",
         "parser: mismatch parser malformed type", "parser: mismatch parser verify",
         "parser: crash worker timeout", "parser: warning parser")),
}


def known_issue(what: str, outcome: Outcome, avoid: tuple[str, ...] | frozenset[str]) -> str | None:
    """The key of the avoided known issue that explains `outcome` of a `what` case, if any."""
    found = f"{what}: {outcome.signature}"
    for key in avoid:
        if any(found.startswith(s) for s in KNOWN_OPEN[key].signatures):
            return key
    return None
