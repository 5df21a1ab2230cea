"""`ember.nn.init`: in-place initialisers with PyTorch's names, formulas and defaults."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import ember
from ember import Tensor

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "zeros_", "ones_", "eye_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "dirac_", "sparse_",
]  # fmt: skip


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for `nonlinearity` (PyTorch's table)."""
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")
    if nonlinearity in linear or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"negative_slope {slope} is not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    if tensor.ndim < 2:
        raise ValueError(
            f"fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (shape {tuple(tensor.shape)})"
        )
    receptive = 1
    for s in tensor.shape[2:]:
        receptive *= s
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode {mode!r} not supported, please use one of 'fan_in', 'fan_out'")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


_calculate_correct_fan = _fan  # PyTorch's private name, which some initialisation code calls


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    with ember.no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
    with ember.no_grad():
        return tensor.normal_(mean, std, generator=generator)


def trunc_normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0, generator: Any = None
) -> Tensor:
    """Normal samples redrawn until they fall in [a, b] (rejection; a few rounds at most in practice)."""
    if a > b:  # PyTorch's error (from the uniform_ its inverse-CDF sampler draws)
        raise RuntimeError(f"trunc_normal_: uniform_ expects to return a [from, to) range, but found from={a} > to={b}")
    with ember.no_grad():
        out = ember.randn(*tensor.shape, dtype=tensor.dtype, device=tensor.device, generator=generator) * std + mean
        for _ in range(100):
            bad = (out < a) | (out > b)
            if not bool(bad.any().item()):
                break
            fresh = (
                ember.randn(*tensor.shape, dtype=tensor.dtype, device=tensor.device, generator=generator) * std + mean
            )
            out = ember.where(bad, fresh, out)
        return tensor.copy_(out.clamp(a, b))


def constant_(tensor: Tensor, val: float) -> Tensor:
    with ember.no_grad():
        return tensor.fill_(val)


def zeros_(tensor: Tensor) -> Tensor:
    with ember.no_grad():
        return tensor.zero_()


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def eye_(tensor: Tensor) -> Tensor:
    if tensor.ndim != 2:
        raise ValueError(f"eye_: only 2-D tensors are supported, got shape {tuple(tensor.shape)}")
    with ember.no_grad():
        return tensor.copy_(ember.eye(*tensor.shape, dtype=tensor.dtype, device=tensor.device))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def kaiming_uniform_(
    tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator: Any = None
) -> Tensor:
    if 0 in tensor.shape:
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator: Any = None
) -> Tensor:
    if 0 in tensor.shape:
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """A (semi-)orthogonal matrix from the QR decomposition of a normal sample (on the host)."""
    if tensor.ndim < 2:
        raise ValueError(
            f"orthogonal_: only tensors with 2 or more dimensions are supported, got shape {tuple(tensor.shape)}"
        )
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = ember.randn(rows, cols, dtype=ember.float64, generator=generator).numpy()
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    with ember.no_grad():
        return tensor.copy_(ember.tensor(q.reshape(tensor.shape) * gain, dtype=tensor.dtype, device=tensor.device))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """The Dirac delta of a convolution weight (3-D, 4-D or 5-D): ``weight[g*out + d, d, centre...] = 1`` for
    ``d < min(out, in)`` in each of `groups` (``out = size(0) // groups``), zeros elsewhere, so the
    convolution passes its input channels through."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(
            f"dirac_: only tensors with 3, 4, or 5 dimensions are supported, got shape {tuple(tensor.shape)}"
        )
    sizes = tuple(tensor.shape)
    if groups < 1 or sizes[0] % groups != 0:
        raise ValueError(f"dirac_: dim 0 must be divisible by groups (size {sizes[0]}, groups {groups})")
    out_per_group = sizes[0] // groups
    diag = np.arange(min(out_per_group, sizes[1]))
    centre: list[Any] = [s // 2 for s in sizes[2:]]
    weight = np.zeros(sizes)
    for g in range(groups):
        index: tuple[Any, ...] = tuple([g * out_per_group + diag, diag, *centre])
        weight[index] = 1
    with ember.no_grad():
        return tensor.copy_(ember.tensor(weight, dtype=tensor.dtype, device=tensor.device))


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator: Any = None) -> Tensor:
    """A 2-D tensor drawn from N(0, std**2) with ``ceil(sparsity * rows)`` entries of each column, chosen at
    random, set to zero (Martens, 2010)."""
    if tensor.ndim != 2:
        raise ValueError(f"sparse_: only tensors with 2 dimensions are supported, got shape {tuple(tensor.shape)}")
    rows, cols = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    # a random subset of num_zeros rows per column: the first rows of each column's random order
    order = np.argsort(ember.rand(rows, cols, dtype=ember.float64, generator=generator).numpy(), axis=0)
    zero = np.zeros((rows, cols), dtype=bool)
    np.put_along_axis(zero, order[:num_zeros], True, axis=0)
    with ember.no_grad():
        tensor.normal_(0.0, std, generator=generator)
        return tensor.masked_fill_(ember.tensor(zero, device=tensor.device), 0.0)
