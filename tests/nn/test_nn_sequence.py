"""RNN, LSTM, GRU, attention and the Transformer encoder against NumPy references, with gradchecks."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck

RNG = np.random.default_rng(99)


def T(a, device, grad=False, dtype=None):
    return ember.tensor(np.asarray(a), device=device, requires_grad=grad, dtype=dtype)


def swapped(module, name, fn):
    """fn(x, p) with parameter `name` of `module` replaced by p for the call (gradcheck perturbs copies)."""

    def call(x, p):
        saved = module._parameters[name]
        module._parameters[name] = p
        try:
            return fn(x)
        finally:
            module._parameters[name] = saved

    return call


def sig(x):
    return 1 / (1 + np.exp(-x))


def ref_cell(kind, x, h, c, wi, wh, bi, bh):
    gi, gh = x @ wi.T + bi, h @ wh.T + bh
    if kind == "RNN":
        return np.tanh(gi + gh), None
    if kind == "LSTM":
        i, f, g, o = np.split(gi + gh, 4, -1)
        c = sig(f) * c + sig(i) * np.tanh(g)
        return sig(o) * np.tanh(c), c
    ir, iz, in_ = np.split(gi, 3, -1)
    hr, hz, hn = np.split(gh, 3, -1)
    r, z = sig(ir + hr), sig(iz + hz)
    n = np.tanh(in_ + r * hn)
    return (1 - z) * n + z * h, None


def ref_rnn(kind, module, x):
    """x (L, N, H_in) -> output (L, N, dirs*H), h_n (layers*dirs, N, H) [, c_n]."""
    p = {k: v.detach().numpy().astype(np.float64) for k, v in module.named_parameters()}
    dirs = 2 if module.bidirectional else 1
    hs, cs = [], []
    inp = x
    for layer in range(module.num_layers):
        outs = []
        for d in range(dirs):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            h = np.zeros((x.shape[1], module.hidden_size))
            c = np.zeros_like(h)
            ys = [None] * x.shape[0]
            for t in (range(x.shape[0] - 1, -1, -1) if d else range(x.shape[0])):
                h, c2 = ref_cell(kind, inp[t], h, c, p["weight_ih" + sfx], p["weight_hh" + sfx], p["bias_ih" + sfx], p["bias_hh" + sfx])
                c = c2 if c2 is not None else c
                ys[t] = h
            outs.append(np.stack(ys))
            hs.append(h)
            cs.append(c)
        inp = np.concatenate(outs, -1)
    return inp, np.stack(hs), np.stack(cs)


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
@pytest.mark.parametrize("layers,bidirectional,batch_first", [(1, False, False), (2, True, True)])
def test_recurrent_layers_match_reference(device, cls, layers, bidirectional, batch_first) -> None:
    m = cls(3, 4, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first).to(device).double()
    x = RNG.standard_normal((5, 2, 3))
    out, state = m(T(np.swapaxes(x, 0, 1) if batch_first else x, device))
    ref_out, ref_h, ref_c = ref_rnn(cls.__name__, m, x)
    got = out.detach().numpy()
    np.testing.assert_allclose(np.swapaxes(got, 0, 1) if batch_first else got, ref_out, rtol=1e-10, atol=1e-12)
    h = state[0] if cls is nn.LSTM else state
    np.testing.assert_allclose(h.detach().numpy(), ref_h, rtol=1e-10, atol=1e-12)
    if cls is nn.LSTM:
        np.testing.assert_allclose(state[1].detach().numpy(), ref_c, rtol=1e-10, atol=1e-12)
    names = [n for n, _ in m.named_parameters()]
    assert names[:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    assert ("weight_ih_l0_reverse" in names) == bidirectional


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_recurrent_gradcheck_and_unbatched(device, cls) -> None:
    m = cls(2, 2, bidirectional=True).to(device).double()
    x = T(RNG.standard_normal((3, 1, 2)), device, True)
    for name in ("weight_hh_l0", "bias_ih_l0_reverse"):
        assert gradcheck(swapped(m, name, lambda a: m(a)[0]), (x, m._parameters[name]))
    out, _ = m(T(RNG.standard_normal((3, 2)), device))
    assert out.shape == (3, 4)
    h0 = T(RNG.standard_normal((2, 1, 2)), device, True)
    init_state = (h0, ember.zeros_like(h0)) if cls is nn.LSTM else h0
    m(x, init_state)[0].sum().backward()
    assert h0.grad is not None
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. Expected 2, got 3"):
        m(ember.ones(3, 1, 3, device=device, dtype=ember.float64))


def ref_attention(q, k, v, mask=None):
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        s = np.where(mask, s, -np.inf)
    e = np.exp(s - s.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True)) @ v


def test_scaled_dot_product_attention(device) -> None:
    q, k, v = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 5, 4)), RNG.standard_normal((2, 5, 6))
    np.testing.assert_allclose(F.scaled_dot_product_attention(T(q, device), T(k, device), T(v, device)).numpy(), ref_attention(q, k, v), rtol=1e-10)
    mask = RNG.uniform(size=(3, 5)) > 0.3
    mask[:, 0] = True
    np.testing.assert_allclose(
        F.scaled_dot_product_attention(T(q, device), T(k, device), T(v, device), attn_mask=T(mask, device)).numpy(),
        ref_attention(q, k, v, mask), rtol=1e-10,
    )  # fmt: skip
    causal = np.tril(np.ones((3, 5), bool))
    np.testing.assert_allclose(
        F.scaled_dot_product_attention(T(q, device), T(k, device), T(v, device), is_causal=True).numpy(),
        ref_attention(q, k, v, causal), rtol=1e-10,
    )  # fmt: skip
    assert gradcheck(F.scaled_dot_product_attention, (T(q[:1], device, True), T(k[:1], device, True), T(v[:1], device, True)))


def test_multihead_attention_matches_reference(device) -> None:
    e, h = 6, 2
    mha = nn.MultiheadAttention(e, h).to(device).double()
    with ember.no_grad():
        mha.in_proj_bias.copy_(ember.randn(3 * e, dtype=ember.float64, device=device))
    q, k = RNG.standard_normal((4, 2, e)), RNG.standard_normal((5, 2, e))
    kpm = np.zeros((2, 5), bool)
    kpm[1, 3:] = True
    out, wts = mha(T(q, device), T(k, device), T(k, device), key_padding_mask=T(kpm, device))
    w = mha.in_proj_weight.detach().numpy()
    b = mha.in_proj_bias.detach().numpy()
    qp, kp, vp = q @ w[:e].T + b[:e], k @ w[e : 2 * e].T + b[e : 2 * e], k @ w[2 * e :].T + b[2 * e :]

    def heads(x):  # (L, N, E) -> (N, H, L, hd)
        return x.reshape(x.shape[0], 2, h, e // h).transpose(1, 2, 0, 3)

    mask = ~kpm[:, None, None, :]
    s = heads(qp) @ np.swapaxes(heads(kp), -1, -2) / np.sqrt(e // h)
    s = np.where(mask, s, -np.inf)
    a = np.exp(s - s.max(-1, keepdims=True))
    a /= a.sum(-1, keepdims=True)
    o = (a @ heads(vp)).transpose(2, 0, 1, 3).reshape(4, 2, e)
    ref = o @ mha.out_proj.weight.detach().numpy().T + mha.out_proj.bias.detach().numpy()
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(wts.detach().numpy(), a.mean(1), rtol=1e-10, atol=1e-12)
    assert gradcheck(swapped(mha, "in_proj_weight", lambda x: mha(x, x, x)[0]), (T(q[:2, :1], device, True), mha.in_proj_weight))
    bf = nn.MultiheadAttention(e, h, batch_first=True, kdim=3, vdim=5).to(device)
    out, wts = bf(ember.randn(2, 4, e, device=device), ember.randn(2, 7, 3, device=device), ember.randn(2, 7, 5, device=device), need_weights=False)
    assert out.shape == (2, 4, e) and wts is None
    with pytest.raises(ValueError, match="divisible"):
        nn.MultiheadAttention(5, 2)


def test_transformer_encoder(device) -> None:
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True)
    enc = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8)).to(device)
    assert enc.layers[0].linear1.weight is not enc.layers[1].linear1.weight  # deep copies
    x = ember.randn(3, 5, 8, device=device)
    kpm = ember.zeros(3, 5, dtype=ember.bool_, device=device)
    y = enc(x, src_key_padding_mask=kpm)
    assert y.shape == (3, 5, 8)
    # post-norm by hand for one layer
    l0 = enc.layers[0]
    a = l0.self_attn(x, x, x, need_weights=False)[0]
    h = l0.norm1(x + a)
    ref = l0.norm2(h + l0.linear2(l0.linear1(h).relu()))
    np.testing.assert_allclose(l0(x).detach().numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    y.sum().backward()
    assert all(p.grad is not None for p in enc.parameters())
    pre = nn.TransformerEncoderLayer(8, 2, 16, 0.0, activation="gelu", norm_first=True).to(device)
    causal = nn.Transformer.generate_square_subsequent_mask(5, device=device)
    assert pre(ember.randn(5, 3, 8, device=device), src_mask=causal, is_causal=True).shape == (5, 3, 8)
