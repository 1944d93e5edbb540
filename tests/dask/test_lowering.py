"""graphc.dask on Dask's synchronous scheduler: every kind of node, every chunking, the errors.

The same lowering runs on a cluster (test_cluster.py); here it runs in this process, fast.
"""

import numpy as np
import pytest

da = pytest.importorskip("dask.array", reason="graphc.dask needs dask: pip install 'graphc[dask]'")

import dask  # noqa: E402

import graphc  # noqa: E402
import graphc.dask as gdask  # noqa: E402
from graphc.function import restored_count  # noqa: E402
from tests.dask.chunking import random_chunks  # noqa: E402


@pytest.fixture(autouse=True)
def synchronous():
    with dask.config.set(scheduler="synchronous"):
        yield


def check(f, *arrays, seeds=range(3), rtol=1e-6):
    """f on Dask arrays of random chunkings equals f on the whole arrays."""
    want = f(*arrays)
    want = want if isinstance(want, list) else [want]
    dask_f = gdask.compile(f)
    for seed in seeds:
        rng = np.random.default_rng(seed)
        chunked = [da.from_array(a, chunks=random_chunks(rng, a.shape)) for a in arrays]
        got = dask_f(*chunked)
        got = got if isinstance(got, list) else [got]
        for g, w in zip(dask.compute(*got), want):
            assert g.dtype == w.dtype and g.shape == w.shape
            np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol)
    return dask_f


