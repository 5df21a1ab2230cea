"""ONNX recurrent layers: RNN, GRU and LSTM (directions, sequence lengths, layouts, activations, clip, peepholes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ember
import ember.nn.functional as F
from ember import Tensor

from ..ops_table import Node, handler

Act = Callable[[Tensor], Tensor]


def _activation(node: Node, name: str, alpha: float | None, beta: float | None) -> Act:
    """One of ONNX's named RNN activation functions, with its alpha/beta."""
    key = name.lower()
    if key == "tanh":
        return ember.tanh
    if key == "sigmoid":
        return ember.sigmoid
    if key == "relu":
        return ember.relu
    if key == "affine":
        return lambda x: (1.0 if alpha is None else alpha) * x + (0.0 if beta is None else beta)
    if key == "leakyrelu":
        return lambda x: F.leaky_relu(x, 0.01 if alpha is None else alpha)
    if key == "thresholdedrelu":
        return lambda x: ember.where(x > (1.0 if alpha is None else alpha), x, ember.zeros_like(x))
    if key == "scaledtanh":
        return lambda x: (1.0 if alpha is None else alpha) * ember.tanh((1.0 if beta is None else beta) * x)
    if key == "hardsigmoid":
        return lambda x: ember.clamp((0.2 if alpha is None else alpha) * x + (0.5 if beta is None else beta), 0.0, 1.0)
    if key == "elu":
        return lambda x: F.elu(x, 1.0 if alpha is None else alpha)
    if key == "softsign":
        return F.softsign
    if key == "softplus":
        return F.softplus
    raise node.error(f"unknown activation {name!r}")


def _activations(node: Node, defaults: list[str], directions: int) -> list[list[Act]]:
    names = node.attr("activations") or defaults * directions
    alphas = list(node.attr("activation_alpha") or [])
    betas = list(node.attr("activation_beta") or [])
    fns = [
        _activation(node, n, alphas[i] if i < len(alphas) else None, betas[i] if i < len(betas) else None)
        for i, n in enumerate(names)
    ]
    k = len(defaults)
    if len(fns) == k and directions == 2:
        fns = fns * 2
    return [fns[d * k : (d + 1) * k] for d in range(directions)]


def _run(node: Node, kind: str, x: Tensor, w: Tensor, r: Tensor, b: Tensor | None, lens: Tensor | None,
         h0: Tensor | None, c0: Tensor | None = None, p: Tensor | None = None) -> Any:
    hidden = node.attr("hidden_size") or r.shape[-1]
    layout = node.attr("layout", 0)
    if layout:
        x = x.transpose(0, 1)
        h0 = h0.transpose(0, 1) if h0 is not None else None
        c0 = c0.transpose(0, 1) if c0 is not None else None
    seq, batch = x.shape[0], x.shape[1]
    direction = node.attr("direction", "forward")
    dirs = 2 if direction == "bidirectional" else 1
    gates = {"RNN": 1, "GRU": 3, "LSTM": 4}[kind]
    defaults = {"RNN": ["Tanh"], "GRU": ["Sigmoid", "Tanh"], "LSTM": ["Sigmoid", "Tanh", "Tanh"]}[kind]
    acts = _activations(node, defaults, dirs)
    clip = node.attr("clip")
    lengths = node.ints(lens) if lens is not None else [seq] * batch
    valid = [
        ember.tensor([[1.0] if t < n else [0.0] for n in lengths], dtype=x.dtype, device=x.device) for t in range(seq)
    ]
    ys, hs, cs = [], [], []
    for d in range(dirs):
        reverse = direction == "reverse" or d == 1
        wd, rd = w[d], r[d]
        wb = b[d].narrow(0, 0, gates * hidden) if b is not None else None
        rb = b[d].narrow(0, gates * hidden, gates * hidden) if b is not None else None
        h = h0[d] if h0 is not None else ember.zeros((batch, hidden), dtype=x.dtype, device=x.device)
        c = c0[d] if c0 is not None else ember.zeros((batch, hidden), dtype=x.dtype, device=x.device)
        peep = p[d] if p is not None else None
        outs: list[Tensor | None] = [None] * seq
        order = range(seq - 1, -1, -1) if reverse else range(seq)
        for t in order:
            xw = ember.matmul(x[t], wd.t())
            if wb is not None:
                xw = xw + wb
            h_new, c_new = _cell(node, kind, xw, h, c, rd, rb, peep, acts[d], hidden, clip)
            m = valid[t]
            h = m * h_new + (1 - m) * h
            c = m * c_new + (1 - m) * c if kind == "LSTM" else c
            outs[t] = m * h_new
        ys.append(ember.stack(outs, dim=0))
        hs.append(h)
        cs.append(c)
    y = ember.stack(ys, dim=1)  # (seq, dirs, batch, hidden)
    y_h = ember.stack(hs, dim=0)
    y_c = ember.stack(cs, dim=0)
    if layout:
        y = y.permute(2, 0, 1, 3)
        y_h, y_c = y_h.transpose(0, 1), y_c.transpose(0, 1)
    results = (y, y_h, y_c) if kind == "LSTM" else (y, y_h)
    return results[: node.n_outputs] if node.n_outputs > 1 else results[0]


