"""End to end: small models trained with plain SGD written inline; the loss falls."""

from __future__ import annotations

import numpy as np

import ember
import ember.nn as nn
import ember.nn.functional as F


def sgd(model: nn.Module, lr: float, bufs: dict, momentum: float = 0.9) -> None:
    with ember.no_grad():
        for p in model.parameters():
            buf = bufs.get(id(p))
            buf = p.grad.clone() if buf is None else buf * momentum + p.grad
            bufs[id(p)] = buf
            p.sub_(buf * lr)


def test_mlp_learns_two_blobs(device) -> None:
    ember.manual_seed(0)
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-1, 0.7, (64, 2)), rng.normal(1, 0.7, (64, 2))]).astype(np.float32)
    y = np.repeat([0, 1], 64)
    xt, yt = ember.tensor(x, device=device), ember.tensor(y, device=device)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 2)).to(device)
    bufs: dict = {}
    losses = []
    for _ in range(60):
        loss = F.cross_entropy(model(xt), yt)
        model.zero_grad()
        loss.backward()
        sgd(model, 0.05, bufs)
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    model.eval()
    acc = (model(xt).argmax(1) == yt).float().mean().item()
    assert acc > 0.9


def test_small_cnn_loss_falls(device) -> None:
    ember.manual_seed(0)
    rng = np.random.default_rng(1)
    # class 0: bright top half, class 1: bright bottom half
    x = rng.normal(0, 0.3, (32, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 2, 32)
    x[y == 0, :, :4] += 1.0
    x[y == 1, :, 4:] += 1.0
    xt, yt = ember.tensor(x, device=device), ember.tensor(y, device=device)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d((2, 1)), nn.Flatten(), nn.Linear(8, 2),
    ).to(device)  # fmt: skip
    bufs: dict = {}
    losses = []
    for _ in range(25):
        loss = F.cross_entropy(model(xt), yt)
        model.zero_grad()
        loss.backward()
        sgd(model, 0.1, bufs)
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses


def test_lstm_learns_to_sum(device) -> None:
    ember.manual_seed(0)
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, (32, 5, 1)).astype(np.float32)
    target = x.sum(1)
    lstm = nn.LSTM(1, 8, batch_first=True).to(device)
    head = nn.Linear(8, 1).to(device)
    model = nn.ModuleList([lstm, head])
    xt, tt = ember.tensor(x, device=device), ember.tensor(target, device=device)
    bufs: dict = {}
    losses = []
    for _ in range(40):
        out, (h, _) = lstm(xt)
        loss = F.mse_loss(head(h[-1]), tt)
        model.zero_grad()
        loss.backward()
        sgd(model, 0.05, bufs)
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses
