"""ember.capture: every kernel call inside a recording block reaches the recorder; outside, the tables are plain."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember
from ember import capture, dispatch


def _record(fn: Any) -> list[tuple[str, str, tuple[Any, ...], Any]]:
    calls: list[tuple[str, str, tuple[Any, ...], Any]] = []
    with capture.record_kernels(lambda op, dt, k, args, res: calls.append((op.name, dt, args, res))):
        fn()
    return calls


def test_forward_and_backward_kernels_are_recorded_in_order(device: str) -> None:
    a = ember.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    b = ember.tensor([4.0, 5.0, 6.0], device=device)
    c = ember.tensor([0.5, 0.5, 0.5], device=device)
    out: list[Any] = []

    def step() -> None:
        loss = (a * b + c).sum()
        loss.backward()
        out.append(loss)

    calls = _record(step)
    names = [n for n, *_ in calls]
    assert names[:3] == ["mul", "add", "sum"], names
    assert {dt for _, dt, _, _ in calls} == {ember.device(device).type}
    # the forward's results are what the kernels returned; backward ran kernels too (mul's derivative)
    assert float(ember.Tensor._make(calls[2][3], (), ember.float32, ember.device(device)).item()) == pytest.approx(33.5)
    assert len(names) > 3 and "mul" in names[3:]
    np.testing.assert_allclose(a.grad.numpy(), [4.0, 5.0, 6.0])
    assert out[0].item() == pytest.approx(33.5)


def test_tables_are_plain_dicts_outside_a_block(device: str) -> None:
    x = ember.ones(3, device=device)
    _record(lambda: x + 1)
    assert all(type(op._kernels) is dict for op in dispatch.OPS.values())


def test_a_kernel_resolved_during_the_block_is_recorded(device: str) -> None:
    x = ember.ones(3, device=device)
    dispatch.invalidate_caches()
    calls = _record(lambda: x * 2)
    assert [n for n, *_ in calls] == ["mul"]
    dispatch.invalidate_caches()


def test_blocks_do_not_nest() -> None:
    with capture.record_kernels(lambda *a: None):
        assert capture.is_recording()
        with pytest.raises(RuntimeError, match="cannot nest"):
            with capture.record_kernels(lambda *a: None):
                pass
    assert not capture.is_recording()


def test_tables_are_restored_when_the_block_raises(device: str) -> None:
    x = ember.ones(3, device=device)
    with pytest.raises(ZeroDivisionError):
        with capture.record_kernels(lambda *a: None):
            x + 1
            1 / 0
    assert all(type(op._kernels) is dict for op in dispatch.OPS.values())
    assert not capture.is_recording()


def test_decompose_hides_a_backends_override_for_the_block(device: str) -> None:
    x = ember.randn(2, 3, device=device)
    names: list[str] = []
    with capture.record_kernels(lambda op, dt, k, args, res: names.append(op.name), decompose={"softmax"}):
        y = x.softmax(1)
    assert "softmax" not in names and "exp" in names  # the decomposition ran, op by op
    np.testing.assert_allclose(y.numpy(), x.softmax(1).numpy(), rtol=1e-6)
    assert all(type(op._kernels) is dict for op in dispatch.OPS.values())
