"""CPU speed on the NumPy backend: Ember against a hand-written NumPy floor and PyTorch eager CPU, in one process.

    python benchmarks/bench_cpu_speed.py [--repeat N] [--only add|fused|mlp|cnn|matmul|epoch] [--clock wall|cpu]
                                         [--baseline-python PY]

The five workloads of issue 15, each side timed in interleaved rounds (numpy, torch, ember,
numpy, ...), medians reported, and each side's ratio to the NumPy floor taken per round
(paired) before its median:

- add: ``a + b`` on 16 float32, no grad.
- fused: ``(a*b + c).sum()`` forward and backward, 16 float32 (floor: the derivative by hand).
- mlp: Linear 784-256-128-10 with ReLU, cross-entropy, SGD momentum 0.9, batch 128.
- cnn: conv 1->8 3x3 + ReLU + maxpool 2, conv 8->16 + ReLU + maxpool 2, linear 784->10, batch 64
  (floor: the textbook im2col CNN of bench_nn.py).
- matmul: 1024x1024 float32.

The training steps use each framework's own optimizer (``ember.optim.SGD``, ``torch.optim.SGD``).
PyTorch is an optional peer: its column is left out when ``import torch`` fails (it is never a
dependency; run this with an interpreter that has both, e.g. a venv with ember installed and torch
on its path). Targets (issue 15): CNN <= 1.0x torch, MLP <= 1.0x torch and <= 1.15x the floor,
fused <= 4.0x and add <= 3.0x the floor, matmul >= 0.95x NumPy's speed.

- epoch: seconds per epoch of the main job, ``ember-classify train --model cnn`` (bundled digits,
  default settings, the same BLAS threads), the median of epochs 2..3 of a run; with ``--baseline-python`` (an
  interpreter with another Ember installed, e.g. the main branch's) runs of both alternate and the
  ratio is printed.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run
from bench_nn import LR, MOMENTUM, cnn_workload, mlp_workload

import ember
import ember.nn as nn
import ember.nn.functional as F
import ember.optim

try:
    import torch
except ImportError:  # the peer is optional
    torch = None

Fn = Callable[[], object]

#: the clock the rounds are timed with (--clock): wall time, or this process's CPU time (all its threads),
#: which a machine shared with other jobs disturbs far less
CLOCK: Callable[[], float] = time.perf_counter


def interleaved(sides: dict[str, Fn], repeat: int, number: int) -> dict[str, list[float]]:
    """Seconds per call of each side, per round; the sides alternate within every round."""
    for fn in sides.values():
        fn()  # warm up
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(repeat):
        for name, fn in sides.items():
            t0 = CLOCK()
            for _ in range(number):
                fn()
            times[name].append((CLOCK() - t0) / number)
    return times


def report(title: str, times: dict[str, list[float]], target: str) -> None:
    """Medians of each side and of its per-round ratio to the first side (the NumPy floor)."""
    floor = times["numpy"]
    cells = []
    for name, ts in times.items():
        ratio = statistics.median(t / f for t, f in zip(ts, floor))
        cells.append(f"{name} {run._fmt(statistics.median(ts))} ({ratio:4.2f}x)")
    if "torch" in times:
        vs = statistics.median(e / t for e, t in zip(times["ember"], times["torch"]))
        cells.append(f"ember/torch {vs:4.2f}x")
    print(f"{title:<38} " + "   ".join(cells) + f"   target {target}")


def sides(numpy_fn: Fn, torch_fn: Fn | None, ember_fn: Fn) -> dict[str, Fn]:
    out = {"numpy": numpy_fn}
    if torch is not None and torch_fn is not None:
        out["torch"] = torch_fn
    out["ember"] = ember_fn
    return out


# -- the workloads ---------------------------------------------------------------------------
def bench_add(repeat: int) -> None:
    rng = np.random.default_rng(0)
    an, bn = rng.standard_normal(16, dtype=np.float32), rng.standard_normal(16, dtype=np.float32)
    a, b = ember.from_numpy(an), ember.from_numpy(bn)
    ta, tb = (torch.from_numpy(an), torch.from_numpy(bn)) if torch is not None else (None, None)
    fns = sides(lambda: np.add(an, bn), lambda: ta + tb, lambda: a + b)
    report("a + b, 16 float32, no grad", interleaved(fns, repeat, 20000), "<= 3.0x numpy")


def bench_fused(repeat: int) -> None:
    arrays, numpy_step = run.fused_numpy(16)
    a, b, c = (ember.from_numpy(x.copy()).requires_grad_() for x in arrays)

    def ember_step() -> None:
        a.grad = b.grad = c.grad = None
        (a * b + c).sum().backward()

    torch_step = None
    if torch is not None:
        ta, tb, tc = (torch.from_numpy(x.copy()).requires_grad_() for x in arrays)

        def torch_step() -> None:
            ta.grad = tb.grad = tc.grad = None
            (ta * tb + tc).sum().backward()

    fns = sides(numpy_step, torch_step, ember_step)
    report("(a*b + c).sum() fwd+bwd, 16 float32", interleaved(fns, repeat, 2000), "<= 4.0x numpy")


def ember_step_fn(model: nn.Module, xn: np.ndarray, yn: np.ndarray) -> Fn:
    x, y = ember.from_numpy(xn), ember.from_numpy(yn)
    opt = ember.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)

    def step() -> None:
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def torch_step_fn(model: nn.Module, xn: np.ndarray, yn: np.ndarray) -> Fn | None:
    """The same network in PyTorch, with copies of `model`'s initial weights (Sequential of the same layers)."""
    if torch is None:
        return None
    layers: list[Any] = []
    for m in model:
        if isinstance(m, nn.Linear):
            layers.append(torch.nn.Linear(m.in_features, m.out_features))
        elif isinstance(m, nn.Conv2d):
            layers.append(torch.nn.Conv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding))
        elif isinstance(m, nn.MaxPool2d):
            layers.append(torch.nn.MaxPool2d(m.kernel_size))
        elif isinstance(m, nn.ReLU):
            layers.append(torch.nn.ReLU())
        elif isinstance(m, nn.Flatten):
            layers.append(torch.nn.Flatten())
        else:
            raise TypeError(f"no PyTorch twin for {type(m).__name__}")
    tmodel = torch.nn.Sequential(*layers)
    with torch.no_grad():
        for tp, p in zip(tmodel.parameters(), model.parameters()):
            tp.copy_(torch.from_numpy(p.detach().numpy()))
    x, y = torch.from_numpy(xn), torch.from_numpy(yn)
    opt = torch.optim.SGD(tmodel.parameters(), lr=LR, momentum=MOMENTUM)

    def step() -> None:
        loss = torch.nn.functional.cross_entropy(tmodel(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def bench_step(title: str, workload: Callable[[], tuple[nn.Module, np.ndarray, np.ndarray, Fn]], repeat: int,
               number: int, target: str) -> None:  # fmt: skip
    model, xn, yn, numpy_step = workload()
    torch_step = torch_step_fn(model, xn, yn)  # before Ember's steps change the weights
    fns = sides(numpy_step, torch_step, ember_step_fn(model, xn, yn))
    report(title, interleaved(fns, repeat, number), target)


def bench_matmul(repeat: int) -> None:
    rng = np.random.default_rng(0)
    an = rng.standard_normal((1024, 1024), dtype=np.float32)
    bn = rng.standard_normal((1024, 1024), dtype=np.float32)
    a, b = ember.from_numpy(an), ember.from_numpy(bn)
    ta, tb = (torch.from_numpy(an), torch.from_numpy(bn)) if torch is not None else (None, None)
    fns = sides(lambda: an @ bn, lambda: ta @ tb, lambda: a @ b)
    report("matmul 1024x1024 float32", interleaved(fns, repeat, 3), "<= 1.05x numpy (>= 0.95x its speed)")


# -- the main job's epoch ------------------------------------------------------------------
def epoch_seconds(python: str, threads: int, epochs: int = 3) -> float:
    """The median seconds of epochs 2..`epochs` of ``ember-classify train --model cnn`` run by `python`,
    with `threads` BLAS threads."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads)}
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [python, "-m", "ember_classify", "train", "--model", "cnn", "--epochs", str(epochs), "--quiet", "--out", out],
            check=True, stdout=subprocess.DEVNULL, env=env,
        )  # fmt: skip
        with open(os.path.join(out, "history.csv")) as f:
            rows = list(csv.DictReader(f))
    return statistics.median(float(r["seconds"]) for r in rows[1:])


def bench_epoch(repeat: int, baseline: str | None, threads: int) -> None:
    runs = max(1, min(repeat, 3))
    ours, base = [], []
    for _ in range(runs):
        if baseline:
            base.append(epoch_seconds(baseline, threads))
        ours.append(epoch_seconds(sys.executable, threads))
    line = f"{'ember-classify --model cnn, s/epoch':<38} ember {statistics.median(ours):6.2f} s"
    if base:
        ratio = statistics.median(b / o for b, o in zip(base, ours))
        line += f"   baseline ({baseline}) {statistics.median(base):6.2f} s   speed-up {ratio:4.2f}x   target >= 2x"
    print(line)


CASES: dict[str, Callable[[int], None]] = {
    "add": bench_add,
    "fused": bench_fused,
    "mlp": lambda r: bench_step("MLP 784-256-128-10 step, batch 128", mlp_workload, r, 10,
                                "<= 1.0x torch, <= 1.15x numpy"),  # fmt: skip
    "cnn": lambda r: bench_step("CNN step, batch 64", cnn_workload, r, 3, "<= 1.0x torch"),
    "matmul": bench_matmul,
}


def _limit_threads(n: int) -> Any:
    if torch is not None:
        torch.set_num_threads(n)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(n)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=9, help="timed rounds per case (median reported)")
    p.add_argument("--only", action="append", choices=[*CASES, "epoch"], help="run only these cases")
    p.add_argument("--baseline-python", help="an interpreter with another Ember, for the epoch's before/after")
    p.add_argument("--threads", type=int, default=1, help="BLAS and PyTorch threads (default 1: on a shared "
                   "machine, OpenBLAS's and PyTorch's spinning pools slow each other down)")  # fmt: skip
    p.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                   help="time rounds by wall clock (default) or by the process's CPU time (a busy shared machine)")  # fmt: skip
    args = p.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    limits = _limit_threads(args.threads)  # noqa: F841 - held for the run
    run.environment()
    print(f"peer: {'torch ' + torch.__version__ + f' ({torch.get_num_threads()} threads)' if torch else 'none (no torch)'}; "
          f"clock: {args.clock}")  # fmt: skip
    for name in args.only or [*CASES, "epoch"]:
        if name == "epoch":
            bench_epoch(args.repeat, args.baseline_python, args.threads)
        else:
            CASES[name](args.repeat)


if __name__ == "__main__":
    main()
