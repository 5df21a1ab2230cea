"""TensorBoard benchmark: 10,000 `add_scalar` calls, flushed to disk, through `ember.utils.tensorboard.SummaryWriter`.

    python benchmarks/bench_tensorboard.py [--repeat N] [--n 10000]

Times, per round, 10,000 scalars (Python floats, and 0-d Ember tensors) written and flushed with the default
settings (max_queue=10), and for context tensorboardX's own `SummaryWriter` doing the same (it queues events
through a multiprocessing queue to a writer thread). Rounds are interleaved and medians reported.
Target: 10,000 Python-float scalars in under 0.5 s. Needs the extra: pip install "ember-core[tensorboard]".
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable

import ember
from ember.utils.tensorboard import SummaryWriter


def ember_floats(logdir: str, n: int) -> float:
    w = SummaryWriter(logdir)
    start = time.perf_counter()
    for step in range(n):
        w.add_scalar("loss", 1.0 / (step + 1), step)
    w.flush()
    took = time.perf_counter() - start
    w.close()
    return took


def ember_tensors(logdir: str, n: int) -> float:
    values = [ember.tensor(1.0 / (step + 1)) for step in range(n)]
    w = SummaryWriter(logdir)
    start = time.perf_counter()
    for step, v in enumerate(values):
        w.add_scalar("loss", v, step)
    w.flush()
    took = time.perf_counter() - start
    w.close()
    return took


def tensorboardx_floats(logdir: str, n: int) -> float:
    from tensorboardX import SummaryWriter as TBX

    w = TBX(logdir)
    start = time.perf_counter()
    for step in range(n):
        w.add_scalar("loss", 1.0 / (step + 1), step)
    w.flush()
    took = time.perf_counter() - start
    w.close()
    return took


CASES: dict[str, Callable[[str, int], float]] = {
    "ember SummaryWriter, float": ember_floats,
    "ember SummaryWriter, 0-d tensor (cpu)": ember_tensors,
    "tensorboardX SummaryWriter, float": tensorboardx_floats,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--n", type=int, default=10_000)
    args = ap.parse_args()
    times: dict[str, list[float]] = {k: [] for k in CASES}
    with tempfile.TemporaryDirectory() as root:
        for r in range(args.repeat):
            for name, case in CASES.items():
                times[name].append(case(f"{root}/{r}-{len(times[name])}-{name[:5]}", args.n))
    print(f"{args.n:,} scalars, median of {args.repeat} rounds")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"  {name:40s} {med:7.3f} s  ({args.n / med:,.0f} scalars/s)")
    ok = statistics.median(times["ember SummaryWriter, float"]) < 0.5
    print(f"target < 0.5 s for Python floats: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
