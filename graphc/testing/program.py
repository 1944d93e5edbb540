"""A fuzz case as plain data: a program of public-API calls, and the arrays it is called with.

A `Program` numbers its values: the inputs (placeholders) first, then one value per `Step`.
It builds the graphc graph (`build`), evaluates the same steps with NumPy and bounds (`evaluate`),
and writes itself as Python (`source`). Being data, it pickles to a worker process and shrinks
by editing (graphc.testing.shrink).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import sympy

import graphc
from graphc.graph import Graph
from graphc.testing import bounds
from graphc.testing.bounds import Bounded
from graphc.testing.catalog import CATALOG, Context, literal

# What graphc raises, with a clear message, for a call or a program it does not allow.
REJECTED = (ValueError, TypeError, IndexError, OverflowError)


@dataclass(frozen=True)
class Step:
    """`op` (a CATALOG entry) applied to values `args`, with `params` as (name, value) pairs."""

    op: str
    args: tuple[int, ...] = ()
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def p(self) -> dict[str, Any]:
        return dict(self.params)


@dataclass(frozen=True)
class Input:
    """A placeholder: its name, NumPy dtype name, and shape of ints and symbol names."""

    name: str
    dtype: str
    shape: tuple[int | str, ...]

    def concrete(self, binding: dict[str, int]) -> tuple[int, ...]:
        return tuple(d if isinstance(d, int) else binding[d] for d in self.shape)


@dataclass
class Built:
    """A program built with graphc: its placeholders, every value, and the outputs."""

    placeholders: list[graphc.Tensor]
    values: list[graphc.Tensor]
    outputs: list[graphc.Tensor]

    @property
    def graph(self) -> Graph:
        return Graph(self.placeholders, self.outputs)


@dataclass(frozen=True)
class Program:
    inputs: tuple[Input, ...]
    steps: tuple[Step, ...]
    outputs: tuple[int, ...]

    def build(self) -> Built:
        """The graph through the public API; whatever graphc raises for a bad call propagates."""
        placeholders = [graphc.placeholder(i.name, i.shape, getattr(graphc, i.dtype)) for i in self.inputs]
        values = list(placeholders)
        for step in self.steps:
            values.append(CATALOG[step.op].build([values[a] for a in step.args], step.p))
        return Built(placeholders, values, [values[o] for o in self.outputs])

    def symbols(self) -> list[str]:
        return sorted({d for i in self.inputs for d in i.shape if isinstance(d, str)})

    def compact(self) -> Program:
        """The same program without steps the outputs do not use (inputs are kept: they are
        the signature)."""
        k = len(self.inputs)
        needed = set(self.outputs)
        for index in range(k + len(self.steps) - 1, k - 1, -1):
            if index in needed:
                needed.update(self.steps[index - k].args)
        renumber = {i: i for i in range(k)}
        steps = []
        for index, step in enumerate(self.steps, k):
            if index in needed:
                renumber[index] = k + len(steps)
                steps.append(replace(step, args=tuple(renumber[a] for a in step.args)))
        return Program(self.inputs, tuple(steps), tuple(renumber[o] for o in self.outputs))

    def source(self) -> list[str]:
        """Python lines that build the program with graphc, ending with `outputs = [...]`."""
        lines, names = [], []
        for i in self.inputs:
            names.append(i.name)
            lines.append(f"{i.name} = graphc.placeholder({i.name!r}, {literal(i.shape)}, graphc.{i.dtype})")
        for index, step in enumerate(self.steps, len(self.inputs)):
            name = f"v{index}"
            lines.append(f"{name} = {CATALOG[step.op].source([names[a] for a in step.args], step.p)}")
            names.append(name)
        lines.append(f"inputs = [{', '.join(i.name for i in self.inputs)}]")
        lines.append(f"outputs = [{', '.join(names[o] for o in self.outputs)}]")
        return lines

    def ops(self) -> list[str]:
        return [s.op for s in self.steps]


def evaluate_all(program: Program, built: Built, arrays: list[np.ndarray],
                 binding: dict[str, int]) -> list[Bounded]:
    """Every value of the program (inputs, then steps) computed with NumPy, with its range."""
    values: list[Bounded] = [bounds.exact(np.array(a)) for a in arrays]
    for step, tensor in zip(program.steps, built.values[len(program.inputs):]):
        ctx = Context(tensor, binding)
        values.append(CATALOG[step.op].mirror([values[a] for a in step.args], step.p, ctx))
    return values


def evaluate(program: Program, built: Built, arrays: list[np.ndarray],
             binding: dict[str, int]) -> list[Bounded]:
    """The program's outputs computed with NumPy, each with the range a backend may give."""
    values = evaluate_all(program, built, arrays, binding)
    return [values[o] for o in program.outputs]


def declared_shape(tensor: graphc.Tensor, binding: dict[str, int]) -> tuple[int, ...]:
    """The shape graphc's type rules gave `tensor`, at the symbols' values."""
    symbols = {sympy.Symbol(name, integer=True, nonnegative=True): size for name, size in binding.items()}
    return tuple(d if isinstance(d, int) else int(d.subs(symbols)) for d in tensor.node.shape)


@dataclass(frozen=True)
class Argument:
    """An input array's values (C order) and the memory layout to pass them in."""

    values: np.ndarray
    layout: str = "C"

    def array(self) -> np.ndarray:
        from graphc.testing.inputs import with_layout

        return with_layout(self.values, self.layout)


@dataclass(frozen=True)
class Case:
    """A program and the calls to make: one binding of the symbols and one argument per input each."""

    program: Program
    bindings: tuple[tuple[tuple[str, int], ...], ...]
    arguments: tuple[tuple[Argument, ...], ...]
    seed: int = 0
    notes: tuple[str, ...] = field(default=())

    def calls(self) -> Iterator[tuple[dict[str, int], list[np.ndarray]]]:
        """(binding, argument arrays in their layouts) per call."""
        for binding, arguments in zip(self.bindings, self.arguments):
            yield dict(binding), [a.array() for a in arguments]
