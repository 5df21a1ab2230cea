"""Samplers: which dataset indices a loader visits, in what order, and how they group into batches."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any, Generic, TypeVar

import numpy as np

import ember
from ember import Generator, Tensor

from ._rng import fresh_generator, permutation, uniform
from .dataset import _sized_len

__all__ = [
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
]

T_co = TypeVar("T_co", covariant=True)


class Sampler(Generic[T_co]):
    """Base class: iterate over indices (or lists of indices, for a batch sampler); ``__len__`` is optional."""

    def __init__(self, data_source: Sized | None = None) -> None:
        pass

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class SequentialSampler(Sampler[int]):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


def _check_count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value!r}")
    return value


class RandomSampler(Sampler[int]):
    """A random order of the indices; with ``replacement=True``, ``num_samples`` independent draws.

    Without replacement and ``num_samples > len(data_source)``, whole permutations
    follow one another (as PyTorch does). ``generator`` (an `ember.Generator`)
    makes the order reproducible; None draws a fresh seed from ember's default
    generator at every ``iter()``.
    """

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: Generator | None = None,
    ) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement!r}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if num_samples is not None:
            _check_count("num_samples", num_samples)

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        g = fresh_generator(self.generator)
        if self.replacement:
            if n == 0:
                raise ValueError("RandomSampler: cannot draw with replacement from an empty data source")
            return self._with_replacement(n, g)
        if self.num_samples == n:
            return iter(permutation(n, g))  # a list iterator: the loader's batching then runs in C
        return self._permutations(n, g)

    def _with_replacement(self, n: int, g: Generator) -> Iterator[int]:
        for start in range(0, self.num_samples, 32768):  # in chunks: num_samples may be huge
            count = min(32768, self.num_samples - start)
            yield from ember.randint(0, n, (count,), generator=g).tolist()

    def _permutations(self, n: int, g: Generator) -> Iterator[int]:
        if n == 0:
            return
        for _ in range(self.num_samples // n):
            yield from permutation(n, g)
        if self.num_samples % n:
            yield from permutation(n, g)[: self.num_samples % n]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given indices in a random order."""

    def __init__(self, indices: Sequence[int], generator: Generator | None = None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        for i in permutation(len(self.indices), fresh_generator(self.generator)):
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """``num_samples`` indices drawn with probability proportional to ``weights`` (need not sum to 1)."""

    def __init__(
        self,
        weights: Sequence[float] | Tensor | np.ndarray,
        num_samples: int,
        replacement: bool = True,
        generator: Generator | None = None,
    ) -> None:
        _check_count("num_samples", num_samples)
        if not isinstance(replacement, bool):  # a ValueError here, a TypeError in RandomSampler: PyTorch's types
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement!r}")
        w = np.asarray(weights.numpy(force=True) if isinstance(weights, Tensor) else weights, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"weights should be a 1-d sequence, but given weights have shape {w.shape}")
        if w.size == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError("WeightedRandomSampler: weights must be finite, non-negative and not all zero")
        if not replacement and num_samples > np.count_nonzero(w):
            raise ValueError(
                f"WeightedRandomSampler: cannot draw {num_samples} samples without replacement from "
                f"{np.count_nonzero(w)} indices of non-zero weight"
            )
        self.weights = w
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        g = fresh_generator(self.generator)
        w = self.weights
        if self.replacement:
            cdf = np.cumsum(w)
            u = uniform(self.num_samples, g) * cdf[-1]
            idx = np.minimum(np.searchsorted(cdf, u, side="right"), len(w) - 1)
        else:
            # Exponential race: sort E_i / w_i with E_i ~ Exp(1); the first k are a weighted draw without replacement.
            with np.errstate(divide="ignore"):
                keys = -np.log1p(-uniform(len(w), g)) / w
            idx = np.argsort(keys, kind="stable")[: self.num_samples]
        return iter(idx.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list[int]]):
    """Groups another sampler's indices into lists of ``batch_size``; ``drop_last`` drops a short final one."""

    def __init__(self, sampler: Sampler[int] | Iterable[int], batch_size: int, drop_last: bool) -> None:
        _check_count("batch_size", batch_size)
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last!r}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        it = iter(self.sampler)
        size = self.batch_size
        while True:
            batch = list(itertools.islice(it, size))
            if not batch or (self.drop_last and len(batch) < size):
                return
            yield batch

    def __len__(self) -> int:
        n = _sized_len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
