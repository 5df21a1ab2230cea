"""ember.compile: replays match eager execution, and each known JIT footgun does the right thing.

Device-generic (the `device` fixture): bitwise equality to eager on the NumPy backend, within 1e-6
elsewhere. Every test also checks that replays happened, so none can pass by running eagerly.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.optim
from ember.compiler import CompileError, RecompileWarning


def _same(a: np.ndarray, b: np.ndarray, device: str) -> None:
    if device == "cpu":
        np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


def _mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Dropout(0.25), nn.Linear(16, 3))


def _cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Dropout(0.1), nn.Linear(4 * 3 * 3, 3),
    )  # fmt: skip


def _train(kind: str, optimizer: str, compiled: bool, device: str, steps: int) -> tuple[list[np.ndarray], list[float], Any]:
    ember.manual_seed(0)
    model = (_mlp() if kind == "mlp" else _cnn()).to(device)
    if optimizer == "sgd":
        opt: Any = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)
    else:
        opt = ember.optim.AdamW(model.parameters(), lr=0.01)
    sched = ember.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)

    def step(x: ember.Tensor, y: ember.Tensor) -> ember.Tensor:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    run = ember.compile(step) if compiled else step
    rng = np.random.default_rng(1)
    shape = (6, 12) if kind == "mlp" else (6, 1, 6, 6)
    losses = []
    model.train()
    for _ in range(steps):
        x = ember.tensor(rng.standard_normal(shape).astype(np.float32), device=device)
        y = ember.tensor(rng.integers(0, 3, 6), device=device)
        losses.append(run(x, y).item())
        sched.step()
    state = [t.detach().numpy().copy() for t in model.state_dict().values()]
    return state, losses, run


@pytest.mark.parametrize("optimizer", ["sgd", "adamw"])
@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_training_steps_match_eager(kind: str, optimizer: str, device: str) -> None:
    """100 steps (dropout, BatchNorm stats, a cosine schedule, SGD momentum or AdamW) equal eager ones."""
    steps = 100
    eager_state, eager_losses, _ = _train(kind, optimizer, False, device, steps)
    state, losses, run = _train(kind, optimizer, True, device, steps)
    assert run.captures == 2 and run.replays == steps - 2  # step 1 makes the optimizer's state, step 2 uses it
    for a, b in zip(eager_state, state):
        _same(a, b, device)
    _same(np.array(eager_losses), np.array(losses), device)


def test_frozen_constants_recapture(device: str) -> None:
    """A closure's Python number changes between calls: the replay must not keep the old one."""
    scale = 2.0

    def f(x: ember.Tensor) -> ember.Tensor:
        return x * scale + 1

    g = ember.compile(f)
    x = ember.tensor([1.0, 2.0], device=device)
    for s in (2.0, 2.0, 3.0, 3.0, 2.0):
        scale = s
        np.testing.assert_array_equal(g(x).numpy(), np.array([1.0, 2.0], np.float32) * s + 1)
    assert g.captures == 2 and g.replays == 3


def test_float_argument_is_traced(device: str) -> None:
    """A float argument reaches the kernels at its new value without a re-capture."""
    g = ember.compile(lambda x, a: (x * a).exp() - a)
    x = ember.tensor([0.5, -1.0], device=device)
    for a in (0.5, 1.5, -2.25):
        _same(g(x, a).numpy(), np.exp(np.float32([0.5, -1.0]) * np.float32(a)) - np.float32(a), device)
    assert g.captures == 1 and g.replays == 2


def test_branch_on_tensor_value_raises(device: str) -> None:
    def f(x: ember.Tensor) -> ember.Tensor:
        return x * 2 if x.sum() > 0 else x

    with pytest.raises(CompileError, match=r"bool\(tensor\)"):
        ember.compile(f)(ember.tensor([1.0], device=device))


@pytest.mark.parametrize(
    "read, name",
    [
        (lambda t: t.sum().item(), r"Tensor\.item\(\)"),
        (lambda t: t.tolist(), r"Tensor\.tolist\(\)"),
        (lambda t: t.numpy(), r"Tensor\.numpy\(\)"),
    ],
)
def test_host_reads_raise_naming_the_call(read: Any, name: str, device: str) -> None:
    with pytest.raises(CompileError, match=name):
        ember.compile(read)(ember.tensor([1.0, 2.0], device=device))


