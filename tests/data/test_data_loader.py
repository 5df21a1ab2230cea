"""DataLoader in the main process: batching, shuffling, devices, iterable datasets, argument checks."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.data import DataLoader, Dataset, IterableDataset, RandomSampler, TensorDataset, get_worker_info


class Table(Dataset):
    """Sample i: (float32 features [i, 2i], int label i % 3)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        if not 0 <= i < self.n:
            raise IndexError(f"Table index {i} out of range")
        return np.array([i, 2 * i], np.float32), i % 3


class Stream(IterableDataset):
    def __init__(self, n: int) -> None:
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self) -> int:
        return self.n


def gen(seed: int) -> ember.Generator:
    return ember.Generator().manual_seed(seed)


def test_batches_match_a_numpy_reference():
    loader = DataLoader(Table(10), batch_size=4)
    got = [(x.numpy(), y.numpy()) for x, y in loader]
    idx = np.arange(10)
    ref_x = np.stack([idx, 2 * idx], 1).astype(np.float32)
    assert [len(g[0]) for g in got] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([g[0] for g in got]), ref_x)
    np.testing.assert_array_equal(np.concatenate([g[1] for g in got]), idx % 3)
    assert got[0][1].dtype == np.int64
    assert [len(b[0]) for b in DataLoader(Table(10), batch_size=4, drop_last=True)] == [4, 4]


def test_default_batch_size_is_one_and_none_disables_batching():
    first = next(iter(DataLoader(Table(3))))
    assert first[0].shape == (1, 2) and first[1].tolist() == [0]
    x, y = next(iter(DataLoader(Table(3), batch_size=None)))
    assert isinstance(x, ember.Tensor) and x.shape == (2,) and y == 0  # numbers stay numbers (default_convert)


def test_shuffle_with_a_generator_is_reproducible_and_a_permutation():
    def epoch(loader):
        return np.concatenate([y.numpy() for _, y in loader]).tolist()

    ds = TensorDataset(ember.arange(100), ember.arange(100))
    a = epoch(DataLoader(ds, batch_size=7, shuffle=True, generator=gen(0)))
    b = epoch(DataLoader(ds, batch_size=7, shuffle=True, generator=gen(0)))
    c = epoch(DataLoader(ds, batch_size=7, shuffle=True, generator=gen(1)))
    assert a == b and a != c and sorted(a) == list(range(100))
    loader = DataLoader(ds, batch_size=7, shuffle=True, generator=gen(0))
    assert epoch(loader) == a and epoch(loader) != a  # a new order every epoch
    ember.manual_seed(42)
    d = epoch(DataLoader(ds, batch_size=7, shuffle=True))
    ember.manual_seed(42)
    assert epoch(DataLoader(ds, batch_size=7, shuffle=True)) == d


def test_batches_land_on_the_requested_device(device):
    loader = DataLoader(Table(6), batch_size=4, device=device)
    for x, y in loader:
        assert x.device == ember.device(device) and y.device == ember.device(device)
    x, y = next(iter(loader))
    np.testing.assert_array_equal(x.numpy(), [[0, 0], [1, 2], [2, 4], [3, 6]])
    # A custom collate_fn's tensors are moved too.
    loader = DataLoader(Table(4), batch_size=2, device=device, collate_fn=lambda b: ember.tensor([s[1] for s in b]))
    assert [t.device == ember.device(device) for t in loader] == [True, True]


def test_cpu_batches_are_not_copied_after_collation(device, monkeypatch):
    if device != "cpu":
        pytest.skip("zero-copy wrapping is a property of the host device")
    import ember.data.collate as collate

    stacked = []
    real_stack = collate._stack

    def spy(arrays, path):
        out = real_stack(arrays, path)
        stacked.append(out)
        return out

    monkeypatch.setattr(collate, "_stack", spy)
    x, _ = next(iter(DataLoader(Table(4), batch_size=4, device="cpu")))
    assert np.shares_memory(x.numpy(), stacked[0])  # the batch tensor *is* the stacked array


def test_unknown_device_fails_at_construction():
    with pytest.raises(ember.BackendError, match="nosuchdevice"):
        DataLoader(Table(2), device="nosuchdevice")


def test_iterable_dataset_in_the_main_process():
    assert [b.tolist() for b in DataLoader(Stream(7), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in DataLoader(Stream(7), batch_size=3, drop_last=True)] == [[0, 1, 2], [3, 4, 5]]
    assert list(DataLoader(Stream(3), batch_size=None)) == [0, 1, 2]
    assert len(DataLoader(Stream(7), batch_size=3)) == 3 and len(DataLoader(Stream(7), batch_size=3, drop_last=True)) == 2
    assert get_worker_info() is None


def test_custom_collate_and_getitems():
    class Batched(Table):
        def __getitems__(self, indices):
            return [(i, -i) for i in indices]

    out = list(DataLoader(Batched(5), batch_size=2, collate_fn=lambda b: b))
    assert out == [[(0, 0), (1, -1)], [(2, -2), (3, -3)], [(4, -4)]]


def test_argument_errors_follow_pytorch():
    ds = Table(4)
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(ds, sampler=[0, 1], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError, match="mutually exclusive with drop_last"):
        DataLoader(ds, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified in multiprocessing"):
        DataLoader(ds, prefetch_factor=2)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        DataLoader(ds, persistent_workers=True)
    with pytest.raises(ValueError, match="timeout option should be non-negative"):
        DataLoader(ds, timeout=-1)
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Stream(3), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler option"):
        DataLoader(Stream(3), sampler=RandomSampler(range(3)))
    with pytest.raises(ValueError, match="multiprocessing_context can only be used with multi-process loading"):
        DataLoader(ds, multiprocessing_context="spawn")
    loader = DataLoader(ds, batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader is initialized"):
        loader.batch_size = 3
    with pytest.raises(TypeError):
        len(DataLoader(type("NoLen", (IterableDataset,), {"__iter__": lambda self: iter([])})()))


def test_errors_in_the_main_process_name_the_index():
    class Broken(Table):
        def __getitem__(self, i):
            if i == 3:
                raise KeyError("missing field")
            return super().__getitem__(i)

    with pytest.raises(KeyError, match="missing field") as info:
        list(DataLoader(Broken(6), batch_size=2))
    notes = getattr(info.value, "__notes__", None)
    if notes is not None:  # Python >= 3.11
        assert any("sample index 3 of Broken" in n for n in notes)
    with pytest.raises(IndexError, match="Table index 10 out of range"):
        list(DataLoader(Table(4), sampler=[0, 10]))
    with pytest.raises(RuntimeError, match=r"sample 1 has shape \(3,\) but sample 0 has shape \(2,\)"):
        list(DataLoader(type("Ragged", (Table,), {"__getitem__": lambda self, i: np.zeros(2 + i)})(3), batch_size=3))
