"""The training loop: epochs with a progress bar, validation, the best checkpoint, the history."""

from __future__ import annotations

import math
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm import tqdm

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler, TensorDataset
from ember.random import default_generator

from .data import Split


@dataclass
class History:
    rows: list[dict[str, float]] = field(default_factory=list)

    def add(self, **row: float) -> None:
        self.rows.append(row)


def loader(
    split: Split, batch_size: int, device: str, shuffle: bool, seed: int, workers: int, generator: ember.Generator | None = None
) -> DataLoader:
    """Batches of an in-memory split: the sampler yields whole index lists, so each batch is one gather.
    The shuffle comes from `generator` (default: a new one seeded with `seed`)."""
    ds = TensorDataset(ember.from_numpy(split.images), ember.from_numpy(split.labels))
    gen = generator if generator is not None else ember.Generator().manual_seed(seed)
    order = RandomSampler(ds, generator=gen) if shuffle else SequentialSampler(ds)
    return DataLoader(
        ds, batch_size=None, sampler=BatchSampler(order, batch_size, drop_last=False), num_workers=workers
    )


def distributed_loader(split: Split, batch_size: int, seed: int, workers: int) -> DataLoader:
    """This rank's share of each epoch (`DistributedSampler`: a new shuffle every epoch, equal shards)."""
    from ember.data import DistributedSampler

    ds = TensorDataset(ember.from_numpy(split.images), ember.from_numpy(split.labels))
    order = DistributedSampler(ds, seed=seed)
    return DataLoader(
        ds, batch_size=None, sampler=BatchSampler(order, batch_size, drop_last=False), num_workers=workers
    )


def evaluate(
    model: nn.Module, split: Split, device: str, batch_size: int = 512, compiled: bool = True
) -> tuple[float, np.ndarray, np.ndarray]:
    """Mean loss, predicted classes and their probabilities on a split (`compiled`: with ember.compile)."""
    model.eval()
    losses, preds, probs = 0.0, [], []
    step = _eval_step(model, compiled)
    with ember.no_grad():
        for start in range(0, len(split), batch_size):
            x = ember.from_numpy(split.images[start : start + batch_size]).to(device)
            y = ember.from_numpy(split.labels[start : start + batch_size]).to(device)
            loss, pred, prob = step(x, y)
            losses += loss.item()
            preds.append(pred.cpu().numpy())
            probs.append(prob.cpu().numpy())
    return losses / max(len(split), 1), np.concatenate(preds), np.concatenate(probs)


_eval_steps: weakref.WeakKeyDictionary[nn.Module, Any] = weakref.WeakKeyDictionary()


def _eval_step(model: nn.Module, compiled: bool) -> Any:
    """The evaluation of one batch: summed loss, predicted classes and their probabilities (compiled once per model)."""
    if compiled and model in _eval_steps:
        return _eval_steps[model]

    def step(x: ember.Tensor, y: ember.Tensor) -> tuple[ember.Tensor, ember.Tensor, ember.Tensor]:
        logits = model(x)
        p = logits.softmax(1)
        return F.cross_entropy(logits, y, reduction="sum"), p.argmax(1), p.max(1).values

    if not compiled:
        return step
    _eval_steps[model] = ember.compile(step)
    return _eval_steps[model]


def _train_step(model: nn.Module, opt: Any, compiled: bool) -> Any:
    """One optimization step on a batch: its mean loss and number of correct predictions (compiled unless told not)."""

    def step(x: ember.Tensor, y: ember.Tensor) -> tuple[ember.Tensor, ember.Tensor]:
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.detach(), (logits.argmax(1) == y).sum()

    return ember.compile(step) if compiled else step


def make_optimizer(args: Any, model: nn.Module, steps: int) -> tuple[Any, Any]:
    params = list(model.parameters())
    if args.optimizer == "sgd":
        opt = ember.optim.SGD(params, lr=args.lr, momentum=0.9, nesterov=True, weight_decay=args.weight_decay)
    else:
        opt = ember.optim.AdamW(params, lr=args.lr, weight_decay=args.weight_decay)
    sched = None
    if args.schedule == "cosine":
        sched = ember.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    elif args.schedule == "onecycle":
        sched = ember.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps)
    return opt, sched


def _rng_devices(device: str) -> list[str]:
    """The devices whose default generators a run draws from: the host (shuffles, worker seeds) and the model's."""
    dev = str(ember.device(device))
    return ["cpu"] if dev == "cpu" else ["cpu", dev]


