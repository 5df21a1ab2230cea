"""BatchNorm3d, InstanceNorm1d/2d/3d (and F.instance_norm), LocalResponseNorm and RMSNorm: forward
against NumPy written from the definitions, running statistics, gradcheck in float64 on inputs and
parameters, state_dict names and shapes as PyTorch's, and errors."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck

RNG = np.random.default_rng(99)


def T(a, device, grad=False, dtype=None):
    return ember.tensor(np.asarray(a), device=device, requires_grad=grad, dtype=dtype)


def npy(t):
    return t.detach().numpy()


def shapes(m):
    return {k: tuple(v.shape) for k, v in m.state_dict().items()}


def ref_instance_norm(x, w=None, b=None, eps=1e-5):
    axes = tuple(range(2, x.ndim))
    out = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    bshape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if w is not None:
        out = out * w.reshape(bshape)
    if b is not None:
        out = out + b.reshape(bshape)
    return out


def test_batch_norm_3d(device) -> None:
    bn = nn.BatchNorm3d(3, momentum=0.5).to(device)
    assert shapes(bn) == {
        "weight": (3,),
        "bias": (3,),
        "running_mean": (3,),
        "running_var": (3,),
        "num_batches_tracked": (),
    }
    assert repr(bn) == "BatchNorm3d(3, eps=1e-05, momentum=0.5, affine=True, bias=True, track_running_stats=True)"
    no_bias = nn.BatchNorm3d(3, bias=False)
    assert no_bias.bias is None and list(no_bias.state_dict()) == [
        "weight",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    x = RNG.standard_normal((2, 3, 2, 3, 2)) * 3 + 1
    axes = (0, 2, 3, 4)
    ref = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + 1e-5)
    np.testing.assert_allclose(npy(bn(T(x, device, dtype=ember.float32))), ref, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(npy(bn.running_mean), 0.5 * x.mean(axis=axes), rtol=1e-5)
    with pytest.raises(ValueError, match=r"BatchNorm3d: expected a 5-D input \(N, C, D, H, W\), got a 4-D"):
        bn(ember.ones(2, 3, 2, 2, device=device))
    bn.double()
    assert gradcheck(
        lambda a, w, b: F.batch_norm(a, None, None, w, b, True), (T(x[:, :, :1], device, True), bn.weight, bn.bias)
    )


@pytest.mark.parametrize(
    "cls,shape",
    [(nn.InstanceNorm1d, (2, 3, 5)), (nn.InstanceNorm2d, (2, 3, 4, 3)), (nn.InstanceNorm3d, (2, 3, 2, 3, 2))],
)
def test_instance_norm_defaults_and_affine(device, cls, shape) -> None:
    x = RNG.standard_normal(shape) * 2 + 3
    m = cls(3).to(device)
    assert m.weight is None and m.running_mean is None and shapes(m) == {}
    assert repr(m) == f"{cls.__name__}(3, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False)"
    np.testing.assert_allclose(npy(m(T(x, device))), ref_instance_norm(x), rtol=1e-10, atol=1e-10)
    # an unbatched input is one sample
    np.testing.assert_allclose(npy(m(T(x[0], device))), ref_instance_norm(x[:1])[0], rtol=1e-10, atol=1e-10)
    m.eval()  # without running statistics, eval still uses the input's
    np.testing.assert_allclose(npy(m(T(x, device))), ref_instance_norm(x), rtol=1e-10, atol=1e-10)
    a = cls(3, affine=True).to(device).double()
    assert shapes(a) == {"weight": (3,), "bias": (3,)}
    with ember.no_grad():
        a.weight.copy_(T([1.0, 2.0, -1.0], device))
        a.bias.copy_(T([0.5, 0.0, 1.0], device))
    want = ref_instance_norm(x, np.array([1.0, 2.0, -1.0]), np.array([0.5, 0.0, 1.0]))
    np.testing.assert_allclose(npy(a(T(x, device))), want, rtol=1e-10, atol=1e-10)
    assert gradcheck(lambda i, w, b: F.instance_norm(i, weight=w, bias=b), (T(x[:1], device, True), a.weight, a.bias))
    with pytest.raises(ValueError, match=r"to have 3 channels \(num_features\) in dim 1, but got 4"):
        a(ember.ones(2, 4, *shape[2:], device=device, dtype=ember.float64))
    with pytest.warns(
        UserWarning, match=r"to have 3 channels .* but got 2 \(num_features is not used, since affine=False\)"
    ):
        m.train()(T(x[:, :2], device))
    with pytest.raises(ValueError, match=f"{cls.__name__}: expected a"):
        m(ember.ones(*shape, 1, device=device))


def test_instance_norm_running_stats(device) -> None:
    m = nn.InstanceNorm1d(3, momentum=0.2, track_running_stats=True).to(device).double()
    assert shapes(m) == {"running_mean": (3,), "running_var": (3,), "num_batches_tracked": ()}
    x = RNG.standard_normal((4, 3, 6)) * 2 + 1
    m(T(x, device))
    np.testing.assert_allclose(npy(m.running_mean), 0.2 * x.mean(2).mean(0), rtol=1e-10)
    np.testing.assert_allclose(npy(m.running_var), 0.8 + 0.2 * x.var(2, ddof=1).mean(0), rtol=1e-10)
    assert int(m.num_batches_tracked.item()) == 0  # as PyTorch: instance norm does not count batches
    m.eval()
    y = RNG.standard_normal((2, 3, 6))
    rm, rv = npy(m.running_mean).reshape(1, 3, 1), npy(m.running_var).reshape(1, 3, 1)
    np.testing.assert_allclose(npy(m(T(y, device))), (y - rm) / np.sqrt(rv + 1e-5), rtol=1e-10)
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        F.instance_norm(ember.ones(2, 3, 1, device=device))
    with pytest.raises(ValueError, match=r"instance_norm: expected an input with at least 3 dims"):
        F.instance_norm(ember.ones(2, 3, device=device))


def ref_lrn(x, size, alpha, beta, k):
    c = x.shape[1]
    sq = x * x
    div = np.zeros_like(x)
    for ch in range(c):
        lo, hi = max(0, ch - size // 2), min(c, ch + (size - 1) // 2 + 1)
        div[:, ch] = sq[:, lo:hi].sum(1)
    return x / (k + alpha / size * div) ** beta


@pytest.mark.parametrize("size,shape", [(3, (2, 5, 4)), (2, (2, 4, 3, 2)), (5, (1, 3, 2, 2, 2)), (1, (2, 3, 2))])
def test_local_response_norm(device, size, shape) -> None:
    x = RNG.standard_normal(shape) * 2
    m = nn.LocalResponseNorm(size, alpha=0.1, beta=0.6, k=2.0)
    assert repr(m) == f"LocalResponseNorm({size}, alpha=0.1, beta=0.6, k=2.0)"
    np.testing.assert_allclose(npy(m(T(x, device))), ref_lrn(x, size, 0.1, 0.6, 2.0), rtol=1e-10)
    assert gradcheck(m, (T(x, device, True),))
    with pytest.raises(ValueError, match="local_response_norm: expected a 3-D or higher input"):
        m(ember.ones(2, 3, device=device))
    assert tuple(F.local_response_norm(ember.ones(0, 3, 2, device=device), 2).shape) == (0, 3, 2)


def test_rms_norm(device) -> None:
    m = nn.RMSNorm([3, 4]).to(device)
    assert shapes(m) == {"weight": (3, 4)}
    assert repr(m) == "RMSNorm((3, 4), eps=None, elementwise_affine=True)"
    x = RNG.standard_normal((2, 3, 4))
    ref = x / np.sqrt((x * x).mean(axis=(1, 2), keepdims=True) + np.finfo(np.float32).eps)
    np.testing.assert_allclose(npy(m(T(x, device, dtype=ember.float32))), ref, rtol=1e-5)
    w = RNG.standard_normal(4)
    ref = x / np.sqrt((x * x).mean(-1, keepdims=True) + 1e-3) * w
    np.testing.assert_allclose(npy(F.rms_norm(T(x, device), [4], T(w, device), eps=1e-3)), ref, rtol=1e-12)
    assert gradcheck(lambda a, b: F.rms_norm(a, (4,), b), (T(x, device, True), T(w, device, True)))
    plain = nn.RMSNorm(4, eps=1e-3, elementwise_affine=False)
    assert plain.weight is None and shapes(plain) == {}
    np.testing.assert_allclose(
        npy(plain(T(x, device))), x / np.sqrt((x * x).mean(-1, keepdims=True) + 1e-3), rtol=1e-12
    )
    with pytest.raises(
        RuntimeError, match=r"rms_norm: expected weight of shape \(4,\) \(normalized_shape\), got \(3,\)"
    ):
        F.rms_norm(T(x, device), [4], ember.ones(3, device=device, dtype=ember.float64))
    with pytest.raises(RuntimeError, match=r"rms_norm: expected input with shape \(\*, 3, 4\), got \(2, 4, 3\)"):
        m(ember.ones(2, 4, 3, device=device))
