"""The same programs in graphc and PyTorch: values, gradients and printed tensors agree.

Each program is written once against a module (`lib` is `graphc` or `torch`) and run eagerly
in both, then compiled by graphc (LLVM) from placeholders. Gradients come from `backward()` of
a weighted sum, so every output element's cotangent differs. Skipped where torch is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

import graphc

torch = pytest.importorskip("torch", reason="PyTorch is not installed: these tests compare graphc with it")


@dataclass(frozen=True)
class Program:
    build: Callable  # (lib, *tensors) -> tensor or tuple of tensors
    shapes: tuple[tuple[int, ...], ...]
    positive: bool = False  # inputs in (0.5, 2) rather than (-2, 2)
    differentiable: bool = True


PROGRAMS: dict[str, Program] = {}


def program(*shapes, positive=False, differentiable=True):
    def register(build):
        PROGRAMS[build.__name__] = Program(build, shapes, positive, differentiable)
        return build
    return register


@program((3, 4))
def w1_elementwise(lib, x):
    return lib.sin(x) * lib.cos(x) + lib.exp(-x * x) * 0.5 + lib.tanh(x)


@program((3,), (3,), (3,))
def seed_linear(lib, w, x, b):
    return w * x + b


@program((4, 5), positive=True)
def logs_and_roots(lib, x):
    return lib.log(x) + lib.sqrt(x) * lib.rsqrt(x + 1) - lib.log1p(x) / lib.expm1(x)


@program((2, 3), (3,))
def broadcasting(lib, x, y):
    return (x - y) ** 2 / (1 + y * y)


@program((3, 5))
def reductions(lib, x):
    return x.sum(dim=1) + x.mean(dim=1) * x.prod(dim=1) - x.amax(dim=1) if lib is torch else (
        x.sum(dim=1) + x.mean(dim=1) * x.prod(dim=1) - x.max(dim=1).values)


@program((3, 5))
def max_values_and_indices(lib, x):
    values, indices = x.max(dim=1)
    return values * 2 + indices.to(x.dtype)


@program((4, 6))
def softmax_and_logsumexp(lib, x):
    return lib.softmax(x, dim=1) * 3 + lib.logsumexp(x, dim=0)[None, :]


@program((4, 6))
def log_softmax(lib, x):
    return lib.log_softmax(x, dim=-1)


@program((3, 4), (4, 2))
def matmul_and_relu(lib, x, w):
    return lib.relu(x @ w) + lib.sigmoid(x).sum()


@program((2, 3, 4))
def shapes(lib, x):
    y = x.permute(2, 0, 1).reshape(4, 6)
    return lib.cat([y, y.flip(0)], dim=1).unsqueeze(0).squeeze(0)[:, 1:-1:2]


@program((5, 4))
def slicing(lib, x):
    return x[1:4, ::2] * x[-1, ::2] + x[0, None, :2].sum()


@program((3, 4), (3, 4))
def where_and_compare(lib, x, y):
    return lib.where(x > y, x * y, lib.abs(y - x)) + lib.maximum(x, y) - lib.minimum(x, y)


@program((6,))
def stack(lib, x):
    return lib.stack([x, x * 2, lib.sin(x)], dim=1).T


@program((3, 4))
def erf_and_atan2(lib, x):
    return lib.erf(x) + lib.atan2(x, x * x + 1)


@program((2, 5), differentiable=False)
def integer_results(lib, x):
    return (x > 0).sum(dim=1) + x.argmax(dim=1) * 10 + x.argmin(dim=0).sum()


# ------------------------------------------------- the ops of issue 14 (API breadth)

def nn(lib):
    """Where each library keeps pad and the convolutions."""
    return torch.nn.functional if lib is torch else lib


@program((4, 5))
def std_and_var(lib, x):
    return x.std(dim=1) + x.var(dim=0, correction=0).sum() + lib.var(x, unbiased=False)


@program((3, 6))
def clamp_and_clip(lib, x):
    return x.clamp(-0.5, 0.7) * 2 + lib.clamp(x, min=-1.0) + lib.clip(x, max=lib.tensor(0.25))


@program((3, 4))
def scans(lib, x):
    return x.cumsum(dim=1) * x.cumprod(dim=0) + lib.cumsum(x, dim=-1)


@program((4, 6))
def sort_and_topk(lib, x):
    values, indices = lib.sort(x, dim=1, descending=True)
    top = x.topk(2, dim=0)
    return values * 2 + indices.to(x.dtype) + top.values.sum() + top.indices.sum()


@program((5, 3), differentiable=False)
def argsort(lib, x):
    return lib.argsort(x, dim=0) * 10 + x.argsort(dim=1, descending=True)


@program((3, 4), (4, 5), (4, 4))
def einsum(lib, a, b, c):
    return (lib.einsum("ij,jk->ik", a, b) + lib.einsum("ii->i", c).sum()
            + lib.einsum("ij,ij->i", a, a)[:, None] + lib.einsum("ij->", c))


@program((2, 3, 4), (5, 5))
def flatten_and_triangles(lib, x, y):
    return (x.flatten(1).sum(dim=1)[:, None] + x.flatten()[:5].sum() + y.tril(-1).sum()
            + y.triu(1).mT.sum() + lib.tril(y)[0, 0])


@program((2, 3, 10), (4, 3, 3), (4,))
def conv1d(lib, x, w, b):
    out = nn(lib).conv1d(x, w, b, stride=2, padding=1)
    return out + nn(lib).conv1d(x, w, padding="same", dilation=2).sum()


@program((2, 4, 7, 6), (6, 2, 3, 2), (6,))
def conv2d(lib, x, w, b):
    return nn(lib).conv2d(x, w, b, stride=(2, 1), padding=(1, 0), groups=2)


@program((3, 4))
def pad_like_torch(lib, x):
    return (nn(lib).pad(x, (1, 2)) * 2 + nn(lib).pad(x, (0, 3, 1, 0), value=0.5).sum()
            + nn(lib).pad(x[None], (1, 1, 1, 1), mode="replicate")[0].sum())


@program((4, 5), (3, 5))
def gather_and_scatter_add(lib, x, src):
    index = lib.tensor([[0, 1, 2, 1, 0], [3, 3, 0, 1, 2], [1, 0, 0, 2, 3]])
    return lib.gather(x, 0, index) + lib.scatter_add(x, 0, index, src)[1:4]


@program((5, 4))
def integer_array_indexing(lib, x):
    rows = lib.tensor([4, 0, 2, 0])
    return (x[[0, 2, 0]] * 2 + x[:, [1, 1, 3]].sum() + x[rows[:3], rows.flip(0)[:3]][:, None]
            + x[rows[1:]][:, -1:] + x[-2:, [[0], [3]]].sum())


@program((4, 5))
def boolean_masks(lib, x):
    picked = x[x > 0]
    return (picked ** 2).sum() + x[:, x[0] < 0.5].sum() * 0.5 + lib.masked_select(x, x < -1).sum()


@program((3, 4))
def index_assignment_and_in_place(lib, x):
    y = x * 2
    y[0] = x[1] * 3
    y[1:, ::2] = 7.0
    y.add_(x).mul_(0.5)
    y[:, 1] += x[:, 0]
    return y


@program((3, 4), differentiable=False)
def small_integer_dtypes(lib, x):
    a = (x * 40).to(lib.int8)
    b = (x * 40 + 100).to(lib.uint8)
    return (a + b) * 3 - a.to(lib.int16) + b.sum(dim=1)[:, None]


@program((3, 4))
def bfloat16_round_trip(lib, x):
    h = x.to(lib.bfloat16)
    return (h * 3 + h.sum(dim=1, keepdim=True)).to(lib.float64) + x


def _inputs(prog: Program, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    lo, hi = (0.5, 2.0) if prog.positive else (-2.0, 2.0)
    return [rng.uniform(lo, hi, size=shape) for shape in prog.shapes]


def _outputs(result) -> list:
    return list(result) if isinstance(result, tuple) else [result]


def _weights(values: list[np.ndarray], seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed + 1000)
    return [rng.uniform(-1, 1, size=v.shape) for v in values]


def _run(lib, prog: Program, arrays, seed: int):
    """The program's outputs as NumPy arrays, and the inputs' gradients (None if it has none)."""
    grad = prog.differentiable
    xs = [lib.tensor(a, requires_grad=grad) for a in arrays]
    outs = _outputs(prog.build(lib, *xs))
    values = [o.detach().numpy() for o in outs]
    if not grad:
        return values, None
    total = sum((o * lib.tensor(w)).sum() for o, w in zip(outs, _weights(values, seed)))
    total.backward()
    return values, [x.grad.numpy() for x in xs]


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_graphc_eager_matches_pytorch_values_and_gradients(name):
    prog = PROGRAMS[name]
    arrays = _inputs(prog, seed=len(name))
    got, got_grads = _run(graphc, prog, arrays, seed=len(name))
    want, want_grads = _run(torch, prog, arrays, seed=len(name))
    for g, w in zip(got, want):
        assert g.dtype == w.dtype, f"{name}: graphc gives {g.dtype}, torch {w.dtype}"
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
    if got_grads is not None:
        for g, w in zip(got_grads, want_grads):
            np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_graphc_compiled_matches_pytorch(name):
    prog = PROGRAMS[name]
    arrays = _inputs(prog, seed=len(name) + 1)
    placeholders = [graphc.placeholder(f"x{i}", a.shape, dtype=graphc.float64) for i, a in enumerate(arrays)]
    compiled = graphc.function(placeholders, _outputs(prog.build(graphc, *placeholders)))
    got = compiled(*arrays)
    got = got if isinstance(got, (list, tuple)) else [got]
    want, _ = _run(torch, Program(prog.build, prog.shapes, prog.positive, False), arrays, seed=0)
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), w, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("values", [
    [1.0, 2.5, -3.0], [[1, 2], [3, 4]], [True, False], [1e-8, 1e8], [0.1, 0.25], [[1.5]],
])
def test_printed_tensors_match_pytorch(values):
    assert str(graphc.tensor(values)) == str(torch.tensor(values))
    assert repr(graphc.tensor(values)) == repr(torch.tensor(values))


def test_printed_gradient_functions_match_pytorch():
    lines = []
    for lib in (graphc, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        lines.append([repr(w), repr(w * 3), repr(w.sum()), repr(lib.sin(w)), repr(w.reshape(2, 1))])
    assert lines[0] == lines[1]


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "bfloat16", "float16", "int64", "bool"])
def test_printed_tensors_of_every_dtype_match_pytorch(dtype):
    values = [[1, 0, 3], [4, 5, 6]]
    got = repr(graphc.tensor(values, dtype=getattr(graphc, dtype)))
    assert got == repr(torch.tensor(values, dtype=getattr(torch, dtype))).replace("torch.", "graphc.")


def test_printed_gradient_functions_of_the_new_ops_match_pytorch():
    lines = []
    for lib in (graphc, torch):
        x = lib.tensor([[3.0, 1.0, 2.0], [0.5, 4.0, -1.0]], requires_grad=True)
        y = x * 1
        y[0, 0] = 2.0
        lines.append([repr(t).split("grad_fn=")[-1] for t in (
            x.cumsum(1), x.std(), x.clamp(0, 1), lib.sort(x, 1).values, x.tril(), y,
            lib.gather(x, 1, lib.tensor([[0], [2]])), x[[0, 1]], x[x > 1], lib.masked_select(x, x < 2),
            lib.softmax(x, 1), lib.log_softmax(x, 0), lib.logsumexp(x, 1), x.var(0), x.triu(),
            x.clamp(min=0), x.clamp(max=1), x.clamp(min=x * 0), x.topk(2).values,
            nn(lib).conv1d(x[None], x[:, :2, None]))])
    assert lines[0] == lines[1]
