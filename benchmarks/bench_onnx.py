"""ONNX export benchmark: `ember.onnx.export` of the main job's two models, against one forward pass.

    python benchmarks/bench_onnx.py [--repeat N] [--image 1,8,8]

Times, per round and interleaved: one eager forward pass at batch 1 under no_grad (the baseline:
export runs it once, or twice with a dynamic axis), export with a dynamic batch axis (two traces),
export without dynamic axes (one trace), both into memory with the onnx checker's full check, and for
context onnxruntime loading the file. Medians are reported. Target: the CNN exports in under 0.5 s.
Needs the extra: pip install "ember-core[onnx]" onnxruntime, and the main job (examples/classify).
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import statistics
import sys
import time
from collections.abc import Callable

import ember
from ember.onnx import export


def timed(fn: Callable[[], object]) -> float:
    """Seconds for one call, with the garbage collector run before and kept off during (as timeit does), so a
    collection the other cases' garbage triggers is not charged to this one."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
    finally:
        gc.enable()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--image", default="1,8,8", help="C,H,W of the images (default: the digits, 1,8,8)")
    args = p.parse_args()
    from ember_classify import models

    try:
        import onnxruntime as ort
    except ImportError:
        ort = None
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from run import environment  # the suite's header: versions, device, BLAS kernel

    shape = tuple(int(s) for s in args.image.split(","))
    environment()
    print(f"images {shape}, {args.repeat} rounds, medians")
    for kind in ("cnn", "mlp"):
        model = models.build(kind, shape, 10).eval()  # type: ignore[arg-type]
        x = ember.randn(1, *shape)
        dyn = {"input": {0: "batch"}, "output": {0: "batch"}}
        data = export(model, x, io.BytesIO()).SerializeToString()

        def forward() -> None:
            with ember.no_grad():
                model(x)

        cases: dict[str, Callable[[], object]] = {
            "forward (batch 1, baseline)": forward,
            "export, dynamic batch": lambda: export(model, x, io.BytesIO(), dynamic_axes=dyn),
            "export, static shapes": lambda: export(model, x, io.BytesIO()),
        }
        if ort is not None:
            cases["onnxruntime session (context)"] = lambda: ort.InferenceSession(data)
        for fn in cases.values():  # warm up
            fn()
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.repeat):
            for name, fn in cases.items():
                times[name].append(timed(fn))
        base = statistics.median(times["forward (batch 1, baseline)"])
        n_params = sum(t.numel() for t in model.parameters())
        print(f"\n{kind} ({n_params:,} parameters, {len(data):,} bytes of ONNX)")
        for name, ts in times.items():
            med = statistics.median(ts)
            print(f"  {name:32s} {med * 1e3:9.2f} ms   {med / base:8.1f}x forward")


if __name__ == "__main__":
    main()
