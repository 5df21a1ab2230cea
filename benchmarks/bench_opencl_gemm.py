"""float32 GEMM throughput: Ember's OpenCL matmul against NumPy's BLAS and CLBlast (pyclblast), in one process.

    python benchmarks/bench_opencl_gemm.py [--repeat N] [--only 256|512|1024|2048|linear] [--device opencl:1]

For each size n, C = A @ B with A and B (n, n) float32 is timed on each side in
alternation (numpy, ember, clblast, numpy, ...; so slow phases of a shared
machine hit all alike) and the median GFLOP/s (2 n^3 / seconds) is printed.
Ember's side runs on --device (default opencl) with ember.synchronize ending each timed call, so the packing kernels
and the micro-kernel are counted in full. CLBlast runs on the same OpenCL
device through pyclblast when that is importable (skipped with a message
otherwise); its first call per shape includes its kernel compilation, so a
warm-up call precedes the timings. Target on PoCL (2-core CPU): >= 100 GFLOP/s
at 1024.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run
from run import run_cases

import ember


def _device() -> str:
    return run.DEVICE


def _clblast(an: np.ndarray, bn: np.ndarray) -> Callable[[], None] | str:
    """A CLBlast GEMM call on Ember's OpenCL device (synchronised), or why there is none."""
    try:
        import pyclblast
        import pyopencl.array as cla
    except ImportError as exc:
        return f"pyclblast not importable ({exc})"
    from ember_opencl import device as cl_device

    dev = cl_device.get(ember.device(_device()).index)
    q = dev.queue
    m, k = an.shape
    n = bn.shape[1]
    a, b = cla.to_device(q, an), cla.to_device(q, bn)
    c = cla.empty(q, (m, n), np.float32)

    def call() -> None:
        pyclblast.gemm(q, m, n, k, a, b, c, a_ld=k, b_ld=n, c_ld=n)
        q.finish()

    return call


def _time(fn: Callable[[], object], sync: str | None) -> float:
    run.settle()  # start each side with idle cores (see run.SETTLE)
    t0 = time.perf_counter()
    fn()
    if sync is not None:
        ember.synchronize(sync)
    return time.perf_counter() - t0


_announced: list[str] = []


def _announce(dev: str) -> None:
    if not _announced:
        d = ember.device(dev)
        print(f"ember's side runs on {dev}: {ember.get_backend(d.type).device_names()[d.index]}")
        _announced.append(dev)


def bench_gemm(repeat: int, n: int) -> None:
    rng = np.random.default_rng(0)
    an = rng.standard_normal((n, n), dtype=np.float32)
    bn = rng.standard_normal((n, n), dtype=np.float32)
    dev = _device()
    _announce(dev)
    a, b = ember.from_numpy(an).to(dev), ember.from_numpy(bn).to(dev)
    got = (a @ b).numpy()
    err = float(np.abs(got - an @ bn).max() / np.abs(an @ bn).max())
    sides: dict[str, tuple[Callable[[], object], str | None]] = {
        "numpy": (lambda: an @ bn, None),
        "ember": (lambda: a @ b, dev),
    }
    blast = _clblast(an, bn)
    if callable(blast):
        sides["clblast"] = (blast, None)
    times: dict[str, list[float]] = {name: [] for name in sides}
    for fn, sync in sides.values():  # warm up (kernel builds, CLBlast's compilation)
        _time(fn, sync)
    rounds = max(3, repeat if n <= 1024 else repeat // 3)
    for _ in range(rounds):
        for name, (fn, sync) in sides.items():
            times[name].append(_time(fn, sync))
    flop = 2 * n**3
    parts = [f"{name} {flop / statistics.median(t) / 1e9:7.1f}" for name, t in times.items()]
    if not callable(blast):
        parts.append(f"clblast skipped: {blast}")
    print(
        f"matmul {n}x{n} float32, GFLOP/s (median of {rounds}):  "
        + "   ".join(parts)
        + f"   (ember max rel err {err:.1e})"
    )


def bench_linear(repeat: int) -> None:
    """An MLP layer: x (128, 784) @ w.T (w (256, 784)) + b, the transposed weight read in place."""
    rng = np.random.default_rng(0)
    xn = rng.standard_normal((128, 784), dtype=np.float32)
    wn = rng.standard_normal((256, 784), dtype=np.float32)
    bn = rng.standard_normal(256, dtype=np.float32)
    dev = _device()
    x, w, b = (ember.from_numpy(v).to(dev) for v in (xn, wn, bn))
    import ember.nn.functional as F

    F.linear(x, w, b)
    tb, to = [], []
    for _ in range(repeat):
        tb.append(_time(lambda: xn @ wn.T + bn, None))
        to.append(_time(lambda: F.linear(x, w, b), dev))
    run.row("linear 128x784 -> 256 float32 (+ bias)", statistics.median(tb), statistics.median(to), "-")


CASES: dict[str, Callable[[int], None]] = {
    **{str(n): (lambda r, n=n: bench_gemm(r, n)) for n in (256, 512, 1024, 2048)},
    "linear": bench_linear,
}


if __name__ == "__main__":
    run_cases(CASES, __doc__.split("\n")[0], default_device="opencl")
