"""Random programs over the public API: every op family, every dtype, static and symbolic shapes.

`generate(seed, profile)` grows a program one call at a time from a pool of values (inputs and
earlier results), picking an op from the profile's weights, operands from the pool (recent
values first, so graphs grow deep as well as wide), and parameters that fit the operands'
types; where no value of a fitting shape exists it adds an input. A call graphc rejects
(GraphBuildError, TypeError, ...) is dropped and counted; any other exception propagates,
since it is a graphc bug. The same seed always gives the same case.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import graphc
from graphc.testing import catalog
from graphc.testing.catalog import CATALOG
from graphc.testing.inputs import STYLES, fit_layout, random_layout, random_values
from graphc.testing.program import REJECTED, Argument, Case, Input, Program, Step


def _weights(**families: float) -> tuple[tuple[str, float], ...]:
    """Per-op weights from per-family weights, spread evenly over each family's ops."""
    table = []
    for family, weight in families.items():
        names = [n for n, spec in CATALOG.items() if spec.family == family]
        table.extend((n, weight / len(names)) for n in names)
    return tuple(table)


@dataclass(frozen=True)
class Profile:
    """What to generate: op weights, dtypes, value styles, how often shapes are symbolic or empty."""

    name: str
    weights: tuple[tuple[str, float], ...]
    dtypes: tuple[str, ...] = ("bool", "int32", "int64", "float32", "float64")
    styles: tuple[str, ...] = STYLES[:3]
    symbolic: float = 0.3
    empty: float = 0.05
    steps: tuple[int, int] = (3, 12)
    smooth: bool = False  # gradient checks: float64, values away from kinks and poles, guarded domains


GRAPHS = Profile("graphs", _weights(unary=5, binary=4, compare=1.5, logical=0.7, where=1, cast=1.2,
                                    reduce=2.5, argreduce=0.7, scan=0.6, shape=4, join=1, linalg=1,
                                    composite=0.8, leaf=0.6, sort=0.6, indexing=0.8))
SMOOTH_OPS = ("exp", "sin", "cos", "tanh", "sigmoid", "erf", "expm1", "neg", "add", "sub", "mul", "div",
              "sum", "mean", "prod", "reshape", "squeeze", "unsqueeze", "broadcast_to", "permute",
              "transpose", "getitem", "flip", "pad", "cat", "stack", "matmul", "dot", "logsumexp",
              "softmax", "log_softmax", "log", "sqrt", "rsqrt", "log1p", "pow", "atan2", "tan",
              "take", "setitem", "cumsum", "cumprod")
KINKED_OPS = ("abs", "relu", "maximum", "minimum", "max", "min", "where", "sort")
GRADS = Profile("grads", tuple((n, 1.0) for n in SMOOTH_OPS) + tuple((n, 0.3) for n in KINKED_OPS),
                dtypes=("float64",), styles=("smooth",), empty=0.0, steps=(2, 7), smooth=True)


def _static(shape) -> bool:
    return all(isinstance(d, int) for d in shape)


def _dim_param(d):
    """A dimension as the API takes it: an int or a symbol's name; None for an expression."""
    if isinstance(d, int):
        return d
    return str(d) if d.is_Symbol else None


