"""Samplers: lengths, orders, reproducibility, and the distributions they draw from."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import ember
from ember.data import (
    BatchSampler,
    DataLoader,
    DistributedSampler,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
)


def gen(seed: int) -> ember.Generator:
    return ember.Generator().manual_seed(seed)


def test_sequential_sampler():
    assert list(SequentialSampler(range(5))) == [0, 1, 2, 3, 4]
    assert len(SequentialSampler(range(5))) == 5


def test_random_sampler_is_a_reproducible_permutation():
    a = list(RandomSampler(range(50), generator=gen(3)))
    assert sorted(a) == list(range(50)) and a != list(range(50))
    assert a == list(RandomSampler(range(50), generator=gen(3)))
    assert a != list(RandomSampler(range(50), generator=gen(4)))
    # One generator, two epochs: two different orders, the same pair again from the same seed.
    g = gen(3)
    s = RandomSampler(range(50), generator=g)
    e1, e2 = list(s), list(s)
    assert e1 == a and e2 != e1
    g.manual_seed(3)
    assert [list(s), list(s)] == [e1, e2]


def test_random_sampler_without_generator_follows_manual_seed():
    ember.manual_seed(7)
    a = list(RandomSampler(range(30)))
    ember.manual_seed(7)
    assert list(RandomSampler(range(30))) == a


def test_random_sampler_num_samples_and_replacement():
    s = RandomSampler(range(4), num_samples=10, generator=gen(0))
    out = list(s)
    assert len(s) == 10 and len(out) == 10
    # Without replacement, whole permutations follow one another, then a partial one.
    assert sorted(out[:4]) == [0, 1, 2, 3] and sorted(out[4:8]) == [0, 1, 2, 3] and len(set(out[8:])) == 2
    r = RandomSampler(range(3), replacement=True, num_samples=3000, generator=gen(0))
    draws = np.array(list(r))
    assert len(r) == 3000 and set(draws.tolist()) == {0, 1, 2}
    np.testing.assert_allclose(np.bincount(draws) / 3000, [1 / 3] * 3, atol=0.04)
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(TypeError, match="replacement should be a boolean"):
        RandomSampler(range(3), replacement=1)
    # PyTorch raises a ValueError for the same mistake in WeightedRandomSampler
    with pytest.raises(ValueError, match="replacement should be a boolean value, but got replacement=1"):
        WeightedRandomSampler([1.0, 2.0], 2, replacement=1)


def test_subset_random_sampler():
    s = SubsetRandomSampler([10, 20, 30, 40], generator=gen(1))
    out = list(s)
    assert sorted(out) == [10, 20, 30, 40] and len(s) == 4
    assert out == list(SubsetRandomSampler([10, 20, 30, 40], generator=gen(1)))


def test_weighted_random_sampler_frequencies():
    w = [1.0, 0.0, 3.0, 6.0]
    s = WeightedRandomSampler(w, 20000, generator=gen(0))
    counts = np.bincount(list(s), minlength=4) / 20000
    assert counts[1] == 0
    np.testing.assert_allclose(counts, np.array(w) / sum(w), atol=0.015)
    assert list(s) != list(s)  # the generator advances
    assert list(WeightedRandomSampler(w, 50, generator=gen(5))) == list(WeightedRandomSampler(w, 50, generator=gen(5)))


def test_weighted_random_sampler_without_replacement():
    s = WeightedRandomSampler(ember.tensor([1.0, 1.0, 0.0, 100.0]), 3, replacement=False, generator=gen(0))
    for _ in range(20):
        out = list(s)
        assert sorted(out) == [0, 1, 3]  # all non-zero-weight indices, no repeats, never the zero weight
    # The heavy index comes first almost always: P(first = 3) = 100/102.
    firsts = [list(WeightedRandomSampler([1.0, 1.0, 100.0], 1, replacement=False, generator=gen(i)))[0] for i in range(200)]
    assert firsts.count(2) > 180
    with pytest.raises(ValueError, match="cannot draw 3 samples without replacement from 2"):
        WeightedRandomSampler([1.0, 0.0, 1.0], 3, replacement=False)
    with pytest.raises(ValueError, match="1-d"):
        WeightedRandomSampler([[1.0]], 1)
    with pytest.raises(ValueError, match="non-negative"):
        WeightedRandomSampler([1.0, -1.0], 1)


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 16])
@pytest.mark.parametrize("bs", [1, 3, 8])
@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler_len_matches_iteration(n, bs, drop_last):
    bsamp = BatchSampler(SequentialSampler(range(n)), bs, drop_last)
    batches = list(bsamp)
    assert len(bsamp) == len(batches) == (n // bs if drop_last else math.ceil(n / bs))
    flat = list(itertools.chain.from_iterable(batches))
    assert flat == list(range(len(flat)))
    assert all(len(b) == bs for b in batches[:-1])
    if drop_last and batches:
        assert len(batches[-1]) == bs


SAMPLERS = {
    "sequential": lambda n: dict(),
    "shuffle": lambda n: dict(shuffle=True, generator=gen(0)),
    "random_replacement": lambda n: dict(sampler=RandomSampler(range(n), replacement=True, num_samples=n + 3, generator=gen(0))),
    "random_num_samples": lambda n: dict(sampler=RandomSampler(range(n), num_samples=max(n - 2, 1), generator=gen(0))),
    "subset": lambda n: dict(sampler=SubsetRandomSampler(list(range(0, n, 2)), generator=gen(0))),
    "weighted": lambda n: dict(sampler=WeightedRandomSampler([1.0] * n, 5, generator=gen(0))),
    "distributed": lambda n: dict(sampler=DistributedSampler(range(n), num_replicas=3, rank=1, seed=0)),
    "list": lambda n: dict(sampler=[0, 1, 1, 2]),
}


@pytest.mark.parametrize("kind", sorted(SAMPLERS))
@pytest.mark.parametrize("batch_size,drop_last", [(None, False), (1, False), (1, True), (4, False), (4, True)])
def test_loader_len_for_every_sampler_and_drop_last(kind, batch_size, drop_last):
    n = 10
    ds = TensorDataset(ember.arange(n))
    loader = DataLoader(ds, batch_size=batch_size, drop_last=drop_last, **SAMPLERS[kind](n))
    batches = list(loader)
    assert len(loader) == len(batches)
    samples = len(loader.sampler)
    if batch_size is None:
        assert len(batches) == samples
    else:
        assert len(batches) == (samples // batch_size if drop_last else math.ceil(samples / batch_size))


def test_loader_with_a_batch_sampler():
    ds = TensorDataset(ember.arange(10))
    loader = DataLoader(ds, batch_sampler=[[0, 1, 2], [9], [4, 4]])
    assert [b[0].tolist() for b in loader] == [[0, 1, 2], [9], [4, 4]]
    assert len(loader) == 3
    bs = BatchSampler(RandomSampler(range(10), generator=gen(0)), 4, drop_last=True)
    loader = DataLoader(ds, batch_sampler=bs)
    assert len(loader) == 2 and [len(b[0]) for b in loader] == [4, 4]


def reference_distributed(n, replicas, rank, shuffle, seed, epoch, drop_last):
    """PyTorch's DistributedSampler arithmetic, written out independently."""
    order = ember.randperm(n, generator=gen(seed + epoch)).tolist() if shuffle else list(range(n))
    if drop_last and n % replicas:
        per = math.ceil((n - replicas) / replicas)
    else:
        per = math.ceil(n / replicas)
    total = per * replicas
    if drop_last:
        order = order[:total]
    else:
        while len(order) < total:
            order += order[: total - len(order)]
    return order[rank:total:replicas]


