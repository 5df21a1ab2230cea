"""ONNX import benchmark: the main job's models run natively by Ember against the same models exported and
run through `ember.onnx.load` (the importer's overhead), plus load time, and the light ResNet-50 of
ONNX's test data.

    python benchmarks/bench_onnx_import.py [--repeat N] [--batch 64] [--device cpu]

Times, per round and interleaved, no_grad: the native module's forward (the baseline), the imported
module's forward on the same input, `ember.onnx.load` of the file, and for context onnxruntime's run
of the same file when it is installed. Medians and ratios to the baseline are reported.
Needs: pip install "ember-core[onnx]", the main job (examples/classify); onnxruntime optional.
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

import numpy as np

import ember
import ember.onnx

DEVICE = "cpu"


def timed(fn: Callable[[], object]) -> float:
    """Seconds for one call (the device's queue drained), the garbage collector run before and kept off during."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        fn()
        ember.synchronize(DEVICE)
        return time.perf_counter() - start
    finally:
        gc.enable()


def run_cases(title: str, cases: dict[str, Callable[[], object]], repeat: int, baseline: str | None) -> None:
    for fn in cases.values():  # warm up (kernel builds, caches)
        fn()
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, fn in cases.items():
            times[name].append(timed(fn))
    base = statistics.median(times[baseline]) if baseline else None
    print(f"\n{title}")
    for name, ts in times.items():
        med = statistics.median(ts)
        ratio = f"  x{med / base:.2f}" if base else ""
        print(f"  {name:<40} {med * 1e3:9.2f} ms{ratio}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--device", default="cpu")
    args = p.parse_args()
    from ember_classify import models

    try:
        import onnxruntime as ort
    except ImportError:
        ort = None
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from run import environment  # the suite's header: versions, device, BLAS kernel

    global DEVICE
    environment()
    dev = DEVICE = args.device
    print(f"device {dev}, batch {args.batch}, {args.repeat} rounds, medians")
    shape = (1, 8, 8)
    for kind in ("cnn", "mlp"):
        model = models.build(kind, shape, 10).to(dev).eval()  # type: ignore[arg-type]
        buf = io.BytesIO()
        ember.onnx.export(model, ember.randn(1, *shape, device=dev), buf, dynamic_axes={"input": {0: "batch"}})
        data = buf.getvalue()
        imported = ember.onnx.load(data, device=dev)
        x = ember.randn(args.batch, *shape, device=dev)
        xn = x.cpu().numpy()
        with ember.no_grad():
            np.testing.assert_allclose(imported(x).cpu().numpy(), model(x).cpu().numpy(), rtol=1e-4, atol=1e-5)

        def native(model=model, x=x) -> None:
            with ember.no_grad():
                model(x)

        def through_onnx(imported=imported, x=x) -> None:
            with ember.no_grad():
                imported(x)

        cases: dict[str, Callable[[], object]] = {
            "native forward (baseline)": native,
            "imported forward": through_onnx,
            "ember.onnx.load": lambda data=data: ember.onnx.load(data, device=dev),
        }
        if ort is not None:
            sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
            cases["onnxruntime run (context)"] = lambda sess=sess, xn=xn: sess.run(None, {"input": xn})
        run_cases(f"main job {kind}", cases, args.repeat, "native forward (baseline)")

    import onnx.backend.test

    path = os.path.join(os.path.dirname(onnx.backend.test.__file__), "data", "light", "light_resnet50.onnx")
    resnet = ember.onnx.load(path, device=dev)
    image = ember.randn(1, 3, 224, 224, device=dev)

    def resnet_forward() -> None:
        with ember.no_grad():
            resnet(image)

    cases = {"imported forward (batch 1)": resnet_forward}
    if ort is not None:
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        name = sess.get_inputs()[0].name
        cases["onnxruntime run (context)"] = lambda: sess.run(None, {name: image.cpu().numpy()})
    run_cases("light ResNet-50 (onnx test data, opset 9)", cases, max(3, args.repeat // 5), None)


if __name__ == "__main__":
    main()
