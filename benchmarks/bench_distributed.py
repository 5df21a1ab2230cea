"""ember.distributed on MPI: collectives against raw mpi4py, DDP's overhead, 2 ranks x 1 thread vs 1 rank x 2.

    python benchmarks/bench_distributed.py [--repeat N] [--only-allreduce]

Started plainly, it first times the 1-rank x 2-threads MLP step, then starts itself on 2 ranks
(python -m ember.distributed.run --nproc 2), where:

- allreduce: `dist.all_reduce` (sum, float32, in place), with the cross-rank shape/dtype check and without it,
  against `comm.Allreduce(MPI.IN_PLACE, buf)` of mpi4py on the tensor's own NumPy buffer (the same memory: two
  buffers of one size can differ by 10-20% at 4-16 MB, by where their pages lie), 4 KB to 16 MB, interleaved in
  a rotating order; medians, the ratios and the bandwidth (bytes / time). Target: ratio <= 1.1 from 1 MB up.
  The load average is printed before and after: two ranks need two free cores. First, ember's own Python per
  call: all_reduce of 4 floats on a group of one rank (MPI_COMM_SELF) against mpi4py's call.
- ddp overhead: the digits MLP of ember-classify (64-128-64-10), batch 32 per rank, SGD momentum: the local
  step (forward, backward, step) against the same step under DistributedDataParallel on the 2 ranks (which
  includes waiting for the slower rank), and DDP's own work (hooks, copies into buckets, averaging, writing
  .grad back) measured on a group of one rank (MPI_COMM_SELF), interleaved with the local step. Target <= 100 us.
- 2x1 vs 1x2: the same MLP step at a global batch of 256: 2 ranks with 1 thread each (DDP) against
  1 process with 2 threads.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from typing import Any

import numpy as np

import ember
import ember.nn as nn
import ember.nn.functional as F
import ember.optim


def mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))


def load() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "n/a"


def median_time(fn: Any, repeat: int, inner: int = 1) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - t) / inner)
    return float(np.median(times))


def step_fn(model: nn.Module, batch: int, seed: int = 0) -> Any:
    rng = np.random.default_rng(seed)
    x = ember.from_numpy(rng.standard_normal((batch, 64)).astype(np.float32))
    y = ember.from_numpy(rng.integers(0, 10, batch))
    opt = ember.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step() -> None:
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    return step


def single(repeat: int) -> float:
    ember.set_num_threads(2)
    ember.manual_seed(0)
    return median_time(step_fn(mlp(), 256), repeat, 5)


def ranks(repeat: int, single_us: float, only_allreduce: bool) -> None:
    from mpi4py import MPI

    import ember.distributed as dist
    from ember.nn.parallel import DistributedDataParallel as DDP

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    comm = MPI.COMM_WORLD
    say = print if rank == 0 else (lambda *a, **k: None)
    say(f"{world} ranks; MPI: {MPI.Get_library_version().splitlines()[0].strip()}")

    say(f"load average before: {load()}")
    # ember's own Python per call, without waiting for another rank: on a group of this rank alone
    alone_group = dist.ProcessGroup("mpi", MPI.COMM_SELF.Dup())
    tiny = ember.ones(4)
    tiny_own = tiny._data
    py: dict[str, list[float]] = {"ember": [], "mpi4py": []}
    for i in range(repeat):
        for name in ("ember", "mpi4py") if i % 2 else ("mpi4py", "ember"):
            s = time.perf_counter()
            for _ in range(200):
                if name == "ember":
                    dist.all_reduce(tiny, group=alone_group)
                else:
                    alone_group.comm.Allreduce(MPI.IN_PLACE, tiny_own)
            py[name].append((time.perf_counter() - s) / 200)
    a, b = (float(np.median(py[k])) * 1e6 for k in ("ember", "mpi4py"))
    say(f"all_reduce of 4 floats on a group of one rank: ember {a:.1f} us, mpi4py {b:.1f} us (ember's Python: {a - b:.1f} us)")
    say("\nallreduce (sum, float32, in place)   ember        unchecked    mpi4py       ratio  unchecked  ember GB/s")
    group = dist.GroupMember.WORLD
    assert group is not None
    for nbytes in (4 << 10, 64 << 10, 1 << 20, 4 << 20, 16 << 20):
        t = ember.ones(nbytes // 4)
        own = t._data  # the tensor's own NumPy array: mpi4py reduces the very same buffer
        assert isinstance(own, np.ndarray)
        inner = max(1, (1 << 22) // nbytes)
        reps = repeat if nbytes < (4 << 20) else max(5, repeat // 2)

        def checked() -> None:
            dist.all_reduce(t)

        def unchecked() -> None:  # as with EMBER_DISTRIBUTED_CHECKS=0: no cross-rank shape/dtype check
            group.check_collectives = False
            dist.all_reduce(t)
            group.check_collectives = True

        def raw() -> None:
            comm.Allreduce(MPI.IN_PLACE, own)

        ways = [checked, unchecked, raw]
        times: dict[Any, list[float]] = {f: [] for f in ways}
        for i in range(reps):  # interleaved rounds in a rotating order, each timed on rank 0 after a barrier
            for f in ways[i % 3 :] + ways[: i % 3]:
                comm.Barrier()
                s = time.perf_counter()
                for _ in range(inner):
                    f()
                times[f].append((time.perf_counter() - s) / inner)
        a, u, b = (float(np.median(times[f])) for f in ways)
        say(
            f"  {nbytes / 1024:>8.0f} KB               {a * 1e6:9.1f} us {u * 1e6:9.1f} us {b * 1e6:9.1f} us   "
            f"{a / b:5.2f}  {u / b:5.2f}      {nbytes / a / 1e9:6.2f}"
        )
    say(f"load average after: {load()}")

    if only_allreduce:
        return
    ember.set_num_threads(1)
    ember.manual_seed(0)
    local = mlp()
    ember.manual_seed(0)
    wrapped = DDP(mlp())
    grads = np.zeros(sum(p.numel() for p in local.parameters()), dtype=np.float32)
    t_local = median_time(step_fn(local, 32, rank), repeat * 4, 10)
    t_ddp = median_time(step_fn(wrapped, 32, rank), repeat * 4, 10)
    t_raw = median_time(lambda: comm.Allreduce(MPI.IN_PLACE, grads), repeat * 4, 10)
    # DDP's own cost (hooks, copies into buckets, averaging, writing .grad back) without waiting for another rank:
    # the same DDP on a group of this rank alone (MPI_COMM_SELF) against the local step, interleaved
    ember.manual_seed(0)
    alone = DDP(mlp(), process_group=dist.ProcessGroup("mpi", MPI.COMM_SELF.Dup()))
    f_local, f_alone = step_fn(local, 32, rank), step_fn(alone, 32, rank)
    diffs = []
    for _ in range(repeat):
        a = median_time(f_local, 3, 10)
        diffs.append(median_time(f_alone, 3, 10) - a)
    own = float(np.median(diffs))
    t_local, t_ddp, t_raw, own = (comm.allreduce(v, MPI.MAX) for v in (t_local, t_ddp, t_raw, own))
    say(f"\ndigits MLP ({grads.size:,} parameters), batch 32 per rank, 1 thread per rank")
    say(f"  local step {t_local * 1e6:.0f} us; DDP step {t_ddp * 1e6:.0f} us; raw allreduce of the gradients "
        f"{t_raw * 1e6:.0f} us")  # fmt: skip
    say(f"  DDP over the local step: {(t_ddp - t_local) * 1e6:.0f} us (waiting for the slower rank included)")
    say(f"  DDP's own work per step (a group of this rank alone, no waiting): {own * 1e6:.0f} us")

    ember.manual_seed(0)
    t2 = median_time(step_fn(DDP(mlp()), 256 // world, rank), repeat, 5)
    t2 = comm.allreduce(t2, MPI.MAX)
    say(
        f"\nMLP step at global batch 256: {world} ranks x 1 thread {t2 * 1e6:.0f} us; 1 rank x 2 threads {single_us:.0f} us"
    )


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--only-allreduce", action="store_true", help="time the allreduce only (about 10 s)")
    p.add_argument("--single-us", type=float, default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if "PMI_RANK" in os.environ:  # started by mpiexec
        ranks(args.repeat, args.single_us or float("nan"), args.only_allreduce)
        return
    single_us = float("nan") if args.only_allreduce else single(args.repeat) * 1e6
    cmd = [sys.executable, "-m", "ember.distributed.run", "--nproc", "2", os.path.abspath(__file__)]
    more = ["--only-allreduce"] if args.only_allreduce else []
    sys.exit(subprocess.call([*cmd, "--repeat", str(args.repeat), "--single-us", str(single_us), *more]))


if __name__ == "__main__":
    main()