@pytest.mark.parametrize("n,replicas", [(10, 3), (9, 3), (2, 4), (7, 1)])
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("shuffle", [False, True])
def test_distributed_sampler_matches_reference_and_partitions(n, replicas, drop_last, shuffle):
    parts = []
    for rank in range(replicas):
        s = DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=shuffle, seed=5, drop_last=drop_last)
        s.set_epoch(2)
        got = list(s)
        assert got == reference_distributed(n, replicas, rank, shuffle, 5, 2, drop_last)
        assert len(got) == len(s)
        parts.append(got)
    assert len({len(p) for p in parts}) == 1  # every rank gets the same number
    flat = sorted(itertools.chain.from_iterable(parts))
    if drop_last:
        assert len(set(flat)) == len(flat) <= n  # no index twice
    else:
        assert set(flat) == set(range(n))  # every index at least once


def test_distributed_sampler_epochs_and_arguments():
    s = DistributedSampler(range(20), num_replicas=2, rank=0, seed=1)
    e0 = list(s)
    s.set_epoch(1)
    assert list(s) != e0
    s.set_epoch(0)
    assert list(s) == e0
    with pytest.raises(ValueError, match="pass num_replicas"):
        DistributedSampler(range(4))
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)


@pytest.mark.parametrize(
    "n,replicas,drop_last,expected",
    [  # torch.utils.data.DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=...) for each rank
        (10, 3, False, [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]),
        (10, 3, True, [[0, 3, 6], [1, 4, 7], [2, 5, 8]]),
        (2, 4, False, [[0], [1], [0], [1]]),
        (2, 4, True, [[], [], [], []]),
    ],
)
def test_distributed_sampler_known_values(n, replicas, drop_last, expected):
    got = [list(DistributedSampler(range(n), num_replicas=replicas, rank=r, shuffle=False, drop_last=drop_last)) for r in range(replicas)]
    assert got == expected
