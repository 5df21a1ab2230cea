"""Resampling: pixel/channel shuffles, interpolate/Upsample in every mode, grid_sample and affine_grid,
against NumPy references written per output element from the definitions, plus gradcheck and errors."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck

RNG = np.random.default_rng(99)


def T(a, device, grad=False):
    return ember.tensor(np.asarray(a), device=device, requires_grad=grad)


def close(a, b, tol=1e-9):
    np.testing.assert_allclose(a.detach().numpy(), b, rtol=tol, atol=tol)


# -- shuffles ----------------------------------------------------------------------------------------
def test_pixel_shuffle_unshuffle_channel_shuffle(device) -> None:
    r = 2
    x = RNG.standard_normal((2, 3 * r * r, 3, 4))
    ref = np.zeros((2, 3, 6, 8))
    for c in range(3):
        for i in range(r):
            for j in range(r):
                ref[:, c, i::r, j::r] = x[:, c * r * r + i * r + j]
    y = nn.PixelShuffle(r)(T(x, device))
    close(y, ref)
    close(nn.PixelUnshuffle(r)(y), x)
    close(F.pixel_shuffle(T(x[0], device), r), ref[0])
    assert F.pixel_unshuffle(T(RNG.standard_normal((5, 2, 2, 4, 6)), device), 2).shape == (5, 2, 8, 2, 3)
    cs = nn.ChannelShuffle(3)(T(x, device))  # 12 channels in 3 groups of 4: channel g*4+i -> i*3+g
    ref_cs = np.empty_like(x)
    for g in range(3):
        for i in range(4):
            ref_cs[:, i * 3 + g] = x[:, g * 4 + i]
    close(cs, ref_cs)
    assert gradcheck(lambda a: F.pixel_shuffle(a, 2), (T(x[:1], device, True),))
    assert gradcheck(lambda a: F.pixel_unshuffle(a, 3), (T(RNG.standard_normal((1, 2, 3, 6)), device, True),))
    assert (
        repr(nn.PixelShuffle(2)) == "PixelShuffle(upscale_factor=2)"
        and repr(nn.ChannelShuffle(2)) == "ChannelShuffle(groups=2)"
    )
    with pytest.raises(RuntimeError, match=r"divisible by the square of upscale_factor, but input.size\(-3\)=5"):
        F.pixel_shuffle(ember.ones(1, 5, 2, 2, device=device), 2)
    with pytest.raises(RuntimeError, match="divisible by downscale_factor"):
        F.pixel_unshuffle(ember.ones(1, 1, 3, 4, device=device), 2)
    with pytest.raises(ValueError, match=r"number of channels \(5\) must be divisible by groups \(2\)"):
        F.channel_shuffle(ember.ones(1, 5, 2, device=device), 2)


# -- interpolate ----------------------------------------------------------------------------------------
def src_index(i, size, out, align_corners, scale, cubic=False):
    if align_corners:
        return i * (size - 1) / (out - 1) if out > 1 else 0.0
    step = 1 / scale if scale else size / out
    s = (i + 0.5) * step - 0.5
    return s if cubic else max(s, 0.0)


def lin_taps(i, size, out, ac, scale):
    s = src_index(i, size, out, ac, scale)
    i0 = min(int(math.floor(s)), size - 1)
    lam = s - i0
    return [(i0, 1 - lam), (min(i0 + 1, size - 1), lam)]


def cubic_taps(i, size, out, ac, scale):
    s = src_index(i, size, out, ac, scale, cubic=True)
    i0 = math.floor(s)
    t = s - i0
    a = -0.75

    def k(x):
        x = abs(x)
        if x <= 1:
            return (a + 2) * x**3 - (a + 3) * x**2 + 1
        if x < 2:
            return a * x**3 - 5 * a * x**2 + 8 * a * x - 4 * a
        return 0.0

    return [(min(max(i0 + m, 0), size - 1), k(t - m)) for m in (-1, 0, 1, 2)]


def ref_separable(x, outs, taps_fn, ac, scales):
    """Per output pixel: the sum over the product of each dim's taps (any number of spatial dims)."""
    nd = len(outs)
    sizes = x.shape[2:]
    out = np.zeros((*x.shape[:2], *outs))
    for pos in np.ndindex(*outs):
        taps = [taps_fn(pos[d], sizes[d], outs[d], ac, scales[d]) for d in range(nd)]
        acc = 0.0
        for combo in np.ndindex(*[len(t) for t in taps]):
            idx = tuple(taps[d][combo[d]][0] for d in range(nd))
            wgt = math.prod(taps[d][combo[d]][1] for d in range(nd))
            acc = acc + wgt * x[(..., *idx)]
        out[(..., *pos)] = acc
    return out


