"""Run by tests/distributed under ``python -m ember.distributed.run --nproc 2``: each mode asserts on every rank.

``python ddp_worker.py MODE [DEVICE]``; a failed assertion ends both ranks with a non-zero status.
"""

from __future__ import annotations

import sys

import numpy as np

import ember
import ember.distributed as dist
import ember.nn as nn
import ember.nn.functional as F
import ember.optim
from ember.nn.parallel import DistributedDataParallel as DDP

STEPS, BATCH, FEATURES, CLASSES = 50, 32, 16, 5


class Branchy(nn.Module):
    """An MLP with a branch that only some ranks use and one that nobody uses."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(FEATURES, 24), nn.Tanh(), nn.Linear(24, CLASSES))
        self.sometimes = nn.Linear(FEATURES, CLASSES)
        self.never = nn.Linear(FEATURES, CLASSES)

    def forward(self, x: ember.Tensor, use: bool = False) -> ember.Tensor:
        y = self.body(x)
        return y + self.sometimes(x) if use else y


def data(step: int) -> tuple[ember.Tensor, ember.Tensor]:
    rng = np.random.default_rng(step)
    x = rng.standard_normal((BATCH, FEATURES)).astype(np.float32)
    y = rng.integers(0, CLASSES, BATCH)
    return ember.from_numpy(x), ember.from_numpy(y)


def model() -> Branchy:
    ember.manual_seed(dist.get_rank() + 1)  # different on each rank: DDP must copy rank 0's at wrap time
    return Branchy()


def same_on_all_ranks(m: nn.Module) -> None:
    for name, p in m.state_dict().items():
        mine = p.detach().contiguous()
        every = [ember.zeros_like(mine) for _ in range(dist.get_world_size())]
        dist.all_gather(every, mine)
        for r, other in enumerate(every):
            assert np.array_equal(other.cpu().numpy(), mine.cpu().numpy()), f"{name} differs between rank {r} and here"


def close(a: nn.Module, b: nn.Module, tol: float = 1e-6) -> None:
    for (name, p), q in zip(a.state_dict().items(), b.state_dict().values()):
        err = float(np.abs(p.cpu().numpy() - q.cpu().numpy()).max())
        assert err <= tol, f"{name}: DDP differs from single-process training by {err}"


def train(mode: str, device: str) -> None:
    rank, world = dist.get_rank(), dist.get_world_size()
    local = model().to(device)
    reference = Branchy().to(device)
    reference.load_state_dict({k: v.clone() for k, v in local.state_dict().items()})
    ddp = DDP(
        local, bucket_cap_mb=0.0001 if mode != "unused_find" else 25, find_unused_parameters=mode == "unused_find"
    )
    assert list(ddp.state_dict()) == list(reference.state_dict()), "state_dict keys must be the module's own"
    if rank != 0:  # rank 0's weights were copied here: the reference must start from them too
        reference.load_state_dict({k: v.clone() for k, v in ddp.state_dict().items()})
    never_before = local.never.weight.detach().clone()
    overlap: list[tuple[int, bool]] = []
    if mode == "plain":  # runs after DDP's own hook on the last layer, before backward reaches the first layer
        local.body[2].weight.register_post_accumulate_grad_hook(
            lambda p: overlap.append((ddp._next_bucket, local.body[0].weight.grad is None))
        )
    opt = ember.optim.SGD(ddp.parameters(), lr=0.05, momentum=0.9)
    ref_opt = ember.optim.SGD(reference.parameters(), lr=0.05, momentum=0.9)
    share = BATCH // world
    for step in range(STEPS):
        x, y = data(step)
        x, y = x.to(device), y.to(device)
        mine = slice(rank * share, (rank + 1) * share)
        opt.zero_grad()
        if mode == "no_sync":  # two micro-batches per step, the first without communication
            half = share // 2
            xs, ys = x[mine], y[mine]
            with ddp.no_sync():
                (F.cross_entropy(ddp(xs[:half]), ys[:half]) / 2).backward()
            if step == 0:
                assert local.body[0].weight.grad is not None
            (F.cross_entropy(ddp(xs[half:]), ys[half:]) / 2).backward()
        elif mode.startswith("unused"):
            F.cross_entropy(ddp(x[mine], use=rank == 0), y[mine]).backward()
        else:
            F.cross_entropy(ddp(x[mine]), y[mine]).backward()
        opt.step()
        # the same step on one process, over the combined batch
        ref_opt.zero_grad()
        losses = [
            F.cross_entropy(reference(x[r * share : (r + 1) * share], use=mode.startswith("unused") and r == 0),
                            y[r * share : (r + 1) * share])
            for r in range(world)
        ]  # fmt: skip
        (sum(losses[1:], losses[0]) / world).backward()
        ref_opt.step()
    same_on_all_ranks(local)
    close(local, reference)
    if mode == "plain":  # buckets were on the wire while backward still had the first layer to do
        assert overlap[-1][0] >= 1 and overlap[-1][1], overlap[-1]  # after the first step re-bucketed
    if mode.startswith("unused"):
        assert local.never.weight.grad is None, "a parameter no rank used must keep grad None"
        assert np.array_equal(local.never.weight.detach().cpu().numpy(), never_before.cpu().numpy())
        assert local.sometimes.weight.grad is not None, "a parameter one rank used gets the average"


DTYPES = ["float32", "float64", "float16", "bfloat16", "int32", "int64", "uint8", "bool"]


def values(rank: int, dtype: str, shape: tuple[int, ...] = (3, 4)) -> np.ndarray:
    rng = np.random.default_rng(100 + rank)
    if dtype == "bool":
        return rng.integers(0, 2, shape).astype(bool)
    if dtype in ("int32", "int64", "uint8"):
        return rng.integers(1, 5, shape).astype(dtype)
    return (rng.integers(-8, 8, shape) / 4).astype(np.float32)  # exact in every float dtype


def tensor(a: np.ndarray, dtype: str, device: str) -> ember.Tensor:
    return ember.tensor(a.tolist(), dtype=getattr(ember, dtype), device=device)


def collectives(device: str) -> None:
    rank, world = dist.get_rank(), dist.get_world_size()
    for dtype in DTYPES:
        if device != "cpu" and dtype in ("float64", "bfloat16", "float16"):
            continue
        every = [values(r, dtype) for r in range(world)]
        stacked = np.stack(every).astype(np.float64)
        ops = {"sum": stacked.sum(0), "max": stacked.max(0), "min": stacked.min(0), "product": stacked.prod(0)}
        if dtype.startswith(("float", "bfloat")):
            ops["avg"] = stacked.mean(0)
        if dtype == "bool":
            ops = {"sum": stacked.max(0), "max": stacked.max(0), "min": stacked.min(0), "product": stacked.min(0)}
        for op, want in ops.items():
            for async_op in (False, False, True):  # the second blocking call takes all_reduce's fast path
                t = tensor(every[rank], dtype, device)
                work = dist.all_reduce(t, op=getattr(dist.ReduceOp, op.upper()), async_op=async_op)
                if async_op:
                    assert work is not None
                    work.wait()
                    assert work.is_completed()
                got = t.cpu().numpy().astype(np.float64)
                assert t.dtype is getattr(ember, dtype)
                assert np.array_equal(got, want.astype(getattr(np, dtype, np.float32)).astype(np.float64)), (
                    f"all_reduce {op} {dtype}: {got} != {want}"
                )
        for src in range(world):
            t = tensor(every[rank], dtype, device)
            dist.broadcast(t, src=src)
            assert np.array_equal(t.cpu().numpy().astype(np.float64), every[src].astype(np.float64))
        outs = [tensor(np.zeros_like(every[0]), dtype, device) for _ in range(world)]
        dist.all_gather(outs, tensor(every[rank], dtype, device))
        for r in range(world):
            assert np.array_equal(outs[r].cpu().numpy().astype(np.float64), every[r].astype(np.float64))
        big = tensor(np.zeros((world * 3, 4), dtype=every[0].dtype), dtype, device)
        dist.all_gather_into_tensor(big, tensor(every[rank], dtype, device))
        assert np.array_equal(big.cpu().numpy().astype(np.float64), np.concatenate(every).astype(np.float64))
        if dtype != "bool":
            full = [values(r, dtype, (world * 2, 3)) for r in range(world)]
            out = tensor(np.zeros((2, 3), dtype=full[0].dtype), dtype, device)
            dist.reduce_scatter_tensor(out, tensor(full[rank], dtype, device))
            want = np.stack(full).astype(np.float64).sum(0)[rank * 2 : rank * 2 + 2]
            assert np.array_equal(out.cpu().numpy().astype(np.float64), want), f"reduce_scatter_tensor {dtype}"
            out = tensor(np.zeros((2, 3), dtype=full[0].dtype), dtype, device)
            dist.reduce_scatter(out, [tensor(full[rank][2 * r : 2 * r + 2], dtype, device) for r in range(world)])
            assert np.array_equal(out.cpu().numpy().astype(np.float64), want), f"reduce_scatter {dtype}"
            t = tensor(every[rank], dtype, device)
            dist.reduce(t, dst=1)
            if rank == 1:
                assert np.array_equal(t.cpu().numpy().astype(np.float64), stacked.sum(0))
        # point to point: rank 0 sends, rank 1 receives
        if rank == 0:
            dist.send(tensor(every[0], dtype, device), dst=1, tag=7)
            work = dist.isend(tensor(every[0], dtype, device), dst=1)
            work.wait()
        elif rank == 1:
            t = tensor(np.zeros_like(every[0]), dtype, device)
            assert dist.recv(t, src=0, tag=7) == 0
            assert np.array_equal(t.cpu().numpy().astype(np.float64), every[0].astype(np.float64))
            t = tensor(np.zeros_like(every[0]), dtype, device)
            dist.irecv(t).wait()
            assert np.array_equal(t.cpu().numpy().astype(np.float64), every[0].astype(np.float64))
    # a non-contiguous CPU tensor is reduced through a staging copy and written back
    base = ember.zeros(4, 6, device=device) + rank + 1
    view = base[:, ::2]
    dist.all_reduce(view)
    assert view.cpu().numpy().tolist() == [[3.0] * 3] * 4 and base[:, 1].cpu().numpy().tolist() == [rank + 1.0] * 4
    t = ember.full((2,), float(rank), device=device)
    dist.broadcast(t, group_src=1)  # PyTorch's group-rank spelling; the world is the only group
    assert t.cpu().numpy().tolist() == [1.0, 1.0]
    for bad, message in ((dict(), "must specify src or group_src"), (dict(src=0, group_src=0), "both src")):
        try:
            dist.broadcast(t, **bad)
        except ValueError as e:
            assert message in str(e), str(e)
        else:
            raise AssertionError(f"broadcast({bad}) did not raise")
    listed: list = [rank, "from rank 1" if rank == 1 else None]
    dist.broadcast_object_list(listed, src=1)
    assert listed == [1, "from rank 1"]
    objs: list = [None] * world
    dist.all_gather_object(objs, {"rank": rank})
    assert objs == [{"rank": r} for r in range(world)]
    dist.barrier()


def groups(device: str) -> None:
    """new_group, group ranks, and gather/scatter/all_to_all(_single)/gather_object/scatter_object_list vs NumPy."""
    rank, world = dist.get_rank(), dist.get_world_size()
    every = [values(r, "float32") for r in range(world)]
    # gather and scatter to/from every root
    for root in range(world):
        outs = [tensor(np.zeros((3, 4), np.float32), "float32", device) for _ in range(world)] if rank == root else None
        dist.gather(tensor(every[rank], "float32", device), outs, dst=root)
        if rank == root:
            assert all(np.array_equal(o.cpu().numpy(), every[r]) for r, o in enumerate(outs))
        t = tensor(np.zeros((3, 4), np.float32), "float32", device)
        ins = [tensor(every[r] + 10 * root, "float32", device) for r in range(world)] if rank == root else None
        dist.scatter(t, ins, src=root, async_op=True).wait()
        assert np.array_equal(t.cpu().numpy(), every[rank] + 10 * root)
    try:
        dist.gather(tensor(every[rank], "float32", device), [ember.zeros(3, 4)] * world, dst=1 - rank)
    except ValueError as e:
        assert "gather_list must NOT be specified" in str(e), str(e)
    else:
        raise AssertionError("gather_list on a non-destination rank did not raise")
    # all_to_all_single: equal parts, then uneven split sizes; rows carry (sender, receiver) so the order is checked
    inp = ember.tensor([[100.0 * rank + r] * 2 for r in range(world)], device=device)
    out = ember.zeros(world, 2, device=device)
    dist.all_to_all_single(out, inp)
    assert out.cpu().numpy()[:, 0].tolist() == [100.0 * r + rank for r in range(world)]
    in_splits = [r + 1 for r in range(world)]  # rank s sends r+1 rows to rank r
    inp = ember.tensor(sum(([[100.0 * rank + r]] * (r + 1) for r in range(world)), []), device=device)
    out = ember.zeros(world * (rank + 1), 1, device=device)
    dist.all_to_all_single(out, inp, output_split_sizes=[rank + 1] * world, input_split_sizes=in_splits)
    assert out.cpu().numpy()[:, 0].tolist() == sum(([100.0 * s + rank] * (rank + 1) for s in range(world)), [])
    outs = [ember.zeros(rank + 1, device=device) for _ in range(world)]
    dist.all_to_all(outs, [ember.full((r + 1,), 10.0 * rank + r, device=device) for r in range(world)])
    assert [o.cpu().numpy().tolist() for o in outs] == [[10.0 * s + rank] * (rank + 1) for s in range(world)]
    got: list = [None] * world if rank == 0 else []
    dist.gather_object({"r": rank}, got if rank == 0 else None, dst=0)
    if rank == 0:
        assert got == [{"r": r} for r in range(world)]
    out1: list = [None]
    dist.scatter_object_list(out1, [f"to {r}" for r in range(world)] if rank == 1 else None, src=1)
    assert out1 == [f"to {rank}"]
    # subgroups: [1] alone, and the whole world listed backwards (group ranks follow sorted global ranks)
    solo = dist.new_group([1])
    if rank == 1:
        assert isinstance(solo, dist.ProcessGroup) and dist.get_rank(solo) == 0 and dist.get_world_size(solo) == 1
        assert dist.get_process_group_ranks(solo) == [1] and dist.get_global_rank(solo, 0) == 1
        t = ember.full((2,), 5.0, device=device)
        dist.all_reduce(t, group=solo)
        assert t.cpu().numpy().tolist() == [5.0, 5.0]
        dist.broadcast(t, src=1, group=solo)  # src is a global rank
    else:
        assert solo == dist.GroupMember.NON_GROUP_MEMBER
        assert dist.get_rank(solo) == -1 and dist.get_world_size(solo) == -1
        t = ember.full((2,), 5.0, device=device)
        assert dist.all_reduce(t, group=solo) is None and t.cpu().numpy().tolist() == [5.0, 5.0]  # not a member
    both = dist.new_group(list(reversed(range(world))))
    assert dist.get_rank(both) == rank and dist.get_group_rank(both, 1) == 1
    t = ember.full((2,), float(rank + 1), device=device)
    dist.all_reduce(t, group=both)
    assert t.cpu().numpy().tolist() == [float(sum(range(1, world + 1)))] * 2
    if rank == 0:
        dist.send(ember.ones(2, device=device), dst=1, group=both)
    elif rank == 1:
        assert dist.recv(ember.zeros(2, device=device), group=both) == 0
    for bad, message in (([0, 0], "ranks must be unique"), ([world], "not a rank of this group")):
        try:
            dist.new_group(bad)
        except ValueError as e:
            assert message in str(e), str(e)
        else:
            raise AssertionError(f"new_group({bad}) did not raise")
    dist.destroy_process_group(both)
    dist.barrier()


def expect_error(fn, *needles: str) -> None:
    try:
        fn()
    except (RuntimeError, ValueError) as e:
        for needle in needles:
            assert needle in str(e), f"{needle!r} not in: {e}"
    else:
        raise AssertionError(f"no error; expected one saying {needles}")


def mismatch() -> None:
    """Mismatched collectives raise on every rank, naming both calls, and never hang or return a wrong result;
    the ranks agree again afterwards."""
    rank = dist.get_rank()
    for _ in range(2):  # the same call twice: a cached signature must not hide the mismatch that follows
        dist.all_reduce(ember.ones(3))
    expect_error(
        lambda: dist.all_reduce(ember.zeros(2 + rank, dtype=ember.float32 if rank == 0 else ember.float64)),
        "rank 0 called all_reduce on a tensor of shape (2,), dtype float32 (op SUM)",
        "rank 1 called all_reduce on a tensor of shape (3,), dtype float64 (op SUM)",
    )
    expect_error(lambda: dist.all_reduce(ember.ones(4), op="max" if rank else "sum"), "(op SUM)", "(op MAX)")
    expect_error(
        lambda: dist.all_reduce(ember.ones(4)) if rank == 0 else dist.broadcast(ember.ones(4), src=0),
        "rank 0 called all_reduce", "rank 1 called broadcast on a tensor of shape (4,), dtype float32 (src 0)",
    )  # fmt: skip
    expect_error(lambda: dist.reduce(ember.ones(4), dst=rank), "(dst 0, op SUM)", "(dst 1, op SUM)")
    # 8 dimensions, differing in the last one only (beyond the 7 sizes the signature holds: its numel differs)
    expect_error(lambda: dist.all_gather_into_tensor(ember.zeros(2 * (2 + rank)), ember.zeros(*[1] * 7, 2 + rank)),
                 "rank 1 called all_gather on a tensor of shape (1, 1, 1, 1, 1, 1, 1, ...), dtype float32")  # fmt: skip
    # all_to_all: rank 1 expects 2 elements from rank 0, which sends 1
    outs = [ember.zeros(1 + rank) for _ in range(2)]
    expect_error(lambda: dist.all_to_all(outs, [ember.ones(1), ember.ones(1)]),
                 "all_to_all: rank 0 sends 4 bytes to rank 1, which expects 8 bytes")  # fmt: skip
    expect_error(
        lambda: dist.all_to_all_single(ember.zeros(2 + 2 * rank), ember.ones(2)),
        "all_to_all_single: rank 0 sends 4 bytes to rank 1, which expects 8 bytes",
    )
    expect_error(lambda: dist.new_group([rank]), "rank 0 called new_group", "rank 1 called new_group")
    expect_error(lambda: dist.new_group(backend="nccl"), "backend 'nccl' needs a world started with")
    t = ember.full((3,), float(rank + 1))
    dist.all_reduce(t)  # in step again
    assert t.numpy().tolist() == [3.0] * 3
    # the argument checks of gather/scatter and their object versions (one checker)
    expect_error(lambda: dist.gather_object(rank, [None, None], dst=1 - rank),
                 "gather_object: argument object_gather_list must NOT be specified on ranks other than the destination")  # fmt: skip
    expect_error(lambda: dist.gather_object(rank, [None], dst=rank),
                 "gather_object: object_gather_list must be a list of world_size=2 entries")  # fmt: skip
    expect_error(lambda: dist.scatter_object_list([None], None, src=rank),
                 "scatter_object_list: argument scatter_object_input_list must be specified on the source rank")  # fmt: skip
    expect_error(lambda: dist.scatter(ember.zeros(2), [ember.zeros(3), ember.zeros(3)], src=rank),
                 "scatter: every tensor of scatter_list must have shape (2,) and dtype float32, got shape (3,)")  # fmt: skip
    print(f"rank {rank}: mismatch reported")


def buffers(device: str) -> None:
    """Rank 0's buffers reach every rank at wrap time and again at each forward (broadcast_buffers)."""
    ember.manual_seed(dist.get_rank())
    net = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3)).to(device)
    ddp = DDP(net)
    same_on_all_ranks(net)
    x = ember.randn(8, 4, device=device) * (dist.get_rank() + 1)  # different statistics on each rank
    ddp(x).sum().backward()
    ddp(x)  # the second forward starts from rank 0's running statistics again
    mean = net[1].running_mean.detach().contiguous()
    every = [ember.zeros_like(mean) for _ in range(dist.get_world_size())]
    dist.all_gather(every, mean)
    assert not np.array_equal(every[0].cpu().numpy(), every[1].cpu().numpy()), "each rank then updates its own"
    ddp(x)
    assert net[1].num_batches_tracked.item() == 3


