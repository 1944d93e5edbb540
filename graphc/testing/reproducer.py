"""Write a (shrunk) finding as files a person can run: the graph as `.gir`, and a `.py` that
builds the same graph through the public API, calls the configuration that failed, and prints
graphc's results next to plain NumPy's (or the finite differences, or the parser's exception).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from graphc.testing import gradients
from graphc.testing.oracle import Outcome
from graphc.testing.program import Argument, Case, evaluate


def array_source(values: np.ndarray) -> str:
    """`values` as a NumPy expression (nan and inf as the names `nan` and `inf`)."""
    if not values.size:
        return f"np.zeros({values.shape!r}, dtype=np.{values.dtype.name})"
    with np.printoptions(threshold=sys.maxsize):
        return f"np.array({values.tolist()!r}, dtype=np.{values.dtype.name})"


def argument_source(argument: Argument) -> str:
    """The expression of an argument in its memory layout."""
    values, layout = argument.values, argument.layout
    plain = array_source(values)
    if layout == "F":
        return f"np.asfortranarray({plain})"
    if layout == "strided" and values.ndim:
        return f"np.repeat({plain}, 2, axis=0)[::2]"
    if layout == "reversed" and values.ndim:
        return f"np.flip(np.flip({plain}).copy())"
    if layout == "broadcast" and values.ndim and values.shape[0]:
        return f"np.broadcast_to({array_source(values[:1])}, {values.shape!r})"
    if layout == "scalar" and not values.ndim:
        return f"{plain}[()]"
    return plain


def _header(title: str, outcome: Outcome) -> list[str]:
    detail = outcome.detail.replace('"""', "'''").replace("\\", "\\\\")
    return ['"""graphc fuzz finding: ' + title, "", detail, '"""', "", "import warnings", "",
            "import numpy as np", "from numpy import inf, nan  # noqa: F401", "", "import graphc", "",
            'warnings.simplefilter("error")  # a warning that leaks is a finding too', ""]


def _config(outcome: Outcome) -> tuple[str, str]:
    backend, _, passes = outcome.config.partition(" ")
    return backend, "" if passes in ("", "-O0") else passes


def case_script(kind: str, case: Case, outcome: Outcome) -> str:
    """The `.py` of a graphs or grads finding."""
    built = case.program.build()
    backend, passes = _config(outcome)
    if backend not in ("numpy", "llvm") and outcome.config != gradients.FD:
        backend, passes = "llvm", "-O1"
    if outcome.config == gradients.FD:
        backend = "numpy"
    if kind == "grads":
        case = gradients.differentiable(case)
        built = case.program.build()
    lines = _header(f"{kind}, seed {case.seed}: {outcome.kind} on {outcome.config}", outcome)
    lines += case.program.source()
    lines.append("calls = [")
    for arguments in case.arguments:
        lines.append("    [" + ", ".join(argument_source(a) for a in arguments) + "],")
    lines.append("]")
    if kind == "grads":
        lines += _grads_tail(case, built, backend, passes)
    else:
        lines += _graphs_tail(case, built, backend, passes)
    return "\n".join(lines) + "\n"


def _graphs_tail(case: Case, built, backend: str, passes: str) -> list[str]:
    lines = ["numpy_says = [  # plain NumPy, as graphc.testing evaluates the same calls"]
    for binding, arrays in case.calls():
        try:
            values = [w.value for w in evaluate(case.program, built, arrays, binding)]
            lines.append("    [" + ", ".join(array_source(np.asarray(v)) for v in values) + "],")
        except Exception as error:
            lines.append(f"    None,  # NumPy raises {error!r}")
    lines += ["]", f"f = graphc.function(inputs, outputs, backend={backend!r}, passes={passes!r})",
              "results = []", "for args, expected in zip(calls, numpy_says):",
              "    got = f(*args)", "    results.append(got)",
              "    for k, g in enumerate(got):", "        print(f'output {k}: graphc {g!r}')",
              "        if expected is not None:", "            print(f'          NumPy  {expected[k]!r}')",
              "        for j in range(k + 1, len(got)):",
              "            if np.shares_memory(g, got[j]):",
              "                print(f'outputs {k} and {j} share memory')"]
    return lines


def _grads_tail(case: Case, built, backend: str, passes: str) -> list[str]:
    lines = ["cotangents = [graphc.placeholder(f'c{k}', o.shape, o.dtype) for k, o in enumerate(outputs)]",
             "grads = graphc.vjp(outputs, inputs, cotangents)",
             f"f = graphc.function(inputs + cotangents, grads, backend={backend!r}, passes={passes!r})",
             "cotangent_values = ["]
    estimates = []
    for call, (binding, arrays) in enumerate(case.calls()):
        outputs = [b.value for b in evaluate(case.program, built, arrays, binding)]
        cots = gradients.cotangents(case, outputs, call)
        lines.append("    [" + ", ".join(array_source(c) for c in cots) + "],")
        estimates.append(gradients.finite_differences(case.program, built, arrays, binding, cots)[0])
    lines.append("]")
    lines.append("finite_differences = [")
    for estimate in estimates:
        lines.append("    [" + ", ".join(array_source(e) for e in estimate) + "],")
    lines += ["]", "for args, cots, fd in zip(calls, cotangent_values, finite_differences):",
              "    for k, (g, e) in enumerate(zip(f(*args, *cots), fd)):",
              "        print(f'd loss / d input {k}: graphc {g!r}')",
              "        print(f'         finite differences {e!r}')"]
    return lines


def text_script(outcome: Outcome, gir_name: str) -> str:
    """The `.py` of a parser finding: parse the `.gir` beside it and check what came back."""
    lines = _header(f"parser: {outcome.kind}", outcome)
    lines += ["from pathlib import Path", "", "from graphc.testing.textcheck import check_text", "",
              f"text = (Path(__file__).parent / {gir_name!r}).read_text(encoding='utf-8')",
              "print(check_text(text))  # rejected (ParseError) or accepted, and sound: no finding",
              "graphc.parse(text)  # raises graphc.ParseError, or accepts"]
    return "\n".join(lines) + "\n"


def write(directory: Path, stem: str, script: str, gir: str | None) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    if gir is not None:
        paths.append(directory / f"{stem}.gir")
        paths[-1].write_text(gir, encoding="utf-8")
    paths.append(directory / f"{stem}.py")
    paths[-1].write_text(script, encoding="utf-8")
    return paths


def write_case(directory: Path, stem: str, kind: str, case: Case, outcome: Outcome) -> list[Path]:
    try:
        gir = str(case.program.build().graph)
    except Exception:
        gir = None
    return write(directory, stem, case_script(kind, case, outcome), gir)


def write_text(directory: Path, stem: str, text: str, outcome: Outcome) -> list[Path]:
    return write(directory, stem, text_script(outcome, f"{stem}.gir"), text)
