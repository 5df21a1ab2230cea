"""Datasets: TensorDataset, ConcatDataset, Subset, StackDataset, ChainDataset, random_split."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.data import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)


class Squares(Dataset):
    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> int:
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i * i


class Count(IterableDataset):
    def __init__(self, start: int, stop: int) -> None:
        self.start, self.stop = start, stop

    def __iter__(self):
        return iter(range(self.start, self.stop))

    def __len__(self) -> int:
        return self.stop - self.start


def test_tensor_dataset_rows_match_numpy():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.arange(6)
    ds = TensorDataset(ember.tensor(x), ember.tensor(y))
    assert len(ds) == 6
    for i in (0, 3, 5, -1):
        xi, yi = ds[i]
        np.testing.assert_array_equal(xi.numpy(), x[i])
        assert yi.item() == y[i]


def test_tensor_dataset_size_mismatch_and_out_of_range():
    with pytest.raises(ValueError, match=r"size mismatch.*\(3,\).*\(4,\)"):
        TensorDataset(ember.zeros(3), ember.zeros(4))
    ds = TensorDataset(ember.zeros(3))
    with pytest.raises(IndexError, match="index 3 is out of range for a dataset of 3"):
        ds[3]


def test_concat_dataset_indexes_across_parts_like_a_list():
    a, b, c = Squares(3), Squares(0), Squares(4)
    ds = ConcatDataset([a, b, c])
    ref = [a[i] for i in range(3)] + [c[i] for i in range(4)]
    assert len(ds) == 7 and ds.cumulative_sizes == [3, 3, 7]
    assert [ds[i] for i in range(7)] == ref
    assert [ds[i] for i in range(-7, 0)] == ref
    with pytest.raises(IndexError, match="index 7 is out of range"):
        ds[7]
    assert [(a + c)[i] for i in range(7)] == [0, 1, 4, 0, 1, 4, 9]
    with pytest.raises(TypeError, match="IterableDataset"):
        ConcatDataset([Count(0, 2)])
    with pytest.raises(ValueError, match="empty"):
        ConcatDataset([])


def test_chain_dataset_and_iterable_add():
    assert list(ChainDataset([Count(0, 2), Count(5, 7)])) == [0, 1, 5, 6]
    assert list(Count(0, 2) + Count(3, 4)) == [0, 1, 3]
    assert len(ChainDataset([Count(0, 2), Count(5, 7)])) == 4


def test_subset_and_stack_dataset():
    sub = Subset(Squares(10), [9, 2, 2])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == [81, 4, 4]
    st = StackDataset(Squares(3), Squares(3))
    assert st[2] == (4, 4) and len(st) == 3
    sd = StackDataset(a=Squares(2), b=Squares(2))
    assert sd[1] == {"a": 1, "b": 1}
    with pytest.raises(ValueError, match="different lengths"):
        StackDataset(Squares(2), Squares(3))
    with pytest.raises(ValueError, match="not both"):
        StackDataset(Squares(2), b=Squares(2))


def test_random_split_counts_partition_and_reproducibility():
    ds = Squares(10)
    parts = random_split(ds, [3, 7], generator=ember.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [3, 7]
    idx = parts[0].indices + parts[1].indices
    assert sorted(idx) == list(range(10))
    again = random_split(ds, [3, 7], generator=ember.Generator().manual_seed(1))
    assert again[0].indices == parts[0].indices and again[1].indices == parts[1].indices
    other = random_split(ds, [3, 7], generator=ember.Generator().manual_seed(2))
    assert other[0].indices + other[1].indices != idx
    # The permutation is ember.randperm's with the same generator (one shared definition of "shuffle").
    assert idx == ember.randperm(10, generator=ember.Generator().manual_seed(1)).tolist()


def test_random_split_fractions_like_pytorch():
    # floor(n * f) each, then the remainder one by one from the first split (PyTorch's rule).
    parts = random_split(Squares(10), [0.5, 0.3, 0.2], generator=ember.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [5, 3, 2]
    parts = random_split(Squares(11), [0.34, 0.33, 0.33], generator=ember.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [4, 4, 3]
    with pytest.warns(UserWarning, match="will be empty"):
        parts = random_split(Squares(2), [0.9, 0.1])
    assert [len(p) for p in parts] == [2, 0]


def test_random_split_default_generator_follows_manual_seed():
    ember.manual_seed(123)
    a = random_split(Squares(20), [10, 10])[0].indices
    ember.manual_seed(123)
    b = random_split(Squares(20), [10, 10])[0].indices
    assert a == b


def test_random_split_bad_lengths():
    # PyTorch's words first, then the numbers
    with pytest.raises(ValueError, match=r"Sum of input lengths does not equal the length of the input dataset!.*"
                                         r"lengths sum to 9, the dataset has 10 samples"):
        random_split(Squares(10), [4, 5])
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset!"):
        random_split(Squares(10), [0.5, 0.6])
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        random_split(Squares(10), [1.2, -0.2])
    with pytest.raises(ValueError, match="non-negative"):
        random_split(Squares(10), [11, -1])


def test_subset_getitems_fetches_a_batch_through_the_dataset():
    # PyTorch's Subset.__getitems__: the DataLoader's batched fetch, mapped through the indices
    seen = []

    class Batched(Squares):
        def __getitems__(self, indices):
            seen.append(list(indices))
            return [self[i] for i in indices]

    sub = Subset(Batched(10), [7, 2, 5])
    assert sub.__getitems__([0, 2]) == [Squares(10)[7], Squares(10)[5]] and seen == [[7, 5]]
    assert Subset(Squares(10), [3, 1]).__getitems__([1, 0]) == [Squares(10)[1], Squares(10)[3]]


def test_concat_dataset_out_of_range_errors_as_pytorch():
    cd = ConcatDataset([Squares(3), Squares(4)])
    assert cd[-7] == 0 and cd[-1] == 9
    with pytest.raises(IndexError, match="index 7 is out of range"):
        cd[7]
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        cd[-8]
