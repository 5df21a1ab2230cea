"""Loader benchmark: one epoch of 60,000 28x28 uint8 images through ToTensor + Normalize, batch 128.

    python benchmarks/bench_loader.py [--repeat N] [--workers 0 2]

Compares ``ember.data.DataLoader`` (num_workers 0 and 2) with a plain NumPy loop
that does the same work by hand: for each batch of a shuffled order, each image
is converted to float in [0, 1], normalized and stacked, with its label. For
context it also times the same work vectorized per batch (what NumPy does
without per-sample transforms). Rounds are interleaved and medians reported.
Target: num_workers=0 within 1.3x of the plain NumPy loop.
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
from ember.data import DataLoader, Dataset
from ember.data import transforms as T

N, SIDE, BATCH = 60_000, 28, 128
MEAN, STD = 0.1307, 0.3081


class ArrayImages(Dataset):
    """HW uint8 images and int labels held in NumPy arrays, transformed per sample (as a user would write it)."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, transform: Callable[[np.ndarray], object]) -> None:
        self.images, self.labels, self.transform = images, labels, transform

    def __getitem__(self, i: int) -> tuple[object, int]:
        return self.transform(self.images[i]), int(self.labels[i])

    def __len__(self) -> int:
        return len(self.images)


def numpy_loop(images: np.ndarray, labels: np.ndarray, order: np.ndarray) -> int:
    """The same per-sample work in plain NumPy: scale, normalize, stack; returns the image count."""
    mean, std, seen = np.float32(MEAN), np.float32(STD), 0
    for start in range(0, len(order), BATCH):
        idx = order[start : start + BATCH]
        xs = [(images[i].astype(np.float32)[None] / np.float32(255) - mean) / std for i in idx]
        x, y = np.stack(xs), labels[idx]
        assert len(y) == len(x)
        seen += len(x)
    return seen


def numpy_vectorized(images: np.ndarray, labels: np.ndarray, order: np.ndarray) -> int:
    """Context only: the whole batch at once, no per-sample step."""
    mean, std, seen = np.float32(MEAN), np.float32(STD), 0
    for start in range(0, len(order), BATCH):
        idx = order[start : start + BATCH]
        x = (images[idx].astype(np.float32)[:, None] / np.float32(255) - mean) / std
        y = labels[idx]
        assert len(y) == len(x)
        seen += len(x)
    return seen


def ember_epoch(loader: DataLoader) -> int:
    seen = 0
    for x, y in loader:
        assert y.shape[0] == x.shape[0]
        seen += x.shape[0]
    return seen


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=5, help="timed epochs per case (median reported)")
    p.add_argument("--workers", type=int, nargs="+", default=[0, 2], help="num_workers values to time")
    args = p.parse_args()

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (N, SIDE, SIDE), dtype=np.uint8)
    labels = rng.integers(0, 10, N).astype(np.int64)
    dataset = ArrayImages(images, labels, T.Compose([T.ToTensor(), T.Normalize((MEAN,), (STD,))]))
    loaders = {
        w: DataLoader(dataset, batch_size=BATCH, shuffle=True, num_workers=w, persistent_workers=w > 0,
                      generator=ember.Generator().manual_seed(0))
        for w in args.workers
    }
    order = rng.permutation(N)
    cases: dict[str, Callable[[], int]] = {
        "plain NumPy loop (per sample)": lambda: numpy_loop(images, labels, order),
        "NumPy vectorized per batch (context)": lambda: numpy_vectorized(images, labels, order),
    }
    for w, loader in loaders.items():
        cases[f"ember DataLoader num_workers={w}"] = lambda loader=loader: ember_epoch(loader)

    for fn in cases.values():  # warm up (starts persistent workers)
        assert fn() == N
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.repeat):
        for name, fn in cases.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)

    print(f"ember {ember.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print(f"one epoch: {N} images {SIDE}x{SIDE} uint8, ToTensor + Normalize, batch {BATCH}, shuffled; median of {args.repeat}")
    base = statistics.median(times["plain NumPy loop (per sample)"])
    for name, ts in times.items():
        med = statistics.median(ts)
        ratio = f"{med / base:5.2f}x the plain loop's time"
        target = "   target <= 1.3x" if name.endswith("num_workers=0") else ""
        print(f"{name:<40} {N / med:>10,.0f} images/s  {med * 1e3:8.1f} ms/epoch  {ratio}{target}")


if __name__ == "__main__":
    main()
