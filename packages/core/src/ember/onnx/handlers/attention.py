"""ONNX attention operators: Attention (opsets 23-25: masks, KV cache, GQA, softcap, windows), LinearAttention,
and the causal depthwise convolution with state of linear-attention models (CausalConvWithState)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import ember
import ember.nn.functional as F
from ember import Tensor

from ..elem_types import to_ember
from ..ops_table import Node, handler


def _heads(x: Tensor, n: int) -> Tensor:
    """(batch, seq, heads * size) -> (batch, heads, seq, size)."""
    b, s, hidden = x.shape
    return x.reshape(b, s, n, hidden // n).permute(0, 2, 1, 3)


def _allowed(q: int, kv: int, offsets: np.ndarray, left: int, right: int, causal: bool) -> np.ndarray:
    """(batch or 1, q, kv) booleans: which keys each query may attend (causal frontier, sliding window)."""
    i = np.arange(q).reshape(1, q, 1) + offsets.reshape(-1, 1, 1)
    j = np.arange(kv).reshape(1, 1, kv)
    ok = np.ones((len(offsets), q, kv), dtype=bool)
    if causal:
        ok &= j <= i
    if left >= 0:
        ok &= i - j <= left
    if right >= 0:
        ok &= j - i <= right
    return ok


@handler("Attention", since=23)
def _attention(
    node: Node,
    q: Tensor,
    k: Tensor,
    v: Tensor,
    mask: Tensor | None = None,
    past_key: Tensor | None = None,
    past_value: Tensor | None = None,
    nonpad_kv_seqlen: Tensor | None = None,
) -> Any:
    three_d = q.ndim == 3
    if three_d:
        q = _heads(q, node.attr("q_num_heads"))
        k = _heads(k, node.attr("kv_num_heads"))
        v = _heads(v, node.attr("kv_num_heads"))
    scale = node.attr("scale")
    if scale is None:
        scale = 1 / math.sqrt(q.shape[3])
    root = math.sqrt(scale)
    present_key = ember.cat([past_key, k], dim=2) if past_key is not None else k
    present_value = ember.cat([past_value, v], dim=2) if past_value is not None else v
    k, v = present_key, present_value
    q_len, kv_len = q.shape[2], k.shape[2]
    dtype = q.dtype
    bias = ember.zeros((q_len, kv_len), dtype=dtype, device=q.device)
    if mask is not None:
        if mask.shape[-1] < kv_len:
            widths = [0, kv_len - mask.shape[-1]]
            if mask.dtype == ember.bool_:
                mask = F.pad(mask.to(ember.uint8), widths, value=0).to(ember.bool_)
            else:
                mask = F.pad(mask, widths, value=-math.inf)
        if mask.dtype == ember.bool_:
            mask = ember.where(mask, ember.zeros_like(mask, dtype=dtype), ember.full([], -math.inf, dtype=dtype, device=q.device))
        bias = bias + mask.to(dtype)
    causal = bool(node.attr("is_causal", 0))
    left, right = node.attr("left_window_size", -1), node.attr("right_window_size", -1)
    if nonpad_kv_seqlen is not None and past_key is None:
        lengths = np.asarray(node.ints(nonpad_kv_seqlen))
        offsets = lengths - q_len
    else:
        lengths = None
        offsets = np.asarray([past_key.shape[2] if past_key is not None else 0])
    if causal or left >= 0 or right >= 0:
        ok = _allowed(q_len, kv_len, offsets, left, right, causal)
        allowed = np.where(ok, 0.0, -np.inf)
        allowed = allowed.reshape(-1, 1, q_len, kv_len) if len(offsets) > 1 else allowed[0]
        bias = bias + node.const(allowed.tolist(), ember.float64).to(dtype)
    if lengths is not None:
        pad_ok = np.arange(kv_len).reshape(1, -1) < lengths.reshape(-1, 1)
        padding = np.where(pad_ok, 0.0, -np.inf).reshape(-1, 1, 1, kv_len)
        bias = bias + node.const(padding.tolist(), ember.float64).to(dtype)
    q_heads, kv_heads = q.shape[1], k.shape[1]
    if q_heads != kv_heads and q_heads % kv_heads == 0:
        k = ember.repeat_interleave(k, q_heads // kv_heads, dim=1)
        v = ember.repeat_interleave(v, q_heads // kv_heads, dim=1)
    qk = ember.matmul(q * root, k.transpose(2, 3) * root)
    softcap = node.attr("softcap", 0.0)
    if softcap and softcap > 0:
        qk = ember.tanh(qk / softcap) * softcap
    scores = qk + bias
    mode = node.attr("qk_matmul_output_mode", 0)
    qk_out = scores if mode == 2 else qk
    precision = node.attr("softmax_precision")
    if precision:
        scores = scores.to(to_ember(precision, node.where()))
    row_max = ember.amax(scores, dim=-1, keepdim=True)
    masked_row = ember.isneginf(row_max)
    e = ember.exp(scores - ember.where(masked_row, ember.zeros_like(row_max), row_max))
    total = ember.sum(e, dim=-1, keepdim=True)
    probs = e / ember.where(total == 0, ember.ones_like(total), total)
    bias_max = ember.amax(bias, dim=-1, keepdim=True)
    probs = ember.where(ember.isneginf(bias_max), ember.zeros_like(probs), probs)
    if mode == 3:
        qk_out = probs
    y = ember.matmul(probs.to(dtype), v)
    if three_d:
        y = y.permute(0, 2, 1, 3).reshape(y.shape[0], y.shape[2], -1)
    return (y, present_key, present_value, qk_out.to(dtype))[: node.n_outputs]


@handler("LinearAttention", since=1)
def _linear_attention(
    node: Node,
    q: Tensor,
    k: Tensor,
    v: Tensor,
    past_state: Tensor | None = None,
    decay: Tensor | None = None,
    beta: Tensor | None = None,
) -> Any:
    rule = node.attr("update_rule", "gated_delta")
    gating, delta = rule in ("gated", "gated_delta"), rule in ("delta", "gated_delta")
    hq, hkv = node.attr("q_num_heads"), node.attr("kv_num_heads")
    out_dtype = q.dtype
    b, t, _ = q.shape
    f32 = ember.float32
    q4, k4, v4 = _heads(q, hq).to(f32), _heads(k, hkv).to(f32), _heads(v, hkv).to(f32)
    d_k, d_v = q4.shape[3], v4.shape[3]
    if decay is not None:
        if decay.shape[-1] == hkv:
            decay4 = decay.reshape(b, t, hkv, 1).permute(0, 2, 1, 3).to(f32)
        else:
            decay4 = _heads(decay, hkv).to(f32)
    if beta is not None:
        beta4 = beta.reshape(b, t, beta.shape[-1], 1).permute(0, 2, 1, 3).to(f32)
    state_dtype = past_state.dtype if past_state is not None else out_dtype
    state = past_state.to(f32) if past_state is not None else ember.zeros((b, hkv, d_k, d_v), dtype=f32, device=q.device)
    scale = node.attr("scale", 0.0) or 1 / math.sqrt(d_k)
    group = hq // hkv
    outs = []
    for i in range(t):
        qt, kt, vt = q4[:, :, i, :], k4[:, :, i, :], v4[:, :, i, :]
        if gating:
            state = state * ember.exp(decay4[:, :, i, :]).unsqueeze(-1)
        if delta:
            retrieved = ember.matmul(kt.unsqueeze(-2), state).squeeze(-2)
            vt = beta4[:, :, i, :] * (vt - retrieved)
        state = state + kt.unsqueeze(-1) * vt.unsqueeze(-2)
        read = ember.repeat_interleave(state, group, dim=1) if group > 1 else state
        outs.append(scale * ember.matmul(qt.unsqueeze(-2), read).squeeze(-2))
    y = ember.stack(outs, dim=2).permute(0, 2, 1, 3).reshape(b, t, hq * d_v).to(out_dtype)
    return (y, state.to(state_dtype))[: node.n_outputs] if node.n_outputs > 1 else y


@handler("CausalConvWithState", since=1)
def _causal_conv_with_state(
    node: Node, x: Tensor, w: Tensor, bias: Tensor | None = None, past_state: Tensor | None = None
) -> Any:
    batch, channels, _ = x.shape
    k = w.shape[2]
    pad = past_state if past_state is not None else ember.zeros((batch, channels, k - 1), dtype=x.dtype, device=x.device)
    padded = ember.cat([pad, x], dim=2)
    y = F.conv1d(padded, w, bias, groups=channels)
    if node.attr("activation", "none") in ("silu", "swish"):
        y32 = y.to(ember.float32)
        y = (y32 * ember.sigmoid(y32)).to(x.dtype)
    present = padded.narrow(2, padded.shape[2] - (k - 1), k - 1)
    return (y, present)[: node.n_outputs] if node.n_outputs > 1 else y
