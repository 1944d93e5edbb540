"""Run a CUDA kernel's element function on the CPU: its CUDA C (prelude.cuh and the function the
code generator wrote) compiled by the host's C++ compiler, called over NumPy arrays.

So the semantics of the generated expressions (integer division, casts of NaN, float16
rounding, ...) are tested without a GPU. Only the loops around the element function differ on
the device; math functions are the host's libm here, CUDA's there.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from graphc.backends import compile as compile_graph
from graphc.backends.cuda.codegen import element_function, prelude
from graphc.backends.cuda.layout import KernelSpec
from graphc.backends.cuda.scalar import load, memory_type, register_type, store
from graphc.graph import Graph

COMPILER = shutil.which("g++") or shutil.which("clang++")
_keep = []


def harness(spec: KernelSpec) -> str:
    """C++ for `run_<name>(operands, strides, outputs, n, sizes, rank)`: the element function
    applied to every element of the iteration space (operands strided in elements, outputs
    contiguous)."""
    k = len(spec.operands)
    lines = [*element_function(spec, list(spec.outputs)),
             f'extern "C" void run_{spec.name}(char** operands, const long long* strides, char** outputs,'
             " long long n, const long long* sizes, int rank) {",
             "  for (long long i = 0; i < n; ++i) {",
             f"    long long q = i, at[{max(k, 1)}] = {{0}};",
             "    for (int d = rank - 1; d >= 0; --d) {",
             "      const long long c = q % sizes[d];",
             "      q /= sizes[d];",
             f"      for (int o = 0; o < {k}; ++o) at[o] += c * strides[o * rank + d];",
             "    }"]
    values = []
    for j, operand in enumerate(spec.operands):
        mtype = memory_type(operand.node.dtype)
        values.append(load(operand.node.dtype, f"((const {mtype}*)operands[{j}])[at[{j}]]"))
    results = [f"r{j}" for j in range(len(spec.outputs))]
    lines += [f"    {register_type(o.dtype)} r{j};" for j, o in enumerate(spec.outputs)]
    lines.append(f"    {spec.name}_element({', '.join([*values, *results])});")
    lines += [f"    (({memory_type(o.dtype)}*)outputs[{j}])[i] = {store(o.dtype, f'r{j}')};"
              for j, o in enumerate(spec.outputs)]
    return "\n".join([*lines, "  }", "}"]) + "\n"


def build(specs: list[KernelSpec]) -> dict[str, object]:
    """The compiled `run_<name>` function of a harness for each spec (one library for all)."""
    directory = Path(tempfile.mkdtemp(prefix="graphc-host-"))
    (directory / "kernels.cpp").write_text("\n".join([prelude(), *(harness(s) for s in specs)]))
    subprocess.run([COMPILER, "-std=c++17", "-O1", "-ffp-contract=off", "-shared", "-fPIC",
                    "-o", str(directory / "kernels.so"), str(directory / "kernels.cpp")],
                   check=True, capture_output=True, text=True)
    library = ctypes.CDLL(str(directory / "kernels.so"))
    _keep.append(library)
    return {s.name: getattr(library, f"run_{s.name}") for s in specs}


def run_element(spec: KernelSpec, run, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """The outputs of an elementwise kernel's body on `inputs` (the kernel's operands' values),
    computed by its element function compiled for the host (`run`, from `build`)."""
    views = [compile_graph(Graph(spec.body.inputs, [o.node]))(*inputs)[0] for o in spec.operands]
    space = np.broadcast_shapes(*(v.shape for v in views))  # the output's shape
    broadcast = [np.broadcast_to(np.array(v, order="C"), space) for v in views]
    strides = [s // v.itemsize for v in broadcast for s in v.strides] or [0]
    outputs = [np.empty(space, o.dtype.numpy) for o in spec.outputs]
    pointers = (ctypes.c_void_p * max(1, len(views)))(*[v.ctypes.data for v in broadcast])
    out_pointers = (ctypes.c_void_p * len(outputs))(*[o.ctypes.data for o in outputs])
    run(pointers, (ctypes.c_longlong * len(strides))(*strides), out_pointers,
        ctypes.c_longlong(int(np.prod(space, dtype=np.int64))),
        (ctypes.c_longlong * max(1, len(space)))(*space), ctypes.c_int(len(space)))
    return outputs