class _Generator:
    """The state of one program being grown."""

    def __init__(self, rng: np.random.Generator, profile: Profile):
        self.rng, self.profile = rng, profile
        self.inputs: list[Input] = []
        self.steps: list[Step] = []
        self.values: list[graphc.Tensor] = []  # one per input, then one per step, in index order
        self.kinds: list[str] = []  # "input" or "step", per value
        self.rejected = 0

    # ------------------------------------------------------------- pool
    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def choice(self, items):
        return items[int(self.rng.integers(len(items)))]

    def size(self) -> int:
        if self.chance(self.profile.empty):
            return 0
        return int(self.rng.choice([1, 2, 3, 4, 5], p=[0.15, 0.3, 0.25, 0.2, 0.1]))

    def random_shape(self, ndim: int | None = None) -> tuple:
        if ndim is None:
            ndim = int(self.rng.choice([0, 1, 2, 3], p=[0.15, 0.35, 0.35, 0.15]))
        return tuple(self.choice(["n", "m"]) if self.chance(self.profile.symbolic) else self.size()
                     for _ in range(ndim))

    def new_input(self, shape: tuple | None = None, dtype: str | None = None) -> int:
        """A fresh placeholder; its values are index-ordered after the current pool."""
        shape = self.random_shape() if shape is None else shape
        dtype = dtype or self.choice(self.profile.dtypes)
        name = f"x{len(self.inputs)}"
        self.inputs.append(Input(name, dtype, tuple(shape)))
        self.values.append(graphc.placeholder(name, shape, getattr(graphc, dtype)))
        self.kinds.append("input")
        return len(self.values) - 1

    def pick(self, accept=lambda t: True) -> int | None:
        """A pool value `accept` likes, the recent ones likelier."""
        found = [k for k, t in enumerate(self.values) if accept(t)]
        if not found:
            return None
        weights = np.array([(1.0 + k) ** 2 for k in range(len(found))])
        return found[int(self.rng.choice(len(found), p=weights / weights.sum()))]

    def pick_or_new(self, accept, shape: tuple | None = None, dtype: str | None = None) -> int:
        found = self.pick(accept) if self.chance(0.7) else None
        return found if found is not None else self.new_input(shape, dtype)

    def with_shape(self, shape: tuple, dtypes=None) -> int:
        """A value of exactly `shape` (ints and symbol names), from the pool or a new input."""
        want = tuple(graphc.placeholder("_", shape).node.shape) if shape else ()
        dtypes = dtypes or self.profile.dtypes
        return self.pick_or_new(lambda t: tuple(t.node.shape) == want and t.dtype.name in dtypes,
                                shape, self.choice(list(dtypes)))

    def add(self, op: str, args: tuple[int, ...], **params) -> int | None:
        """Build `op` on the pool values `args`; the new value's index, or None if graphc refused."""
        items = tuple(sorted(params.items()))
        try:
            tensor = CATALOG[op].build([self.values[a] for a in args], dict(items))
        except REJECTED:
            self.rejected += 1
            return None
        self.steps.append(Step(op, args, items))
        self.values.append(tensor)
        self.kinds.append("step")
        return len(self.values) - 1

    def pick_shaped(self, accept) -> tuple[int, tuple] | None:
        """A pool value `accept` likes whose shape the API can spell (ints and symbol names),
        and that shape."""
        k = self.pick(accept)
        dims = None if k is None else self.shape_params(self.values[k])
        return None if dims is None else (k, dims)

    def shape_params(self, t: graphc.Tensor) -> tuple | None:
        dims = tuple(_dim_param(d) for d in t.node.shape)
        return None if None in dims else dims

    # ------------------------------------------------------------- scalars
    def scalar_for(self, kind: str):
        """A Python scalar to combine with a tensor of dtype `kind`, special values included."""
        if kind == "bool":
            return bool(self.chance(0.5))
        if self.profile.smooth:
            return float(self.choice([0.5, 1.5, -0.75, 2.0, 3.0]))
        if kind.startswith("int"):
            limit = np.iinfo(kind)
            return int(self.choice([0, 1, -1, 2, 3, -7, int(limit.max), int(limit.min)]))
        return float(self.choice([0.0, -0.0, 1.0, -1.0, 0.5, 2.5, 3.0, -2.0, 1e-3, 1e30, np.inf, -np.inf,
                                  np.nan]))


# ----------------------------------------------------------------- samplers
# Each takes the generator and the op name and adds one or more steps (or none).

def _numeric(t) -> bool:
    return t.dtype.name != "bool"


def _partner_shape(g: _Generator, t) -> tuple | None:
    """A shape that broadcasts with t's: the same, a suffix, some dims set to 1, or 0-d."""
    dims = g.shape_params(t)
    if dims is None:
        return None
    form = g.choice(["same", "same", "suffix", "ones", "scalar"])
    if form == "suffix":
        return dims[int(g.rng.integers(len(dims) + 1)):]
    if form == "ones":
        return tuple(1 if g.chance(0.5) else d for d in dims)
    return () if form == "scalar" else dims


def _guarded(g: _Generator, k: int) -> int | None:
    """In smooth profiles, x*x + 0.5: a positive value for log, sqrt, a denominator, a base."""
    square = g.add("mul", (k, k))
    return None if square is None else g.add("add", (square,), scalars=((1, 0.5),))


