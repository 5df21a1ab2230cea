"""3-D and transposed convolutions, fold, the remaining pooling layers, padding layers, embedding bags:
each against an independent NumPy reference (loops over the definition), gradcheck in float64, module
state_dict names/shapes and the errors for bad input."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck

RNG = np.random.default_rng(4321)


def T(a, device, grad=False, dtype=None):
    return ember.tensor(np.asarray(a), device=device, requires_grad=grad, dtype=dtype)


def npy(t):
    return t.detach().numpy()


def close(a, b, tol=1e-9):
    np.testing.assert_allclose(npy(a) if isinstance(a, ember.Tensor) else a, b, rtol=tol, atol=tol)


def gradcheck_module(module, inputs, *, extra=()):
    """gradcheck (float64) of `module` over float `inputs` and all its parameters."""
    module.double()
    names = [n for n, _ in module.named_parameters()]
    params = [module.get_parameter(n) for n in names]

    def f(*args):
        xs, ps = args[: len(inputs)], args[len(inputs) :]
        saved = dict(module._parameters)
        for n, p in zip(names, ps):
            module._parameters[n] = p
        try:
            out = module(*xs, *extra)
        finally:
            module._parameters.update(saved)
        return out[0] if isinstance(out, tuple) else out

    assert gradcheck(f, (*inputs, *params), atol=1e-6, rtol=1e-4)


# -- references written from the definitions -----------------------------------------------------
def ref_conv(x, w, b, s, p, d, g):
    """N-d cross-correlation, loops over output positions."""
    nd = x.ndim - 2
    xp = np.pad(x, [(0, 0), (0, 0)] + [(pi, pi) for pi in p])
    k = w.shape[2:]
    outs = [(xp.shape[2 + i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(nd)]
    o, cg = w.shape[:2]
    og = o // g
    out = np.zeros((x.shape[0], o, *outs))
    for pos in itertools.product(*[range(n) for n in outs]):
        sl = tuple(slice(pos[i] * s[i], pos[i] * s[i] + d[i] * (k[i] - 1) + 1, d[i]) for i in range(nd))
        for oc in range(o):
            gi = oc // og
            patch = xp[(slice(None), slice(gi * cg, (gi + 1) * cg), *sl)]
            out[(slice(None), oc, *pos)] = (patch * w[oc]).reshape(x.shape[0], -1).sum(1)
    return out + (0 if b is None else b.reshape(1, -1, *[1] * nd))


def ref_conv_transpose(x, w, b, s, p, op, d, g):
    """Scatter definition: input position i with tap a adds to output position i*s - p + a*d."""
    nd = x.ndim - 2
    cin, cog = w.shape[:2]
    k = w.shape[2:]
    outs = [(x.shape[2 + i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op[i] + 1 for i in range(nd)]
    out = np.zeros((x.shape[0], cog * g, *outs))
    cg = cin // g
    for ipos in itertools.product(*[range(n) for n in x.shape[2:]]):
        for a in itertools.product(*[range(n) for n in k]):
            opos = [ipos[i] * s[i] - p[i] + a[i] * d[i] for i in range(nd)]
            if any(not 0 <= opos[i] < outs[i] for i in range(nd)):
                continue
            for gi in range(g):
                xin = x[(slice(None), slice(gi * cg, (gi + 1) * cg), *ipos)]  # (N, cg)
                out[(slice(None), slice(gi * cog, (gi + 1) * cog), *opos)] += (
                    xin @ w[(slice(gi * cg, (gi + 1) * cg), slice(None), *a)]
                )
    return out + (0 if b is None else b.reshape(1, -1, *[1] * nd))


def ref_windows(shape, k, s, p, d, ceil_mode):
    """Per output position (tuple), the list of in-bounds input positions and the count incl. padding."""
    nd = len(shape)
    outs = []
    for i in range(nd):
        span = shape[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1
        o = (-(-span // s[i]) if ceil_mode else span // s[i]) + 1
        if ceil_mode and (o - 1) * s[i] >= shape[i] + p[i]:
            o -= 1
        outs.append(o)
    res = {}
    for pos in itertools.product(*[range(n) for n in outs]):
        taps = [[pos[i] * s[i] - p[i] + j * d[i] for j in range(k[i])] for i in range(nd)]
        inside = [q for q in itertools.product(*taps) if all(0 <= q[i] < shape[i] for i in range(nd))]
        padded = math.prod(sum(1 for t in taps[i] if t < shape[i] + p[i]) for i in range(nd))
        res[pos] = (inside, padded)
    return outs, res


def ref_max_pool(x, k, s, p, d, ceil_mode):
    nd = len(k)
    shape = x.shape[-nd:]
    outs, wins = ref_windows(shape, k, s, p, d, ceil_mode)
    lead = x.shape[:-nd]
    vals, idx = np.zeros((*lead, *outs)), np.zeros((*lead, *outs), dtype=np.int64)
    for pos, (inside, _) in wins.items():
        stack = np.stack([x[(..., *q)] for q in inside], -1)
        j = stack.argmax(-1)
        vals[(..., *pos)] = stack.max(-1)
        flat = np.array([np.ravel_multi_index(q, shape) for q in inside])
        idx[(..., *pos)] = flat[j]
    return vals, idx


def ref_avg_pool(x, k, s, p, ceil_mode, count_include_pad, divisor=None):
    nd = len(k)
    outs, wins = ref_windows(x.shape[-nd:], k, s, p, (1,) * nd, ceil_mode)
    out = np.zeros((*x.shape[:-nd], *outs))
    for pos, (inside, padded) in wins.items():
        tot = sum(x[(..., *q)] for q in inside)
        out[(..., *pos)] = tot / (divisor or (padded if count_include_pad else len(inside)))
    return out


def bins(size, out):
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


# -- convolution ------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [
    {},
    {"stride": 2, "padding": 1},
    {"stride": (1, 2, 1), "padding": (1, 0, 2), "dilation": (2, 1, 1), "groups": 2},
    {"padding": "same", "dilation": (1, 2, 1)},
])  # fmt: skip
def test_conv3d_matches_reference_and_gradcheck(device, kwargs) -> None:
    g = kwargs.get("groups", 1)
    conv = nn.Conv3d(4, 6, (2, 3, 2), **kwargs).to(device)
    assert {k: tuple(v.shape) for k, v in conv.state_dict().items()} == {"weight": (6, 4 // g, 2, 3, 2), "bias": (6,)}
    x = RNG.standard_normal((2, 4, 4, 5, 4))
    w, b = npy(conv.weight).astype(np.float64), npy(conv.bias).astype(np.float64)
    pad = kwargs.get("padding", 0)
    if pad == "same":
        dil = F._pair(kwargs["dilation"], 3)
        tot = [dd * (kk - 1) for dd, kk in zip(dil, (2, 3, 2))]
        xr = np.pad(x, [(0, 0), (0, 0)] + [(t // 2, t - t // 2) for t in tot])
        ref = ref_conv(xr, w, b, (1, 1, 1), (0, 0, 0), dil, 1)
        assert ref.shape[2:] == x.shape[2:]
    else:
        ref = ref_conv(
            x, w, b, F._pair(kwargs.get("stride", 1), 3), F._pair(pad, 3), F._pair(kwargs.get("dilation", 1), 3), g
        )
    close(conv(T(x, device, dtype=ember.float32)), ref, 1e-4)
    close(F.conv3d(T(x[0], device), T(w, device), T(b, device), **kwargs), ref[0])  # unbatched
    gradcheck_module(conv, [T(x[:1, :, :3, :4, :3], device, True)])


def test_conv3d_padding_modes_and_errors(device) -> None:
    conv = nn.Conv3d(2, 2, 3, padding=1, padding_mode="circular").to(device).double()
    x = RNG.standard_normal((1, 2, 3, 4, 3))
    ref = ref_conv(
        np.pad(x, [(0, 0), (0, 0), (1, 1), (1, 1), (1, 1)], mode="wrap"),
        npy(conv.weight),
        npy(conv.bias),
        (1,) * 3,
        (0,) * 3,
        (1,) * 3,
        1,
    )
    close(conv(T(x, device)), ref)
    with pytest.raises(ValueError, match=r"Conv3d: expected input of shape \(1, 3, 3, 4, 3\) to have 2 channels"):
        conv(ember.ones(1, 3, 3, 4, 3, device=device, dtype=ember.float64))
    with pytest.raises(ValueError, match=r"expected a 4-D \(unbatched\) or 5-D \(batched\) input \(N, C, D, H, W\)"):
        conv(ember.ones(2, 3, 4, device=device))
    with pytest.raises(ValueError, match="smaller than the kernel"):
        F.conv3d(ember.ones(1, 2, 2, 4, 4, device=device), ember.ones(1, 2, 3, 3, 3, device=device))
    # PyTorch raises RuntimeError for these; Ember's error is both a ValueError and a RuntimeError
    with pytest.raises(RuntimeError, match=r"conv3d: expected input of shape \(1, 3, 2, 2, 2\) to have 2 channels"):
        F.conv3d(ember.ones(1, 3, 2, 2, 2, device=device), ember.ones(1, 2, 1, 1, 1, device=device))
    with pytest.raises(RuntimeError, match=r"max_pool3d: input of shape \(1, 1, 1, 4, 4\) is too small"):
        F.max_pool3d(ember.ones(1, 1, 1, 4, 4, device=device), 2)
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel size"):
        F.avg_pool3d(ember.ones(1, 1, 4, 4, 4, device=device), 2, padding=2)


@pytest.mark.parametrize("kwargs", [
    {},
    {"stride": 2, "padding": 1, "output_padding": 1},
    {"stride": 3, "padding": 2, "dilation": 2, "groups": 2, "output_padding": 1},
])  # fmt: skip
def test_conv_transpose1d(device, kwargs) -> None:
    g = kwargs.get("groups", 1)
    conv = nn.ConvTranspose1d(4, 6, 3, **kwargs).to(device).double()
    assert tuple(conv.weight.shape) == (4, 6 // g, 3)
    x = RNG.standard_normal((2, 4, 5))
    one = lambda name, dflt: (kwargs.get(name, dflt),)  # noqa: E731
    ref = ref_conv_transpose(
        x,
        npy(conv.weight),
        npy(conv.bias),
        one("stride", 1),
        one("padding", 0),
        one("output_padding", 0),
        one("dilation", 1),
        g,
    )
    close(conv(T(x, device)), ref)
    close(conv(T(x[1], device)), ref[1])
    gradcheck_module(conv, [T(x[:1, :, :3], device, True)])


@pytest.mark.parametrize("kwargs", [
    {},
    {"stride": 2, "padding": 1, "output_padding": 1},
    {"stride": (1, 2, 2), "padding": (0, 2, 1), "dilation": (2, 1, 2), "groups": 2, "output_padding": (1, 0, 1)},
])  # fmt: skip
def test_conv_transpose3d(device, kwargs) -> None:
    g = kwargs.get("groups", 1)
    conv = nn.ConvTranspose3d(2, 4, (2, 3, 2), **kwargs).to(device).double()
    assert {k: tuple(v.shape) for k, v in conv.state_dict().items()} == {"weight": (2, 4 // g, 2, 3, 2), "bias": (4,)}
    x = RNG.standard_normal((2, 2, 3, 3, 2))
    tri = lambda name, dflt: F._pair(kwargs.get(name, dflt), 3)  # noqa: E731
    ref = ref_conv_transpose(
        x,
        npy(conv.weight),
        npy(conv.bias),
        tri("stride", 1),
        tri("padding", 0),
        tri("output_padding", 0),
        tri("dilation", 1),
        g,
    )
    close(conv(T(x, device)), ref)
    gradcheck_module(conv, [T(x[:1, :, :2, :2, :2], device, True)])


def test_conv_transpose_output_size_and_errors(device) -> None:
    conv = nn.ConvTranspose3d(2, 2, 3, stride=2).to(device)
    x = ember.randn(1, 2, 3, 3, 3, device=device)
    assert conv(x).shape == (1, 2, 7, 7, 7)
    assert conv(x, output_size=(8, 7, 8)).shape == (1, 2, 8, 7, 8)
    with pytest.raises(ValueError, match="requested an output size of"):
        conv(x, output_size=(9, 7, 7))
    with pytest.raises(ValueError, match="output_padding"):
        F.conv_transpose1d(ember.ones(1, 2, 3, device=device), ember.ones(2, 2, 3, device=device), output_padding=1)
    with pytest.raises(
        ValueError, match=r"conv_transpose3d: expected input of shape \(1, 3, 2, 2, 2\) to have 2 channels"
    ):
        F.conv_transpose3d(ember.ones(1, 3, 2, 2, 2, device=device), ember.ones(2, 2, 3, 3, 3, device=device))
    with pytest.raises(ValueError, match="zeros"):
        nn.ConvTranspose1d(2, 2, 3, padding_mode="reflect")


def test_fold_is_unfolds_adjoint(device) -> None:
    x = RNG.standard_normal((2, 3, 5, 6))
    kw = {"kernel_size": (2, 3), "dilation": (1, 2), "padding": (1, 1), "stride": (2, 1)}
    cols = F.unfold(T(x, device), **kw)
    # reference unfold: the patch of each block, channel-major
    k, d, s = (2, 3), (1, 2), (2, 1)  # padding (1, 1)
    xp = np.pad(x, [(0, 0), (0, 0), (1, 1), (1, 1)])
    oh, ow = (5 + 2 - 1 - 1) // 2 + 1, (6 + 2 - 4 - 1) // 1 + 1
    ref = np.stack(
        [
            xp[
                :,
                :,
                i * s[0] : i * s[0] + d[0] * (k[0] - 1) + 1 : d[0],
                j * s[1] : j * s[1] + d[1] * (k[1] - 1) + 1 : d[1],
            ].reshape(2, -1)
            for i in range(oh)
            for j in range(ow)
        ],
        -1,
    )
    close(cols, ref)
    close(F.unfold(T(x[0], device), **kw), ref[0])
    # fold: <unfold(x), c> == <x, fold(c)>
    c = RNG.standard_normal(ref.shape)
    folded = nn.Fold((5, 6), **kw)(T(c, device))
    assert folded.shape == (2, 3, 5, 6)
    assert abs((ref * c).sum() - (x * npy(folded)).sum()) < 1e-9
    close(F.fold(T(c[0], device), (5, 6), **kw), npy(folded)[0])
    assert gradcheck(lambda a: F.fold(a, (4, 4), 2, stride=1), (T(RNG.standard_normal((1, 8, 9)), device, True),))
    assert gradcheck(lambda a: nn.Unfold(2, padding=1)(a), (T(RNG.standard_normal((1, 2, 3, 3)), device, True),))
    with pytest.raises(
        RuntimeError, match="expected size of input's dimension 2 to match the calculated number of sliding blocks"
    ):
        F.fold(ember.ones(1, 12, 5, device=device), (4, 5), 2)
    with pytest.raises(RuntimeError, match="divisible by the product of kernel_size"):
        F.fold(ember.ones(1, 7, 12, device=device), (4, 5), 2)
    assert repr(nn.Fold((4, 5), 2)) == "Fold(output_size=(4, 5), kernel_size=2, dilation=1, padding=0, stride=1)"


# -- pooling ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("k,s,p,d,ceil", [
    ((2, 2, 2), None, (0, 0, 0), (1, 1, 1), False),
    ((3, 3, 3), (2, 2, 2), (1, 1, 1), (1, 1, 1), True),
    ((2, 3, 2), (1, 2, 3), (1, 0, 1), (2, 1, 1), True),
])  # fmt: skip
def test_max_pool3d(device, k, s, p, d, ceil) -> None:
    x = RNG.standard_normal((2, 2, 5, 6, 5))
    x[0, 0, 0, 0, :2] = 7.0  # a tie: the first position wins
    vals, idx = nn.MaxPool3d(k, s, p, d, return_indices=True, ceil_mode=ceil)(T(x, device))
    rv, ri = ref_max_pool(x, k, s or k, p, d, ceil)
    close(vals, rv)
    np.testing.assert_array_equal(npy(idx), ri)
    assert F.max_pool3d(T(x[0], device), k, s, p, d, ceil).shape == rv.shape[1:]
    xi = np.full((1, 2, 3, 4, 4), -np.inf)  # windows of -inf only: the index is the first element inside
    xi[0, 1, 2, 3, 3] = 1.0
    vi, ii = F.max_pool3d(T(xi, device), k, s, p, d, ceil, True)
    rvi, rii = ref_max_pool(xi, k, s or k, p, d, ceil)
    np.testing.assert_array_equal(npy(vi), rvi)
    np.testing.assert_array_equal(npy(ii), rii)
    assert gradcheck(lambda a: F.max_pool3d(a, k, s, p, d, ceil), (T(x[:1, 1:], device, True),))  # no ties


@pytest.mark.parametrize("k,s,p,ceil,cip,div", [
    ((2, 2, 2), None, (0, 0, 0), False, True, None),
    ((3, 3, 3), (2, 2, 2), (1, 1, 1), True, True, None),
    ((3, 2, 3), (2, 1, 2), (1, 1, 1), True, False, None),
    ((2, 3, 2), (2, 2, 2), (1, 0, 1), False, False, 5),
])  # fmt: skip
def test_avg_pool3d_and_2d_ceil_mode(device, k, s, p, ceil, cip, div) -> None:
    x = RNG.standard_normal((2, 3, 5, 6, 7))
    out = nn.AvgPool3d(k, s, p, ceil, cip, div)(T(x, device))
    close(out, ref_avg_pool(x, k, s or k, p, ceil, cip, div))
    close(
        F.avg_pool2d(T(x[0], device), k[1:], s and s[1:], p[1:], ceil, cip, div),
        ref_avg_pool(x[0], k[1:], (s or k)[1:], p[1:], ceil, cip, div),
    )
    assert gradcheck(lambda a: F.avg_pool3d(a, k, s, p, ceil, cip, div), (T(x[:1, :1], device, True),))


def test_adaptive_pools(device) -> None:
    x = RNG.standard_normal((2, 3, 5, 7, 6))
    out = nn.AdaptiveAvgPool3d((2, None, 4))(T(x, device))
    ref = np.zeros((2, 3, 2, 7, 4))
    for i, (a, b) in enumerate(bins(5, 2)):
        for j, (c, e) in enumerate(bins(6, 4)):
            ref[:, :, i, :, j] = x[:, :, a:b, :, c:e].mean((2, 4))
    close(out, ref)
    assert F.adaptive_avg_pool3d(T(x[0], device), 3).shape == (3, 3, 3, 3)
    assert gradcheck(lambda a: F.adaptive_avg_pool3d(a, (2, 3, 4)), (T(x[:1, :1, :3, :4, :5], device, True),))
    x2 = x[:, :, 0]  # (2, 3, 7, 6)
    x2[0, 0, 0, :2] = 9.0  # a tie
    for size in [(3, 4), 5, (None, 2), (7, 6)]:
        vals, idx = nn.AdaptiveMaxPool2d(size, return_indices=True)(T(x2, device))
        oh, ow = (size, size) if isinstance(size, int) else (size[0] or 7, size[1] or 6)
        rv, ri = np.zeros((2, 3, oh, ow)), np.zeros((2, 3, oh, ow), dtype=np.int64)
        for i, (a, b) in enumerate(bins(7, oh)):
            for j, (c, e) in enumerate(bins(6, ow)):
                win = x2[:, :, a:b, c:e].reshape(2, 3, -1)
                rv[:, :, i, j] = win.max(-1)
                li = win.argmax(-1)
                ri[:, :, i, j] = (a + li // (e - c)) * 6 + c + li % (e - c)
        close(vals, rv)
        np.testing.assert_array_equal(npy(idx), ri)
    v1, i1 = F.adaptive_max_pool1d(T(x2[0], device), 4, True)
    r1 = [x2[0, :, :, a:b].max(-1) for a, b in bins(6, 4)]
    close(v1, np.stack(r1, -1))
    assert nn.AdaptiveMaxPool1d(3)(T(x2[0], device)).shape == (3, 7, 3)
    assert gradcheck(lambda a: F.adaptive_max_pool2d(a, (2, 3)), (T(x2[:1, 1:2], device, True),))  # no ties
    with pytest.raises(ValueError, match=r"adaptive_max_pool2d: expected a 3 or 4-D input"):
        F.adaptive_max_pool2d(ember.ones(4, device=device), 2)


def test_adaptive_pools_with_an_output_size_of_zero(device) -> None:
    """PyTorch allows output size 0: an empty result that stays in the graph (its gradient is zero)."""
    x = T(RNG.standard_normal((2, 3, 4, 5)), device, True)
    cases = [
        (lambda a: F.adaptive_avg_pool2d(a, 0), (2, 3, 0, 0)),
        (lambda a: F.adaptive_avg_pool2d(a, (0, 2)), (2, 3, 0, 2)),
        (lambda a: F.adaptive_max_pool2d(a, (2, 0)), (2, 3, 2, 0)),
        (lambda a: F.adaptive_avg_pool1d(a[0], 0), (3, 4, 0)),
        (lambda a: F.adaptive_max_pool1d(a[0], 0), (3, 4, 0)),
        (lambda a: F.adaptive_avg_pool3d(a, (0, 2, 2)), (2, 0, 2, 2)),
        (lambda a: F.adaptive_max_pool3d(a, (1, 0, 2)), (2, 1, 0, 2)),
    ]
    for fn, shape in cases:
        out = fn(x)
        assert out.shape == shape
        out.sum().backward()
        np.testing.assert_array_equal(npy(x.grad), np.zeros((2, 3, 4, 5)))
    vals, idx = F.adaptive_max_pool2d(x, (0, 3), return_indices=True)
    assert vals.shape == idx.shape == (2, 3, 0, 3) and idx.dtype == ember.int64
    with pytest.raises(RuntimeError, match=r"adaptive_avg_pool2d: output_size must be non-negative, got -1"):
        F.adaptive_avg_pool2d(x, -1)
    with pytest.raises(RuntimeError, match=r"adaptive_avg_pool2d: expected input with non-zero spatial sizes"):
        F.adaptive_avg_pool2d(ember.ones(1, 3, 0, 4, device=device), 2)


def test_max_unpool_inverts_max_pool(device) -> None:
    x = RNG.standard_normal((2, 3, 6, 8))
    vals, idx = F.max_pool2d(T(x, device), 2, return_indices=True)
    up = nn.MaxUnpool2d(2)(vals, idx)
    ref = np.zeros((2, 3, 48))
    np.put_along_axis(ref, npy(idx).reshape(2, 3, -1), npy(vals).reshape(2, 3, -1), -1)
    close(up, ref.reshape(2, 3, 6, 8))
    assert F.max_unpool2d(vals, idx, 2, output_size=(2, 3, 7, 9)).shape == (2, 3, 7, 9)
    v1, i1 = F.max_pool1d(T(x[0], device), 3, 2, 1, return_indices=True)
    u1 = nn.MaxUnpool1d(3, 2, 1)(v1, i1, output_size=(8,))
    r1 = np.zeros((3, 6, 8))
    np.put_along_axis(r1, npy(i1), npy(v1), -1)
    close(u1, r1)
    g = T(RNG.standard_normal(npy(vals).shape), device, True)
    assert gradcheck(lambda a: F.max_unpool2d(a, idx, 2), (g,))
    with pytest.raises(ValueError, match="invalid output_size"):
        F.max_unpool2d(vals, idx, 2, output_size=(9, 9))
    with pytest.raises(RuntimeError, match="invalid max index"):
        F.max_unpool2d(vals, idx + 100, 2)
    assert repr(nn.MaxUnpool2d(2)) == "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"


@pytest.mark.parametrize("norm,k,s,ceil", [(2.0, 3, 2, False), (3.0, (2, 3), None, True), (1.5, 2, 1, False)])
def test_lp_pool(device, norm, k, s, ceil) -> None:
    x = np.abs(RNG.standard_normal((2, 3, 6, 7))) + 0.1
    kk = F._pair(k)
    ref = ref_avg_pool(x**norm, kk, F._pair(s) if s else kk, (0, 0), ceil, True) * (kk[0] * kk[1])
    close(nn.LPPool2d(norm, k, s, ceil)(T(x, device)), ref ** (1 / norm))
    ref1 = ref_avg_pool(x[0] ** norm, (kk[0],), (F._pair(s)[0] if s else kk[0],), (0,), ceil, True) * kk[0]
    close(F.lp_pool1d(T(x[0], device), norm, kk[0], s and F._pair(s)[0], ceil), ref1 ** (1 / norm))
    assert gradcheck(lambda a: nn.LPPool1d(norm, kk[0], s and F._pair(s)[0], ceil)(a), (T(x[:1, :1, 0], device, True),))
    assert gradcheck(lambda a: F.lp_pool2d(a, norm, k, s, ceil), (T(x[:1, :1], device, True),))


# -- padding layers ------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls,np_mode,nd", [
    (nn.ReflectionPad1d, "reflect", 1), (nn.ReflectionPad2d, "reflect", 2), (nn.ReplicationPad1d, "edge", 1),
    (nn.ReplicationPad2d, "edge", 2), (nn.CircularPad1d, "wrap", 1), (nn.CircularPad2d, "wrap", 2),
    (nn.ZeroPad1d, "constant", 1), (nn.ZeroPad2d, "constant", 2), (nn.ReflectionPad3d, "reflect", 3),
    (nn.ReplicationPad3d, "edge", 3), (nn.CircularPad3d, "wrap", 3), (nn.ZeroPad3d, "constant", 3),
])  # fmt: skip
def test_padding_layers(device, cls, np_mode, nd) -> None:
    x = RNG.standard_normal((2, 3, 4, 5, 6)[-nd - 2 :])
    pads = (1, 2, 2, 0, 0, 3)[: 2 * nd]
    m = cls(pads)
    widths = [(0, 0)] * (x.ndim - nd) + [(pads[2 * i], pads[2 * i + 1]) for i in reversed(range(nd))]
    close(m(T(x, device)), np.pad(x, widths, mode=np_mode))
    close(m(T(x[0], device)), np.pad(x[0], widths[1:], mode=np_mode))  # unbatched
    assert cls(2).padding == (2,) * (2 * nd)
    assert repr(cls(1)) == f"{cls.__name__}({(1,) * (2 * nd)})"
    assert gradcheck(m, (T(x[:1], device, True),))
    if np_mode != "constant":
        with pytest.raises((ValueError, NotImplementedError), match="input"):
            m(T(RNG.standard_normal((1,) * (nd + 3)), device))


def test_constant_pad_and_errors(device) -> None:
    x = RNG.standard_normal((2, 3, 4))
    close(nn.ConstantPad2d((1, 0, 2, 1), 3.5)(T(x, device)), np.pad(x, [(0, 0), (2, 1), (1, 0)], constant_values=3.5))
    close(nn.ConstantPad1d(2, -1.0)(T(x, device)), np.pad(x, [(0, 0), (0, 0), (2, 2)], constant_values=-1.0))
    assert repr(nn.ConstantPad1d(2, 3.5)) == "ConstantPad1d(padding=(2, 2), value=3.5)"
    with pytest.raises(ValueError, match="tuple of 4 ints"):
        nn.ZeroPad2d((1, 2))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D"):
        nn.CircularPad1d(1)(ember.ones(1, 1, 2, 3, device=device))


# -- embedding bags ---------------------------------------------------------------------------------
def ref_bag(idx, offsets, w, mode, psw=None, padding_idx=None, include_last=False):
    ends = list(offsets[1:]) + ([] if include_last else [len(idx)])
    out = []
    for a, b in zip(offsets, ends):
        rows = [(w[idx[j]] * (1 if psw is None else psw[j])) for j in range(a, b) if idx[j] != padding_idx]
        if not rows:
            out.append(np.zeros(w.shape[1]))
        elif mode == "sum":
            out.append(np.sum(rows, 0))
        elif mode == "mean":
            out.append(np.mean(rows, 0))
        else:
            out.append(np.max(rows, 0))
    return np.array(out)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_bag(device, mode, padding_idx) -> None:
    bag = nn.EmbeddingBag(10, 3, mode=mode, padding_idx=padding_idx).to(device).double()
    assert {k: tuple(v.shape) for k, v in bag.state_dict().items()} == {"weight": (10, 3)}
    w = npy(bag.weight)
    if padding_idx is not None:
        assert not w[padding_idx].any()
    idx = np.array([1, 2, 4, 5, 4, 3, 2, 9, 0, 2])
    offsets = np.array([0, 4, 4, 7, 8])  # an empty bag, a bag of padding only
    close(bag(T(idx, device), T(offsets, device)), ref_bag(idx, offsets, w, mode, padding_idx=padding_idx))
    two_d = idx[:8].reshape(2, 4)
    close(bag(T(two_d, device)), ref_bag(idx[:8], [0, 4], w, mode, padding_idx=padding_idx))
    last = nn.EmbeddingBag(
        10, 3, mode=mode, include_last_offset=True, padding_idx=padding_idx, _weight=bag.weight.detach()
    )
    close(
        last(T(idx, device), T([0, 4, 7, 10], device)),
        ref_bag(idx, [0, 4, 7, 10], w, mode, padding_idx=padding_idx, include_last=True),
    )
    gradcheck_module(bag, [], extra=(T(idx, device), T(offsets, device)))


def test_embedding_bag_per_sample_weights_and_errors(device) -> None:
    w = RNG.standard_normal((6, 2))
    idx, off, psw = np.array([0, 5, 3, 3, 1]), np.array([0, 2]), RNG.standard_normal(5)
    out = F.embedding_bag(
        T(idx, device), T(w, device, True), T(off, device), mode="sum", per_sample_weights=T(psw, device, True)
    )
    close(out, ref_bag(idx, off, w, "sum", psw))
    assert gradcheck(
        lambda a, p: F.embedding_bag(T(idx, device), a, T(off, device), mode="sum", per_sample_weights=p),
        (T(w, device, True), T(psw, device, True)),
    )
    with pytest.raises(NotImplementedError, match="per_sample_weights is only supported for mode='sum'"):
        F.embedding_bag(T(idx, device), T(w, device), T(off, device), per_sample_weights=T(psw, device))
    with pytest.raises(ValueError, match=r"per_sample_weights \(4,\) must have the shape of the input \(5,\)"):
        F.embedding_bag(T(idx, device), T(w, device), T(off, device), per_sample_weights=T(psw[:4], device))  # before mode
    with pytest.raises(RuntimeError, match=r"per_sample_weights \(float32\) must have the dtype of weight \(float64\)"):
        F.embedding_bag(
            T(idx, device), T(w, device), T(off, device), mode="sum", per_sample_weights=T(psw, device, dtype=ember.float32)
        )
    with pytest.raises(ValueError, match="offsets has to be None"):
        F.embedding_bag(T(idx[:4].reshape(2, 2), device), T(w, device), T(off, device))
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(T(idx, device), T(w, device))
    with pytest.raises(ValueError, match=r"offsets\[0\] has to be 0"):
        F.embedding_bag(T(idx, device), T(w, device), T([1, 2], device))
    with pytest.raises(RuntimeError, match=r"offsets\[0\] has to be 0"):  # PyTorch's type (2.13)
        F.embedding_bag(T(idx, device), T(w, device), T([1, 2], device))
    # PyTorch asserts these (AssertionError); Ember's ValueError is also one
    with pytest.raises(AssertionError, match=r"padding_idx must be within num_embeddings \(6\), got 6"):
        nn.EmbeddingBag(6, 2, padding_idx=6)
    with pytest.raises(AssertionError, match="padding_idx must be within num_embeddings"):
        nn.Embedding(6, 2, padding_idx=-7)
    with pytest.raises(AssertionError, match="Embeddings parameter is expected to be 2-dimensional"):
        nn.Embedding.from_pretrained(T(w[0], device))
    with pytest.raises(AssertionError, match="Embeddings parameter is expected to be 2-dimensional"):
        nn.EmbeddingBag.from_pretrained(T(w[0], device))
    with pytest.raises(AssertionError, match="Shape of weight does not match num_embeddings and embedding_dim"):
        nn.Embedding(5, 2, _weight=T(w, device))
    with pytest.raises(AssertionError, match=r"embedding: Padding_idx must be within num_embeddings \(6\), got 7"):
        F.embedding(T([1], device), T(w, device), padding_idx=7)
    with pytest.raises(RuntimeError, match=r"embedding: 'weight' must be 2-D .* got shape \(2,\)"):  # was an IndexError
        F.embedding(T([1], device), T(w[0], device))
    with pytest.raises(RuntimeError, match="index out of range"):
        F.embedding_bag(T([0, 6], device), T(w, device), T([0], device))
    assert repr(nn.EmbeddingBag(10, 3, mode="sum", padding_idx=1)) == "EmbeddingBag(10, 3, mode='sum', padding_idx=1)"
    pre = nn.EmbeddingBag.from_pretrained(T(w, device), mode="max")
    assert not pre.weight.requires_grad and pre.mode == "max"


def _renormed(w, idx, max_norm, p):
    """PyTorch's embedding_renorm_ by hand: rows named in idx with norm > max_norm scaled to max_norm / (norm + 1e-7)."""
    w = w.copy()
    for r in np.unique(idx):
        norm = np.linalg.norm(w[r], ord=p)
        if norm > max_norm:
            w[r] *= max_norm / (norm + 1e-7)
    return w


