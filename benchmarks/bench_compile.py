"""ember.compile: a compiled training step against the eager step and the hand-written NumPy step.

    python benchmarks/bench_compile.py [--repeat N] [--only mlp|digits|cnn|capture] [--device DEV]

- mlp: Linear 784-256-128-10 with ReLU, cross-entropy, SGD momentum 0.9 (ember.optim.SGD), batch 128.
- digits: the digits-sized MLP 64-128-64-10, same loss and optimizer, batch 64.
  Baseline for both: the same math hand-written in NumPy (bench_nn's pieces). Target: compiled <= 1.10x
  that on the NumPy backend; on OpenCL, compiled >= 2x faster than eager.
- cnn: the main job's CNN on digits-sized images (Conv 1-32-64 3x3 with ReLU and max-pool, Linear
  256-128-10, dropout), AdamW, batch 64: eager against compiled (no NumPy baseline). Target on
  OpenCL: compiled >= 2x faster than eager.
- capture: the first two calls of a fresh compiled step (the optimizer's state is made on the
  first, so both capture) against an eager step. Target: <= 3x an eager step.

Every Ember step is the same function (`_ember_step`) of a model and an optimizer, with the batch
passed as arguments, as the main job does. The steps are timed in interleaved rounds and medians
reported. With --device (opencl) the NumPy baseline still runs on the host; compare the eager and
compiled columns there.
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


def _mlp(sizes: tuple[int, ...]) -> nn.Module:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def _cnn() -> nn.Module:
    """The main job's CNN on digits-sized (1x8x8) images."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 2 * 2, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10),
    )  # fmt: skip


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


def _ember_step(model: nn.Module, optimizer: str) -> Callable[[ember.Tensor, ember.Tensor], Any]:
    """A training step of `model` on a batch given as arguments: cross-entropy, backward, then
    SGD with momentum ("sgd", the NumPy baseline's) or AdamW ("adamw", the main job's)."""
    if optimizer == "sgd":
        opt: Any = ember.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    else:
        opt = ember.optim.AdamW(model.parameters(), lr=1e-3)

    def step(x: ember.Tensor, y: ember.Tensor) -> Any:
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


def _bench(
    name: str, make_model: Callable[[], nn.Module], optimizer: str, xn: np.ndarray, yn: np.ndarray, repeat: int,
    number: int, target: str,
) -> None:  # fmt: skip
    """Eager against compiled (the same initial weights), and the hand-written NumPy step where the
    model is an MLP trained with SGD: timed in interleaved rounds, medians printed."""
    ember.manual_seed(0)
    models = [make_model().to(run.DEVICE) for _ in range(2)]
    models[1].load_state_dict(models[0].state_dict())
    x, y = run.on_device(xn), run.on_device(yn)
    steps: dict[str, Callable[[], Any]] = {}
    if optimizer == "sgd" and all(isinstance(m, (nn.Linear, nn.ReLU)) for m in models[0]):
        steps["numpy"] = _numpy_step([p.detach().cpu().numpy().copy() for p in models[0].parameters()], xn, yn)
    eager, compiled = _ember_step(models[0], optimizer), ember.compile(_ember_step(models[1], optimizer))
    steps["eager"] = lambda: eager(x, y)
    steps["compiled"] = lambda: compiled(x, y)
    for f in steps.values():
        f(), f(), f()  # warm up (and capture)
    times: dict[str, list[float]] = {k: [] for k in steps}
    for _ in range(repeat):
        for k, f in steps.items():
            times[k].append(_timed(f, number))
    med = {k: statistics.median(v) for k, v in times.items()}
    text = f"{name:<40}"
    if "numpy" in med:
        text += f" numpy {med['numpy'] * 1e6:8.1f} us  "
    text += f" eager {med['eager'] * 1e6:8.1f} us   compiled {med['compiled'] * 1e6:8.1f} us ("
    if "numpy" in med:
        text += f"{med['compiled'] / med['numpy']:4.2f}x numpy, "
    print(f"{text}{med['eager'] / med['compiled']:4.2f}x faster than eager)   target {target}")


def _batch(shape: tuple[int, ...], classes: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.standard_normal(shape, dtype=np.float32), rng.integers(0, classes, shape[0])


def bench_mlp(repeat: int) -> None:
    sizes = (784, 256, 128, 10)
    _bench("MLP 784-256-128-10 step, batch 128", lambda: _mlp(sizes), "sgd", *_batch((128, 784), 10), repeat, 10,
           "<= 1.10x numpy (NumPy backend), >= 2x eager (OpenCL)")  # fmt: skip


def bench_digits(repeat: int) -> None:
    sizes = (64, 128, 64, 10)
    _bench("digits MLP 64-128-64-10 step, batch 64", lambda: _mlp(sizes), "sgd", *_batch((64, 64), 10), repeat, 30,
           "<= 1.10x numpy (NumPy backend)")  # fmt: skip


def bench_cnn(repeat: int) -> None:
    _bench("CNN 1x8x8 -> 32-64 conv, AdamW, batch 64", _cnn, "adamw", *_batch((64, 1, 8, 8), 10), repeat, 10,
           "on OpenCL >= 2x eager")  # fmt: skip


def bench_capture(repeat: int) -> None:
    """The first two calls of a fresh compiled step (both capture) against an eager step."""
    rng = np.random.default_rng(0)
    xn = rng.standard_normal((128, 784), dtype=np.float32)
    yn = rng.integers(0, 10, 128)
    x, y = run.on_device(xn), run.on_device(yn)
    eager_step = _ember_step(_mlp((784, 256, 128, 10)).to(run.DEVICE), "sgd")
    eager_step(x, y)
    eager, first, second = [], [], []
    for _ in range(repeat):
        eager.append(_timed(lambda: eager_step(x, y), 1))
        compiled = ember.compile(_ember_step(_mlp((784, 256, 128, 10)).to(run.DEVICE), "sgd"))
        first.append(_timed(lambda: compiled(x, y), 1))
        second.append(_timed(lambda: compiled(x, y), 1))
    e, a, b = (statistics.median(v) for v in (eager, first, second))
    print(
        f"capture cost, MLP 784-256-128-10 batch 128: eager step {e * 1e3:.2f} ms, first call {a * 1e3:.2f} ms "
        f"({a / e:.2f}x), second call {b * 1e3:.2f} ms ({b / e:.2f}x)   target <= 3x"
    )


if __name__ == "__main__":
    run_cases(
        {"mlp": bench_mlp, "digits": bench_digits, "cnn": bench_cnn, "capture": bench_capture}, __doc__.split("\n")[0]
    )
