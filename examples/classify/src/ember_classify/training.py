"""The training loop: epochs with a progress bar, validation, the best checkpoint, the history."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm import tqdm

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler, TensorDataset

from .data import Split


@dataclass
class History:
    rows: list[dict[str, float]] = field(default_factory=list)

    def add(self, **row: float) -> None:
        self.rows.append(row)


def loader(split: Split, batch_size: int, device: str, shuffle: bool, seed: int, workers: int) -> DataLoader:
    """Batches of an in-memory split: the sampler yields whole index lists, so each batch is one gather."""
    ds = TensorDataset(ember.from_numpy(split.images), ember.from_numpy(split.labels))
    gen = ember.Generator().manual_seed(seed)
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
    model: nn.Module, split: Split, device: str, batch_size: int = 512
) -> tuple[float, np.ndarray, np.ndarray]:
    """Mean loss, predicted classes and their probabilities on a split."""
    model.eval()
    losses, preds, probs = 0.0, [], []
    with ember.no_grad():
        for start in range(0, len(split), batch_size):
            x = ember.from_numpy(split.images[start : start + batch_size]).to(device)
            y = ember.from_numpy(split.labels[start : start + batch_size]).to(device)
            logits = model(x)
            losses += F.cross_entropy(logits, y, reduction="sum").item()
            p = logits.softmax(1)
            preds.append(p.argmax(1).cpu().numpy())
            probs.append(p.max(1).values.cpu().numpy())
    return losses / max(len(split), 1), np.concatenate(preds), np.concatenate(probs)


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


def fit(args: Any, model: nn.Module, train: Split, val: Split, checkpoint: Any, log: Any = print) -> History:
    """Train for `args.epochs`, validating after each; `checkpoint(model, epoch)` is called on improvement."""
    import ember.optim

    device = args.device
    world = 1
    if getattr(args, "nproc", 1) > 1:  # ranks of ember.distributed: each trains on its shard of every batch
        import ember.distributed as dist
        from ember.nn.parallel import DistributedDataParallel

        world = dist.get_world_size()
        model = DistributedDataParallel(model)
        batches = distributed_loader(train, math.ceil(args.batch_size / world), args.seed, args.num_workers)
    else:
        batches = loader(train, args.batch_size, device, True, args.seed, args.num_workers)
    steps = args.epochs * len(batches)
    opt, sched = make_optimizer(args, model, steps)
    history = History()
    best = math.inf
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        model.train()
        total, seen, correct = 0.0, 0, 0
        bar = tqdm(batches, desc=f"epoch {epoch}/{args.epochs}", leave=False, disable=args.quiet, unit="batch")
        for x, y in bar:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            n = len(y)
            total += loss.item() * n
            seen += n
            correct += int((logits.argmax(1) == y).sum().item())
            bar.set_postfix(loss=f"{total / seen:.4f}")
        if world > 1:  # the whole batch's loss and accuracy, summed over the ranks
            sums = ember.tensor([total, float(seen), float(correct)], dtype=ember.float64)
            dist.all_reduce(sums)
            total, seen, correct = sums[0].item(), int(sums[1].item()), int(sums[2].item())
        val_loss, val_pred, _ = evaluate(model, val, device)
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
        log(
            f"epoch {epoch:3d}/{args.epochs}  train loss {row['train_loss']:.4f}  val loss {val_loss:.4f}  "
            f"val acc {val_acc:6.2%}  {row['seconds']:5.1f}s{'  *' if improved else ''}"
        )
    return history
