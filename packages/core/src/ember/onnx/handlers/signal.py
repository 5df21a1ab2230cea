"""ONNX window functions (Hann, Hamming, Blackman) and small transformer blocks (RotaryEmbedding, SwiGLU)."""

from __future__ import annotations

import math

import ember
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
    return a * ember.sigmoid(alpha * a) * b
