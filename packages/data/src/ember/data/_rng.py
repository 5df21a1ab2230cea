"""Random draws for samplers and loaders, from ember's Philox generators.

Everything random in ember.data (shuffles, splits, worker seeds) goes through an
`ember.Generator`, so `ember.manual_seed(s)` or a loader's `generator=` makes it
reproducible, exactly as `torch.Generator` does for torch.utils.data.
"""

from __future__ import annotations

import numpy as np

import ember
from ember import Generator

__all__ = ["new_seed", "fresh_generator", "permutation", "uniform"]


def new_seed(generator: Generator | None = None) -> int:
    """A 63-bit seed drawn from `generator` (the default cpu generator when None)."""
    hi, lo = ember.random_bits(2, generator=generator).tolist()
    return ((int(hi) << 32) | int(lo)) & (2**63 - 1)


def fresh_generator(generator: Generator | None) -> Generator:
    """`generator` itself, or a new one seeded from the default generator (PyTorch's rule for samplers)."""
    if generator is not None:
        return generator
    return Generator().manual_seed(new_seed())


def permutation(n: int, generator: Generator | None) -> list[int]:
    """A random permutation of range(n) as a list of ints."""
    if n == 0:
        return []
    return ember.randperm(n, generator=generator).tolist()


def uniform(n: int, generator: Generator | None) -> np.ndarray:
    """`n` float64 uniforms in [0, 1) on the host."""
    return np.asarray(ember.rand(n, generator=generator, dtype=ember.float64).numpy(), dtype=np.float64)
