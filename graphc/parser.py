"""`graphc.parse(text)`: read the text form that `graphc.printer` writes back into a Graph.

The grammar, one graph per file (`.gir`); `//` starts a comment that runs to the end of the line:

    graph    := "graph" "(" [param ("," param)*] ")" "{" stmt* "return" value ("," value)* "}"
    param    := value ":" type ["=" OP] [attrs] [scope]      (OP defaults to placeholder)
    stmt     := value "=" OP [value ("," value)*] [attrs] ":" type [scope]
    scope    := "scope" string          (the graphc.scope the node was built in, "a/b" nested)
    attrs    := "{" [NAME "=" attr ("," NAME "=" attr)*] "}"
    attr     := none | true | false | number | string | dtype | dim | "[" attr,* "]"
              | "dense" "<" nested list of scalars ">" | "blob" "<" base64 string ">"
              | "dense" "<" scalar ">"  (a splat: every element of the type's shape)
              | body
    body     := "graph" "(" [value ":" type ("," value ":" type)*] ")" "{" stmt* "return" value "}"
                (a kernel's body: its own value names, inputs %a0, %a1, ... in order)
    type     := dtype "[" [dim ("," dim)*] "]"
    dim      := an integer expression over symbols: + - * / ** ( ) floor ceiling Max Min Mod

Every node goes through the interner, so parsing merges equal lines and drops lines that no
output uses. Dimension expressions are parsed here, never handed to `eval`/`sympify`, so a
file cannot run code.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import itertools
import json
import keyword
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from graphc import dtypes
from graphc.dtypes import DType
from graphc.graph import Graph
from graphc.kernel import kernel_input
from graphc.node import Location, Node, Ref, TensorType, TupleType, intern
from graphc.ops import OPS, bound_sizes
from graphc.scopes import check_scope
from graphc.shapes import simplify_dim, symbol, symbols_of
from graphc.validate import check_attrs, check_leaf, check_operands, finite_dim, widen_literals

MAX_DIM_EXPONENT = 64  # sizes are products of symbols: `n**2`, never `n**100`


class ParseError(ValueError):
    """The text is not a valid graph; `line` and `column` (1-based) point at the problem."""

    def __init__(self, message: str, filename: str, line: int, column: int, source_line: str):
        self.message, self.filename, self.line, self.column = message, filename, line, column
        caret = " " * (column - 1) + "^"
        super().__init__(f"{filename}:{line}:{column}: {message}\n  {source_line}\n  {caret}")


_TOKEN = re.compile(r"""
    (?P<space>[ \t\r\n]+|//[^\n]*)
  | (?P<value>%[\w.]+)
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)
  | (?P<name>[^\W\d]\w*)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<punct>\*\*|[-+*/(){}\[\]<>,:=])
""", re.VERBOSE)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # value, number, name, string, punct, eof
    text: str
    pos: int


def _describe(token: Token) -> str:
    return "end of input" if token.kind == "eof" else repr(token.text)


_DIM_FUNCTIONS = {"floor": sympy.floor, "ceiling": sympy.ceiling, "Max": sympy.Max,
                  "Min": sympy.Min, "Mod": sympy.Mod, "Abs": sympy.Abs}
_DIM_ARITY = {"floor": 1, "ceiling": 1, "Mod": 2, "Abs": 1}  # Max and Min take any number
_FLOAT_WORDS = {"nan": float("nan"), "inf": float("inf")}
_NOTHING = object()


@dataclass
class _Array:
    """A `dense<...>` or `blob<...>` literal, decoded once the node's type is known."""

    kind: str
    payload: Any
    token: Token


