"""ember.nn training steps against hand-written NumPy forward/backward of the same math, in one process.

    python benchmarks/bench_nn.py [--repeat N] [--only mlp|cnn|memory] [--device DEV]

- mlp: Linear 784-256-128-10 with ReLU, cross-entropy, SGD momentum 0.9, batch 128.
  Baseline: the same layers written with NumPy matmuls (weights (out, in) as in ember.nn).
- cnn: conv 1->8 3x3 pad 1 + ReLU + maxpool 2, conv 8->16 3x3 pad 1 + ReLU + maxpool 2,
  linear 784->10, cross-entropy, SGD momentum 0.9, batch 64, 28x28 input.
  Baseline: the textbook hand-written NumPy CNN step: im2col with precomputed fancy-index
  arrays, one GEMM per conv, col2im with np.add.at, max-pool 2x2 by reshape with a mask
  for its backward.

Both sides run the full step (forward, loss, backward, update) on float32. Rounds are
interleaved (baseline, ember, baseline, ...) and medians reported. Targets: MLP <= 1.1x,
CNN <= 1.0x of the baseline's time. With --device (e.g. opencl) the baseline is the
same Ember step on the NumPy backend (target for opencl: MLP <= 3x).
"""

from __future__ import annotations

import copy
import os
import sys
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run
from run import compare, row, run_cases

import ember
import ember.nn as nn
import ember.nn.functional as F

LR, MOMENTUM = 0.01, 0.9


# -- ember ---------------------------------------------------------------------------
def ember_step_fn(model: nn.Module, x: ember.Tensor, y: ember.Tensor):
    params = list(model.parameters())
    bufs = [ember.zeros_like(p) for p in params]

    def step() -> None:
        loss = F.cross_entropy(model(x), y)
        model.zero_grad()
        loss.backward()
        with ember.no_grad():
            for p, b in zip(params, bufs):
                b.mul_(MOMENTUM).add_(p.grad)
                p.sub_(b * LR)

    return step


def _run_step(name: str, numpy_step: Any, model: nn.Module, xn: np.ndarray, yn: np.ndarray, repeat: int, number: int,
              target: str, device_target: str) -> None:  # fmt: skip
    """On cpu: Ember against the hand-written NumPy step. With --device: Ember there against Ember on cpu."""
    if run.DEVICE == "cpu":
        ours = ember_step_fn(model, ember.from_numpy(xn), ember.from_numpy(yn))
        base, t = compare(numpy_step, ours, repeat, number)
        row(name, base, t, target)
        return
    twin = copy.deepcopy(model).to(run.DEVICE)
    on_cpu = ember_step_fn(model, ember.from_numpy(xn), ember.from_numpy(yn))
    there = ember_step_fn(twin, run.on_device(xn), run.on_device(yn))
    base, t = compare(on_cpu, there, repeat, number)
    print(f"{name} on {run.DEVICE}: ember cpu {base * 1e3:.2f} ms, ember {run.DEVICE} {t * 1e3:.2f} ms, "
          f"ratio {t / base:.2f}x (target {device_target} of the NumPy backend)")  # fmt: skip


