"""The OpenCL conv2d, its two adjoints and max_pool2d against the NumPy backend's kernels."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from ember_opencl import device as _device

pytestmark = pytest.mark.skipif(_device.unavailable_reason() is not None,
                                reason=f"no OpenCL device: {_device.unavailable_reason()}")  # fmt: skip


def _ref() -> dict[str, Any]:
    from ember_numpy.kernels import KERNELS

    return KERNELS


def _cl() -> dict[str, Any]:
    from ember_opencl.convolution import KERNELS

    return KERNELS


def _dev() -> Any:
    return _device.devices()[0]


def _dtypes() -> list[Any]:
    return [np.float32] + ([np.float64] if _dev().fp64 else [])


def _upload(host: np.ndarray, layout: str) -> Any:
    """`host` on the device as a contiguous array, or as a strided view with the same values."""
    from ember_opencl.clarray import CLArray, from_numpy
    from ember_opencl.movement import permute, slice_

    dev = _dev()
    if layout == "contiguous":
        return from_numpy(dev, host)
    if layout == "channels_last":  # (N, H, W, C) memory seen as (N, C, H, W)
        return permute(from_numpy(dev, np.ascontiguousarray(host.transpose(0, 2, 3, 1))), (0, 3, 1, 2))
    if layout == "strided":  # every other element of a bigger array, with an offset
        big = np.zeros((host.shape[0] + 1, host.shape[1], host.shape[2], 2 * host.shape[3]), host.dtype)
        big[1:, :, :, ::2] = host
        n, c, h, w = host.shape
        return slice_(from_numpy(dev, big), (slice(1, n + 1, 1), slice(0, c, 1), slice(0, h, 1), slice(0, 2 * w, 2)))
    if layout == "flipped":  # negative strides
        a = from_numpy(dev, np.ascontiguousarray(host[:, :, ::-1, ::-1]))
        st = a.strides
        off = a.offset + (a.shape[2] - 1) * st[2] + (a.shape[3] - 1) * st[3]
        return CLArray(dev, a.buffer, a.shape, a.dtype, (st[0], st[1], -st[2], -st[3]), off)
    raise ValueError(layout)


def _host(a: Any) -> np.ndarray:
    from ember_opencl.clarray import to_numpy

    return to_numpy(a)


def _tol(dtype: Any) -> dict[str, float]:
    return {"rtol": 1e-4, "atol": 1e-4} if dtype == np.float32 else {"rtol": 1e-10, "atol": 1e-10}


CONV_CASES = [
    # (N, C, H, W), (O, kh, kw), stride, padding, dilation, groups
    ((2, 3, 7, 6), (4, 3, 3), (1, 1), (0, 0), (1, 1), 1),
    ((2, 3, 7, 6), (4, 3, 3), (2, 1), (1, 2), (1, 1), 1),
    ((1, 2, 9, 8), (3, 2, 3), (1, 2), (2, 1), (2, 1), 1),
    ((2, 4, 8, 8), (6, 3, 3), (2, 2), (1, 1), (1, 2), 2),
    ((2, 4, 6, 7), (4, 1, 1), (1, 1), (0, 0), (1, 1), 4),  # depthwise 1x1
    ((1, 6, 10, 9), (9, 5, 3), (3, 2), (2, 1), (1, 3), 3),
    ((3, 1, 5, 5), (2, 5, 5), (1, 1), (2, 2), (1, 1), 1),
    ((1, 2, 4, 4), (2, 2, 2), (3, 3), (0, 0), (1, 1), 1),  # stride past the last window: unread pixels get 0
]
LAYOUTS = ["contiguous", "channels_last", "strided", "flipped"]


def _conv_args(case: tuple[Any, ...], dtype: Any, seed: int = 0) -> tuple[np.ndarray, np.ndarray, tuple[Any, ...]]:
    xs, (o, kh, kw), stride, padding, dilation, groups = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(xs).astype(dtype)
    w = rng.standard_normal((o, xs[1] // groups, kh, kw)).astype(dtype)
    return x, w, (stride, padding, dilation, groups)


@pytest.fixture(params=["folded", "per-sample"])
def gemm_batch(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test with the batch folded into one GEMM's columns, then with one GEMM per sample."""
    from ember_opencl import convolution

    fold = request.param == "folded"
    monkeypatch.setattr(convolution, "fold_batch", lambda dtype, n, m, pixels, k: n > 1 and fold)
    return str(request.param)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d(case: tuple[Any, ...], layout: str, gemm_batch: str) -> None:
    for dtype in _dtypes():
        x, w, args = _conv_args(case, dtype)
        want = _ref()["conv2d"](x, w, *args)
        got = _host(_cl()["conv2d"](_upload(x, layout), _upload(w, layout), *args))
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, **_tol(dtype))


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_input_grad(case: tuple[Any, ...], layout: str, gemm_batch: str) -> None:
    for dtype in _dtypes():
        x, w, args = _conv_args(case, dtype)
        out_shape = _ref()["conv2d"](x, w, *args).shape
        g = np.random.default_rng(1).standard_normal(out_shape).astype(dtype)
        want = _ref()["conv2d_input_grad"](g, w, x.shape[2:], *args)
        got = _host(_cl()["conv2d_input_grad"](_upload(g, layout), _upload(w, layout), x.shape[2:], *args))
        assert got.shape == want.shape == x.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, **_tol(dtype))


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_weight_grad(case: tuple[Any, ...], layout: str) -> None:
    for dtype in _dtypes():
        x, w, args = _conv_args(case, dtype)
        out_shape = _ref()["conv2d"](x, w, *args).shape
        g = np.random.default_rng(1).standard_normal(out_shape).astype(dtype)
        want = _ref()["conv2d_weight_grad"](x, g, w.shape[2:], *args)
        got = _host(_cl()["conv2d_weight_grad"](_upload(x, layout), _upload(g, layout), w.shape[2:], *args))
        assert got.shape == want.shape == w.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, **_tol(dtype))


