"""Views share memory; in-place writes show through them, and autograd sees through them too."""

from __future__ import annotations

import numpy as np
import pytest

import ember


def test_writes_through_views_reach_the_base(device: str) -> None:
    base = ember.zeros(3, 4, device=device)
    base[1].fill_(2.0)
    base.T[0].add_(1.0)  # column 0, through a transposed view
    base.view(12)[11] = 7.0
    ref = np.zeros((3, 4), np.float32)
    ref[1] = 2
    ref[:, 0] += 1
    ref.reshape(12)[11] = 7
    np.testing.assert_array_equal(base.numpy(), ref)


def test_views_share_the_version_counter(device: str) -> None:
    base = ember.zeros(4, device=device)
    v = base[1:3]
    before = base._version_value
    v.add_(1)
    assert base._version_value == v._version_value == before + 1


def test_view_rejects_incompatible_layouts_and_reshape_copies(device: str) -> None:
    t = ember.arange(6, device=device).reshape(2, 3).T
    with pytest.raises(RuntimeError, match="reshape"):
        t.view(6)
    assert t.reshape(6).tolist() == [0, 3, 1, 4, 2, 5]


def test_gradient_through_inplace_write_into_a_view(device: str) -> None:
    x = ember.randn(3, 4, dtype=ember.float64, device=device, requires_grad=True)
    w = ember.randn(4, dtype=ember.float64, device=device, requires_grad=True)

    def f(x: ember.Tensor, w: ember.Tensor) -> ember.Tensor:
        y = x * 1.0
        y[1].mul_(3.0)
        y[1].add_(w)
        y[:, 0] = w[:3]
        v = y.T[2]
        v.add_(w[:3] * 2)
        return (y * y).sum() + (v * v).sum()

    assert ember.autograd.gradcheck(f, (x, w))
    assert ember.autograd.gradgradcheck(f, (x, w))


def test_inplace_on_a_view_of_a_leaf_that_requires_grad_is_refused(device: str) -> None:
    x = ember.randn(3, requires_grad=True, device=device)
    before = x.detach().numpy().copy()
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad is being used in an in-place operation"):
        x[0].mul_(2)
    np.testing.assert_array_equal(x.detach().numpy(), before)  # nothing was written
    with ember.no_grad():
        x[0].mul_(2)
    assert x[0].item() == pytest.approx(before[0] * 2)


def test_expanded_tensors_cannot_be_written(device: str) -> None:
    e = ember.ones(1, device=device).expand(4)
    with pytest.raises((ValueError, RuntimeError)):
        e.add_(1)


def test_writes_from_an_overlapping_view_read_the_old_values(device: str) -> None:
    # x[1:] = x[:-1] reads memory the write changes: the source is read whole first (NumPy's answer),
    # on every backend (an element-wise copy kernel would otherwise read what it had already written)
    x = ember.arange(12.0, device=device).reshape(3, 4)
    ref = np.arange(12.0).reshape(3, 4)
    x[1:] = x[:-1]
    ref[1:] = ref[:-1].copy()
    np.testing.assert_array_equal(x.numpy(), ref)
    y = ember.arange(6.0, device=device)
    y[1:].copy_(y[:-1])
    np.testing.assert_array_equal(y.numpy(), [0.0, 0.0, 1.0, 2.0, 3.0, 4.0])
    z = ember.arange(6.0, device=device)
    z[2:].add_(z[:4])
    np.testing.assert_array_equal(z.numpy(), [0.0, 1.0, 2.0, 4.0, 6.0, 8.0])


def test_view_ops_that_change_nothing_still_give_a_view(device: str) -> None:
    # PyTorch's squeeze/permute/transpose/movedim return a new view even when no dim moves: not the
    # tensor itself, not a leaf, sharing its memory
    x = ember.ones(3, 2, device=device, requires_grad=True)
    for y in (x.squeeze(), x.squeeze(0), x.permute(0, 1), x.transpose(1, 1), x.movedim(0, 0), x.swapaxes(0, 0)):
        assert y is not x and not y.is_leaf and y.requires_grad and y.shape == x.shape
        y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 2), 6.0))
    z = ember.zeros(3, device=device)
    z.squeeze().add_(1.0)
    np.testing.assert_array_equal(z.numpy(), np.ones(3))
