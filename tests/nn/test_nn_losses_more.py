"""The margin, ranking, embedding, Poisson/Gaussian NLL and CTC losses and the distances
(pairwise_distance, cosine_similarity, pdist): each against NumPy written from its definition (CTC
against a brute-force sum over every alignment), all reductions, gradcheck in float64 and the errors."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck

RNG = np.random.default_rng(31)
REDUCTIONS = ["none", "mean", "sum"]


def T(a, device, grad=False, dtype=None):
    return ember.tensor(np.asarray(a), device=device, requires_grad=grad, dtype=dtype)


def npy(t):
    return t.detach().numpy()


def reduce(loss, reduction):
    return {"none": loss, "mean": np.mean(loss), "sum": np.sum(loss)}[reduction]


def logsig(z):
    return -np.logaddexp(0, -z)


def pm1(n):
    return np.where(RNG.random(n) > 0.5, 1.0, -1.0)


# -- elementwise and per-sample losses ----------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_poisson_nll_loss(device, reduction) -> None:
    x = RNG.standard_normal((3, 4))
    t = RNG.integers(0, 6, (3, 4)).astype(float)
    np.testing.assert_allclose(
        npy(F.poisson_nll_loss(T(x, device), T(t, device), reduction=reduction)),
        reduce(np.exp(x) - t * x, reduction),
        rtol=1e-12,
    )
    rate = np.abs(x) + 0.1
    stirling = np.where(t > 1, t * np.log(np.maximum(t, 1)) - t + 0.5 * np.log(2 * np.pi * np.maximum(t, 1)), 0)
    want = reduce(rate - t * np.log(rate + 1e-8) + stirling, reduction)
    m = nn.PoissonNLLLoss(log_input=False, full=True, reduction=reduction)
    np.testing.assert_allclose(npy(m(T(rate, device), T(t, device))), want, rtol=1e-12)
    assert gradcheck(
        lambda a: F.poisson_nll_loss(a, T(t, device), log_input=False, full=True, reduction=reduction),
        (T(rate, device, True),),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gaussian_nll_loss(device, reduction) -> None:
    x, t = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    var = np.abs(RNG.standard_normal((3, 4))) + 0.1
    full = reduce(0.5 * (np.log(var) + (x - t) ** 2 / var) + 0.5 * np.log(2 * np.pi), reduction)
    m = nn.GaussianNLLLoss(full=True, reduction=reduction)
    np.testing.assert_allclose(npy(m(T(x, device), T(t, device), T(var, device))), full, rtol=1e-12)
    for v in (var[:, :1], var[:, 0]):  # one variance per row: (3, 1), or the last dim dropped
        want = reduce(0.5 * (np.log(var[:, :1]) + (x - t) ** 2 / var[:, :1]), reduction)
        np.testing.assert_allclose(
            npy(F.gaussian_nll_loss(T(x, device), T(t, device), T(v, device), reduction=reduction)), want, rtol=1e-12
        )
    np.testing.assert_allclose(
        npy(F.gaussian_nll_loss(T(x, device), T(t, device), 0.5, reduction=reduction)),
        reduce(0.5 * (np.log(0.5) + (x - t) ** 2 / 0.5), reduction),
        rtol=1e-12,
    )
    tiny = np.full((3, 4), 1e-9)  # clamped at eps in value, the gradient still reaches var
    np.testing.assert_allclose(
        npy(F.gaussian_nll_loss(T(x, device), T(t, device), T(tiny, device), reduction="none")),
        0.5 * (np.log(1e-6) + (x - t) ** 2 / 1e-6),
        rtol=1e-10,
    )
    assert gradcheck(
        lambda a, v: F.gaussian_nll_loss(a, T(t, device), v, reduction=reduction),
        (T(x, device, True), T(var, device, True)),
    )


def test_gaussian_nll_loss_errors(device) -> None:
    x = ember.ones(3, 4, device=device)
    with pytest.raises(ValueError, match="var has negative"):
        F.gaussian_nll_loss(x, x, -ember.ones(3, 4, device=device))
    with pytest.raises(ValueError, match=r"var is of incorrect size \(2, 4\) for input of size \(3, 4\)"):
        F.gaussian_nll_loss(x, x, ember.ones(2, 4, device=device))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_hinge_and_soft_margin_losses(device, reduction) -> None:
    a, b, y = RNG.standard_normal(8), RNG.standard_normal(8), pm1(8)
    np.testing.assert_allclose(
        npy(nn.MarginRankingLoss(0.3, reduction=reduction)(T(a, device), T(b, device), T(y, device))),
        reduce(np.maximum(0, -y * (a - b) + 0.3), reduction),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        npy(nn.HingeEmbeddingLoss(0.5, reduction=reduction)(T(a, device), T(y, device))),
        reduce(np.where(y == 1, a, np.maximum(0, 0.5 - a)), reduction),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        npy(nn.SoftMarginLoss(reduction=reduction)(T(a * 30, device), T(y, device))),
        reduce(np.logaddexp(0, -y * a * 30), reduction),
        rtol=1e-12,
    )
    a = a + np.where(np.abs(a - b - 0.3 * y) < 1e-2, 0.1, 0)  # off the hinge's kink
    assert gradcheck(
        lambda p, q: F.margin_ranking_loss(p, q, T(y, device), 0.3, reduction=reduction),
        (T(a, device, True), T(b, device, True)),
    )
    assert gradcheck(lambda p: F.soft_margin_loss(p, T(y, device), reduction=reduction), (T(a, device, True),))
    with pytest.raises(
        RuntimeError, match="margin_ranking_loss: all input tensors should have the same number of dimensions"
    ):
        F.margin_ranking_loss(T(a, device), T(b, device), T(y[None], device))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_soft_margin_loss(device, reduction) -> None:
    x, y, w = RNG.standard_normal((3, 4)), (RNG.random((3, 4)) > 0.5).astype(float), RNG.random(4)
    per = -(y * logsig(x) + (1 - y) * logsig(-x))
    m = nn.MultiLabelSoftMarginLoss(weight=T(w, device), reduction=reduction)
    assert list(m.state_dict()) == ["weight"]
    np.testing.assert_allclose(npy(m(T(x, device), T(y, device))), reduce((per * w).mean(1), reduction), rtol=1e-12)
    np.testing.assert_allclose(
        npy(F.multilabel_soft_margin_loss(T(x[0], device), T(y[0], device), reduction=reduction)),
        reduce(per[0].mean(), reduction),
        rtol=1e-12,
    )
    assert gradcheck(
        lambda a: F.multilabel_soft_margin_loss(a, T(y, device), T(w, device), reduction=reduction),
        (T(x, device, True),),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cosine_embedding_loss(device, reduction) -> None:
    a, b, y = RNG.standard_normal((6, 3)), RNG.standard_normal((6, 3)), pm1(6)
    cos = (a * b).sum(1) / np.sqrt(((a * a).sum(1) + 1e-12) * ((b * b).sum(1) + 1e-12))
    want = reduce(np.where(y == 1, 1 - cos, np.maximum(0, cos - 0.2)), reduction)
    np.testing.assert_allclose(
        npy(nn.CosineEmbeddingLoss(0.2, reduction=reduction)(T(a, device), T(b, device), T(y, device))),
        want,
        rtol=1e-12,
    )
    one = F.cosine_embedding_loss(T(a[0], device), T(b[0], device), T(np.array(1.0), device), reduction=reduction)
    np.testing.assert_allclose(npy(one), 1 - cos[0], rtol=1e-12)
    assert gradcheck(
        lambda p, q: F.cosine_embedding_loss(p, q, T(y, device), 0.2, reduction=reduction),
        (T(a, device, True), T(b, device, True)),
    )
    with pytest.raises(RuntimeError, match=r"a 1-D target expects 2-D inputs, but got inputs of shapes \(6, 3, 1\)"):
        F.cosine_embedding_loss(T(a[..., None], device), T(b[..., None], device), T(y, device))


# -- class-index margin losses ------------------------------------------------------------------------------
def ref_multi_margin(x, t, p=1, margin=1.0, w=None):
    n, c = x.shape
    out = np.zeros(n)
    for i in range(n):
        for j in range(c):
            if j != t[i]:
                z = max(0.0, margin - x[i, t[i]] + x[i, j]) ** p
                out[i] += z * (1 if w is None else w[t[i]])
    return out / c


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,margin,weighted", [(1, 1.0, False), (2, 0.5, True)])
def test_multi_margin_loss(device, reduction, p, margin, weighted) -> None:
    x, t = RNG.standard_normal((5, 4)), RNG.integers(0, 4, 5)
    w = RNG.random(4) + 0.5 if weighted else None
    m = nn.MultiMarginLoss(p, margin, None if w is None else T(w, device), reduction=reduction)
    np.testing.assert_allclose(
        npy(m(T(x, device), T(t, device))), reduce(ref_multi_margin(x, t, p, margin, w), reduction), rtol=1e-12
    )
    one = F.multi_margin_loss(T(x[0], device), T(np.array(t[0]), device), p, margin, reduction="none")
    assert one.ndim == 0
    np.testing.assert_allclose(npy(one), ref_multi_margin(x[:1], t[:1], p, margin)[0], rtol=1e-12)
    assert gradcheck(lambda a: m(a, T(t, device)), (T(x, device, True),))


def test_multi_margin_loss_errors(device) -> None:
    x = ember.ones(2, 3, device=device)
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        F.multi_margin_loss(x, T([0, 1], device), p=3)
    with pytest.raises(RuntimeError, match=r"target out of range: class indices must be in \[0, 2\]"):
        F.multi_margin_loss(x, T([0, 3], device))
    with pytest.raises(RuntimeError, match=r"expected a target of shape \(2,\)"):
        F.multi_margin_loss(x, T([0, 1, 2], device))
    with pytest.raises(RuntimeError, match="integer class indices"):
        F.multi_margin_loss(x, T([0.0, 1.0], device))
    with pytest.raises(RuntimeError, match=r"weight should be a 1-D tensor of 3 elements, got shape \(2,\)"):
        F.multi_margin_loss(x, T([0, 1], device), weight=ember.ones(2, device=device))


def ref_multilabel_margin(x, y):
    n, c = x.shape
    out = np.zeros(n)
    for i in range(n):
        labels = []
        for v in y[i]:
            if v < 0:
                break
            labels.append(v)
        for j in labels:
            for k in range(c):
                if k not in labels:
                    out[i] += max(0.0, 1 - (x[i, j] - x[i, k]))
    return out / c


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_loss(device, reduction) -> None:
    x = RNG.standard_normal((4, 4))
    y = np.array([[3, 0, -1, 1], [0, 1, 2, 3], [-1, 1, 1, 1], [2, 2, -1, 0]])
    m = nn.MultiLabelMarginLoss(reduction=reduction)
    np.testing.assert_allclose(
        npy(m(T(x, device), T(y, device))), reduce(ref_multilabel_margin(x, y), reduction), rtol=1e-12
    )
    one = F.multilabel_margin_loss(T(x[0], device), T(y[0], device), reduction="none")
    assert one.ndim == 0
    np.testing.assert_allclose(npy(one), ref_multilabel_margin(x[:1], y[:1])[0], rtol=1e-12)
    assert gradcheck(lambda a: m(a, T(y, device)), (T(x, device, True),))
    with pytest.raises(RuntimeError, match="target index out of range"):
        m(T(x, device), T(np.full((4, 4), 4), device))
    with pytest.raises(RuntimeError, match=r"a target of the same shape, got \(4, 4\) and \(4, 3\)"):
        m(T(x, device), T(y[:, :3], device))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,swap", [(2.0, False), (1.0, True), (3.0, False)])
def test_triplet_margin_loss(device, reduction, p, swap) -> None:
    a, pos, neg = (RNG.standard_normal((5, 3)) for _ in range(3))

    def dist(u, v):
        return (np.abs(u - v + 1e-6) ** p).sum(-1) ** (1 / p)

    d_neg = np.minimum(dist(a, neg), dist(pos, neg)) if swap else dist(a, neg)
    want = reduce(np.maximum(0, 1.5 + dist(a, pos) - d_neg), reduction)
    m = nn.TripletMarginLoss(1.5, p, swap=swap, reduction=reduction)
    np.testing.assert_allclose(npy(m(T(a, device), T(pos, device), T(neg, device))), want, rtol=1e-12)
    assert gradcheck(lambda u, v, w: m(u, v, w), (T(a, device, True), T(pos, device, True), T(neg, device, True)))
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        m(T(a, device), T(pos, device), T(neg[0], device))
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        nn.TripletMarginLoss(margin=0.0)


# -- CTC ----------------------------------------------------------------------------------------------------
def ctc_brute_force(lp, target, blank):
    """-log of the summed probability of every path over the classes whose collapse (merge repeats,
    drop blanks) is `target`."""
    t_len, c = lp.shape
    total = 0.0
    for path in itertools.product(range(c), repeat=t_len):
        merged = [k for i, k in enumerate(path) if i == 0 or k != path[i - 1]]
        if [k for k in merged if k != blank] == list(target):
            total += math.exp(sum(lp[i, k] for i, k in enumerate(path)))
    return -math.log(total) if total > 0 else math.inf


def log_softmax(x):
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("blank", [0, 2])
def test_ctc_loss_matches_brute_force(device, reduction, blank) -> None:
    lp = log_softmax(RNG.standard_normal((5, 4, 3)))
    labels = [k for k in range(3) if k != blank]
    targets = [[labels[0], labels[0]], [labels[1], labels[0], labels[1]], [], [labels[1]]]
    in_len, tg_len = [5, 5, 3, 4], [len(t) for t in targets]
    padded = np.array([t + [labels[0]] * (3 - len(t)) for t in targets])
    per = np.array([ctc_brute_force(lp[: in_len[i], i], targets[i], blank) for i in range(4)])
    want = np.mean(per / np.maximum(tg_len, 1)) if reduction == "mean" else reduce(per, reduction)
    m = nn.CTCLoss(blank=blank, reduction=reduction)
    got = m(T(lp, device), T(padded, device), T(in_len, device), T(tg_len, device))
    np.testing.assert_allclose(npy(got), want, rtol=1e-10)
    concat = T(np.array(sum(targets, []), dtype=np.int64), device)
    np.testing.assert_allclose(
        npy(F.ctc_loss(T(lp, device), concat, in_len, tg_len, blank, reduction)), want, rtol=1e-10
    )
    x = T(lp[:4, :2], device, True)
    assert gradcheck(lambda a: F.ctc_loss(a, T(padded[:2], device), [4, 3], [2, 3], blank, reduction), (x,))


def test_ctc_loss_unbatched_impossible_and_zero_infinity(device) -> None:
    lp = log_softmax(RNG.standard_normal((4, 3)))
    got = F.ctc_loss(T(lp, device), T([1, 2], device), T(4, device), T(2, device), reduction="none")
    assert got.ndim == 0
    np.testing.assert_allclose(npy(got), ctc_brute_force(lp, [1, 2], 0), rtol=1e-10)
    # [1, 1] needs a blank between the repeats: 3 steps; 2 cannot produce it
    lpb = T(log_softmax(RNG.standard_normal((2, 1, 3))), device, True)
    assert npy(F.ctc_loss(lpb, T([[1, 1]], device), [2], [2], reduction="none"))[0] == np.inf
    z = F.ctc_loss(lpb, T([[1, 1]], device), [2], [2], reduction="sum", zero_infinity=True)
    assert npy(z) == 0.0
    z.backward()
    np.testing.assert_array_equal(npy(lpb.grad), 0.0)


def test_ctc_loss_errors(device) -> None:
    lp = ember.zeros(4, 2, 3, device=device)
    tg = T([[1, 2], [1, 1]], device)
    with pytest.raises(RuntimeError, match=r"ctc_loss: expected log_probs \(T, N, C\) or \(T, C\)"):
        F.ctc_loss(ember.zeros(4, device=device), tg, [4, 4], [2, 2])
    with pytest.raises(RuntimeError, match=r"input_lengths\[1\] = 5 is not in \[0, 4\]"):
        F.ctc_loss(lp, tg, [4, 5], [2, 2])
    with pytest.raises(RuntimeError, match="expected target_lengths to have 2 entries"):
        F.ctc_loss(lp, tg, [4, 4], [2])
    with pytest.raises(RuntimeError, match=r"blank \(3\) must be in \[0, 2\]"):
        F.ctc_loss(lp, tg, [4, 4], [2, 2], blank=3)
    with pytest.raises(RuntimeError, match="exceed the target length"):
        F.ctc_loss(lp, tg, [4, 4], [3, 2])


# -- distances ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.0, math.inf])
def test_pairwise_distance(device, p) -> None:
    a, b = RNG.standard_normal((4, 5)), RNG.standard_normal((4, 5))
    d = a - b + 1e-6
    want = {0.0: (d != 0).sum(-1).astype(float), math.inf: np.abs(d).max(-1)}.get(
        p, (np.abs(d) ** p).sum(-1) ** (1 / max(p, 1e-9))
    )
    m = nn.PairwiseDistance(p)
    np.testing.assert_allclose(npy(m(T(a, device), T(b, device))), want, rtol=1e-12)
    keep = F.pairwise_distance(T(a, device), T(b[0], device), p, keepdim=True)
    assert tuple(keep.shape) == (4, 1)
    if p != 0.0:
        assert gradcheck(m, (T(a, device, True), T(b, device, True)))
    assert F.pairwise_distance(T(a[0], device), T(b[0], device)).ndim == 0


def test_cosine_similarity(device) -> None:
    a, b = RNG.standard_normal((2, 3, 1)), RNG.standard_normal((1, 3, 4))
    ab = np.broadcast_arrays(a, b)
    want = (ab[0] * ab[1]).sum(1) / (np.linalg.norm(ab[0], axis=1) * np.linalg.norm(ab[1], axis=1))
    got = nn.CosineSimilarity()(T(a, device), T(b, device))
    assert tuple(got.shape) == (2, 4)
    np.testing.assert_allclose(npy(got), want, rtol=1e-12)
    np.testing.assert_allclose(
        npy(F.cosine_similarity(T(a[0, :, 0], device), T(b[0, :, 0], device), dim=0)), want[0, 0], rtol=1e-12
    )
    zero = F.cosine_similarity(ember.zeros(3, dtype=ember.float64, device=device), T(a[0, :, 0], device), dim=-1)
    assert npy(zero) == 0.0  # the norms are clamped at eps
    assert gradcheck(lambda u, v: F.cosine_similarity(u, v, dim=-1), (T(a, device, True), T(b, device, True)))
    with pytest.raises(IndexError, match="dim 3 is out of range"):
        F.cosine_similarity(T(a, device), T(b, device), dim=3)
    with pytest.raises(RuntimeError, match=r"cosine_similarity: shapes \(2, 3\) and \(3, 2\) are not broadcastable"):
        F.cosine_similarity(ember.ones(2, 3, device=device), ember.ones(3, 2, device=device))


@pytest.mark.parametrize("p", [2.0, 1.0, 0.5, math.inf])
def test_pdist(device, p) -> None:
    x = RNG.standard_normal((5, 3))
    x[4] = x[1]  # a zero distance: value 0 and a finite gradient
    want = []
    for i in range(5):
        for j in range(i + 1, 5):
            d = np.abs(x[i] - x[j])
            want.append(d.max() if p == math.inf else (d**p).sum() ** (1 / p))
    got = F.pdist(T(x, device), p)
    np.testing.assert_allclose(npy(got), want, rtol=1e-12)
    assert tuple(F.pdist(ember.ones(1, 3, device=device)).shape) == (0,)
    if p >= 1:
        y = T(x[:4], device, True)
        assert gradcheck(lambda a: F.pdist(a, p), (y,))
        xt = T(x, device, True)
        F.pdist(xt, p).sum().backward()
        assert np.isfinite(npy(xt.grad)).all()
    with pytest.raises(RuntimeError, match=r"pdist: only supports 2-D tensors \(N, M\), got shape \(5,\)"):
        F.pdist(T(x[:, 0], device))
