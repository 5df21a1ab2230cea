"""DataLoader with worker processes: same batches as in-process, seeding, sharding, persistence, faults.

Datasets are module-level classes so that they pickle for the "spawn" start method too.
Every test that could hang on a bug sets ``timeout=`` on its loader.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import random
import signal
import time

import numpy as np
import pytest

import ember
from ember.data import DataLoader, Dataset, IterableDataset, TensorDataset, get_worker_info

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") and mp.get_start_method() != "spawn", reason="needs processes")

T = 20  # seconds: the loaders' timeout, far above what any batch here needs


class Table(Dataset):
    def __init__(self, n: int = 40, fail_at: int | None = None, sleep_at: int | None = None, sleep: float = 0.0) -> None:
        self.n, self.fail_at, self.sleep_at, self.sleep = n, fail_at, sleep_at, sleep

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        if not 0 <= i < self.n:
            raise IndexError(f"Table index {i} is out of range for {self.n} samples")
        if i == self.fail_at:
            raise ValueError(f"bad sample {i}")
        if i == self.sleep_at:
            time.sleep(self.sleep)
        return np.array([i, i * i], np.int64), float(i) / 2


class Seeds(Dataset):
    """Each sample reports where it was made and what the worker's generators give."""

    def __len__(self) -> int:
        return 8

    def __getitem__(self, i: int):
        info = get_worker_info()
        return {
            "worker": info.id,
            "num_workers": info.num_workers,
            "seed": info.seed,
            "py": random.random(),
            "np": float(np.random.rand()),
            "ember": float(ember.rand(1).item()),
            "pid": os.getpid(),
        }


class Pids(Dataset):
    """The pid of the process that loads each sample (slowly, by default, so workers stay busy)."""

    def __init__(self, n: int = 400, sleep: float = 0.005) -> None:
        self.n, self.sleep = n, sleep

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> int:
        time.sleep(self.sleep)
        return os.getpid()


class Range(IterableDataset):
    """0..n-1, split between workers by get_worker_info() (or not, with shard=False)."""

    def __init__(self, n: int, shard: bool = True) -> None:
        self.n, self.shard = n, shard

    def __iter__(self):
        info = get_worker_info()
        if info is None or not self.shard:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self) -> int:
        return self.n


class Ragged(Dataset):
    def __len__(self) -> int:
        return 6

    def __getitem__(self, i: int):
        return np.zeros(3 if i != 4 else 5, np.float32)


class Counted(Dataset):
    """Counts, in shared memory, how many samples the workers have loaded."""

    def __init__(self, counter) -> None:
        self.counter = counter

    def __len__(self) -> int:
        return 64

    def __getitem__(self, i: int) -> int:
        with self.counter.get_lock():
            self.counter.value += 1
        return i


def record_init(worker_id: int) -> None:
    info = get_worker_info()
    info.dataset.init_by = (worker_id, info.id, info.num_workers)


class InitCheck(Dataset):
    init_by = None

    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int):
        return np.array(self.init_by)


def failing_init(worker_id: int) -> None:
    raise RuntimeError(f"init of worker {worker_id} failed")


def unpicklable_collate(batch):
    return lambda: batch


def no_children() -> bool:
    """True once every child process of this test has exited (reaped).

    A loader whose batch raised keeps its workers (loading may go on, as in PyTorch) until its iterator
    is freed; pytest's record of the exception holds the iterator in a reference cycle, hence the gc.
    """
    gc.collect()
    deadline = time.monotonic() + 5
    while mp.active_children():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def batches(loader) -> list[tuple[list[list[int]], list[float]]]:
    return [(x.tolist(), y.tolist()) for x, y in loader]


def gen(seed: int) -> ember.Generator:
    return ember.Generator().manual_seed(seed)


def test_workers_yield_the_same_batches_in_the_same_order():
    ds = Table(43)
    ref = batches(DataLoader(ds, batch_size=5, shuffle=True, generator=gen(3)))
    got = batches(DataLoader(ds, batch_size=5, shuffle=True, generator=gen(3), num_workers=2, timeout=T))
    assert got == ref
    # The values themselves, against NumPy: a permutation of the rows [i, i*i] with labels i / 2.
    rows = [r for x, _ in got for r in x]
    assert sorted(rows) == [[i, i * i] for i in range(43)]
    assert [y for _, ys in got for y in ys] == [r[0] / 2 for r in rows]
    assert no_children()


def test_out_of_order_delivery_gives_every_batch_once():
    ds = Table(40, sleep_at=0, sleep=0.3)  # the first batch is slow: later ones overtake it
    got = batches(DataLoader(ds, batch_size=4, num_workers=2, in_order=False, timeout=T))
    assert sorted(got) == sorted(batches(DataLoader(ds, batch_size=4)))
    assert got[0][0][0] != [0, 0]


