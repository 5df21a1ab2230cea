"""Ember's benchmark suite: medians and ratios against hand-written NumPy, in one process.

    nox -s bench                 # or: python benchmarks/run.py [--repeat N] [--only NAME] [--device DEV]

Each case times Ember and its NumPy baseline interleaved (baseline, ember,
baseline, ember, ...) so slow phases of a shared machine hit both alike, and
reports medians. NumPy's BLAS kernel is printed: OPENBLAS_CORETYPE changes it.
With --device (e.g. opencl), Ember's side runs there and each timed batch ends
with ember.synchronize, so asynchronous kernels are counted in full.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

import ember

#: Where Ember's side of each case runs (--device).
DEVICE = "cpu"


def on_device(a: np.ndarray) -> ember.Tensor:
    """A NumPy array as an Ember tensor on the benchmark's device."""
    return ember.from_numpy(a).to(DEVICE)


#: Seconds to idle before each timed batch when Ember runs on another device. OpenBLAS's threads keep
#: spinning ~0.1 s after a NumPy call and steal the cores from a CPU-hosted device (PoCL) that runs
#: right after (1024^2 GEMM on PoCL: ~125 GFLOP/s alone, ~65 right after np.matmul), so each side
#: starts from idle cores.
SETTLE = 0.25


def settle() -> None:
    """Let the other side's worker threads go idle (only when comparing two devices)."""
    if DEVICE != "cpu":
        time.sleep(SETTLE)


def _per_call(fn: Callable[[], object], number: int, device: str | None = None) -> float:
    settle()
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    if device is not None:
        ember.synchronize(device)
    return (time.perf_counter() - t0) / number


def compare(base: Callable[[], object], ours: Callable[[], object], repeat: int, number: int,
            base_device: str | None = None) -> tuple[float, float]:  # fmt: skip
    """Median seconds per call of `base` and `ours` (on DEVICE), timed in alternation."""
    base(), ours()  # warm up
    tb, to = [], []
    for _ in range(repeat):
        tb.append(_per_call(base, number, base_device))
        to.append(_per_call(ours, number, DEVICE))
    return statistics.median(tb), statistics.median(to)


def _fmt(s: float) -> str:
    return f"{s * 1e6:9.2f} us" if s < 1e-3 else f"{s * 1e3:9.2f} ms"


def row(name: str, base: float, ours: float, target: str, unit: str = "time") -> None:
    ratio = ours / base
    print(f"{name:<42} numpy {_fmt(base)}   ember {_fmt(ours)}   ratio {ratio:5.2f}x   target {target}")


def bench_add(repeat: int, grad: bool) -> None:
    rng = np.random.default_rng(0)
    an, bn = rng.standard_normal(16, dtype=np.float32), rng.standard_normal(16, dtype=np.float32)
    a, b = on_device(an), on_device(bn)
    if grad:
        a.requires_grad_()
    base, ours = compare(lambda: np.add(an, bn), lambda: a + b, repeat, 20000)
    row(f"a + b, 16 float32{' (a requires grad)' if grad else ''}", base, ours, "<= 6x" if grad else "<= 4x")


def fused_numpy(n: int) -> tuple[list[np.ndarray], Callable[[], None]]:
    """Three float32 vectors of length `n` and the hand-written forward and backward of (a*b + c).sum() on them."""
    rng = np.random.default_rng(0)
    an, bn, cn = (rng.standard_normal(n, dtype=np.float32) for _ in range(3))

    def numpy_step() -> None:
        t = an * bn
        u = t + cn
        u.sum()
        g = np.ones_like(u)  # d(sum)/du, broadcast
        ga, gb, gc = g * bn, g * an, g.copy()  # noqa: F841 - each leaf gets its own gradient array

    return [an, bn, cn], numpy_step