def data(*shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def test_elementwise_work_is_one_kernel_per_block_and_matches():
    x, w = graphc.placeholder("x", ("n", "m")), graphc.placeholder("w", ("m",))
    f = graphc.function([x, w], graphc.sin(x) * graphc.cos(x) + graphc.exp(-x * x) * w + graphc.tanh(x))
    dask_f = check(f, data(40, 30), data(30, seed=1))
    assert [p.kind for p in dask_f.plans.values()] == ["elementwise"]


@pytest.mark.parametrize("reduce", [graphc.sum, graphc.mean, graphc.max, graphc.min, graphc.prod])
@pytest.mark.parametrize("axes,keepdims", [(0, False), (2, True), ((0, 1), False), ((1, 2), True),
                                           (None, False), (None, True)])
def test_reductions_over_any_axes_match(reduce, axes, keepdims):
    x = graphc.placeholder("x", (9, "n", 7), dtype=graphc.float64)
    f = graphc.function([x], reduce(graphc.sin(x) + 1.5, axes, keepdims=keepdims))
    dask_f = check(f, data(9, 11, 7, dtype=np.float64), rtol=1e-12)
    assert [p.kind for p in dask_f.plans.values()] == ["reduce"]


def test_row_softmax_with_rows_split_across_chunks_matches():
    x = graphc.placeholder("x", ("n", "m"))
    f = graphc.function([x], [graphc.softmax(x, -1), graphc.log_softmax(x * 2, -1)])
    check(f, data(50, 40))
    dask_f = gdask.compile(f)
    assert {p.kind for p in dask_f.plans.values()} == {"row"}
    rows = dask_f(da.from_array(data(50, 40), chunks=(7, 9)))[0]
    assert len(rows.chunks[1]) == 1  # each block holds whole rows


def test_a_1d_softmax_stays_in_its_blocks():
    """On one machine a 1-d array is one row (one kernel); on Dask its reductions run block by
    block instead of gathering the array into one block."""
    x = graphc.placeholder("x", ("n",))
    f = graphc.function([x], graphc.softmax(x * 2.0, 0))
    check(f, data(60))
    dask_f = gdask.compile(f)
    assert "row" not in {p.kind for p in dask_f.plans.values()}
    probs = dask_f(da.from_array(data(60), chunks=7))
    assert probs.chunks == ((7,) * 8 + (4,),)


def test_matmul_and_the_ops_around_it_match():
    x, w, b = (graphc.placeholder(n, s) for n, s in (("x", ("n", 16)), ("w", (16, 8)), ("b", (8,))))
    f = graphc.function([x, w, b], graphc.relu(graphc.matmul(graphc.tanh(x), w) + b))
    check(f, data(30, 16), data(16, 8, seed=1), data(8, seed=2), rtol=1e-5)


def test_views_cat_pad_and_arg_reductions_match():
    x = graphc.placeholder("x", (13, 10))
    f = graphc.function([x], [
        graphc.flip(x, [0, 1])[2:12:3, ::-2],
        graphc.transpose(x * 2, 0, 1) + 1,
        graphc.reshape(graphc.exp(x), (10, 13)),
        graphc.cat([x, x * 2], 0),
        graphc.pad_widths(x, [(1, 2), (0, 3)], value=1.5),
        graphc.argmax(x, 1), graphc.argmin(x, 0, keepdims=True), graphc.argmax(x),
        graphc.broadcast_to(graphc.sum(x, 1, keepdims=True), (4, 13, 10)),
    ])
    check(f, data(13, 10))


def test_a_value_broadcast_into_a_kernel_gets_the_blocks_of_its_axes():
    s, v = graphc.placeholder("s", ()), graphc.placeholder("v", (1, 12))
    f = graphc.function([s, v], [graphc.exp(graphc.broadcast_to(s, (9, 12)) * v),
                                 graphc.sum(graphc.broadcast_to(v, (5, 9, 12)), (0, 1))])
    dask_f = check(f, np.float32(0.5), data(1, 12))
    assert any(p.spans for p in dask_f.plans.values())  # an axis no operand spans


def test_gradients_match_with_a_kernel_of_several_outputs():
    x, w = graphc.placeholder("x", ("n", "m")), graphc.placeholder("w", ("m",))
    f = graphc.function([x, w], graphc.grad(graphc.sum(graphc.tanh(x) * w), [x, w]))
    dask_f = check(f, data(20, 12), data(12, seed=1), rtol=1e-5)
    assert any(len(p.outputs) > 1 for p in dask_f.plans.values())


def test_float16_ops_that_no_kernel_takes_run_one_by_one():
    x = graphc.placeholder("x", ("n",), dtype=graphc.float16)
    f = graphc.function([x], [graphc.exp(x) + 1, graphc.sum(x * 2)])
    check(f, np.linspace(0, 1, 10, dtype=np.float16), rtol=1e-3)


def test_a_graph_compiles_to_a_list_of_outputs():
    x = graphc.placeholder("x", ("n",))
    graph = graphc.Graph([x], [graphc.exp(x)])
    (got,) = gdask.compile(graph)(da.from_array(np.zeros(5, np.float32), chunks=2))
    np.testing.assert_array_equal(got.compute(), np.ones(5, np.float32))


def test_one_compiled_kernel_serves_every_block_shape():
    x = graphc.placeholder("x", ("n", "m"))
    dask_f = gdask.compile(graphc.function([x], graphc.sin(x) * 3.75 + 0.125))  # a graph no other test has
    before = restored_count()
    lazy = dask_f(da.from_array(data(20, 9), chunks=((3, 5, 12), (2, 7))))
    assert restored_count() == before  # building the Dask graph compiles nothing
    lazy.compute()
    assert restored_count() == before + 1  # six blocks of five shapes: one kernel


def test_bad_arguments_raise_clear_errors():
    x, y = graphc.placeholder("x", ("n", 3)), graphc.placeholder("y", ("n",))
    dask_f = gdask.compile(graphc.function([x, y], x * graphc.unsqueeze(y, 1)))
    ones = da.ones((4, 3), dtype=np.float32, chunks=2)
    with pytest.raises(TypeError, match="'x' must have dtype float32"):
        dask_f(ones.astype(np.float64), da.ones(4, dtype=np.float32))
    with pytest.raises(ValueError, match="'y' must have shape \\[n\\] with n=4"):
        dask_f(ones, da.ones(5, dtype=np.float32))
    with pytest.raises(TypeError, match="expected 2 arguments"):
        dask_f(ones)
    unknown = ones[ones[:, 0] > 0]
    with pytest.raises(ValueError, match="'x' has chunks of unknown size"):
        dask_f(unknown, da.ones(4, dtype=np.float32))
    with pytest.raises(TypeError, match=r"takes a graphc\.Function or a graphc\.Graph"):
        gdask.compile(lambda v: v)


def test_small_integers_and_bfloat16_run_in_blocks():
    import ml_dtypes

    u = graphc.placeholder("u", ("n",), dtype=graphc.uint8)
    i = graphc.placeholder("i", ("n",), dtype=graphc.int8)
    f = graphc.function([u, i], [u + i, u * 3, graphc.max(u), graphc.sum(i), u.bfloat16() + 1,
                                 graphc.argmin(u, 0)])
    check(f, np.arange(250, 262).astype(np.uint8), np.arange(-6, 6).astype(np.int8))
    x = graphc.placeholder("x", ("n", "m"), dtype=graphc.bfloat16)
    y = graphc.placeholder("y", ("m", 5), dtype=graphc.bfloat16)
    g = graphc.function([x, y], [x @ y, graphc.exp(x) * 2, graphc.max(x, 1), graphc.sum(x, 0),
                                 graphc.mean(x, 1)])
    bf16 = ml_dtypes.bfloat16
    dask_g = gdask.compile(g)
    xv, yv = data(10, 8).astype(bf16), data(8, 5, seed=1).astype(bf16)
    want = g(xv, yv)
    got = dask.compute(*dask_g(da.from_array(xv, chunks=(3, 4)), da.from_array(yv, chunks=(4, 5))))
    for k, (a, b) in enumerate(zip(got, want)):
        assert a.dtype == b.dtype == bf16
        # partial sums round to bfloat16 per block: one bfloat16 ulp of the largest element apart
        np.testing.assert_allclose(a.astype(np.float32), b.astype(np.float32), rtol=2**-7, atol=2**-5,
                                   err_msg=f"output {k}")