def training_state(
    epoch: int, model: nn.Module, opt: Any, sched: Any, gen: ember.Generator, history: History, best: float, device: str
) -> dict[str, Any]:
    """Everything the next epoch depends on: saved after each epoch (last.safetensors) so `--resume` continues the
    run exactly where it stopped, with the same results as a run that never stopped."""
    return {
        "epoch": epoch, "model": model.state_dict(), "optimizer": opt.state_dict(),
        "scheduler": sched.state_dict() if sched is not None else None, "history": history.rows, "best": best,
        "loader_rng": gen.get_state(), "rng": [[d, default_generator(d).get_state()] for d in _rng_devices(device)],
    }  # fmt: skip


def restore(
    state: dict[str, Any], model: nn.Module, opt: Any, sched: Any, gen: ember.Generator, history: History
) -> tuple[int, float]:
    """Load `training_state`'s dict back; returns (the first epoch still to run, the best validation loss so far)."""
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optimizer"])
    if sched is not None:
        sched.load_state_dict(state["scheduler"])
    gen.set_state(state["loader_rng"].cpu())
    used = _rng_devices(str(next(iter(model.parameters())).device))
    for dev, rng in state["rng"]:
        if dev in used:  # a run resumed on another device draws its dropout masks there, from a fresh stream
            default_generator(dev).set_state(rng.cpu())
    history.rows = [dict(r) for r in state["history"]]
    return int(state["epoch"]) + 1, float(state["best"])


def fit(
    args: Any,
    model: nn.Module,
    train: Split,
    val: Split,
    checkpoint: Any,
    log: Any = print,
    save_state: Any = None,
    resume: dict[str, Any] | None = None,
    on_epoch: Any = None,
) -> History:
    """Train for `args.epochs`, validating after each; `checkpoint(model, epoch)` is called on improvement,
    `on_epoch(epoch, row, model, optimizer)` after each epoch (TensorBoard), then `save_state(training_state(...))`.
    `resume`: a state saved so, to continue from."""
    import ember.optim

    device = args.device
    gen = ember.Generator().manual_seed(args.seed)
    world = 1
    if getattr(args, "nproc", 1) > 1:  # ranks of ember.distributed: each trains on its shard of every batch
        import ember.distributed as dist
        from ember.nn.parallel import DistributedDataParallel

        world = dist.get_world_size()
        model = DistributedDataParallel(model)
        batches = distributed_loader(train, math.ceil(args.batch_size / world), args.seed, args.num_workers)
        steps = args.epochs * len(batches)
    else:
        batches = loader(train, args.batch_size, device, True, args.seed, args.num_workers, generator=gen)
        steps = args.epochs * math.ceil(len(train) / args.batch_size)
    opt, sched = make_optimizer(args, model, steps)
    history = History()
    first, best = 1, math.inf
    if resume is not None:
        first, best = restore(resume, model, opt, sched, gen, history)
    compiled = getattr(args, "compile", True) and world == 1  # DDP's hooks talk to other ranks: eager
    train_step = _train_step(model, opt, compiled)
    for epoch in range(first, args.epochs + 1):
        start = time.perf_counter()
        model.train()
        total, seen, correct = 0.0, 0, 0
        # a bar on a terminal only (tqdm's own check, disable=None): a log file gets one line per epoch
        bar = tqdm(batches, desc=f"epoch {epoch}/{args.epochs}", leave=False, disable=True if args.quiet else None, unit="batch")
        for x, y in bar:
            x, y = x.to(device), y.to(device)
            loss, hits = train_step(x, y)
            if sched is not None:
                sched.step()
            n = len(y)
            total += loss.item() * n
            seen += n
            correct += int(hits.item())
            bar.set_postfix(loss=f"{total / seen:.4f}")
        if world > 1:  # the whole batch's loss and accuracy, summed over the ranks
            sums = ember.tensor([total, float(seen), float(correct)], dtype=ember.float64)
            dist.all_reduce(sums)
            total, seen, correct = sums[0].item(), int(sums[1].item()), int(sums[2].item())
        val_loss, val_pred, _ = evaluate(model, val, device, compiled=compiled)
        val_acc = float((val_pred == val.labels).mean())
        row = dict(
            epoch=epoch, train_loss=total / seen, train_acc=correct / seen, val_loss=val_loss, val_acc=val_acc,
            seconds=time.perf_counter() - start,
        )  # fmt: skip
        history.add(**row)
        improved = val_loss < best
        if improved:
            best = val_loss
            checkpoint(model, epoch)
        if on_epoch is not None:
            on_epoch(epoch, row, model, opt)
        if save_state is not None:
            save_state(training_state(epoch, model, opt, sched, gen, history, best, device))
        log(
            f"epoch {epoch:3d}/{args.epochs}  train loss {row['train_loss']:.4f}  val loss {val_loss:.4f}  "
            f"val acc {val_acc:6.2%}  {row['seconds']:5.1f}s{'  *' if improved else ''}"
        )
    return history
