"""The `graphc` command: `opt` runs a pass pipeline over a `.gir` file, `run` evaluates one,
`grad` prints a gradient graph, `viz` draws one.

    graphc opt model.gir -p 'simplify,cse,dce' --print-ir-after-change
    graphc opt model.gir -O2 --print-pipeline
    graphc run model.gir --inputs x=x.npy 'w=[1, 2, 3]'
    graphc grad model.gir --wrt w
    graphc viz model.gir -O1 --backend llvm -o model.html

Results go to stdout; instrumentation and errors go to stderr, and errors exit with status 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

EXAMPLES = """examples:
  graphc opt model.gir -p 'simplify,fold-constants,cse,dce'
  graphc opt model.gir -O1 --print-pipeline
  graphc opt model.gir -p 'fixpoint(simplify,cse),dce' --print-ir-after-change --time-passes
  graphc opt model.gir -O2 --bisect-limit=3
  graphc opt --list-passes"""


def _names(text: str) -> frozenset[str]:
    return frozenset(n.strip() for n in text.split(",") if n.strip())


def _add_pipeline_options(p: argparse.ArgumentParser, default: str) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("-p", "--passes", metavar="PIPELINE", default=None,
                       help=f"the pass pipeline, e.g. 'simplify,cse,dce' or 'fixpoint(simplify,cse)'"
                            f" (default: {default or 'none'})")
    for level in ("0", "1", "2"):
        group.add_argument(f"-O{level}", dest="passes", action="store_const", const=f"-O{level}",
                           help=f"the named pipeline -O{level}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="graphc", description="graphc: a symbolic-graph compiler.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    opt = commands.add_parser(
        "opt", help="run a pass pipeline over a .gir file and print the result",
        description="Parse FILE (a .gir graph; '-' reads stdin), run the pipeline over it and"
                    " print the resulting IR, like mlir-opt.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    opt.add_argument("file", nargs="?", metavar="FILE", help="the input .gir file, or - for stdin")
    _add_pipeline_options(opt, "-O1")
    opt.add_argument("-o", "--output", metavar="OUT", help="write the IR here instead of stdout")
    opt.add_argument("--list-passes", action="store_true", help="list the registered passes and exit")
    opt.add_argument("--print-pipeline", action="store_true",
                     help="print the pipeline with named pipelines expanded, and exit")
    inst = opt.add_argument_group("instrumentation (printed to stderr)")
    inst.add_argument("--print-ir-before", metavar="PASSES", type=_names, default=frozenset(),
                      help="print the IR before these passes (comma-separated, or all)")
    inst.add_argument("--print-ir-after", metavar="PASSES", type=_names, default=frozenset(),
                      help="print the IR after these passes (comma-separated, or all)")
    inst.add_argument("--print-ir-after-all", action="store_true", help="print the IR after every pass")
    inst.add_argument("--print-ir-after-change", action="store_true",
                      help="print the IR after each pass that changed it")
    inst.add_argument("--print-changed", nargs="?", const="full", choices=("diff", "full"),
                      help="after each pass that changed the IR, print it (full) or a diff")
    inst.add_argument("--time-passes", action="store_true",
                      help="time each pass and report node counts before and after")
    inst.add_argument("--statistics", action="store_true", help="report how often each rewrite rule fired")
    inst.add_argument("--verify-each", action=argparse.BooleanOptionalAction, default=True,
                      help="verify the graph after each pass (default: on)")
    inst.add_argument("--ir-dump-dir", metavar="DIR",
                      help="write the IR after each pass to DIR/NNN-pass.after.gir")
    inst.add_argument("--bisect-limit", metavar="N", type=int,
                      help="run only the first N pass applications")
    inst.add_argument("--reproducer-dir", metavar="DIR", help="where a failing pass writes its reproducer")
    inst.add_argument("--viz-dir", metavar="DIR",
                      help="write an explorer page per pass (DIR/NNN-pass.html: the graph before and"
                           " after, changes highlighted) and DIR/timeline.html with every step")

    run = commands.add_parser(
        "run", help="evaluate a .gir file on given inputs",
        description="Evaluate FILE with a backend and print each result.",
        epilog="inputs: NAME=FILE.npy, NAME=[1, 2, 3] (JSON) or NAME=random\n"
               "example: graphc run model.gir --inputs x=x.npy 'w=[[1, 2], [3, 4]]'",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("file", metavar="FILE", help="the input .gir file, or - for stdin")
    run.add_argument("--backend", default="llvm", help="the backend to compile with (default: llvm)")
    run.add_argument("--inputs", nargs="*", default=[], metavar="NAME=VALUE",
                     help="a value for each graph input")
    run.add_argument("--seed", type=int, default=0, help="seed for NAME=random inputs (default 0)")
    run.add_argument("--size", type=int, default=3,
                     help="size of each symbolic dimension of random inputs (default 3)")
    _add_pipeline_options(run, "")

    grad = commands.add_parser(
        "grad", help="print the gradient graph of a .gir file's first output",
        description="Differentiate the first output of FILE (summed, if it is not a scalar) with"
                    " respect to the inputs given by --wrt, and print the gradient graph.")
    grad.add_argument("file", metavar="FILE", help="the input .gir file, or - for stdin")
    grad.add_argument("--wrt", required=True, type=_names, metavar="NAMES",
                      help="the inputs to differentiate by (comma-separated)")
    _add_pipeline_options(grad, "-O1")

    comp = commands.add_parser(
        "compile", help="compile a .gir file with a backend and print the generated code",
        description="Run the pipeline over FILE, compile it with the backend and print what it"
                    " generated.",
        epilog="example: graphc compile model.gir --backend llvm --emit asm",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    comp.add_argument("file", metavar="FILE", help="the input .gir file, or - for stdin")
    comp.add_argument("--backend", default="llvm", help="the backend to compile with (default: llvm)")
    comp.add_argument("--emit", default="graph", metavar="STAGE",
                      help="graph: the compiled graph (kernels included); python: the generated"
                           " driver; llvm / llvm-opt / asm: the LLVM backend's code; any stage the"
                           " backend lists (default: graph)")
    _add_pipeline_options(comp, "-O1")

    viz = commands.add_parser(
        "viz", help="draw a .gir file: an HTML explorer, SVG, JSON or DOT",
        description="Draw FILE. With a pipeline, the explorer and the JSON hold one step per pass"
                    " application; with --backend, the fused kernels and their generated code too.",
        epilog="examples:\n  graphc viz model.gir -o model.html\n"
               "  graphc viz model.gir -O1 --backend llvm --profile x=random -o model.html\n"
               "  graphc viz model.gir --format svg -o model.svg",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    viz.add_argument("file", metavar="FILE", help="the input .gir file, or - for stdin")
    _add_pipeline_options(viz, "")
    viz.add_argument("--format", default="html", choices=("html", "svg", "json", "dot"),
                     help="html: the explorer, one file that opens offline (default); svg: a picture"
                          " (needs Graphviz); json: every step as data; dot: Graphviz text")
    viz.add_argument("-o", "--output", metavar="OUT", help="write here instead of stdout")
    viz.add_argument("--backend", help="compile with this backend too (llvm: kernels and their code)")
    viz.add_argument("--step", help="svg and dot: the step to draw, a number or a name (default: the last)")
    viz.add_argument("--profile", nargs="+", metavar="NAME=VALUE",
                     help="time each kernel over calls with these inputs (as run --inputs; needs --backend)")
    viz.add_argument("--seed", type=int, default=0, help="seed for NAME=random inputs (default 0)")
    viz.add_argument("--size", type=int, default=3,
                     help="size of each symbolic dimension of random inputs (default 3)")
    return parser


def _read(path: str):
    from graphc.parser import parse

    if path == "-":
        return parse(sys.stdin.read(), "<stdin>")
    with open(path, encoding="utf-8") as f:
        return parse(f.read(), path)


def _cmd_opt(args) -> int:
    from graphc.passes import Instrumentation, PassManager, all_passes, format_pipeline, parse_pipeline

    if args.list_passes:
        for info in all_passes():
            print(f"{info.name:16} {info.description}")
            for o in info.options:
                help_text = f"  {o.help}" if o.help else ""
                print(f"{'':18}{o.name}={o.type.__name__} (default {o.default}){help_text}")
        return 0
    pipeline = parse_pipeline(args.passes if args.passes is not None else "-O1")
    if args.print_pipeline:
        print(format_pipeline(pipeline))
        return 0
    if args.file is None:
        raise _UsageError("opt needs a FILE (or --list-passes, --print-pipeline)")
    graph = _read(args.file)
    inst = Instrumentation(
        print_ir_before=args.print_ir_before, print_ir_after=args.print_ir_after,
        print_ir_after_all=args.print_ir_after_all, print_ir_after_change=args.print_ir_after_change,
        print_changed=args.print_changed, time_passes=args.time_passes, statistics=args.statistics,
        verify_each=args.verify_each, ir_dump_dir=args.ir_dump_dir, bisect_limit=args.bisect_limit,
        reproducer_dir=args.reproducer_dir, out=sys.stderr)
    recorder = None
    if args.viz_dir:
        from graphc.viz.stages import Stage, Stages

        recorder = Stages(os.path.basename(args.file), [Stage("input", graph, "input")],
                          format_pipeline(pipeline))
        inst.after_pass = lambda rec, new: recorder.stages.append(
            Stage(f"{rec.name} ({rec.index})", new, "pass", rec.changed, rec.seconds))
    result = PassManager(pipeline, inst).run(graph)
    if recorder is not None:
        _write_pass_pages(recorder, args.viz_dir)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(f"{result}\n")
    else:
        print(result)
    return 0


def _write_pass_pages(stages, directory: str) -> None:
    """DIR/NNN-pass.html per pass application (its graph and the one before) and DIR/timeline.html."""
    from graphc.viz.html import page
    from graphc.viz.stages import Stages

    os.makedirs(directory, exist_ok=True)
    steps = stages.stages
    for k, stage in enumerate(steps[1:], start=1):
        name = stage.name.split(" ")[0]
        pair = Stages(f"{stages.title}: {stage.name}", [steps[k - 1], stage], stages.pipeline)
        _write(os.path.join(directory, f"{k:03d}-{name}.html"), page(pair))
    _write(os.path.join(directory, "timeline.html"), page(stages))


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def _input_value(node, text: str, rng: np.random.Generator, size: int) -> np.ndarray:
    dtype = node.dtype.numpy
    if text == "random":
        shape = [d if isinstance(d, int) else size for d in node.shape]
        if node.dtype.category == 0:
            return rng.random(shape) > 0.5
        if node.dtype.category == 1:
            return rng.integers(-5, 6, shape).astype(dtype)
        return rng.standard_normal(shape).astype(dtype)
    if text.endswith(".npy"):
        return np.load(text, allow_pickle=False)
    try:
        return np.asarray(json.loads(text), dtype=dtype)
    except (json.JSONDecodeError, ValueError, TypeError) as err:
        raise _UsageError(f"input {node.attr('name')!r}: expected FILE.npy, a JSON array or 'random',"
                          f" got {text!r} ({err})") from None


def _input_values(graph, items: list[str], seed: int, size: int, option: str) -> list:
    """An argument for each input of `graph` from NAME=VALUE items (parameters give their own)."""
    given: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise _UsageError(f"inputs are NAME=VALUE, got {item!r}")
        given[name] = value
    names = [n.attr("name") for n in graph.inputs if n.op == "placeholder"]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise _UsageError(f"the graph has several inputs named {', '.join(map(repr, twice))};"
                          f" {option} NAME=VALUE cannot tell them apart")
    rng = np.random.default_rng(seed)
    values = []
    for node in graph.inputs:
        if node.op != "placeholder":
            values.append(node.attr("value").value)
            continue
        name = node.attr("name")
        if name not in given:
            raise _UsageError(f"no value for input {name!r}; give {option} {name}=...")
        values.append(_input_value(node, given.pop(name), rng, size))
    if given:
        raise _UsageError(f"the graph has no input named {', '.join(map(repr, given))}")
    return values


def _cmd_run(args) -> int:
    from graphc.backends import compile as compile_graph

    graph = _read(args.file)
    if args.passes:
        from graphc.passes import run as run_pipeline

        graph = run_pipeline(graph, args.passes)
    values = _input_values(graph, args.inputs, args.seed, args.size, "--inputs")
    results = compile_graph(graph, args.backend)(*values)
    for k, value in enumerate(results):
        print(f"result {k}: {value.dtype}{list(value.shape)}")
        print(np.array2string(np.asarray(value), threshold=1000))
    return 0


def _cmd_grad(args) -> int:
    from graphc.graph import Graph
    from graphc.passes import run as run_pipeline
    from graphc.passes.autodiff import vjp_nodes
    from graphc.passes.rewrite import filled

    graph = _read(args.file)
    by_name = {n.attr("name"): n for n in graph.inputs}
    missing = sorted(args.wrt - set(by_name))
    if missing:
        raise _UsageError(f"the graph has no input named {', '.join(missing)}")
    wrt = [n for n in graph.inputs if n.attr("name") in args.wrt]
    output = graph.outputs[0]
    grads = vjp_nodes([output], [filled(1, output)], wrt)
    grads = [g if g is not None else filled(0, w) for g, w in zip(grads, wrt)]
    result = Graph(graph.inputs, grads)
    print(run_pipeline(result, args.passes if args.passes is not None else "-O1"))
    return 0


def _cmd_compile(args) -> int:
    from graphc.backends import compile as compile_graph
    from graphc.passes import run as run_pipeline

    graph = run_pipeline(_read(args.file), args.passes if args.passes is not None else "-O1")
    executable = compile_graph(graph, args.backend)
    if args.emit not in executable.stages:
        raise _UsageError(f"the {args.backend} backend cannot emit {args.emit!r};"
                          f" it emits {', '.join(executable.stages)}")
    print(executable.emit(args.emit))
    return 0


def _cmd_viz(args) -> int:
    from graphc.viz import export
    from graphc.viz.html import page
    from graphc.viz.profile import kernel_seconds
    from graphc.viz.stages import trace

    if args.profile and not args.backend:
        raise _UsageError("--profile times the compiled kernels: give --backend too")
    if args.step is not None and args.format not in ("svg", "dot"):
        raise _UsageError("--step picks the step an svg or dot picture draws; html and json hold every step")
    graph = _read(args.file)
    stages = trace(graph, args.passes, args.backend, os.path.basename(args.file))
    if args.profile:
        values = _input_values(graph, args.profile, args.seed, args.size, "--profile")
        stages.kernel_seconds = kernel_seconds(stages.executable, values)
    if args.format == "html":
        text = page(stages)
    else:
        step = int(args.step) if args.step is not None and args.step.lstrip("-").isdigit() else args.step
        options = {"step": step} if args.format in ("svg", "dot") else {}
        text = export(stages, args.format, **options)
    if args.output:
        _write(args.output, text if text.endswith("\n") else text + "\n")
    else:
        print(text)
    return 0


class _UsageError(ValueError):
    pass


def _join_pipeline_values(argv: list[str]) -> list[str]:
    """`-p -O1,dce` as `-p=-O1,dce`: argparse would read a value starting with `-` as an option."""
    out: list[str] = []
    for arg in argv:
        if out and out[-1] in ("-p", "--passes") and arg.startswith("-O"):
            out[-1] = f"{out[-1]}={arg}"
        else:
            out.append(arg)
    return out


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `graphc` console script; returns the exit status."""
    from graphc.parser import ParseError
    from graphc.passes import PassError, PipelineError
    from graphc.viz.svg import GraphvizMissingError

    args = _parser().parse_args(_join_pipeline_values(sys.argv[1:] if argv is None else argv))
    try:
        commands = {"opt": _cmd_opt, "run": _cmd_run, "grad": _cmd_grad, "compile": _cmd_compile,
                    "viz": _cmd_viz}
        return commands[args.command](args)
    except (ParseError, PipelineError, PassError, _UsageError, GraphvizMissingError, OSError, ValueError,
            TypeError) as err:
        print(f"graphc {args.command}: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
