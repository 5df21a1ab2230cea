"""ONNX Resize: nearest, linear and cubic interpolation, one axis at a time.

Each resized axis is a linear map from the input positions to the output positions: its matrix is
computed on the host from the sizes alone (ONNX's coordinate transformation, rounding mode, cubic
coefficient, antialiasing, exclude_outside), then applied with a matmul (or, for nearest, an index
select, exact for every dtype). The data never leaves the device, and gradients flow through.
"""

from __future__ import annotations

import math

import numpy as np

import ember
from ember import Tensor

from ..ops_table import Node, handler


def _source(node: Node, x: np.ndarray, n_in: int, n_out: int, scale: float, roi: tuple[float, float]) -> np.ndarray:
    """Input coordinates of output positions `x` (ONNX's coordinate_transformation_mode)."""
    mode = node.attr("coordinate_transformation_mode", "half_pixel")
    if mode == "half_pixel":
        return (x + 0.5) / scale - 0.5
    if mode == "half_pixel_symmetric":
        adjustment = n_out / (scale * n_in)
        center = n_in / 2
        return center * (1 - adjustment) + (x + 0.5) / scale - 0.5
    if mode == "pytorch_half_pixel":
        return (x + 0.5) / scale - 0.5 if n_out > 1 else np.zeros_like(x)
    if mode == "align_corners":  # ONNX divides by the unrounded output length
        length = n_in * scale
        return x * (n_in - 1) / (length - 1) if length > 1 else np.zeros_like(x)
    if mode == "asymmetric":
        return x / scale
    if mode == "tf_crop_and_resize":
        start, end = roi
        if n_out > 1:
            return start * (n_in - 1) + x * (end - start) * (n_in - 1) / (n_out - 1)
        return np.full_like(x, 0.5 * (start + end) * (n_in - 1))
    raise node.error(f"unknown coordinate_transformation_mode {mode!r}")


def _nearest(node: Node, src: np.ndarray, scale: float) -> np.ndarray:
    rounding = node.attr("nearest_mode", "round_prefer_floor")
    if rounding == "round_prefer_floor":
        return np.ceil(src - 0.5)
    if rounding == "round_prefer_ceil":
        return np.floor(src + 0.5)
    if rounding == "floor":
        return np.floor(src)
    if rounding == "ceil":
        return np.ceil(src)
    raise node.error(f"unknown nearest_mode {rounding!r}")


def _cubic(s: np.ndarray, a: float) -> np.ndarray:
    s = np.abs(s)
    near = ((a + 2) * s - (a + 3)) * s * s + 1
    far = ((a * s - 5 * a) * s + 8 * a) * s - 4 * a
    return np.where(s <= 1, near, np.where(s < 2, far, 0.0))


def _taps(mode: str, ratio: float, scale: float, a: float, antialias: bool) -> np.ndarray:
    """Interpolation coefficients around a sample at fractional offset `ratio` (antialiased: a kernel
    widened by 1/scale when downsampling, normalized)."""
    if not antialias:
        if mode == "linear":
            return np.array([1 - ratio, ratio])
        return _cubic(np.array([ratio + 1, ratio, 1 - ratio, 2 - ratio]), a)
    scale = min(scale, 1.0)
    support = 1.0 if mode == "linear" else 2.0
    first = math.floor(-support / scale) + 1
    offsets = np.arange(first, 2 - first if mode == "cubic" else first + 2 - 2 * first) - ratio
    k = np.clip(1 - np.abs(offsets * scale), 0, 1) if mode == "linear" else _cubic(offsets * scale, a)
    return k / k.sum()


