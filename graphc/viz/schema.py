"""The JSON form of a subject's stages (schema "graphc-viz", version 1; docs/viz.md), and back.

Nodes are listed once for all stages (nodes are hash-consed, so stages share most of theirs),
each after its operands and after the kernel bodies it holds; graphs list node ids; each step
names its graph and what changed since the step before. Attribute values keep their types:
JSON numbers, strings, booleans and lists, and one-key objects for the rest (`{"dtype": "f32"}`,
`{"dim": "2*n"}`, `{"float": "nan"}`, `{"array": "dense<[1, 2]>"}`, `{"graph": 3}`).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import sympy

from graphc.dtypes import DType, from_name
from graphc.graph import Graph
from graphc.kernel import kernel_input
from graphc.node import Location, Node, Ref, TensorType, intern
from graphc.ops import OPS
from graphc.parser import parse_array, parse_dim, parse_type
from graphc.printer import INLINE_LIMIT, format_array
from graphc.scopes import check_scope, is_gradient
from graphc.shapes import format_dim
from graphc.viz.diff import change
from graphc.viz.labels import Namer, operation, source_line
from graphc.viz.stages import Stages

FORMAT = "graphc-viz"
VERSION = 1
IDENTITY_OPS = ("placeholder", "parameter", "constant")


class SchemaError(ValueError):
    """A JSON document is not a graphc-viz document this version of graphc can read."""


# ---------------------------------------------------------------------------------------- export

class _Writer:
    def __init__(self, values: bool):
        self.values = values
        self.ids: dict[Node, int] = {}
        self.nodes: list[dict] = []
        self.graph_ids: dict[int, int] = {}  # id(Graph) -> index
        self.graphs: list[dict] = []
        self.sources: dict[str, str] = {}
        self.namer = Namer()

    def graph(self, graph: Graph, body: bool = False) -> int:
        """The index of `graph` (a step's, or a kernel's `body`), listing it and its nodes on
        first sight."""
        if id(graph) in self.graph_ids:
            return self.graph_ids[id(graph)]
        names = self.namer.names(graph, body)
        for node in graph.nodes:
            if node not in self.ids:
                self.node(node, names.get(node))
        self.graph_ids[id(graph)] = len(self.graphs)
        self.graphs.append({"inputs": [self.ids[n] for n in graph.inputs],
                            "nodes": [self.ids[n] for n in graph.nodes],
                            "outputs": [self.ids[n] for n in graph.outputs]})
        return len(self.graphs) - 1

    def node(self, node: Node, name: str | None) -> None:
        attrs = {key: self.attr(value) for key, value in node.attrs}  # lists a kernel's body first
        location = str(node.location)
        if location not in self.sources:
            self.sources[location] = source_line(location)
        record = {"id": len(self.nodes), "op": node.op, "inputs": [self.ids[i] for i in node.inputs],
                  "attrs": attrs, "type": str(node.type),
                  "parts": [{"dtype": t.dtype.short, "shape": [self.dim(d) for d in t.shape]}
                            for t in node.type.parts],
                  "scope": node.scope, "gradient": is_gradient(node.scope), "loc": location,
                  "label": operation(node)}
        if name:
            record["name"] = name
        self.ids[node] = record["id"]
        self.nodes.append(record)

    @staticmethod
    def dim(d) -> int | str:
        return d if isinstance(d, int) else format_dim(d)

    def attr(self, value) -> Any:
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else {"float": repr(value)}
        if isinstance(value, tuple):
            return [self.attr(v) for v in value]
        if isinstance(value, DType):
            return {"dtype": value.short}
        if isinstance(value, sympy.Expr):
            return {"dim": format_dim(value)}
        if isinstance(value, Ref) and isinstance(value.value, np.ndarray):
            array = value.value
            if self.values or array.size <= INLINE_LIMIT:
                return {"array": format_array(array)}
            return {"array": None, "shape": list(array.shape)}
        if isinstance(value, Graph):
            return {"graph": self.graph(value, body=True)}
        raise TypeError(f"attribute value {value!r} has no JSON form")


def to_document(stages: Stages, values: bool = True) -> dict:
    """The JSON-ready document of `stages`. `values=False` leaves out arrays of more than
    INLINE_LIMIT elements (the explorer does not need them; the document then does not load)."""
    writer = _Writer(values)
    steps = []
    previous: Graph | None = None
    for stage in stages.stages:
        step = {"name": stage.name, "kind": stage.kind, "graph": writer.graph(stage.graph),
                "changed": stage.changed, "seconds": stage.seconds,
                "added": [], "removed": [], "rewritten": [], "rebuilt": []}
        if previous is not None and stage.changed:
            diff = change(previous, stage.graph)
            step["added"] = [writer.ids[n] for n in diff.added]
            step["removed"] = [writer.ids[n] for n in diff.removed]
            step["rewritten"] = [[writer.ids[new], writer.ids[old]] for new, old in diff.rewritten]
            step["rebuilt"] = [[writer.ids[new], writer.ids[old]] for new, old in diff.rebuilt]
        steps.append(step)
        previous = stage.graph
    kernels = [n for n in stages.final.nodes if n.op == "kernel"]
    return {
        "format": FORMAT, "version": VERSION, "title": stages.title,
        "pipeline": stages.pipeline, "backend": stages.backend,
        "nodes": writer.nodes, "graphs": writer.graphs, "steps": steps,
        "sources": {loc: line for loc, line in writer.sources.items() if line},
        "code": stages.code,
        "kernels": [{"node": writer.ids[node], "name": f"kernel{k}", "kind": node.attr("kind"),
                     "code": stages.kernel_code.get(node, {}),
                     "seconds": stages.kernel_seconds.get(node)}
                    for k, node in enumerate(kernels)],
    }


def to_json(subject, *, passes: str | None = None, backend: str | None = None, indent: int | None = None,
            values: bool = True) -> str:
    """The JSON document of a Tensor, tensors, a Graph, a Function or a `.gir` path, with every
    stage (`passes` and `backend` as in `to_dot`)."""
    from graphc.viz.stages import collect

    return json.dumps(to_document(collect(subject, passes, backend), values), indent=indent,
                      allow_nan=False)


# ---------------------------------------------------------------------------------------- import

class _Reader:
    def __init__(self, doc: dict):
        self.doc = doc
        self.nodes: list[Node] = []
        self.graphs: dict[int, Graph] = {}
        self.body_inputs: dict[int, int] = {}  # node id -> its position among a body's inputs
        for record in doc["nodes"]:
            for value in record.get("attrs", {}).values():
                if isinstance(value, dict) and "graph" in value:
                    for k, node_id in enumerate(self.graph_record(value["graph"])["inputs"]):
                        self.body_inputs[node_id] = k

    def graph_record(self, index) -> dict:
        graphs = self.doc["graphs"]
        if not isinstance(index, int) or not 0 <= index < len(graphs):
            raise SchemaError(f"there is no graph {index!r} (the document has {len(graphs)})")
        return graphs[index]

    def graph(self, index: int) -> Graph:
        if index not in self.graphs:
            record = self.graph_record(index)
            self.graphs[index] = Graph([self.ref(i) for i in record["inputs"]],
                                       [self.ref(i) for i in record["outputs"]])
        return self.graphs[index]

    def ref(self, node_id) -> Node:
        if not isinstance(node_id, int) or not 0 <= node_id < len(self.nodes):
            raise SchemaError(f"node {node_id!r} is used before it is defined")
        return self.nodes[node_id]

    def node(self, record: dict) -> Node:
        op = record["op"]
        if op not in OPS:
            raise SchemaError(f"unknown op {op!r}")
        type_ = parse_type(record["type"])
        if self.body_inputs.get(record["id"]) is not None:
            return kernel_input(self.body_inputs[record["id"]], type_)
        attrs = {key: self.attr(value, type_) for key, value in record.get("attrs", {}).items()}
        location = Location(record.get("loc", "<json>"), check_scope(record.get("scope", "")))
        if OPS[op].kind == "leaf":
            if op in ("parameter", "constant"):
                attrs["value"].value.flags.writeable = op == "parameter"
            return intern(op, (), tuple(sorted(attrs.items())), type_, None,
                          identity=op in IDENTITY_OPS, location=location)
        inputs = tuple(self.ref(i) for i in record["inputs"])
        inferred = OPS[op].rule(tuple(i.type for i in inputs), attrs)
        if inferred != type_:
            raise SchemaError(f"{op} gives {inferred} for its operands, but the document says {type_}")
        return intern(op, inputs, tuple(sorted(attrs.items())), None, lambda: inferred, location=location)

    def attr(self, value, type_) -> Any:
        if isinstance(value, list):
            return tuple(self.attr(v, type_) for v in value)
        if not isinstance(value, dict):
            return value
        if len(value) != 1 and "array" not in value:
            raise SchemaError(f"an attribute object has one key, got {sorted(value)}")
        key, text = next(iter(value.items()))
        if key == "dtype":
            return from_name(text)
        if key == "dim":
            return parse_dim(text)
        if key == "float":
            return float(text)
        if key == "graph":
            return self.graph(text)
        if key == "array":
            if text is None:
                raise SchemaError("the document leaves out array values (it was written for the"
                                  " explorer); write it with graphc.to_json to load it back")
            if not isinstance(type_, TensorType):
                raise SchemaError("an array attribute needs a tensor type")
            return Ref(parse_array(text, type_))
        raise SchemaError(f"unknown attribute object key {key!r}")


def from_document(doc: dict, step: int | str | None = None) -> Graph:
    """The graph of one step of a graphc-viz document (default: the last)."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise SchemaError(f"not a {FORMAT} document (its \"format\" should be {FORMAT!r})")
    if doc.get("version") != VERSION:
        raise SchemaError(f"{FORMAT} version {doc.get('version')!r} is not one this graphc reads"
                          f" (version {VERSION})")
    reader = _Reader(doc)
    for k, record in enumerate(doc["nodes"]):
        if record.get("id") != k:
            raise SchemaError(f"node {k} has id {record.get('id')!r}; ids count up from 0")
        try:
            reader.nodes.append(reader.node(record))
        except SchemaError as err:
            raise SchemaError(f"node {k}: {err}") from None
        except (ValueError, TypeError, KeyError) as err:
            raise SchemaError(f"node {k} ({record.get('op')}): {err}") from None
    steps = doc["steps"]
    names = [s["name"] for s in steps]
    if step is None:
        step = len(steps) - 1
    elif isinstance(step, str):
        if step not in names:
            raise SchemaError(f"no step named {step!r}; the steps are {', '.join(map(repr, names))}")
        step = names.index(step)
    if not -len(steps) <= step < len(steps):
        raise SchemaError(f"step {step} is out of range: there are {len(steps)} steps")
    return reader.graph(steps[step]["graph"])


def from_json(text: str | dict, step: int | str | None = None) -> Graph:
    """The graph a `to_json` document describes (the last step's, or `step`'s)."""
    try:
        doc = json.loads(text) if isinstance(text, str) else text
    except json.JSONDecodeError as err:
        raise SchemaError(f"not JSON: {err}") from None
    return from_document(doc, step)
