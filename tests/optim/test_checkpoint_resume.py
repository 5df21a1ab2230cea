"""A model trained with ember.nn and ember.optim learns, and a checkpoint written mid-run resumes it exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
import ember.optim as optim
from ember.optim import lr_scheduler

TOTAL = 40


def _data(device: str) -> tuple[ember.Tensor, ember.Tensor]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype(np.float32)
    y = (x @ rng.standard_normal((4, 3))).argmax(1)
    return ember.tensor(x, device=device), ember.tensor(y, device=device)


def _sgd(model: nn.Module):
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)
    return opt, lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=TOTAL)


def _adamw(model: nn.Module):
    opt = optim.AdamW([{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 0.02}], lr=0.05,
                      amsgrad=True)  # fmt: skip
    return opt, lr_scheduler.CosineAnnealingLR(opt, T_max=TOTAL)


@pytest.mark.parametrize("make_opt", [_sgd, _adamw], ids=["sgd-onecycle", "adamw-cosine"])
def test_training_resumes_exactly_from_a_checkpoint(device: str, tmp_path: Path, make_opt) -> None:
    x, y = _data(device)

    def make() -> tuple[nn.Module, optim.Optimizer, lr_scheduler.LRScheduler]:
        model = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 3)).to(device)
        return (model, *make_opt(model))

    def train(model, opt, sched, steps: int) -> list[float]:
        losses = []
        for _ in range(steps):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
        return losses

    ember.manual_seed(0)
    model, opt, sched = make()
    first = train(model, opt, sched, TOTAL // 2)
    path = tmp_path / "checkpoint.ember"
    ember.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, path)
    rest = train(model, opt, sched, TOTAL // 2)
    assert rest[-1] < 0.5 * first[0], f"the loss did not fall: {first[0]:.4f} -> {rest[-1]:.4f}"

    ember.manual_seed(1)  # a different initialisation, overwritten by the checkpoint
    model2, opt2, sched2 = make()
    checkpoint = ember.load(path, map_location=device)
    model2.load_state_dict(checkpoint["model"])
    opt2.load_state_dict(checkpoint["optimizer"])
    sched2.load_state_dict(checkpoint["scheduler"])
    assert train(model2, opt2, sched2, TOTAL // 2) == rest
    for p, q in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
