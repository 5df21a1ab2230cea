"""Datasets: the map-style and iterable protocols and the ways to combine them.

The names and behaviour follow ``torch.utils.data``: a map-style `Dataset`
answers ``dataset[i]`` and ``len(dataset)``; an `IterableDataset` is a stream.
"""

from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any, Generic, TypeVar

from ember import Generator, Tensor

from ._rng import permutation

__all__ = [
    "Dataset",
    "IterableDataset",
    "TensorDataset",
    "StackDataset",
    "ConcatDataset",
    "ChainDataset",
    "Subset",
    "random_split",
]

T_co = TypeVar("T_co", covariant=True)
T = TypeVar("T")


def _sized_len(obj: object) -> int:
    """``len(obj)`` for a dataset or sampler, whose base classes declare no ``__len__`` (as in PyTorch).

    Raises the TypeError that ``len`` itself raises when `obj` has none.
    """
    if not isinstance(obj, Sized):
        raise TypeError(f"object of type {type(obj).__name__!r} has no len()")
    return len(obj)


class Dataset(Generic[T_co]):
    """A map-style dataset: subclass it and define ``__getitem__`` (and ``__len__`` for samplers)."""

    def __getitem__(self, index: Any) -> T_co:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other: Dataset[T_co]) -> ConcatDataset[T_co]:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co]):
    """A dataset that is a stream: subclass it and define ``__iter__``.

    With ``num_workers > 0`` every worker iterates its own copy; split the work
    between them with `ember.data.get_worker_info()` or samples repeat.
    """

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __add__(self, other: Dataset[T_co]) -> ChainDataset[T_co]:  # type: ignore[override]  # streams chain (PyTorch's API)
        return ChainDataset([self, other])


class TensorDataset(Dataset[tuple[Tensor, ...]]):
    """Samples are the rows ``(t[i] for t in tensors)`` of tensors that share their first dimension."""

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        sizes = [t.shape[0] if t.shape else None for t in tensors]
        if None in sizes or len(set(sizes)) != 1:
            shapes = ", ".join(str(tuple(t.shape)) for t in tensors)
            raise ValueError(f"TensorDataset: size mismatch between tensors: all need the same first dimension, got shapes {shapes}")
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        n = self.tensors[0].shape[0]
        if isinstance(index, int) and not -n <= index < n:
            raise IndexError(f"TensorDataset index {index} is out of range for a dataset of {n} samples")
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class StackDataset(Dataset[T_co]):
    """Zips datasets of equal length: ``StackDataset(a, b)[i] == (a[i], b[i])``; keywords give dicts."""

    def __init__(self, *args: Dataset[Any], **kwargs: Dataset[Any]) -> None:
        if args and kwargs:
            raise ValueError("StackDataset takes either positional datasets (tuple samples) or keyword datasets (dict samples), not both")
        if not args and not kwargs:
            raise ValueError("StackDataset needs at least one dataset")
        parts: Sequence[Any] = args or list(kwargs.values())
        lengths = {len(d) for d in parts}
        if len(lengths) != 1:
            raise ValueError(f"StackDataset: the datasets have different lengths {sorted(lengths)}; they must all be equal")
        self._length = lengths.pop()
        self.datasets: tuple[Dataset[Any], ...] | dict[str, Dataset[Any]] = args if args else dict(kwargs)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self) -> int:
        return self._length


class ConcatDataset(Dataset[T_co]):
    """Map-style datasets one after another: index ``len(a)`` is ``b[0]``."""

    def __init__(self, datasets: Iterable[Dataset[Any]]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset (use ChainDataset)")
        self.cumulative_sizes: list[int] = []
        total = 0
        for d in self.datasets:
            total += _sized_len(d)
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> T_co:
        n = len(self)
        if index < -n:  # PyTorch's error (a ValueError) for a negative index past the start
            raise ValueError(
                f"absolute value of index should not exceed dataset length (ConcatDataset index {index}, {n} samples)"
            )
        if index >= n:
            raise IndexError(f"ConcatDataset index {index} is out of range for a dataset of {n} samples")
        if index < 0:
            index += n
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


class ChainDataset(IterableDataset[T_co]):
    """Iterable datasets one after another."""

    def __init__(self, datasets: Iterable[Dataset[Any]]) -> None:
        self.datasets = list(datasets)

    def __iter__(self) -> Iterator[T_co]:
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError(f"ChainDataset only chains IterableDatasets, got {type(d).__name__}")
            yield from d

    def __len__(self) -> int:
        return sum(_sized_len(d) for d in self.datasets)


class Subset(Dataset[T_co]):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset: Dataset[T_co], indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index: Any) -> T_co:
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices: list[int]) -> list[T_co]:
        """The samples at `indices` (PyTorch's batched fetch): through the dataset's own `__getitems__` if any."""
        many = getattr(self.dataset, "__getitems__", None)
        if callable(many):
            return many([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)


def _split_lengths(n: int, lengths: Sequence[int | float]) -> list[int]:
    """Fractions that sum to 1 become counts (the remainder goes round-robin); counts pass through."""
    if lengths and math.isclose(sum(lengths), 1.0) and sum(lengths) <= 1:
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1 (random_split got {list(lengths)})")
        counts = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, c in enumerate(counts):
            if c == 0:
                warnings.warn(f"random_split: length of split at index {i} is 0; this split will be empty", UserWarning, stacklevel=3)
        return counts
    for x in lengths:
        if isinstance(x, float) and not float(x).is_integer():
            raise ValueError(
                f"Sum of input lengths does not equal the length of the input dataset! (random_split: lengths must "
                f"be counts that sum to {n}, or fractions that sum to 1; got {list(lengths)})"
            )
        if x < 0:
            raise ValueError(f"random_split: lengths must be non-negative, got {list(lengths)}")
    counts = [int(x) for x in lengths]
    if sum(counts) != n:
        raise ValueError(
            f"Sum of input lengths does not equal the length of the input dataset! (random_split: the lengths sum "
            f"to {sum(counts)}, the dataset has {n} samples)"
        )
    return counts


def random_split(dataset: Dataset[T], lengths: Sequence[int | float], generator: Generator | None = None) -> list[Subset[T]]:
    """Split `dataset` into non-overlapping random subsets of the given counts or fractions.

    ``generator`` (an `ember.Generator`) makes the split reproducible; None uses
    the default generator, so `ember.manual_seed` does too.
    """
    n = _sized_len(dataset)
    counts = _split_lengths(n, lengths)
    perm = permutation(n, generator)
    out, start = [], 0
    for c in counts:
        out.append(Subset(dataset, perm[start : start + c]))
        start += c
    return out