@pytest.mark.parametrize("f", [lambda t: t[t > 0], lambda t: t.nonzero()], ids=["mask", "nonzero"])
def test_data_dependent_shapes_raise(f: Any, device: str) -> None:
    with pytest.raises(CompileError, match="shape depends on tensor values"):
        ember.compile(f)(ember.tensor([1.0, -2.0, 3.0], device=device))


def test_changed_shapes_recapture(device: str) -> None:
    w = ember.tensor(np.arange(12, dtype=np.float32).reshape(3, 4), device=device)
    g = ember.compile(lambda x: (x @ w).relu().sum(1))
    rng = np.random.default_rng(0)
    for n in (5, 5, 7, 7, 5):
        xs = rng.standard_normal((n, 3)).astype(np.float32)
        _same(g(ember.tensor(xs, device=device)).numpy(), np.maximum(xs @ w.numpy(), 0).sum(1), device)
    assert g.captures == 2 and g.replays == 3


def test_outputs_are_fresh(device: str) -> None:
    """tinygrad's reused output buffers: a later call must not overwrite what the caller kept."""
    g = ember.compile(lambda x: (x + 1, x * 2))
    outs = [g(ember.tensor([float(i)], device=device)) for i in range(4)]
    for i, (a, b) in enumerate(outs):
        assert a.numpy().tolist() == [i + 1.0] and b.numpy().tolist() == [2.0 * i]
    assert g.replays == 3


def test_aliasing_outputs(device: str) -> None:
    """A returned view of an argument, and the argument itself, come back as in eager mode."""
    g = ember.compile(lambda x: (x, x[1:], x.add_(1)))
    for _ in range(3):
        x = ember.tensor([1.0, 2.0, 3.0], device=device)
        same, view, inplace = g(x)
        assert same is x and inplace is x
        assert x.numpy().tolist() == [2.0, 3.0, 4.0] and view.numpy().tolist() == [3.0, 4.0]
    assert g.replays == 2


def test_random_numbers_advance_per_replay(device: str) -> None:
    def f(x: ember.Tensor) -> ember.Tensor:
        return x + ember.rand(4, device=device)

    g = ember.compile(f)
    x = ember.zeros(4, device=device)
    ember.manual_seed(3)
    eager = [f(x).numpy().copy() for _ in range(4)]
    ember.manual_seed(3)
    compiled = [g(x).numpy().copy() for _ in range(4)]
    assert g.replays == 3
    for a, b in zip(eager, compiled):
        _same(a, b, device)
    assert not np.array_equal(compiled[1], compiled[2])


def test_dropout_masks_change_per_step(device: str) -> None:
    drop = nn.Dropout(0.5)
    g = ember.compile(lambda x: drop(x))
    x = ember.ones(64, device=device)
    ember.manual_seed(5)
    eager = [drop(x).numpy().copy() for _ in range(3)]
    ember.manual_seed(5)
    masks = [g(x).numpy().copy() for _ in range(3)]
    assert g.replays == 2
    assert not np.array_equal(masks[1], masks[2])
    for a, b in zip(eager, masks):
        _same(a, b, device)


def test_guards_recapture_on_mode_and_flags(device: str) -> None:
    """The training flag, grad mode, dtype and requires_grad each pick another capture, never a wrong one."""
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5)).to(device)
    g = ember.compile(lambda x: model(x))
    x = ember.ones(2, 4, device=device)
    with ember.no_grad():
        model.eval()
        expect = model(x).numpy().copy()
        assert np.array_equal(g(x).numpy(), expect) and np.array_equal(g(x).numpy(), expect)
        model.train()
        assert (g(x).numpy() == 0).any()  # dropout now
        model.eval()
        assert np.array_equal(g(x).numpy(), expect)
    out = g(x)  # grad mode on: another capture
    assert g.captures == 3
    _same(out.detach().numpy(), expect, device)


def test_repeated_recaptures_warn_naming_the_guard(device: str) -> None:
    g = ember.compile(lambda x: x + 1, warn_after=2)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        for n in range(1, 5):
            g(ember.ones(n, device=device))
    msgs = [str(m.message) for m in w if issubclass(m.category, RecompileWarning)]
    assert msgs and "arguments" in msgs[-1]
    assert len(g.programs) <= g.max_captures


def test_unsupported_argument_is_refused(device: str) -> None:
    with pytest.raises(TypeError, match="ndarray"):
        ember.compile(lambda a: ember.tensor(a))(np.ones(3))
