"""ONNX signal processing (DFT, STFT, window functions) and small transformer blocks (RotaryEmbedding, SwiGLU).

No complex dtype is needed here (OpenCL has none): its DFT takes and returns a trailing axis of
size 1 (real) or 2 (real, imaginary). A DFT is a linear map along one axis, applied as two matmuls
with cosine and sine matrices computed on the host (so it runs on every backend and differentiates).
"""

from __future__ import annotations

import math

import numpy as np

import ember
import ember.nn.functional as F
from ember import Tensor

from ..elem_types import to_ember
from ..ops_table import Node, handler

#: window -> cosine coefficients a_k of sum_k (-1)^k a_k cos(2 pi k n / N)
_WINDOWS = {
    "HannWindow": (0.5, 0.5),
    "HammingWindow": (25 / 46, 1 - 25 / 46),
    "BlackmanWindow": (0.42, 0.5, 0.08),
}


def _window(node: Node, size: Tensor) -> Tensor:
    n = int(node.scalar(size))
    period = n if node.attr("periodic", 1) else n - 1
    positions = ember.arange(n, dtype=ember.float64, device=node.device)
    out = ember.zeros(n, dtype=ember.float64, device=node.device)
    for k, a in enumerate(_WINDOWS[node.op_type]):
        term = a * ember.cos(positions * (2 * math.pi * k / period)) if k else ember.full([n], a, dtype=ember.float64, device=node.device)
        out = out + term if k % 2 == 0 else out - term
    return out.to(to_ember(node.attr("output_datatype", 1), node.where()))


for _name in _WINDOWS:
    handler(_name, since=17)(_window)


