"""Without a GPU: the element functions of the CUDA backend's elementwise kernels, compiled for
the CPU (tests/backends/cuda/host.py), give the NumPy backend's results on special values:
NaN, infinities, signed zeros, integer extremes, division by zero, float16 rounding."""

from __future__ import annotations

import numpy as np
import pytest

import graphc as gc
from graphc import Graph
from graphc.backends import compile as compile_graph
from graphc.backends.cuda.layout import kernel_spec
from tests.backends.agree import assert_agree, precision
from tests.backends.cuda.graphs import all_graphs, fused
from tests.backends.cuda.host import COMPILER, build, run_element

pytestmark = pytest.mark.skipif(COMPILER is None, reason="no host C++ compiler (g++ or clang++)")

FLOATS = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 7.0, -7.0, 1e30, -1e-30,
          1e-40, 65504.0, 70000.0, 2.5e9, -3e9, 1e19, 0.1]
INTS = {np.dtype(np.int32): [0, 1, -1, 2, -2, 3, 7, -7, 2**31 - 1, -2**31],
        np.dtype(np.int64): [0, 1, -1, 2, -2, 3, 7, -7, 2**63 - 1, -2**63, 2**40],
        np.dtype(np.int16): [0, 1, -1, 2, -2, 3, 7, -7, 2**15 - 1, -2**15, 300],
        np.dtype(np.int8): [0, 1, -1, 2, -2, 3, 7, -7, 127, -128, 100],
        np.dtype(np.uint8): [0, 1, 2, 3, 7, 100, 127, 128, 200, 255]}
SIZES = {"n": 6, "m": 5, "k": 3, "batch": 2}


def special(dtype: np.dtype, shape: tuple, rng: np.random.Generator) -> np.ndarray:
    if dtype.kind == "b":
        return rng.random(shape) > 0.5
    pool = INTS.get(dtype, FLOATS)
    with np.errstate(over="ignore"):
        return np.array(rng.choice(np.array(pool, dtype=object), shape).tolist(), dtype=dtype).reshape(shape)


def special_inputs(graph: Graph, rng: np.random.Generator) -> list:
    args = []
    for node in graph.inputs:
        if node.op != "placeholder":
            args.append(node.attr("value").value)
        else:
            shape = tuple(d if isinstance(d, int) else SIZES.get(str(d), 3) for d in node.shape)
            args.append(special(node.dtype.numpy, shape, rng))
    return args


def check_elementwise_kernels(graph: Graph, seeds: range = range(1)) -> int:
    """Every elementwise kernel of `graph` fused for CUDA, on special values drawn from each
    seed: the host-compiled element function against the NumPy backend. Returns how many
    kernel outputs were checked."""
    graph = fused(graph)
    kernels = [n for n in graph.nodes if n.op == "kernel" and n.attr("kind") == "elementwise"]
    if not kernels:
        return 0
    specs = [kernel_spec(k.attr("body"), "elementwise", f"k{j}") for j, k in enumerate(kernels)]
    runs = build(specs)
    reads = compile_graph(Graph(graph.inputs, [i for k in kernels for i in k.inputs]))
    for seed in seeds:
        values = iter(reads(*special_inputs(graph, np.random.default_rng(seed))))
        for kernel, spec in zip(kernels, specs):
            body = kernel.attr("body")
            operands = [next(values) for _ in kernel.inputs]
            with np.errstate(all="ignore"):
                want = compile_graph(body)(*operands)
            got = run_element(spec, runs[spec.name], operands)
            for j, (g, w) in enumerate(zip(got, want)):
                assert_agree(g, np.asarray(w), precision(body), what=f"{body}\noutput {j}")
    return sum(len(k.attr("body").outputs) for k in kernels)


GRAPHS = {name: g for name, g in all_graphs().items() if not name.startswith("rows")}


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_element_functions_agree_with_numpy(name):
    check_elementwise_kernels(GRAPHS[name])


