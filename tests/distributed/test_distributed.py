"""ember.distributed and DistributedDataParallel with two ranks on this machine (mpiexec -n 2), in subprocesses.

The ranks run tests/distributed/ddp_worker.py (or fault_worker.py), which assert on every rank; a failure ends
both with a non-zero status and its traceback, shown here. Skips, saying why, where mpi4py or mpiexec is missing
(``pip install "ember-core[mpi]"``; nox's test sessions install it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ember.distributed as dist
from ember.distributed import run as launcher

HERE = Path(__file__).parent
TIMEOUT = 240  # seconds for a whole two-rank run: generous, the machine may be shared


def _mpi_reason() -> str | None:
    reason = dist._mpi_missing()
    if reason:
        return reason
    try:
        launcher.find_mpiexec()
    except RuntimeError as e:
        return str(e)
    return None


needs_mpi = pytest.mark.skipif(_mpi_reason() is not None, reason=f"no MPI here: {_mpi_reason()}")


def launch(*args: str, nproc: int = 2, timeout: float = TIMEOUT, runner: list[str] | None = None):
    cmd = runner or [sys.executable, "-m", "ember.distributed.run", "--nproc", str(nproc)]
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=timeout, env=env)


def ok(proc: subprocess.CompletedProcess, mode: str) -> None:
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    for rank in (0, 1):
        assert f"rank {rank}: {mode} ok" in proc.stdout, proc.stdout + proc.stderr


@needs_mpi
@pytest.mark.parametrize("mode", ["plain", "no_sync", "unused", "unused_find"])
def test_ddp_matches_single_process_training_bitwise_across_ranks(mode, device):
    """50 SGD-momentum steps: both ranks' parameters are bitwise equal and within 1e-6 of one process."""
    ok(launch(str(HERE / "ddp_worker.py"), mode, device), mode)


@needs_mpi
def test_collectives_against_numpy_on_both_ranks(device):
    ok(launch(str(HERE / "ddp_worker.py"), "collectives", device), "collectives")


@needs_mpi
def test_groups_gather_scatter_and_all_to_all_on_both_ranks(device):
    ok(launch(str(HERE / "ddp_worker.py"), "groups", device), "groups")


@needs_mpi
def test_ddp_broadcasts_rank0_buffers(device):
    ok(launch(str(HERE / "ddp_worker.py"), "buffers", device), "buffers")


@needs_mpi
@pytest.mark.parametrize("mode", ["mismatch", "model_mismatch"])
def test_mismatched_collectives_and_models_name_both_ranks(mode):
    ok(launch(str(HERE / "ddp_worker.py"), mode), mode)


@needs_mpi
def test_distributed_sampler_reads_the_group_and_advances_epochs():
    ok(launch(str(HERE / "ddp_worker.py"), "sampler"), "sampler")


@needs_mpi
@pytest.mark.parametrize(
    "how,mode", [("launcher", "raise"), ("launcher", "signal"), ("launcher", "exit"), ("mpiexec", "raise")]
)
def test_a_failing_rank_ends_every_rank_within_5_s(mode, how, tmp_path):
    """Under the launcher, or plain mpiexec (then init_process_group's exception hook aborts)."""
    stamp = tmp_path / "failed_at"
    runner = [launcher.find_mpiexec(), "-n", "2", sys.executable] if how == "mpiexec" else None
    proc = launch(str(HERE / "fault_worker.py"), mode, str(stamp), runner=runner, timeout=60)
    ended = time.time()
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert ended - float(stamp.read_text()) < 5.0, f"the other rank took {ended - float(stamp.read_text()):.1f} s"
    if mode == "raise":
        assert proc.stderr.count("Traceback (most recent call last)") == 1, proc.stderr
        assert "ValueError: boom on rank 1" in proc.stderr
        assert "rank 1 failed" in proc.stderr
    if mode == "exit":
        assert "rank 1 exited with status 3" in proc.stderr