def _elementwise_operands(g: _Generator, op: str, count: int) -> tuple[tuple, tuple] | None:
    accept = _numeric if op in (*catalog.UNARY_NUMBER, "sub", "floordiv", "mod", "pow") else (lambda t: True)
    a = g.pick(accept)
    if a is None:
        return None
    args, scalars = [a], []
    for position in range(1, count):
        t = g.values[a]
        if g.chance(0.35 if count == 2 else 0.2):
            scalars.append((position, g.scalar_for(t.dtype.name)))
            continue
        shape = _partner_shape(g, t)
        if shape is None:
            return None
        dtypes = [d for d in g.profile.dtypes if d != "bool"] if accept is _numeric else None
        args.append(g.with_shape(shape, dtypes))
    if count == 2 and len(args) == 2 and g.chance(0.3):  # either side of the op
        args.reverse()
    if scalars and g.chance(0.3):
        scalars = [(0, scalars[0][1])] if count == 2 else scalars
    return tuple(args), tuple(scalars)


def sample_unary(g: _Generator, op: str) -> None:
    accept = _numeric if op in catalog.UNARY_NUMBER else (lambda t: True)
    k = g.pick(accept)
    if k is None:
        return
    if g.profile.smooth and op in ("log", "sqrt", "rsqrt"):
        k = _guarded(g, k)
    elif g.profile.smooth and op == "log1p":
        k = g.add("mul", (k, k))
    elif g.profile.smooth and op == "tan":
        k = g.add("tanh", (k,))
    if k is not None:
        g.add(op, (k,))


def sample_binary(g: _Generator, op: str) -> None:
    operands = _elementwise_operands(g, op, 3 if op == "where" else 2)
    if operands is None:
        return
    args, scalars = operands
    if op == "pow" and (g.profile.smooth or not g.values[args[0]].dtype.is_floating_point):
        # graphc, as NumPy, refuses integers to negative integer powers; smooth: a positive base
        base = _guarded(g, args[0]) if g.profile.smooth else args[0]
        if base is not None:
            exponent = g.choice([2.0, 0.5, -1.5] if g.profile.smooth else [0, 1, 2, 3])
            g.add("pow", (base,), scalars=((1, exponent),))
        return
    if g.profile.smooth and op in ("div", "atan2"):
        args = _guard_denominator(g, args, scalars)
    if op == "where" and args is not None:
        cond = g.add("gt", (args[0],), scalars=((1, g.scalar_for(g.values[args[0]].dtype.name)),)) \
            if g.profile.smooth or g.chance(0.5) else args[0]
        if cond is None:
            return
        args = (cond, *args[1:])
    if args is not None:
        g.add(op, args, scalars=scalars)


def _guard_denominator(g: _Generator, args: tuple, scalars: tuple) -> tuple | None:
    """The operands with the second one (a tensor, unless a scalar takes its place) made positive."""
    if any(position == 1 for position, _ in scalars):
        return args
    denominator = _guarded(g, args[-1])
    return None if denominator is None else (*args[:-1], denominator)


def sample_cast(g: _Generator, op: str) -> None:
    k = g.pick()
    if k is None:
        return
    target = g.choice(g.profile.dtypes)
    g.add("cast", (k,), dtype=target)


def _axis(g: _Generator, ndim: int, many: bool = True):
    if ndim == 0 or g.chance(0.25):
        return None
    if many and g.chance(0.3):
        count = int(g.rng.integers(1, ndim + 1))
        return tuple(int(a) for a in g.rng.choice(ndim, count, replace=False))
    return int(g.rng.integers(-ndim, ndim))


def sample_reduce(g: _Generator, op: str) -> None:
    k = g.pick()
    if k is None:
        return
    axis = _axis(g, g.values[k].ndim, many=op not in catalog.ARGREDUCE)
    g.add(op, (k,), axis=axis, keepdims=g.chance(0.3))


def sample_scan(g: _Generator, op: str) -> None:
    k = g.pick()
    if k is None:
        return
    ndim = g.values[k].ndim
    g.add(op, (k,), dim=int(g.rng.integers(-ndim, ndim)) if ndim else g.choice([0, -1]))


def sample_reshape(g: _Generator, op: str) -> None:
    k = g.pick()
    if k is None:
        return
    t = g.values[k]
    if _static(t.node.shape):
        total = int(np.prod(t.shape, dtype=np.int64))
        dims = _factor(g, total)
        if total and len(dims) > 1 and g.chance(0.4):
            dims[int(g.rng.integers(len(dims)))] = -1
        shape = tuple(dims)
    else:
        shape = g.choice([(-1,), (1, -1), (-1, 1)])
    g.add("reshape", (k,), shape=shape)