def _clip(t: Tensor, clip: float | None) -> Tensor:
    return ember.clamp(t, -clip, clip) if clip else t


def _cell(node: Node, kind: str, xw: Tensor, h: Tensor, c: Tensor, r: Tensor, rb: Tensor | None,
          peep: Tensor | None, acts: list[Act], hidden: int, clip: float | None) -> tuple[Tensor, Tensor]:
    hr = ember.matmul(h, r.t())
    if rb is not None:
        hr = hr + rb
    if kind == "RNN":
        return acts[0](_clip(xw + hr, clip)), c
    if kind == "GRU":
        f, g = acts
        xz, xr, xh = (xw.narrow(1, i * hidden, hidden) for i in range(3))
        hz, hrr, hh = (hr.narrow(1, i * hidden, hidden) for i in range(3))
        z = f(_clip(xz + hz, clip))
        rg = f(_clip(xr + hrr, clip))
        if node.attr("linear_before_reset", 0):
            cand = g(_clip(xh + rg * hh, clip))
        else:
            rh = ember.matmul(rg * h, r.narrow(0, 2 * hidden, hidden).t())
            if rb is not None:
                rh = rh + rb.narrow(0, 2 * hidden, hidden)
            cand = g(_clip(xh + rh, clip))
        return (1 - z) * cand + z * h, c
    f, g, hact = acts
    s = xw + hr
    si, so, sf, sc = (s.narrow(1, k * hidden, hidden) for k in range(4))
    if peep is not None:
        pi, po, pf = (peep.narrow(0, k * hidden, hidden) for k in range(3))
        si, sf = si + pi * c, sf + pf * c
    i = f(_clip(si, clip))
    fg = f(_clip(sf, clip))
    if node.attr("input_forget", 0):
        fg = 1 - i
    cand = g(_clip(sc, clip))
    c_new = fg * c + i * cand
    if peep is not None:
        so = so + peep.narrow(0, hidden, hidden) * c_new
    o = f(_clip(so, clip))
    return o * hact(c_new), c_new


@handler("RNN", since=7)
def _rnn(node: Node, x: Tensor, w: Tensor, r: Tensor, b: Tensor | None = None, lens: Tensor | None = None,
         h0: Tensor | None = None) -> Any:
    return _run(node, "RNN", x, w, r, b, lens, h0)


@handler("GRU", since=7)
def _gru(node: Node, x: Tensor, w: Tensor, r: Tensor, b: Tensor | None = None, lens: Tensor | None = None,
         h0: Tensor | None = None) -> Any:
    return _run(node, "GRU", x, w, r, b, lens, h0)


@handler("LSTM", since=7)
def _lstm(node: Node, x: Tensor, w: Tensor, r: Tensor, b: Tensor | None = None, lens: Tensor | None = None,
          h0: Tensor | None = None, c0: Tensor | None = None, p: Tensor | None = None) -> Any:
    return _run(node, "LSTM", x, w, r, b, lens, h0, c0, p)
