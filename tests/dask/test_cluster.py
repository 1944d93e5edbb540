"""graphc.dask on a real `distributed.LocalCluster`: two worker processes, kernels shipped as text.

One cluster serves the module (starting one costs seconds); the test that kills a worker
runs last, and the fixture checks that no worker process outlives the cluster.
"""

import os
import pickle
import signal
import time

import numpy as np
import pytest

pytest.importorskip("dask.array", reason="graphc.dask needs dask: pip install 'graphc[dask]'")
distributed = pytest.importorskip("distributed", reason="graphc.dask's tests need distributed:"
                                  " pip install 'graphc[dask]'")

import dask.array as da  # noqa: E402
import psutil  # noqa: E402

import graphc  # noqa: E402
import graphc.dask as gdask  # noqa: E402
from graphc.function import restored_count  # noqa: E402
from tests.dask.chunking import random_chunks  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                       dashboard_address=None, env={"GRAPHC_NUM_THREADS": "1"})
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        pids = list(client.run(os.getpid).values())
        client.close()
        cluster.close()
        deadline = time.monotonic() + 10
        while any(psutil.pid_exists(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(psutil.pid_exists(p) for p in pids), "a worker process outlived its cluster"


def data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def compute_on(client, f, arrays, chunkings):
    """f's outputs from the cluster, for the arrays cut into `chunkings`."""
    chunked = [da.from_array(a, chunks=c) for a, c in zip(arrays, chunkings)]
    outputs = gdask.compile(f)(*chunked)
    return client.gather(client.compute(outputs if isinstance(outputs, list) else [outputs]))


def test_a_model_and_its_gradient_match_the_single_machine_call(client):
    x, w, b = (graphc.placeholder(n, s) for n, s in (("x", ("n", 24)), ("w", (24, 16)), ("b", (16,))))
    hidden = graphc.softmax(graphc.matmul(graphc.tanh(x), w) + b, -1)
    loss = graphc.mean(hidden * hidden) + graphc.sum(graphc.max(x, 1))
    f = graphc.function([x, w, b], [hidden, loss, *graphc.grad(loss, [x, w, b])])
    arrays = [data(90, 24), data(24, 16, seed=1), data(16, seed=2)]
    want = f(*arrays)
    rng = np.random.default_rng(0)
    for _ in range(3):
        got = compute_on(client, f, arrays, [random_chunks(rng, a.shape) for a in arrays])
        for g, w_ in zip(got, want):
            np.testing.assert_allclose(g, w_, rtol=2e-5, atol=1e-6)


def test_reductions_over_several_axes_match(client):
    x = graphc.placeholder("x", ("n", 6, 10), dtype=graphc.float64)
    f = graphc.function([x], [graphc.sum(x, (0, 2)), graphc.mean(graphc.exp(x), 0, keepdims=True),
                              graphc.max(x * 2, (1, 2)), graphc.min(x), graphc.prod(x + 1, 2)])
    values = data(40, 6, 10).astype(np.float64)
    got = compute_on(client, f, [values], [((3, 17, 20), (4, 2), (1, 9))])
    for g, w in zip(got, f(values)):
        np.testing.assert_allclose(g, w, rtol=1e-12)


def test_a_function_pickles_to_the_workers(client):
    x = graphc.placeholder("x", ("n",))
    f = graphc.function([x], [graphc.exp(x) * 1.75, graphc.sum(x)])
    values = data(100)
    got = client.submit(f, values).result()
    for g, w in zip(got, f(values)):
        np.testing.assert_array_equal(g, w)
    assert pickle.loads(pickle.dumps(f))(values)[1] == f(values)[1]


def test_each_worker_compiles_a_kernel_once_not_once_per_block(client):
    x = graphc.placeholder("x", ("n", "m"))
    f = graphc.function([x], graphc.cos(x) * 5.5 - 0.25)  # a graph no other test has
    before = client.run(restored_count)
    here = restored_count()
    values = data(64, 20)
    got = compute_on(client, f, [values], [((4,) * 16, (7, 13))])[0]  # 32 blocks
    np.testing.assert_allclose(got, f(values), rtol=1e-6)
    compiled = {w: restored_count - before[w] for w, restored_count in client.run(restored_count).items()}
    assert all(n <= 1 for n in compiled.values()) and sum(compiled.values()) >= 1, compiled
    assert restored_count() == here  # neither the client nor the scheduler compiled it


def slowly(block: np.ndarray) -> np.ndarray:
    time.sleep(0.05)
    return block


def test_a_worker_killed_mid_run_is_recovered_with_right_results(client):
    x = graphc.placeholder("x", ("n", "m"))
    f = graphc.function([x], [graphc.softmax(graphc.sin(x) * 3, -1), graphc.sum(x * x, 0)])
    values = data(400, 16)
    rows, sums = gdask.compile(f)(da.from_array(values, chunks=(10, 16)))
    future = client.compute([rows.map_blocks(slowly, dtype=np.float32) * 2, sums])
    victim = sorted(client.scheduler_info()["workers"])[0]
    deadline = time.monotonic() + 30
    while not client.has_what().get(victim) and time.monotonic() < deadline:
        time.sleep(0.02)  # until the victim holds results that will be lost
    os.kill(client.run(os.getpid, workers=[victim])[victim], signal.SIGKILL)
    got_rows, got_sums = client.gather(future)
    want_rows, want_sums = f(values)
    np.testing.assert_allclose(got_rows, want_rows * 2, rtol=1e-6)
    np.testing.assert_allclose(got_sums, want_sums, rtol=1e-5)
    assert victim not in client.scheduler_info()["workers"]  # it did die mid-run
    client.wait_for_workers(2, timeout=60)
