"""The further activations (CELU, SELU, Hardshrink, Hardsigmoid, Hardswish, PReLU, RReLU, Softshrink,
Softsign, Tanhshrink, Threshold, Softmax2d, gumbel_softmax) and the channel-wise and alpha dropouts:
forward against NumPy written from the definitions, gradcheck in float64, train/eval behaviour,
parameters and errors."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck

RNG = np.random.default_rng(2024)
SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def T(a, device, grad=False, dtype=None):
    return ember.tensor(np.asarray(a), device=device, requires_grad=grad, dtype=dtype)


def npy(t):
    return t.detach().numpy()


def _away_from(x, kinks, gap=1e-2):
    """`x` with the entries near a kink of the function moved off it (finite differences need that)."""
    x = x.copy()
    for k in kinks:
        x[np.abs(x - k) < gap] = k + 0.25
    return x


ACTIVATIONS = [  # module, functional, NumPy reference, kinks
    (nn.CELU(0.7), lambda x: F.celu(x, 0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x / 0.7)), [0]),
    (nn.SELU(), F.selu, lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)), [0]),
    (nn.Hardshrink(0.6), lambda x: F.hardshrink(x, 0.6), lambda x: np.where(np.abs(x) > 0.6, x, 0), [-0.6, 0.6]),
    (
        nn.Softshrink(0.6),
        lambda x: F.softshrink(x, 0.6),
        lambda x: np.where(x > 0.6, x - 0.6, np.where(x < -0.6, x + 0.6, 0)),
        [-0.6, 0.6],
    ),
    (nn.Hardsigmoid(), F.hardsigmoid, lambda x: np.clip(x / 6 + 0.5, 0, 1), [-3, 3]),
    (nn.Hardswish(), F.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6, [-3, 3]),
    (nn.Softsign(), F.softsign, lambda x: x / (1 + np.abs(x)), []),
    (nn.Tanhshrink(), F.tanhshrink, lambda x: x - np.tanh(x), []),
    (nn.Threshold(0.3, -2.0), lambda x: F.threshold(x, 0.3, -2.0), lambda x: np.where(x > 0.3, x, -2.0), [0.3]),
    (nn.RReLU(0.1, 0.3).eval(), lambda x: F.rrelu(x, 0.1, 0.3), lambda x: np.where(x >= 0, x, 0.2 * x), [0]),
]


@pytest.mark.parametrize("module,fn,ref,kinks", ACTIVATIONS, ids=[type(a[0]).__name__ for a in ACTIVATIONS])
def test_activation_forward_and_gradcheck(device, module, fn, ref, kinks) -> None:
    x = _away_from(RNG.standard_normal((3, 4, 5)) * 3, kinks)
    want = ref(x)
    np.testing.assert_allclose(npy(module(T(x, device))), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(npy(fn(T(x, device))), want, rtol=1e-12, atol=1e-12)
    out32 = module(T(x, device, dtype=ember.float32))
    assert out32.dtype is ember.float32
    np.testing.assert_allclose(npy(out32), want, rtol=1e-5, atol=1e-5)
    assert gradcheck(fn, (T(x[:2, :2], device, True),))
    assert tuple(module(T(np.zeros((0, 3)), device)).shape) == (0, 3)


@pytest.mark.parametrize(
    "fn,ref",
    [
        (lambda x, ip: F.celu(x, 1.0, ip), lambda x: np.where(x > 0, x, np.expm1(x))),
        (lambda x, ip: F.selu(x, ip), lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x))),
        (lambda x, ip: F.hardswish(x, ip), lambda x: x * np.clip(x + 3, 0, 6) / 6),
        (lambda x, ip: F.threshold(x, 0.0, 5.0, ip), lambda x: np.where(x > 0, x, 5.0)),
    ],
)
def test_inplace_variants_write_into_the_input(device, fn, ref) -> None:
    x = RNG.standard_normal(7) * 4
    t = T(x, device)
    assert fn(t, True) is t
    np.testing.assert_allclose(npy(t), ref(x), rtol=1e-12)
    t = T(x, device)
    F.selu_(t), F.celu_(T(x, device)), F.threshold_(T(x, device), 0.0, 1.0), F.rrelu_(T(x, device))
    np.testing.assert_allclose(npy(t), SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)), rtol=1e-12)


def test_extra_repr_matches_pytorch() -> None:
    assert repr(nn.CELU()) == "CELU(alpha=1.0)"
    assert repr(nn.SELU()) == "SELU()"
    assert repr(nn.Hardswish(inplace=True)) == "Hardswish(inplace=True)"
    assert repr(nn.Threshold(0.1, 2.0)) == "Threshold(threshold=0.1, value=2.0)"
    assert repr(nn.Hardshrink()) == "Hardshrink(0.5)"
    assert repr(nn.Softshrink(0.2)) == "Softshrink(0.2)"
    assert repr(nn.PReLU(3)) == "PReLU(num_parameters=3)"
    assert repr(nn.RReLU()) == "RReLU(lower=0.125, upper=0.3333333333333333)"
    assert repr(nn.Softmax2d()) == "Softmax2d()"


def test_prelu_parameter_forward_and_grads(device) -> None:
    m = nn.PReLU(4, init=0.1).to(device)
    assert {k: tuple(v.shape) for k, v in m.state_dict().items()} == {"weight": (4,)}
    np.testing.assert_array_equal(npy(m.weight), np.full(4, 0.1, dtype=np.float32))
    with ember.no_grad():
        m.weight.copy_(T([0.1, -0.2, 0.3, 0.4], device, dtype=ember.float32))
    x = _away_from(RNG.standard_normal((2, 4, 3)), [0])
    w = np.array([0.1, -0.2, 0.3, 0.4]).reshape(1, 4, 1)
    np.testing.assert_allclose(npy(m(T(x, device, dtype=ember.float32))), np.where(x > 0, x, w * x), rtol=1e-6)
    assert gradcheck(F.prelu, (T(x, device, True), T(w.ravel(), device, True)))
    single = nn.PReLU().to(device)
    assert tuple(single.weight.shape) == (1,)
    np.testing.assert_allclose(npy(single(T(x, device, dtype=ember.float32))), np.where(x > 0, x, 0.25 * x), rtol=1e-6)
    np.testing.assert_allclose(npy(F.prelu(T([-2.0, 1.0], device), T([0.5], device))), [-1.0, 1.0])
    with pytest.raises(RuntimeError, match=r"prelu: mismatch .* 4 parameters .* channel size 3"):
        m(ember.ones(2, 3, 5, device=device))


def test_rrelu_training_draws_slopes_in_bounds(device) -> None:
    ember.manual_seed(0)
    m = nn.RReLU(0.1, 0.3)
    x = -ember.ones(2000, device=device)
    y = npy(m(x))
    assert ((y <= -0.1 + 1e-6) & (y >= -0.3 - 1e-6)).all()
    assert y.std() > 0.03  # drawn per element, not one slope
    np.testing.assert_array_equal(npy(m(ember.ones(5, device=device))), np.ones(5))
    m.eval()
    np.testing.assert_allclose(npy(m(x)), np.full(2000, -0.2), rtol=1e-6)
    with pytest.raises(
        RuntimeError, match=r"rrelu: lower bound \(0.5\) should be less than or equal to the upper bound"
    ):
        nn.RReLU(0.5, 0.1)(x)
    with pytest.raises(RuntimeError, match="celu: alpha cannot be 0"):
        F.celu(x, 0.0)
    with pytest.raises(RuntimeError, match="softshrink: lambda must be greater or equal to 0"):
        F.softshrink(x, -1.0)


def test_softmax2d(device) -> None:
    x = RNG.standard_normal((2, 3, 4, 5))
    e = np.exp(x - x.max(1, keepdims=True))
    np.testing.assert_allclose(npy(nn.Softmax2d()(T(x, device))), e / e.sum(1, keepdims=True), rtol=1e-12)
    e = np.exp(x[0])
    np.testing.assert_allclose(npy(nn.Softmax2d()(T(x[0], device))), e / e.sum(0, keepdims=True), rtol=1e-12)
    assert gradcheck(nn.Softmax2d(), (T(x[:1, :, :2, :2], device, True),))
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D"):
        nn.Softmax2d()(ember.ones(2, 3, device=device))


def test_gumbel_softmax_soft_and_hard(device) -> None:
    ember.manual_seed(3)
    logits = T(np.log(np.array([[0.7, 0.2, 0.1]] * 3000)), device, dtype=ember.float64)
    y = npy(F.gumbel_softmax(logits, tau=0.5))
    np.testing.assert_allclose(y.sum(1), 1.0, rtol=1e-12)
    assert (y > 0).all()
    hard = F.gumbel_softmax(logits, hard=True, dim=1)
    h = npy(hard)
    assert set(np.unique(h)) == {0.0, 1.0} and (h.sum(1) == 1).all()
    # argmax of logits + Gumbel noise samples the softmax distribution
    np.testing.assert_allclose(h.mean(0), [0.7, 0.2, 0.1], atol=0.03)
    # straight-through: the gradient of the hard sample is the soft one's
    x = T(RNG.standard_normal((2, 3)), device, True)
    ember.manual_seed(5)
    F.gumbel_softmax(x, hard=True).sum().backward()
    np.testing.assert_allclose(npy(x.grad), 0.0, atol=1e-12)  # each soft sample sums to 1
    ember.manual_seed(7)
    assert gradcheck(
        lambda a: (ember.manual_seed(7), F.gumbel_softmax(a, tau=2.0, dim=0))[1],
        (T(RNG.standard_normal((3, 2)), device, True),),
    )


# -- dropout ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "module,fn,shape,mask_dims",
    [
        (nn.Dropout1d, F.dropout1d, (40, 30, 6), 2),
        (nn.Dropout1d, F.dropout1d, (400, 6), 1),
        (nn.Dropout2d, F.dropout2d, (40, 30, 3, 2), 2),
        (nn.Dropout2d, F.dropout2d, (40, 30, 6), 2),  # 3-D: PyTorch takes it as (N, C, L)
        (nn.Dropout3d, F.dropout3d, (40, 30, 2, 2, 2), 2),
        (nn.Dropout3d, F.dropout3d, (400, 2, 1, 3), 1),
    ],
)
def test_channel_dropout_zeroes_whole_channels(device, module, fn, shape, mask_dims) -> None:
    ember.manual_seed(0)
    x = ember.ones(*shape, device=device)
    y = npy(module(0.3)(x))
    per_channel = y.reshape(*shape[:mask_dims], -1)
    assert (per_channel == per_channel[..., :1]).all()  # a channel is kept or dropped entirely
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.7)}
    assert abs((per_channel[..., 0] == 0).mean() - 0.3) < 0.05
    d = module(0.3).eval()
    assert d(x) is x
    assert fn(x, 0.3, training=False) is x
    assert (npy(fn(x, 1.0)) == 0).all()
    xd = T(RNG.standard_normal(shape), device, True)
    ember.manual_seed(1)
    out = fn(xd, 0.5)
    out.sum().backward()
    np.testing.assert_allclose(npy(xd.grad), npy(out) / npy(xd), rtol=1e-10)  # the mask scaled by 2
    assert repr(module(0.2)) == f"{module.__name__}(p=0.2, inplace=False)"


def test_channel_dropout_errors(device) -> None:
    with pytest.raises(
        RuntimeError, match=r"dropout1d: expected a 2-D or 3-D input \(C, L\) or \(N, C, L\), got a 4-D"
    ):
        F.dropout1d(ember.ones(2, 2, 2, 2, device=device))
    with pytest.raises(RuntimeError, match="dropout2d: feature dropout requires at least 2 dimensions"):
        nn.Dropout2d()(ember.ones(2, device=device))
    # other ranks are deprecated in PyTorch: a warning, and still channel-wise
    ember.manual_seed(0)
    with pytest.warns(UserWarning, match="dropout3d: received a 3-D input"):
        y = npy(F.dropout3d(ember.ones(300, 2, 2, device=device)))
    assert (y.reshape(300, -1) == y.reshape(300, -1)[:, :1]).all() and 0 < (y == 0).mean() < 1
    with pytest.warns(UserWarning, match="dropout2d: received a 2-D input"):
        F.dropout2d(ember.ones(3, 2, device=device))
    with pytest.raises(ValueError, match="Dropout2d: dropout probability has to be between 0 and 1, but got 1.5"):
        nn.Dropout2d(1.5)
    with pytest.raises(ValueError, match="alpha_dropout: dropout probability"):
        F.alpha_dropout(ember.ones(2, device=device), -0.1, True)


def test_alpha_dropout_keeps_mean_and_variance(device) -> None:
    ember.manual_seed(0)
    x = T(RNG.standard_normal(200_000), device)
    m = nn.AlphaDropout(0.2)
    y = npy(m(x))
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    # the dropped entries all take one value: a * (-alpha') + b
    alpha_p = 1.7580993408473766
    a = 1 / np.sqrt((alpha_p**2 * 0.2 + 1) * 0.8)
    dropped = -alpha_p * a + alpha_p * a * 0.2
    assert abs((np.abs(y - dropped) < 1e-6).mean() - 0.2) < 0.01
    kept = np.abs(y - dropped) >= 1e-6
    np.testing.assert_allclose(y[kept], npy(x)[kept] * a + alpha_p * a * 0.2, rtol=1e-5)
    assert F.alpha_dropout(x, 0.2) is x  # training defaults to False in the functional
    assert m.eval()(x) is x
    assert (npy(F.alpha_dropout(x, 1.0, True)) == 0).all()
    assert repr(nn.AlphaDropout(0.2)) == "AlphaDropout(p=0.2, inplace=False)"
