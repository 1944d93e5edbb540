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

from llvmlite import ir

from graphc.threads import get_num_threads

# A module costs about 2 ms beyond its functions (a context, a pipeline, an engine); a
# reduction kernel's 8 KB of IR takes over 10 ms to optimise and compile. Split into modules of
# one or two such kernels, 2, 4 and 8 reductions (bench/compile_scaling.py) compiled in 10-15%
# less wall time on 2 cores, at the same CPU time.
MODULE_CHARS = int(os.environ.get("GRAPHC_MODULE_CHARS", 8_000))


def split_module(module: ir.Module) -> tuple[list[tuple[str, list[str]]], int]:
    """The text of `module`, as one module or several (one per thread at most, each of at
    least MODULE_CHARS characters), with the names of the functions each defines; and the
    length of the whole module's text (what its compilation effort follows)."""
    texts = {id(g): str(g) for g in module.globals.values()}
    definitions = [g for g in module.globals.values() if isinstance(g, ir.Function) and not g.is_declaration]
    size = sum(len(texts[id(f)]) for f in definitions)
    whole = _text(module, list(texts.values()))
    parts = min(get_num_threads(), len(definitions), size // max(1, MODULE_CHARS))
    if parts < 2:
        return [(whole, [f.name for f in definitions])], len(whole)
    shares = _shares(definitions, [len(texts[id(f)]) for f in definitions], parts)
    owner = {id(f): k for k, share in enumerate(shares) for f in share}
    return [(_text(module, [text for key, text in texts.items() if owner.get(key, k) == k]),
             [f.name for f in share]) for k, share in enumerate(shares)], len(whole)


def _shares(items: list, sizes: list[int], parts: int) -> list[list]:
    """`items` cut into at most `parts` contiguous runs of about equal total size: each item
    goes to the run its middle falls in."""
    total, done = sum(sizes), 0
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
