"""A graph's kernels as several LLVM modules, which threads compile at once.

LLVM optimises and compiles function by function, and a thread can only work on a module
(in an LLVM context) of its own: splitting the kernels of a graph over modules lets the cores
share the work (jit.load_all). Each module holds a contiguous run of the function definitions,
balanced by the size of their text, and every other global of the whole (declarations: a
graph's modules define no global variables), in the order of the whole; a function's text is
the same whichever module it lands in, so it compiles to the same machine code. The split
follows the thread count, so the disk cache holds a graph's modules once per thread count
it was compiled with.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from llvmlite import ir

from graphc.backends.llvm import jit
from graphc.backends.llvm.text import function_text
from graphc.threads import get_num_threads

# A module costs about 2 ms beyond its functions (a context, a pipeline, an engine); a
# reduction kernel's 8 KB of IR takes over 10 ms to optimise and compile. Split into modules of
# one or two such kernels, 2, 4 and 8 reductions (bench/compile_scaling.py) compiled in 10-15%
# less wall time on 2 cores, at the same CPU time.
MODULE_CHARS = int(os.environ.get("GRAPHC_MODULE_CHARS", 8_000))


class Part(NamedTuple):
    """One module of a graph's: its text, the functions it defines, its (pipeline, code
    generator) levels."""

    text: str
    names: list[str]
    levels: tuple[int, int]


def split_module(module: ir.Module) -> list[Part]:
    """The text of `module`, as one module or several, with the names of the functions each
    defines and the levels to compile it at. Functions large enough to be compiled apart
    (`jit.function_effort`) go into modules of their own class, the others into modules at
    the effort their total size calls for (`jit.effort`), whatever the split; each class is
    split over one module per thread at most, each of at least MODULE_CHARS characters."""
    texts = {id(g): function_text(g) if isinstance(g, ir.Function) else str(g)
             for g in module.globals.values()}
    definitions = [g for g in module.globals.values() if isinstance(g, ir.Function) and not g.is_declaration]
    sizes = {id(f): len(texts[id(f)]) for f in definitions}
    ordinary = [f for f in definitions if jit.function_effort(sizes[id(f)]) is None]
    classes: dict[tuple[int, int], list[ir.Function]] = {}
    if ordinary or not definitions:
        classes[jit.effort(sum(sizes[id(f)] for f in ordinary))] = ordinary
    for f in definitions:
        levels = jit.function_effort(sizes[id(f)])
        if levels is not None:
            classes.setdefault(levels, []).append(f)
    shares = []
    for levels, functions in classes.items():
        size = sum(sizes[id(f)] for f in functions)
        count = max(1, min(get_num_threads(), len(functions), size // max(1, MODULE_CHARS)))
        shares += [(share, levels) for share in _shares(functions, [sizes[id(f)] for f in functions], count)]
    if len(shares) == 1:
        return [Part(_text(module, list(texts.values())), [f.name for f in definitions], shares[0][1])]
    owner = {id(f): k for k, (share, _) in enumerate(shares) for f in share}
    return [Part(_text(module, [text for key, text in texts.items() if owner.get(key, k) == k]),
                 [f.name for f in share], levels) for k, (share, levels) in enumerate(shares)]


def _shares(items: list, sizes: list[int], parts: int) -> list[list]:
    """`items` cut into at most `parts` contiguous runs of about equal total size: each item
    goes to the run its middle falls in."""
    total, done = max(1, sum(sizes)), 0
    shares: list[list] = [[] for _ in range(parts)]
    for item, size in zip(items, sizes):
        shares[min(parts - 1, (done + size // 2) * parts // total)].append(item)
        done += size
    return [share for share in shares if share]


def _text(module: ir.Module, body: list[str]) -> str:
    """`module`'s text with `body` for its global values (as ir.Module prints itself)."""
    header = [f'; ModuleID = "{module.name}"', f'target triple = "{module.triple}"',
              f'target datalayout = "{module.data_layout}"', ""]
    types = [t.get_declaration() for t in module.get_identified_types().values()]
    return "\n".join(header + types + body + module._get_metadata_lines())