@pytest.mark.parametrize(
    "case,folds",
    [
        (((64, 1, 8, 8), (32, 3, 3), (1, 1), (1, 1), (1, 1), 1), True),  # the digits CNN's first conv: K = 9
        (((64, 32, 4, 4), (64, 3, 3), (1, 1), (1, 1), (1, 1), 1), False),  # its second: per sample 64x288 @ 288x16
    ],
)
def test_conv2d_paths_chosen(case: tuple[Any, ...], folds: bool) -> None:
    """Without forcing a path: the batch is folded where one GEMM per sample would be small, and the
    forward and input gradient match the reference either way."""
    from ember_opencl.convolution import fold_batch

    x, w, args = _conv_args(case, np.float32)
    o, cg, kh, kw = w.shape
    out_hw = _ref()["conv2d"](x[:1], w, *args).shape[2:]
    assert fold_batch(np.dtype(np.float32), x.shape[0], o, out_hw[0] * out_hw[1], cg * kh * kw) == folds
    want = _ref()["conv2d"](x, w, *args)
    np.testing.assert_allclose(_host(_cl()["conv2d"](_upload(x, "contiguous"), _upload(w, "contiguous"), *args)),
                               want, **_tol(np.float32))  # fmt: skip
    g = np.random.default_rng(1).standard_normal(want.shape).astype(np.float32)
    want_gx = _ref()["conv2d_input_grad"](g, w, x.shape[2:], *args)
    got_gx = _host(_cl()["conv2d_input_grad"](_upload(g, "contiguous"), _upload(w, "contiguous"), x.shape[2:], *args))
    np.testing.assert_allclose(got_gx, want_gx, **_tol(np.float32))


