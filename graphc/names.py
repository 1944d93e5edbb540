"""A namespace of identifiers that are safe to paste into generated code."""

from __future__ import annotations

import keyword
import re

_INVALID = re.compile(r"[^0-9A-Za-z_]+")


def sanitize(name: str) -> str:
    """Turn any string into a Python/C identifier-safe name: `x"); import os` -> `x_import_os`."""
    clean = _INVALID.sub("_", name).strip("_") or "v"
    if clean[0].isdigit():
        clean = "v" + clean
    if keyword.iskeyword(clean):
        clean += "_"
    return clean


class Namespace:
    """Hands out unique sanitised identifiers, avoiding reserved names."""

    def __init__(self, reserved: tuple[str, ...] = ()):
        self._used: set[str] = set(reserved)
        self._next: dict[str, int] = {}  # per base name, the next suffix to try

    def fresh(self, hint: str) -> str:
        base = sanitize(hint)
        name, k = base, self._next.get(base, 1)
        while name in self._used:
            name = f"{base}_{k}"
            k += 1
        self._next[base] = k
        self._used.add(name)
        return name