def integer_semantics() -> Graph:
    outs, inputs = [], []
    for dtype in (gc.int32, gc.int64):
        a, b = (gc.placeholder(f"{v}{dtype.name}", ("n",), dtype) for v in "ab")
        inputs += [a, b]
        outs += [gc.floordiv(a, b), gc.mod(a, b), a * b, a + b, a - b, -a, gc.abs(a), gc.sign(a),
                 gc.maximum(a, b), gc.minimum(a, b), gc.relu(a), gc.cast(a, gc.float32),
                 gc.cast(a, gc.float16), gc.cast(a, gc.bool_), a // 3, a % -3]
    return Graph(inputs, outs)


def float_semantics() -> Graph:
    outs, inputs = [], []
    for dtype in (gc.float16, gc.float32, gc.float64):
        x, y = (gc.placeholder(f"{v}{dtype.name}", ("n",), dtype) for v in "xy")
        inputs += [x, y]
        outs += [gc.floordiv(x, y), gc.mod(x, y), x / y, x * y + y, gc.maximum(x, y), gc.minimum(x, y),
                 gc.sign(x), gc.relu(x), gc.floor(x), gc.ceil(x), gc.round(x), gc.sqrt(x), gc.rsqrt(x),
                 gc.cast(x, gc.int32), gc.cast(x, gc.int64), gc.cast(x, gc.bool_), gc.cast(x, gc.float16),
                 gc.cast(x, gc.float32), gc.cast(x, gc.float64), x == y, x != y, x < y, x >= y,
                 gc.where(x > y, x, y), -x, gc.abs(x), x - 0.1, x ** 0.5]  # (0.5: sqrt, as NumPy)
        if dtype is not gc.float16:  # (the NumPy backend's float16 sigmoid returns float64)
            outs.append(gc.sigmoid(x))
    return Graph(inputs, outs)


def small_integer_semantics() -> Graph:
    outs, inputs = [], []
    for dtype in (gc.uint8, gc.int8, gc.int16):
        a, b = (gc.placeholder(f"{v}{dtype.name}", ("n",), dtype) for v in "ab")
        inputs += [a, b]
        outs += [gc.floordiv(a, b), gc.mod(a, b), a * b, a + b, a - b, -a, gc.abs(a), gc.sign(a),
                 gc.maximum(a, b), gc.minimum(a, b), gc.relu(a), a < b, a >= b, gc.cast(a, gc.float32),
                 gc.cast(a, gc.bfloat16), gc.cast(a, gc.uint8), gc.cast(a, gc.int8), gc.cast(a, gc.int64),
                 gc.cast(a, gc.bool_), a // 3, a * 3 + 1]
    return Graph(inputs, outs)


def bfloat16_semantics() -> Graph:
    x, y = (gc.placeholder(v, ("n",), gc.bfloat16) for v in "xy")
    f = gc.placeholder("f", ("n",), gc.float32)
    outs = [x / y, x * y + y, gc.maximum(x, y), gc.minimum(x, y), gc.sign(x), gc.relu(x), gc.floor(x),
            gc.round(x), gc.sqrt(x), gc.cast(x, gc.int32), gc.cast(x, gc.bool_), gc.cast(x, gc.float32),
            gc.cast(x, gc.float16), x == y, x < y, gc.where(x > y, x, y), -x, gc.abs(x), x - 0.1,
            gc.cast(f, gc.bfloat16), gc.cast(f * 3, gc.bfloat16) + x]
    return Graph([x, y, f], outs)


@pytest.mark.parametrize("build", [integer_semantics, float_semantics, small_integer_semantics,
                                   bfloat16_semantics], ids=lambda f: f.__name__)
def test_numpy_semantics_of_special_values(build):
    graph = build()
    computed = {o for o in fused(graph).outputs if o.op in ("kernel", "result")}
    assert len(computed) > len(graph.outputs) // 2  # (the rest: folded into inputs or each other)
    assert check_elementwise_kernels(graph, range(4)) >= len(computed)
