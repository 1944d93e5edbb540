"""How many kernels fusion makes of the benchmarks' graphs (W4, W6), of softmax with its
gradient and of the 1-d softmax of examples/define_then_run.py, as the LLVM backend runs them.

    python bench/kernels.py        # counts
    python bench/kernels.py -v     # and the fused graphs

tests/backends/llvm/test_fused_workloads.py asserts these counts.
"""

from __future__ import annotations

import sys

from run import ROWS, row_function

import graphc


def graphs() -> dict[str, graphc.Function]:
    x = graphc.placeholder("x", shape=ROWS)
    g = graphc.placeholder("g", shape=ROWS)
    y = graphc.softmax(x, -1)
    out = {f"W6 {name}": graphc.function([x], row_function(graphc, name)(x))
           for name in ("softmax", "layer_norm")}
    out["softmax and its gradient"] = graphc.function([x, g], [y, graphc.grad(graphc.sum(y * g), x)])
    v, w = graphc.placeholder("x", shape=("n", 3)), graphc.placeholder("w", shape=(3,))
    scores = graphc.sin(v) @ w + 0.5
    out["1-d softmax (examples/define_then_run.py)"] = graphc.function(
        [v, w], [scores, graphc.softmax(scores, axis=0)])
    shapes = {"x": (256, 784), "t": (256, 10), "w1": (784, 256), "b1": (256,), "w2": (256, 10), "b2": (10,)}
    ph = {name: graphc.placeholder(name, shape=shape) for name, shape in shapes.items()}
    loss = graphc.mean((graphc.relu(ph["x"] @ ph["w1"] + ph["b1"]) @ ph["w2"] + ph["b2"] - ph["t"]) ** 2)
    grads = graphc.grad(loss, [ph["w1"], ph["b1"], ph["w2"], ph["b2"]])
    out["W4 MLP training step"] = graphc.function(list(ph.values()), [loss, *grads])
    return out


def main(argv: list[str]) -> None:
    for name, f in graphs().items():
        fused = f.emit("graph")
        print(f"{name:<44} {fused.count(' = kernel '):3d} kernels")
        if "-v" in argv:
            print(fused)


if __name__ == "__main__":
    main(sys.argv[1:])
