"""ember.compile: a compiled training step against the eager step and the hand-written NumPy step.

    python benchmarks/bench_compile.py [--repeat N] [--only mlp|digits|capture] [--device DEV]

- mlp: Linear 784-256-128-10 with ReLU, cross-entropy, SGD momentum 0.9 (ember.optim.SGD), batch 128.
- digits: the digits-sized MLP 64-128-64-10, same loss and optimizer, batch 64.
  Baseline for both: the same math hand-written in NumPy (bench_nn's pieces). Target: compiled <= 1.10x.
- capture: the first two calls of a fresh compiled step (the optimizer's state is made on the
  first, so both capture) against an eager step. Target: <= 3x an eager step.

The three steps are timed in interleaved rounds and medians reported. With --device (opencl)
the NumPy baseline still runs on the host; compare the eager and compiled columns there.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run
from bench_nn import LR, MOMENTUM, np_sgd, np_softmax_ce
from run import run_cases

import ember
import ember.nn as nn
import ember.nn.functional as F
import ember.optim


def _model(sizes: tuple[int, ...]) -> nn.Module:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def _numpy_step(params: list[np.ndarray], xn: np.ndarray, yn: np.ndarray) -> Callable[[], None]:
    bufs = [np.zeros_like(p) for p in params]

    def step() -> None:
        ws, bs = params[0::2], params[1::2]
        hs, acts = [], [xn]
        for i, (w, b) in enumerate(zip(ws, bs)):
            h = acts[-1] @ w.T + b
            hs.append(h)
            acts.append(np.maximum(h, 0) if i < len(ws) - 1 else h)
        _, g = np_softmax_ce(acts[-1], yn)
        grads: list[np.ndarray] = []
        for i in range(len(ws) - 1, -1, -1):
            grads[:0] = [g.T @ acts[i], g.sum(0)]
            if i:
                g = (g @ ws[i]) * (hs[i - 1] > 0)
        np_sgd(params, grads, bufs)

    return step


def _ember_step(model: nn.Module, x: ember.Tensor, y: ember.Tensor) -> Callable[[], Any]:
    opt = ember.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)

    def step() -> Any:
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def _timed(fn: Callable[[], Any], number: int) -> float:
    t = time.perf_counter()
    for _ in range(number):
        fn()
    ember.synchronize(run.DEVICE)
    return (time.perf_counter() - t) / number


def _bench(name: str, sizes: tuple[int, ...], batch: int, repeat: int, number: int) -> None:
    ember.manual_seed(0)
    rng = np.random.default_rng(0)
    xn = rng.standard_normal((batch, sizes[0]), dtype=np.float32)
    yn = rng.integers(0, sizes[-1], batch)
    models = [_model(sizes).to(run.DEVICE) for _ in range(2)]
    models[1].load_state_dict(models[0].state_dict())
    params = [p.detach().cpu().numpy().copy() for p in models[0].parameters()]
    x, y = run.on_device(xn), run.on_device(yn)
    steps = {
        "numpy": _numpy_step(params, xn, yn),
        "eager": _ember_step(models[0], x, y),
        "compiled": ember.compile(_ember_step(models[1], x, y)),
    }
    for f in steps.values():
        f(), f(), f()  # warm up (and capture)
    times: dict[str, list[float]] = {k: [] for k in steps}
    for _ in range(repeat):
        for k, f in steps.items():
            times[k].append(_timed(f, number))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(
        f"{name:<38} numpy {med['numpy'] * 1e6:8.1f} us   eager {med['eager'] * 1e6:8.1f} us "
        f"({med['eager'] / med['numpy']:4.2f}x)   compiled {med['compiled'] * 1e6:8.1f} us "
        f"({med['compiled'] / med['numpy']:4.2f}x numpy, {med['eager'] / med['compiled']:4.2f}x faster than eager)   "
        f"target <= 1.10x numpy"
    )


def bench_mlp(repeat: int) -> None:
    _bench("MLP 784-256-128-10 step, batch 128", (784, 256, 128, 10), 128, repeat, 10)


def bench_digits(repeat: int) -> None:
    _bench("digits MLP 64-128-64-10 step, batch 64", (64, 128, 64, 10), 64, repeat, 30)


def bench_capture(repeat: int) -> None:
    """The first two calls of a fresh compiled step (both capture) against an eager step."""
    rng = np.random.default_rng(0)
    xn = rng.standard_normal((128, 784), dtype=np.float32)
    yn = rng.integers(0, 10, 128)
    x, y = run.on_device(xn), run.on_device(yn)
    eager_step = _ember_step(_model((784, 256, 128, 10)).to(run.DEVICE), x, y)
    eager_step()
    eager, first, second = [], [], []
    for _ in range(repeat):
        eager.append(_timed(eager_step, 1))
        compiled = ember.compile(_ember_step(_model((784, 256, 128, 10)).to(run.DEVICE), x, y))
        first.append(_timed(compiled, 1))
        second.append(_timed(compiled, 1))
    e, a, b = (statistics.median(v) for v in (eager, first, second))
    print(
        f"capture cost, MLP 784-256-128-10 batch 128: eager step {e * 1e3:.2f} ms, first call {a * 1e3:.2f} ms "
        f"({a / e:.2f}x), second call {b * 1e3:.2f} ms ({b / e:.2f}x)   target <= 3x"
    )


if __name__ == "__main__":
    run_cases({"mlp": bench_mlp, "digits": bench_digits, "capture": bench_capture}, __doc__.split("\n")[0])
