"""Explore a graph in the browser: a softmax with a squared-error loss, and its gradient.

Writes one HTML file (default softmax.html) that opens offline in any browser: the graph as
built, a step per pass of -O1 with what each pass changed, the fused kernels with their
generated code, and each kernel's measured time. `python examples/explore.py out.html`
"""

import sys

import numpy as np

import graphc


def model():
    """The graph (inputs x and t; outputs the probabilities, the loss and d loss / d x)."""
    x = graphc.placeholder("x", shape=("n", 10))
    t = graphc.placeholder("t", shape=("n", 10))
    with graphc.scope("softmax"):
        m = graphc.max(x, 1, keepdims=True)
        e = graphc.exp(x - m)
        probs = e / graphc.sum(e, 1, keepdims=True)
    with graphc.scope("loss"):
        loss = graphc.mean((probs - t) ** 2)
    dx = graphc.grad(loss, x)
    return graphc.Graph([x, t], [probs, loss, dx])


def main(path: str = "softmax.html") -> None:
    graph = model()
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((4096, 10)).astype(np.float32)
    ts = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 4096)]
    page = graphc.to_html(graph, passes="-O1", backend="llvm", profile=(xs, ts), title="softmax")
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
    print(f"wrote {path} ({len(page) // 1024} KiB): open it in a browser")
    print(graphc.to_dot(graph, passes="-O1", backend="llvm").splitlines()[0], "... (graphc.to_dot)")


if __name__ == "__main__":
    main(*sys.argv[1:2])