@pytest.mark.parametrize("norm_type", [2.0, 1.0])
def test_embedding_max_norm_renormalises_the_looked_up_rows_in_place(device, norm_type) -> None:
    w = RNG.standard_normal((6, 3)) * 3
    idx = np.array([[1, 2, 1], [4, 1, 0]])
    emb = nn.Embedding.from_pretrained(T(w, device), freeze=False, max_norm=1.5, norm_type=norm_type)
    out = emb(T(idx, device))
    want = _renormed(w, idx, 1.5, norm_type)
    close(emb.weight, want, 1e-12)
    close(out, want[idx], 1e-12)
    np.testing.assert_array_equal(npy(emb.weight)[[3, 5]], w[[3, 5]])  # rows not looked up are untouched
    out.sum().backward()
    close(emb.weight.grad, np.bincount(idx.ravel(), minlength=6)[:, None] * np.ones((6, 3)))  # the renorm is not differentiated
    bag = nn.EmbeddingBag.from_pretrained(T(w, device), freeze=False, max_norm=1.5, norm_type=norm_type, mode="sum")
    close(bag(T(idx, device)), want[idx].sum(1), 1e-12)
    close(bag.weight, want, 1e-12)
    assert "max_norm=1.5" in repr(emb)


def test_embedding_scale_grad_by_freq_divides_each_rows_gradient_by_its_count(device) -> None:
    w = RNG.standard_normal((6, 3))
    idx = np.array([[1, 2, 1], [4, 1, 0]])
    counts = np.bincount(idx.ravel(), minlength=6).astype(float)
    g = RNG.standard_normal((2, 3, 3))
    a = T(w, device, True)
    (F.embedding(T(idx, device), a, scale_grad_by_freq=True) * T(g, device)).sum().backward()
    want = np.zeros((6, 3))
    np.add.at(want, idx.ravel(), g.reshape(-1, 3))
    close(a.grad, want / np.maximum(counts, 1)[:, None])
    a.grad = None
    emb = nn.Embedding.from_pretrained(a, freeze=False, padding_idx=0, scale_grad_by_freq=True)
    emb(T(idx, device)).sum().backward()
    close(emb.weight.grad[:, 0], np.where(np.arange(6) == 0, 0.0, counts / np.maximum(counts, 1)))
    # bags: the documented rule (each row's gradient divided by its count in the batch), in sum and mean modes
    for mode, per in (("sum", np.ones((2, 3))), ("mean", np.full((2, 3), 1 / 3))):
        b = T(w, device, True)
        F.embedding_bag(T(idx, device), b, mode=mode, scale_grad_by_freq=True).sum().backward()
        want = np.zeros(6)
        np.add.at(want, idx.ravel(), per.ravel())
        close(b.grad[:, 0], want / np.maximum(counts, 1))
    with pytest.raises(ValueError, match="max mode does not support scaling the gradient by the frequency"):
        F.embedding_bag(T(idx, device), T(w, device, True), mode="max", scale_grad_by_freq=True)
    with pytest.raises(NotImplementedError, match="Ember has no sparse tensors"):
        nn.Embedding(4, 2, sparse=True)


