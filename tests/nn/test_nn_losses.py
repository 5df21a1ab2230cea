"""Losses against NumPy references, their gradients, stability at extreme logits and their errors."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck

RNG = np.random.default_rng(7)


def T(a, device, grad=False, dtype=None):
    return ember.tensor(np.asarray(a), device=device, requires_grad=grad, dtype=dtype)


def log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def ref_ce(x, t, weight=None, ignore_index=-100, reduction="mean", eps=0.0):
    """Cross-entropy for (N, C, *) logits and (N, *) indices, following PyTorch's documented formula."""
    c = x.shape[1]
    lp = log_softmax(x, 1)
    w = np.ones(c) if weight is None else weight
    valid = t != ignore_index
    ts = np.where(valid, t, 0)
    picked = -np.take_along_axis(lp, ts[:, None], 1)[:, 0]
    wt = w[ts] * valid
    nll = picked * wt
    wshape = (1, c) + (1,) * (x.ndim - 2)
    smooth = -(lp * w.reshape(wshape)).sum(1) * valid
    if reduction == "none":
        return (1 - eps) * nll + eps / c * smooth
    if reduction == "sum":
        return (1 - eps) * nll.sum() + eps / c * smooth.sum()
    return (1 - eps) * nll.sum() / wt.sum() + eps / c * smooth.sum() / wt.sum()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("opts", [{}, {"weight": True}, {"ignore_index": 2}, {"label_smoothing": 0.2}, {"weight": True, "ignore_index": 0, "label_smoothing": 0.1}])
def test_cross_entropy_class_indices(device, reduction, opts) -> None:
    x = RNG.standard_normal((6, 4))
    t = np.array([0, 2, 3, 1, 2, 0])
    w = RNG.uniform(0.5, 2, 4) if opts.get("weight") else None
    kw = {k: v for k, v in opts.items() if k != "weight"}
    ref = ref_ce(x, t, w, kw.get("ignore_index", -100), reduction, kw.get("label_smoothing", 0.0))
    wt = T(w, device) if w is not None else None
    out = F.cross_entropy(T(x, device), T(t, device), weight=wt, reduction=reduction, **kw)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10)
    mod = nn.CrossEntropyLoss(weight=wt, reduction=reduction, **kw)
    np.testing.assert_allclose(mod(T(x, device), T(t, device)).numpy(), ref, rtol=1e-10)
    assert gradcheck(lambda a: F.cross_entropy(a, T(t, device), weight=wt, reduction=reduction, **kw), (T(x, device, True),))


def test_cross_entropy_spatial_unbatched_and_probabilities(device) -> None:
    x = RNG.standard_normal((2, 3, 4, 5))
    t = RNG.integers(0, 3, (2, 4, 5))
    np.testing.assert_allclose(F.cross_entropy(T(x, device), T(t, device)).numpy(), ref_ce(x, t), rtol=1e-10)
    x1 = RNG.standard_normal(5)
    np.testing.assert_allclose(F.cross_entropy(T(x1, device), T(3, device)).numpy(), -log_softmax(x1, 0)[3], rtol=1e-10)
    p = RNG.dirichlet(np.ones(4), 6)
    x = RNG.standard_normal((6, 4))
    w = RNG.uniform(0.5, 2, 4)
    for eps in (0.0, 0.3):
        ps = p * (1 - eps) + eps / 4
        ref = -(log_softmax(x, 1) * ps * w).sum(1)
        out = F.cross_entropy(T(x, device), T(p, device), weight=T(w, device), label_smoothing=eps, reduction="none")
        np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10)
        np.testing.assert_allclose(F.cross_entropy(T(x, device), T(p, device), weight=T(w, device), label_smoothing=eps).numpy(), ref.mean(), rtol=1e-10)
    assert gradcheck(lambda a, b: F.cross_entropy(a, b), (T(x, device, True), T(p, device, True)))


def test_cross_entropy_is_stable_for_huge_logits(device) -> None:
    x = T([[1000.0, -1000.0, 0.0], [-1e4, 1e4, 0.0]], device, True, ember.float32)
    loss = F.cross_entropy(x, T([0, 0], device))
    assert np.isfinite(loss.item()) and abs(loss.item() - 1e4) < 1
    loss.backward()
    assert np.isfinite(x.grad.numpy()).all()