def model_mismatch() -> None:
    rank = dist.get_rank()
    try:
        DDP(nn.Linear(4, 3 + rank))
    except RuntimeError as e:
        assert "the model differs across ranks" in str(e) and "(3, 4)" in str(e) and "(4, 4)" in str(e), str(e)
    else:
        raise AssertionError("DDP over different models did not raise")


def sampler() -> None:
    from ember.data import DistributedSampler

    rank, world = dist.get_rank(), dist.get_world_size()
    s = DistributedSampler(range(11), seed=3)  # rank and world size from the process group
    assert (s.rank, s.num_replicas, len(s)) == (rank, world, 6)
    epochs = [list(s) for _ in range(3)]
    assert epochs[0] != epochs[1] != epochs[2], "each iteration must advance the epoch"
    every: list = [None] * world
    dist.all_gather_object(every, epochs)
    for e in range(3):  # the ranks' shares of one epoch cover the dataset (padded by repeating its start)
        assert set().union(*(set(every[r][e]) for r in range(world))) == set(range(11))


def nccl() -> None:
    t = ember.ones(4, device="cuda") * (dist.get_rank() + 1)
    dist.all_reduce(t)
    n = dist.get_world_size()
    assert t.cpu().numpy().tolist() == [n * (n + 1) / 2] * 4
    sub = dist.new_group([0])  # an NCCL subgroup (the world's backend) of rank 0
    if dist.get_rank() == 0:
        assert isinstance(sub, dist.ProcessGroup) and sub.backend == "nccl" and sub.nccl is not None
        t = ember.full((3,), 2.0, device="cuda")
        dist.all_reduce(t, op=dist.ReduceOp.AVG, group=sub)
        assert t.cpu().numpy().tolist() == [2.0] * 3


def main() -> None:
    mode = sys.argv[1]
    device = sys.argv[2] if len(sys.argv) > 2 else "cpu"
    dist.init_process_group("nccl" if mode == "nccl" else "mpi")
    assert dist.is_initialized()
    if mode == "collectives":
        collectives(device)
    elif mode == "buffers":
        buffers(device)
    elif mode == "model_mismatch":
        model_mismatch()
    elif mode == "sampler":
        sampler()
    elif mode == "groups":
        groups(device)
    elif mode == "nccl":
        nccl()
    elif mode == "mismatch":
        mismatch()
    else:
        train(mode, device)
    print(f"rank {dist.get_rank()}: {mode} ok")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
