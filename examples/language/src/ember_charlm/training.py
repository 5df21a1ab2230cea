"""Training with a wall-clock budget, validation in bits per character, and sampling from a prompt."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import ember
import ember.nn as nn
import ember.optim as optim
from ember import Tensor

from .corpus import windows
from .model import VOCAB, CharTransformer

LN2 = math.log(2.0)


@dataclass
class Record:
    step: int
    seconds: float
    train_bpc: float
    val_bpc: float


@dataclass
class History:
    records: list[Record] = field(default_factory=list)

    @property
    def best(self) -> Record:
        return min(self.records, key=lambda r: r.val_bpc)


def _batch(data: np.ndarray, starts: np.ndarray, context: int, device: str) -> tuple[Tensor, Tensor]:
    x, y = windows(data, starts, context)
    return ember.tensor(x, device=device), ember.tensor(y, device=device)


def evaluate(model: CharTransformer, data: np.ndarray, starts: np.ndarray, batch_size: int, device: str) -> float:
    """Bits per character of the next-byte predictions over fixed validation windows."""
    model.eval()
    total = 0.0
    with ember.no_grad():
        for i in range(0, len(starts), batch_size):
            x, y = _batch(data, starts[i : i + batch_size], model.cfg.context, device)
            total += model.loss(x, y).item() * len(x)
    model.train()
    return total / len(starts) / LN2


def fit(
    model: CharTransformer,
    train: np.ndarray,
    val: np.ndarray,
    *,
    steps: int,
    minutes: float,
    batch_size: int,
    lr: float,
    eval_every: int,
    eval_windows: int,
    device: str,
    seed: int,
    on_eval: Callable[[Record], None] = lambda r: None,
    on_best: Callable[[Record], None] = lambda r: None,
) -> History:
    """AdamW with a short warm-up then cosine decay over `steps` or `minutes`, whichever ends first (the
    schedule follows the wall clock too, so a slow machine still anneals), stopping when either runs out."""
    rng = np.random.default_rng(seed)
    ctx = model.cfg.context
    val_starts = np.random.default_rng(seed + 1).integers(0, len(val) - ctx - 1, eval_windows)
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (decay if p.ndim >= 2 and "pos" not in name and "tok" not in name else no_decay).append(p)
    opt = optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.99))
    warmup = max(1, min(50, steps // 10))
    history = History()
    start = time.perf_counter()
    budget = minutes * 60

    def progress(step: int) -> float:
        """How far training is, 0..1: by steps or by the wall-clock budget, whichever is further along."""
        return min(1.0, max(step / steps, (time.perf_counter() - start) / budget))

    def lr_factor(step: int) -> float:  # a short warm-up, then cosine decay to a tenth over the run
        if step < warmup:
            return (step + 1) / warmup
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress(step)))

    running: list[float] = []
    for step in range(1, steps + 1):
        for group in opt.param_groups:
            group["lr"] = lr * lr_factor(step - 1)
        x, y = _batch(train, rng.integers(0, len(train) - ctx - 1, batch_size), ctx, device)
        loss = model.loss(x, y)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        running.append(loss.item())
        out_of_time = time.perf_counter() - start > budget
        if step % eval_every == 0 or step == steps or out_of_time:
            rec = Record(step, time.perf_counter() - start, float(np.mean(running)) / LN2,
                         evaluate(model, val, val_starts, batch_size, device))  # fmt: skip
            running.clear()
            history.records.append(rec)
            on_eval(rec)
            if rec is history.best:
                on_best(rec)
        if out_of_time:
            break
    return history


def sample(
    model: CharTransformer, prompt: bytes, length: int, *, temperature: float, top_k: int, device: str, seed: int
) -> bytes:
    """Continue `prompt` by `length` bytes, each drawn from the softmax of the logits / temperature over
    the `top_k` most likely bytes (top_k 0: all 256)."""
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    rng = np.random.default_rng(seed)
    out = bytearray(prompt or b"\n")
    model.eval()
    with ember.no_grad():
        for _ in range(length):
            ctx = np.frombuffer(bytes(out[-model.cfg.context :]), dtype=np.uint8).astype(np.int64)[None]
            logits = model(ember.tensor(ctx, device=device))[0, -1].numpy().astype(np.float64) / temperature
            if 0 < top_k < VOCAB:
                logits[logits < np.sort(logits)[-top_k]] = -np.inf
            p = np.exp(logits - logits.max())
            out.append(int(rng.choice(VOCAB, p=p / p.sum())))
    return bytes(out)