def bench_fused(repeat: int, n: int) -> None:
    (an, bn, cn), numpy_step = fused_numpy(n)
    a, b, c = (on_device(x.copy()).requires_grad_() for x in (an, bn, cn))

    def ember_step() -> None:
        a.grad = b.grad = c.grad = None
        (a * b + c).sum().backward()

    base, ours = compare(numpy_step, ember_step, repeat, 2000 if n <= 1024 else (200 if n <= 65536 else 20))
    row(f"(a*b + c).sum() fwd+bwd, n={n}", base, ours, "<= 4.5x" if n == 16 else "-")


def bench_matmul(repeat: int) -> None:
    rng = np.random.default_rng(0)
    an = rng.standard_normal((1024, 1024), dtype=np.float32)
    bn = rng.standard_normal((1024, 1024), dtype=np.float32)
    a, b = on_device(an), on_device(bn)
    base, ours = compare(lambda: an @ bn, lambda: a @ b, repeat, 3)
    flop = 2 * 1024**3
    print(
        f"{'matmul 1024x1024 float32':<42} numpy {flop / base / 1e9:7.1f} GFLOP/s   ember {flop / ours / 1e9:7.1f} GFLOP/s"
        f"   ratio {base / ours:5.2f}x of NumPy's GFLOP/s   target {'>= 0.95x' if DEVICE == 'cpu' else '>= 100 GFLOP/s (PoCL)'}"
    )


def bench_elementwise(repeat: int) -> None:
    """Bandwidth-bound elementwise ops on 1M float32 (the size where launch overhead no longer matters)."""
    rng = np.random.default_rng(0)
    an, bn = rng.standard_normal(1_000_000, dtype=np.float32), rng.standard_normal(1_000_000, dtype=np.float32)
    a, b = on_device(an), on_device(bn)
    for name, base_fn, ours_fn in (
        ("a + b", lambda: an + bn, lambda: a + b),
        ("a * b", lambda: an * bn, lambda: a * b),
        ("exp(a)", lambda: np.exp(an), lambda: a.exp()),
        ("a[::2] + b[1::2] (strided)", lambda: an[::2] + bn[1::2], lambda: a[::2] + b[1::2]),
    ):
        base, ours = compare(base_fn, ours_fn, repeat, 20)
        row(f"{name}, 1M float32", base, ours, "<= 2x" if DEVICE != "cpu" else "-")


def environment() -> None:
    print(f"ember {ember.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}")
    print(
        f"ember device: {DEVICE} ({ember.get_backend(ember.device(DEVICE).type).device_names()[ember.device(DEVICE).index]})"
    )
    blas = "unknown (pip install threadpoolctl)"
    try:
        from threadpoolctl import threadpool_info

        infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        if infos:
            i = infos[0]
            blas = f"{i.get('internal_api')} {i.get('version')} kernel={i.get('architecture')} threads={i.get('num_threads')}"
    except ImportError:
        pass
    print(f"BLAS: {blas}; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")


CASES: dict[str, Callable[[int], None]] = {
    "add": lambda r: bench_add(r, grad=False),
    "add_grad": lambda r: bench_add(r, grad=True),
    "fused16": lambda r: bench_fused(r, 16),
    "fused1k": lambda r: bench_fused(r, 1024),
    "fused64k": lambda r: bench_fused(r, 65536),
    "fused1m": lambda r: bench_fused(r, 1_000_000),
    "matmul": bench_matmul,
    "elementwise1m": bench_elementwise,
}


def run_cases(cases: dict[str, Callable[[int], None]], description: str, default_device: str = "cpu") -> None:
    """The command line every benchmark script shares: --repeat, --only, then the cases in order."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--repeat", type=int, default=15, help="timed rounds per case (median reported)")
    p.add_argument("--only", action="append", choices=sorted(cases), help="run only these cases")
    p.add_argument("--device", default=default_device, help=f"where Ember's side runs (default {default_device})")
    args = p.parse_args()
    global DEVICE
    DEVICE = args.device
    environment()
    for name in args.only or cases:
        cases[name](args.repeat)


def main() -> None:
    run_cases(CASES, __doc__.split("\n")[0])


if __name__ == "__main__":
    main()