# -- LazyLinear ----------------------------------------------------------------------------------------
def test_lazy_linear_materialises_at_first_call(device) -> None:
    lazy = nn.LazyLinear(3).to(device)
    w = lazy.weight
    assert isinstance(w, nn.UninitializedParameter) and lazy.in_features == 0
    assert repr(w) == "<UninitializedParameter>"
    opt_params = list(lazy.parameters())
    x = ember.randn(2, 5, device=device)
    y = lazy(x)
    assert type(lazy) is nn.Linear and lazy.in_features == 5 and y.shape == (2, 3)
    assert lazy.weight is w and type(w) is nn.Parameter and tuple(w.shape) == (3, 5)  # same object: optimizers keep it
    assert all(a is b for a, b in zip(opt_params, lazy.parameters()))
    bound = 1 / math.sqrt(5)
    assert np.abs(npy(lazy.weight)).max() <= bound and np.abs(npy(lazy.bias)).max() <= bound
    np.testing.assert_allclose(npy(y), npy(x) @ npy(lazy.weight).T + npy(lazy.bias), rtol=1e-5, atol=1e-6)
    nb = nn.LazyLinear(2, bias=False, dtype=ember.float64)
    assert nb.bias is None and nb(ember.ones(4, device=device, dtype=ember.float64).to("cpu")).shape == (2,)
    # a state_dict materialises it too
    fresh = nn.LazyLinear(3)
    fresh.load_state_dict(lazy.to("cpu").state_dict())
    assert type(fresh) is nn.Linear and tuple(fresh.weight.shape) == (3, 5)
    # ... also inside a container (a load_state_dict pre-hook of each LazyLinear), values copied
    src = nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 2))
    dst = nn.Sequential(nn.LazyLinear(4), nn.ReLU(), nn.LazyLinear(2))
    assert repr(dst.load_state_dict(src.state_dict())) == "<All keys matched successfully>"
    x = ember.randn(3, 5)
    np.testing.assert_array_equal(npy(dst(x)), npy(src(x)))