@handler("RotaryEmbedding", since=23)
def _rotary_embedding(
    node: Node, x: Tensor, cos: Tensor, sin: Tensor, position_ids: Tensor | None = None
) -> Tensor:
    shape = x.shape
    if x.ndim == 4:  # (batch, heads, seq, head) -> (batch, seq, heads, head)
        x = x.permute(0, 2, 1, 3)
    else:
        b, s, hidden = x.shape
        heads = node.attr("num_heads")
        x = x.reshape(b, s, heads, hidden // heads)
    dim = node.attr("rotary_embedding_dim", 0) or x.shape[3]
    rot, keep = x.narrow(3, 0, dim), x.narrow(3, dim, x.shape[3] - dim)
    if position_ids is not None:
        cos = ember.index_select(cos, 0, position_ids.reshape(-1)).reshape(list(position_ids.shape) + [-1])
        sin = ember.index_select(sin, 0, position_ids.reshape(-1)).reshape(list(position_ids.shape) + [-1])
    cos, sin = cos.unsqueeze(2), sin.unsqueeze(2)
    interleaved = bool(node.attr("interleaved", 0))
    if interleaved:
        pairs = rot.reshape(list(rot.shape[:3]) + [dim // 2, 2])
        x1, x2 = pairs[..., 0], pairs[..., 1]
    else:
        x1, x2 = rot.narrow(3, 0, dim // 2), rot.narrow(3, dim // 2, dim // 2)
    real, imag = cos * x1 - sin * x2, sin * x1 + cos * x2
    if interleaved:
        rot = ember.stack([real, imag], dim=-1).reshape(rot.shape)
    else:
        rot = ember.cat([real, imag], dim=-1)
    out = ember.cat([rot, keep], dim=-1)
    return out.reshape(shape) if len(shape) == 3 else out.permute(0, 2, 1, 3)


@handler("SwiGLU", since=1)
def _swiglu(node: Node, a: Tensor, b: Tensor) -> Tensor:
    alpha = node.attr("alpha", 1.0)
    return a * (1 / (1 + ember.exp(-alpha * a))) * b  # the sigmoid in the input's own precision, as ONNX's reference


def _dft_axis(node: Node, re: Tensor, im: Tensor | None, n: int, inverse: bool, onesided: bool) -> tuple[Tensor, Tensor | None]:
    """The DFT of re + i*im along the last axis with fft length `n`: (real, imaginary) parts (imaginary None
    for the real output of a one-sided inverse)."""
    length = re.shape[-1]
    take = n if not (inverse and onesided) else min(length, n // 2 + 1)
    if length > take:
        re, im = re.narrow(-1, 0, take), (im.narrow(-1, 0, take) if im is not None else None)
    elif length < take:
        widths = [0, take - length]
        re = F.pad(re, widths)
        im = F.pad(im, widths) if im is not None else None
    re, im = re.to(node.wide_float()), (im.to(node.wide_float()) if im is not None else None)
    if inverse and onesided:  # irfft: Hermitian spectrum of `take` bins -> n real samples
        k = np.arange(take).reshape(-1, 1)
        t = np.arange(n).reshape(1, -1)
        weight = np.where((k == 0) | ((n % 2 == 0) & (k == n // 2)), 1.0, 2.0) / n
        cos = node.const((weight * np.cos(2 * np.pi * k * t / n)).tolist(), ember.float64).to(re.dtype)
        sin = node.const((weight * np.sin(2 * np.pi * k * t / n)).tolist(), ember.float64).to(re.dtype)
        out = ember.matmul(re, cos)
        return (out - ember.matmul(im, sin) if im is not None else out), None
    bins = n // 2 + 1 if onesided and not inverse else n
    t = np.arange(n).reshape(-1, 1)
    k = np.arange(bins).reshape(1, -1)
    scale = 1.0 / n if inverse else 1.0
    cos = node.const((scale * np.cos(2 * np.pi * k * t / n)).tolist(), ember.float64).to(re.dtype)
    sin = node.const((scale * np.sin(2 * np.pi * k * t / n)).tolist(), ember.float64).to(re.dtype)
    sign = 1.0 if inverse else -1.0
    out_re = ember.matmul(re, cos)
    out_im = sign * ember.matmul(re, sin)
    if im is not None:
        out_re = out_re - sign * ember.matmul(im, sin)
        out_im = out_im + ember.matmul(im, cos)
    return out_re, out_im


def dft(node: Node, x: Tensor, axis: int, n: int | None, inverse: bool, onesided: bool) -> Tensor:
    """ONNX's DFT of `x` (trailing axis: 1 real or 2 complex parts) along `axis`."""
    axis = axis % x.ndim
    if axis == x.ndim - 1:
        raise node.error("the DFT axis cannot be the last axis (it holds the real and imaginary parts)")
    re = x.select(-1, 0).movedim(axis, -1)
    im = x.select(-1, 1).movedim(axis, -1) if x.shape[-1] == 2 else None
    if n is None:
        n = 2 * (x.shape[axis] - 1) if inverse and onesided else x.shape[axis]
    out_re, out_im = _dft_axis(node, re, im, n, inverse, onesided)
    parts = [out_re.to(x.dtype).movedim(-1, axis)] + ([out_im.to(x.dtype).movedim(-1, axis)] if out_im is not None else [])
    return ember.stack(parts, dim=-1)


@handler("DFT", since=20)
def _dft20(node: Node, x: Tensor, length: Tensor | None = None, axis: Tensor | None = None) -> Tensor:
    n = int(node.scalar(length)) if length is not None and length.numel() else None
    ax = int(node.scalar(axis)) if axis is not None else -2
    return dft(node, x, ax, n, bool(node.attr("inverse", 0)), bool(node.attr("onesided", 0)))


@handler("DFT", since=17, until=19)
def _dft17(node: Node, x: Tensor, length: Tensor | None = None) -> Tensor:
    n = int(node.scalar(length)) if length is not None and length.numel() else None
    return dft(node, x, node.attr("axis", 1), n, bool(node.attr("inverse", 0)), bool(node.attr("onesided", 0)))


@handler("STFT", since=17)
def _stft(
    node: Node, signal: Tensor, step: Tensor, window: Tensor | None = None, frame_length: Tensor | None = None
) -> Tensor:
    hop = int(node.scalar(step))
    if frame_length is not None:
        size = int(node.scalar(frame_length))
    elif window is not None:
        size = window.shape[0]
    else:
        raise node.error("STFT needs a window or a frame_length")
    length = signal.shape[1]
    frames = (length - size) // hop + 1
    index = np.arange(frames).reshape(-1, 1) * hop + np.arange(size).reshape(1, -1)
    framed = ember.index_select(signal, 1, node.const(index.reshape(-1).tolist(), ember.int64))
    framed = framed.reshape(signal.shape[0], frames, size, signal.shape[2])
    if window is not None:
        framed = framed * window.reshape(1, 1, size, 1).to(framed.dtype)
    return dft(node, framed, 2, size, False, bool(node.attr("onesided", 1)))


@handler("MelWeightMatrix", since=17)
def _mel_weight_matrix(
    node: Node, bins: Tensor, dft_length: Tensor, rate: Tensor, lower: Tensor, upper: Tensor
) -> Tensor:
    """Triangular filters from linear DFT bins to mel bins, (dft_length // 2 + 1, num_mel_bins); a pure
    function of its scalar inputs, computed on the host."""
    n_mel, n_dft, sr = int(node.scalar(bins)), int(node.scalar(dft_length)), int(node.scalar(rate))
    lo_mel = 2595 * math.log1p(float(node.scalar(lower)) / 700) / math.log(10)
    hi_mel = 2595 * math.log1p(float(node.scalar(upper)) / 700) / math.log(10)
    edges = np.arange(n_mel + 2) * ((hi_mel - lo_mel) / (n_mel + 2)) + lo_mel
    edges = ((n_dft + 1) * (700 * np.expm1(edges / 2595 * math.log(10)))) // sr
    points = edges.astype(int)
    out = np.zeros((n_dft // 2 + 1, n_mel))
    for i in range(n_mel):
        left, center, right = points[i], points[i + 1], points[i + 2]
        if center == left:
            out[center, i] = 1
        else:
            for j in range(left, center + 1):
                out[j, i] = (j - left) / (center - left)
        for j in range(center, right):
            out[j, i] = (right - j) / (right - center)
    dtype = to_ember(node.attr("output_datatype", 1), node.where())
    return node.const(out.tolist(), ember.float64).to(dtype)
