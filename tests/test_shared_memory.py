"""Tensor.share_memory_ / is_shared and Module.share_memory: CPU tensors whose memory other processes
(forked, spawned, or sent the tensor through a multiprocessing Queue) read and write, as in PyTorch."""

from __future__ import annotations

import gc
import glob
import multiprocessing as mp
import pickle

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.optim
from ember import shared_memory

TIMEOUT = 60


def _add_one(t, q) -> None:
    t.add_(1.0)
    q.put(bool(t.is_shared()))


def _from_queue(q, done) -> None:
    t = q.get(timeout=TIMEOUT)
    t.mul_(2.0)
    done.put(tuple(t.shape))


def _sgd_steps(model, steps: int) -> None:
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    x = ember.ones(4, 3)
    for _ in range(steps):
        opt.zero_grad()
        model(x).sum().backward()
        opt.step()


@pytest.fixture
def cpu_only(device):
    if device != "cpu":
        pytest.skip(f"shared memory is for CPU tensors; {device} tensors raise (tested in test_non_cpu_tensors_refuse)")


def test_share_memory_keeps_values_and_layout_and_is_idempotent(cpu_only) -> None:
    x = ember.tensor(np.arange(12.0, dtype=np.float32).reshape(3, 4))
    assert not x.is_shared()
    assert x.share_memory_() is x and x.is_shared()
    np.testing.assert_array_equal(x.numpy(), np.arange(12.0).reshape(3, 4))
    ptr = x.data_ptr()
    x.share_memory_()
    assert x.data_ptr() == ptr  # already shared: no second move
    t = ember.tensor(np.arange(20.0).reshape(4, 5)).t()  # a column-major view of a row-major base
    before = t.numpy().copy()
    t.share_memory_()
    assert t.is_shared() and t.stride() == (1, 5)
    np.testing.assert_array_equal(t.numpy(), before)


def test_a_view_and_its_base_move_together(cpu_only) -> None:
    v = ember.arange(6.0).reshape(2, 3)[:, 1:]
    v.share_memory_()
    base = v._base
    while base._base is not None:
        base = base._base
    assert base.is_shared()
    v.fill_(-1.0)
    np.testing.assert_array_equal(base.numpy(), [0.0, -1.0, -1.0, 3.0, -1.0, -1.0])


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_processes_write_into_a_shared_tensor(cpu_only, method) -> None:
    ctx = mp.get_context(method)
    x = ember.zeros(2, 3).share_memory_()
    q = ctx.Queue()
    p = ctx.Process(target=_add_one, args=(x, q))
    p.start()
    assert q.get(timeout=TIMEOUT) is True
    p.join(TIMEOUT)
    assert p.exitcode == 0
    np.testing.assert_array_equal(x.numpy(), np.ones((2, 3)))


def test_a_shared_tensor_sent_through_a_queue_is_the_same_memory(cpu_only) -> None:
    ctx = mp.get_context("spawn")
    q, done = ctx.Queue(), ctx.Queue()
    p = ctx.Process(target=_from_queue, args=(q, done))
    p.start()
    x = ember.full((5,), 3.0).share_memory_()
    q.put(x)
    assert done.get(timeout=TIMEOUT) == (5,)
    p.join(TIMEOUT)
    np.testing.assert_array_equal(x.numpy(), np.full(5, 6.0))


def test_hogwild_module_share_memory(cpu_only) -> None:
    """Two processes train one shared model (Hogwild); the parent sees every step of both."""
    ember.manual_seed(0)
    model = nn.Linear(3, 2)
    expected = nn.Linear(3, 2)
    expected.load_state_dict(model.state_dict())
    _sgd_steps(expected, 6)  # d(sum)/dW does not depend on W here, so 2 x 3 steps in any order end alike
    assert model.share_memory() is model
    assert all(p.is_shared() for p in model.parameters())
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_sgd_steps, args=(model, 3)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(TIMEOUT)
        assert p.exitcode == 0
    for a, b in zip(model.parameters(), expected.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6, atol=1e-6)


def test_pickle_outside_multiprocessing_copies_the_values(cpu_only) -> None:
    x = ember.arange(4.0).share_memory_()
    y = pickle.loads(pickle.dumps(x))
    assert not y.is_shared()
    np.testing.assert_array_equal(y.numpy(), x.numpy())


def test_the_block_is_removed_when_its_tensor_is_freed(cpu_only) -> None:
    x = ember.ones(1000).share_memory_()
    path = shared_memory._block_of(x._data).path
    assert glob.glob(path) == [path]
    del x
    gc.collect()
    assert glob.glob(path) == []
    with pytest.raises(RuntimeError, match="no longer exists: the process that called share_memory_"):
        shared_memory._rebuild(path, 4000, (1000,), (4,), 0, "float32", False)


def test_non_cpu_tensors_refuse(device) -> None:
    if device == "cpu":
        pytest.skip("the refusal is for tensors on other devices; run with --ember-backend=opencl")
    with pytest.raises(RuntimeError, match=rf"share_memory_: only CPU tensors .* on {device}.*\.cpu\(\)"):
        ember.ones(3, device=device).share_memory_()


# -- ember.multiprocessing.spawn ------------------------------------------------------------------


def _fill_row(i, t) -> None:
    t[i] = float(i + 1)


def _fail_on_one(i) -> None:
    if i == 1:
        raise ValueError("rank one is unhappy")


def _die_by_signal(i) -> None:
    import os
    import signal

    if i == 0:
        os.kill(os.getpid(), signal.SIGKILL)


def test_spawn_runs_fn_in_each_process_with_shared_tensors(cpu_only) -> None:
    import ember.multiprocessing as emp

    t = ember.zeros(3, 2).share_memory_()
    assert emp.spawn(_fill_row, args=(t,), nprocs=3) is None
    np.testing.assert_array_equal(t.numpy(), [[1, 1], [2, 2], [3, 3]])
    ctx = emp.spawn(_fill_row, args=(t,), nprocs=2, join=False)
    assert len(ctx.pids()) == 2
    while not ctx.join(TIMEOUT):
        pass
    assert emp.Queue is mp.Queue  # the standard module's names are there too


def test_spawn_reraises_a_childs_exception_and_a_death_by_signal(cpu_only) -> None:
    import ember.multiprocessing as emp

    with pytest.raises(emp.ProcessRaisedException, match=r"(?s)Process 1 terminated.*ValueError: rank one is unhappy") as e:
        emp.spawn(_fail_on_one, nprocs=2)
    assert e.value.error_index == 1
    with pytest.raises(emp.ProcessExitedException, match="process 0 terminated with signal SIGKILL") as e:
        emp.spawn(_die_by_signal, nprocs=1, start_method="fork")
    assert e.value.exit_code == -9 and e.value.signal_name == "SIGKILL"
    with pytest.raises(ValueError, match="nprocs must be at least 1"):
        emp.spawn(_fill_row, nprocs=0)