def test_cross_entropy_and_nll_errors(device) -> None:
    x = ember.randn(3, 4, device=device)
    with pytest.raises(IndexError, match=r"target 4 is out of bounds: class indices must be in \[0, 3\]"):
        F.cross_entropy(x, T([0, 4, 1], device))
    with pytest.raises(IndexError, match="target -1 is out of bounds"):
        F.nll_loss(x, T([0, -1, 1], device))
    with pytest.raises(ValueError, match="'avg' is not a valid value for reduction"):
        F.cross_entropy(x, T([0, 1, 1], device), reduction="avg")
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        nn.MSELoss(reduction="bogus")
    with pytest.raises(ValueError, match=r"expected target of shape \(3,\)"):
        F.cross_entropy(x, T([0, 1], device))
    # ignore_index lets an out-of-range marker through
    assert np.isfinite(F.cross_entropy(x, T([0, -100, 1], device)).item())


def test_nll_loss(device) -> None:
    lp = log_softmax(RNG.standard_normal((5, 3)), 1)
    t = np.array([0, 2, 1, 1, 0])
    w = np.array([1.0, 2.0, 0.5])
    ref = -(lp[np.arange(5), t] * w[t]).sum() / w[t].sum()
    np.testing.assert_allclose(nn.NLLLoss(weight=T(w, device))(T(lp, device), T(t, device)).numpy(), ref, rtol=1e-10)
    assert gradcheck(lambda a: F.nll_loss(a, T(t, device), reduction="sum"), (T(lp, device, True),))


def test_regression_losses(device) -> None:
    a, b = RNG.standard_normal((4, 3)) * 2, RNG.standard_normal((4, 3)) * 2
    d = a - b
    ad = np.abs(d)
    cases = [
        (F.mse_loss, nn.MSELoss, {}, d**2),
        (F.l1_loss, nn.L1Loss, {}, ad),
        (F.smooth_l1_loss, nn.SmoothL1Loss, {"beta": 0.5}, np.where(ad < 0.5, 0.5 * d**2 / 0.5, ad - 0.25)),
        (F.huber_loss, nn.HuberLoss, {"delta": 1.5}, np.where(ad < 1.5, 0.5 * d**2, 1.5 * (ad - 0.75))),
    ]
    for fn, mod, kw, ref in cases:
        np.testing.assert_allclose(fn(T(a, device), T(b, device), reduction="none", **kw).numpy(), ref, rtol=1e-10)
        np.testing.assert_allclose(mod(reduction="sum", **kw)(T(a, device), T(b, device)).numpy(), ref.sum(), rtol=1e-10)
        np.testing.assert_allclose(fn(T(a, device), T(b, device), **kw).numpy(), ref.mean(), rtol=1e-10)
        assert gradcheck(lambda x, y: fn(x, y, **kw), (T(a, device, True), T(b, device, True)))


def test_binary_cross_entropy(device) -> None:
    p = RNG.uniform(0.05, 0.95, (4, 3))
    t = RNG.uniform(0, 1, (4, 3))
    w = RNG.uniform(0.5, 2, (4, 3))
    ref = -(t * np.log(p) + (1 - t) * np.log(1 - p)) * w
    np.testing.assert_allclose(nn.BCELoss(weight=T(w, device), reduction="none")(T(p, device), T(t, device)).numpy(), ref, rtol=1e-10)
    np.testing.assert_allclose(F.binary_cross_entropy(T(p, device), T(t, device), T(w, device)).numpy(), ref.mean(), rtol=1e-10)
    assert gradcheck(lambda x: F.binary_cross_entropy(x, T(t, device)), (T(p, device, True),))
    assert F.binary_cross_entropy(T([0.0, 1.0], device), T([1.0, 0.0], device), reduction="sum").item() == 200.0  # logs clamp at -100
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(T([1.5], device), T([1.0], device))
    with pytest.raises(ValueError, match=r"target size \(2,\) must be the same as input size \(3,\)"):
        F.binary_cross_entropy(T([0.5] * 3, device), T([1.0] * 2, device))