@pytest.mark.skipif(dist._nccl_missing() is not None, reason=f"NCCL cannot run here: {dist._nccl_missing()}")
@needs_mpi
def test_nccl_all_reduce_on_cuda():
    """One rank (NCCL refuses two ranks on one GPU): the NCCL path through CuPy runs and sums."""
    ok(launch(str(HERE / "ddp_worker.py"), "nccl", nproc=1), "nccl")


def test_nccl_without_a_gpu_says_why():
    reason = dist._nccl_missing()
    if reason is None:
        pytest.skip("NCCL is available here: test_nccl_all_reduce_on_cuda runs instead")
    assert "NCCL" in reason and not dist.is_nccl_available()


def test_launcher_command_and_errors(monkeypatch):
    monkeypatch.setenv("EMBER_MPIEXEC", "/opt/mpi/bin/mpiexec")
    cmd = launcher.command(4, "train.py", ["--epochs", "2"], hostfile="hosts")
    assert cmd == ["/opt/mpi/bin/mpiexec", "-n", "4", "-f", "hosts", sys.executable, "-m",
                   "ember.distributed._worker", "train.py", "--epochs", "2"]  # fmt: skip
    assert launcher.command(2, "pkg.train", module=True)[-2:] == ["-m", "pkg.train"]
    with pytest.raises(ValueError, match="--nproc must be at least 1"):
        launcher.command(0, "train.py")


def test_collectives_before_init_say_what_to_do():
    import ember

    assert not dist.is_initialized()
    with pytest.raises(RuntimeError, match="init_process_group"):
        dist.all_reduce(ember.ones(2))
    with pytest.raises(RuntimeError, match="init_process_group"):
        dist.get_rank()
    with pytest.raises(ValueError, match="'mpi' and 'nccl'"):
        dist.init_process_group("gloo")


def _classify_accuracy(out: Path, *extra: str) -> float:
    import re

    cmd = [sys.executable, "-m", "ember_classify", "train", "--epochs", "5", "--quiet", "--out", str(out), *extra]
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = re.findall(r"test accuracy ([\d.]+)%", proc.stdout)
    assert len(found) == 1, f"one rank reports, once:\n{proc.stdout}"
    return float(found[0]) / 100


@needs_mpi
def test_the_main_job_on_two_ranks_reaches_the_single_process_accuracy(tmp_path, device):
    pytest.importorskip("ember_classify", reason="the main job (examples/classify) is not installed")
    if device != "cpu":
        pytest.skip("the main job's distributed run is checked on the CPU")
    two = _classify_accuracy(tmp_path / "two", "--nproc", "2")
    one = _classify_accuracy(tmp_path / "one")
    assert (tmp_path / "two" / "best.safetensors").exists() and (tmp_path / "two" / "predictions.csv").exists()
    assert two >= 0.9 and abs(two - one) <= 0.03, f"2 ranks {two:.2%} against 1 process {one:.2%}"


@pytest.mark.parametrize("n", [2, 3, 4])
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_avg_divides_the_sum_once_and_rounds_like_numpy(n, dtype):
    """ReduceOp.AVG's last step (`_reduced`): the float32 sum divided by the group's size (by 1/n where n is a power
    of two, which gives the same numbers), rounded to the tensor's dtype in the same pass, written into it."""
    import types

    import numpy as np

    import ember

    if dtype == "bfloat16":
        ml_dtypes = pytest.importorskip("ml_dtypes")
        np_dtype = np.dtype(ml_dtypes.bfloat16)
    else:
        np_dtype = np.dtype(dtype)
    rng = np.random.default_rng(n)
    summed = (rng.standard_normal(1000) * 100).astype(np.float32)
    t = ember.zeros(1000, dtype=getattr(ember, dtype))
    host = t._data
    wire = summed.copy()  # float16/bfloat16 are reduced in a float32 copy
    if dtype == "float32":  # float32 is reduced in the tensor's own memory
        host[...] = summed
        wire = host
    dist._reduced(dist.ReduceOp.AVG, types.SimpleNamespace(_size=n), wire, host, True, t)
    want = (summed / np.float32(n)).astype(np_dtype)
    assert np.array_equal(t.numpy().astype(np.float32), want.astype(np.float32))
