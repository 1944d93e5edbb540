"""No silent gaps: every op of the IR is run by every registered backend, and agrees with the
reference (the NumPy backend) on the corpus; these tests cover a new backend from its first day."""

import numpy as np
import pytest

import graphc
from graphc import OPS
from graphc.backends import BACKENDS
from graphc.backends.numpy.lowering import LOWERING
from tests.backends.agree import all_nodes, compare_backends
from tests.passes.corpus import CORPUS, random_inputs

COMPARED = sorted(name for name in BACKENDS if name != "numpy")


def test_every_op_has_a_numpy_lowering():
    # Placeholders become the generated function's arguments, so need no rule.
    missing = sorted(set(OPS) - set(LOWERING) - {"placeholder"})
    assert not missing, f"ops without a NumPy lowering: {missing}"


def test_numpy_lowering_names_only_real_ops():
    unknown = sorted(set(LOWERING) - set(OPS))
    assert not unknown, f"lowerings for ops that do not exist: {unknown}"


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_every_backend_runs_every_op(backend):
    missing = sorted(set(OPS) - BACKENDS[backend].load().supported_ops())
    assert not missing, f"ops the {backend} backend cannot run: {missing}"


# Elementwise ops the LLVM backend leaves to its NumPy driver (NumPy's integer-division rules).
LLVM_RUNS_THROUGH_NUMPY = {"floordiv", "mod"}


def test_every_elementwise_op_is_compiled_by_llvm_or_declared_to_run_through_numpy():
    from graphc.backends.llvm.scalar import LOWERING as LLVM_LOWERING
    from graphc.ops import is_elementwise

    elementwise = {op for op in OPS if is_elementwise(op)}
    assert elementwise - set(LLVM_LOWERING) == LLVM_RUNS_THROUGH_NUMPY
    assert not set(LLVM_LOWERING) - elementwise, "LLVM lowerings for ops that are not elementwise"


def test_the_corpus_has_a_graph_of_every_op():
    seen = {n.op for build in CORPUS.values() for n in all_nodes(build())}
    assert not set(OPS) - seen, f"ops no corpus graph uses: {sorted(set(OPS) - seen)}"


@pytest.mark.parametrize("name", sorted(CORPUS))
@pytest.mark.parametrize("backend", COMPARED)
def test_every_backend_compiles_and_agrees_on_every_corpus_graph(backend, name):
    if backend == "cuda" and not graphc.cuda.is_available():
        pytest.skip("the CUDA backend runs only on a GPU (tests/backends/cuda compiles for it without one)")
    graph = CORPUS[name]()
    args = random_inputs(graph, np.random.default_rng(0), {"n": 4, "k": 2, "batch": 3})
    compare_backends(graph.inputs, graph.outputs, args, backend=backend)
