"""Define a graph with placeholders, inspect it, compile it, and run it."""

import numpy as np

import graphc

# A placeholder has a name, a shape (ints or named symbols) and a dtype.
x = graphc.placeholder("x", shape=("n", 3), dtype=graphc.float32)
w = graphc.placeholder("w", shape=(3,), dtype=graphc.float32)

scores = graphc.sin(x) @ w + 0.5
probs = graphc.softmax(scores, axis=0)
print("a symbolic tensor:", probs)

# Compiled by the LLVM backend (the default): elementwise work and reductions become
# fused kernels of machine code.
f = graphc.function([x, w], [scores, probs])
print("\nthe graph:")
print(f.graph)
print("\nthe graph the LLVM backend compiled (kernels hold their fused bodies):")
print(f.source)

rng = np.random.default_rng(0)
xs = rng.standard_normal((4, 3)).astype(np.float32)
ws = np.array([0.5, -1.0, 2.0], dtype=np.float32)
s, p = f(xs, ws)
print("scores:", s)
print("probs: ", p, "sum =", p.sum())

# The same compiled function serves every n.
s8, p8 = f(rng.standard_normal((8, 3)).astype(np.float32), ws)
print("n = 8 gives shapes", s8.shape, p8.shape)

# Gradients are graphs too.
loss = graphc.sum(probs * graphc.log(probs))
dw = graphc.grad(loss, w)
print("\nthe gradient graph has", len(graphc.Graph([x, w], [dw])), "nodes;",
      "d loss / d w =", graphc.function([x, w], dw)(xs, ws))

# The NumPy backend is the reference: the same graph as generated NumPy code.
reference = graphc.function([x, w], [scores, probs], backend="numpy")
print("\nthe NumPy backend's generated code:")
print(reference.source)
s_ref, p_ref = reference(xs, ws)
print("llvm agrees with numpy:", np.allclose(s, s_ref, rtol=1e-6), np.allclose(p, p_ref, rtol=1e-6))