def test_tensor_dataset_and_device(device):
    ds = TensorDataset(ember.arange(12).float(), ember.arange(12))
    out = list(DataLoader(ds, batch_size=5, num_workers=2, device=device, timeout=T))
    assert [x.device == ember.device(device) for x, _ in out] == [True] * 3
    assert [y.tolist() for _, y in out] == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11]]


def test_each_worker_is_seeded_from_a_base_seed():
    def run(seed):
        loader = DataLoader(Seeds(), batch_size=2, num_workers=2, generator=gen(seed), timeout=T)
        return [row for b in loader for row in zip(*(b[k].tolist() for k in ("worker", "seed", "py", "np", "ember", "pid")))]

    a = run(0)
    by_worker = {w: [r for r in a if r[0] == w] for w in (0, 1)}
    assert all(by_worker.values())
    (s0, *_), (s1, *_) = (by_worker[0][0][1:], by_worker[1][0][1:])
    assert s1 == s0 + 1  # seed = base_seed + worker id
    for column in (2, 3, 4):  # Python's, NumPy's and ember's generators differ between the workers
        assert by_worker[0][0][column] != by_worker[1][0][column]
    # The worker's Python generator is seeded with exactly its seed.
    assert by_worker[0][0][2] == random.Random(s0).random()
    b = run(0)
    assert [r[:5] for r in b] == [r[:5] for r in a]  # the same generator seed: the same worker streams
    c = run(1)
    assert [r[1] for r in c] != [r[1] for r in a]
    assert {r[5] for r in a}.isdisjoint({os.getpid()})


def test_worker_init_fn_and_worker_info():
    out = list(DataLoader(InitCheck(), batch_size=1, num_workers=2, worker_init_fn=record_init, timeout=T))
    seen = sorted(tuple(t[0].tolist()) for t in out)
    assert set(seen) == {(0, 0, 2), (1, 1, 2)}
    assert get_worker_info() is None  # the main process


def test_iterable_dataset_sharded_across_workers():
    got = [b.tolist() for b in DataLoader(Range(11), batch_size=3, num_workers=2, timeout=T)]
    assert sorted(v for b in got for v in b) == list(range(11))  # every item exactly once
    assert got[0] == [0, 2, 4] and got[1] == [1, 3, 5]  # batches alternate between the workers
    assert sorted(DataLoader(Range(5), batch_size=None, num_workers=2, timeout=T)) == [0, 1, 2, 3, 4]
    dropped = [b.tolist() for b in DataLoader(Range(11), batch_size=3, num_workers=2, drop_last=True, timeout=T)]
    assert dropped == [[0, 2, 4], [1, 3, 5], [6, 8, 10]]  # each worker drops its own short tail ([7, 9])
    # Without sharding each worker yields the whole stream: PyTorch's documented pitfall, reproduced.
    assert sorted(DataLoader(Range(3, shard=False), batch_size=None, num_workers=2, timeout=T)) == [0, 0, 1, 1, 2, 2]
    assert no_children()


def test_persistent_workers_survive_epochs():
    loader = DataLoader(Pids(40, sleep=0), batch_size=10, num_workers=2, persistent_workers=True, timeout=T)
    first = {p for b in loader for p in b.tolist()}
    second = {p for b in loader for p in b.tolist()}
    assert first == second and len(first) == 2 and mp.active_children()
    it = iter(loader)
    next(it)  # abandon the third epoch after one batch
    assert [len(b) for b in loader] == [10] * 4  # the fourth epoch is whole and fresh
    ds = Table(30)
    loader = DataLoader(ds, batch_size=4, shuffle=True, generator=gen(5), num_workers=2, persistent_workers=True, timeout=T)
    ref_loader = DataLoader(ds, batch_size=4, shuffle=True, generator=gen(5))
    for _ in range(3):  # the same orders as without workers, epoch after epoch
        assert batches(loader) == batches(ref_loader)
    del loader, it
    assert no_children()


def test_prefetch_factor_bounds_the_work_in_flight():
    counter = mp.get_context().Value("i", 0)
    loader = DataLoader(Counted(counter), batch_size=2, num_workers=2, prefetch_factor=1, timeout=T)
    it = iter(loader)
    next(it)
    time.sleep(0.5)  # let the workers run ahead as far as they are allowed to
    # One batch consumed, then at most prefetch_factor * num_workers batches in flight.
    assert counter.value <= 2 * (1 + 1 * 2)
    assert len(list(it)) == 31
    assert counter.value == 64


