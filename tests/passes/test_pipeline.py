"""Pipeline strings parse and print back; passes register by name with options and plugins."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from graphc import passes
from graphc.passes import registry
from graphc.passes.pipeline import Fixpoint, PassItem, PipelineError, format_pipeline, parse_pipeline


@pytest.mark.parametrize("text", [
    "simplify,fold-constants,cse,dce",
    "fixpoint(simplify,cse)",
    "simplify{max-iters=4}",
    "simplify{max-iters=4,fast-math=true},fixpoint(cse,dce){max-iters=3},fold-constants{max-elements=16}",
    "fixpoint(fixpoint(simplify),dce)",
    "",
])
def test_pipeline_prints_back_as_written(text):
    assert format_pipeline(parse_pipeline(text)) == text


def test_pipeline_structure_and_option_types():
    pipeline = parse_pipeline(" simplify{max-iters=4, fast-math=true} , fixpoint(cse,dce){max-iters=3}")
    assert pipeline == (PassItem("simplify", (("max-iters", 4), ("fast-math", True))),
                        Fixpoint((PassItem("cse"), PassItem("dce")), 3))


def test_named_pipelines_expand_into_editable_strings():
    for name, text in passes.NAMED_PIPELINES.items():
        assert format_pipeline(parse_pipeline(name)) == text
        assert parse_pipeline(format_pipeline(parse_pipeline(name))) == parse_pipeline(name)
    assert format_pipeline(parse_pipeline("-O1,dce")) == passes.NAMED_PIPELINES["-O1"] + ",dce"


@pytest.mark.parametrize("text, message, column", [
    ("simplfy", "unknown pass 'simplfy'; did you mean 'simplify'?", 1),
    ("simplify{max-iter=2}", "pass 'simplify' has no option 'max-iter'", 21),
    ("simplify{max-iters=two}", "option max-iters expects int, got 'two'", 24),
    ("simplify{fast-math=yes}", "option fast-math expects bool", 24),
    ("fixpoint(cse", "expected ',' or ')'", 13),
    ("cse dce", "expected ',' or the end, got 'dce'", 5),
    ("cse,,dce", "expected a pass name, got ','", 5),
    ("fixpoint(cse){rounds=2}", "fixpoint has one option, max-iters", 24),
])
def test_pipeline_errors_name_the_problem_and_column(text, message, column):
    with pytest.raises(PipelineError) as info:
        parse_pipeline(text)
    assert message in str(info.value)
    assert f"at column {column} " in str(info.value)


def test_builtin_passes_are_registered_with_descriptions():
    infos = {info.name: info for info in passes.all_passes()}
    assert {"simplify", "fold-constants", "cse", "dce", "canonicalize"} <= set(infos)
    for info in infos.values():
        assert info.description, info.name
    assert [o.name for o in infos["simplify"].options] == ["max-iters", "fast-math"]


@pytest.fixture
def scratch_registry(monkeypatch):
    monkeypatch.setattr(registry, "PASSES", dict(registry.PASSES))


def test_a_pass_with_options_is_a_small_dataclass(scratch_registry):
    @passes.register("scale-outputs")
    @dataclass
    class ScaleOutputs:
        """Multiply every output by a factor."""

        factor: float = 2.0

        def __call__(self, graph):
            import graphc as gc

            return gc.Graph(graph.inputs, [(gc.Tensor(o) * self.factor)._node for o in graph.outputs])

    import graphc as gc

    x = gc.placeholder("x", (2,))
    graph = passes.run(gc.Graph([x], [x]), "scale-outputs{factor=3.5}")
    assert graph.outputs[0].inputs[1].attr("value") == 3.5
    assert passes.lookup("scale-outputs").description == "Multiply every output by a factor."


def test_names_must_be_kebab_case_and_unique(scratch_registry):
    with pytest.raises(ValueError, match="kebab-case"):
        passes.register("My_Pass")
    with pytest.raises(ValueError, match="already registered"):
        passes.register("cse")(lambda g: g)


class FakeEntryPoint:
    def __init__(self, name, load):
        self.name, self.value, self.load = name, f"plugin_module:{name}", load


def test_plugins_register_through_the_entry_point_group(scratch_registry, monkeypatch):
    def load():
        passes.register("plugin-identity", "Return the graph unchanged.")(lambda g: g)

    monkeypatch.setattr(registry, "_plugins_loaded", False)
    monkeypatch.setattr(registry, "entry_points",
                        lambda group: [FakeEntryPoint("identity", load)] if group == "graphc.passes" else [])
    assert passes.lookup("plugin-identity").description == "Return the graph unchanged."


def test_a_broken_plugin_raises_naming_itself(scratch_registry, monkeypatch):
    def load():
        raise RuntimeError("boom")

    monkeypatch.setattr(registry, "_plugins_loaded", False)
    monkeypatch.setattr(registry, "entry_points", lambda group: [FakeEntryPoint("broken", load)])
    with pytest.raises(ImportError, match=r"graphc pass plugin 'broken'.*boom"):
        passes.all_passes()
