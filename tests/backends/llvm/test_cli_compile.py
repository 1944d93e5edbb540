"""`graphc compile FILE.gir --backend B --emit WHAT` prints the generated code."""

from __future__ import annotations

import contextlib
import io

from graphc.cli import main

GIR = """graph(%x: f32[n]) {
  %0 = sin %x : f32[n]
  %1 = mul %0, %x : f32[n]
  return %1
}
"""


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


def test_compile_emits_each_stage_of_the_llvm_backend(tmp_path):
    path = tmp_path / "f.gir"
    path.write_text(GIR)
    status, graph, _ = run("compile", str(path), "--emit", "graph")
    assert status == 0 and "kernel %x {body=graph(%a0: f32[n])" in graph
    status, llvm, _ = run("compile", str(path), "--emit", "llvm")
    assert status == 0 and "define void @\"kernel0_generic\"" in llvm
    status, optimised, _ = run("compile", str(path), "--emit", "llvm-opt")
    assert status == 0 and "x float>" in optimised  # vector code
    status, asm, _ = run("compile", str(path), "--emit", "asm")
    assert status == 0 and "kernel0_vector:" in asm
    status, python, _ = run("compile", str(path), "--emit", "python")
    assert status == 0 and python.startswith("def graphc_fn(x):")


def test_compile_reports_what_a_backend_cannot_emit(tmp_path):
    path = tmp_path / "f.gir"
    path.write_text(GIR)
    status, _, err = run("compile", str(path), "--backend", "numpy", "--emit", "asm")
    assert status == 1 and "cannot emit 'asm'" in err
