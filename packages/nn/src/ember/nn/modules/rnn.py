"""Recurrent layers `RNN`, `LSTM`, `GRU` and cells `RNNCell`, `LSTMCell`, `GRUCell` (PyTorch's
parameter names, gate order and initialisation); the layers take padded batches or a `PackedSequence`."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import ember
from ember import Tensor

from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

# One time step of each mode, shared by the layers and the cells. `xw` is the input already
# multiplied by W_ih (plus b_ih), `state` a tuple (h,) or (h, c); returns the new state tuple, whose
# first entry is the step's output. `w_hr` is LSTM's projection (proj_size), else None.
_Step = Callable[[Tensor, tuple[Tensor, ...], Tensor, "Tensor | None", "Tensor | None"], tuple[Tensor, ...]]


def _rnn_tanh_step(
    xw: Tensor, state: tuple[Tensor, ...], w_hh: Tensor, b_hh: Tensor | None, w_hr: Tensor | None
) -> tuple[Tensor, ...]:
    return ((xw + F.linear(state[0], w_hh, b_hh)).tanh(),)


def _rnn_relu_step(
    xw: Tensor, state: tuple[Tensor, ...], w_hh: Tensor, b_hh: Tensor | None, w_hr: Tensor | None
) -> tuple[Tensor, ...]:
    return ((xw + F.linear(state[0], w_hh, b_hh)).relu(),)


def _lstm_step(
    xw: Tensor, state: tuple[Tensor, ...], w_hh: Tensor, b_hh: Tensor | None, w_hr: Tensor | None
) -> tuple[Tensor, ...]:
    """Gates (input, forget, cell, output) in PyTorch's order."""
    hp, cp = state
    i, f, g, o = (xw + F.linear(hp, w_hh, b_hh)).chunk(4, -1)
    c = f.sigmoid() * cp + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    return (h if w_hr is None else F.linear(h, w_hr), c)