def test_worker_error_surfaces_with_traceback_and_index_and_loading_goes_on():
    loader = DataLoader(Table(20, fail_at=7), batch_size=4, num_workers=2, timeout=T)
    it = iter(loader)
    assert next(it)[0].shape == (4, 2)
    with pytest.raises(ValueError) as info:
        next(it)
    msg = str(info.value)
    assert "Caught ValueError in DataLoader worker process 1 while loading sample index 7 of Table" in msg
    assert "Traceback (most recent call last)" in msg and "bad sample 7" in msg and "__getitem__" in msg
    assert [x[:, 0].tolist() for x, _ in it] == [[8, 9, 10, 11], [12, 13, 14, 15], [16, 17, 18, 19]]
    assert no_children()


def test_index_out_of_range_in_a_worker():
    with pytest.raises(IndexError, match=r"(?s)sample index 99 of Table.*Table index 99 is out of range for 10 samples"):
        list(DataLoader(Table(10), sampler=[0, 1, 99], batch_size=2, num_workers=2, timeout=T))
    assert no_children()


def test_collate_mismatch_in_a_worker_names_sample_shapes_and_indices():
    with pytest.raises(RuntimeError) as info:
        list(DataLoader(Ragged(), batch_size=3, num_workers=2, timeout=T))
    msg = str(info.value)
    assert "sample 1 has shape (5,) but sample 0 has shape (3,)" in msg
    assert "dataset indices [3, 4, 5]" in msg


def test_killed_worker_is_reported_promptly_without_timeout():
    loader = DataLoader(Pids(), batch_size=2, num_workers=2)  # no timeout: liveness checks must catch it
    it = iter(loader)
    pid = next(it).tolist()[0]
    os.kill(pid, signal.SIGKILL)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=rf"worker \d \(pid {pid}\) was killed by signal {int(signal.SIGKILL)} \(SIGKILL\)"):
        for _ in it:
            pass
    assert time.monotonic() - start < 5
    assert no_children()


def test_timeout_raises_and_reaps_the_workers():
    loader = DataLoader(Table(8, sleep_at=0, sleep=1.0), batch_size=2, num_workers=2, timeout=0.3)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.3 seconds"):
        next(iter(loader))
    assert time.monotonic() - start < 5
    assert no_children()


def test_failing_worker_init_fn_and_unpicklable_batches_are_errors_not_hangs():
    with pytest.raises(RuntimeError, match="(?s)worker_init_fn.*init of worker [01] failed"):
        list(DataLoader(Table(4), num_workers=2, worker_init_fn=failing_init, timeout=T))
    with pytest.raises(Exception, match="while pickling the batch"):
        list(DataLoader(Table(4), batch_size=2, num_workers=2, collate_fn=unpicklable_collate, timeout=T))
    assert no_children()


def test_exception_types_the_main_process_cannot_import_become_runtime_errors():
    class Local(Exception):
        pass

    class Raises(Table):
        def __getitem__(self, i):
            raise Local("only in here")

    if mp.get_start_method() != "fork":
        pytest.skip("a locally defined dataset only reaches forked workers")
    with pytest.raises(RuntimeError, match="(?s)original exception type.*Local.*only in here"):
        list(DataLoader(Raises(4), num_workers=1, timeout=T))


def test_breaking_out_of_an_epoch_leaves_no_processes():
    it = iter(DataLoader(Pids(), batch_size=2, num_workers=2, timeout=T))
    next(it)
    del it
    assert no_children()


def test_spawned_workers():
    loader = DataLoader(Table(12), batch_size=5, num_workers=2, multiprocessing_context="spawn", timeout=60)
    assert batches(loader) == batches(DataLoader(Table(12), batch_size=5))
    assert no_children()


def test_more_workers_than_cpus_warns():
    with pytest.warns(UserWarning, match="suggested max number of workers"):
        DataLoader(Table(4), num_workers=(os.cpu_count() or 1) + 64)


ORPHAN_SCRIPT = """
import os, sys, time
from ember.data import DataLoader, Dataset

class Pid(Dataset):
    def __len__(self):
        return 10**6
    def __getitem__(self, i):
        return os.getpid()

if __name__ == "__main__":
    it = iter(DataLoader(Pid(), batch_size=4, num_workers=2))
    pids = set()
    while len(pids) < 2:
        pids |= set(next(it).tolist())
    print(" ".join(map(str, sorted(pids))), flush=True)
    time.sleep(60)
"""


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] == "Z"  # a zombie has exited
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc to see processes")
def test_workers_exit_when_the_main_process_is_killed(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "orphans.py"
    script.write_text(ORPHAN_SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert len(pids) == 2 and all(not _gone(p) for p in pids)
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 10
    while not all(_gone(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(_gone(p) for p in pids), "DataLoader workers outlived their killed main process"
