"""Random chunkings of an array shape, uneven ones included, for the Dask tests."""

import itertools

import numpy as np


def random_chunks(rng: np.random.Generator, shape: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """Each dimension cut at random places: one chunk, many, of unequal sizes."""
    chunks = []
    for size in shape:
        pieces = int(rng.integers(1, min(size, 5) + 1))
        cuts = np.sort(rng.choice(np.arange(1, size), pieces - 1, replace=False)) if pieces > 1 else []
        edges = [0, *map(int, cuts), size]
        chunks.append(tuple(b - a for a, b in itertools.pairwise(edges)))
    return tuple(chunks)
