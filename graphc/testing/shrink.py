"""Minimise a failing case: fewer calls, outputs, steps, inputs, smaller shapes, simpler values.

`shrink_case` tries edits of the case greedily, keeping the first that still `reproduces` the
finding (the caller decides what that means: the same kind on the same configuration, with the
same exception, judged in a worker so that crashes are survivable), until no edit helps or the
budget of tries runs out. `shrink_text` does the same for parser findings with the lines and
characters of the text (delta debugging).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace

import numpy as np

from graphc.testing.inputs import fit_layout
from graphc.testing.program import Argument, Case, Input, Program, Step


class Budget:
    """At most `tries` candidates and `seconds` of time."""

    def __init__(self, tries: int = 200, seconds: float = 120.0):
        self.tries, self.deadline = tries, time.monotonic() + seconds

    def spend(self) -> bool:
        self.tries -= 1
        return self.tries >= 0 and time.monotonic() < self.deadline


def _first_that(candidates: Iterator, reproduces: Callable, budget: Budget):
    for candidate in candidates:
        if not budget.spend():
            return None
        if reproduces(candidate):
            return candidate
    return None


def shrink_case(case: Case, reproduces: Callable[[Case], bool], budget: Budget | None = None) -> Case:
    budget = budget or Budget()
    while budget.tries > 0:
        smaller = _first_that(_candidates(case), reproduces, budget)
        if smaller is None:
            return case
        case = smaller
    return case


def _candidates(case: Case) -> Iterator[Case]:
    yield from _fewer_calls(case)
    yield from _fewer_outputs(case)
    yield from _bypassed_steps(case)
    yield from _fewer_inputs(case)
    yield from _smaller_shapes(case)
    yield from _plainer_layouts(case)
    yield from _simpler_values(case)


def _fewer_calls(case: Case) -> Iterator[Case]:
    if len(case.bindings) > 1:
        for k in range(len(case.bindings)):
            yield replace(case, bindings=(case.bindings[k],), arguments=(case.arguments[k],))


def _with_program(case: Case, program: Program) -> Case:
    return replace(case, program=program.compact())


def _fewer_outputs(case: Case) -> Iterator[Case]:
    outputs = case.program.outputs
    if len(outputs) > 1:
        for k in range(len(outputs)):
            yield _with_program(case, replace(case.program, outputs=(outputs[k],)))
        for k in range(len(outputs)):
            yield _with_program(case, replace(case.program, outputs=outputs[:k] + outputs[k + 1:]))


def _bypassed_steps(case: Case) -> Iterator[Case]:
    """Each step replaced by one of its operands, last steps first."""
    program = case.program
    first = len(program.inputs)
    for index in range(first + len(program.steps) - 1, first - 1, -1):
        for operand in dict.fromkeys(program.steps[index - first].args):
            yield _with_program(case, _redirect(program, index, operand))


def _redirect(program: Program, old: int, new: int) -> Program:
    def move(k: int) -> int:
        return new if k == old else k

    steps = tuple(replace(s, args=tuple(map(move, s.args))) for s in program.steps)
    return Program(program.inputs, steps, tuple(map(move, program.outputs)))


def _fewer_inputs(case: Case) -> Iterator[Case]:
    program = case.program
    used = {a for s in program.steps for a in s.args} | set(program.outputs)
    for k in range(len(program.inputs) - 1, -1, -1):
        if k not in used:
            yield replace(case, program=_drop_input(program, k),
                          arguments=tuple(a[:k] + a[k + 1:] for a in case.arguments))


def _drop_input(program: Program, k: int) -> Program:
    def move(i: int) -> int:
        return i - 1 if i > k else i

    steps = tuple(Step(s.op, tuple(map(move, s.args)), s.params) for s in program.steps)
    return Program(program.inputs[:k] + program.inputs[k + 1:], steps, tuple(map(move, program.outputs)))


def _smaller_shapes(case: Case) -> Iterator[Case]:
    """Smaller values of each symbol, then of each static dimension of each input."""
    for call, binding in enumerate(case.bindings):
        for position, (name, size) in enumerate(binding):
            for smaller in sorted({0, 1, size - 1} - {size}):
                if 0 <= smaller < size:
                    yield _resize(case, call, name, smaller, position)
    for k, item in enumerate(case.program.inputs):
        for axis, dim in enumerate(item.shape):
            if isinstance(dim, int):
                for smaller in sorted({0, 1, dim - 1} - {dim}):
                    if 0 <= smaller < dim:
                        yield _resize_input(case, k, axis, smaller)


def _cut(argument: Argument, axis: int, size: int) -> Argument:
    values = np.take(argument.values, np.arange(size), axis=axis)
    return Argument(fit_layout(values, argument.layout), argument.layout)


def _resize(case: Case, call: int, name: str, size: int, position: int) -> Case:
    binding = list(case.bindings[call])
    binding[position] = (name, size)
    arguments = list(case.arguments[call])
    for k, item in enumerate(case.program.inputs):
        for axis, dim in enumerate(item.shape):
            if dim == name:
                arguments[k] = _cut(arguments[k], axis, size)
    return replace(case, bindings=_put(case.bindings, call, tuple(binding)),
                   arguments=_put(case.arguments, call, tuple(arguments)))


def _resize_input(case: Case, k: int, axis: int, size: int) -> Case:
    item = case.program.inputs[k]
    shape = (*item.shape[:axis], size, *item.shape[axis + 1:])
    inputs = _put(case.program.inputs, k, Input(item.name, item.dtype, shape))
    arguments = tuple(_put(args, k, _cut(args[k], axis, size)) for args in case.arguments)
    return replace(case, program=replace(case.program, inputs=inputs), arguments=arguments)


def _put(items: tuple, k: int, value) -> tuple:
    return (*items[:k], value, *items[k + 1:])


def _plainer_layouts(case: Case) -> Iterator[Case]:
    for call, arguments in enumerate(case.arguments):
        for k, argument in enumerate(arguments):
            if argument.layout != "C":
                yield replace(case, arguments=_put(case.arguments, call,
                                                   _put(arguments, k, Argument(argument.values, "C"))))


def _simpler_values(case: Case) -> Iterator[Case]:
    """All zeros, all ones, then halves and single elements zeroed, then floats rounded."""
    for call, arguments in enumerate(case.arguments):
        for k, argument in enumerate(arguments):
            for values in _value_edits(argument.values):
                edited = Argument(fit_layout(values, argument.layout), argument.layout)
                if not np.array_equal(edited.values, argument.values, equal_nan=True):
                    yield replace(case, arguments=_put(case.arguments, call, _put(arguments, k, edited)))


def _value_edits(values: np.ndarray) -> Iterator[np.ndarray]:
    yield np.zeros_like(values)
    yield np.ones_like(values)
    flat = values.reshape(-1)
    size = flat.size
    chunk = size // 2
    while chunk >= 1:
        for start in range(0, size, chunk):
            edited = flat.copy()
            edited[start:start + chunk] = 0
            yield edited.reshape(values.shape)
        chunk //= 2
    if values.dtype.kind == "f":
        with np.errstate(all="ignore"):
            yield np.where(np.isfinite(values), np.round(values), values).astype(values.dtype)


def shrink_text(text: str, reproduces: Callable[[str], bool], budget: Budget | None = None) -> str:
    """Delta debugging over lines, then over characters, keeping what still reproduces."""
    budget = budget or Budget()
    for split in (lambda t: t.split("\n"), list):
        joiner = "\n" if split is not list else ""
        parts = split(text)
        chunk = max(1, len(parts) // 2)
        while chunk >= 1 and budget.tries > 0:
            progress = False
            start = 0
            while start < len(parts) and budget.spend():
                candidate = parts[:start] + parts[start + chunk:]
                if candidate and reproduces(joiner.join(candidate)):
                    parts, progress = candidate, True
                else:
                    start += chunk
            if not progress:
                chunk //= 2
        text = joiner.join(parts)
    return text
