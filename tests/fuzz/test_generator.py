"""The generator covers the public API: every op, every dtype, static and symbolic shapes, 0-d and
empty arrays, every memory layout and the special values, over a few hundred seeds; a seed always
gives the same case."""

from __future__ import annotations

import re

import numpy as np
import pytest

import graphc
from graphc.testing import generator
from graphc.testing.catalog import CATALOG, literal
from graphc.testing.inputs import LAYOUTS, random_values, with_layout

SEEDS = range(300)


@pytest.fixture(scope="module")
def cases():
    return [generator.generate(seed) for seed in SEEDS]


def test_every_op_of_the_catalog_is_generated(cases):
    made = {step.op for case in cases for step in case.program.steps}
    assert set(CATALOG) - made == set()


def test_every_dtype_is_an_input_and_a_result(cases):
    dtypes = {"bool", "int32", "int64", "float32", "float64"}
    inputs = {i.dtype for case in cases for i in case.program.inputs}
    results = {t.dtype.name for case in cases[:100] for t in case.program.build().outputs}
    assert inputs == dtypes
    assert results == dtypes


def test_shapes_are_static_symbolic_0d_and_empty(cases):
    shapes = [i.shape for case in cases for i in case.program.inputs]
    assert any(s and all(isinstance(d, int) for d in s) for s in shapes)
    assert any(any(isinstance(d, str) for d in s) for s in shapes)
    assert any(s == () for s in shapes)
    sizes = [a.values.size for case in cases for call in case.arguments for a in call]
    assert 0 in sizes
    assert any(len(case.bindings) == 2 and case.bindings[0] != case.bindings[1] for case in cases)


def test_every_layout_and_special_values_reach_the_calls(cases):
    layouts = {a.layout for case in cases for call in case.arguments for a in call}
    assert layouts == set(LAYOUTS)
    floats = np.concatenate([a.values.ravel().astype(np.float64) for case in cases for call in case.arguments
                             for a in call if a.values.dtype.kind == "f"])
    assert np.isnan(floats).any() and np.isposinf(floats).any() and np.isneginf(floats).any()
    assert ((floats == 0) & np.signbit(floats)).any()
    ints = [a.values for case in cases for call in case.arguments for a in call if a.values.dtype == np.int32]
    assert any((v == np.iinfo(np.int32).min).any() for v in ints)


def test_graphc_refuses_few_of_the_generated_calls(cases):
    refused = sum(int(n.split("=")[1]) for case in cases for n in case.notes if n.startswith("rejected="))
    steps = sum(len(case.program.steps) for case in cases)
    assert refused < steps / 3, f"{refused} refused calls for {steps} steps: the samplers miss the rules"


def test_a_seed_gives_the_same_case():
    a, b = generator.generate(1234), generator.generate(1234)
    assert a.program == b.program and a.bindings == b.bindings
    assert all(np.array_equal(x.values, y.values, equal_nan=True) and x.layout == y.layout
               for call_a, call_b in zip(a.arguments, b.arguments) for x, y in zip(call_a, call_b))


def _numbered_sizes(text: str) -> str:
    """The text with its data-dependent sizes renamed in order of appearance: each build of a
    boolean-mask selection makes a fresh one (nz0, nz1, ...), so only their pattern repeats."""
    names: dict[str, str] = {}
    return re.sub(r"\bnz\d+\b", lambda m: names.setdefault(m.group(), f"nz_{len(names)}"), text)


def test_the_program_source_rebuilds_the_same_graph():
    for seed in range(20):
        case = generator.generate(seed)
        namespace = {"graphc": graphc, "np": np}
        exec("\n".join(case.program.source()), namespace)
        rebuilt = str(graphc.Graph(namespace["inputs"], namespace["outputs"]))
        assert _numbered_sizes(rebuilt) == _numbered_sizes(str(case.program.build().graph))


def test_layouts_keep_the_values():
    values = random_values(np.random.default_rng(0), "float32", (3, 2), "normal")
    values[:] = values[:1]  # constant along the first axis, as "broadcast" needs
    for layout in LAYOUTS[:-1]:
        np.testing.assert_array_equal(with_layout(values, layout), values)
    assert with_layout(values, "F").flags.f_contiguous
    assert with_layout(values, "broadcast").strides[0] == 0
    assert with_layout(values, "reversed").strides[0] < 0
    assert isinstance(with_layout(np.array(2.5, np.float32), "scalar"), np.float32)


def test_literals_write_special_floats_as_python():
    nan, minus_inf, plain = eval(literal((float("nan"), float("-inf"), 1.5)), {})
    assert np.isnan(nan) and minus_inf == -np.inf and plain == 1.5