def _factor(g: _Generator, total: int) -> list[int]:
    """`total` as a product of 1-3 dims (in a random order), ones included sometimes."""
    dims = []
    rest = total
    for _ in range(int(g.rng.integers(0, 3))):
        divisors = [d for d in range(1, rest + 1) if rest % d == 0] if rest else [0, 1]
        d = g.choice(divisors)
        dims.append(d)
        rest = rest // d if d else rest
    dims.append(rest)
    g.rng.shuffle(dims)
    return [int(d) for d in dims]


def sample_view(g: _Generator, op: str) -> None:
    """squeeze, unsqueeze, broadcast_to, permute, transpose, getitem, flip, pad."""
    k = g.pick((lambda t: t.ndim >= 2) if op == "transpose" else (lambda t: True))
    if k is None:
        return
    t = g.values[k]
    ndim = t.ndim
    if op == "squeeze":
        axis = _axis(g, ndim, many=True)
        axes = range(ndim) if axis is None else [axis] if isinstance(axis, int) else axis
        drop = tuple(sorted({a % ndim for a in axes if t.node.shape[a] == 1})) if ndim else ()
        g.add(op, (k,), axis=axis, drop=drop)
    elif op == "unsqueeze":
        g.add(op, (k,), axis=int(g.rng.integers(-ndim - 1, ndim + 1)))
    elif op == "broadcast_to":
        dims = g.shape_params(t)
        if dims is not None:
            lead = tuple(g.size() for _ in range(int(g.rng.integers(0, 3))))
            g.add(op, (k,), shape=lead + tuple(g.size() if d == 1 and g.chance(0.7) else d for d in dims))
    elif op == "permute":
        g.add(op, (k,), dims=tuple(int(d) for d in g.rng.permutation(ndim)))
    elif op == "transpose":
        g.add(op, (k,), dim0=int(g.rng.integers(-ndim, ndim)), dim1=int(g.rng.integers(-ndim, ndim)))
    elif op == "flip":
        g.add(op, (k,), axis=_axis(g, ndim))
    elif op == "pad":
        form = g.choice(["int", "pair", "each"])
        widths = (int(g.rng.integers(0, 3)) if form == "int" else
                  (int(g.rng.integers(0, 3)), int(g.rng.integers(0, 3))) if form == "pair" else
                  tuple((int(g.rng.integers(0, 3)), int(g.rng.integers(0, 3))) for _ in range(ndim)))
        g.add(op, (k,), widths=widths, value=g.scalar_for(t.dtype.name) if not g.profile.smooth else 0.5)
    else:
        g.add("getitem", (k,), index=_random_index(g, t))


def _random_index(g: _Generator, t) -> tuple:
    entries = []
    for d in t.node.shape[:int(g.rng.integers(0, t.ndim + 1))]:
        if g.chance(0.1):
            entries.append(("new",))
        if isinstance(d, int) and d > 0 and g.chance(0.25):
            entries.append(("i", int(g.rng.integers(-d, d))))
            continue
        if isinstance(d, int):
            bound = d + 2
            start = g.choice([None, int(g.rng.integers(-bound, bound))])
            stop = g.choice([None, int(g.rng.integers(-bound, bound))])
            step = g.choice([None, 1, 2, -1, -2, 3])
        else:
            start, stop, step = g.choice([None, 0, 1]), g.choice([None, -1]), g.choice([None, 1, 2])
        entries.append(("s", start, stop, step))
    if g.chance(0.15):
        entries.insert(int(g.rng.integers(len(entries) + 1)), ("...",))
    return tuple(entries)


def sample_sort(g: _Generator, op: str) -> None:
    """argsort or sort along a random dim, either order."""
    k = g.pick()
    if k is None:
        return
    ndim = g.values[k].ndim
    g.add(op, (k,), dim=int(g.rng.integers(-max(ndim, 1), max(ndim, 1))), descending=g.chance(0.5))


