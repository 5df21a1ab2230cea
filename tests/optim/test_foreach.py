"""The optimizers' foreach path (a group's updates straight through the kernels, `ember.optim._foreach`)
gives the per-parameter path's numbers bit for bit, bumps the version counters of what it writes, and
runs through the kernel tables (`ember.capture` sees each call)."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.optim as optim
from ember import capture

SHAPES = [(5, 3), (3,), (2, 2, 2)]

CASES = [
    (optim.SGD, dict(lr=0.1, momentum=0.9)),
    (optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, maximize=True)),
    (optim.SGD, dict(lr=0.1)),
    (optim.Adam, dict(lr=0.01)),
    (optim.Adam, dict(lr=0.01, weight_decay=0.1)),
    (optim.AdamW, dict(lr=0.01, weight_decay=0.1, betas=(0.8, 0.99))),
]


def _train(device: str, cls, kwargs: dict, foreach: bool, steps: int = 4) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    params = [
        ember.tensor(rng.standard_normal(s), dtype=ember.float32, device=device, requires_grad=True) for s in SHAPES
    ]
    targets = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    opt = cls(params, foreach=None if foreach else False, **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        loss = sum(
            ((p - ember.tensor(t, device=device)) ** 2).sum() * (i + 1) for i, (p, t) in enumerate(zip(params, targets))
        )
        loss.backward()
        opt.step()
    return [p.detach().numpy() for p in params]


@pytest.mark.parametrize("cls,kwargs", CASES)
def test_foreach_matches_per_parameter_updates_bitwise(device, cls, kwargs) -> None:
    together = _train(device, cls, kwargs, foreach=True)
    apart = _train(device, cls, kwargs, foreach=False)
    for a, b in zip(together, apart):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(together[0], _train(device, cls, kwargs, foreach=True, steps=1)[0])  # it did step


def test_foreach_step_bumps_versions_and_runs_through_the_kernel_tables(device) -> None:
    w = ember.tensor([1.0, 2.0], device=device, requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    for _ in range(2):  # the second step has momentum buffers: the foreach path
        opt.zero_grad()
        (w * w).sum().backward()
        y = w * w  # saves w for its derivative
        before = w._version_value
        calls: list[str] = []
        with capture.record_kernels(lambda op, dt, k, args, res: calls.append(op.name)):
            opt.step()
    assert w._version_value > before
    assert "sub_" in calls and "mul_" in calls and "add_" in calls
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