@pytest.mark.parametrize("mode,nd", [("linear", 1), ("bilinear", 2), ("trilinear", 3), ("bicubic", 2)])
@pytest.mark.parametrize("ac", [False, True])
@pytest.mark.parametrize("how", ["size", "scale", "recompute"])
def test_interpolate_smooth_modes(device, mode, nd, ac, how) -> None:
    x = RNG.standard_normal((2, 2, *(4, 5, 3)[:nd]))
    taps = cubic_taps if mode == "bicubic" else lin_taps
    if how == "size":
        outs, kw, scales = [7, 3, 5][:nd], {"size": [7, 3, 5][:nd]}, [None] * nd
    else:
        sf = 1.7
        outs = [math.floor(s * sf) for s in x.shape[2:]]
        kw = {"scale_factor": sf, "recompute_scale_factor": how == "recompute"}
        scales = [None if how == "recompute" else sf] * nd
    out = F.interpolate(T(x, device), mode=mode, align_corners=ac, **kw)
    close(out, ref_separable(x, outs, taps, ac, scales))
    small = T(x[:1, :1][(..., *[slice(0, 3)] * nd)], device, True)
    assert gradcheck(lambda a: F.interpolate(a, scale_factor=1.5, mode=mode, align_corners=ac), (small,))


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_interpolate_nearest_and_area(device, nd) -> None:
    x = RNG.standard_normal((2, 3, *(5, 6, 4)[:nd]))
    sizes = x.shape[2:]
    for kw, outs, scales in [
        ({"size": (7, 4, 5)[:nd]}, (7, 4, 5)[:nd], [None] * nd),
        ({"scale_factor": 1.5}, [math.floor(s * 1.5) for s in sizes], [1.5] * nd),
    ]:
        for exact in (False, True):
            idx = [
                np.minimum(
                    np.floor((np.arange(o) + (0.5 if exact else 0.0)) * (1 / sc if sc else s / o)).astype(int), s - 1
                )
                for o, s, sc in zip(outs, sizes, scales)
            ]
            close(
                F.interpolate(T(x, device), mode="nearest-exact" if exact else "nearest", **kw), x[(..., *np.ix_(*idx))]
            )
    outs = (3, 4, 2)[:nd]
    area = np.zeros((2, 3, *outs))
    for pos in np.ndindex(*outs):
        sl = tuple(slice(pos[d] * sizes[d] // outs[d], -(-(pos[d] + 1) * sizes[d] // outs[d])) for d in range(nd))
        area[(..., *pos)] = x[(..., *sl)].mean(tuple(range(2, 2 + nd)))
    close(F.interpolate(T(x, device), size=outs, mode="area"), area)
    assert gradcheck(lambda a: F.interpolate(a, size=outs, mode="area"), (T(x[:1, :1], device, True),))
    assert gradcheck(lambda a: F.interpolate(a, scale_factor=2), (T(x[:1, :1], device, True),))


def test_upsample_modules_and_errors(device) -> None:
    x = RNG.standard_normal((1, 2, 3, 4))
    close(nn.Upsample(scale_factor=2)(T(x, device)), x.repeat(2, 2).repeat(2, 3))
    close(nn.UpsamplingNearest2d(size=(6, 8))(T(x, device)), x.repeat(2, 2).repeat(2, 3))
    close(nn.UpsamplingBilinear2d(scale_factor=2)(T(x, device)), ref_separable(x, (6, 8), lin_taps, True, [2.0, 2.0]))
    close(
        F.upsample(T(x, device), size=(5, 5), mode="bicubic"),
        F.interpolate(T(x, device), size=(5, 5), mode="bicubic").numpy(),
    )
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert (
        repr(nn.Upsample(size=(3, 4), mode="bilinear", align_corners=True)) == "Upsample(size=(3, 4), mode='bilinear')"
    )
    assert nn.Upsample(scale_factor=(2, 3)).scale_factor == (2.0, 3.0)
    xi = T(RNG.integers(0, 100, (1, 2, 3, 4)), device)  # nearest modes take any dtype
    np.testing.assert_array_equal(F.interpolate(xi, scale_factor=2).numpy(), xi.numpy().repeat(2, 2).repeat(2, 3))
    xt = T(x, device)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(xt, size=4, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(xt)
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        F.interpolate(xt, scale_factor=2, align_corners=True)
    with pytest.raises(NotImplementedError, match="Got 4D input, but trilinear mode needs 5D input"):
        F.interpolate(xt, scale_factor=2, mode="trilinear")
    with pytest.raises(ValueError, match="same number of spatial dimensions"):
        F.interpolate(xt, size=(2, 3, 4))
    with pytest.raises(NotImplementedError, match="unknown mode"):
        F.interpolate(xt, scale_factor=2, mode="cubic")


# -- grid_sample and affine_grid ---------------------------------------------------------------------------
def ref_grid_sample(x, grid, mode, padding_mode, ac):
    """Per output element and per neighbour, following the definitions (any number of spatial dims)."""
    n, c = x.shape[:2]
    sizes = x.shape[2:]
    nd = len(sizes)
    out = np.zeros((n, c, *grid.shape[1:-1]))

    def unnorm(v, size):
        return (v + 1) / 2 * (size - 1) if ac else ((v + 1) * size - 1) / 2

    def reflect(v, lo, hi):
        if hi == lo:
            return 0.0
        span = hi - lo
        flips, extra = divmod(abs(v - lo), span)
        return extra + lo if int(flips) % 2 == 0 else span - extra + lo

    def pad(v, size):
        if padding_mode == "border":
            return min(max(v, 0), size - 1)
        if padding_mode == "reflection":
            v = reflect(v, 0, size - 1) if ac else reflect(v, -0.5, size - 0.5)
            return min(max(v, 0), size - 1)
        return v

    def cubic(t):
        a = -0.75

        def k(z):
            z = abs(z)
            return (a + 2) * z**3 - (a + 3) * z * z + 1 if z <= 1 else a * z**3 - 5 * a * z * z + 8 * a * z - 4 * a

        return [k(t + 1), k(t), k(1 - t), k(2 - t)]

    for b in range(n):
        for opos in np.ndindex(*grid.shape[1:-1]):
            taps = []
            for d in range(nd):
                v = unnorm(grid[(b, *opos, nd - 1 - d)], sizes[d])
                if mode == "bicubic":
                    f = math.floor(v)
                    taps.append([(pad(f + k, sizes[d]), w) for k, w in zip((-1, 0, 1, 2), cubic(v - f))])
                    continue
                v = pad(v, sizes[d])
                if mode == "nearest":
                    taps.append([(float(np.rint(v)), 1.0)])
                else:
                    f = math.floor(v)
                    taps.append([(f, 1 - (v - f)), (f + 1, v - f)])
            acc = np.zeros(c)
            for combo in itertools.product(*taps):
                idx = [int(q) for q, _ in combo]
                if all(0 <= q <= sizes[d] - 1 for d, (q, _) in enumerate(combo)):
                    acc += math.prod(w for _, w in combo) * x[(b, slice(None), *idx)]
            out[(b, slice(None), *opos)] = acc
    return out


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("ac", [False, True])
def test_grid_sample(device, mode, padding_mode, ac) -> None:
    x = RNG.standard_normal((2, 3, 4, 5))
    grid = RNG.uniform(-1.6, 1.6, (2, 3, 4, 2))
    grid[0, 0, 0] = (1.0, -1.0)
    out = F.grid_sample(T(x, device), T(grid, device), mode, padding_mode, ac)
    close(out, ref_grid_sample(x, grid, mode, padding_mode, ac))
    if mode != "nearest":
        g = RNG.uniform(-0.9, 0.9, (1, 2, 2, 2))  # away from the kinks at pixel centres
        assert gradcheck(
            lambda a, b: F.grid_sample(a, b, mode, padding_mode, ac), (T(x[:1, :1], device, True), T(g, device, True))
        )
    if mode == "bicubic":
        return
    x3 = RNG.standard_normal((1, 2, 3, 4, 5))
    grid3 = RNG.uniform(-1.4, 1.4, (1, 2, 3, 2, 3))
    close(
        F.grid_sample(T(x3, device), T(grid3, device), mode, padding_mode, ac),
        ref_grid_sample(x3, grid3, mode, padding_mode, ac),
    )
    if mode == "bilinear":
        g3 = RNG.uniform(-0.9, 0.9, (1, 1, 2, 1, 3))
        assert gradcheck(
            lambda a, b: F.grid_sample(a, b, mode, padding_mode, ac), (T(x3[:, :1], device, True), T(g3, device, True))
        )


def test_affine_grid_and_identity_resampling(device) -> None:
    theta = RNG.standard_normal((2, 2, 3))
    for ac in (False, True):
        grid = F.affine_grid(T(theta, device), (2, 3, 4, 5), ac)
        xs = np.linspace(-1, 1, 5) * (1 if ac else 4 / 5)
        ys = np.linspace(-1, 1, 4) * (1 if ac else 3 / 4)
        base = np.stack([*np.meshgrid(xs, ys), np.ones((4, 5))], -1)  # (4, 5, 3): x, y, 1
        close(grid, np.einsum("hwk,nik->nhwi", base, theta))
    theta3 = RNG.standard_normal((1, 3, 4))
    g3 = F.affine_grid(T(theta3, device), (1, 1, 2, 3, 4), True)
    zz, yy, xx = np.meshgrid(np.linspace(-1, 1, 2), np.linspace(-1, 1, 3), np.linspace(-1, 1, 4), indexing="ij")
    base3 = np.stack([xx, yy, zz, np.ones_like(xx)], -1)
    close(g3, np.einsum("dhwk,nik->ndhwi", base3, theta3))
    # the identity transform resamples an image onto itself
    x = RNG.standard_normal((1, 2, 4, 5))
    ident = T(np.array([[[1.0, 0, 0], [0, 1.0, 0]]]), device)
    close(F.grid_sample(T(x, device), F.affine_grid(ident, (1, 2, 4, 5), False), align_corners=False), x)
    assert gradcheck(lambda t: F.affine_grid(t, (2, 1, 3, 2), False), (T(theta, device, True),))
    with pytest.raises(ValueError, match="Nx2x3"):
        F.affine_grid(T(theta3, device), (1, 1, 3, 4))
    with pytest.raises(ValueError, match="padding_mode"):
        F.grid_sample(T(x, device), T(np.zeros((1, 2, 2, 2)), device), padding_mode="wrap")
    with pytest.raises(RuntimeError, match=r"expected a grid \(N, \*out_spatial, 2\)"):
        F.grid_sample(T(x, device), T(np.zeros((1, 2, 2, 3)), device))
    with pytest.raises(RuntimeError, match="bicubic interpolation only supports 4D input"):
        F.grid_sample(T(np.zeros((1, 1, 2, 2, 2)), device), T(np.zeros((1, 1, 1, 1, 3)), device), mode="bicubic")


def aa_taps(mode):
    """Antialiased taps: the filter stretched by the downscale factor, normalised (PyTorch's definition)."""

    def taps(i, size, out, ac, scale):
        step = ((size - 1) / (out - 1) if out > 1 else 0.0) if ac else (1 / scale if scale else size / out)
        half = 1.0 if mode == "bilinear" else 2.0
        support, inv = (half * step, 1 / step) if step >= 1 else (half, 1.0)

        def filt(z):
            z = abs(z)
            if mode == "bilinear":
                return max(1 - z, 0.0)
            a = -0.5
            return ((a + 2) * z - (a + 3)) * z * z + 1 if z < 1 else ((((z - 5) * z + 8) * z - 4) * a if z < 2 else 0.0)

        center = step * (i + 0.5)
        js = range(max(int(center - support + 0.5), 0), min(int(center + support + 0.5), size))
        ws = [filt((j - center + 0.5) * inv) for j in js]
        return [(j, w / sum(ws)) for j, w in zip(js, ws)]

    return taps


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("ac", [False, True])
def test_interpolate_antialias(device, mode, ac) -> None:
    x = RNG.standard_normal((1, 2, 11, 9))
    for kw, outs, scales in [({"size": (4, 5)}, (4, 5), [None, None]), ({"scale_factor": 0.4}, (4, 3), [0.4, 0.4])]:
        out = F.interpolate(T(x, device), mode=mode, align_corners=ac, antialias=True, **kw)
        close(out, ref_separable(x, outs, aa_taps(mode), ac, scales))
    assert gradcheck(
        lambda a: F.interpolate(a, size=(2, 3), mode=mode, antialias=True), (T(x[:, :1, :5, :6], device, True),)
    )
    with pytest.raises(ValueError, match="Anti-alias option is restricted to bilinear and bicubic"):
        F.interpolate(T(x, device), size=(3, 3), mode="nearest", antialias=True)
