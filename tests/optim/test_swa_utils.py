"""`ember.optim.swa_utils` (AveragedModel, SWALR, update_bn, the avg_fn factories) against NumPy references of
PyTorch's documented formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.optim as optim
from ember.optim import swa_utils

RNG = np.random.default_rng(0)
WEIGHTS = [RNG.standard_normal((3, 2)).astype(np.float32) for _ in range(4)]


def _model(device: str) -> nn.Module:
    return nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)).to(device)


def _set(model: nn.Module, w: np.ndarray) -> None:
    with ember.no_grad():
        model[0].weight.copy_(ember.tensor(w, device=model[0].weight.device))
        model[1].running_mean.fill_(float(w[0, 0]))


def _averaged(device: str, **kw) -> swa_utils.AveragedModel:
    model = _model(device)
    avg = swa_utils.AveragedModel(model, **kw)
    for w in WEIGHTS:
        _set(model, w)
        avg.update_parameters(model)
    return avg


def _ema(decay: float, values: list[np.ndarray]) -> np.ndarray:
    out = values[0].astype(np.float64)  # the first update copies the model
    for v in values[1:]:
        out = decay * out + (1 - decay) * v
    return out


def test_swa_is_the_mean_of_the_models(device: str) -> None:
    for avg in (_averaged(device), _averaged(device, avg_fn=swa_utils.get_swa_avg_fn())):
        np.testing.assert_allclose(avg.module[0].weight.detach().numpy(), np.mean(WEIGHTS, axis=0), rtol=1e-5)
        assert avg.n_averaged.item() == 4 and avg.n_averaged.dtype == ember.int64
        # without use_buffers the buffers follow the model's last values
        assert avg.module[1].running_mean.tolist() == pytest.approx([float(WEIGHTS[-1][0, 0])] * 3)
        assert "n_averaged" in avg.state_dict() and "module.0.weight" in avg.state_dict()


def test_ema_and_buffers(device: str) -> None:
    avg = _averaged(device, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.9))
    np.testing.assert_allclose(avg.module[0].weight.detach().numpy(), _ema(0.9, WEIGHTS), rtol=1e-5)
    one = _averaged(device, avg_fn=swa_utils.get_ema_avg_fn(0.8))
    np.testing.assert_allclose(one.module[0].weight.detach().numpy(), _ema(0.8, WEIGHTS), rtol=1e-5)
    with_buffers = _averaged(device, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.5), use_buffers=True)
    want = _ema(0.5, [np.full(3, w[0, 0]) for w in WEIGHTS])
    np.testing.assert_allclose(with_buffers.module[1].running_mean.numpy(), want, rtol=1e-5)
    with pytest.raises(ValueError, match=r"Invalid decay value 1.5 provided. Please provide a value in \[0,1\] range"):
        swa_utils.get_ema_avg_fn(1.5)
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn should be provided"):
        swa_utils.AveragedModel(_model(device), avg_fn=swa_utils.get_swa_avg_fn(),
                                multi_avg_fn=swa_utils.get_swa_multi_avg_fn())  # fmt: skip
    x = ember.ones(5, 2, device=device)
    avg = _averaged(device)
    avg.eval()
    np.testing.assert_allclose(avg(x).detach().numpy(), avg.module(x).detach().numpy())


@pytest.mark.parametrize("strategy, anneal", [("cos", lambda t: (1 - math.cos(math.pi * t)) / 2), ("linear", lambda t: t)])
def test_swalr_anneals_to_swa_lr(device: str, strategy: str, anneal) -> None:
    p = [ember.ones(1, device=device, requires_grad=True) for _ in range(2)]
    opt = optim.SGD([{"params": p[:1]}, {"params": p[1:], "lr": 0.3}], lr=0.5)
    swa_lrs, epochs = [0.05, 0.01], 4
    sched = swa_utils.SWALR(opt, swa_lr=swa_lrs, anneal_epochs=epochs, anneal_strategy=strategy)
    for step in range(1, 8):
        opt.step()
        sched.step()
        # PyTorch's schedule in closed form: lr_t = swa_lr * a(t) + lr_0 * (1 - a(t)), t = min(1, step / epochs)
        alpha = anneal(min(1.0, step / epochs))
        want = [s * alpha + lr0 * (1 - alpha) for s, lr0 in zip(swa_lrs, (0.5, 0.3))]
        assert sched.get_last_lr() == pytest.approx(want)
    for bad, match in ((dict(anneal_strategy="step"), "anneal_strategy must be one of 'cos' or 'linear'"),
                       (dict(anneal_epochs=-1), "anneal_epochs must be equal or greater than 0")):  # fmt: skip
        with pytest.raises(ValueError, match=match):
            swa_utils.SWALR(opt, swa_lr=0.1, **bad)


def test_update_bn_recomputes_running_statistics(device: str) -> None:
    model = _model(device)
    model[1].momentum = 0.3
    batches = [RNG.standard_normal((4, 2)).astype(np.float32) for _ in range(3)]
    loader = [(ember.tensor(b, device=device), 0) for b in batches]
    swa_utils.update_bn(loader, model)
    w, b = model[0].weight.detach().numpy(), model[0].bias.detach().numpy()
    feats = [x @ w.T + b for x in batches]
    # a cumulative average over the batches (momentum None during the pass), then momentum restored
    np.testing.assert_allclose(model[1].running_mean.numpy(), np.mean([f.mean(0) for f in feats], 0), rtol=1e-5)
    np.testing.assert_allclose(model[1].running_var.numpy(), np.mean([f.var(0, ddof=1) for f in feats], 0), rtol=1e-4)
    assert model[1].momentum == 0.3 and model[1].num_batches_tracked.item() == 3 and model.training
