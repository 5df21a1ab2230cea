"""`DistributedSampler`: each of ``num_replicas`` processes sees its own share of a dataset."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sized

from ember import Generator

from ._rng import permutation
from .sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler[int]):
    """Indices ``rank, rank + num_replicas, ...`` of one (optionally shuffled) order shared by all ranks.

    ``num_replicas`` and ``rank`` default to the world size and rank of `ember.distributed`'s process group.
    Every rank gets the same number of indices: without ``drop_last`` the order is padded by repeating its
    start, with it the tail is dropped. Each new iteration advances the epoch by itself, so the shuffle changes
    from epoch to epoch even without `set_epoch` (PyTorch repeats the first epoch's order then);
    ``set_epoch(e)`` still makes the next iteration use epoch ``e`` (and the ones after it ``e + 1``, ...).
    All ranks must use the same ``seed``.
    """

    def __init__(
        self,
        dataset: Sized,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None or rank is None:
            from ember import distributed as dist

            if not dist.is_initialized():
                raise ValueError(
                    "DistributedSampler: pass num_replicas (the world size) and rank explicitly, or call "
                    "ember.distributed.init_process_group() first so they are read from the process group"
                )
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if isinstance(num_replicas, bool) or not isinstance(num_replicas, int) or num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be a positive integer, got {num_replicas!r}")
        if isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank!r}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.shuffle = shuffle
        self.seed = seed
        self.drop_last = drop_last
        self.epoch = 0
        self._next_epoch = 0  # the epoch the next iteration uses
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        epoch = self.epoch = self._next_epoch
        self._next_epoch = epoch + 1
        n = len(self.dataset)
        if self.shuffle:
            indices = permutation(n, Generator().manual_seed(self.seed + epoch))
        else:
            indices = list(range(n))
        if not self.drop_last:
            pad = self.total_size - len(indices)
            if pad > 0 and indices:
                indices += (indices * math.ceil(pad / len(indices)))[:pad]
        else:
            indices = indices[: self.total_size]
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use this epoch's shuffle (the same on every rank) for the next iteration; later ones go on from it."""
        self.epoch = epoch
        self._next_epoch = epoch
