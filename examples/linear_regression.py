"""Fit y = w x + b by gradient descent with a compiled, define-then-run training step."""

import numpy as np

import graphc

x = graphc.placeholder("x", shape=("n",))
t = graphc.placeholder("t", shape=("n",))
w = graphc.placeholder("w")
b = graphc.placeholder("b")

loss = graphc.mean((w * x + b - t) ** 2)
dw, db = graphc.grad(loss, [w, b])
step = graphc.function([x, t, w, b], [loss, dw, db])

rng = np.random.default_rng(42)
xs = rng.uniform(-1, 1, size=200).astype(np.float32)
ts = (3.0 * xs + 2.0 + rng.normal(0, 0.1, size=200)).astype(np.float32)

w_value, b_value, lr = np.float32(0.0), np.float32(0.0), 0.5
for epoch in range(40):
    loss_value, gw, gb = step(xs, ts, w_value, b_value)
    w_value = np.float32(w_value - lr * gw)
    b_value = np.float32(b_value - lr * gb)
    if epoch % 5 == 0 or epoch == 39:
        print(f"epoch {epoch:2d}  loss {float(loss_value):.5f}  w {w_value:.4f}  b {b_value:.4f}")
print(f"fitted w = {w_value:.3f}, b = {b_value:.3f} (true 3, 2)")