def test_conv2d_adjoints() -> None:
    """<conv(x, w), g> == <x, input_grad(g, w)> == <w, weight_grad(x, g)> on the device alone."""
    case = CONV_CASES[3]
    x, w, args = _conv_args(case, np.float32)
    cl = _cl()
    y = _host(cl["conv2d"](_upload(x, "contiguous"), _upload(w, "contiguous"), *args))
    g = np.random.default_rng(2).standard_normal(y.shape).astype(np.float32)
    gx = _host(cl["conv2d_input_grad"](_upload(g, "contiguous"), _upload(w, "contiguous"), x.shape[2:], *args))
    gw = _host(cl["conv2d_weight_grad"](_upload(x, "contiguous"), _upload(g, "contiguous"), w.shape[2:], *args))
    ip = float((y.astype(np.float64) * g).sum())
    assert abs(ip - float((x.astype(np.float64) * gx).sum())) < 1e-3 * max(1.0, abs(ip))
    assert abs(ip - float((w.astype(np.float64) * gw).sum())) < 1e-3 * max(1.0, abs(ip))


def test_conv2d_empty() -> None:
    x = np.zeros((0, 2, 5, 5), np.float32)
    w = np.ones((3, 2, 3, 3), np.float32)
    args = ((1, 1), (0, 0), (1, 1), 1)
    assert _host(_cl()["conv2d"](_upload(x, "contiguous"), _upload(w, "contiguous"), *args)).shape == (0, 3, 3, 3)
    g = np.zeros((0, 3, 3, 3), np.float32)
    gw = _host(_cl()["conv2d_weight_grad"](_upload(x, "contiguous"), _upload(g, "contiguous"), (3, 3), *args))
    np.testing.assert_array_equal(gw, np.zeros((3, 2, 3, 3), np.float32))


POOL_CASES = [
    # (N, C, H, W), kernel, stride, padding, dilation, ceil_mode
    ((2, 3, 8, 8), (2, 2), (2, 2), (0, 0), (1, 1), False),
    ((2, 3, 7, 7), (2, 2), (2, 2), (0, 0), (1, 1), True),
    ((1, 2, 9, 7), (3, 3), (2, 2), (1, 1), (1, 1), False),
    ((1, 2, 9, 7), (3, 3), (2, 2), (1, 1), (1, 1), True),
    ((2, 2, 10, 11), (3, 2), (2, 3), (1, 1), (2, 2), True),
    ((1, 1, 6, 6), (3, 3), (1, 1), (1, 1), (1, 1), False),
    ((1, 3, 5, 9), (2, 4), (3, 2), (0, 2), (2, 1), True),
]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("case", POOL_CASES)
def test_max_pool2d(case: tuple[Any, ...], layout: str) -> None:
    shape, *args = case
    for dtype in _dtypes():
        x = np.random.default_rng(3).standard_normal(shape).astype(dtype)
        x[0, 0, ::2, 1::3] = 0.5  # ties: the first maximum of a window wins
        x[0, -1, 1:3, 1:4] = 0.5
        want_v, want_i = _ref()["max_pool2d"](x, *args)
        got_v, got_i = _cl()["max_pool2d"](_upload(x, layout), *args)
        got_v, got_i = _host(got_v), _host(got_i)
        assert got_v.shape == want_v.shape and got_v.dtype == want_v.dtype and got_i.dtype == np.int64
        np.testing.assert_array_equal(got_v, want_v)
        np.testing.assert_array_equal(got_i, want_i)


def test_max_pool2d_nan_and_inf() -> None:
    """A nan wins its window (the first nan), -inf stays -inf, as NumPy's argmax."""
    x = np.random.default_rng(4).standard_normal((1, 1, 6, 6)).astype(np.float32)
    x[0, 0, 1, 1] = np.nan
    x[0, 0, 3, 0] = -np.nan  # its sign is kept
    x[0, 0, 0, 4:6] = -np.inf
    x[0, 0, 1, 4:6] = -np.inf
    x[0, 0, 4, 4] = np.inf
    for args in itertools.product([(2, 2), (3, 3)], [(2, 2), (1, 1)], [(0, 0), (1, 1)], [(1, 1)], [False, True]):
        want_v, want_i = _ref()["max_pool2d"](x, *args)
        got_v, got_i = _cl()["max_pool2d"](_upload(x, "contiguous"), *args)
        np.testing.assert_array_equal(_host(got_v), want_v)
        np.testing.assert_array_equal(np.signbit(_host(got_v)), np.signbit(want_v))
        np.testing.assert_array_equal(_host(got_i), want_i)