# -- NumPy: shared pieces --------------------------------------------------------------
def np_softmax_ce(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    m = logits.max(1, keepdims=True)
    e = np.exp(logits - m)
    s = e.sum(1, keepdims=True)
    n = logits.shape[0]
    loss = float((np.log(s[:, 0]) + m[:, 0] - logits[np.arange(n), y]).mean())
    g = e / s
    g[np.arange(n), y] -= 1
    return loss, g / n


def np_sgd(params: list[np.ndarray], grads: list[np.ndarray], bufs: list[np.ndarray]) -> None:
    for p, g, b in zip(params, grads, bufs):
        b *= MOMENTUM
        b += g
        p -= LR * b


# -- MLP -------------------------------------------------------------------------------
def mlp_workload() -> tuple[nn.Module, np.ndarray, np.ndarray, Any]:
    """The MLP step's model, batch (x, y) and its hand-written NumPy step (on copies of the model's weights)."""
    ember.manual_seed(0)
    rng = np.random.default_rng(0)
    xn = rng.standard_normal((128, 784), dtype=np.float32)
    yn = rng.integers(0, 10, 128)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    params = [p.detach().numpy().copy() for p in model.parameters()]  # W1 b1 W2 b2 W3 b3
    bufs = [np.zeros_like(p) for p in params]

    def numpy_step() -> None:
        w1, b1, w2, b2, w3, b3 = params
        h1 = xn @ w1.T + b1
        a1 = np.maximum(h1, 0)
        h2 = a1 @ w2.T + b2
        a2 = np.maximum(h2, 0)
        logits = a2 @ w3.T + b3
        _, g3 = np_softmax_ce(logits, yn)
        gw3, gb3 = g3.T @ a2, g3.sum(0)
        g2 = (g3 @ w3) * (h2 > 0)
        gw2, gb2 = g2.T @ a1, g2.sum(0)
        g1 = (g2 @ w2) * (h1 > 0)
        gw1, gb1 = g1.T @ xn, g1.sum(0)
        np_sgd(params, [gw1, gb1, gw2, gb2, gw3, gb3], bufs)

    return model, xn, yn, numpy_step


def bench_mlp(repeat: int) -> None:
    model, xn, yn, numpy_step = mlp_workload()
    _run_step("MLP 784-256-128-10 step, batch 128", numpy_step, model, xn, yn, repeat, 20, "<= 1.1x", "<= 3x")


# -- CNN -------------------------------------------------------------------------------
def im2col_indices(c: int, h: int, w: int, k: int, pad: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """cs231n-style index arrays: rows (C*k*k, OH*OW) of channel, row and column indices (stride 1)."""
    oh, ow = h + 2 * pad - k + 1, w + 2 * pad - k + 1
    i0 = np.tile(np.repeat(np.arange(k), k), c)
    i1 = np.repeat(np.arange(oh), ow)
    j0 = np.tile(np.arange(k), k * c)
    j1 = np.tile(np.arange(ow), oh)
    i = i0.reshape(-1, 1) + i1.reshape(1, -1)
    j = j0.reshape(-1, 1) + j1.reshape(1, -1)
    ch = np.repeat(np.arange(c), k * k).reshape(-1, 1)
    return ch, i, j


class NumpyConv:
    """3x3 stride-1 pad-1 conv by im2col (fancy indexing) + GEMM; backward by GEMMs + col2im (np.add.at)."""

    def __init__(self, w: np.ndarray, b: np.ndarray, h: int, wd: int) -> None:
        self.w, self.b = w, b
        self.o, self.c, self.k = w.shape[0], w.shape[1], w.shape[2]
        self.h, self.wd = h, wd
        self.idx = im2col_indices(self.c, h, wd, self.k, 1)

    def forward(self, x: np.ndarray) -> np.ndarray:
        n = x.shape[0]
        xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
        ch, i, j = self.idx
        cols = xp[:, ch, i, j]  # (N, C*k*k, L)
        self.cols, self.n = cols, n
        out = self.w.reshape(self.o, -1) @ cols  # (N, O, L)
        return out.reshape(n, self.o, self.h, self.wd) + self.b.reshape(1, -1, 1, 1)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        n = self.n
        gm = g.reshape(n, self.o, -1)
        gb = gm.sum((0, 2))
        gw = np.tensordot(gm, self.cols, axes=([0, 2], [0, 2])).reshape(self.w.shape)
        if self.c == 1:  # the first conv needs no input gradient
            return gw, gb, None
        gcols = self.w.reshape(self.o, -1).T @ gm  # (N, C*k*k, L)
        gxp = np.zeros((n, self.c, self.h + 2, self.wd + 2), dtype=g.dtype)
        ch, i, j = self.idx
        np.add.at(gxp, (slice(None), ch, i, j), gcols)
        return gw, gb, gxp[:, :, 1:-1, 1:-1]


def np_pool_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n, c, h, w = x.shape
    r = x.reshape(n, c, h // 2, 2, w // 2, 2)
    out = r.max(axis=(3, 5))
    mask = r == out[:, :, :, None, :, None]
    return out, mask


def np_pool_backward(g: np.ndarray, mask: np.ndarray) -> np.ndarray:
    n, c, oh, _, ow, _ = mask.shape
    return (mask * g[:, :, :, None, :, None]).reshape(n, c, oh * 2, ow * 2)


def cnn_workload() -> tuple[nn.Module, np.ndarray, np.ndarray, Any]:
    """The CNN step's model, batch (x, y) and its hand-written NumPy step (on copies of the model's weights)."""
    ember.manual_seed(0)
    rng = np.random.default_rng(0)
    xn = rng.standard_normal((64, 1, 28, 28), dtype=np.float32)
    yn = rng.integers(0, 10, 64)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(784, 10),
    )  # fmt: skip
    params = [p.detach().numpy().copy() for p in model.parameters()]  # cw1 cb1 cw2 cb2 W b
    bufs = [np.zeros_like(p) for p in params]
    conv1 = NumpyConv(params[0], params[1], 28, 28)
    conv2 = NumpyConv(params[2], params[3], 14, 14)

    def numpy_step() -> None:
        h1 = conv1.forward(xn)
        a1 = np.maximum(h1, 0)
        p1, m1 = np_pool_forward(a1)
        h2 = conv2.forward(p1)
        a2 = np.maximum(h2, 0)
        p2, m2 = np_pool_forward(a2)
        flat = p2.reshape(64, -1)
        logits = flat @ params[4].T + params[5]
        _, g = np_softmax_ce(logits, yn)
        gw, gb = g.T @ flat, g.sum(0)
        gflat = (g @ params[4]).reshape(p2.shape)
        ga2 = np_pool_backward(gflat, m2) * (h2 > 0)
        gcw2, gcb2, gp1 = conv2.backward(ga2)
        ga1 = np_pool_backward(gp1, m1) * (h1 > 0)
        gcw1, gcb1, _ = conv1.backward(ga1)
        np_sgd(params, [gcw1, gcb1, gcw2, gcb2, gw, gb], bufs)

    return model, xn, yn, numpy_step


def bench_cnn(repeat: int) -> None:
    model, xn, yn, numpy_step = cnn_workload()
    _run_step(
        "CNN step (2 conv + pool, linear), batch 64", numpy_step, model, xn, yn, repeat, 5, "<= 1.0x (aim 0.4x)", "-"
    )


def bench_memory(repeat: int) -> None:
    """Traced memory over 2,000 MLP training steps: after warm-up (caches filling) it must stay flat."""
    import gc
    import tracemalloc

    ember.manual_seed(0)
    rng = np.random.default_rng(0)
    x = ember.from_numpy(rng.standard_normal((128, 784), dtype=np.float32))
    y = ember.from_numpy(rng.integers(0, 10, 128))
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    step = ember_step_fn(model, x, y)
    gc.collect()
    tracemalloc.start()
    marks = {}
    for i in range(1, 2001):
        step()
        if i in (10, 1000, 2000):
            marks[i] = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    line = "  ".join(f"step {i}: current {c / 2**20:.2f} MiB, peak {p / 2**20:.2f} MiB" for i, (c, p) in marks.items())
    growth = marks[2000][1] - marks[1000][1]
    print(f"MLP training memory (tracemalloc)  {line}; peak growth from step 1,000 to 2,000: {growth / 2**10:.1f} KiB")


CASES = {"mlp": bench_mlp, "cnn": bench_cnn, "memory": bench_memory}


def main() -> None:
    run_cases(CASES, __doc__.split("\n")[0])


if __name__ == "__main__":
    main()