class _Parser:
    def __init__(self, text: str, filename: str):
        self.text, self.filename = text, filename
        self.tokens = self._tokenize()
        self.k = 0
        self.line_ends = [m.start() for m in re.finditer("\n", text)]  # so `location` is O(log n)
        self.values: dict[str, Node] = {}
        self.bound: set = set()  # the size symbols the inputs of the graph being read bind

    # ------------------------------------------------------------------ tokens
    def _tokenize(self) -> list[Token]:
        tokens, pos = [], 0
        while pos < len(self.text):
            m = _TOKEN.match(self.text, pos)
            if m is None:
                self._fail_at(pos, f"unexpected character {self.text[pos]!r}")
            if m.lastgroup != "space":
                tokens.append(Token(m.lastgroup, m.group(), pos))
            pos = m.end()
        tokens.append(Token("eof", "", len(self.text)))
        return tokens

    def _fail_at(self, pos: int, message: str):
        line = self.text.count("\n", 0, pos) + 1
        start = self.text.rfind("\n", 0, pos) + 1
        end = self.text.find("\n", pos)
        source_line = self.text[start:end if end >= 0 else len(self.text)]
        raise ParseError(message, self.filename, line, pos - start + 1, source_line)

    def fail(self, message: str, token: Token | None = None):
        self._fail_at((token or self.peek()).pos, message)

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.k + ahead, len(self.tokens) - 1)]

    def next(self) -> Token:
        token = self.peek()
        self.k += 1
        return token

    def at(self, text: str) -> bool:
        token = self.peek()
        return token.text == text and token.kind in ("punct", "name")

    def accept(self, text: str) -> bool:
        if self.at(text):
            self.k += 1
            return True
        return False

    def expect(self, text: str, what: str | None = None) -> Token:
        if not self.at(text):
            self.fail(f"expected {what or repr(text)}, got {_describe(self.peek())}")
        return self.next()

    def separated(self, item, close: str, allow_empty: bool = True) -> list:
        """`item (, item)*` up to the token `close`, which is consumed."""
        items = []
        if not (allow_empty and self.at(close)):
            items.append(item())
            while self.accept(","):
                items.append(item())
        self.expect(close, f"',' or '{close}'")
        return items

    def expect_kind(self, kind: str, what: str) -> Token:
        if self.peek().kind != kind:
            self.fail(f"expected {what}, got {_describe(self.peek())}")
        return self.next()

    def location(self, token: Token, scope: str) -> Location:
        return Location(f"{self.filename}:{bisect.bisect_left(self.line_ends, token.pos) + 1}", scope)

    def scope(self) -> str:
        """An optional `scope "a/b"` after a node's type; "" when there is none."""
        if not self.accept("scope"):
            return ""
        token = self.expect_kind("string", 'a scope path in quotes, like "encoder/layer1"')
        try:
            return check_scope(json.loads(token.text))
        except ValueError as err:
            self.fail(str(err), token)

    # ------------------------------------------------------------------ graph
    def graph(self) -> Graph:
        try:
            graph = self.graph_literal(lambda k: self.param())
        except ParseError:
            raise
        except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError) as err:
            # Every check above names what it refuses; this net keeps the promise that reading
            # a file fails only with a ParseError, at the token the parser stopped at.
            self.fail(f"cannot read this: {type(err).__name__}: {err}")
        if self.peek().kind != "eof":
            self.fail(f"expected end of input after the graph, got {_describe(self.peek())}")
        return graph

    def graph_literal(self, param, body: bool = False) -> Graph:
        """`graph(params) { statements; return values }`; `param(k)` reads input k."""
        self.expect("graph", "'graph'")
        self.expect("(")
        index = itertools.count()
        inputs: list[Node] = self.separated(lambda: param(next(index)), ")")
        # The sizes the inputs bind, as Graph.verify counts them: a graph's bare dimensions (a
        # call can read `n` off a size, not `m` off `m-3`); a kernel body, called with sizes its
        # caller knows, every symbol of its inputs' dimensions, and those of the graph around it.
        outer = self.bound
        if body:
            self.bound = outer.union(*(symbols_of(n.shape) for n in inputs))
        else:
            self.bound = outer | {d for n in inputs for d in n.shape
                                  if not isinstance(d, int) and d.is_Symbol}
        try:
            self.expect("{")
            while not self.at("return"):
                if self.peek().kind != "value":
                    self.fail(f"expected a statement '%name = op ...' or 'return',"
                              f" got {_describe(self.peek())}")
                self.statement()
            self.next()
            return Graph(inputs, self.separated(self.use, "}", allow_empty=False))
        finally:
            self.bound = outer

    def body(self) -> Graph:
        """A kernel's body: a nested graph with its own value names, over `%a0, %a1, ...`."""
        outer, self.values = self.values, {}
        try:
            return self.graph_literal(self.body_param, body=True)
        finally:
            self.values = outer

    def body_param(self, k: int) -> Node:
        name = self.expect_kind("value", f"the body input %a{k}")
        if name.text != f"%a{k}":
            self.fail(f"a kernel body's inputs are %a0, %a1, ... in order: expected %a{k},"
                      f" got {name.text}", name)
        self.expect(":")
        node = kernel_input(k, self.type())
        self.define(name, node)
        return node

    def define(self, token: Token, node: Node) -> None:
        if token.text in self.values:
            self.fail(f"value {token.text} is defined twice", token)
        self.values[token.text] = node

    def use(self) -> Node:
        token = self.expect_kind("value", "a value name like %x or %0")
        try:
            return self.values[token.text]
        except KeyError:
            self.fail(f"use of undefined value {token.text}", token)

    def param(self) -> Node:
        name = self.expect_kind("value", "an input like %x: f32[n]")
        self.expect(":")
        type_ = self.type()
        op_token = self.peek()
        op = self.next().text if self.accept("=") else "placeholder"
        if op not in ("placeholder", "parameter") and not (op in OPS and OPS[op].literal):
            self.fail(f"a graph input must be a placeholder, parameter or literal (constant, scalar,"
                      f" arange, eye), not {op!r}", op_token)
        attrs = self.attrs() if self.at("{") else {}
        if op == "placeholder":
            attrs.setdefault("name", name.text[1:])
        node = self.leaf(op, type_, attrs, name, self.scope())
        self.define(name, node)
        return node

    def statement(self) -> None:
        """`%name = op operands {attrs} : type`, whose size symbols the graph's inputs bind."""
        name = self.next()
        self.expect("=")
        op_token = self.expect_kind("name", "an op name")
        opdef = OPS.get(op_token.text)
        if opdef is None:
            self.fail(f"unknown op {op_token.text!r}", op_token)
        inputs = []
        if self.peek().kind == "value":
            inputs.append(self.use())
            while self.accept(","):
                inputs.append(self.use())
        attrs = self.attrs() if self.at("{") else {}
        self.expect(":", "':' and the result type" if inputs or attrs else "operands, attributes or ':'")
        type_token = self.peek()
        type_ = self.type()
        scope = self.scope()
        if isinstance(type_, TensorType):
            attrs = widen_literals(opdef.name, attrs, type_.dtype)
        if opdef.kind == "leaf":
            if inputs:
                self.fail(f"{opdef.name} takes no operands", op_token)
            node = self.leaf(opdef.name, type_, attrs, op_token, scope)
        else:
            node = self.op(opdef.name, tuple(inputs), attrs, type_, op_token, type_token, scope)
        binds = bound_sizes(opdef.name, attrs)
        if binds & self.bound:
            self.fail(f"size {min(map(str, binds & self.bound))} is already bound (a nonzero's"
                      " size must be a symbol of its own)", op_token)
        self.bound = self.bound | binds
        parts = type_.parts if isinstance(type_, TupleType) else (type_,)
        unbound = sorted(map(str, set().union(*(symbols_of(t.shape) for t in parts)) - self.bound))
        if unbound:
            self.fail(f"size {unbound[0]} is bound by no input of the graph (a size symbol must"
                      " be a whole dimension of an input's shape)", type_token)
        self.define(name, node)

    def leaf(self, op: str, type_: TensorType, attrs: dict, token: Token, scope: str) -> Node:
        identity = op in ("placeholder", "parameter", "constant")
        if op in ("parameter", "constant"):
            value = attrs.get("value")
            if not isinstance(value, _Array):
                self.fail(f"{op} needs a value=dense<...> or value=blob<\"...\"> attribute", token)
            array = self.array(value, type_)
            if op == "parameter" and not array.flags.writeable:  # a splat: a parameter is written
                try:
                    array = np.array(array)
                except MemoryError:
                    self.fail(f"no memory for a parameter of type {type_}", value.token)
            array.flags.writeable = op == "parameter"
            attrs["value"] = Ref(array)
        for key, value in attrs.items():
            if isinstance(value, _Array):
                self.fail(f"attribute {key} of {op} cannot hold an array", value.token)
        if isinstance(type_, TupleType):
            self.fail(f"{op} has a tensor type, not {type_}", token)
        try:
            check_leaf(op, type_, attrs)
        except (ValueError, TypeError) as err:
            self.fail(f"{op}: {err}", token)
        return intern(op, (), tuple(sorted(attrs.items())), type_, None, identity=identity,
                      location=self.location(token, scope))

    def op(self, op: str, inputs: tuple[Node, ...], attrs: dict, type_: TensorType,
           op_token: Token, type_token: Token, scope: str) -> Node:
        opdef = OPS[op]
        if opdef.arity is not None and len(inputs) != opdef.arity:
            self.fail(f"{op} takes {opdef.arity} operands, got {len(inputs)}", op_token)
        for key, value in attrs.items():
            if isinstance(value, _Array):
                self.fail(f"attribute {key} of {op} cannot hold an array", value.token)
        types = tuple(i.type for i in inputs)
        try:
            check_operands(op, types)
            check_attrs(op, attrs)
            inferred = opdef.rule(types, attrs)
        except (ValueError, TypeError, IndexError) as err:
            self.fail(f"{op}: {err}", op_token)
        if inferred != type_:
            self.fail(f"{op} gives {inferred} for these operands, but the line says {type_}", type_token)
        return intern(op, inputs, tuple(sorted(attrs.items())), None, lambda: inferred,
                      location=self.location(op_token, scope))

    # ------------------------------------------------------------------ types
    def dtype(self) -> DType:
        token = self.expect_kind("name", f"a dtype ({dtypes.SHORT_NAMES})")
        try:
            return dtypes.from_name(token.text)
        except ValueError:
            self.fail(f"expected a dtype ({dtypes.SHORT_NAMES}), got {token.text!r}", token)

    def type(self) -> TensorType | TupleType:
        if self.accept("("):  # a multi-output kernel's (f32[n], f32[n])
            return TupleType(tuple(self.separated(self.tensor_type, ")")))
        return self.tensor_type()

    def tensor_type(self) -> TensorType:
        dtype = self.dtype()
        self.expect("[", "'[' and a shape")
        return TensorType(dtype, tuple(self.separated(self.dim, "]")))

    def dim(self):
        token = self.peek()
        value = self.dim_sum()
        if isinstance(value, sympy.Basic) and any(abs(p.exp) > MAX_DIM_EXPONENT
                                                  for p in value.atoms(sympy.Pow)):
            self.fail(f"a dimension's exponents must be integers from {-MAX_DIM_EXPONENT} to"
                      f" {MAX_DIM_EXPONENT}, got {value}", token)  # ((n**64)**64 is n**4096)
        value = simplify_dim(value if not isinstance(value, sympy.Integer) else int(value))
        if not finite_dim(value) or (not isinstance(value, int) and value.is_integer is False):
            self.fail(f"a dimension must be a finite integer expression, got {value}", token)
        if isinstance(value, int) and value < 0:
            self.fail(f"a dimension must be non-negative, got {value}", token)
        return value

    # A small precedence-climbing parser for sympy's printed integer expressions.
    def dim_sum(self):
        value = self.dim_product()
        while self.at("+") or self.at("-"):
            if self.next().text == "+":
                value = value + self.dim_product()
            else:
                value = value - self.dim_product()
        return value

    def dim_product(self):
        value = self.dim_unary()
        while self.at("*") or self.at("/"):
            if self.next().text == "*":
                value = value * self.dim_unary()
            else:
                value = value / self.dim_unary()
        return value

    def dim_unary(self):
        if self.accept("-"):
            return -self.dim_unary()
        base = self.dim_atom()
        if self.accept("**"):
            token = self.peek()
            exponent = self.dim_unary()
            if not (isinstance(exponent, sympy.Integer) and abs(exponent) <= MAX_DIM_EXPONENT):
                # (n**109551616 sent SymPy's simplify into a search that never ended)
                self.fail(f"a dimension's exponent must be an integer from {-MAX_DIM_EXPONENT} to"
                          f" {MAX_DIM_EXPONENT}, got {exponent}", token)
            return base ** exponent
        return base

    def dim_atom(self):
        token = self.next()
        if token.kind == "number" and token.text.isdigit():
            return sympy.Integer(int(token.text))
        if token.text == "(" and token.kind == "punct":
            value = self.dim_sum()
            self.expect(")", "')'")
            return value
        if token.kind == "name":
            if self.at("("):
                func = _DIM_FUNCTIONS.get(token.text)
                if func is None:
                    self.fail(f"unknown function {token.text!r} in a dimension;"
                              f" expected one of {', '.join(_DIM_FUNCTIONS)}", token)
                self.next()
                args = self.separated(self.dim_sum, ")", allow_empty=False)
                arity = _DIM_ARITY.get(token.text)
                if arity is not None and len(args) != arity:
                    self.fail(f"{token.text} takes {arity} argument{'s' * (arity > 1)},"
                              f" got {len(args)}", token)
                return func(*args)
            if keyword.iskeyword(token.text):
                self.fail(f"a symbolic dimension cannot be named {token.text!r}, a Python keyword", token)
            return symbol(token.text)
        self.fail(f"expected a dimension (an integer, a symbol or an expression), got {_describe(token)}",
                  token)

    # ------------------------------------------------------------------ attributes
    def attrs(self) -> dict[str, Any]:
        self.expect("{")
        attrs: dict[str, Any] = {}
        if not self.at("}"):
            while True:
                key = self.expect_kind("name", "an attribute name")
                if key.text in attrs:
                    self.fail(f"attribute {key.text} is given twice", key)
                self.expect("=", "'=' after the attribute name")
                attrs[key.text] = self.attr(dims=key.text == "shape")
                if not self.accept(","):
                    break
        self.expect("}", "',' or '}'")
        return attrs

    def attr(self, dims: bool = False):
        token = self.peek()
        if self.accept("["):
            return tuple(self.separated(lambda: self.attr(dims), "]"))
        if token.kind == "string":
            self.next()
            try:
                return json.loads(token.text, strict=False)  # a raw tab is the tab it shows
            except ValueError as err:
                self.fail(f"invalid string literal: {err.args[0]}", token)
        if token.kind == "name" and token.text == "graph" and self.peek(1).text == "(":
            return self.body()
        if not dims:
            if token.kind == "name" and token.text in ("dense", "blob") and self.peek(1).text == "<":
                return self.array_literal()
            literal = self.scalar_literal()
            if literal is not _NOTHING:
                return literal
            if token.kind == "name" and token.text in dtypes.SHORT:
                self.next()
                return dtypes.from_name(token.text)
        value = self.dim_sum()
        return int(value) if isinstance(value, sympy.Integer) else simplify_dim(value)

    def scalar_literal(self):
        """none/true/false or a float (nan, inf and -inf included); _NOTHING if not at one."""
        token, sign = self.peek(), 1.0
        words = {"none": None, "true": True, "false": False}
        if token.kind == "name" and token.text in words:
            self.next()
            return words[token.text]
        ahead = 0
        if token.text == "-" and token.kind == "punct":
            sign, ahead = -1.0, 1
        number = self.peek(ahead)
        if number.kind == "name" and number.text in _FLOAT_WORDS:
            self.k += ahead + 1
            return sign * _FLOAT_WORDS[number.text]
        if number.kind == "number" and not number.text.isdigit():
            self.k += ahead + 1
            return sign * float(number.text)
        return _NOTHING

    def scalar(self):
        """One element of a dense literal."""
        if self.at("none"):
            self.fail("expected a number, true, false, nan or inf, got 'none'")
        literal = self.scalar_literal()
        if literal is not _NOTHING:
            return literal
        negative = self.accept("-")
        token = self.expect_kind("number", "a number, true, false, nan or inf")
        return -int(token.text) if negative else int(token.text)

    def array_literal(self) -> _Array:
        token = self.next()
        self.expect("<")
        if token.text == "blob":
            payload = self.expect_kind("string", "a base64 string in quotes")
        else:
            payload = self.nested()
        self.expect(">", "'>'")
        return _Array(token.text, payload, token)

    def nested(self):
        if self.accept("["):
            return self.separated(self.nested, "]")
        return self.scalar()

    def array(self, literal: _Array, type_: TensorType) -> np.ndarray:
        shape = type_.shape
        if not all(isinstance(d, int) for d in shape):
            self.fail(f"an array value needs a static shape, not {type_}", literal.token)
        np_dtype = type_.dtype.numpy
        if literal.kind == "blob":
            try:
                data = base64.b64decode(json.loads(literal.payload.text), validate=True)
            except (binascii.Error, ValueError) as err:
                self.fail(f"invalid base64 data: {err}", literal.payload)
            expected = math.prod(shape) * np_dtype.itemsize
            if len(data) != expected:
                self.fail(f"blob holds {len(data)} bytes but {type_} needs {expected}", literal.payload)
            return np.frombuffer(data, dtype=np_dtype.newbyteorder("<")).astype(np_dtype).reshape(shape)
        try:
            with np.errstate(over="ignore"):
                array = np.array(literal.payload, dtype=np_dtype)
        except (ValueError, OverflowError, TypeError) as err:
            self.fail(f"dense value does not fit {type_}: {err}", literal.token)
        if dtypes.is_floating_numpy(np_dtype) and (np.isfinite(np.array(literal.payload, np.float64))
                                     & ~np.isfinite(array)).any():
            self.fail(f"dense value has a finite number too large for {type_}", literal.token)
        if array.ndim == 0 and shape:  # a splat: one value for every element, kept once
            try:
                return np.broadcast_to(array, shape)
            except ValueError:  # more elements than NumPy can index
                self.fail(f"{type_} has too many elements for an array", literal.token)
        if array.size != math.prod(shape):
            self.fail(f"dense value of shape {list(array.shape)} does not fit {type_}", literal.token)
        return array.reshape(shape)


def parse(text: str, filename: str = "<string>") -> Graph:
    """The graph that `text` (as written by `print(graph)`) describes.

    Raises ParseError with the line, the column and what was expected.
    """
    return _Parser(text, filename).graph()


def parse_file(path: str) -> Graph:
    """Parse a `.gir` file."""
    with open(path, encoding="utf-8") as f:
        return parse(f.read(), str(path))


def _fragment(text: str, what: str, read):
    """Parse `text` as one `what` with `read(parser)`; the whole text must be used."""
    parser = _Parser(text, f"<{what}>")
    value = read(parser)
    if parser.peek().kind != "eof":
        parser.fail(f"expected end of the {what}, got {_describe(parser.peek())}")
    return value


def parse_type(text: str) -> TensorType | TupleType:
    """A type in the text form: `f32[n, 3]`, or `(f32[n], f32[n])` for a multi-output kernel."""
    return _fragment(text, "type", _Parser.type)


def parse_dim(text: str):
    """A dimension in the text form: an integer, a symbol or an expression like `2*n + 1`."""
    return _fragment(text, "dimension", _Parser.dim)


def parse_array(text: str, type_: TensorType) -> np.ndarray:
    """A `dense<...>` or `blob<"...">` literal of type `type_`."""
    return _fragment(text, "array", lambda p: p.array(p.array_literal(), type_))
