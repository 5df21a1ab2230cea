"""Every layer's forward against an independent NumPy reference, gradcheck (float64) on its inputs
and parameters, and the errors for wrong input rank/channels."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck

RNG = np.random.default_rng(1234)


def T(a, device, grad=False, dtype=None):
    return ember.tensor(np.asarray(a), device=device, requires_grad=grad, dtype=dtype)


def npy(t):
    return t.detach().numpy()


def check_module_grads(module, *inputs):
    """gradcheck in float64 over the inputs and every parameter of `module`."""
    module.double()
    params = [p for p in module.parameters()]
    names = [n for n, _ in module.named_parameters()]

    def f(*args):
        xs, ps = args[: len(inputs)], args[len(inputs) :]
        saved = {n: module.get_parameter(n) for n in names}
        for n, p in zip(names, ps):
            mod_name, _, attr = n.rpartition(".")
            module.get_submodule(mod_name)._parameters[attr] = p
        try:
            out = module(*xs)
        finally:
            for n, p in saved.items():
                mod_name, _, attr = n.rpartition(".")
                module.get_submodule(mod_name)._parameters[attr] = p
        return out[0] if isinstance(out, tuple) else out

    assert gradcheck(f, (*inputs, *params), atol=1e-5, rtol=1e-3)


# -- NumPy references (written from the definitions, not from ember) ------------------------
def ref_conv2d(x, w, b, stride, padding, dilation, groups):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    oh = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    og = o // groups
    for oc in range(o):
        g = oc // og
        for i in range(oh):
            for j in range(ow):
                patch = xp[:, g * cg : (g + 1) * cg, i * stride[0] : i * stride[0] + dilation[0] * (kh - 1) + 1 : dilation[0],
                           j * stride[1] : j * stride[1] + dilation[1] * (kw - 1) + 1 : dilation[1]]  # fmt: skip
                out[:, oc, i, j] = (patch * w[oc]).sum(axis=(1, 2, 3))
    return out + (b.reshape(1, -1, 1, 1) if b is not None else 0)


def ref_conv_transpose2d(x, w, b, stride, padding, output_padding, dilation):
    n, cin, h, wd = x.shape
    _, cout, kh, kw = w.shape
    oh = (h - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kh - 1) + output_padding[0] + 1
    ow = (wd - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kw - 1) + output_padding[1] + 1
    full = np.zeros((n, cout, oh + 2 * padding[0] + kh * dilation[0], ow + 2 * padding[1] + kw * dilation[1]))
    for i in range(h):
        for j in range(wd):
            for a in range(kh):
                for c in range(kw):
                    full[:, :, i * stride[0] + a * dilation[0], j * stride[1] + c * dilation[1]] += x[:, :, i, j] @ w[:, :, a, c]
    out = full[:, :, padding[0] : padding[0] + oh, padding[1] : padding[1] + ow]
    return out + (b.reshape(1, -1, 1, 1) if b is not None else 0)


def ref_pool2d(x, k, s, p, mode, count_include_pad=True):
    n, c, h, w = x.shape
    fill = -np.inf if mode == "max" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (p[0],) * 2, (p[1],) * 2), constant_values=fill)
    ones = np.pad(np.ones((h, w)), ((p[0],) * 2, (p[1],) * 2))
    oh, ow = (h + 2 * p[0] - k[0]) // s[0] + 1, (w + 2 * p[1] - k[1]) // s[1] + 1
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            win = xp[:, :, i * s[0] : i * s[0] + k[0], j * s[1] : j * s[1] + k[1]]
            if mode == "max":
                out[:, :, i, j] = win.max(axis=(2, 3))
            else:
                div = k[0] * k[1] if count_include_pad else ones[i * s[0] : i * s[0] + k[0], j * s[1] : j * s[1] + k[1]].sum()
                out[:, :, i, j] = win.sum(axis=(2, 3)) / div
    return out


# -- linear, bilinear, identity, flatten -------------------------------------------------------
def test_linear_forward_and_grads(device) -> None:
    lin = nn.Linear(4, 3).to(device)
    x = RNG.standard_normal((2, 5, 4)).astype(np.float32)
    ref = x @ npy(lin.weight).T + npy(lin.bias)
    np.testing.assert_allclose(npy(lin(T(x, device))), ref, rtol=1e-5, atol=1e-6)
    check_module_grads(lin, T(RNG.standard_normal((3, 4)), device, True))
    assert nn.Linear(4, 3, bias=False).to(device)(T(x, device)).shape == (2, 5, 3)
    with pytest.raises(ValueError, match=r"expected input with last dimension 4 \(in_features\), got input of shape \(2, 5\)"):
        lin(ember.ones(2, 5, device=device))


def test_bilinear_forward_and_grads(device) -> None:
    bil = nn.Bilinear(3, 2, 4).to(device)
    a, b = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 2))
    ref = np.einsum("ni,kij,nj->nk", a, npy(bil.weight).astype(np.float64), b) + npy(bil.bias)
    np.testing.assert_allclose(npy(bil(T(a, device, dtype=ember.float32), T(b, device, dtype=ember.float32))), ref, rtol=1e-4, atol=1e-5)
    check_module_grads(bil, T(a[:2], device, True), T(b[:2], device, True))


def test_identity_flatten_unflatten(device) -> None:
    x = ember.randn(2, 3, 4, 5, device=device)
    assert nn.Identity(7, foo=1)(x) is x
    assert nn.Flatten()(x).shape == (2, 60) and nn.Flatten(0, 2)(x).shape == (24, 5)
    assert nn.Unflatten(1, (3, 1))(x).shape == (2, 3, 1, 4, 5)


# -- convolution ------------------------------------------------------------------------------------
CONV_CASES = [  # kwargs, input shape
    ({"in_channels": 3, "out_channels": 4, "kernel_size": 3}, (2, 3, 6, 5)),
    ({"in_channels": 4, "out_channels": 6, "kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 2), "dilation": (1, 2), "groups": 2}, (2, 4, 7, 6)),
    ({"in_channels": 2, "out_channels": 2, "kernel_size": 4, "padding": "same", "dilation": 1, "bias": False}, (1, 2, 5, 6)),
    ({"in_channels": 2, "out_channels": 4, "kernel_size": 3, "padding": "same", "dilation": 2, "groups": 2}, (1, 2, 5, 6)),
    ({"in_channels": 2, "out_channels": 3, "kernel_size": 3, "padding": "valid", "stride": 2}, (1, 2, 7, 7)),
]


@pytest.mark.parametrize("kwargs,shape", CONV_CASES)
def test_conv2d_forward_matches_reference(device, kwargs, shape) -> None:
    conv = nn.Conv2d(**kwargs).to(device)
    x = RNG.standard_normal(shape).astype(np.float32)
    w = npy(conv.weight).astype(np.float64)
    b = npy(conv.bias) if conv.bias is not None else None
    pad = kwargs.get("padding", 0)
    dil = F._pair(kwargs.get("dilation", 1))
    xr = x.astype(np.float64)
    if pad == "same":
        total = [d * (k - 1) for d, k in zip(dil, w.shape[2:])]
        xr = np.pad(xr, ((0, 0), (0, 0), (total[0] // 2, total[0] - total[0] // 2), (total[1] // 2, total[1] - total[1] // 2)))
        padding = (0, 0)
    else:
        padding = (0, 0) if pad == "valid" else F._pair(pad)
    ref = ref_conv2d(xr, w, b, F._pair(kwargs.get("stride", 1)), padding, dil, kwargs.get("groups", 1))
    out = npy(conv(T(x, device)))
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-5)
    if pad == "same":
        assert out.shape[2:] == shape[2:]
    # unbatched input
    np.testing.assert_allclose(npy(conv(T(x[0], device))), ref[0], rtol=1e-4, atol=1e-5)


def test_conv2d_grads_and_padding_modes(device) -> None:
    conv = nn.Conv2d(2, 3, (2, 3), stride=(1, 2), padding=1, groups=1).to(device)
    check_module_grads(conv, T(RNG.standard_normal((1, 2, 4, 5)), device, True))
    conv = nn.Conv2d(2, 2, 3, padding=1, padding_mode="reflect", groups=2).to(device)
    x = RNG.standard_normal((1, 2, 4, 4))
    ref = ref_conv2d(np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="reflect"), npy(conv.weight).astype(np.float64), npy(conv.bias), (1, 1), (0, 0), (1, 1), 2)
    np.testing.assert_allclose(npy(conv(T(x, device, dtype=ember.float32))), ref, rtol=1e-4, atol=1e-5)
    check_module_grads(conv, T(x, device, True))


def test_conv2d_errors_say_expected_and_got(device) -> None:
    conv = nn.Conv2d(3, 4, 3).to(device)
    with pytest.raises(ValueError, match=r"expected input of shape \(1, 2, 5, 5\) to have 3 channels \(in_channels\), but got 2 channels"):
        conv(ember.ones(1, 2, 5, 5, device=device))
    with pytest.raises(ValueError, match=r"expected a 3-D \(unbatched\) or 4-D \(batched\) input .* got a 2-D input of shape \(5, 5\)"):
        conv(ember.ones(5, 5, device=device))
    with pytest.raises(ValueError, match="smaller than the kernel"):
        conv(ember.ones(1, 3, 2, 2, device=device))
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")


def test_conv1d_forward_and_grads(device) -> None:
    conv = nn.Conv1d(4, 6, 3, stride=2, padding=1, dilation=1, groups=2).to(device)
    x = RNG.standard_normal((2, 4, 9))
    ref = ref_conv2d(x[:, :, None], npy(conv.weight).astype(np.float64)[:, :, None], npy(conv.bias), (1, 2), (0, 1), (1, 1), 2)[:, :, 0]
    np.testing.assert_allclose(npy(conv(T(x, device, dtype=ember.float32))), ref, rtol=1e-4, atol=1e-5)
    assert conv(ember.ones(4, 9, device=device)).shape == (6, 5)
    check_module_grads(conv, T(x[:1, :, :5], device, True))
    with pytest.raises(ValueError, match="to have 4 channels"):
        conv(ember.ones(2, 3, 9, device=device))


@pytest.mark.parametrize("kwargs", [
    {"stride": 2, "padding": 1, "output_padding": 1},
    {"stride": (1, 2), "padding": (0, 1), "dilation": (2, 1)},
    {"stride": 1, "padding": 0},
])  # fmt: skip
def test_conv_transpose2d_forward_and_grads(device, kwargs) -> None:
    conv = nn.ConvTranspose2d(3, 2, (3, 2), **kwargs).to(device)
    x = RNG.standard_normal((2, 3, 4, 3))
    ref = ref_conv_transpose2d(
        x, npy(conv.weight).astype(np.float64), npy(conv.bias), F._pair(kwargs["stride"]), F._pair(kwargs["padding"]),
        F._pair(kwargs.get("output_padding", 0)), F._pair(kwargs.get("dilation", 1)),
    )  # fmt: skip
    np.testing.assert_allclose(npy(conv(T(x, device, dtype=ember.float32))), ref, rtol=1e-4, atol=1e-5)
    check_module_grads(conv, T(x[:1, :, :3, :2], device, True))


# -- pooling -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("k,s,p", [((2, 2), None, (0, 0)), ((3, 3), (2, 2), (1, 1)), ((3, 2), (1, 2), (1, 0))])
def test_max_and_avg_pool2d(device, k, s, p) -> None:
    x = RNG.standard_normal((2, 3, 7, 6))
    st = k if s is None else s
    mp = nn.MaxPool2d(k, s, p).to(device)
    np.testing.assert_allclose(npy(mp(T(x, device))), ref_pool2d(x, k, st, p, "max"))
    ap = nn.AvgPool2d(k, s, p)
    np.testing.assert_allclose(npy(ap(T(x, device))), ref_pool2d(x, k, st, p, "avg"), rtol=1e-10)
    ap2 = nn.AvgPool2d(k, s, p, count_include_pad=False)
    np.testing.assert_allclose(npy(ap2(T(x, device))), ref_pool2d(x, k, st, p, "avg", False), rtol=1e-10)
    xs = T(x[:1, :2, :5, :4], device, True)
    assert gradcheck(lambda a: F.max_pool2d(a, k, s, p), (xs,))
    assert gradcheck(lambda a: F.avg_pool2d(a, k, s, p, count_include_pad=False), (xs,))


def test_max_pool2d_indices_ceil_mode_and_unbatched(device) -> None:
    x = T(RNG.standard_normal((1, 2, 5, 5)), device)
    out, idx = F.max_pool2d(x, 2, return_indices=True, ceil_mode=True)
    assert out.shape == (1, 2, 3, 3)
    flat = npy(x).reshape(1, 2, -1)
    np.testing.assert_array_equal(np.take_along_axis(flat, idx.numpy().reshape(1, 2, -1), 2).reshape(out.shape), npy(out))
    assert nn.MaxPool2d(2)(x[0]).shape == (2, 2, 2)
    with pytest.raises(ValueError, match=r"expected a 3 or 4-D input \(N, C, H, W\) or \(C, H, W\), got a 2-D input"):
        nn.MaxPool2d(2)(ember.ones(4, 4, device=device))


def test_pool1d(device) -> None:
    x = RNG.standard_normal((2, 3, 9))
    np.testing.assert_allclose(npy(nn.MaxPool1d(3, 2, 1)(T(x, device))), ref_pool2d(x[:, :, None], (1, 3), (1, 2), (0, 1), "max")[:, :, 0])
    np.testing.assert_allclose(npy(nn.AvgPool1d(2)(T(x, device))), ref_pool2d(x[:, :, None], (1, 2), (1, 2), (0, 0), "avg")[:, :, 0])
    assert gradcheck(lambda a: F.max_pool1d(a, 2), (T(x[:1, :1], device, True),))


def test_adaptive_avg_pool2d(device) -> None:
    x = RNG.standard_normal((2, 3, 7, 6))
    out = npy(nn.AdaptiveAvgPool2d((3, 4))(T(x, device)))
    ref = np.zeros((2, 3, 3, 4))
    for i in range(3):
        for j in range(4):
            r0, r1 = (i * 7) // 3, math.ceil((i + 1) * 7 / 3)
            c0, c1 = (j * 6) // 4, math.ceil((j + 1) * 6 / 4)
            ref[:, :, i, j] = x[:, :, r0:r1, c0:c1].mean(axis=(2, 3))
    np.testing.assert_allclose(out, ref, rtol=1e-10)
    np.testing.assert_allclose(npy(nn.AdaptiveAvgPool2d(1)(T(x, device))), x.mean(axis=(2, 3), keepdims=True), rtol=1e-10)
    assert gradcheck(lambda a: F.adaptive_avg_pool2d(a, (2, 3)), (T(x[:1, :1, :5, :4], device, True),))


# -- normalisation ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls,shape", [(nn.BatchNorm1d, (6, 3)), (nn.BatchNorm1d, (4, 3, 5)), (nn.BatchNorm2d, (4, 3, 2, 5))])
def test_batch_norm_train_running_stats_and_eval(device, cls, shape) -> None:
    bn = cls(3, momentum=0.2).to(device)
    with ember.no_grad():
        bn.weight.copy_(T([1.0, 2.0, 0.5], device, dtype=ember.float32))
        bn.bias.copy_(T([0.0, -1.0, 3.0], device, dtype=ember.float32))
    axes = (0,) + tuple(range(2, len(shape)))
    bshape = (1, 3) + (1,) * (len(shape) - 2)
    x = RNG.standard_normal(shape) * 2 + 1
    out = npy(bn(T(x, device, dtype=ember.float32)))
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    ref = (x - mean.reshape(bshape)) / np.sqrt(var.reshape(bshape) + 1e-5) * np.array([1, 2, 0.5]).reshape(bshape) + np.array([0, -1, 3]).reshape(bshape)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)
    count = x.size // 3
    np.testing.assert_allclose(npy(bn.running_mean), 0.2 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(npy(bn.running_var), 0.8 + 0.2 * var * count / (count - 1), rtol=1e-5)
    assert int(bn.num_batches_tracked.item()) == 1
    bn.eval()
    y = RNG.standard_normal(shape)
    rm, rv = npy(bn.running_mean).reshape(bshape), npy(bn.running_var).reshape(bshape)
    ref = (y - rm) / np.sqrt(rv + 1e-5) * np.array([1, 2, 0.5]).reshape(bshape) + np.array([0, -1, 3]).reshape(bshape)
    np.testing.assert_allclose(npy(bn(T(y, device, dtype=ember.float32))), ref, rtol=1e-4, atol=1e-4)
    bn.train()
    check_module_grads(bn, T(RNG.standard_normal(shape), device, True))


def test_batch_norm_cumulative_momentum_no_tracking_and_errors(device) -> None:
    bn = nn.BatchNorm1d(2, momentum=None).to(device)
    xs = [RNG.standard_normal((4, 2)) for _ in range(3)]
    for x in xs:
        bn(T(x, device, dtype=ember.float32))
    np.testing.assert_allclose(npy(bn.running_mean), np.mean([x.mean(0) for x in xs], axis=0), rtol=1e-5, atol=1e-6)
    free = nn.BatchNorm1d(2, track_running_stats=False, affine=False).to(device).eval()
    x = RNG.standard_normal((5, 2))
    np.testing.assert_allclose(npy(free(T(x, device))), (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), rtol=1e-6)
    assert free.running_mean is None and list(free.state_dict()) == []
    with pytest.raises(ValueError, match=r"to have 2 channels \(num_features\) in dim 1, but got 3"):
        bn(ember.ones(4, 3, device=device))
    with pytest.raises(ValueError, match="expected a 4-D input"):
        nn.BatchNorm2d(2)(ember.ones(4, 2, device=device))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(ember.ones(1, 2, device=device))


def test_layer_norm_and_group_norm(device) -> None:
    ln = nn.LayerNorm((3, 4)).to(device)
    with ember.no_grad():
        ln.weight.copy_(ember.randn(3, 4, device=device))
        ln.bias.copy_(ember.randn(3, 4, device=device))
    x = RNG.standard_normal((2, 3, 4))
    m, v = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)
    ref = (x - m) / np.sqrt(v + 1e-5) * npy(ln.weight) + npy(ln.bias)
    np.testing.assert_allclose(npy(ln(T(x, device, dtype=ember.float32))), ref, rtol=1e-4, atol=1e-5)
    check_module_grads(ln, T(x[:1], device, True))
    with pytest.raises(ValueError, match=r"expected input with shape \(\*, 3, 4\), got \(2, 4, 3\)"):
        ln(ember.ones(2, 4, 3, device=device))
    gn = nn.GroupNorm(2, 4).to(device)
    with ember.no_grad():
        gn.weight.copy_(ember.randn(4, device=device))
    x = RNG.standard_normal((3, 4, 5))
    xg = x.reshape(3, 2, -1)
    ref = ((xg - xg.mean(-1, keepdims=True)) / np.sqrt(xg.var(-1, keepdims=True) + 1e-5)).reshape(x.shape)
    ref = ref * npy(gn.weight).reshape(1, 4, 1) + npy(gn.bias).reshape(1, 4, 1)
    np.testing.assert_allclose(npy(gn(T(x, device, dtype=ember.float32))), ref, rtol=1e-4, atol=1e-5)
    check_module_grads(gn, T(x[:1], device, True))
    with pytest.raises(ValueError, match="divisible"):
        nn.GroupNorm(3, 4)


# -- dropout, embedding -------------------------------------------------------------------------------------
def test_dropout(device) -> None:
    ember.manual_seed(0)
    d = nn.Dropout(0.25)
    x = ember.ones(200, 100, device=device)
    y = npy(d(x))
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.02
    d.eval()
    assert d(x) is x
    assert (npy(F.dropout(x, 1.0)) == 0).all()
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_embedding_padding_idx(device) -> None:
    emb = nn.Embedding(5, 3, padding_idx=1).to(device)
    assert (npy(emb.weight)[1] == 0).all()
    idx = T([[0, 1, 4], [1, 1, 2]], device)
    out = emb(idx)
    np.testing.assert_array_equal(npy(out), npy(emb.weight)[idx.numpy()])
    out.sum().backward()
    g = emb.weight.grad.numpy()
    np.testing.assert_array_equal(g[:, 0], [1, 0, 1, 0, 1])
    with pytest.raises(IndexError, match="out of range"):
        emb(T([5], device))
    emb2 = nn.Embedding(4, 2).double().to(device)
    assert gradcheck(lambda w: F.embedding(T([[0, 3], [3, 3]], device), w), (emb2.weight,))


# -- activations --------------------------------------------------------------------------------------------
def _np_erf(x):
    return np.vectorize(math.erf)(x)


ACTIVATIONS = [
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.LeakyReLU(0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
    (nn.ELU(0.5), lambda x: np.where(x > 0, x, 0.5 * (np.exp(x) - 1))),
    (nn.GELU(), lambda x: 0.5 * x * (1 + _np_erf(x / np.sqrt(2)))),
    (nn.GELU("tanh"), lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))),
    (nn.SiLU(), lambda x: x / (1 + np.exp(-x))),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (nn.Tanh(), np.tanh),
    (nn.Softmax(dim=1), lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True)),
    (nn.LogSoftmax(dim=1), lambda x: x - np.log(np.exp(x).sum(1, keepdims=True))),
    (nn.Softplus(), lambda x: np.log1p(np.exp(x))),
    (nn.Softplus(beta=2, threshold=1), lambda x: np.where(2 * x > 1, x, np.log1p(np.exp(2 * x)) / 2)),
    (nn.Hardtanh(-0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7)),
]


@pytest.mark.parametrize("module,ref", ACTIVATIONS, ids=[f"{type(m).__name__}{i}" for i, (m, _) in enumerate(ACTIVATIONS)])
def test_activations(device, module, ref) -> None:
    x = RNG.standard_normal((3, 4)) * 2
    x[np.abs(x) < 1e-3] = 0.5  # keep away from kinks for gradcheck
    x[np.abs(x - 0.7) < 1e-3] = 0.5
    np.testing.assert_allclose(npy(module(T(x, device))), ref(x), rtol=1e-6, atol=1e-7)
    assert gradcheck(module, (T(x, device, True),))


def test_softplus_and_logits_stay_finite_at_extremes(device) -> None:
    x = T([-1000.0, -50.0, 0.0, 50.0, 1000.0], device, dtype=ember.float32)
    y = npy(F.softplus(x))
    assert np.isfinite(y).all() and y[-1] == 1000.0 and y[0] == 0.0
