"""Transformer, TransformerDecoder(Layer), MultiheadAttention and F.scaled_dot_product_attention against
NumPy references: masks (bool/float, key padding, causal), norm_first, batch_first, activations,
gradchecks in float64, PyTorch's state_dict keys and shapes (written out here, checked once against
PyTorch 2.13), and mask errors."""

from __future__ import annotations

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


def N(t):
    return t.detach().numpy()


def swapped(module, name, fn):
    """fn(*xs) with parameter `name` of `module` replaced by the last argument (gradcheck perturbs copies)."""

    def call(*args):
        saved = module._parameters[name]
        module._parameters[name] = args[-1]
        try:
            return fn(*args[:-1])
        finally:
            module._parameters[name] = saved

    return call


# -- NumPy references -------------------------------------------------------------------------------
def np_softmax(s):
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def np_mha(q, k, v, p, pre, nhead, mask=None):
    """q (L, N, E), k/v (S, N, E); `mask` additive, broadcastable to (N, H, L, S)."""
    e = q.shape[-1]
    w, b = p[pre + "in_proj_weight"], p[pre + "in_proj_bias"]
    qp, kp, vp = q @ w[:e].T + b[:e], k @ w[e : 2 * e].T + b[e : 2 * e], v @ w[2 * e :].T + b[2 * e :]

    def heads(x):
        return x.reshape(x.shape[0], x.shape[1], nhead, e // nhead).transpose(1, 2, 0, 3)

    s = heads(qp) @ np.swapaxes(heads(kp), -1, -2) / math.sqrt(e // nhead)
    if mask is not None:
        s = s + mask
    o = (np_softmax(s) @ heads(vp)).transpose(2, 0, 1, 3).reshape(q.shape[0], q.shape[1], e)
    return o @ p[pre + "out_proj.weight"].T + p[pre + "out_proj.bias"]


def np_ln(x, p, pre, eps=1e-5):
    m, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return (x - m) / np.sqrt(var + eps) * p[pre + "weight"] + p[pre + "bias"]


def np_decoder_layer(tgt, mem, p, nhead, norm_first, act, self_mask, cross_mask):
    def sa(x):
        return np_mha(x, x, x, p, "self_attn.", nhead, self_mask)

    def ca(x):
        return np_mha(x, mem, mem, p, "multihead_attn.", nhead, cross_mask)

    def ff(x):
        return act(x @ p["linear1.weight"].T + p["linear1.bias"]) @ p["linear2.weight"].T + p["linear2.bias"]

    x = tgt
    if norm_first:
        x = x + sa(np_ln(x, p, "norm1."))
        x = x + ca(np_ln(x, p, "norm2."))
        return x + ff(np_ln(x, p, "norm3."))
    x = np_ln(x + sa(x), p, "norm1.")
    x = np_ln(x + ca(x), p, "norm2.")
    return np_ln(x + ff(x), p, "norm3.")


def params(module):
    return {k: N(v) for k, v in module.state_dict().items()}


# -- state_dict keys and shapes, as PyTorch 2.13 prints them ---------------------------------------
def _layer_keys(pre, cross):
    attn = ["self_attn"] + (["multihead_attn"] if cross else [])
    out = []
    for a in attn:
        out += [(f"{pre}{a}.in_proj_weight", (24, 8)), (f"{pre}{a}.in_proj_bias", (24,)),
                (f"{pre}{a}.out_proj.weight", (8, 8)), (f"{pre}{a}.out_proj.bias", (8,))]  # fmt: skip
    out += [
        (f"{pre}linear1.weight", (16, 8)),
        (f"{pre}linear1.bias", (16,)),
        (f"{pre}linear2.weight", (8, 16)),
        (f"{pre}linear2.bias", (8,)),
    ]
    for i in range(1, 4 if cross else 3):
        out += [(f"{pre}norm{i}.weight", (8,)), (f"{pre}norm{i}.bias", (8,))]
    return out


TRANSFORMER_KEYS = (
    _layer_keys("encoder.layers.0.", False) + [("encoder.norm.weight", (8,)), ("encoder.norm.bias", (8,))]
    + _layer_keys("decoder.layers.0.", True) + [("decoder.norm.weight", (8,)), ("decoder.norm.bias", (8,))]
)  # fmt: skip
MHA_KDIM_KEYS = [
    ("q_proj_weight", (8, 8)), ("k_proj_weight", (8, 4)), ("v_proj_weight", (8, 6)), ("in_proj_bias", (24,)),
    ("bias_k", (1, 1, 8)), ("bias_v", (1, 1, 8)), ("out_proj.weight", (8, 8)), ("out_proj.bias", (8,)),
]  # fmt: skip


def keys(module):
    return [(k, tuple(v.shape)) for k, v in module.state_dict().items()]


def test_state_dict_keys_and_shapes_match_pytorch() -> None:
    assert keys(nn.Transformer(8, 2, 1, 1, 16)) == TRANSFORMER_KEYS
    assert keys(nn.TransformerDecoderLayer(8, 2, 16)) == _layer_keys("", True)
    assert keys(nn.MultiheadAttention(8, 2, add_bias_kv=True, add_zero_attn=True, kdim=4, vdim=6)) == MHA_KDIM_KEYS
    t = nn.Transformer(8, 2, 2, 3, 16)
    assert len(t.encoder.layers) == 2 and len(t.decoder.layers) == 3
    assert t.decoder.layers[0].linear1.weight is not t.decoder.layers[1].linear1.weight
    bound = math.sqrt(6 / (16 + 8))  # xavier_uniform_ on every weight of dimension > 1
    w = N(t.decoder.layers[1].linear1.weight)
    assert np.abs(w).max() <= bound and w.std() > bound / 3
    assert np.all(N(t.encoder.norm.weight) == 1.0)


# -- the decoder layer against NumPy ------------------------------------------------------------------
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_decoder_layer_matches_numpy(device, norm_first, batch_first) -> None:
    act, np_act = ("relu", lambda x: np.maximum(x, 0)) if norm_first else ((lambda t: t.tanh()), np.tanh)
    layer = nn.TransformerDecoderLayer(
        8, 2, 16, dropout=0.0, activation=act, batch_first=batch_first, norm_first=norm_first
    )
    layer = layer.to(device).double()
    with ember.no_grad():
        for mha in (layer.self_attn, layer.multihead_attn):
            mha.in_proj_bias.copy_(ember.randn(24, dtype=ember.float64, device=device))
    p = params(layer)
    tgt, mem = RNG.standard_normal((4, 2, 8)), RNG.standard_normal((5, 2, 8))
    causal = np.triu(np.full((4, 4), -np.inf), 1)
    tkpm = np.zeros((2, 4))
    tkpm[1, 2] = -0.7  # float key padding: added
    mkpm = np.zeros((2, 5), bool)
    mkpm[0, 3:] = True  # bool key padding: True = ignored
    self_mask = causal + tkpm[:, None, None, :]
    cross_mask = np.where(mkpm, -np.inf, 0.0)[:, None, None, :]
    ref = np_decoder_layer(tgt, mem, p, 2, norm_first, np_act, self_mask, cross_mask)

    def bf(a):
        return np.swapaxes(a, 0, 1) if batch_first else a

    got = layer(
        T(bf(tgt), device), T(bf(mem), device), tgt_mask=nn.Transformer.generate_square_subsequent_mask(4, device=device, dtype=ember.float64),
        tgt_key_padding_mask=T(tkpm, device), memory_key_padding_mask=T(mkpm, device), tgt_is_causal=True,
    )  # fmt: skip
    np.testing.assert_allclose(bf(N(got)), ref, rtol=1e-9, atol=1e-10)


def test_decoder_and_transformer_compose(device) -> None:
    t = nn.Transformer(8, 2, 2, 2, 16, dropout=0.0, activation="gelu").to(device).double()
    src, tgt = T(RNG.standard_normal((5, 3, 8)), device), T(RNG.standard_normal((4, 3, 8)), device)
    mask = nn.Transformer.generate_square_subsequent_mask(4, device=device, dtype=ember.float64)
    out = t(src, tgt, tgt_mask=mask)
    mem = t.encoder(src)
    x = tgt
    for layer in t.decoder.layers:
        x = layer(x, mem, tgt_mask=mask)
    np.testing.assert_allclose(N(out), N(t.decoder.norm(x)), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(N(out), N(t.decoder(tgt, mem, tgt_mask=mask)), rtol=1e-12, atol=1e-12)
    assert tuple(out.shape) == (4, 3, 8)
    # unbatched (L, E) is the batch of one
    one = t(src[:, 1], tgt[:, 1], tgt_mask=mask)
    np.testing.assert_allclose(N(one), N(out)[:, 1], rtol=1e-10, atol=1e-12)
    out.sum().backward()
    assert all(p.grad is not None for p in t.parameters())


def test_generate_square_subsequent_mask() -> None:
    m = nn.Transformer.generate_square_subsequent_mask(3)
    assert m.dtype is ember.float32
    np.testing.assert_array_equal(N(m), [[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]])
    assert nn.Transformer.generate_square_subsequent_mask(2, dtype=ember.float64).dtype is ember.float64


def test_mask_forms_agree(device) -> None:
    layer = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0).to(device).double()
    tgt, mem = T(RNG.standard_normal((4, 2, 8)), device), T(RNG.standard_normal((5, 2, 8)), device)
    fmask = nn.Transformer.generate_square_subsequent_mask(4, device=device, dtype=ember.float64)
    bmask = ember.ones(4, 4, dtype=ember.bool_, device=device).triu(1)  # True = masked out
    a = layer(tgt, mem, tgt_mask=fmask)
    np.testing.assert_allclose(N(layer(tgt, mem, tgt_mask=bmask)), N(a), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(N(layer(tgt, mem, tgt_mask=fmask, tgt_is_causal=True)), N(a), rtol=1e-12, atol=1e-12)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        layer(tgt, mem, tgt_is_causal=True)  # PyTorch: is_causal is a hint about the mask, not a mask
    # the padded memory positions do not matter; bool and float key padding agree
    kpm = np.zeros((2, 5), bool)
    kpm[1, 2:] = True
    mem2 = N(mem).copy()
    mem2[2:, 1] = 100.0
    b = layer(tgt, mem, memory_key_padding_mask=T(kpm, device))
    np.testing.assert_allclose(
        N(layer(tgt, T(mem2, device), memory_key_padding_mask=T(kpm, device))), N(b), rtol=1e-12, atol=1e-12
    )
    fk = T(np.where(kpm, -np.inf, 0.0), device)
    np.testing.assert_allclose(N(layer(tgt, mem, memory_key_padding_mask=fk)), N(b), rtol=1e-12, atol=1e-12)
    assert not np.allclose(N(b), N(layer(tgt, mem)))


def test_dropout_train_and_eval(device) -> None:
    layer = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.5).to(device)
    tgt, mem = ember.randn(4, 2, 8, device=device), ember.randn(5, 2, 8, device=device)
    layer.eval()
    np.testing.assert_array_equal(N(layer(tgt, mem)), N(layer(tgt, mem)))
    layer.train()
    assert not np.allclose(N(layer(tgt, mem)), N(layer(tgt, mem)))


def test_decoder_layer_gradcheck(device) -> None:
    layer = nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0, norm_first=True).to(device).double()
    tgt, mem = T(RNG.standard_normal((3, 1, 4)), device, True), T(RNG.standard_normal((2, 1, 4)), device, True)
    causal = nn.Transformer.generate_square_subsequent_mask(3, device=device, dtype=ember.float64)
    assert gradcheck(lambda a, b: layer(a, b, tgt_mask=causal, tgt_is_causal=True), (tgt, mem))
    ca = layer.multihead_attn
    assert gradcheck(swapped(ca, "in_proj_weight", lambda a, b: layer(a, b)), (tgt, mem, ca.in_proj_weight))


def test_transformer_errors(device) -> None:
    t = nn.Transformer(8, 2, 1, 1, 16).to(device)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        t(ember.randn(4, 2, 8, device=device), ember.randn(3, 3, 8, device=device))
    with pytest.raises(RuntimeError, match=r"the feature number of src and tgt must be equal to d_model \(8\)"):
        t(ember.randn(4, 2, 8, device=device), ember.randn(3, 2, 6, device=device))
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerDecoderLayer(8, 2, 16, activation="tanh")
    layer = nn.TransformerDecoderLayer(8, 2, 16).to(device)
    tgt, mem = ember.randn(4, 2, 8, device=device), ember.randn(5, 2, 8, device=device)
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is \(4, 5\), but should be \(4, 4\)"):
        layer(tgt, mem, tgt_mask=ember.zeros(4, 5, device=device))
    with pytest.raises(RuntimeError, match=r"The shape of the 3D attn_mask is \(2, 4, 5\), but should be \(4, 4, 5\)"):
        layer(tgt, mem, memory_mask=ember.zeros(2, 4, 5, device=device))
    with pytest.raises(TypeError, match="only bool and floating types of attn_mask are supported"):
        layer(tgt, mem, tgt_mask=ember.zeros(4, 4, dtype=ember.int64, device=device))
    with pytest.raises(ValueError, match=r"expected key_padding_mask of shape \(2, 5\).*got \(2, 4\)"):
        layer(tgt, mem, memory_key_padding_mask=ember.zeros(2, 4, dtype=ember.bool_, device=device))
    with pytest.raises(TypeError, match="only bool and floating types of key_padding_mask"):
        layer(tgt, mem, memory_key_padding_mask=ember.zeros(2, 5, dtype=ember.int32, device=device))


# -- MultiheadAttention --------------------------------------------------------------------------
def test_multihead_attention_equals_sdpa_on_projected_heads(device) -> None:
    e, h = 8, 2
    mha = nn.MultiheadAttention(e, h).to(device).double()
    q, k = T(RNG.standard_normal((3, 2, e)), device), T(RNG.standard_normal((5, 2, e)), device)
    masked = RNG.uniform(size=(3, 5)) > 0.6
    masked[:, 0] = False
    out, w = mha(q, k, k, attn_mask=T(masked, device), average_attn_weights=False)
    wi, bi = mha.in_proj_weight, mha.in_proj_bias

    def heads(x):
        return x.reshape(x.shape[0], 2, h, e // h).permute(1, 2, 0, 3)

    qh, kh, vh = (heads(F.linear(x, wi[i * e : (i + 1) * e], bi[i * e : (i + 1) * e])) for i, x in enumerate((q, k, k)))
    o = F.scaled_dot_product_attention(qh, kh, vh, attn_mask=T(~masked, device))  # SDPA: True = take part
    ref = mha.out_proj(o.permute(2, 0, 1, 3).reshape(3, 2, e))
    np.testing.assert_allclose(N(out), N(ref), rtol=1e-12, atol=1e-12)
    assert tuple(w.shape) == (2, h, 3, 5)
    np.testing.assert_array_equal(N(w)[:, :, masked], 0.0)


def test_multihead_attention_bias_kv_zero_attn_and_kdim(device) -> None:
    e, h = 8, 2
    mha = (
        nn.MultiheadAttention(e, h, add_bias_kv=True, add_zero_attn=True, kdim=4, vdim=6, batch_first=True)
        .to(device)
        .double()
    )
    with ember.no_grad():
        mha.in_proj_bias.copy_(ember.randn(3 * e, dtype=ember.float64, device=device))
    p = params(mha)
    q, k, v = RNG.standard_normal((2, 3, e)), RNG.standard_normal((2, 5, 4)), RNG.standard_normal((2, 5, 6))
    kpm = np.zeros((2, 5), bool)
    kpm[0, 4] = True
    out, w = mha(T(q, device), T(k, device), T(v, device), key_padding_mask=T(kpm, device))
    b = p["in_proj_bias"]
    qp = q @ p["q_proj_weight"].T + b[:e]
    kp = np.concatenate([k @ p["k_proj_weight"].T + b[e : 2 * e], np.broadcast_to(p["bias_k"][0], (2, 1, e))], 1)
    vp = np.concatenate([v @ p["v_proj_weight"].T + b[2 * e :], np.broadcast_to(p["bias_v"][0], (2, 1, e))], 1)

    def heads(x):  # (N, L, E) -> (N, H, L, hd)
        return x.reshape(x.shape[0], x.shape[1], h, e // h).transpose(0, 2, 1, 3)

    kh = np.concatenate([heads(kp), np.zeros((2, h, 1, e // h))], 2)
    vh = np.concatenate([heads(vp), np.zeros((2, h, 1, e // h))], 2)
    mask = np.where(np.concatenate([kpm, np.zeros((2, 2), bool)], 1), -np.inf, 0.0)[:, None, None, :]
    a = np_softmax(heads(qp) @ np.swapaxes(kh, -1, -2) / math.sqrt(e // h) + mask)
    ref = (a @ vh).transpose(0, 2, 1, 3).reshape(2, 3, e) @ p["out_proj.weight"].T + p["out_proj.bias"]
    np.testing.assert_allclose(N(out), ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(N(w), a.mean(1), rtol=1e-10, atol=1e-12)
    assert gradcheck(
        swapped(mha, "bias_k", lambda x: mha(x, T(k[:1, :2], device), T(v[:1, :2], device))[0]),
        (T(q[:1, :2], device, True), mha.bias_k),
    )  # fmt: skip


def test_multihead_attention_unbatched_and_3d_mask(device) -> None:
    mha = nn.MultiheadAttention(4, 2).to(device).double()
    x = T(RNG.standard_normal((3, 4)), device)
    m3 = RNG.uniform(size=(2, 3, 3)) > 0.5
    m3[..., 0] = False
    out, w = mha(x, x, x, attn_mask=T(m3, device))
    bout, bw = mha(x.unsqueeze(1), x.unsqueeze(1), x.unsqueeze(1), attn_mask=T(m3, device))
    np.testing.assert_allclose(N(out), N(bout)[:, 0], rtol=1e-12)
    np.testing.assert_allclose(N(w), N(bw)[0], rtol=1e-12)
    assert tuple(w.shape) == (3, 3)
    with pytest.raises(ValueError, match="query, key and value must all be 2-D"):
        mha(x, x.unsqueeze(1), x)
    with pytest.raises(ValueError, match="key shape .* does not match value shape"):
        mha(x.unsqueeze(1), x[:2].unsqueeze(1), x.unsqueeze(1))


# -- F.scaled_dot_product_attention --------------------------------------------------------------
def np_sdpa(q, k, v, mask=None, scale=None):
    s = q @ np.swapaxes(k, -1, -2) * (1 / math.sqrt(q.shape[-1]) if scale is None else scale)
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    return np_softmax(s) @ v


def test_sdpa_masks_scale_causal(device) -> None:
    q, k, v = RNG.standard_normal((2, 2, 3, 4)), RNG.standard_normal((2, 2, 5, 4)), RNG.standard_normal((2, 2, 5, 6))
    Q, K, V = T(q, device), T(k, device), T(v, device)
    fm = RNG.standard_normal((3, 5))
    np.testing.assert_allclose(
        N(F.scaled_dot_product_attention(Q, K, V, attn_mask=T(fm, device), scale=0.3)),
        np_sdpa(q, k, v, fm, 0.3),
        rtol=1e-10,
    )
    bm = RNG.uniform(size=(2, 1, 3, 5)) > 0.4
    bm[..., 1] = True
    np.testing.assert_allclose(
        N(F.scaled_dot_product_attention(Q, K, V, attn_mask=T(bm, device))), np_sdpa(q, k, v, bm), rtol=1e-10
    )
    causal = np.tril(np.ones((3, 5), bool))  # top-left aligned for L != S
    np.testing.assert_allclose(
        N(F.scaled_dot_product_attention(Q, K, V, is_causal=True)), np_sdpa(q, k, v, causal), rtol=1e-10
    )
    # a query row with every key masked out gives zeros (as PyTorch), also for -inf float masks
    dead = np.ones((3, 5), bool)
    dead[0] = False
    got = N(F.scaled_dot_product_attention(Q, K, V, attn_mask=T(dead, device)))
    np.testing.assert_array_equal(got[..., 0, :], 0.0)
    np.testing.assert_allclose(got[..., 1:, :], np_sdpa(q, k, v, dead)[..., 1:, :], rtol=1e-10)
    got = N(F.scaled_dot_product_attention(Q, K, V, attn_mask=T(np.where(dead, 0.0, -np.inf), device)))
    np.testing.assert_array_equal(got[..., 0, :], 0.0)
    np.testing.assert_array_equal(N(F.scaled_dot_product_attention(Q, K, V, dropout_p=1.0)), 0.0)


def test_sdpa_grouped_query_attention(device) -> None:
    q, k, v = RNG.standard_normal((2, 4, 3, 4)), RNG.standard_normal((2, 2, 5, 4)), RNG.standard_normal((2, 2, 5, 3))
    got = F.scaled_dot_product_attention(T(q, device), T(k, device), T(v, device), enable_gqa=True)
    ref = np_sdpa(q, np.repeat(k, 2, axis=1), np.repeat(v, 2, axis=1))  # head i uses key head i // 2
    np.testing.assert_allclose(N(got), ref, rtol=1e-10)
    with pytest.raises(RuntimeError, match="Number of heads in key and value must divide the number of heads in query"):
        F.scaled_dot_product_attention(
            T(q, device),
            T(np.tile(k[:, :1], (1, 3, 1, 1)), device),
            T(np.tile(v[:, :1], (1, 3, 1, 1)), device),
            enable_gqa=True,
        )


def test_sdpa_gradcheck(device) -> None:
    q, k, v = (T(RNG.standard_normal(s), device, True) for s in ((1, 2, 2, 3), (1, 1, 3, 3), (1, 1, 3, 2)))
    fm = T(RNG.standard_normal((2, 3)), device)
    assert gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, attn_mask=fm, enable_gqa=True), (q, k, v))
    assert gradcheck(
        lambda a, b, c: F.scaled_dot_product_attention(a, b.expand(1, 2, 3, 3), c.expand(1, 2, 3, 2), is_causal=True),
        (q, k, v),
    )


def test_sdpa_errors(device) -> None:
    q, k, v = (
        ember.randn(2, 3, 4, device=device),
        ember.randn(2, 5, 4, device=device),
        ember.randn(2, 5, 6, device=device),
    )
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
        F.scaled_dot_product_attention(
            q, k, v, attn_mask=ember.ones(3, 5, dtype=ember.bool_, device=device), is_causal=True
        )
    with pytest.raises(RuntimeError, match="Expected attn_mask dtype to be bool or float"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=ember.ones(3, 5, dtype=ember.int64, device=device))
    with pytest.raises(
        RuntimeError, match=r"attn_mask of shape \(3, 4\) does not broadcast to the attention scores' shape \(2, 3, 5\)"
    ):
        F.scaled_dot_product_attention(q, k, v, attn_mask=ember.zeros(3, 4, device=device))
    with pytest.raises(ValueError, match="do not fit together"):
        F.scaled_dot_product_attention(q, k[..., :3], v)


def test_assertion_errors_are_pytorchs_assertion_errors(device) -> None:
    """PyTorch rejects these with ``assert`` (AssertionError, per torch/nn/functional.py and
    torch/nn/modules/activation.py in 2.13); Ember raises its ValueError/TypeError that is also one."""
    with pytest.raises(AssertionError, match=r"embed_dim \(8\) must be divisible by num_heads \(3\)"):
        nn.MultiheadAttention(8, 3)
    with pytest.raises(AssertionError, match="must be divisible by num_heads"):
        nn.TransformerEncoderLayer(8, 3)
    m = nn.MultiheadAttention(8, 2, batch_first=True).to(device)
    x = ember.randn(2, 3, 8, device=device)
    with pytest.raises(AssertionError, match=r"expected query with last dimension 8 \(embed_dim\)"):
        m(ember.randn(2, 3, 6, device=device), x, x)
    with pytest.raises(AssertionError, match=r"key shape \(2, 3, 8\) does not match value shape \(2, 4, 8\)"):
        m(x, x, ember.randn(2, 4, 8, device=device))
    with pytest.raises(AssertionError, match=r"expected a 2-D \(unbatched\) or 3-D query"):
        m(x[None], x[None], x[None])
    with pytest.raises(AssertionError, match=r"expected key_padding_mask of shape \(2, 3\)"):
        m(x, x, x, key_padding_mask=ember.zeros(2, 4, dtype=ember.bool_, device=device))
    with pytest.raises(AssertionError, match="attn_mask's dimension 4 is not supported"):
        m(x, x, x, attn_mask=ember.zeros(1, 4, 3, 3, device=device))
    with pytest.raises(AssertionError, match="only bool and floating types of attn_mask"):
        m(x, x, x, attn_mask=ember.zeros(3, 3, dtype=ember.int64, device=device))
    with pytest.raises(AssertionError, match="key must end in kdim=5"):
        nn.MultiheadAttention(8, 2, kdim=5, vdim=5, batch_first=True).to(device)(x, x, ember.randn(2, 3, 5, device=device))
    with pytest.raises(AssertionError, match="src and tgt must both be 3-D"):
        nn.Transformer(8, 2, 1, 1, 16).to(device)(ember.randn(3, 8, device=device), x)


def test_sdpa_input_errors_name_the_op(device) -> None:
    """PyTorch raises RuntimeError for inputs under 2-D, mixed dtypes and mismatched sizes."""
    q = ember.randn(1, 2, 3, device=device)
    with pytest.raises(RuntimeError, match="scaled_dot_product_attention: Expected query, key, and value to all be at least 2"):
        F.scaled_dot_product_attention(q[0, 0], q[0, 0], q[0, 0])
    with pytest.raises(RuntimeError, match="scaled_dot_product_attention: Expected query, key, and value to have the same dtype"):
        F.scaled_dot_product_attention(q, q.double(), q)
    with pytest.raises(RuntimeError, match="do not fit together"):
        F.scaled_dot_product_attention(q, q, ember.randn(1, 4, 3, device=device))
    with pytest.raises(RuntimeError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        F.scaled_dot_product_attention(q, q, q, dropout_p=1.5)
    # PyTorch skips dropout for dropout_p <= 0
    np.testing.assert_allclose(
        N(F.scaled_dot_product_attention(q, q, q, dropout_p=-0.5)), N(F.scaled_dot_product_attention(q, q, q))
    )


def test_multihead_attention_repr_names_pytorchs_out_proj_class() -> None:
    # PyTorch 2.13's repr(nn.MultiheadAttention(8, 2))
    assert repr(nn.MultiheadAttention(8, 2)) == (
        "MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=8, out_features=8, bias=True)\n)"
    )
    assert isinstance(nn.MultiheadAttention(8, 2).out_proj, nn.Linear)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_sdpa_in_half_types_rounds_once(device, dtype) -> None:
    """PyTorch's kernels accumulate float16/bfloat16 attention in float32 and round the output once: every
    entry is within about half a unit in the last place of the exact result (rounding each matmul and the
    softmax, as Ember did, gave errors of many units on the small entries)."""
    dt = getattr(ember, dtype)
    x = np.random.default_rng(0).standard_normal((4, 3, 16, 32)) * 2
    try:
        q = ember.tensor(x, device=device).to(dt)
    except TypeError as exc:
        pytest.skip(f"device {device} holds no {dtype}: {exc}")
    xr = q.float().cpu().numpy().astype(np.float64)
    s = xr @ xr.swapaxes(-1, -2) / math.sqrt(32)
    e = np.exp(s - s.max(-1, keepdims=True))
    exact = (e / e.sum(-1, keepdims=True)) @ xr
    got = F.scaled_dot_product_attention(q, q, q)
    assert got.dtype is dt
    mag = np.maximum(np.abs(exact), 2.0**-14)
    unit = 2.0 ** (np.floor(np.log2(mag)) - (10 if dtype == "float16" else 7))
    ulp = np.abs(got.float().cpu().numpy().astype(np.float64) - exact) / unit
    assert ulp.max() <= 0.6, ulp.max()


def test_encoder_keeps_pytorchs_flags() -> None:
    """enable_nested_tensor as given; use_nested_tensor and activation_relu_or_gelu as PyTorch 2.13 sets them
    (values printed by PyTorch for these layers)."""
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2, enable_nested_tensor=False, mask_check=False)
    assert (enc.enable_nested_tensor, enc.use_nested_tensor, enc.mask_check) == (False, False, False)
    cases = [
        (dict(batch_first=True), True, 1), (dict(), False, 1), (dict(batch_first=True, norm_first=True), False, 1),
        (dict(batch_first=True, activation="gelu"), True, 2), (dict(batch_first=True, activation=nn.GELU()), True, 2),
        (dict(batch_first=True, activation=lambda x: x), False, 0), (dict(batch_first=True, bias=False), False, 1),
    ]  # fmt: skip
    for kw, nested, act in cases:
        layer = nn.TransformerEncoderLayer(8, 2, 16, **kw)
        enc = nn.TransformerEncoder(layer, 2)
        assert enc.enable_nested_tensor and enc.mask_check
        assert (enc.use_nested_tensor, layer.activation_relu_or_gelu) == (nested, act), kw
    assert not nn.TransformerEncoder(nn.TransformerEncoderLayer(9, 3, batch_first=True), 2).use_nested_tensor  # odd heads


def test_encoder_fast_path_returns_zeros_at_padding(device) -> None:
    """PyTorch's TransformerEncoder, in evaluation without autograd, runs a batch_first stack with a
    left-aligned src_key_padding_mask on nested tensors and pads the result with zeros: the padded
    positions come out 0 (then `norm`), the others as the layers compute them."""
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2).to(device).eval()
    x = ember.randn(2, 5, 8, device=device)
    kpm = T(np.array([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0]], bool), device)
    slow = N(enc(x, src_key_padding_mask=kpm))  # parameters require grad: the padded path
    assert np.abs(slow[0, 3:]).min() > 0
    with ember.no_grad():
        fast = N(enc(x, src_key_padding_mask=kpm))
        np.testing.assert_array_equal(fast[0, 3:], 0.0)
        np.testing.assert_allclose(fast[0, :3], slow[0, :3], rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(fast[1], slow[1], rtol=1e-6, atol=1e-6)
        float_mask = T(np.where(N(kpm), -np.inf, 0.0).astype(np.float32), device)
        np.testing.assert_array_equal(N(enc(x, src_key_padding_mask=float_mask))[0, 3:], 0.0)
        right = T(np.array([[1, 1, 0, 0, 0], [0, 0, 0, 0, 0]], bool), device)  # not left-aligned: padded path
        assert np.abs(N(enc(x, src_key_padding_mask=right))[0, :2]).min() > 0
        with_mask = N(enc(x, mask=nn.Transformer.generate_square_subsequent_mask(5, device=device), src_key_padding_mask=kpm))
        assert np.abs(with_mask[0, 3:]).min() > 0  # mask and key padding mask together: padded path
        normed = nn.TransformerEncoder(enc.layers[0], 1, norm=nn.LayerNorm(8)).to(device).eval()
        with ember.no_grad():
            normed.norm.bias.copy_(ember.arange(8, dtype=ember.float32, device=device))
        np.testing.assert_allclose(N(normed(x, src_key_padding_mask=kpm))[0, 3:], np.tile(np.arange(8.0), (2, 1)))
    enc.train()
    with ember.no_grad():
        assert np.abs(N(enc(x, src_key_padding_mask=kpm))[0, 3:]).min() > 0  # training: padded path


def test_multi_head_attention_forward_matches_numpy(device) -> None:
    """F.multi_head_attention_forward (sequence-first, PyTorch's argument order) against the NumPy reference;
    separate projection weights; static_k/static_v replace the projected keys/values; errors."""
    e, h, lq, s, n = 8, 2, 3, 5, 2
    p = {
        "in_proj_weight": RNG.standard_normal((3 * e, e)) * 0.4,
        "in_proj_bias": RNG.standard_normal(3 * e) * 0.1,
        "out_proj.weight": RNG.standard_normal((e, e)) * 0.4,
        "out_proj.bias": RNG.standard_normal(e) * 0.1,
    }
    q, k = RNG.standard_normal((lq, n, e)), RNG.standard_normal((s, n, e))
    mask = RNG.standard_normal((lq, s))
    kpm = np.zeros((n, s), bool)
    kpm[1, 3:] = True
    t = {name: T(v, device) for name, v in p.items()}
    args = (e, h, t["in_proj_weight"], t["in_proj_bias"], None, None, False, 0.5, t["out_proj.weight"], t["out_proj.bias"])
    out, w = F.multi_head_attention_forward(
        T(q, device), T(k, device), T(k, device), *args, training=False, key_padding_mask=T(kpm, device),
        attn_mask=T(mask, device), average_attn_weights=False,
    )  # fmt: skip
    full = mask[None, None] + np.where(kpm, -np.inf, 0.0)[:, None, None, :]
    np.testing.assert_allclose(N(out), np_mha(q, k, k, p, "", h, full), rtol=1e-10, atol=1e-12)
    assert tuple(w.shape) == (n, h, lq, s)
    np.testing.assert_allclose(N(w).sum(-1), np.ones((n, h, lq)), rtol=1e-12)
    # the same weights passed as q/k/v_proj_weight
    wi = t["in_proj_weight"]
    sep, _ = F.multi_head_attention_forward(
        T(q, device), T(k, device), T(k, device), e, h, None, t["in_proj_bias"], None, None, False, 0.0,
        t["out_proj.weight"], t["out_proj.bias"], use_separate_proj_weight=True,
        q_proj_weight=wi[:e], k_proj_weight=wi[e : 2 * e], v_proj_weight=wi[2 * e :], need_weights=False,
    )  # fmt: skip
    np.testing.assert_allclose(N(sep), np_mha(q, k, k, p, "", h), rtol=1e-10, atol=1e-12)
    # static_k/static_v (N*H, S, hd): the keys/values already projected and split into heads
    hd = e // h
    wk, bk = p["in_proj_weight"][e : 2 * e], p["in_proj_bias"][e : 2 * e]
    wv, bv = p["in_proj_weight"][2 * e :], p["in_proj_bias"][2 * e :]

    def split(x):  # (S, N, E) -> (N*H, S, hd)
        return x.reshape(s, n * h, hd).transpose(1, 0, 2)

    static, _ = F.multi_head_attention_forward(
        T(q, device), T(q, device), T(q, device), *args, training=False,
        static_k=T(split(k @ wk.T + bk), device), static_v=T(split(k @ wv.T + bv), device),
    )  # fmt: skip
    np.testing.assert_allclose(N(static), np_mha(q, k, k, p, "", h), rtol=1e-10, atol=1e-12)
    with pytest.raises(AssertionError, match="was expecting embedding dimension of 6, but got 8"):
        F.multi_head_attention_forward(T(q, device), T(k, device), T(k, device), 6, *args[1:])
    with pytest.raises(AssertionError, match="use_separate_proj_weight is True but q_proj_weight"):
        F.multi_head_attention_forward(T(q, device), T(k, device), T(k, device), *args, use_separate_proj_weight=True)


def test_multihead_attention_row_with_every_key_masked(device) -> None:
    """PyTorch 2.13: with need_weights (the default) MultiheadAttention's softmax of an all -inf row is NaN,
    in the output and the weights; with need_weights=False it goes through scaled_dot_product_attention,
    whose such rows attend to nothing (the output is out_proj's bias)."""
    m = nn.MultiheadAttention(8, 2, batch_first=True).to(device).eval()
    with ember.no_grad():
        m.out_proj.bias.copy_(ember.arange(8, dtype=ember.float32, device=device))
    x = ember.randn(2, 5, 8, device=device)
    kpm = T(np.array([[1, 1, 1, 1, 1], [0, 0, 0, 1, 1]], bool), device)
    row = np.zeros((5, 5), bool)
    row[1] = True
    for masks in ({"key_padding_mask": kpm}, {"attn_mask": T(row, device)}):
        out, w = m(x, x, x, **masks)
        bad = (0, slice(None)) if "key_padding_mask" in masks else (slice(None), 1)
        assert np.isnan(N(out)[bad]).all() and np.isnan(N(w)[bad]).all()
        good = N(out)[1] if "key_padding_mask" in masks else N(out)[:, [0, 2, 3, 4]]
        assert np.isfinite(good).all()
        out, none = m(x, x, x, need_weights=False, **masks)
        assert none is None
        np.testing.assert_allclose(N(out)[bad], np.broadcast_to(np.arange(8.0), N(out)[bad].shape), atol=1e-6)