def test_binary_cross_entropy_with_logits(device) -> None:
    x = RNG.standard_normal((4, 3)) * 3
    t = RNG.uniform(0, 1, (4, 3))
    pw = np.array([1.0, 3.0, 0.5])
    s = 1 / (1 + np.exp(-x))
    ref = -(pw * t * np.log(s) + (1 - t) * np.log(1 - s))
    mod = nn.BCEWithLogitsLoss(pos_weight=T(pw, device), reduction="none")
    np.testing.assert_allclose(mod(T(x, device), T(t, device)).numpy(), ref, rtol=1e-8)
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(T(x, device), T(t, device)).numpy(), (-(t * np.log(s) + (1 - t) * np.log(1 - s))).mean(), rtol=1e-8)
    assert gradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=T(pw, device)), (T(x, device, True), T(t, device, True)))
    # never overflows: huge logits give exact, finite losses and gradients
    big = T([1e4, -1e4, 100.0, -100.0], device, True, ember.float32)
    out = F.binary_cross_entropy_with_logits(big, T([0.0, 1.0, 1.0, 0.0], device, dtype=ember.float32), reduction="none", pos_weight=T([2.0], device, dtype=ember.float32))
    np.testing.assert_allclose(out.detach().numpy(), [1e4, 2e4, 0.0, 0.0], atol=1e-6)
    out.sum().backward()
    assert np.isfinite(big.grad.numpy()).all()


def test_kl_div(device) -> None:
    lp = log_softmax(RNG.standard_normal((3, 4)), 1)
    t = RNG.dirichlet(np.ones(4), 3)
    t[0, 1] = 0.0
    pointwise = np.where(t > 0, t * (np.log(np.where(t > 0, t, 1)) - lp), 0)
    np.testing.assert_allclose(F.kl_div(T(lp, device), T(t, device), reduction="none").numpy(), pointwise, rtol=1e-10)
    np.testing.assert_allclose(nn.KLDivLoss(reduction="batchmean")(T(lp, device), T(t, device)).numpy(), pointwise.sum() / 3, rtol=1e-10)
    lt = np.log(np.clip(t, 1e-3, None))
    np.testing.assert_allclose(F.kl_div(T(lp, device), T(lt, device), reduction="sum", log_target=True).numpy(), (np.exp(lt) * (lt - lp)).sum(), rtol=1e-10)
    assert gradcheck(lambda a: F.kl_div(a, T(t, device), reduction="batchmean"), (T(lp, device, True),))


def test_one_hot_and_pad(device) -> None:
    oh = F.one_hot(T([0, 2, 1], device), 4)
    assert oh.dtype is ember.int64
    np.testing.assert_array_equal(oh.numpy(), np.eye(4, dtype=np.int64)[[0, 2, 1]])
    assert F.one_hot(T([[1, 3]], device)).shape == (1, 2, 4)
    with pytest.raises(RuntimeError, match="class values"):
        F.one_hot(T([0, 5], device), 3)
    x = RNG.standard_normal((2, 3, 4))
    np.testing.assert_array_equal(F.pad(T(x, device), (1, 2)).numpy(), np.pad(x, ((0, 0), (0, 0), (1, 2))))
    np.testing.assert_array_equal(F.pad(T(x, device), (1, 0, 0, 2), value=7.0).numpy(), np.pad(x, ((0, 0), (0, 2), (1, 0)), constant_values=7))
    np.testing.assert_array_equal(F.pad(T(x, device), (-1, 1)).numpy(), np.pad(x, ((0, 0), (0, 0), (0, 1)))[:, :, 1:])
    for mode, npmode in (("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap")):
        np.testing.assert_array_equal(F.pad(T(x, device), (2, 1, 1, 2), mode=mode).numpy(), np.pad(x, ((0, 0), (1, 2), (2, 1)), mode=npmode))
    assert gradcheck(lambda a: F.pad(a, (1, 2, 2, 1), mode="reflect"), (T(x[:1], device, True),))
