"""conv1d / conv2d: values against a direct NumPy loop, gradients against finite differences,
on the NumPy and LLVM backends and eagerly; bad arguments raise GraphBuildError."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import graphc

BACKENDS = ["numpy", "llvm"]


def reference_conv(x, w, b, stride, padding, dilation, groups):
    """The definition, one output element at a time: x (N, C, *S), w (Co, C/groups, *K)."""
    n = x.ndim - 2
    if padding == "same":
        totals = [d * (k - 1) for d, k in zip(dilation, w.shape[2:])]
        widths = [(t // 2, t - t // 2) for t in totals]
    elif padding == "valid":
        widths = [(0, 0)] * n
    else:
        widths = [(p, p) for p in padding]
    x = np.pad(x, [(0, 0), (0, 0), *widths])
    batch = x.shape[0]
    out_channels, per_group = w.shape[:2]
    kernel = w.shape[2:]
    out_size = [(x.shape[2 + i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(n)]
    out = np.zeros((batch, out_channels, *out_size))
    per_out_group = out_channels // groups
    for nb, o in itertools.product(range(batch), range(out_channels)):
        g = o // per_out_group
        for pos in itertools.product(*(range(m) for m in out_size)):
            total = b[o] if b is not None else 0.0
            for c, k in itertools.product(range(per_group), itertools.product(*(range(q) for q in kernel))):
                at = tuple(pos[i] * stride[i] + k[i] * dilation[i] for i in range(n))
                total += x[(nb, g * per_group + c, *at)] * w[(o, c, *k)]
            out[(nb, o, *pos)] = total
    return out


def _pairs(value, n):
    return (value,) * n if isinstance(value, int) else tuple(value)


# (id, spatial dims, input shape, weight shape, bias, stride, padding, dilation, groups)
CASES = [
    ("1d plain", 1, (2, 3, 9), (4, 3, 3), True, 1, 0, 1, 1),
    ("1d stride padding dilation groups", 1, (2, 4, 11), (6, 2, 3), True, 2, 1, 2, 2),
    ("1d same even kernel", 1, (1, 2, 7), (3, 2, 4), False, 1, "same", 1, 1),
    ("1d valid", 1, (1, 2, 7), (3, 2, 2), True, 3, "valid", 1, 1),
    ("2d plain", 2, (2, 3, 6, 5), (4, 3, 3, 3), True, 1, 0, 1, 1),
    ("2d mixed pairs", 2, (2, 4, 7, 8), (6, 2, 3, 2), True, (2, 1), (1, 0), (1, 2), 2),
    ("2d same dilated", 2, (1, 3, 5, 6), (2, 3, 2, 3), True, 1, "same", (2, 1), 1),
    ("2d depthwise", 2, (1, 3, 5, 5), (3, 1, 3, 3), False, 1, 1, 1, 3),
    ("2d 1x1", 2, (2, 3, 4, 4), (5, 3, 1, 1), True, 1, 0, 1, 1),
]
IDS = [c[0] for c in CASES]


def _build(case, rng):
    _, n, xshape, wshape, has_bias, stride, padding, dilation, groups = case
    x = rng.standard_normal(xshape)
    w = rng.standard_normal(wshape)
    b = rng.standard_normal(wshape[0]) if has_bias else None
    expected = reference_conv(x, w, b, _pairs(stride, n),
                              padding if isinstance(padding, str) else _pairs(padding, n),
                              _pairs(dilation, n), groups)
    conv = graphc.conv1d if n == 1 else graphc.conv2d
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    return x, w, b, expected, conv, kwargs


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_eager_conv_matches_the_loop_definition(case):
    x, w, b, expected, conv, kwargs = _build(case, np.random.default_rng(0))
    out = conv(graphc.tensor(x), graphc.tensor(w), None if b is None else graphc.tensor(b), **kwargs)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_compiled_conv_matches_the_loop_definition(case, backend):
    x, w, b, expected, conv, kwargs = _build(case, np.random.default_rng(1))
    x32, w32 = x.astype(np.float32), w.astype(np.float32)
    px, pw = graphc.placeholder("x", x.shape), graphc.placeholder("w", w.shape)
    inputs, values = [px, pw], [x32, w32]
    if b is not None:
        pb = graphc.placeholder("b", b.shape)
        inputs.append(pb)
        values.append(b.astype(np.float32))
    out = conv(px, pw, pb if b is not None else None, **kwargs)
    got = graphc.function(inputs, out, backend=backend)(*values)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def _central_differences(f, arrays, which, eps=1e-6):
    base = [a.copy() for a in arrays]
    grad = np.zeros_like(base[which])
    for i in np.ndindex(grad.shape):
        up, down = [a.copy() for a in base], [a.copy() for a in base]
        up[which][i] += eps
        down[which][i] -= eps
        grad[i] = (f(*up) - f(*down)) / (2 * eps)
    return grad


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", [c for c in CASES if c[0] in (
    "1d stride padding dilation groups", "1d same even kernel", "2d mixed pairs", "2d same dilated")],
    ids=lambda c: c[0])
def test_conv_gradients_match_finite_differences(case, backend):
    x, w, b, _, conv, kwargs = _build(case, np.random.default_rng(2))
    if b is None:
        b = np.zeros(w.shape[0])
    px = graphc.placeholder("x", x.shape, dtype=graphc.float64)
    pw = graphc.placeholder("w", w.shape, dtype=graphc.float64)
    pb = graphc.placeholder("b", b.shape, dtype=graphc.float64)
    out = conv(px, pw, pb, **kwargs)
    weights = np.random.default_rng(3).standard_normal(tuple(out.shape))
    loss = graphc.sum(out * graphc.tensor(weights))  # a scalar that uses every output differently
    grads = graphc.grad(loss, [px, pw, pb])
    value = graphc.function([px, pw, pb], loss, backend=backend)
    got = graphc.function([px, pw, pb], grads, backend=backend)(x, w, b)
    for which, g in enumerate(got):
        expected = _central_differences(value, [x, w, b], which)
        np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-6)


def test_backward_fills_grad_of_leaves():
    rng = np.random.default_rng(4)
    x = graphc.tensor(rng.standard_normal((1, 2, 5)), requires_grad=True)
    w = graphc.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    b = graphc.tensor(rng.standard_normal(3), requires_grad=True)
    graphc.conv1d(x, w, b, padding=1).sum().backward()
    # d(sum)/d(bias) counts the output positions; d/dw sums the input windows
    np.testing.assert_allclose(b.grad.numpy(), np.full(3, 6.0))
    xp = np.pad(x.numpy(), [(0, 0), (0, 0), (1, 1)])
    windows = np.stack([xp[0, :, k:k + 6].sum(axis=1) for k in range(2)], axis=1)
    np.testing.assert_allclose(w.grad.numpy(), np.broadcast_to(windows, (3, 2, 2)), rtol=1e-12)


def test_unbatched_input_and_symbolic_batch():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 6, 6)).astype(np.float32)
    w = rng.standard_normal((2, 3, 3, 3)).astype(np.float32)
    expected = reference_conv(x[None], w, None, (1, 1), (0, 0), (1, 1), 1)[0]
    eager = graphc.conv2d(graphc.tensor(x), graphc.tensor(w)).numpy()
    np.testing.assert_allclose(eager, expected, rtol=1e-5, atol=1e-5)
    px = graphc.placeholder("x", ("n", 3, 6, 6))
    f = graphc.function([px], graphc.conv2d(px, graphc.tensor(w)))
    batch = np.stack([x, 2 * x, -x])
    np.testing.assert_allclose(f(batch), np.stack([expected, 2 * expected, -expected]), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("call, message", [
    (lambda x, w: graphc.conv2d(x[0, 0], w), "input"),
    (lambda x, w: graphc.conv2d(x, w[0]), "weight"),
    (lambda x, w: graphc.conv2d(x, w, groups=2), "groups"),
    (lambda x, w: graphc.conv2d(x, w, stride=0), "stride"),
    (lambda x, w: graphc.conv2d(x, w, stride=(1, 2, 3)), "stride"),
    (lambda x, w: graphc.conv2d(x, w, padding=-1), "padding"),
    (lambda x, w: graphc.conv2d(x, w, padding="full"), "padding"),
    (lambda x, w: graphc.conv2d(x, w, stride=2, padding="same"), "strided"),
    (lambda x, w: graphc.conv2d(x, w, dilation=4), "smaller"),
    (lambda x, w: graphc.conv2d(x, w, bias=graphc.zeros(3)), "bias"),
])
def test_bad_arguments_raise_a_build_error_naming_them(call, message):
    x, w = graphc.zeros(1, 3, 5, 5), graphc.zeros(2, 3, 3, 3)
    with pytest.raises(graphc.GraphBuildError, match=message):
        call(x, w)