def _weights(node: Node, n_in: int, n_out: int, scale: float, roi: tuple[float, float]) -> np.ndarray:
    """The (n_out, n_in) interpolation matrix of one axis."""
    src = _source(node, np.arange(n_out, dtype=np.float64), n_in, n_out, scale, roi)
    mode = node.attr("mode", "nearest")
    w = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    if mode == "nearest":
        idx = np.clip(_nearest(node, src, scale).astype(np.int64), 0, n_in - 1)
        w[rows, idx] = 1.0
    elif mode in ("linear", "cubic"):
        antialias = bool(node.attr("antialias", 0))
        a = node.attr("cubic_coeff_a", -0.75)
        exclude = bool(node.attr("exclude_outside", 0))
        for i, x in enumerate(src):
            whole = math.floor(x)
            ratio = 1.0 if x == whole else x - whole
            k = _taps(mode, ratio, scale, a, antialias)
            n = len(k)
            # the n input positions nearest x (ties toward the smaller), as ONNX's reference picks them
            half = math.ceil(n / 2)
            p = math.floor(x + half)
            frac = x + half - p
            if n % 2 == 0:
                offset = -(n // 2) if frac == 0 else -(n // 2) + 1
            else:
                offset = -((n - 1) // 2) + (0 if frac <= 0.5 else 1)
            js = p + offset + np.arange(n) - half
            if exclude:
                k = np.where((js >= 0) & (js < n_in), k, 0.0)
                total = k.sum()
                k = k / (total if total else 1.0)
            np.add.at(w[i], np.clip(js, 0, n_in - 1), k)
    else:
        raise node.error(f"unknown mode {mode!r} (nearest, linear, cubic)")
    if node.attr("coordinate_transformation_mode") == "tf_crop_and_resize":
        outside = (src < 0) | (src > n_in - 1)
        w[outside] = 0.0
    return w


def _apply(node: Node, x: Tensor, axis: int, w: np.ndarray) -> Tensor:
    one_hot = node.attr("mode", "nearest") == "nearest" and (w.sum(axis=1) == 1).all()
    if one_hot:
        index = node.const(np.argmax(w, axis=1).tolist(), ember.int64)
        return ember.index_select(x, axis, index)
    compute = x.dtype if x.dtype.is_floating_point else ember.float32
    m = node.const(w.T.tolist(), ember.float64).to(compute)
    y = ember.matmul(x.to(compute).movedim(axis, -1), m).movedim(-1, axis)
    return y if y.dtype == x.dtype else ember.round(y).to(x.dtype)


def _extrapolate(node: Node, x: Tensor, y: Tensor, masks: dict[int, np.ndarray]) -> Tensor:
    """tf_crop_and_resize: outputs sampled outside the input take ``extrapolation_value``."""
    outside = None
    for axis, m in masks.items():
        shape = [1] * y.ndim
        shape[axis] = len(m)
        t = node.const(m.tolist(), ember.bool_).reshape(shape)
        outside = t if outside is None else ember.logical_or(outside, t)
    if outside is None:
        return y
    return ember.where(outside, ember.full([], node.attr("extrapolation_value", 0.0), dtype=y.dtype, device=y.device), y)


@handler("Resize", since=11)
def _resize(
    node: Node, x: Tensor, roi: Tensor | None = None, scales: Tensor | None = None, sizes: Tensor | None = None
) -> Tensor:
    rank = x.ndim
    axes = [a % rank for a in (node.attr("axes") or range(rank))]
    in_sizes = [x.shape[a] for a in axes]
    roi_v = [float(v) for v in roi.reshape(-1).tolist()] if roi is not None and roi.numel() else []
    if sizes is not None and sizes.numel():
        out = node.ints(sizes)
        policy = node.attr("keep_aspect_ratio_policy", "stretch")
        if policy == "stretch":
            sc = [o / i for o, i in zip(out, in_sizes)]
        else:
            ratios = [o / i for o, i in zip(out, in_sizes)]
            s = min(ratios) if policy == "not_larger" else max(ratios)
            sc = [s] * len(axes)
            out = [int(math.floor(s * i + 0.5)) for i in in_sizes]
    elif scales is not None and scales.numel():
        sc = [float(v) for v in scales.reshape(-1).tolist()]
        out = [int(math.floor(i * s)) for i, s in zip(in_sizes, sc)]
    else:
        raise node.error("Resize needs either scales or sizes")
    n = len(axes)
    masks: dict[int, np.ndarray] = {}
    for k, (a, n_in, n_out, s) in enumerate(zip(axes, in_sizes, out, sc)):
        r = (roi_v[k], roi_v[k + n]) if len(roi_v) == 2 * n else (0.0, 1.0)
        if n_in == n_out and s == 1.0 and node.attr("coordinate_transformation_mode") != "tf_crop_and_resize":
            continue
        w = _weights(node, n_in, n_out, s, r)
        if node.attr("coordinate_transformation_mode") == "tf_crop_and_resize":
            src = _source(node, np.arange(n_out, dtype=np.float64), n_in, n_out, s, r)
            masks[a] = (src < 0) | (src > n_in - 1)
        x = _apply(node, x, a, w)
    return _extrapolate(node, x, x, masks) if masks else x


@handler("Upsample", since=9, until=9)
def _upsample(node: Node, x: Tensor, scales: Tensor) -> Tensor:
    mode = node.attr("mode", "nearest")
    attrs = dict(node.attrs, coordinate_transformation_mode="asymmetric", nearest_mode="floor", mode=mode)
    inner = Node(node.name, "Resize", node.domain, 11, node.opset, attrs, node.device, 1)
    return _resize(inner, x, None, scales)