def test_load_state_dict_pre_hook_may_rewrite_entries() -> None:
    seen = []

    def rename(module, state_dict, prefix, local_metadata, strict, missing, unexpected, errors):
        seen.append(prefix)
        if prefix + "old_weight" in state_dict:
            state_dict[prefix + "weight"] = state_dict.pop(prefix + "old_weight")

    outer = nn.Sequential(nn.Linear(2, 2))
    handle = outer[0].register_load_state_dict_pre_hook(rename)
    given = {"0.old_weight": ember.ones(2, 2), "0.bias": ember.zeros(2)}
    outer.load_state_dict(given)
    assert seen == ["0."] and list(given) == ["0.old_weight", "0.bias"]  # the caller's dict is untouched
    np.testing.assert_array_equal(npy(outer[0].weight), np.ones((2, 2), np.float32))
    handle.remove()
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "0.weight"'):
        outer.load_state_dict(given)


def test_3d_variants_of_adaptive_max_unpool_lp_and_constant_pad(device) -> None:
    x = RNG.standard_normal((2, 2, 5, 4, 6))
    vals, idx = nn.AdaptiveMaxPool3d((2, None, 4), return_indices=True)(T(x, device))
    rv, ri = np.zeros((2, 2, 2, 4, 4)), np.zeros((2, 2, 2, 4, 4), dtype=np.int64)
    for i, (a, b) in enumerate(bins(5, 2)):
        for j in range(4):
            for m, (c, e) in enumerate(bins(6, 4)):
                win = x[:, :, a:b, j, c:e].reshape(2, 2, -1)
                rv[:, :, i, j, m] = win.max(-1)
                li = win.argmax(-1)
                ri[:, :, i, j, m] = ((a + li // (e - c)) * 4 + j) * 6 + c + li % (e - c)
    close(vals, rv)
    np.testing.assert_array_equal(npy(idx), ri)
    pv, pi = F.max_pool3d(T(x[..., :4, :4, :4], device), 2, return_indices=True)
    up = nn.MaxUnpool3d(2)(pv, pi)
    ref = np.zeros((2, 2, 64))
    np.put_along_axis(ref, npy(pi).reshape(2, 2, -1), npy(pv).reshape(2, 2, -1), -1)
    close(up, ref.reshape(2, 2, 4, 4, 4))
    xa = np.abs(x) + 0.1
    ref_lp = (ref_avg_pool(xa**2, (2, 2, 3), (1, 2, 3), (0, 0, 0), True, True) * 12) ** 0.5
    close(nn.LPPool3d(2, (2, 2, 3), (1, 2, 3), ceil_mode=True)(T(xa, device)), ref_lp)
    assert gradcheck(lambda a: F.lp_pool3d(a, 2, 2), (T(xa[:1, :1, :2, :2, :4], device, True),))
    close(
        nn.ConstantPad3d(1, 2.5)(T(x, device)), np.pad(x, [(0, 0), (0, 0), (1, 1), (1, 1), (1, 1)], constant_values=2.5)
    )
