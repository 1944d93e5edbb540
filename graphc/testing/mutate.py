"""Mutations of graph text for fuzzing the parser: tokens and lines deleted, repeated, swapped,
replaced; numbers, dtypes and attribute values changed; odd characters inserted.

The seeds are texts graphc printed (graphs from the generator, before and after passes, with
kernels), so most mutants are near-valid and reach deep into the parser.
"""

from __future__ import annotations

import re

import numpy as np

from graphc.ops import OPS

# Pieces of the text form, roughly as the parser's tokenizer splits it (spaces kept).
_PIECES = re.compile(r"""%[A-Za-z0-9_.]+|"(?:[^"\\\n]|\\.)*"|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?"""
                     r"""|[A-Za-z_][A-Za-z0-9_]*|\*\*|//[^\n]*|\s+|.""", re.S)

# Tokens that are valid somewhere, and values at the edges of what they may hold.
INTERESTING = (
    "-1", "0", "1", "2", "3", "99999999999999999999", "2147483648", "-9223372036854775809", "1e400",
    "-0.0", "0.5", "2.5", "nan", "inf", "-inf", "none", "true", "false", '"a"', '""', '"\t"', '"\\u0000"',
    "[", "]", "{", "}", "(", ")", "<", ">", ",", ":", "=", "-", "*", "/", "**", "%0", "%1", "%x", "%99",
    "%a0", "f16", "f32", "f64", "i32", "i64", "bool", "f8", "graph", "return", "dense", "blob",
    'blob<"AAAA">', "dense<[1, 2]>", "dense<[[1], [2, 3]]>", "n", "m", "floor(n, 2)", "n/0", "n**2",
    "-n", "Max(n, 2)", "ceiling(n/2)", "Mod(n, 0)", "n - 5", "(", "\t", "\n", "\\", "'", "\x00", "é",
    "#", "//", "{body=graph() {\n return %0\n}, kind=\"elementwise\"}", "[[], 0]", "[none, 1]",
    "[1, 2, 3, 4]", "[[0, 1], [1, 0]]",
)
_NAMES = (*OPS, "axes", "axis", "keepdims", "shape", "perm", "index", "widths", "value", "dtype", "name",
          "start", "stop", "step", "n", "m", "body", "kind")


def _pieces(text: str) -> list[str]:
    return _PIECES.findall(text)


def _tokens(pieces: list[str]) -> list[int]:
    """Indices of the pieces that are not white space."""
    return [k for k, p in enumerate(pieces) if not p.isspace()]


def _choice(rng: np.random.Generator, items):
    return items[int(rng.integers(len(items)))]


def _number(rng: np.random.Generator, text: str) -> str:
    if "." in text or "e" in text.lower():
        return _choice(rng, ["0.0", "-0.0", "1e308", "1e-320", "nan", "inf", str(-float(text)), text + "5"])
    value = int(text)
    return str(_choice(rng, [value + 1, max(value - 1, 0), 0, -value, value * 1000, 2**31, 2**63, 2**64]))


def mutate(rng: np.random.Generator, text: str) -> str:
    """One random mutation of `text` (sometimes two or three stacked)."""
    for _ in range(int(rng.choice([1, 1, 1, 2, 3]))):
        text = _mutate_once(rng, text)
    return text


def _mutate_once(rng: np.random.Generator, text: str) -> str:
    pieces = _pieces(text)
    tokens = _tokens(pieces)
    if not tokens:
        return text + _choice(rng, INTERESTING)
    k = _choice(rng, tokens)
    kind = _choice(rng, ["delete", "duplicate", "swap", "replace", "replace", "insert", "number", "number",
                         "dtype", "name", "line", "char", "truncate"])
    if kind == "delete":
        pieces[k] = ""
    elif kind == "duplicate":
        pieces[k] = pieces[k] + " " + pieces[k]
    elif kind == "swap":
        j = _choice(rng, tokens)
        pieces[k], pieces[j] = pieces[j], pieces[k]
    elif kind == "replace":
        pieces[k] = _choice(rng, INTERESTING) if rng.random() < 0.7 else pieces[_choice(rng, tokens)]
    elif kind == "insert":
        pieces[k] = pieces[k] + _choice(rng, [" ", ""]) + _choice(rng, INTERESTING)
    elif kind == "number":
        numbers = [j for j in tokens if pieces[j][0].isdigit()]
        if numbers:
            j = _choice(rng, numbers)
            pieces[j] = _number(rng, pieces[j])
    elif kind == "dtype":
        dtypes = [j for j in tokens if pieces[j] in ("f16", "f32", "f64", "i32", "i64", "bool")]
        if dtypes:
            pieces[_choice(rng, dtypes)] = _choice(rng, ["f16", "f32", "f64", "i32", "i64", "bool"])
    elif kind == "name":
        names = [j for j in tokens if pieces[j][0].isalpha()]
        if names:
            pieces[_choice(rng, names)] = _choice(rng, _NAMES)
    elif kind == "line":
        return _mutate_lines(rng, text)
    elif kind == "char":
        position = int(rng.integers(len(text) + 1))
        code = int(rng.choice([9, 0, 34, 92, 0xE9, 0x3000, int(rng.integers(32, 127))]))
        return text[:position] + chr(code) + text[position:]
    else:
        return text[:int(rng.integers(len(text) + 1))]
    return "".join(pieces)


def _mutate_lines(rng: np.random.Generator, text: str) -> str:
    lines = text.split("\n")
    i, j = int(rng.integers(len(lines))), int(rng.integers(len(lines)))
    what = _choice(rng, ["delete", "duplicate", "swap"])
    if what == "delete":
        del lines[i]
    elif what == "duplicate":
        lines.insert(j, lines[i])
    else:
        lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)
