"""Tensors the printing tests print: seeded random values, and long runs of one value."""

import numpy as np


def normal(seed, shape):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def uniform(seed, shape, low, high):
    return np.random.default_rng(seed).uniform(low, high, shape).astype(np.float32)


def spliced(head, fill, tail, count=1000):
    """`head`, then `count` copies of `fill`, then `tail`, as float32."""
    return np.concatenate([head, np.full(count, fill), tail]).astype(np.float32)