def _gru_step(
    xw: Tensor, state: tuple[Tensor, ...], w_hh: Tensor, b_hh: Tensor | None, w_hr: Tensor | None
) -> tuple[Tensor, ...]:
    """Gates (reset, update, new): ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h' = (1 - z) * n + z * h``."""
    h = state[0]
    xr, xz, xn = xw.chunk(3, -1)
    hr, hz, hn = F.linear(h, w_hh, b_hh).chunk(3, -1)
    r = (xr + hr).sigmoid()
    z = (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    return ((1 - z) * n + z * h,)


_STEPS: dict[str, _Step] = {
    "RNN_TANH": _rnn_tanh_step,
    "RNN_RELU": _rnn_relu_step,
    "LSTM": _lstm_step,
    "GRU": _gru_step,
}
_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _run_direction(
    step: _Step,
    xw: Tensor,
    sizes: list[int],
    h0: tuple[Tensor, ...],
    weights: tuple[Tensor, Tensor | None, Tensor | None],
    reverse: bool,
) -> tuple[Tensor, tuple[Tensor, ...]]:
    """Run one direction over packed rows: step t uses rows ``xw[off_t : off_t + sizes[t]]`` (the
    sequences still running, longest first). Forward, the finished sequences keep their state; in
    reverse, a sequence joins (from its row of `h0`) at its own last step. Returns the packed
    outputs and the final state (each sequence's state after its own last step)."""
    offsets = [0]
    for bs in sizes[:-1]:
        offsets.append(offsets[-1] + bs)
    outs: list[Tensor] = []
    h = h0
    if not reverse:
        for off, bs in zip(offsets, sizes):
            active = h if bs == h[0].shape[0] else tuple(s[:bs] for s in h)
            new = step(xw[off : off + bs], active, *weights)
            h = new if bs == h[0].shape[0] else tuple(ember.cat([a, s[bs:]], 0) for a, s in zip(new, h))
            outs.append(new[0])
    else:
        h = tuple(s[: sizes[-1]] for s in h0)
        for off, bs in zip(reversed(offsets), reversed(sizes)):
            cur = h[0].shape[0]
            if bs > cur:
                h = tuple(ember.cat([s, s0[cur:bs]], 0) for s, s0 in zip(h, h0))
            h = step(xw[off : off + bs], h, *weights)
            outs.append(h[0])
        outs.reverse()
    return (outs[0] if len(outs) == 1 else ember.cat(outs, 0)), h


class RNNBase(Module):
    """Shared machinery of `RNN`, `LSTM`, `GRU`: parameters ``weight_ih_l{k}[_reverse]``,
    ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` (and LSTM's ``weight_hr_l{k}``); inputs
    (L, N, H_in), (N, L, H_in) with `batch_first`, unbatched (L, H_in) or a `PackedSequence`."""

    def __init__(
        self,
        mode: str,
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
        if mode not in _STEPS:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        if not isinstance(dropout, (int, float)) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of an element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
                f"num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                stacklevel=2,
            )
        for arg, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{arg} should be of type int, got: {type(value).__name__}")
        if not isinstance(input_size, int) or input_size <= 0:
            raise ValueError(f"input_size must be a positive integer, got {input_size!r}")
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError(f"hidden_size must be a positive integer, got {hidden_size!r}")
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError(f"num_layers must be a positive integer, got {num_layers!r}")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        dirs = 2 if bidirectional else 1
        real_hidden = proj_size or hidden_size
        g = _GATES[mode] * hidden_size
        kw = {"device": device, "dtype": dtype}
        self._flat_weights_names: list[str] = []
        for layer in range(num_layers):
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                in_size = input_size if layer == 0 else real_hidden * dirs
                shapes: dict[str, tuple[int, ...]] = {"weight_ih": (g, in_size), "weight_hh": (g, real_hidden)}
                if bias:
                    shapes.update(bias_ih=(g,), bias_hh=(g,))
                if proj_size:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                for name, shape in shapes.items():
                    self.register_parameter(name + sfx, Parameter(ember.empty(*shape, **kw)))
                    self._flat_weights_names.append(name + sfx)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """A no-op kept for PyTorch's API: there it packs the weights into one cuDNN buffer; Ember's
        recurrent layers read each weight where it is."""

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters grouped per layer and direction, in PyTorch's order."""
        per = len(self._flat_weights_names) // (self.num_layers * (2 if self.bidirectional else 1))
        names = self._flat_weights_names
        return [[getattr(self, n) for n in names[i : i + per]] for i in range(0, len(names), per)]

    def _weights(self, layer: int, d: int) -> tuple[Tensor, Tensor | None, tuple[Tensor, Tensor | None, Tensor | None]]:
        """(weight_ih, bias_ih, (weight_hh, bias_hh, weight_hr)) of one layer and direction."""
        sfx = f"_l{layer}" + ("_reverse" if d else "")
        p = self._parameters
        w_ih, w_hh = p["weight_ih" + sfx], p["weight_hh" + sfx]
        assert w_ih is not None and w_hh is not None
        return w_ih, p.get("bias_ih" + sfx), (w_hh, p.get("bias_hh" + sfx), p.get("weight_hr" + sfx))

    def _state_shapes(self, n: int) -> list[tuple[int, int, int]]:
        dirs = 2 if self.bidirectional else 1
        h = (self.num_layers * dirs, n, self.proj_size or self.hidden_size)
        return [h, (self.num_layers * dirs, n, self.hidden_size)] if self.mode == "LSTM" else [h]

    def forward(self, input: Tensor | PackedSequence, hx: Any = None) -> tuple[Any, Any]:  # noqa: A002
        name = type(self).__name__
        if isinstance(input, PackedSequence):
            data, sizes = input.data, [int(v) for v in input.batch_sizes.tolist()]
            if data.ndim != 2:
                raise F._ShapeError(
                    f"{name}: a PackedSequence's data must be 2-D (sum(lengths), input_size), got shape {tuple(data.shape)}"
                )
            n, unbatched, steps = sizes[0], False, len(sizes)
            ref = data
        else:
            if input.ndim not in (2, 3):
                raise ValueError(
                    f"{name}: Expected input to be 2D or 3D, got {input.ndim}D instead (shape {tuple(input.shape)})"
                )
            unbatched = input.ndim == 2
            x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if self.batch_first else input)
            steps, n = x.shape[0], x.shape[1]
            data, sizes, ref = x.reshape(steps * n, x.shape[2]), [n] * steps, input
        if data.shape[-1] != self.input_size:
            raise RuntimeError(
                f"{name}: input.size(-1) must be equal to input_size. Expected {self.input_size}, got {data.shape[-1]}"
            )
        weight = self._parameters["weight_ih_l0"]
        if weight is not None and data.dtype != weight.dtype:
            raise F._ValueError(
                f"{name}: input dtype ({data.dtype}) does not match weight dtype ({weight.dtype}). Convert input: "
                f"input.to({weight.dtype}), or convert model: model.to({data.dtype})"
            )
        state = self._initial_state(hx, n, unbatched, ref)
        if isinstance(input, PackedSequence) and input.sorted_indices is not None:
            state = tuple(s.index_select(1, input.sorted_indices) for s in state)
        dirs = 2 if self.bidirectional else 1
        step = _STEPS[self.mode]
        finals: list[tuple[Tensor, ...]] = []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                w_ih, b_ih, weights = self._weights(layer, d)
                xw = F.linear(data, w_ih, b_ih)  # every time step at once: (rows, G*H)
                h0 = tuple(s[layer * dirs + d] for s in state)
                out, h = _run_direction(step, xw, sizes, h0, weights, bool(d))
                outs.append(out)
                finals.append(h)
            data = outs[0] if dirs == 1 else ember.cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                data = F.dropout(data, self.dropout, True)
        result = tuple(ember.stack([f[i] for f in finals], 0) for i in range(len(state)))
        output: Any
        if isinstance(input, PackedSequence):
            if input.unsorted_indices is not None:
                result = tuple(s.index_select(1, input.unsorted_indices) for s in result)
            output = PackedSequence(data, input.batch_sizes, input.sorted_indices, input.unsorted_indices)
        else:
            output = data.reshape(steps, n, data.shape[-1])
            if unbatched:
                output, result = output.squeeze(1), tuple(s.squeeze(1) for s in result)
            elif self.batch_first:
                output = output.transpose(0, 1)
        return output, (result if self.mode == "LSTM" else result[0])

    def _initial_state(self, hx: Any, n: int, unbatched: bool, ref: Tensor) -> tuple[Tensor, ...]:
        name = type(self).__name__
        shapes = self._state_shapes(n)
        if hx is None:
            return tuple(ember.zeros(*s, dtype=ref.dtype, device=ref.device) for s in shapes)
        if self.mode == "LSTM":
            if not (isinstance(hx, (tuple, list)) and len(hx) == 2):
                raise TypeError(f"{name}: hx must be a tuple (h_0, c_0), got {type(hx).__name__}")
            states = tuple(hx)
        else:
            if not isinstance(hx, Tensor):
                raise TypeError(f"{name}: hx must be a Tensor, got {type(hx).__name__}")
            states = (hx,)
        want = 2 if unbatched else 3
        for s in states:
            if s.ndim != want:
                kind = "unbatched 2-D" if unbatched else "batched 3-D"
                raise RuntimeError(f"{name}: For {kind} input, hx should also be {want}-D but got {s.ndim}-D tensor")
        if unbatched:
            states = tuple(s.unsqueeze(1) for s in states)
        for i, (s, shape) in enumerate(zip(states, shapes)):
            if tuple(s.shape) != shape:
                which = "hidden" if len(states) == 1 else f"hidden[{i}]"
                raise RuntimeError(f"{name}: Expected {which} size {shape}, got {list(s.shape)}")
        return states

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
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
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.__dict__["nonlinearity"] = nonlinearity
        super().__init__(
            "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU",
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, 0, device, dtype,
        )  # fmt: skip

    # PyTorch's RNN repr is RNNBase's: it leaves the nonlinearity out (RNNCell's shows it)