def sample_indexing(g: _Generator, op: str) -> None:
    """take: a list of positions along an axis of static size; setitem: a scalar into a basic
    index; masked_sum: the sum of the elements of a numeric value above -1, 0 or 1."""
    k = g.pick()
    if k is None:
        return
    t = g.values[k]
    if op == "masked_sum":
        k = g.pick(lambda t: t.ndim > 0 and t.dtype.name != "bool")
        if k is not None:
            g.add(op, (k,), above=int(g.rng.integers(-1, 2)))
        return
    if op == "setitem":
        g.add(op, (k,), index=_random_index(g, t),
              value=g.scalar_for(t.dtype.name) if not g.profile.smooth else 0.5)
        return
    axes = [a for a, d in enumerate(t.shape) if isinstance(d, int) and d > 0]
    if axes:
        axis = g.choice(axes)
        d = t.shape[axis]
        positions = tuple(int(v) for v in g.rng.integers(-d, d, int(g.rng.integers(0, 5))))
        g.add(op, (k,), axis=axis, positions=positions)


def sample_join(g: _Generator, op: str) -> None:
    """cat along an axis (other dims equal) or stack (all dims equal), of 2-3 operands."""
    found = g.pick_shaped(lambda t: t.ndim > 0 or op == "stack")
    if found is None:
        return
    k, dims = found
    extra = int(op == "stack")  # stack adds an axis
    axis = int(g.rng.integers(-len(dims) - extra, len(dims) + extra))
    args = [k]
    for _ in range(int(g.rng.integers(1, 3))):
        shape = list(dims)
        if op == "cat" and g.chance(0.5):
            shape[axis] = g.size()
        args.append(k if g.chance(0.2) else g.with_shape(tuple(shape)))
    g.add(op, tuple(args), axis=axis)


def sample_linalg(g: _Generator, op: str) -> None:
    found = g.pick_shaped(lambda t: t.ndim == 1 if op == "dot" else 1 <= t.ndim <= 3)
    if found is None:
        return
    k, dims = found
    numeric = [d for d in g.profile.dtypes if d != "bool"] or None
    if op == "matmul" and g.chance(0.25):  # k on the right: other @ k
        rows = dims[-2] if len(dims) >= 2 else dims[0]
        other = g.with_shape((g.size(), rows) if g.chance(0.7) else (rows,), numeric)
        g.add(op, (other, k))
        return
    contracted = dims[-1]
    if op == "dot" or g.chance(0.3):
        shape = (contracted,)
    elif len(dims) == 3 and g.chance(0.5):
        shape = (g.choice([1, dims[0]]), contracted, g.size())
    else:
        shape = (contracted, g.size())
    g.add(op, (k, g.with_shape(shape, numeric)))


def sample_composite(g: _Generator, op: str) -> None:
    k = g.pick(lambda t: t.ndim > 0)
    if k is None:
        return
    axis = int(g.rng.integers(-g.values[k].ndim, g.values[k].ndim))
    g.add(op, (k,), axis=axis, keepdims=g.chance(0.3)) if op == "logsumexp" else g.add(op, (k,), axis=axis)


def sample_leaf(g: _Generator, op: str) -> None:
    dtype = g.choice([d for d in g.profile.dtypes if d != "bool"] or g.profile.dtypes)
    if op == "arange":
        floating = dtype.startswith("float")
        start, step = int(g.rng.integers(-4, 4)), g.choice([1, 2, -1, 3])
        stop = start + step * int(g.rng.integers(0, 6))
        if floating:
            start, stop, step = start / 2, stop / 2 + 0.25 * np.sign(step), step / 2
        g.add(op, (), start=start, stop=stop, step=step, dtype=dtype)
    elif op == "eye":
        n, m = (int(v) for v in g.rng.integers(0, 4, 2))
        g.add(op, (), n=n, m=m, dtype=g.choice(g.profile.dtypes))
    elif op == "full":
        shape = tuple(g.size() for _ in range(int(g.rng.integers(0, 3))))
        g.add(op, (), shape=shape, value=g.scalar_for(dtype), dtype=dtype)
    else:
        shape = tuple(g.size() for _ in range(int(g.rng.integers(0, 3))))
        data = random_values(g.rng, dtype, shape, g.choice(g.profile.styles))
        g.add(op, (), data=_nested(data.tolist()), dtype=dtype)


def _nested(value):
    return tuple(_nested(v) for v in value) if isinstance(value, list) else value


