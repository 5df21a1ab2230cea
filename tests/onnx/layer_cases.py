"""The layers that ember.onnx.export covers, with inputs at any batch size: shared by the export tests
(against onnxruntime) and the round-trip tests (export, then ember.onnx.load)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import ember
import ember.nn as nn

rng = np.random.default_rng(0)


def _f32(*shape: int) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


class Call(nn.Module):
    """A module that runs `fn(*inputs)` with the given submodules, for functionals and multi-input layers."""

    def __init__(self, fn: Callable[..., Any], **mods: nn.Module) -> None:
        super().__init__()
        self.fn = fn
        for k, m in mods.items():
            setattr(self, k, m)

    def forward(self, *xs: Any) -> Any:
        return self.fn(self, *xs)


def _bn(m: nn.Module) -> nn.Module:
    """A batch norm with running statistics and affine parameters that are not the identity."""
    c = m.num_features
    m.running_mean.copy_(ember.from_numpy(_f32(c)))
    m.running_var.copy_(ember.from_numpy(rng.uniform(0.5, 2.0, c).astype(np.float32)))
    with ember.no_grad():
        m.weight.copy_(ember.from_numpy(_f32(c)))
        m.bias.copy_(ember.from_numpy(_f32(c)))
    return m


def _cls(n: int, c: int) -> np.ndarray:
    return rng.integers(0, c, n).astype(np.int64)


def _mha(m: Any, x: Any) -> Any:
    return m.attn(x, x, x)[0]


#: name -> (model builder, input builder at batch n); batch is axis 0 of every input unless `BATCH_AXES` says
CASES: dict[str, tuple[Callable[[], nn.Module], Callable[[int], tuple[np.ndarray, ...]]]] = {
    "Linear": (lambda: nn.Linear(6, 4), lambda n: (_f32(n, 6),)),
    "Linear3d": (lambda: nn.Linear(6, 4), lambda n: (_f32(n, 3, 6),)),
    "Conv1d": (lambda: nn.Conv1d(3, 4, 3, padding=1), lambda n: (_f32(n, 3, 10),)),
    "Conv2d": (lambda: nn.Conv2d(3, 4, 3, stride=2, padding=1), lambda n: (_f32(n, 3, 9, 9),)),
    "Conv2d-groups-dilation": (lambda: nn.Conv2d(4, 6, 3, groups=2, dilation=2), lambda n: (_f32(n, 4, 9, 9),)),
    "ConvTranspose2d": (
        lambda: nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1), lambda n: (_f32(n, 3, 5, 5),)
    ),
    "MaxPool2d": (lambda: nn.MaxPool2d(2), lambda n: (_f32(n, 3, 8, 8),)),
    "MaxPool2d-pad-ceil": (lambda: nn.MaxPool2d(3, 2, padding=1, ceil_mode=True), lambda n: (_f32(n, 2, 7, 7),)),
    "MaxPool1d": (lambda: nn.MaxPool1d(2), lambda n: (_f32(n, 3, 8),)),
    "AvgPool2d": (lambda: nn.AvgPool2d(2), lambda n: (_f32(n, 3, 8, 8),)),
    "AvgPool1d": (lambda: nn.AvgPool1d(3, 2), lambda n: (_f32(n, 3, 9),)),
    "AdaptiveAvgPool2d": (lambda: nn.AdaptiveAvgPool2d(1), lambda n: (_f32(n, 3, 5, 5),)),
    "BatchNorm1d": (lambda: _bn(nn.BatchNorm1d(5)), lambda n: (_f32(n, 5),)),
    "BatchNorm2d": (lambda: _bn(nn.BatchNorm2d(3)), lambda n: (_f32(n, 3, 4, 4),)),
    "LayerNorm": (lambda: nn.LayerNorm(6), lambda n: (_f32(n, 3, 6),)),
    "GroupNorm": (lambda: nn.GroupNorm(2, 4), lambda n: (_f32(n, 4, 5),)),
    "Embedding": (lambda: nn.Embedding(10, 4), lambda n: (rng.integers(0, 10, (n, 5)).astype(np.int64),)),
    "LSTM": (lambda: nn.LSTM(4, 5, num_layers=2, batch_first=True), lambda n: (_f32(n, 3, 4),)),
    "GRU": (lambda: nn.GRU(4, 5, batch_first=True, bidirectional=True), lambda n: (_f32(n, 3, 4),)),
    "RNN": (lambda: nn.RNN(4, 5, batch_first=True), lambda n: (_f32(n, 3, 4),)),
    "MultiheadAttention": (
        lambda: Call(_mha, attn=nn.MultiheadAttention(8, 2, batch_first=True)), lambda n: (_f32(n, 5, 8),)
    ),
    "TransformerEncoderLayer": (
        lambda: nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True), lambda n: (_f32(n, 5, 8),)
    ),
    "TransformerDecoderLayer": (
        lambda: nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, batch_first=True),
        lambda n: (_f32(n, 4, 8), _f32(n, 5, 8)),
    ),
    "Dropout-eval": (lambda: nn.Sequential(nn.Linear(6, 6), nn.Dropout(0.5)), lambda n: (_f32(n, 6),)),
    "Flatten": (lambda: nn.Flatten(), lambda n: (_f32(n, 2, 3, 4),)),
    "MSELoss": (lambda: nn.MSELoss(), lambda n: (_f32(n, 3), _f32(n, 3))),
    "L1Loss": (lambda: nn.L1Loss(), lambda n: (_f32(n, 3), _f32(n, 3))),
    "SmoothL1Loss": (lambda: nn.SmoothL1Loss(), lambda n: (_f32(n, 3), _f32(n, 3))),
    "CrossEntropyLoss": (lambda: nn.CrossEntropyLoss(), lambda n: (_f32(n, 5), _cls(n, 5))),
    "NLLLoss": (lambda: nn.NLLLoss(), lambda n: (_f32(n, 5), _cls(n, 5))),
    "BCEWithLogitsLoss": (
        lambda: nn.BCEWithLogitsLoss(), lambda n: (_f32(n, 3), rng.uniform(0, 1, (n, 3)).astype(np.float32))
    ),
}
_u = lambda *s: rng.uniform(0.05, 0.95, s).astype(np.float32)  # noqa: E731
_sign = lambda n: np.where(rng.random(n) < 0.5, -1.0, 1.0).astype(np.float32)  # noqa: E731
CASES.update({  # beyond the list: more of ember.nn, each a few milliseconds
    "Conv3d": (lambda: nn.Conv3d(2, 3, 3, padding=1), lambda n: (_f32(n, 2, 4, 4, 4),)),
    "ConvTranspose1d": (lambda: nn.ConvTranspose1d(2, 3, 3, stride=2), lambda n: (_f32(n, 2, 5),)),
    "AdaptiveMaxPool2d": (lambda: nn.AdaptiveMaxPool2d((2, 3)), lambda n: (_f32(n, 2, 6, 7),)),
    "LPPool2d": (lambda: nn.LPPool2d(2, 2), lambda n: (_f32(n, 2, 6, 6),)),
    "InstanceNorm2d": (lambda: nn.InstanceNorm2d(3, affine=True), lambda n: (_f32(n, 3, 4, 4),)),
    "RMSNorm": (lambda: nn.RMSNorm(6), lambda n: (_f32(n, 3, 6),)),
    "Upsample-bilinear": (lambda: nn.Upsample(scale_factor=2, mode="bilinear"), lambda n: (_f32(n, 2, 3, 3),)),
    "PixelShuffle": (lambda: nn.PixelShuffle(2), lambda n: (_f32(n, 8, 3, 3),)),
    "ReflectionPad2d": (lambda: nn.ReflectionPad2d(1), lambda n: (_f32(n, 2, 4, 4),)),
    "Bilinear": (lambda: nn.Bilinear(3, 4, 5), lambda n: (_f32(n, 3), _f32(n, 4))),
    "CosineSimilarity": (lambda: nn.CosineSimilarity(), lambda n: (_f32(n, 4), _f32(n, 4))),
    "TransformerEncoder": (
        lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, norm_first=True), 2),
        lambda n: (_f32(n, 5, 8),),
    ),
    "LSTMCell": (lambda: nn.LSTMCell(4, 5), lambda n: (_f32(n, 4),)),
    "GRUCell": (lambda: nn.GRUCell(4, 5), lambda n: (_f32(n, 4),)),
    "KLDivLoss": (lambda: nn.KLDivLoss(reduction="batchmean"), lambda n: (np.log(_u(n, 4)), _u(n, 4))),
    "HuberLoss": (lambda: nn.HuberLoss(), lambda n: (_f32(n, 3), _f32(n, 3))),
    "BCELoss": (lambda: nn.BCELoss(), lambda n: (_u(n, 3), _u(n, 3))),
    "MarginRankingLoss": (lambda: nn.MarginRankingLoss(), lambda n: (_f32(n), _f32(n), _sign(n))),
    "TripletMarginLoss": (lambda: nn.TripletMarginLoss(), lambda n: (_f32(n, 4), _f32(n, 4), _f32(n, 4))),
    "CrossEntropyLoss-smoothing": (lambda: nn.CrossEntropyLoss(label_smoothing=0.1), lambda n: (_f32(n, 5), _cls(n, 5))),
})
ACTIVATIONS = [
    "ReLU", "LeakyReLU", "ELU", "GELU", "SiLU", "Mish", "Sigmoid", "Tanh", "Softplus", "Hardtanh", "ReLU6",
    "Hardswish", "Hardsigmoid", "SELU", "CELU", "Softsign", "LogSigmoid", "Tanhshrink", "Softshrink", "PReLU",
]  # fmt: skip
for _a in ACTIVATIONS:
    CASES[_a] = (getattr(nn, _a), lambda n: (_f32(n, 3, 5) * 3,))
CASES["GELU-tanh"] = (lambda: nn.GELU(approximate="tanh"), lambda n: (_f32(n, 3, 5) * 3,))
CASES["Softmax"] = (lambda: nn.Softmax(dim=-1), lambda n: (_f32(n, 3, 5),))
CASES["LogSoftmax"] = (lambda: nn.LogSoftmax(dim=1), lambda n: (_f32(n, 3, 5),))
CASES["GLU"] = (lambda: nn.GLU(), lambda n: (_f32(n, 3, 6),))
# composites without an ONNX operator (cummax's indices, logcumsumexp) export through their decomposition
CASES["cummax-logcumsumexp"] = (
    lambda: Call(lambda m, x: x.cummax(1)[0] + x.cummin(1)[1].float() + x.logcumsumexp(1)), lambda n: (_f32(n, 6),)
)


def _flat(x: Any) -> list[Any]:
    if isinstance(x, ember.Tensor):
        return [x]
    return [t for y in x for t in _flat(y)] if isinstance(x, (tuple, list)) else []
