"""The CUDA backend (ember-backend-cupy) against CuPy itself and, when installed, PyTorch on the same GPU.

    python benchmarks/bench_cuda.py [--repeat N] [--only mlp|cnn|matmul]

- mlp: Linear 784-256-128-10 with ReLU, cross-entropy, SGD momentum 0.9, batch 128 (as bench_nn.py).
- cnn: conv 1->8 3x3 pad 1 + ReLU + maxpool 2, conv 8->16 3x3 pad 1 + ReLU + maxpool 2,
  linear 784->10, cross-entropy, SGD momentum 0.9, batch 64, 28x28 input (as bench_nn.py).
- matmul: 4096x4096 float32 on "cuda" against cupy.matmul (the same cuBLAS call) and torch.matmul.

Every timed call ends with a device synchronize, so times are GPU times plus launch overhead.
Medians of interleaved rounds; PyTorch columns appear only where `import torch` works and
torch.cuda.is_available(). Exits with a message (status 0) where there is no usable GPU.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import _fmt, compare, run_cases

import ember

LR, MOMENTUM = 0.01, 0.9


def _gpu_or_exit() -> None:
    from ember.backends import registry

    backend = registry.peek("cuda")
    if backend is None:
        sys.exit("bench_cuda: ember-backend-cupy is not installed: pip install './packages/backend-cupy[cuda12]'")
    reason = backend.unavailable_reason()
    if reason:
        print(f"bench_cuda: nothing to time, the cupy backend cannot run here: {reason}")
        sys.exit(0)


def _torch() -> object | None:
    try:
        import torch
    except ImportError:
        return None
    return torch if torch.cuda.is_available() else None


def _sync() -> None:
    import cupy

    cupy.cuda.get_current_stream().synchronize()


def _print(name: str, times: dict[str, float]) -> None:
    base = times["ember"]
    cols = "   ".join(
        f"{k} {_fmt(v)} ({v / base:4.2f}x of ember)" if k != "ember" else f"ember {_fmt(v)}" for k, v in times.items()
    )
    print(f"{name:<44} {cols}")


def _ember_step(model: object, x: ember.Tensor, y: ember.Tensor) -> Callable[[], None]:
    import ember.nn.functional as F

    params = list(model.parameters())  # type: ignore[attr-defined]
    bufs = [ember.zeros_like(p) for p in params]

    def step() -> None:
        loss = F.cross_entropy(model(x), y)  # type: ignore[operator]
        model.zero_grad()  # type: ignore[attr-defined]
        loss.backward()
        with ember.no_grad():
            for p, b in zip(params, bufs):
                b.mul_(MOMENTUM).add_(p.grad)
                p.sub_(b * LR)
        _sync()

    return step


def _torch_step(torch: object, model: object, x: object, y: object) -> Callable[[], None]:
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)  # type: ignore[attr-defined]

    def step() -> None:
        loss = torch.nn.functional.cross_entropy(model(x), y)  # type: ignore[attr-defined, operator]
        opt.zero_grad()
        loss.backward()
        opt.step()
        torch.cuda.synchronize()  # type: ignore[attr-defined]

    return step


def _models(kind: str) -> tuple[object, tuple[int, ...]]:
    import ember.nn as nn

    if kind == "mlp":
        m = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
        return m, (128, 784)
    m = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(784, 10),
    )  # fmt: skip
    return m, (64, 1, 28, 28)


def _torch_model(torch: object, kind: str) -> object:
    tnn = torch.nn  # type: ignore[attr-defined]
    if kind == "mlp":
        return tnn.Sequential(tnn.Linear(784, 256), tnn.ReLU(), tnn.Linear(256, 128), tnn.ReLU(), tnn.Linear(128, 10))
    return tnn.Sequential(
        tnn.Conv2d(1, 8, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(8, 16, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(), tnn.Linear(784, 10),
    )  # fmt: skip


def bench_step(kind: str, repeat: int) -> None:
    model, shape = _models(kind)
    model.to("cuda")  # type: ignore[attr-defined]
    ember.manual_seed(0)
    x = ember.randn(*shape, device="cuda")
    y = ember.randint(0, 10, (shape[0],), device="cuda")
    ours = _ember_step(model, x, y)
    times: dict[str, float] = {}
    torch = _torch()
    number = 20
    if torch is not None:
        tm = _torch_model(torch, kind).cuda()  # type: ignore[attr-defined]
        tx = torch.randn(*shape, device="cuda")  # type: ignore[attr-defined]
        ty = torch.randint(0, 10, (shape[0],), device="cuda")  # type: ignore[attr-defined]
        base, mine = compare(_torch_step(torch, tm, tx, ty), ours, repeat, number)
        times = {"ember": mine, "torch": base}
    else:
        _, mine = compare(ours, ours, repeat, number)
        times = {"ember": mine}
    name = "MLP 784-256-128-10 step, batch 128" if kind == "mlp" else "CNN step (2 conv + pool, linear), batch 64"
    _print(name, times)


def bench_matmul(repeat: int) -> None:
    import cupy

    n = 4096
    a, b = ember.randn(n, n, device="cuda"), ember.randn(n, n, device="cuda")
    ac, bc = cupy.from_dlpack(a), cupy.from_dlpack(b)

    def ours() -> None:
        a @ b
        _sync()

    def theirs() -> None:
        cupy.matmul(ac, bc)
        _sync()

    base, mine = compare(theirs, ours, repeat, 5)
    flop = 2 * n**3
    line = f"matmul {n}x{n} float32: ember {flop / mine / 1e12:6.2f} TFLOP/s   cupy {flop / base / 1e12:6.2f} TFLOP/s"
    torch = _torch()
    if torch is not None:
        ta, tb = torch.from_dlpack(a), torch.from_dlpack(b)  # type: ignore[attr-defined]

        def torch_mm() -> None:
            torch.matmul(ta, tb)  # type: ignore[attr-defined]
            torch.cuda.synchronize()  # type: ignore[attr-defined]

        tt, _ = compare(torch_mm, ours, repeat, 5)
        line += f"   torch {flop / tt / 1e12:6.2f} TFLOP/s"
    print(line)


CASES: dict[str, Callable[[int], None]] = {
    "mlp": lambda r: bench_step("mlp", r),
    "cnn": lambda r: bench_step("cnn", r),
    "matmul": bench_matmul,
}


def main() -> None:
    _gpu_or_exit()
    run_cases(CASES, __doc__.split("\n")[0])


if __name__ == "__main__":
    main()