SAMPLERS = {"unary": sample_unary, "binary": sample_binary, "compare": sample_binary,
            "logical": sample_binary, "where": sample_binary, "cast": sample_cast,
            "reduce": sample_reduce, "argreduce": sample_reduce, "scan": sample_scan, "shape": sample_view,
            "join": sample_join, "linalg": sample_linalg, "composite": sample_composite,
            "leaf": sample_leaf, "reshape": sample_reshape, "sort": sample_sort,
            "indexing": sample_indexing}


# ------------------------------------------------------------------ programs

def _outputs(g: _Generator) -> tuple[int, ...]:
    """1-3 outputs, sinks first (values nothing else reads), distinct nodes where asked."""
    used = {a for s in g.steps for a in s.args}
    first = len(g.inputs)
    steps = [k for k in range(len(g.values)) if g.kinds[k] == "step"
             and (g.values[k].dtype.is_floating_point or not g.profile.smooth)]
    sinks = [k for k in steps if k not in used] or steps or list(range(first))
    chosen = [sinks[-1] if g.chance(0.6) else g.choice(sinks)]
    for _ in range(int(g.rng.choice([0, 1, 2], p=[0.5, 0.35, 0.15]))):
        pool = sinks if g.chance(0.6) else list(range(len(g.values)))
        fresh = [k for k in pool if k not in chosen]
        chosen.append(g.choice(fresh) if fresh and g.chance(0.9) else g.choice(pool))
    return tuple(chosen)


def _reorder(g: _Generator) -> Program:
    """The program with its inputs first: inputs added mid-way are moved in front of the steps."""
    order = [k for k in range(len(g.values)) if g.kinds[k] == "input"] + \
            [k for k in range(len(g.values)) if g.kinds[k] == "step"]
    renumber = {old: new for new, old in enumerate(order)}
    steps = tuple(Step(s.op, tuple(renumber[a] for a in s.args), s.params) for s in g.steps)
    return Program(tuple(g.inputs), steps, tuple(renumber[o] for o in _outputs(g))).compact()


def generate_program(rng: np.random.Generator, profile: Profile) -> tuple[Program, int]:
    """A random program of the profile, and how many calls graphc refused while growing it."""
    g = _Generator(rng, profile)
    for _ in range(int(rng.integers(1, 3))):
        g.new_input()
    names = [n for n, _ in profile.weights]
    weights = np.array([w for _, w in profile.weights])
    target = int(rng.integers(profile.steps[0], profile.steps[1] + 1))
    attempts = 0
    while len(g.steps) < target and attempts < 8 * target:
        attempts += 1
        op = names[int(rng.choice(len(names), p=weights / weights.sum()))]
        sampler = SAMPLERS.get(op) or SAMPLERS[CATALOG[op].family]
        sampler(g, op)
    if not g.steps:
        g.add("neg", (g.new_input(dtype="float64" if profile.smooth else "float32"),))
    return _reorder(g), g.rejected


def random_arguments(rng: np.random.Generator, program: Program, binding: dict[str, int],
                     profile: Profile) -> tuple[Argument, ...]:
    arguments = []
    for i in program.inputs:
        shape = i.concrete(binding)
        layout = random_layout(rng, shape)
        values = random_values(rng, i.dtype, shape, str(rng.choice(list(profile.styles))))
        arguments.append(Argument(fit_layout(values, layout), layout))
    return tuple(arguments)


def random_bindings(rng: np.random.Generator, symbols: list[str], profile: Profile) -> list[dict[str, int]]:
    """Two bindings of the symbols (the compiled function is called twice), or one if there are none."""
    if not symbols:
        return [{}]
    sizes = [0, 1, 2, 3, 4, 5] if profile.empty else [1, 2, 3, 4]
    return [{s: int(rng.choice(sizes)) for s in symbols} for _ in range(2)]


def generate(seed: int, profile: Profile = GRAPHS) -> Case:
    """The case of `seed`: a program, its bindings and its arguments."""
    rng = np.random.default_rng([seed, sum(map(ord, profile.name))])
    program, rejected = generate_program(rng, profile)
    bindings = random_bindings(rng, program.symbols(), profile)
    arguments = tuple(random_arguments(rng, program, b, profile) for b in bindings)
    return Case(program, tuple(tuple(sorted(b.items())) for b in bindings), arguments, seed,
                notes=(f"profile={profile.name}", f"rejected={rejected}"))