class LSTM(RNNBase):
    """LSTM with gates (input, forget, cell, output) in that order; state (h, c). With `proj_size`
    the hidden state is projected by ``weight_hr_l{k}`` (proj_size, hidden_size)."""

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
        super().__init__(
            "LSTM",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            proj_size,
            device,
            dtype,
        )


class GRU(RNNBase):
    """GRU with gates (reset, update, new): ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``,
    ``h' = (1 - z) * n + z * h``."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            "GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, 0, device, dtype
        )


# -- cells: one time step -------------------------------------------------------------------------
class RNNCellBase(Module):
    """One step of a recurrent layer: parameters ``weight_ih`` (G*H, H_in), ``weight_hh`` (G*H, H),
    ``bias_ih``, ``bias_hh`` (G*H,); input (N, H_in) or unbatched (H_in,)."""

    _step_mode = "RNN_TANH"

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device: Any = None, dtype: Any = None
    ) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        kw = {"device": device, "dtype": dtype}
        self.weight_ih = Parameter(ember.empty(num_chunks * hidden_size, input_size, **kw))
        self.weight_hh = Parameter(ember.empty(num_chunks * hidden_size, hidden_size, **kw))
        if bias:
            self.bias_ih = Parameter(ember.empty(num_chunks * hidden_size, **kw))
            self.bias_hh = Parameter(ember.empty(num_chunks * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        for p in self.parameters():
            init.uniform_(p, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nl = getattr(self, "nonlinearity", "tanh")
        return s + (f", nonlinearity={nl}" if nl != "tanh" else "")

    def _step(self, input: Tensor, hx: Any, n_states: int) -> Any:  # noqa: A002
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"{name}: input has inconsistent input_size: got {input.shape[-1]} expected {self.input_size}"
            )
        unbatched = input.ndim == 1
        x = input.unsqueeze(0) if unbatched else input
        n = x.shape[0]
        if hx is None:
            z = ember.zeros(n, self.hidden_size, dtype=input.dtype, device=input.device)
            states: tuple[Tensor, ...] = (z,) * n_states
        else:
            states = tuple(hx) if n_states == 2 else (hx,)
            if n_states == 2 and len(states) != 2:
                raise TypeError(f"{name}: hx must be a tuple (h_0, c_0)")
            for i, s in enumerate(states):
                if s.ndim not in (1, 2) or s.ndim != input.ndim:
                    raise ValueError(
                        f"{name}: Expected hidden to be {input.ndim}D like the input, got {s.ndim}D instead (shape {tuple(s.shape)})"
                    )
                s2 = s.unsqueeze(0) if unbatched else s
                if s2.shape[0] != n:
                    raise RuntimeError(f"{name}: Input batch size {n} doesn't match hidden{i} batch size {s2.shape[0]}")
                if s2.shape[1] != self.hidden_size:
                    raise RuntimeError(
                        f"{name}: hidden{i} has inconsistent hidden_size: got {s2.shape[1]}, expected {self.hidden_size}"
                    )
            states = tuple(s.unsqueeze(0) if unbatched else s for s in states)
        xw = F.linear(x, self.weight_ih, self.bias_ih)
        out = _STEPS[self._step_mode](xw, states, self.weight_hh, self.bias_hh, None)
        if unbatched:
            out = tuple(s.squeeze(0) for s in out)
        return out if n_states == 2 else out[0]


class RNNCell(RNNCellBase):
    """``h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)`` with act tanh or relu."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity
        self._step_mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        return self._step(input, hx, 1)


class LSTMCell(RNNCellBase):
    """One LSTM step, gates (input, forget, cell, output); returns (h', c')."""

    _step_mode = "LSTM"

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None, dtype: Any = None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        return self._step(input, hx, 2)


class GRUCell(RNNCellBase):
    """One GRU step, gates (reset, update, new)."""

    _step_mode = "GRU"

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None, dtype: Any = None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        return self._step(input, hx, 1)
