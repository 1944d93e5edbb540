"""Random tensors, as PyTorch's `rand`, `randn`, `randint` (eager: drawn when called).

A random tensor is drawn on the host when the function is called and enters the graph as a
constant (a parameter if it requires gradients): a compiled function that reads it sees the
same values at every call, as a traced PyTorch program would. Draws come from a
`Generator` (NumPy's PCG64), the default one unless `generator=` names another; the same
seed gives the same values, though not PyTorch's values.
"""

from __future__ import annotations

import threading

import numpy as np

from graphc import dtypes
from graphc.dtypes import as_dtype
from graphc.ops import build_error
from graphc.shapes import as_shape, format_shape
from graphc.tensor import Tensor

DEFAULT_SEED = 67280421310721  # the default generator's seed until manual_seed, as PyTorch's


class Generator:
    """A source of random tensors: `graphc.Generator().manual_seed(0)`; thread-safe."""

    def __init__(self, device: str = "cpu"):
        self.device = device
        self._lock = threading.Lock()
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from `seed` (a non-negative int); returns the generator."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"a seed is an int, not {seed!r}")
        if seed < 0:
            raise ValueError(f"a seed is non-negative, not {seed}")
        with self._lock:
            self._seed = int(seed)
            self._rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def initial_seed(self) -> int:
        """The seed the stream last started from."""
        return self._seed

    def seed(self) -> int:
        """Restart the stream from a fresh nondeterministic seed, and return that seed."""
        seed = int(np.random.SeedSequence().entropy % 2**63)
        self.manual_seed(seed)
        return seed

    def draw(self, how) -> np.ndarray:
        """`how(numpy_generator)`, under the generator's lock."""
        with self._lock:
            return how(self._rng)


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (PyTorch's `torch.manual_seed`); returns it."""
    return default_generator.manual_seed(seed)


def initial_seed() -> int:
    """The seed the default generator started from (or was last given)."""
    return default_generator.initial_seed()


def seed() -> int:
    """Seed the default generator from the OS's entropy; returns the seed it chose."""
    return default_generator.seed()


def _size(op: str, size: tuple) -> tuple[int, ...]:
    """The static shape a random tensor is drawn in (from `rand(2, 3)` or `rand((2, 3))`)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    shape = as_shape(size)
    if not all(isinstance(d, int) for d in shape):
        raise build_error(op, f"draws its values when called, so needs static sizes, not"
                          f" {format_shape(shape)}; a random tensor is a constant in the graph")
    return shape


def _made(array: np.ndarray, requires_grad: bool, device) -> Tensor:
    from graphc.functional import tensor

    return tensor(array, requires_grad=requires_grad, device=device)


def _floating(op: str, dtype):
    dtype = dtypes.DEFAULT_FLOAT if dtype is None else as_dtype(dtype)
    if not dtype.is_floating_point:
        raise build_error(op, f"draws floating-point values, not {dtype.name}")
    return dtype


def rand(*size, generator: Generator | None = None, dtype=None, requires_grad: bool = False,
         device=None) -> Tensor:
    """Values uniform on [0, 1), drawn now (a constant in the graph)."""
    shape, dtype = _size("rand", size), _floating("rand", dtype)
    array = (generator or default_generator).draw(lambda rng: rng.random(shape)).astype(dtype.numpy)
    below_one = np.nextafter(dtype.numpy.type(1), dtype.numpy.type(0))  # rounding may reach 1
    return _made(np.minimum(array, below_one), requires_grad, device)


def randn(*size, generator: Generator | None = None, dtype=None, requires_grad: bool = False,
          device=None) -> Tensor:
    """Values from the standard normal distribution, drawn now (a constant in the graph)."""
    shape, dtype = _size("randn", size), _floating("randn", dtype)
    array = (generator or default_generator).draw(lambda rng: rng.standard_normal(shape))
    return _made(array.astype(dtype.numpy), requires_grad, device)


def randint(low, high=None, size=None, *, generator: Generator | None = None, dtype=None,
            requires_grad: bool = False, device=None) -> Tensor:
    """Integers uniform on [low, high) (`randint(high, size)` starts at 0), int64 unless `dtype`
    says otherwise, drawn now (a constant in the graph)."""
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=size)
        low, high = 0, low
    if size is None:
        raise TypeError("randint needs a size: randint(high, size) or randint(low, high, size)")
    for bound in (low, high):
        if isinstance(bound, bool) or not isinstance(bound, (int, np.integer)):
            raise TypeError(f"randint's bounds are ints, not {bound!r}")
    if high <= low:
        raise build_error("randint", f"needs low < high, got low={low}, high={high}")
    shape = _size("randint", (size,))
    dtype = dtypes.DEFAULT_INT if dtype is None else as_dtype(dtype)
    if dtype.category == 1:
        info = np.iinfo(dtype.numpy)
        if low < info.min or high - 1 > info.max:
            raise build_error("randint", f"values in [{low}, {high}) do not fit in {dtype.name}")
    array = (generator or default_generator).draw(lambda rng: rng.integers(low, high, shape))
    return _made(array.astype(dtype.numpy), requires_grad, device)


def _like(x, dtype):
    from graphc.functional import _tensor

    x = _tensor(x)
    return tuple(x.shape), x.dtype if dtype is None else dtype


def rand_like(x, *, generator: Generator | None = None, dtype=None, requires_grad: bool = False,
              device=None) -> Tensor:
    """`rand` of `x`'s shape and dtype."""
    shape, dtype = _like(x, dtype)
    return rand(shape, generator=generator, dtype=dtype, requires_grad=requires_grad, device=device)


def randn_like(x, *, generator: Generator | None = None, dtype=None, requires_grad: bool = False,
               device=None) -> Tensor:
    """`randn` of `x`'s shape and dtype."""
    shape, dtype = _like(x, dtype)
    return randn(shape, generator=generator, dtype=dtype, requires_grad=requires_grad, device=device)


def randint_like(x, low, high=None, *, generator: Generator | None = None, dtype=None,
                 requires_grad: bool = False, device=None) -> Tensor:
    """`randint` of `x`'s shape and dtype (`randint_like(x, high)` starts at 0)."""
    if high is None:
        low, high = 0, low
    shape, dtype = _like(x, dtype)
    return randint(low, high, shape, generator=generator, dtype=dtype, requires_grad=requires_grad,
                   device=device)
