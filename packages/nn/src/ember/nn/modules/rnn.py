"""Recurrent layers: `RNN`, `LSTM`, `GRU` (PyTorch's parameter names, gate order and initialisation)."""

from __future__ import annotations

import math
from typing import Any

import ember
from ember import Tensor

from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU"]


class RNNBase(Module):
    """Shared machinery: parameters ``weight_ih_l{k}[_reverse]``, ``weight_hh_l{k}``, ``bias_ih_l{k}``,
    ``bias_hh_l{k}``; inputs (L, N, H_in) or (N, L, H_in) with `batch_first`, or unbatched (L, H_in)."""

    _gates = 1
    _mode = "RNN"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if proj_size:
            raise NotImplementedError(f"{self._mode}: proj_size is not supported yet")
        if not 0 <= dropout <= 1:
            raise ValueError(f"dropout should be a number in range [0, 1], got {dropout}")
        if hidden_size <= 0 or num_layers <= 0:
            raise ValueError("hidden_size and num_layers must be positive")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        dirs = 2 if bidirectional else 1
        g = self._gates * hidden_size
        for layer in range(num_layers):
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                in_size = input_size if layer == 0 else hidden_size * dirs
                setattr(self, "weight_ih" + sfx, Parameter(ember.empty(g, in_size, device=device, dtype=dtype)))
                setattr(self, "weight_hh" + sfx, Parameter(ember.empty(g, hidden_size, device=device, dtype=dtype)))
                if bias:
                    setattr(self, "bias_ih" + sfx, Parameter(ember.empty(g, device=device, dtype=dtype)))
                    setattr(self, "bias_hh" + sfx, Parameter(ember.empty(g, device=device, dtype=dtype)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -stdv, stdv)

    def _weights(self, layer: int, d: int) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
        sfx = f"_l{layer}" + ("_reverse" if d else "")
        g = self.__getattr__
        return g("weight_ih" + sfx), g("weight_hh" + sfx), g("bias_ih" + sfx) if self.bias else None, g("bias_hh" + sfx) if self.bias else None

    def _cell(self, xw: Tensor, h: Any, w_hh: Tensor, b_hh: Tensor | None) -> tuple[Tensor, Any]:
        raise NotImplementedError

    def _zero_state(self, n: int, x: Tensor) -> Any:
        dirs = 2 if self.bidirectional else 1
        return ember.zeros(self.num_layers * dirs, n, self.hidden_size, dtype=x.dtype, device=x.device)

    def _split_state(self, hx: Any, layer_dir: int) -> Any:
        return hx[layer_dir]

    def _stack_states(self, states: list[Any]) -> Any:
        return ember.stack(states, 0)

    def forward(self, input: Tensor, hx: Any = None) -> tuple[Tensor, Any]:  # noqa: A002
        name = self._mode
        if input.ndim not in (2, 3):
            raise ValueError(f"{name}: expected a 2-D (unbatched) or 3-D input, got a {input.ndim}-D input of shape {tuple(input.shape)}")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input.size(-1) must be equal to input_size. Expected {self.input_size}, got {input.shape[-1]}")
        unbatched = input.ndim == 2
        x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if self.batch_first else input)
        seq, n = x.shape[0], x.shape[1]
        dirs = 2 if self.bidirectional else 1
        if hx is None:
            hx = self._zero_state(n, x)
        elif unbatched:
            hx = tuple(h.unsqueeze(1) for h in hx) if isinstance(hx, tuple) else hx.unsqueeze(1)
        self._check_state(hx, n)
        finals = []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                w_ih, w_hh, b_ih, b_hh = self._weights(layer, d)
                xw = F.linear(x, w_ih, b_ih)  # all time steps at once: (L, N, G*H)
                h = self._split_state(hx, layer * dirs + d)
                steps = range(seq - 1, -1, -1) if d else range(seq)
                ys: list[Tensor] = []
                for t in steps:
                    y, h = self._cell(xw[t], h, w_hh, b_hh)
                    ys.append(y)
                if d:
                    ys.reverse()  # the reverse direction ran from the last step: back to time order
                outs.append(ember.stack(ys, 0))
                finals.append(h)
            x = outs[0] if dirs == 1 else ember.cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        state = self._stack_states(finals)
        if unbatched:
            return x.squeeze(1), (tuple(s.squeeze(1) for s in state) if isinstance(state, tuple) else state.squeeze(1))
        return (x.transpose(0, 1) if self.batch_first else x), state

    def _check_state(self, hx: Any, n: int) -> None:
        dirs = 2 if self.bidirectional else 1
        want = (self.num_layers * dirs, n, self.hidden_size)
        for h in hx if isinstance(hx, tuple) else (hx,):
            if tuple(h.shape) != want:
                raise ValueError(f"{self._mode}: expected hidden size {want}, got {tuple(h.shape)}")

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    """Elman RNN: ``h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)`` with act tanh or relu."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity {nonlinearity!r}. Select from 'tanh' or 'relu'.")
        self.__dict__["nonlinearity"] = nonlinearity
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, 0, device, dtype
        )

    def _cell(self, xw: Tensor, h: Any, w_hh: Tensor, b_hh: Tensor | None) -> tuple[Tensor, Any]:
        pre = xw + F.linear(h, w_hh, b_hh)
        h = pre.tanh() if self.nonlinearity == "tanh" else pre.relu()
        return h, h

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s + (", nonlinearity='relu'" if self.nonlinearity == "relu" else "")


class LSTM(RNNBase):
    """LSTM with gates (input, forget, cell, output) in that order; state (h, c)."""

    _gates = 4
    _mode = "LSTM"

    def _zero_state(self, n: int, x: Tensor) -> Any:
        z = super()._zero_state(n, x)
        return (z, ember.zeros_like(z))

    def _split_state(self, hx: Any, layer_dir: int) -> Any:
        return (hx[0][layer_dir], hx[1][layer_dir])

    def _stack_states(self, states: list[Any]) -> Any:
        return (ember.stack([s[0] for s in states], 0), ember.stack([s[1] for s in states], 0))

    def _cell(self, xw: Tensor, h: Any, w_hh: Tensor, b_hh: Tensor | None) -> tuple[Tensor, Any]:
        hp, cp = h
        gates = xw + F.linear(hp, w_hh, b_hh)
        i, f, g, o = gates.chunk(4, -1)
        c = f.sigmoid() * cp + i.sigmoid() * g.tanh()
        hn = o.sigmoid() * c.tanh()
        return hn, (hn, c)

    def forward(self, input: Tensor, hx: Any = None) -> tuple[Tensor, Any]:  # noqa: A002
        if hx is not None and not (isinstance(hx, tuple) and len(hx) == 2):
            raise TypeError("LSTM: hx must be a tuple (h_0, c_0)")
        return super().forward(input, hx)


class GRU(RNNBase):
    """GRU with gates (reset, update, new): ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``,
    ``h' = (1 - z) * n + z * h``."""

    _gates = 3
    _mode = "GRU"

    def _cell(self, xw: Tensor, h: Any, w_hh: Tensor, b_hh: Tensor | None) -> tuple[Tensor, Any]:
        hw = F.linear(h, w_hh, b_hh)
        xr, xz, xn = xw.chunk(3, -1)
        hr, hz, hn = hw.chunk(3, -1)
        r = (xr + hr).sigmoid()
        z = (xz + hz).sigmoid()
        n = (xn + r * hn).tanh()
        hnew = (1 - z) * n + z * h
        return hnew, hnew
