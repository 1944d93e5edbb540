"""The text form of a graph: one SSA line per node, designed to parse back.

    graph(%x: f32[n], %w: f32[n]) {
      %0 = mul %x, %w : f32[n]
      %1 = sum %0 {axes=[0], keepdims=false} : f32[]
      return %1
    }

A node built inside `graphc.scope(...)` ends its line with the scope: `: f32[n] scope "encoder"`.

A kernel's body is an attribute holding a nested graph (docs/kernels.md):

      %0 = kernel %x, %w {body=graph(%a0: f32[n], %a1: f32[n]) {
          %0 = mul %a0, %a1 : f32[n]
          %1 = sum %0 {axes=[0], keepdims=false} : f32[]
          return %1
        }, kind="reduce"} : f32[]
"""

from __future__ import annotations

import base64
import json
import math

import numpy as np
import sympy

from graphc.dtypes import DType
from graphc.graph import Graph
from graphc.names import Namespace
from graphc.node import Node, Ref
from graphc.ops import ops_with
from graphc.shapes import format_dim

INLINE_LIMIT = 16  # constants with more elements than this print as a base64 blob


def format_scalar(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(value)


def format_array(array: np.ndarray) -> str:
    """`dense<[...]>` for a few elements, `dense<v>` for many equal ones (a splat), else a blob.

    An array with no elements is `dense<[]>` whatever its shape (the type gives the shape).
    """
    if array.size == 0:
        return "dense<[]>"
    if array.size <= INLINE_LIMIT:
        return "dense<" + _nested(array.tolist()) + ">"
    if _is_splat(array):
        return "dense<" + format_scalar(array.flat[0]) + ">"
    data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False)
    return 'blob<"' + base64.b64encode(data.tobytes()).decode("ascii") + '">'


def _is_splat(array: np.ndarray) -> bool:
    """Whether every element has the first one's bits (so -0.0 and 0.0 stay apart)."""
    if all(stride == 0 or n == 1 for stride, n in zip(array.strides, array.shape)):
        return True  # a broadcast view of one element
    rows = np.ascontiguousarray(array).reshape(array.size, 1).view(np.uint8)
    return bool((rows == rows[:1]).all())


def _nested(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_nested(v) for v in value) + "]"
    return format_scalar(value)


def format_attr(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, (bool, int, float, np.generic)):
        return format_scalar(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, DType):
        return value.short
    if isinstance(value, sympy.Expr):
        return format_dim(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(format_attr(v) for v in value) + "]"
    if isinstance(value, Ref) and isinstance(value.value, np.ndarray):
        return format_array(value.value)
    if isinstance(value, Graph):  # a kernel's body, indented one level more than its statement
        return format_graph(value).replace("\n", "\n  ")
    raise TypeError(f"attribute value {value!r} has no text form")


def format_attrs(node: Node) -> str:
    if not node.attrs:
        return ""
    return " {" + ", ".join(f"{k}={format_attr(v)}" for k, v in node.attrs) + "}"


def value_names(graph: Graph) -> dict[Node, str]:
    """`%name` for inputs (their sanitised names), `%0, %1, ...` for the rest."""
    namespace = Namespace()
    names: dict[Node, str] = {}
    for k, node in enumerate(graph.inputs):
        names[node] = "%" + namespace.fresh(node.attr("name") or f"in{k}")
    for counter, node in enumerate(graph.nodes[len(graph.inputs):]):
        names[node] = f"%{counter}"
    return names


def format_scope(node: Node) -> str:
    """` scope "encoder/layer1"` for a node built in a scope, else nothing. A literal that no
    identity keeps apart (a scalar, arange, eye) is one node wherever it is built, so its
    scope would be that of whichever graph built it first: it is printed without one."""
    if not node.scope or (node.op in _SHARED_LITERALS and not node.uid):
        return ""
    return f" scope {json.dumps(node.scope)}"


_SHARED_LITERALS = ops_with("literal")


def format_input(node: Node, name: str) -> str:
    """`%x: f32[n]` for a placeholder; other inputs add their op and attributes so they parse back.

    A placeholder whose name is not a valid identifier (or repeats) gets `{name="..."}`.
    """
    text = f"{name}: {node.type}"
    # A computed node cut off as an input (eager evaluation) is a value given at the call.
    if not node.inputs and node.op == "placeholder":
        text += format_attrs(node) if node.attr("name") != name[1:] else ""
    elif not node.inputs:
        text += f" = {node.op}{format_attrs(node)}"
    return text + format_scope(node)


def format_graph(graph: Graph) -> str:
    names = value_names(graph)
    params = ", ".join(format_input(n, names[n]) for n in graph.inputs)
    lines = [f"graph({params}) {{"]
    for node in graph.nodes[len(graph.inputs):]:
        operands = ", ".join(names[i] for i in node.inputs)
        operands = " " + operands if operands else ""
        lines.append(f"  {names[node]} = {node.op}{operands}{format_attrs(node)} : {node.type}"
                     f"{format_scope(node)}")
    lines.append("  return " + ", ".join(names[o] for o in graph.outputs))
    lines.append("}")
    return "\n".join(lines)
