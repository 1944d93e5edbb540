"""Graph-to-graph transformations (autodiff, simplification, folding, CSE, fusion).

    from graphc import passes
    g = passes.run(graph, "simplify,fold-constants,cse,dce", print_ir_after_change=True)

Passes register under kebab-case names (`passes.register`); `passes.all_passes()` lists them.
"""

from graphc.passes import (  # importing registers them
    canonicalize,
    cse,
    dce,
    fold_constants,
    fuse,
    simplify,
    sympy_simplify,
)
from graphc.passes.manager import Instrumentation, PassError, PassManager, Record, run
from graphc.passes.pattern import RewriteError, apply_rules, const, op, rule
from graphc.passes.pipeline import NAMED_PIPELINES, PipelineError, format_pipeline, parse_pipeline
from graphc.passes.registry import PASSES, PassInfo, all_passes, lookup, register

__all__ = [
    "NAMED_PIPELINES", "PASSES", "Instrumentation", "PassError", "PassInfo", "PassManager",
    "PipelineError", "Record", "RewriteError", "all_passes", "apply_rules", "const",
    "format_pipeline", "lookup", "op", "parse_pipeline", "register", "rule", "run",
]
