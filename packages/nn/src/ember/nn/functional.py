"""`ember.nn.functional`: the functions behind every layer and loss, with PyTorch's signatures.

Everything here is written in ember ops, so it runs on every backend; convolution and
max pooling go through core's overridable composites (`ember.ops.convolution`,
`ember.ops.pooling`), which a backend may replace with faster kernels.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Literal, overload

import numpy as np

import ember
from ember import Tensor
from ember import capture as _capture
from ember.ops import convolution as _conv
from ember.ops import linalg as _linalg
from ember.ops import pooling as _pool
from ember.ops.activation import softmax_cross_entropy
from ember.ops.indexing import select_rows

__all__ = [
    # linear and activations
    "linear", "bilinear", "relu", "relu_", "leaky_relu", "leaky_relu_", "elu", "elu_", "gelu", "silu", "sigmoid", "tanh", "softmax",
    "log_softmax", "softmin", "softplus", "hardtanh", "hardtanh_", "relu6", "mish", "logsigmoid", "glu",
    "threshold", "threshold_", "celu", "celu_", "selu", "selu_", "hardsigmoid", "hardswish", "hardshrink", "softshrink",
    "softsign", "tanhshrink", "prelu", "rrelu", "rrelu_", "gumbel_softmax",
    # convolution, pooling, shape
    "conv1d", "conv2d", "conv_transpose2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "unfold", "pad", "one_hot", "embedding",
    "conv3d", "conv_transpose1d", "conv_transpose3d", "fold", "max_pool3d", "avg_pool3d", "adaptive_avg_pool3d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d", "max_unpool1d", "max_unpool2d",
    "max_unpool3d", "lp_pool1d", "lp_pool2d", "lp_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
    "max_pool3d_with_indices", "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices",
    "embedding_bag",
    # resampling
    "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "interpolate", "upsample", "upsample_nearest",
    "upsample_bilinear", "grid_sample", "affine_grid",
    # normalisation and dropout
    "batch_norm", "layer_norm", "group_norm", "normalize", "dropout",
    "instance_norm", "local_response_norm", "rms_norm", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout",
    # attention
    "scaled_dot_product_attention", "multi_head_attention_forward",
    # losses
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "kl_div",
    "poisson_nll_loss", "gaussian_nll_loss", "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
    "multilabel_soft_margin_loss", "cosine_embedding_loss", "multi_margin_loss", "multilabel_margin_loss",
    "triplet_margin_loss", "triplet_margin_with_distance_loss", "ctc_loss",
    # distance
    "pairwise_distance", "cosine_similarity", "pdist",
]  # fmt: skip


@overload
def _pair(v: Any, n: Literal[2] = 2, name: str = "argument") -> tuple[int, int]: ...
@overload
def _pair(v: Any, n: int, name: str = "argument") -> tuple[int, ...]: ...
def _pair(v: Any, n: int = 2, name: str = "argument") -> tuple[int, ...]:
    """`v` (an int, or a tuple or list of `n` ints) as a tuple of `n` ints."""
    if isinstance(v, (tuple, list)):
        if len(v) != n:
            raise _ShapeError(f"{name} must be an int or a tuple of {n} ints, got {v!r}")
        out = tuple(int(x) for x in v)
    else:
        out = (int(v),) * n
    return out


def _conv_arg_checks(fn: str, stride: Sequence[int], padding: Any, dilation: Sequence[int]) -> None:
    """PyTorch's checks of a convolution's stride, dilation (positive) and padding (non-negative)."""
    for name, v in (("stride", stride), ("dilation", dilation)):
        if min(v, default=1) < 1:
            raise _ShapeError(f"{fn}: non-positive {name} is not supported, got {name}={tuple(v)}")
    if not isinstance(padding, str) and min(padding, default=0) < 0:
        raise _ShapeError(f"{fn}: negative padding is not supported, got padding={tuple(padding)}")


class _ShapeError(ValueError, RuntimeError):
    """Bad input rank, channels or sizes: a ValueError, and the RuntimeError that PyTorch raises there."""


class _ValueError(ValueError, RuntimeError):
    """A bad argument value (out of range): a ValueError, and the RuntimeError that PyTorch raises there."""


class _DTypeError(TypeError, RuntimeError):
    """An input of the wrong dtype: a TypeError, and the RuntimeError that PyTorch raises there."""


class _AssertError(ValueError, RuntimeError, AssertionError):
    """A bad argument or input shape that PyTorch rejects with an ``assert`` (an AssertionError there); a
    ValueError and a RuntimeError here, as Ember's other argument errors."""


class _AssertTypeError(TypeError, AssertionError):
    """An argument of the wrong dtype or type that PyTorch rejects with an ``assert``; a TypeError here."""


def _check_dim(fn: str, x: Tensor, allowed: Sequence[int], layout: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}: expected a Tensor input, got {type(x).__name__}")
    if x.ndim not in allowed:
        want = " or ".join(str(a) for a in allowed)
        raise _ShapeError(f"{fn}: expected a {want}-D input {layout}, got a {x.ndim}-D input of shape {tuple(x.shape)}")


def _float_input(fn: str, x: Tensor) -> None:
    if not x.dtype.is_floating_point:
        raise TypeError(f"{fn}: expected a floating-point input, got dtype {x.dtype.name}")


def _same_dtype(fn: str, x: Tensor, **params: Tensor | None) -> None:
    """RuntimeError naming the layer's function when a parameter's dtype is not the input's (PyTorch raises;
    computing silently in the wider dtype would hide a model left in float32 fed float64 data, or the reverse)."""
    dt = x.dtype
    for name, p in params.items():
        if p is not None and p.dtype is not dt:
            raise RuntimeError(
                f"{fn}: input dtype {dt.name} (shape {tuple(x.shape)}) and {name} dtype {p.dtype.name} "
                f"(shape {tuple(p.shape)}) should be the same; cast the input with .to({p.dtype}) or the module "
                f"with .to({dt})"
            )


# -- linear ---------------------------------------------------------------------------
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """``input @ weight.T + bias``; input (*, in_features), weight (out_features, in_features)."""
    return _checked_linear("linear", input, weight, bias)


def _checked_linear(fn: str, input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:  # noqa: A002
    """`linear` after its shape checks, whose errors name `fn` (nn.Linear calls it as "Linear")."""
    shape, wshape = input._shape, weight._shape  # the attributes, not the properties: this runs once per layer call
    if not shape or shape[-1] != wshape[-1]:
        raise _ShapeError(
            f"{fn}: expected input with last dimension {weight.shape[-1]} (in_features), "
            f"got input of shape {tuple(input.shape)}"
        )
    if len(wshape) != 2 or (bias is not None and bias._shape != wshape[:1]):
        if len(wshape) == 1 and (bias is None or bias.ndim == 0):  # PyTorch: a 1-D weight is input @ weight
            out = input @ weight
            return out if bias is None else out + bias
        raise ValueError(
            f"{fn}: expected weight (out_features, in_features) and bias (out_features,), got "
            f"{tuple(weight.shape)} and {None if bias is None else tuple(bias.shape)}"
        )
    return _linalg.linear(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y_k = x1 W_k x2 + b_k``; weight (out, in1, in2)."""
    out_f, in1, in2 = weight.shape
    if input1.shape[-1] != in1 or input2.shape[-1] != in2 or input1.shape[:-1] != input2.shape[:-1]:
        raise ValueError(
            f"bilinear: expected inputs (*, {in1}) and (*, {in2}) with the same leading dims, "
            f"got {tuple(input1.shape)} and {tuple(input2.shape)}"
        )
    lead = input1.shape[:-1]
    x1 = input1.reshape(-1, in1)
    x2 = input2.reshape(-1, in2)
    t = (x1 @ weight.permute(1, 0, 2).reshape(in1, out_f * in2)).reshape(-1, out_f, in2)
    y = (t * x2.unsqueeze(1)).sum(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(*lead, out_f)


# -- activations ----------------------------------------------------------------------
def _inplace(input: Tensor, out: Tensor, inplace: bool) -> Tensor:  # noqa: A002
    """`out`, written into `input` for the ``inplace=True`` variants."""
    return input.copy_(out) if inplace else out


def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return input.relu_() if inplace else input.relu()


def relu_(input: Tensor) -> Tensor:  # noqa: A002
    return input.relu_()


def relu6(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    out = ember.where(input > 0, input, input * negative_slope)
    return _inplace(input, out, inplace)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:  # noqa: A002
    return leaky_relu(input, negative_slope, True)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    out = ember.where(input > 0, input, input.clamp(max=0).expm1() * alpha)
    return _inplace(input, out, inplace)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    return elu(input, alpha, True)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    if approximate == "none":
        return input * (ember.erf(input * (1 / math.sqrt(2))) + 1) * 0.5
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * math.sqrt(2 / math.pi)
        return input * (inner.tanh() + 1) * 0.5
    raise _ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def _saved_input(input: Tensor, inplace: bool) -> Tensor:  # noqa: A002
    """The tensor an in-place activation computes from: a copy when autograd saves it, since the result
    overwrites `input` (PyTorch's silu_, mish_, hardswish_ keep a gradient)."""
    return input.clone() if inplace and input.requires_grad else input


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    x = _saved_input(input, inplace)
    out = x * x.sigmoid()
    return _inplace(input, out, inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    x = _saved_input(input, inplace)
    out = x * softplus(x).tanh()
    return _inplace(input, out, inplace)


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    return input.sigmoid()


def logsigmoid(input: Tensor) -> Tensor:  # noqa: A002
    return -softplus(-input)


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    return input.tanh()


def _log1p_exp(z: Tensor) -> Tensor:
    """``log(1 + exp(z))`` without overflow, as ``max(z, 0) + log1p(exp(-|z|))`` written with `where` so that
    the gradient is sigmoid(z) everywhere, 1/2 at 0 too (relu's and abs's gradients at 0 would give 0)."""
    pos = z > 0
    return ember.where(pos, z, 0.0) + ember.where(pos, -z, z).exp().log1p()


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    """``log(1 + exp(beta x)) / beta``, linear above `threshold`; never overflows."""
    z = input * beta if beta != 1 else input
    soft = _log1p_exp(z)
    if beta != 1:
        soft = soft / beta
    return ember.where(z > threshold, input, soft)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """`input` clamped to [min_val, max_val]; its gradient is 1 strictly inside, 0 at the bounds (PyTorch's,
    where clamp's is 1 at the bounds too)."""
    if min_val > max_val:
        raise _ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
    if not input.dtype.is_floating_point:  # PyTorch keeps an integer input's dtype
        lo, hi = math.ceil(min_val), math.floor(max_val)
        return input.clamp_(lo, hi) if inplace else input.clamp(lo, hi)
    if not input.requires_grad:
        return input.clamp_(min_val, max_val) if inplace else input.clamp(min_val, max_val)
    out = ember.where((input > min_val) & (input < max_val), input, input.detach().clamp(min_val, max_val))
    return _inplace(input, out, inplace)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:  # noqa: A002
    return hardtanh(input, min_val, max_val, True)


def glu(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    if input.shape[dim] % 2:
        raise _ShapeError(f"glu: dimension {dim} of size {input.shape[dim]} is not even")
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def _softmax_dim(ndim: int) -> int:
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:  # noqa: A002
    return ember.softmax(input, _softmax_dim(input.ndim) if dim is None else dim, dtype=dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:  # noqa: A002
    return ember.softmax(-input, _softmax_dim(input.ndim) if dim is None else dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:  # noqa: A002
    return ember.log_softmax(input, _softmax_dim(input.ndim) if dim is None else dim, dtype=dtype)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:  # noqa: A002
    """`input` over its p-norm along `dim` (at least `eps`); the norm's gradient is 0 at a zero vector."""
    norm = ember.linalg.vector_norm(input, p, dim=dim, keepdim=True)
    return input / norm.clamp(min=eps)


def _threshold(input: Tensor, th: float, value: float, inplace: bool) -> Tensor:  # noqa: A002
    return _inplace(input, ember.where(input > th, input, value), inplace)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:  # noqa: A002
    """`input` where it is greater than `threshold`, else `value`."""
    return _threshold(input, threshold, value, inplace)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:  # noqa: A002
    return _threshold(input, threshold, value, True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """``max(0, x) + min(0, alpha (exp(x / alpha) - 1))``."""
    if alpha == 0:
        raise RuntimeError("celu: alpha cannot be 0 (it divides the input)")
    return _inplace(input, ember.where(input > 0, input, (input.clamp(max=0) / alpha).expm1() * alpha), inplace)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    return celu(input, alpha, True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``scale * elu(x, alpha)`` with the self-normalising constants of Klambauer et al. (2017)."""
    out = ember.where(input > 0, input * _SELU_SCALE, input.clamp(max=0).expm1() * (_SELU_ALPHA * _SELU_SCALE))
    return _inplace(input, out, inplace)


def selu_(input: Tensor) -> Tensor:  # noqa: A002
    return selu(input, True)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``relu6(x + 3) / 6``; its gradient is 1/6 strictly inside (-3, 3), else 0 (PyTorch's)."""
    out = ember.where(input <= -3, 0.0, ember.where(input >= 3, 1.0, input / 6 + 0.5))
    return _inplace(input, out, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``x * relu6(x + 3) / 6``; its gradient is 0 up to -3, ``x / 3 + 0.5`` inside and 1 from 3 (PyTorch's)."""
    x = _saved_input(input, inplace)
    out = ember.where(x <= -3, 0.0, ember.where(x >= 3, x, x * (x + 3) / 6))
    return _inplace(input, out, inplace)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """`input` where ``|x| > lambd``, else 0."""
    return ember.where(input.abs() > lambd, input, 0.0)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """``x - lambd`` above `lambd`, ``x + lambd`` below ``-lambd``, else 0."""
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambda must be greater or equal to 0, but found to be {lambd}")
    return ember.where(input > lambd, input - lambd, ember.where(input < -lambd, input + lambd, 0.0))


def softsign(input: Tensor) -> Tensor:  # noqa: A002
    """``x / (1 + |x|)``."""
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:  # noqa: A002
    """``x - tanh(x)``."""
    return input - input.tanh()


def prelu(input: Tensor, weight: Tensor) -> Tensor:  # noqa: A002
    """``max(0, x) + weight * min(0, x)`` with one learnt slope per channel (dim 1), or one for all."""
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.numel() != 1 and (weight.ndim != 1 or weight.numel() != channels):
        raise RuntimeError(
            f"prelu: mismatch of parameter numbers and input channel size: found {weight.numel()} parameters "
            f"(weight of shape {tuple(weight.shape)}) for input of shape {tuple(input.shape)} with channel size {channels}"
        )
    w = weight.reshape(()) if weight.numel() == 1 else weight.reshape((channels,) + (1,) * (input.ndim - 2))
    return ember.where(input > 0, input, input * w)


def rrelu(
    input: Tensor,  # noqa: A002
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Leaky ReLU with a negative slope drawn uniformly from [lower, upper] per element in training,
    and the fixed slope ``(lower + upper) / 2`` otherwise."""
    if lower > upper:
        raise RuntimeError(f"rrelu: lower bound ({lower}) should be less than or equal to the upper bound ({upper})")
    if training:
        slope = ember.rand(*input.shape, device=input.device, dtype=input.dtype) * (upper - lower) + lower
    else:
        slope = ember.tensor((lower + upper) / 2, device=input.device, dtype=input.dtype)
    return _inplace(input, ember.where(input >= 0, input, input * slope), inplace)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:  # noqa: A002
    return rrelu(input, lower, upper, training, True)


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1) -> Tensor:
    """Softmax of ``(logits + Gumbel noise) / tau``; with `hard`, the one-hot of its argmax in the forward
    pass and the soft sample's gradient (straight-through)."""
    u = ember.rand(*logits.shape, device=logits.device, dtype=logits.dtype)
    gumbels = -(-u.clamp(min=1e-20).log()).log()  # -log(Exp(1)) with Exp(1) = -log(U)
    y_soft = ember.softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.argmax(dim, keepdim=True)
    y_hard = ember.zeros_like(y_soft).scatter(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


# -- dropout --------------------------------------------------------------------------
def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Zero each element with probability `p` and scale the rest by 1/(1-p) (identity when not training)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        out = input * 0.0
    else:
        keep = (ember.rand(*input.shape, device=input.device) >= p).to(input.dtype)
        out = input * keep * (1.0 / (1.0 - p))
    return _inplace(input, out, inplace)


def _check_p(fn: str, p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{fn}: dropout probability has to be between 0 and 1, but got {p}")


def _feature_dropout(fn: str, input: Tensor, p: float, training: bool, inplace: bool, batched: bool) -> Tensor:  # noqa: A002
    """Zero whole channels (dim 1 of a batched input, dim 0 of an unbatched one) with probability `p`."""
    _check_p(fn, p)
    if not training or p == 0.0:
        return input
    lead = 2 if batched else 1
    mask_shape = tuple(input.shape[:lead]) + (1,) * (input.ndim - lead)
    if p == 1.0:
        out = input * 0.0
    else:
        keep = (ember.rand(*mask_shape, device=input.device) >= p).to(input.dtype)
        out = input * keep * (1.0 / (1.0 - p))
    return _inplace(input, out, inplace)


def _feature_dims(fn: str, input: Tensor, expected: tuple[int, int]) -> None:  # noqa: A002
    """PyTorch's rule for dropout2d/3d: another rank is deprecated (a warning) but still dropped channel-wise."""
    if input.ndim < 2:
        raise RuntimeError(f"{fn}: feature dropout requires at least 2 dimensions in the input, got shape {tuple(input.shape)}")
    if input.ndim not in expected:
        warnings.warn(
            f"{fn}: received a {input.ndim}-D input, which is deprecated; {fn} drops channels of "
            f"{expected[0]}-D or {expected[1]}-D inputs",
            stacklevel=3,
        )


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Channel-wise dropout of (N, C, L) or (C, L): each channel is zeroed entirely with probability `p`."""
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: expected a 2-D or 3-D input (C, L) or (N, C, L), got a {input.ndim}-D input of shape {tuple(input.shape)}"
        )
    return _feature_dropout("dropout1d", input, p, training, inplace, input.ndim == 3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Channel-wise dropout of (N, C, H, W); like PyTorch, a 3-D input is taken as (N, C, L)."""
    _feature_dims("dropout2d", input, (3, 4))
    return _feature_dropout("dropout2d", input, p, training, inplace, True)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Channel-wise dropout of (N, C, D, H, W) or (C, D, H, W) (any other rank as unbatched, like PyTorch)."""
    _feature_dims("dropout3d", input, (4, 5))
    return _feature_dropout("dropout3d", input, p, training, inplace, input.ndim == 5)


_ALPHA_PRIME = 1.7580993408473766  # -SELU's negative saturation value, alpha * scale


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:  # noqa: A002
    """Dropout for SELU networks: dropped elements take SELU's saturation value and an affine map
    ``a x + b`` keeps the mean and variance of a standard-normal input."""
    return _alpha_dropout("alpha_dropout", input, p, training, inplace, tuple(input.shape))


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:  # noqa: A002
    """`alpha_dropout` of whole channels: one draw per (N, C) of an (N, C, *) input."""
    if input.ndim < 2:
        raise _ShapeError(f"feature_alpha_dropout: feature dropout requires at least 2 dimensions in the input, got shape {tuple(input.shape)}")
    return _alpha_dropout("feature_alpha_dropout", input, p, training, inplace, tuple(input.shape[:2]) + (1,) * (input.ndim - 2))


def _alpha_dropout(fn: str, input: Tensor, p: float, training: bool, inplace: bool, mask_shape: tuple[int, ...]) -> Tensor:  # noqa: A002
    _check_p(fn, p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return _inplace(input, input * 0.0, inplace)
    keep = (ember.rand(*mask_shape, device=input.device) >= p).to(input.dtype)
    a = 1.0 / math.sqrt((_ALPHA_PRIME**2 * p + 1) * (1 - p))
    b = (keep - 1) * (_ALPHA_PRIME * a) + _ALPHA_PRIME * a * p
    return _inplace(input, input * keep * a + b, inplace)


# -- padding, one-hot, embedding ----------------------------------------------------------
def _index_pad(x: Tensor, dim: int, before: int, after: int, mode: str) -> Tensor:
    n = x.shape[dim]
    idx = list(range(-before, n + after))
    if mode == "replicate":
        idx = [min(max(i, 0), n - 1) for i in idx]
    elif mode == "reflect":
        if before >= n or after >= n:
            raise _ShapeError(f"pad: reflect padding ({before}, {after}) must be smaller than the input size {n}")
        idx = [-i if i < 0 else (2 * (n - 1) - i if i >= n else i) for i in idx]
    elif mode == "circular":
        if before > n or after > n:
            raise _ShapeError(f"pad: circular padding ({before}, {after}) must be at most the input size {n}")
        # PyTorch crops a negative side first and wraps within what is left
        lo, hi = max(-before, 0), n - max(-after, 0)
        idx = [lo + (i - lo) % (hi - lo) for i in idx] if hi > lo else idx
    return x.index_select(dim, ember.tensor(idx, device=x.device))


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:  # noqa: A002
    """Pad the last ``len(pad) // 2`` dims: ``pad = (left, right, top, bottom, ...)``, last dim first.

    Modes 'constant' (negative widths crop), 'reflect', 'replicate', 'circular'.
    """
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise _ShapeError(f"pad: padding length must be even and at most 2 * input.ndim, got {len(pad)} for {input.ndim}-D")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"pad: unknown mode {mode!r}; expected 'constant', 'reflect', 'replicate' or 'circular'")
    if mode != "constant" and not len(pad) // 2 + 1 <= input.ndim <= len(pad) // 2 + 2:
        raise NotImplementedError(
            f"pad: padding size {len(pad)} is not supported for {input.ndim}D input tensor with mode {mode!r}; "
            "non-constant padding of the last k dims needs a (k+1)-D or (k+2)-D input"
        )
    x = input
    for k in range(len(pad) // 2):
        dim = input.ndim - 1 - k
        before, after = int(pad[2 * k]), int(pad[2 * k + 1])
        if before == 0 and after == 0:
            continue
        if mode != "constant":
            x = _index_pad(x, dim, before, after, mode)
            continue
        if before < 0 or after < 0:  # negative widths crop
            n = x.shape[dim]
            key = [slice(None)] * x.ndim
            key[dim] = slice(max(-before, 0), n - max(-after, 0))
            x = x[tuple(key)]
            before, after = max(before, 0), max(after, 0)
        parts = []
        fill = 0.0 if value is None else value
        for width in (before, after):
            shape = list(x.shape)
            shape[dim] = width
            parts.append(ember.full(tuple(shape), fill, dtype=x.dtype, device=x.device) if width else None)
        x = ember.cat([t for t in (parts[0], x, parts[1]) if t is not None], dim)
    return x


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding along a new last dim."""
    if tensor.dtype.is_floating_point or tensor.dtype is ember.bool_:
        raise _DTypeError(f"one_hot is only applicable to index tensors, got dtype {tensor.dtype.name}")
    if num_classes == -1:
        if not tensor.numel():
            raise RuntimeError("one_hot: can not infer the total number of classes from an empty tensor; pass num_classes")
        num_classes = int(tensor.max().item()) + 1
    if tensor.numel() and (int(tensor.min().item()) < 0 or int(tensor.max().item()) >= num_classes):
        raise RuntimeError(f"one_hot: class values must be in [0, {num_classes}), got values outside it")
    classes = ember.arange(num_classes, device=tensor.device)
    return (tensor.unsqueeze(-1) == classes).long()


def embedding(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of `weight` picked by the integer `input`; the row at `padding_idx` gets no gradient.

    With `max_norm`, the picked rows whose `norm_type`-norm exceeds it are first rescaled in place in
    `weight` to that norm (as PyTorch does); with `scale_grad_by_freq`, each row's gradient is divided by
    how often its index occurs in `input`.
    """
    if input.dtype.is_floating_point or input.dtype is ember.bool_:
        raise _DTypeError(f"embedding: expected an integer index tensor, got dtype {input.dtype.name}")
    _no_sparse("embedding", sparse)
    if weight.ndim != 2:
        raise _ShapeError(f"embedding: 'weight' must be 2-D (num_embeddings, embedding_dim), got shape {tuple(weight.shape)}")
    n = weight.shape[0]
    if padding_idx is not None and not -n <= padding_idx < n:
        raise _AssertError(f"embedding: Padding_idx must be within num_embeddings ({n}), got {padding_idx}")
    idx = input.reshape(-1)
    if max_norm is not None:
        _renorm_rows_("embedding", weight, idx, max_norm, norm_type)
    out = select_rows("embedding", weight, 0, idx)  # checks [0, n) in the kernel: no host round trip here
    if scale_grad_by_freq and out.requires_grad:
        out = _scale_grad_by_freq(out, idx, n)
    if padding_idx is not None and weight.requires_grad:
        keep = (idx != (padding_idx % n)).unsqueeze(-1)
        out = ember.where(keep, out, out.detach())
    return out.reshape(*input.shape, weight.shape[1])


def _no_sparse(fn: str, sparse: bool) -> None:
    if sparse:
        raise NotImplementedError(
            f"{fn}: sparse=True asks for a sparse gradient, and Ember has no sparse tensors; use sparse=False "
            "(a dense gradient of the same values)"
        )


def _renorm_rows_(fn: str, weight: Tensor, idx: Tensor, max_norm: float, norm_type: float) -> None:
    """PyTorch's embedding_renorm_: the rows of `weight` that `idx` names and whose norm exceeds `max_norm`
    are scaled in place by max_norm / (norm + 1e-7); the others are left bit for bit."""
    if idx.numel() == 0:
        return
    if int(idx.min().item()) < 0 or int(idx.max().item()) >= weight.shape[0]:
        raise IndexError(f"{fn}: index out of range: indices must be in [0, {weight.shape[0]}) for the max_norm renorm")
    with ember.no_grad():
        rows = ember.unique(idx)
        picked = weight.index_select(0, rows)
        norms = ember.linalg.vector_norm(picked, float(norm_type), dim=1, keepdim=True)
        scale = ember.where(norms > max_norm, max_norm / (norms + 1e-7), ember.ones_like(norms))
        weight.index_copy_(0, rows, picked * scale)


class _ScaleGrad(ember.autograd.Function):
    """Identity forward; the backward multiplies the gradient by `scale` (broadcast)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, scale: Tensor) -> Tensor:
        ctx.scale = scale
        return x.clone()

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None]:
        return grad * ctx.scale, None


def _scale_grad_by_freq(rows: Tensor, idx: Tensor, n: int) -> Tensor:
    """`rows` (one per entry of the flat `idx`) whose gradient is divided by its index's count in `idx`."""
    safe = idx.clamp(0, max(n - 1, 0))
    counts = ember.bincount(safe, minlength=n).index_select(0, safe)
    return _ScaleGrad.apply(rows, (1.0 / counts.to(rows.dtype)).unsqueeze(-1))


def embedding_bag(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """Sums, means or maxima of bags of embeddings: the rows of a 2-D `input`, or the slices of a 1-D
    `input` that start at `offsets`. Entries equal to `padding_idx` are left out; empty bags give zeros.

    The bags are laid out on the host as a (bags, longest bag) table of positions, with a filler row
    (0, or -inf for 'max') for the gaps, so the reduction is one gather and one sum/max.
    """
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"embedding_bag: mode has to be one of sum, mean or max, got {mode!r}")
    if input.dtype.is_floating_point or input.dtype is ember.bool_:
        raise _DTypeError(f"embedding_bag: expected an integer index tensor, got dtype {input.dtype.name}")
    _no_sparse("embedding_bag", sparse)
    if scale_grad_by_freq and mode == "max":
        raise ValueError("embedding_bag: max mode does not support scaling the gradient by the frequency")
    if weight.ndim != 2:
        raise ValueError(f"embedding_bag: weight has to be a 2D Tensor, got shape {tuple(weight.shape)}")
    if per_sample_weights is not None:  # PyTorch's order of checks: shape, mode, dtype
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(
                f"embedding_bag: per_sample_weights {tuple(per_sample_weights.shape)} must have the shape of the input "
                f"{tuple(input.shape)}"
            )
        if mode != "sum":
            raise NotImplementedError(
                f"embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum' "
                f"(got mode='{mode}'). Please open a feature request on GitHub."
            )
        if per_sample_weights.dtype != weight.dtype:
            raise _DTypeError(
                f"embedding_bag: per_sample_weights ({per_sample_weights.dtype.name}) must have the dtype of weight "
                f"({weight.dtype.name}); cast it with .to(weight.dtype)"
            )
    n = weight.shape[0]
    flat_idx = input.reshape(-1).tolist()
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(
                f"if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed length "
                f"sequences. However, found offsets of shape {tuple(offsets.shape)}"
            )
        b, ln = input.shape
        starts = [i * ln for i in range(b)] + [b * ln]
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError(f"offsets has to be a 1D Tensor, got shape {tuple(offsets.shape)}")
        starts = [int(v) for v in offsets.tolist()]
        if not include_last_offset:
            starts.append(len(flat_idx))
        elif not starts:
            raise ValueError("embedding_bag: include_last_offset=True needs at least one offset")
        if starts and starts[0] != 0:
            raise _ValueError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. However, got {starts[0]}")  # fmt: skip
        if any(a > b for a, b in zip(starts, starts[1:])) or (starts and starts[-1] > len(flat_idx)):
            raise _ValueError(f"embedding_bag: offsets must be non-decreasing and at most len(input) = {len(flat_idx)}, got {starts}")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    if any(not 0 <= i < n for i in flat_idx):
        raise RuntimeError(f"embedding_bag: index out of range: indices must be in [0, {n}) for {n} embeddings")
    if max_norm is not None:
        _renorm_rows_("embedding_bag", weight, input.reshape(-1), max_norm, norm_type)
    pad_row = None if padding_idx is None else padding_idx % n
    bags = [[j for j in range(a, b) if flat_idx[j] != pad_row] for a, b in zip(starts, starts[1:])]
    nb, longest = len(bags), max((len(g) for g in bags), default=0)
    d = weight.shape[1]
    if nb == 0 or longest == 0:
        return ember.zeros(nb, d, dtype=weight.dtype, device=weight.device)
    m = len(flat_idx)
    table = np.full((nb, longest), m, dtype=np.int64)  # position m is the filler row
    for r, g in enumerate(bags):
        table[r, : len(g)] = g
    rows = weight.index_select(0, input.reshape(-1))
    if scale_grad_by_freq and rows.requires_grad:
        rows = _scale_grad_by_freq(rows, input.reshape(-1), n)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1, 1).to(rows.dtype)
    fill = -math.inf if mode == "max" else 0.0
    rows = ember.cat([rows, ember.full((1, d), fill, dtype=rows.dtype, device=rows.device)], 0)
    picked = rows.index_select(0, ember.tensor(table.reshape(-1), device=rows.device)).reshape(nb, longest, d)
    counts = np.array([len(g) for g in bags], dtype=np.float64)
    if mode == "sum":
        return picked.sum(1)
    if mode == "mean":
        return picked.sum(1) / ember.tensor(np.maximum(counts, 1.0).reshape(-1, 1), dtype=rows.dtype, device=rows.device)
    out = picked.max(1)[0]
    empty = ember.tensor((counts == 0).reshape(-1, 1), device=rows.device)
    return ember.where(empty, ember.zeros_like(out), out) if (counts == 0).any() else out


# -- convolution ------------------------------------------------------------------------
def _same_padding(kernel: Sequence[int], dilation: Sequence[int]) -> tuple[list[int], list[int]]:
    """Per spatial dim: (symmetric part, extra on the right) of 'same' padding."""
    sym, extra = [], []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        sym.append(total // 2)
        extra.append(total - 2 * (total // 2))
    return sym, extra


_CONV_LAYOUT = {1: "(N, C, L) or (C, L)", 2: "(N, C, H, W) or (C, H, W)", 3: "(N, C, D, H, W) or (C, D, H, W)"}


def _conv_checks(fn: str, x: Tensor, weight: Tensor, groups: int, nd: int) -> bool:
    """Check input rank and channels; returns True when the input is unbatched."""
    _check_dim(fn, x, (nd + 1, nd + 2), _CONV_LAYOUT[nd])
    _float_input(fn, x)
    if weight.ndim != nd + 2:
        raise _ShapeError(f"{fn}: expected a {nd + 2}-D weight, got shape {tuple(weight.shape)}")
    c = x.shape[-nd - 1]
    want = weight.shape[1] * groups
    if c != want:
        raise _ShapeError(
            f"{fn}: expected input of shape {tuple(x.shape)} to have {want} channels "
            f"(weight {tuple(weight.shape)}, groups={groups}), but got {c} channels instead"
        )
    if weight.shape[0] % groups:
        raise _ShapeError(f"{fn}: out_channels ({weight.shape[0]}) must be divisible by groups ({groups})")
    if x.device != weight.device:
        raise RuntimeError(f"{fn}: input is on {x.device} but the weight is on {weight.device}; move one with .to()")
    return x.ndim == nd + 1


def conv2d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation of (N, C, H, W) with weight (O, C/groups, kh, kw); padding an int, pair, 'valid' or 'same'."""
    unbatched = _conv_checks("conv2d", input, weight, groups, 2)
    _same_dtype("conv2d", input, weight=weight, bias=bias)
    x = input.unsqueeze(0) if unbatched else input
    stride, dilation = _pair(stride, 2, "stride"), _pair(dilation, 2, "dilation")
    _conv_arg_checks("conv2d", stride, padding if isinstance(padding, str) else _pair(padding, 2, "padding"), dilation)
    if isinstance(padding, str):
        if padding == "valid":
            pads = (0, 0)
        elif padding == "same":
            if stride != (1, 1):
                raise _ShapeError("conv2d: padding='same' is not supported for strided convolutions")
            sym, extra = _same_padding(weight.shape[2:], dilation)
            if any(extra):
                x = _conv.pad2d(x, 0, extra[0], 0, extra[1])
            pads = (sym[0], sym[1])
        else:
            raise _ShapeError(f"conv2d: invalid padding string {padding!r}, should be one of 'valid', 'same'")
    else:
        pads = _pair(padding, 2, "padding")
    k = weight.shape[2:]
    for i in range(2):
        if x.shape[2 + i] + 2 * pads[i] < dilation[i] * (k[i] - 1) + 1:
            raise _ShapeError(
                f"conv2d: input size {tuple(x.shape[2:])} (padded {pads}) is smaller than the kernel "
                f"{tuple(k)} (dilation {dilation})"
            )
    if bias is not None and tuple(bias.shape) == (weight.shape[0],) and bias.device == x.device:
        out = _conv.conv2d_bias(x, weight.to(x.dtype), bias, stride, pads, dilation, groups)  # the bias added in place
    else:
        out = _conv.conv2d(x, weight.to(x.dtype), stride, pads, dilation, groups)
        if bias is not None:
            out = out + bias.reshape(-1, 1, 1)
    return out.squeeze(0) if unbatched else out


def conv1d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """1-D cross-correlation of (N, C, L) with weight (O, C/groups, k): conv2d on a height-1 image."""
    unbatched = _conv_checks("conv1d", input, weight, groups, 1)
    _same_dtype("conv1d", input, weight=weight, bias=bias)
    x = input.unsqueeze(0) if unbatched else input
    pad2: Any = padding if isinstance(padding, str) else (0, _pair(padding, 1, "padding")[0])
    out = conv2d(
        x.unsqueeze(2),
        weight.unsqueeze(2),
        bias,
        (1, _pair(stride, 1, "stride")[0]),
        pad2,
        (1, _pair(dilation, 1, "dilation")[0]),
        groups,
    ).squeeze(2)
    return out.squeeze(0) if unbatched else out


def conv_transpose2d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """Transposed 2-D convolution (the adjoint of conv2d); weight (C_in, C_out/groups, kh, kw)."""
    _check_dim("conv_transpose2d", input, (3, 4), "(N, C, H, W) or (C, H, W)")
    _float_input("conv_transpose2d", input)
    _same_dtype("conv_transpose2d", input, weight=weight, bias=bias)
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    if x.shape[1] != weight.shape[0]:
        raise _ShapeError(
            f"conv_transpose2d: expected input of shape {tuple(input.shape)} to have {weight.shape[0]} channels "
            f"(weight {tuple(weight.shape)}), but got {x.shape[1]} channels instead"
        )
    s, p, op, d = (_pair(v, 2, n) for v, n in ((stride, "stride"), (padding, "padding"), (output_padding, "output_padding"), (dilation, "dilation")))  # fmt: skip
    _conv_arg_checks("conv_transpose2d", s, p + op, d)
    for i in range(2):
        if op[i] >= max(s[i], d[i]):
            raise _ShapeError("conv_transpose2d: output_padding must be smaller than either stride or dilation")
    k = weight.shape[2:]
    hw = tuple((x.shape[2 + i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op[i] + 1 for i in range(2))
    out = _conv.conv2d_input_grad(x, weight.to(x.dtype), hw, s, p, d, groups)
    if bias is not None:
        out = out + bias.reshape(-1, 1, 1)
    return out.squeeze(0) if unbatched else out


def _check_sliding_blocks(fn: str, k: Sequence[int], d: Sequence[int], p: Sequence[int], s: Sequence[int]) -> None:
    """fold/unfold's window: kernel_size, dilation and stride positive, padding non-negative (PyTorch's checks)."""
    for name, v, least in (("kernel_size", k, 1), ("dilation", d, 1), ("stride", s, 1), ("padding", p, 0)):
        if min(v) < least:
            want = "greater than zero" if least else "non-negative"
            raise _ShapeError(f"{fn}: {name} should be {want}, got {name}={tuple(v)}")


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Tensor:  # noqa: A002
    """Sliding local blocks of (N, C, H, W) (or unbatched (C, H, W)) as columns (N, C*kh*kw, L) (im2col)."""
    _check_dim("unfold", input, (3, 4), "(N, C, H, W) or (C, H, W)")
    x = input.unsqueeze(0) if input.ndim == 3 else input
    k, d, p, s = (_pair(v, 2, n) for v, n in ((kernel_size, "kernel_size"), (dilation, "dilation"), (padding, "padding"), (stride, "stride")))  # fmt: skip
    _check_sliding_blocks("unfold", k, d, p, s)
    oh = _conv.conv_out_size(x.shape[2], k[0], s[0], p[0], d[0])
    ow = _conv.conv_out_size(x.shape[3], k[1], s[1], p[1], d[1])
    if oh <= 0 or ow <= 0:
        raise RuntimeError(
            f"unfold: input {tuple(input.shape)} is too small for kernel_size={k}, dilation={d}, padding={p}, "
            f"stride={s}: the number of blocks would be ({oh}, {ow})"
        )
    cols = _conv.im2col(x, k, s, p, d, (oh, ow))
    n, c = x.shape[:2]
    out = cols.reshape(n, c * k[0] * k[1], oh * ow)
    return out.squeeze(0) if input.ndim == 3 else out


def _resolve_padding(
    fn: str, padding: Any, stride: tuple[int, ...], kernel: Sequence[int], dilation: tuple[int, ...]
) -> tuple[tuple[int, ...], list[int]]:
    """(symmetric padding, extra right padding) per spatial dim from an int, tuple, 'valid' or 'same'."""
    nd = len(kernel)
    if not isinstance(padding, str):
        return _pair(padding, nd, "padding"), [0] * nd
    if padding == "valid":
        return (0,) * nd, [0] * nd
    if padding == "same":
        if any(s != 1 for s in stride):
            raise _ShapeError(f"{fn}: padding='same' is not supported for strided convolutions")
        sym, extra = _same_padding(kernel, dilation)
        return tuple(sym), extra
    raise _ShapeError(f"{fn}: invalid padding string {padding!r}, should be one of 'valid', 'same'")


def _right_pad(extra: Sequence[int]) -> list[int]:
    """`F.pad` widths adding `extra[i]` after spatial dim i (the last dim comes first in `pad`'s list)."""
    return [w for e in reversed(extra) for w in (0, int(e))]


def conv3d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """3-D cross-correlation of (N, C, D, H, W) with weight (O, C/groups, kd, kh, kw).

    The kd strided depth slices that each output depth reads are stacked into the channels of a
    (N*OD, C*kd, H, W) batch, so one (overridable) conv2d does the work and its gradients.
    """
    unbatched = _conv_checks("conv3d", input, weight, groups, 3)
    _same_dtype("conv3d", input, weight=weight, bias=bias)
    x = input.unsqueeze(0) if unbatched else input
    s, d = _pair(stride, 3, "stride"), _pair(dilation, 3, "dilation")
    _conv_arg_checks("conv3d", s, padding if isinstance(padding, str) else _pair(padding, 3, "padding"), d)
    k = tuple(weight.shape[2:])
    pads, extra = _resolve_padding("conv3d", padding, s, k, d)
    if any(extra):
        x = pad(x, _right_pad(extra))
    if pads[0]:
        x = pad(x, (0, 0, 0, 0, pads[0], pads[0]))
    n, c, dp, h, w = x.shape
    for i, size in enumerate((dp, h + 2 * pads[1], w + 2 * pads[2])):
        if size < d[i] * (k[i] - 1) + 1:
            raise _ShapeError(
                f"conv3d: input size {tuple(input.shape[-3:])} (padded {pads}) is smaller than the kernel {k} "
                f"(dilation {d})"
            )
    od = _conv.conv_out_size(dp, k[0], s[0], 0, d[0])
    taps = [x[:, :, a * d[0] : a * d[0] + (od - 1) * s[0] + 1 : s[0]] for a in range(k[0])]
    cg = c // groups
    xs = ember.stack(taps, 3).reshape(n, groups, cg, od, k[0], h, w)  # (N, g, C/g, OD, kd, H, W)
    xs = xs.permute(0, 3, 1, 2, 4, 5, 6).reshape(n * od, c * k[0], h, w)
    o = weight.shape[0]
    w2 = weight.to(x.dtype).reshape(o, cg * k[0], k[1], k[2])
    out = _conv.conv2d(xs, w2, (s[1], s[2]), (pads[1], pads[2]), (d[1], d[2]), groups)
    out = out.reshape(n, od, o, *out.shape[2:]).transpose(1, 2)
    if bias is not None:
        out = out + bias.reshape(-1, 1, 1, 1)
    return out.squeeze(0) if unbatched else out


def _transpose_checks(fn: str, x: Tensor, weight: Tensor, groups: int, nd: int) -> bool:
    _check_dim(fn, x, (nd + 1, nd + 2), _CONV_LAYOUT[nd])
    _float_input(fn, x)
    if weight.ndim != nd + 2:
        raise _ShapeError(f"{fn}: expected a {nd + 2}-D weight (C_in, C_out/groups, *kernel), got shape {tuple(weight.shape)}")
    c = x.shape[-nd - 1]
    if c != weight.shape[0]:
        raise _ShapeError(
            f"{fn}: expected input of shape {tuple(x.shape)} to have {weight.shape[0]} channels "
            f"(weight {tuple(weight.shape)}), but got {c} channels instead"
        )
    if groups <= 0 or c % groups:
        raise _ShapeError(f"{fn}: in_channels ({c}) must be divisible by groups ({groups})")
    return x.ndim == nd + 1


def _output_padding_check(fn: str, op: Sequence[int], s: Sequence[int], d: Sequence[int]) -> None:
    for i in range(len(op)):
        if op[i] >= max(s[i], d[i]):
            raise _ShapeError(f"{fn}: output_padding {tuple(op)} must be smaller than either stride {tuple(s)} or dilation {tuple(d)}")


def conv_transpose1d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """Transposed 1-D convolution, weight (C_in, C_out/groups, k): conv_transpose2d on a height-1 image."""
    _transpose_checks("conv_transpose1d", input, weight, groups, 1)
    _same_dtype("conv_transpose1d", input, weight=weight, bias=bias)
    one = lambda v, name: (1, _pair(v, 1, name)[0])  # noqa: E731
    op = (0, _pair(output_padding, 1, "output_padding")[0])
    _output_padding_check("conv_transpose1d", op[1:], one(stride, "stride")[1:], one(dilation, "dilation")[1:])
    out = conv_transpose2d(
        input.unsqueeze(-2), weight.unsqueeze(2), bias, one(stride, "stride"), (0, _pair(padding, 1, "padding")[0]),
        op, groups, one(dilation, "dilation"),
    )  # fmt: skip
    return out.squeeze(-2)


def _zero_stuff(x: Tensor, dim: int, s: int) -> Tensor:
    """`s - 1` zeros between neighbours along `dim` (length L becomes (L - 1) * s + 1)."""
    if s == 1 or x.shape[dim] == 0:
        return x
    n = x.shape[dim]
    parts = [x] + [ember.zeros_like(x)] * (s - 1)
    y = ember.stack(parts, dim + 1)
    y = y.reshape(*x.shape[:dim], n * s, *x.shape[dim + 1 :])
    key = [slice(None)] * y.ndim
    key[dim] = slice(0, (n - 1) * s + 1)
    return y[tuple(key)]


def conv_transpose3d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """Transposed 3-D convolution, weight (C_in, C_out/groups, kd, kh, kw).

    Each input depth slice goes through one (overridable) conv_transpose2d whose output channels also
    carry the kd depth taps; tap a of input depth i then lands at output depth i*stride - padding +
    a*dilation, which per tap is a zero-stuffed, shifted copy summed into the output.
    """
    unbatched = _transpose_checks("conv_transpose3d", input, weight, groups, 3)
    _same_dtype("conv_transpose3d", input, weight=weight, bias=bias)
    x = input.unsqueeze(0) if unbatched else input
    s, p, op, d = (_pair(v, 3, n) for v, n in ((stride, "stride"), (padding, "padding"), (output_padding, "output_padding"), (dilation, "dilation")))  # fmt: skip
    _conv_arg_checks("conv_transpose3d", s, p + op, d)
    _output_padding_check("conv_transpose3d", op, s, d)
    k = tuple(weight.shape[2:])
    outs = [(x.shape[2 + i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op[i] + 1 for i in range(3)]
    if any(o <= 0 for o in outs):
        raise _ShapeError(f"conv_transpose3d: input {tuple(input.shape)} gives an empty output {tuple(outs)} for kernel {k}, padding {p}")  # fmt: skip
    n, cin, depth, h, w = x.shape
    cog = weight.shape[1]
    w2 = weight.to(x.dtype).reshape(cin, cog * k[0], k[1], k[2])  # output channels (C_out/groups, kd)
    xs = x.transpose(1, 2).reshape(n * depth, cin, h, w)
    y = conv_transpose2d(xs, w2, None, s[1:], p[1:], op[1:], groups, d[1:])
    y = y.reshape(n, depth, groups * cog, k[0], outs[1], outs[2]).permute(0, 2, 3, 1, 4, 5)
    out: Tensor | None = None
    for a in range(k[0]):
        ya = _zero_stuff(y[:, :, a], 2, s[0])
        before = a * d[0] - p[0]  # where input depth 0 lands; negative widths crop
        ya = pad(ya, (0, 0, 0, 0, before, outs[0] - before - ya.shape[2]))
        out = ya if out is None else out + ya
    assert out is not None
    if bias is not None:
        out = out + bias.reshape(-1, 1, 1, 1)
    return out.squeeze(0) if unbatched else out


def fold(
    input: Tensor,  # noqa: A002
    output_size: Any,
    kernel_size: Any,
    dilation: Any = 1,
    padding: Any = 0,
    stride: Any = 1,
) -> Tensor:
    """col2im, the adjoint of `unfold`: columns (N, C*kh*kw, L) summed back into (N, C, *output_size)."""
    _check_dim("fold", input, (2, 3), "(N, C*kh*kw, L) or (C*kh*kw, L)")
    unbatched = input.ndim == 2
    x = input.unsqueeze(0) if unbatched else input
    size, k, d, p, s = (_pair(v, 2, n) for v, n in ((output_size, "output_size"), (kernel_size, "kernel_size"), (dilation, "dilation"), (padding, "padding"), (stride, "stride")))  # fmt: skip
    _check_sliding_blocks("fold", k, d, p, s)
    n, ck, nl = x.shape
    kk = k[0] * k[1]
    if ck % kk:
        raise RuntimeError(
            f"fold: expected size of input's dimension 1 ({ck}) to be divisible by the product of kernel_size {k}"
        )
    blocks = [_conv.conv_out_size(size[i], k[i], s[i], p[i], d[i]) for i in range(2)]
    if blocks[0] * blocks[1] != nl:
        raise RuntimeError(
            f"fold: given output_size={size}, kernel_size={k}, dilation={d}, padding={p}, stride={s}, expected "
            f"size of input's dimension 2 to match the calculated number of sliding blocks {blocks[0]} * {blocks[1]} "
            f"= {blocks[0] * blocks[1]}, but got input.size(2)={nl}"
        )
    out = _conv.col2im(x.reshape(n, ck // kk, kk, nl), size, k, s, p, d)
    return out.squeeze(0) if unbatched else out


# -- pooling ------------------------------------------------------------------------------
def _pool_args(
    fn: str, kernel_size: Any, stride: Any, padding: Any, dilation: Any = 1
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]:
    k = _pair(kernel_size, 2, "kernel_size")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) else _pair(stride, 2, "stride")
    p = _pair(padding, 2, "padding")
    d = _pair(dilation, 2, "dilation")
    for i in range(2):
        if p[i] > k[i] // 2:
            raise _ShapeError(f"{fn}: padding should be at most half of the effective kernel size, got padding={p}, kernel_size={k}")
        if k[i] <= 0 or s[i] <= 0 or d[i] <= 0:
            raise _ShapeError(f"{fn}: kernel_size, stride and dilation must be positive, got {k}, {s}, {d}")
    return k, s, p, d


def max_pool2d(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Window maxima over (N, C, H, W) or (C, H, W); with `return_indices`, also flat H*W positions."""
    _check_dim("max_pool2d", input, (3, 4), "(N, C, H, W) or (C, H, W)")
    _float_input("max_pool2d", input)
    k, s, p, d = _pool_args("max_pool2d", kernel_size, stride, padding, dilation)
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    for i in range(2):
        if _conv.conv_out_size(x.shape[2 + i], k[i], s[i], p[i], d[i], ceil_mode) <= 0:
            raise _ShapeError(f"max_pool2d: input {tuple(input.shape)} is too small for kernel {k} (dilation {d})")
    out, idx = _pool.max_pool2d_with_indices(x, k, s, p, d, ceil_mode)
    if unbatched:
        out, idx = out.squeeze(0), idx.squeeze(0)
    return (out, idx) if return_indices else out


def max_pool1d(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    _check_dim("max_pool1d", input, (2, 3), "(N, C, L) or (C, L)")
    one = lambda v: (1, _pair(v, 1)[0])  # noqa: E731
    stride2 = None if stride is None else one(stride)
    pad2 = (0, _pair(padding, 1)[0])
    out = max_pool2d(input.unsqueeze(-2), one(kernel_size), stride2, pad2, one(dilation), ceil_mode, True)
    vals, idx = out[0].squeeze(-2), out[1].squeeze(-2)
    return (vals, idx) if return_indices else vals


def avg_pool2d(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Window means over (N, C, H, W) or (C, H, W): a depthwise convolution with a constant kernel."""
    _check_dim("avg_pool2d", input, (3, 4), "(N, C, H, W) or (C, H, W)")
    _float_input("avg_pool2d", input)
    if ceil_mode:  # windows may run past the padding: the general path clips their divisors
        return _avg_pool_nd("avg_pool2d", input, 2, kernel_size, stride, padding, True, count_include_pad, divisor_override)
    k, s, p, _ = _pool_args("avg_pool2d", kernel_size, stride, padding)
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    n, c, h, w = x.shape
    if h + 2 * p[0] < k[0] or w + 2 * p[1] < k[1]:
        raise _ShapeError(f"avg_pool2d: input {tuple(input.shape)} is too small for kernel {k} (padding {p})")
    if k == s and p == (0, 0) and h % k[0] == 0 and w % k[1] == 0:  # non-overlapping tiles: a reshape and a sum
        out = x.reshape(n, c, h // k[0], k[0], w // k[1], k[1]).sum((3, 5))
    else:
        ones = ember.ones(c, 1, k[0], k[1], dtype=x.dtype, device=x.device)
        out = _conv.conv2d(x, ones, s, p, (1, 1), c)
    if divisor_override is not None:
        out = out / divisor_override
    elif count_include_pad or p == (0, 0):
        out = out / (k[0] * k[1])
    else:
        ones = ember.ones(1, 1, h, w, dtype=x.dtype, device=x.device)
        counts = _conv.conv2d(ones, ember.ones(1, 1, k[0], k[1], dtype=x.dtype, device=x.device), s, p, (1, 1), 1)
        out = out / counts
    return out.squeeze(0) if unbatched else out


def avg_pool1d(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    _check_dim("avg_pool1d", input, (2, 3), "(N, C, L) or (C, L)")
    one = lambda v: (1, _pair(v, 1)[0])  # noqa: E731
    stride2 = None if stride is None else one(stride)
    pad2 = (0, _pair(padding, 1)[0])
    return avg_pool2d(input.unsqueeze(-2), one(kernel_size), stride2, pad2, ceil_mode, count_include_pad).squeeze(-2)


def _adaptive_bins(size: int, out: int) -> list[tuple[int, int]]:
    return [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:  # noqa: A002
    """Means over PyTorch's adaptive bins (start = floor(i*H/OH), end = ceil((i+1)*H/OH))."""
    _check_dim("adaptive_avg_pool2d", input, (3, 4), "(N, C, H, W) or (C, H, W)")
    _float_input("adaptive_avg_pool2d", input)
    h, w = input.shape[-2:]
    size = output_size if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    oh, ow = (h if size[0] is None else int(size[0])), (w if size[1] is None else int(size[1]))
    if oh < 0 or ow < 0:
        raise _ShapeError(f"adaptive_avg_pool2d: output_size must be non-negative, got {output_size!r}")
    if 0 in (h, w):
        raise _ShapeError(f"adaptive_avg_pool2d: expected input with non-zero spatial sizes, got shape {tuple(input.shape)}")
    if 0 in (oh, ow):  # an empty result, still in the graph (PyTorch allows output size 0)
        return adaptive_avg_pool3d(input.unsqueeze(-3), (1, oh, ow)).squeeze(-3)
    if h % oh == 0 and w % ow == 0:
        lead = input.shape[:-2]
        return input.reshape(*lead, oh, h // oh, ow, w // ow).mean((-3, -1))
    rows = []
    for r0, r1 in _adaptive_bins(h, oh):
        cols = [input[..., r0:r1, c0:c1].mean((-2, -1)) for c0, c1 in _adaptive_bins(w, ow)]
        rows.append(ember.stack(cols, -1))
    return ember.stack(rows, -2)


def adaptive_avg_pool1d(input: Tensor, output_size: int) -> Tensor:  # noqa: A002
    _check_dim("adaptive_avg_pool1d", input, (2, 3), "(N, C, L) or (C, L)")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, output_size)).squeeze(-2)


# Windowed pooling in any number of dims: each spatial dim i gets an index table (O_i, L_i) of the
# positions its output o reads; `_windows` gathers them (index_select per dim) into one trailing axis.
_POOL_LAYOUT = {1: "(N, C, L) or (C, L)", 2: "(N, C, H, W) or (C, H, W)", 3: "(N, C, D, H, W) or (C, D, H, W)"}


def _windows(x: Tensor, idx: Sequence[np.ndarray]) -> Tensor:
    """x (B, S_1, ..., S_n) -> (B, O_1, ..., O_n, L_1 * ... * L_n), reading x at idx[i][o, j] along dim i."""
    nd = len(idx)
    for i, ix in enumerate(idx):
        ax = 1 + 2 * i
        o, ln = ix.shape
        x = x.index_select(ax, ember.tensor(ix.reshape(-1), device=x.device))
        x = x.reshape(*x.shape[:ax], o, ln, *x.shape[ax + 1 :])
    x = x.permute(0, *[1 + 2 * i for i in range(nd)], *[2 + 2 * i for i in range(nd)])
    return x.reshape(*x.shape[: 1 + nd], math.prod(x.shape[1 + nd :]))  # not -1: O_i may be 0


def _flat_positions(idx: Sequence[np.ndarray], sizes: Sequence[int]) -> np.ndarray:
    """(O_1, ..., O_n, L_1*...*L_n): the row-major flat position in `sizes` of every window element."""
    nd = len(idx)
    out: Any = 0
    mult = 1
    for i in reversed(range(nd)):
        shape = [1] * (2 * nd)
        shape[i], shape[nd + i] = idx[i].shape
        out = out + idx[i].reshape(shape) * mult
        mult *= sizes[i]
    out = np.broadcast_to(out, [ix.shape[0] for ix in idx] + [ix.shape[1] for ix in idx])
    return out.reshape(*[ix.shape[0] for ix in idx], math.prod(ix.shape[1] for ix in idx))


def _pick_indices(table: np.ndarray, arg: Tensor) -> Tensor:
    """For each output position, the flat input position of the window element `arg` chose."""
    t = ember.tensor(np.ascontiguousarray(table), device=arg.device)
    t = t.unsqueeze(0).expand(arg.shape[0], *table.shape)
    return t.gather(-1, arg.unsqueeze(-1)).squeeze(-1)


def _nd_pool_args(
    fn: str, nd: int, kernel_size: Any, stride: Any, padding: Any, dilation: Any = 1
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    k = _pair(kernel_size, nd, "kernel_size")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) else _pair(stride, nd, "stride")
    p, d = _pair(padding, nd, "padding"), _pair(dilation, nd, "dilation")
    if any(v <= 0 for v in (*k, *s, *d)):
        raise _ShapeError(f"{fn}: kernel_size, stride and dilation must be positive, got {k}, {s}, {d}")
    if any(p[i] > k[i] // 2 for i in range(nd)) or any(v < 0 for v in p):
        raise _ShapeError(f"{fn}: pad should be at most half of effective kernel size, but got pad={p}, kernel_size={k}")
    return k, s, p, d


def _sliding(
    fn: str, input: Tensor, nd: int, k: Sequence[int], s: Sequence[int], p: Sequence[int], d: Sequence[int],  # noqa: A002
    ceil_mode: bool, fill: float,
) -> tuple[Tensor, list[np.ndarray], list[int]]:  # fmt: skip
    """Windows (B, *out, prod(k)) of `input`'s last nd dims padded with `fill`; also the tables (padded coords)."""
    sizes = list(input.shape[-nd:])
    outs = [_conv.conv_out_size(sizes[i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(nd)]
    if any(o <= 0 for o in outs):
        raise _ShapeError(
            f"{fn}: input of shape {tuple(input.shape)} is too small for kernel_size {tuple(k)} "
            f"(padding {tuple(p)}, dilation {tuple(d)}): the output would be {tuple(outs)}"
        )
    idx = [(np.arange(outs[i]) * s[i])[:, None] + (np.arange(k[i]) * d[i])[None, :] for i in range(nd)]
    widths: list[int] = []
    for i in reversed(range(nd)):
        widths += [p[i], max(int(idx[i].max()) + 1 - sizes[i] - p[i], 0)]
    x = input.reshape(-1, *sizes)
    if any(widths):
        x = pad(x, widths, value=fill)
    return _windows(x, idx), idx, outs


def _max_pool_nd(
    fn: str, input: Tensor, nd: int, kernel_size: Any, stride: Any, padding: Any, dilation: Any,  # noqa: A002
    ceil_mode: bool, return_indices: bool,
) -> Any:  # fmt: skip
    _check_dim(fn, input, (nd + 1, nd + 2), _POOL_LAYOUT[nd])
    _float_input(fn, input)
    k, s, p, d = _nd_pool_args(fn, nd, kernel_size, stride, padding, dilation)
    lead = input.shape[:-nd]
    win, idx, outs = _sliding(fn, input, nd, k, s, p, d, ceil_mode, -math.inf)
    vals, arg = win.max(-1)
    vals = vals.reshape(*lead, *outs)
    if not return_indices:
        return vals
    sizes = input.shape[-nd:]
    real = [ix - p[i] for i, ix in enumerate(idx)]
    inside = [(r >= 0) & (r < sizes[i]) for i, r in enumerate(real)]
    # a padding element wins only when the window's maximum is -inf; PyTorch then reports the window's
    # first element inside the input, so padding elements point there
    first = [np.where(ok.any(1), r[np.arange(len(r)), ok.argmax(1)], 0)[:, None] for r, ok in zip(real, inside)]
    table = np.where(
        _flat_positions([ok.astype(np.int64) for ok in inside], [1] * nd) == nd,  # every dim inside
        _flat_positions(real, sizes),
        _flat_positions(first, sizes),
    )
    return vals, _pick_indices(table, arg).reshape(*lead, *outs)


def max_pool3d(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Window maxima over (N, C, D, H, W) or (C, D, H, W); with `return_indices`, also flat D*H*W positions."""
    return _max_pool_nd("max_pool3d", input, 3, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def _avg_pool_nd(
    fn: str, input: Tensor, nd: int, kernel_size: Any, stride: Any, padding: Any, ceil_mode: bool,  # noqa: A002
    count_include_pad: bool, divisor_override: int | None,
) -> Tensor:  # fmt: skip
    """Window means; the divisor counts the window's positions inside the (padded, if `count_include_pad`) input."""
    _check_dim(fn, input, (nd + 1, nd + 2), _POOL_LAYOUT[nd])
    _float_input(fn, input)
    k, s, p, d = _nd_pool_args(fn, nd, kernel_size, stride, padding)
    win, idx, outs = _sliding(fn, input, nd, k, s, p, d, ceil_mode, 0.0)
    out = win.sum(-1).reshape(*input.shape[:-nd], *outs)
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError(f"{fn}: divisor must be not zero")
        return out / divisor_override
    sizes = input.shape[-nd:]
    div: Any = np.ones((), dtype=np.float64)
    for i in range(nd):
        lo, hi = (0, sizes[i] + 2 * p[i]) if count_include_pad else (p[i], p[i] + sizes[i])
        cnt = ((idx[i] >= lo) & (idx[i] < hi)).sum(1).astype(np.float64)
        div = np.multiply.outer(div, cnt)
    return out / ember.tensor(div, dtype=out.dtype, device=out.device)


def avg_pool3d(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Window means over (N, C, D, H, W) or (C, D, H, W)."""
    return _avg_pool_nd(
        "avg_pool3d", input, 3, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )


def _adaptive_sizes(fn: str, input: Tensor, nd: int, output_size: Any) -> list[int]:  # noqa: A002
    sizes = input.shape[-nd:]
    want = list(output_size) if isinstance(output_size, (tuple, list)) else [output_size] * nd
    if len(want) != nd:
        raise _ShapeError(f"{fn}: output_size must be an int or a tuple of {nd} ints, got {output_size!r}")
    outs = [sizes[i] if want[i] is None else int(want[i]) for i in range(nd)]
    if any(o < 0 for o in outs):
        raise _ShapeError(f"{fn}: output_size must be non-negative, got {output_size!r}")
    if any(s == 0 for s in sizes):
        raise _ShapeError(f"{fn}: expected input with non-zero spatial sizes, got shape {tuple(input.shape)}")
    return outs


def _adaptive_matrix(size: int, out: int) -> np.ndarray:
    """(out, size): row i averages PyTorch's adaptive bin i (floor(i*size/out) to ceil((i+1)*size/out))."""
    m = np.zeros((out, size))
    for i, (a, b) in enumerate(_adaptive_bins(size, out)):
        m[i, a:b] = 1.0 / (b - a)
    return m


def adaptive_avg_pool3d(input: Tensor, output_size: Any) -> Tensor:  # noqa: A002
    """Means over PyTorch's adaptive bins in D, H and W: one small averaging matmul per dim (bins are separable)."""
    _check_dim("adaptive_avg_pool3d", input, (4, 5), _POOL_LAYOUT[3])
    _float_input("adaptive_avg_pool3d", input)
    outs = _adaptive_sizes("adaptive_avg_pool3d", input, 3, output_size)
    x = input
    for i in range(3):
        ax = input.ndim - 3 + i
        if x.shape[ax] == outs[i]:
            continue
        m = ember.tensor(_adaptive_matrix(x.shape[ax], outs[i]).T, dtype=x.dtype, device=x.device)
        x = (x.movedim(ax, -1) @ m).movedim(-1, ax)
    return x


def _adaptive_max_nd(fn: str, input: Tensor, nd: int, output_size: Any, return_indices: bool) -> Any:  # noqa: A002
    _check_dim(fn, input, (nd + 1, nd + 2), _POOL_LAYOUT[nd])
    _float_input(fn, input)
    outs = _adaptive_sizes(fn, input, nd, output_size)
    sizes = input.shape[-nd:]
    idx = []
    for i in range(nd):
        bins = _adaptive_bins(sizes[i], outs[i])
        width = max((b - a for a, b in bins), default=1)
        idx.append(np.array([[min(a + j, b - 1) for j in range(width)] for a, b in bins], dtype=np.int64).reshape(outs[i], width))
    lead = input.shape[:-nd]
    vals, arg = _windows(input.reshape(-1, *sizes), idx).max(-1)
    vals = vals.reshape(*lead, *outs)
    if not return_indices:
        return vals
    return vals, _pick_indices(_flat_positions(idx, sizes), arg).reshape(*lead, *outs)


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:  # noqa: A002
    """Maxima over PyTorch's adaptive bins of (N, C, L) or (C, L); with `return_indices`, their positions."""
    return _adaptive_max_nd("adaptive_max_pool1d", input, 1, output_size, return_indices)


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:  # noqa: A002
    """Maxima over PyTorch's adaptive bins of (N, C, H, W) or (C, H, W); with `return_indices`, flat H*W positions."""
    return _adaptive_max_nd("adaptive_max_pool2d", input, 2, output_size, return_indices)


def adaptive_max_pool3d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:  # noqa: A002
    """Maxima over PyTorch's adaptive bins of (N, C, D, H, W) or (C, D, H, W); with `return_indices`, flat D*H*W positions."""
    return _adaptive_max_nd("adaptive_max_pool3d", input, 3, output_size, return_indices)


def max_pool1d_with_indices(
    input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,  # noqa: A002
    return_indices: bool = True,
) -> Any:
    """`max_pool1d` returning (values, indices), PyTorch's explicit name."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(
    input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,  # noqa: A002
    return_indices: bool = True,
) -> Any:
    """`max_pool2d` returning (values, indices), PyTorch's explicit name."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(
    input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,  # noqa: A002
    return_indices: bool = True,
) -> Any:
    """`max_pool3d` returning (values, indices), PyTorch's explicit name."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size: Any, return_indices: bool = True) -> Any:  # noqa: A002
    """`adaptive_max_pool1d` returning (values, indices)."""
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size: Any, return_indices: bool = True) -> Any:  # noqa: A002
    """`adaptive_max_pool2d` returning (values, indices)."""
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input: Tensor, output_size: Any, return_indices: bool = True) -> Any:  # noqa: A002
    """`adaptive_max_pool3d` returning (values, indices)."""
    return adaptive_max_pool3d(input, output_size, True)


def _max_unpool_nd(
    fn: str, input: Tensor, indices: Tensor, nd: int, kernel_size: Any, stride: Any, padding: Any, output_size: Any  # noqa: A002
) -> Tensor:
    _check_dim(fn, input, (nd + 1, nd + 2), _POOL_LAYOUT[nd])
    if tuple(indices.shape) != tuple(input.shape) or indices.dtype.is_floating_point or indices.dtype is ember.bool_:
        raise RuntimeError(
            f"{fn}: expected integer indices of the input's shape {tuple(input.shape)}, got {tuple(indices.shape)} "
            f"{indices.dtype.name}"
        )
    k, s, p, _ = _nd_pool_args(fn, nd, kernel_size, stride, padding)
    sizes = input.shape[-nd:]
    default = [(sizes[i] - 1) * s[i] - 2 * p[i] + k[i] for i in range(nd)]
    if output_size is None:
        outs = default
    else:
        outs = [int(v) for v in tuple(output_size)[-nd:]]
        if len(outs) != nd:
            raise _ShapeError(f"{fn}: output_size must have {nd} or {nd + 2} elements, got {output_size!r}")
        for i in range(nd):
            if not default[i] - s[i] < outs[i] < default[i] + s[i]:
                raise _ShapeError(
                    f"{fn}: invalid output_size {tuple(output_size)} (dim {i} must be between "
                    f"{default[i] - s[i]} and {default[i] + s[i]}, exclusive)"
                )
    total = math.prod(outs)
    lead = input.shape[:-nd]
    flat = indices.reshape(-1, math.prod(sizes))
    if flat.numel() and (int(flat.min().item()) < 0 or int(flat.max().item()) >= total):
        raise RuntimeError(f"{fn}: found an invalid max index (output size {tuple(outs)} has {total} positions)")
    out = ember.zeros(flat.shape[0], total, dtype=input.dtype, device=input.device)
    out = out.scatter(1, flat, input.reshape(flat.shape))
    return out.reshape(*lead, *outs)


def max_unpool1d(
    input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, output_size: Any = None  # noqa: A002
) -> Tensor:
    """The partial inverse of max_pool1d: values put back at their `indices`, zeros elsewhere."""
    return _max_unpool_nd("max_unpool1d", input, indices, 1, kernel_size, stride, padding, output_size)


def max_unpool2d(
    input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, output_size: Any = None  # noqa: A002
) -> Tensor:
    """The partial inverse of max_pool2d: values put back at their flat H*W `indices`, zeros elsewhere."""
    return _max_unpool_nd("max_unpool2d", input, indices, 2, kernel_size, stride, padding, output_size)


def max_unpool3d(
    input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, output_size: Any = None  # noqa: A002
) -> Tensor:
    """The partial inverse of max_pool3d: values put back at their flat D*H*W `indices`, zeros elsewhere."""
    return _max_unpool_nd("max_unpool3d", input, indices, 3, kernel_size, stride, padding, output_size)


def _lp_pool_nd(
    fn: str, input: Tensor, nd: int, norm_type: float, kernel_size: Any, stride: Any, ceil_mode: bool  # noqa: A002
) -> Tensor:
    k = _pair(kernel_size, nd, "kernel_size")
    if norm_type in (math.inf, -math.inf):  # PyTorch: the max (min) of |x| over the window
        max_pool = (max_pool1d, max_pool2d, max_pool3d)[nd - 1]
        sign = 1 if norm_type > 0 else -1
        return max_pool(input.abs() * sign, k, stride, 0, 1, ceil_mode) * sign
    out = _avg_pool_nd(fn, input.pow(norm_type), nd, k, stride, 0, ceil_mode, True, None)
    return (out.sign() * out.abs().relu()).mul(math.prod(k)).pow(1.0 / norm_type)


def lp_pool1d(
    input: Tensor, norm_type: float, kernel_size: int, stride: Any = None, ceil_mode: bool = False  # noqa: A002
) -> Tensor:
    """Power-average pooling: (sum over the window of x^p)^(1/p), over (N, C, L) or (C, L)."""
    return _lp_pool_nd("lp_pool1d", input, 1, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(
    input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False  # noqa: A002
) -> Tensor:
    """Power-average pooling: (sum over the window of x^p)^(1/p), over (N, C, H, W) or (C, H, W)."""
    return _lp_pool_nd("lp_pool2d", input, 2, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(
    input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False  # noqa: A002
) -> Tensor:
    """Power-average pooling: (sum over the window of x^p)^(1/p), over (N, C, D, H, W) or (C, D, H, W)."""
    return _lp_pool_nd("lp_pool3d", input, 3, norm_type, kernel_size, stride, ceil_mode)


# -- resampling ---------------------------------------------------------------------------
def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:  # noqa: A002
    """(*, C*r^2, H, W) -> (*, C, H*r, W*r): sub-pixel rearrangement of channels into space."""
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with {input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(
            f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, "
            f"but input.size(-3)={c} is not divisible by {r * r}"
        )
    nl = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(nl), nl, nl + 3, nl + 1, nl + 4, nl + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:  # noqa: A002
    """(*, C, H*r, W*r) -> (*, C*r^2, H, W): the inverse of pixel_shuffle."""
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with {input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(
            f"pixel_unshuffle expects height and width to be divisible by downscale_factor, but input.size(-2)={h} "
            f"and input.size(-1)={w} are not divisible by {r}"
        )
    nl = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(nl), nl, nl + 2, nl + 4, nl + 1, nl + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:  # noqa: A002
    """(N, C, *) with channels regrouped: channel g*(C/groups)+i moves to i*groups+g (ShuffleNet)."""
    if input.ndim < 3:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but got input with {input.ndim} dimension(s)")
    if groups <= 0:
        raise _ShapeError(f"channel_shuffle: number of groups to divide channels in must be positive, got {groups}")
    n, c, *rest = input.shape
    if c % groups:
        raise _ShapeError(f"channel_shuffle: number of channels ({c}) must be divisible by groups ({groups})")
    return input.reshape(n, groups, c // groups, *rest).transpose(1, 2).reshape(n, c, *rest)


_INTERP_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def _source_scale(size: int, out: int, align_corners: bool, scale: float | None) -> float:
    """PyTorch's area_pixel_compute_scale: the input step per output step."""
    if align_corners:
        return (size - 1) / (out - 1) if out > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else size / out


def _cubic_weights(t: float) -> list[float]:
    """Keys' cubic convolution weights (A = -0.75, as PyTorch) for taps -1, 0, 1, 2 at fraction t."""
    a = -0.75
    c1 = lambda x: ((a + 2) * x - (a + 3)) * x * x + 1  # noqa: E731
    c2 = lambda x: ((a * x - 5 * a) * x + 8 * a) * x - 4 * a  # noqa: E731
    return [c2(t + 1), c1(t), c1(1 - t), c2(2 - t)]


def _interp_matrix(mode: str, size: int, out: int, align_corners: bool, scale: float | None) -> np.ndarray:
    """(out, size): output i is row i times the input, for the linear, cubic and area modes."""
    if mode == "area":
        return _adaptive_matrix(size, out)
    m = np.zeros((out, size))
    step = _source_scale(size, out, align_corners, scale)
    for i in range(out):
        src = step * i if align_corners else step * (i + 0.5) - 0.5
        if mode == "bicubic":
            i0 = math.floor(src)
            for tap, wt in zip(range(i0 - 1, i0 + 3), _cubic_weights(src - i0)):
                m[i, min(max(tap, 0), size - 1)] += wt
        else:
            src = max(src, 0.0)
            i0 = min(int(src), size - 1)
            lam = src - i0
            m[i, i0] += 1.0 - lam
            m[i, min(i0 + 1, size - 1)] += lam
    return m


def _antialias_matrix(mode: str, size: int, out: int, align_corners: bool, scale: float | None) -> np.ndarray:
    """(out, size) for antialiased bilinear/bicubic: the filter (triangle, or Keys' cubic with A = -0.5)
    stretched by the downscale factor so every input pixel contributes, each row normalised to sum 1."""
    step = _source_scale(size, out, align_corners, scale)
    half = 1.0 if mode == "bilinear" else 2.0
    support = half * step if step >= 1.0 else half
    inv = 1.0 / step if step >= 1.0 else 1.0

    def filt(x: float) -> float:
        x = abs(x)
        if mode == "bilinear":
            return 1.0 - x if x < 1.0 else 0.0
        a = -0.5
        if x < 1.0:
            return ((a + 2) * x - (a + 3)) * x * x + 1
        return (((x - 5) * x + 8) * x - 4) * a if x < 2.0 else 0.0

    m = np.zeros((out, size))
    for i in range(out):
        center = step * (i + 0.5)
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), size)
        w = np.array([filt((j - center + 0.5) * inv) for j in range(lo, hi)])
        m[i, lo:hi] = w / w.sum() if w.sum() != 0 else w
    return m


def _nearest_index(size: int, out: int, scale: float | None, exact: bool) -> np.ndarray:
    step = 1.0 / scale if scale is not None and scale > 0 else size / out
    src = np.floor((np.arange(out) + (0.5 if exact else 0.0)) * step)
    return np.minimum(src.astype(np.int64), size - 1)


def interpolate(
    input: Tensor,  # noqa: A002
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize the spatial dims of (N, C, *spatial) to `size` or by `scale_factor`.

    Every mode is separable: nearest modes pick rows per dim (index_select); linear, cubic and area
    modes multiply each dim by a small (out, in) interpolation matrix built on the host.
    """
    modes = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
    if mode not in modes:
        raise NotImplementedError(f"interpolate: unknown mode {mode!r}; expected one of {modes}")
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate: expected a Tensor input, got {type(input).__name__}")
    nd = input.ndim - 2
    if nd not in (1, 2, 3):
        raise NotImplementedError(
            f"interpolate: input must be 3-D, 4-D or 5-D (N, C, *spatial), got a {input.ndim}-D input of shape {tuple(input.shape)}"
        )
    if mode in _INTERP_DIMS and _INTERP_DIMS[mode] != nd:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {_INTERP_DIMS[mode] + 2}D input")
    if align_corners is not None and mode not in _INTERP_DIMS:
        raise ValueError(
            "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear"
        )
    if antialias and mode not in ("bilinear", "bicubic"):
        raise ValueError(f"Anti-alias option is restricted to bilinear and bicubic modes and requires a 4-D tensor as input, got mode {mode!r}")  # fmt: skip
    if mode not in ("nearest", "nearest-exact"):  # the nearest modes only pick elements: any dtype
        _float_input("interpolate", input)
    corners = bool(align_corners)
    sizes = input.shape[2:]
    if (size is None) == (scale_factor is None):
        raise ValueError(
            "only one of size or scale_factor should be defined" if size is not None else "either size or scale_factor should be defined"
        )
    scales: list[float | None]
    if size is not None:
        outs = list(size) if isinstance(size, (tuple, list)) else [size] * nd
        if len(outs) != nd:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input with spatial dimensions of {list(sizes)} and output size of {size}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")  # fmt: skip
        outs = [int(o) for o in outs]
        scales = [None] * nd
    else:
        sf = list(scale_factor) if isinstance(scale_factor, (tuple, list)) else [scale_factor] * nd
        if len(sf) != nd:
            raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got input with spatial dimensions of {list(sizes)} and scale_factor of shape {scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")  # fmt: skip
        outs = [math.floor(sizes[i] * float(sf[i])) for i in range(nd)]
        scales = [None if recompute_scale_factor else float(v) for v in sf]
    if any(o <= 0 for o in outs) or any(s == 0 for s in sizes):
        raise _ValueError(f"interpolate: input {tuple(input.shape)} and output size {tuple(outs)} must be non-empty")
    x = input
    for i in range(nd):
        ax = 2 + i
        if mode in ("nearest", "nearest-exact"):
            ix = _nearest_index(sizes[i], outs[i], scales[i], mode == "nearest-exact")
            x = x.index_select(ax, ember.tensor(ix, device=x.device))
            continue
        if mode == "area" and sizes[i] == outs[i]:
            continue
        if antialias:
            m = _antialias_matrix(mode, sizes[i], outs[i], corners, scales[i])
        else:
            m = _interp_matrix(mode, sizes[i], outs[i], corners, scales[i] if mode != "area" else None)
        x = (x.movedim(ax, -1) @ ember.tensor(m.T, dtype=x.dtype, device=x.device)).movedim(-1, ax)
    return x


def upsample(
    input: Tensor,  # noqa: A002
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Tensor:
    """Deprecated alias of `interpolate` (kept for PyTorch compatibility)."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:  # noqa: A002
    """Deprecated: `interpolate(..., mode='nearest')`."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:  # noqa: A002
    """Deprecated: `interpolate(..., mode='bilinear', align_corners=True)`."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def _grid_unnormalize(coord: Tensor, size: int, align_corners: bool) -> Tensor:
    """Normalised grid coordinates in [-1, 1] -> pixel coordinates."""
    return ((coord + 1) / 2) * (size - 1) if align_corners else ((coord + 1) * size - 1) / 2


def _grid_pad(x: Tensor, size: int, padding_mode: str, align_corners: bool) -> Tensor:
    """Pixel coordinates moved inside the image as 'border' (clip) or 'reflection' (mirror, then clip) say."""
    if padding_mode == "border":
        return x.clamp(0, size - 1)
    if padding_mode == "reflection":
        lo, hi = (0.0, float(size - 1)) if align_corners else (-0.5, size - 0.5)
        span = hi - lo
        if span <= 0:
            return ember.zeros_like(x)
        y = (x - lo).abs()
        flips = (y / span).floor()
        extra = y - flips * span
        even = (flips / 2).floor() * 2 == flips
        x = ember.where(even, extra + lo, span - extra + lo)
        return x.clamp(0, size - 1)
    return x


def _cubic_weight_tensors(t: Tensor) -> list[Tensor]:
    """Keys' cubic convolution weights (A = -0.75) of taps -1, 0, 1, 2 at fractions `t` (differentiable in t)."""
    a = -0.75

    def near(x: Tensor) -> Tensor:  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x: Tensor) -> Tensor:  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def grid_sample(
    input: Tensor,  # noqa: A002
    grid: Tensor,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
) -> Tensor:
    """Sample (N, C, H, W) at the normalised (x, y) locations of grid (N, Ho, Wo, 2) -> (N, C, Ho, Wo)
    (or (N, C, D, H, W) at grid (N, Do, Ho, Wo, 3), bilinear meaning trilinear there).

    Each output reads a few neighbours (2 per dim for bilinear, 4 for bicubic, 1 for nearest),
    gathered from the flattened image and weighted; neighbours outside the image count as 0
    ('zeros'), 'border' and 'reflection' move the coordinates inside. Differentiable in the
    input and the grid.
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(
            f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: '{mode}'"
        )
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(
            "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or 'reflection', "
            f"but got: '{padding_mode}'"
        )
    _check_dim("grid_sample", input, (4, 5), "(N, C, H, W) or (N, C, D, H, W)")
    nd = input.ndim - 2
    if grid.ndim != nd + 2 or grid.shape[-1] != nd or grid.shape[0] != input.shape[0]:
        raise RuntimeError(
            f"grid_sample: expected a grid (N, *out_spatial, {nd}) with the input's N for input {tuple(input.shape)}, "
            f"got grid {tuple(grid.shape)}"
        )
    if mode == "bicubic" and nd == 3:
        raise RuntimeError("grid_sample: bicubic interpolation only supports 4D input")
    _float_input("grid_sample", input)
    n, c = input.shape[:2]
    sizes = input.shape[2:]
    out_sp = grid.shape[1:-1]
    m = math.prod(out_sp)
    g = grid.to(input.dtype)
    corners = bool(align_corners)
    taps: list[list[tuple[Tensor, Tensor | None]]] = []  # per spatial dim: (integer coordinate, weight)
    for d in range(nd):
        size = sizes[d]
        coord = g[..., nd - 1 - d].reshape(n, 1, m)  # grid's last entry indexes the first spatial dim
        if mode == "bicubic":
            x = _grid_unnormalize(coord, size, corners)
            f = x.detach().floor()
            ws = _cubic_weight_tensors(x - f)
            taps.append([(_grid_pad(f + k, size, padding_mode, corners), ws[k + 1]) for k in (-1, 0, 1, 2)])
            continue
        x = _grid_pad(_grid_unnormalize(coord, size, corners), size, padding_mode, corners)
        if mode == "nearest":
            taps.append([(x.detach().round(), None)])
        else:
            f = x.detach().floor()
            t = x - f
            taps.append([(f, 1 - t), (f + 1, t)])
    flat = input.reshape(n, c, -1)
    out: Tensor | None = None
    for combo in itertools.product(*taps):
        valid: Tensor | None = None
        pos: Tensor | None = None
        weight: Tensor | None = None
        for d, (xc, w) in enumerate(combo):
            ok = (xc >= 0) & (xc <= sizes[d] - 1)
            valid = ok if valid is None else valid & ok
            idx = xc.detach().clamp(0, sizes[d] - 1).long()
            pos = idx if pos is None else pos * sizes[d] + idx
            if w is not None:
                weight = w if weight is None else weight * w
        assert valid is not None and pos is not None
        mask = valid.to(input.dtype)
        term = flat.gather(2, pos.expand(n, c, m)) * (mask if weight is None else weight * mask)
        out = term if out is None else out + term
    assert out is not None
    return out.reshape(n, c, *out_sp)


def _base_coords(steps: int, align_corners: bool) -> np.ndarray:
    if steps <= 1:
        return np.zeros(max(steps, 0))
    r = np.linspace(-1.0, 1.0, steps)
    return r if align_corners else r * (steps - 1) / steps


def affine_grid(theta: Tensor, size: Sequence[int], align_corners: bool | None = None) -> Tensor:
    """Sampling grid (N, H, W, 2) (or (N, D, H, W, 3)) of the affine maps theta (N, 2, 3) (or (N, 3, 4))."""
    size = [int(v) for v in size]
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype.name}")
    if len(size) == 4:
        if theta.ndim != 3 or tuple(theta.shape[1:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {tuple(size)}. Got {tuple(theta.shape)}.")
        spatial = size[2:]
    elif len(size) == 5:
        if theta.ndim != 3 or tuple(theta.shape[1:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {tuple(size)}. Got {tuple(theta.shape)}.")
        spatial = size[2:]
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, respectively. Got size {tuple(size)}.")  # fmt: skip
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {tuple(size)}")
    if theta.shape[0] != size[0]:
        raise ValueError(f"affine_grid: theta has batch size {theta.shape[0]} but size asks for {size[0]}")
    corners = bool(align_corners)
    axes = [_base_coords(s, corners) for s in spatial]  # (D,) H, W
    mesh = np.meshgrid(*axes, indexing="ij")
    nd = len(spatial)
    base = np.stack([mesh[nd - 1 - j] for j in range(nd)] + [np.ones(spatial)], -1).reshape(1, -1, nd + 1)  # x, y, (z), 1
    b = ember.tensor(base, dtype=theta.dtype, device=theta.device)
    grid = b @ theta.transpose(1, 2)
    return grid.reshape(size[0], *spatial, nd)


# -- normalisation ----------------------------------------------------------------------------
def _channel_affine(out: Tensor, weight: Tensor | None, bias: Tensor | None, shape: tuple[int, ...]) -> Tensor:
    """`out * weight + bias`, each per channel (reshaped to `shape`) and each optional: the affine tail of the norms."""
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def _normalize_running(
    op: str, when: str, x: Tensor, running_mean: Tensor | None, running_var: Tensor | None, eps: float,
    shape: tuple[int, ...],
) -> Tensor:  # fmt: skip
    """`x` normalized with the running statistics (batch_norm in eval, instance_norm without input stats)."""
    if running_mean is None or running_var is None:
        raise _ValueError(f"{op}: running_mean and running_var are needed when {when}")
    scale = (running_var.to(x.dtype) + eps).rsqrt().reshape(shape)
    return (x - running_mean.to(x.dtype).reshape(shape)) * scale


def batch_norm(
    input: Tensor,  # noqa: A002
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over every dim but the channel dim 1; in training, batch statistics (and the running
    ones updated in place with `momentum`), else the running statistics."""
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected an input with at least 2 dims (N, C, ...), got shape {tuple(input.shape)}")
    _same_dtype("batch_norm", input, weight=weight, bias=bias)
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm: running_mean and running_var must either both be None or neither be None")
    c = input.shape[1]
    shape = (1, c) + (1,) * (input.ndim - 2)
    axes = (0, *range(2, input.ndim))
    if training:
        count = input.numel() // c
        if count <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got input size {tuple(input.shape)}")
        mean = input.mean(axes, keepdim=True)
        centered = input - mean
        var = (centered * centered).mean(axes, keepdim=True)
        if running_mean is not None and running_var is not None:
            with ember.no_grad():
                running_mean.mul_(1 - momentum).add_(mean.detach().reshape(c).to(running_mean.dtype) * momentum)
                unbiased = var.detach().reshape(c) * (count / (count - 1))
                running_var.mul_(1 - momentum).add_(unbiased.to(running_var.dtype) * momentum)
        out = centered * (var + eps).rsqrt()
    else:
        out = _normalize_running("batch_norm", "training=False", input, running_mean, running_var, eps, shape)
    return _channel_affine(out, weight, bias, shape)


def layer_norm(
    input: Tensor,  # noqa: A002
    normalized_shape: Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the trailing dims `normalized_shape` (biased variance)."""
    shape = tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(shape) :]) != shape or input.ndim < len(shape):
        raise _ShapeError(
            f"layer_norm: expected input with shape (*, {', '.join(map(str, shape))}), got {tuple(input.shape)}"
        )
    _same_dtype("layer_norm", input, weight=weight, bias=bias)
    axes = tuple(range(input.ndim - len(shape), input.ndim))
    mean = input.mean(axes, keepdim=True)
    centered = input - mean
    var = (centered * centered).mean(axes, keepdim=True)
    out = centered * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def group_norm(
    input: Tensor,  # noqa: A002
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each of `num_groups` channel groups of (N, C, *) over its channels and positions."""
    if input.ndim < 2:
        raise ValueError(f"group_norm: expected an input with at least 2 dims (N, C, *), got shape {tuple(input.shape)}")
    n, c = input.shape[:2]
    if c % num_groups:
        raise _ShapeError(f"group_norm: the number of channels ({c}) must be divisible by num_groups ({num_groups})")
    _same_dtype("group_norm", input, weight=weight, bias=bias)
    x = input.reshape(n, num_groups, -1)
    mean = x.mean(2, keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(2, keepdim=True)
    out = (centered * (var + eps).rsqrt()).reshape(input.shape)
    shape = (1, c) + (1,) * (input.ndim - 2)
    return _channel_affine(out, weight, bias, shape)


def instance_norm(
    input: Tensor,  # noqa: A002
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel of each sample of (N, C, *) over its positions; with running statistics
    given, they are updated with the batch average of the per-instance statistics (or used when
    `use_input_stats` is False)."""
    if input.ndim < 3:
        raise ValueError(f"instance_norm: expected an input with at least 3 dims (N, C, *), got shape {tuple(input.shape)}")
    _same_dtype("instance_norm", input, weight=weight, bias=bias)
    n, c = input.shape[:2]
    shape = (1, c) + (1,) * (input.ndim - 2)
    if use_input_stats:
        count = input.numel() // max(n * c, 1)
        if count <= 1:
            raise ValueError(
                f"instance_norm: expected more than 1 spatial element when training, got input size {tuple(input.shape)}"
            )
        axes = tuple(range(2, input.ndim))
        mean = input.mean(axes, keepdim=True)
        centered = input - mean
        var = (centered * centered).mean(axes, keepdim=True)
        if running_mean is not None and running_var is not None:
            with ember.no_grad():
                bm = mean.detach().reshape(n, c).mean(0).to(running_mean.dtype)
                bv = (var.detach().reshape(n, c) * (count / (count - 1))).mean(0).to(running_var.dtype)
                running_mean.mul_(1 - momentum).add_(bm * momentum)
                running_var.mul_(1 - momentum).add_(bv * momentum)
        out = centered * (var + eps).rsqrt()
    else:
        out = _normalize_running("instance_norm", "use_input_stats=False", input, running_mean, running_var, eps, shape)
    return _channel_affine(out, weight, bias, shape)


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:  # noqa: A002
    """``x / (k + alpha * mean of x^2 over a window of `size` neighbouring channels)^beta`` (the window
    is zero-padded, and the mean always divides by `size`, as in PyTorch)."""
    if input.ndim < 3:
        raise ValueError(f"local_response_norm: expected a 3-D or higher input (N, C, *), got shape {tuple(input.shape)}")
    if input.numel() == 0:
        return input
    c = input.shape[1]
    sq = input * input
    before, after = size // 2, (size - 1) // 2
    pad_spec = (0, 0) * (input.ndim - 2) + (before, after)
    sqp = pad(sq, pad_spec)
    div = sqp[:, 0:c]
    for i in range(1, size):
        div = div + sqp[:, i : i + c]
    div = (div * (alpha / size) + k) ** beta
    return input / div


def rms_norm(
    input: Tensor,  # noqa: A002
    normalized_shape: Sequence[int],
    weight: Tensor | None = None,
    eps: float | None = None,
) -> Tensor:
    """``x / sqrt(mean(x^2) + eps) * weight`` over the trailing dims `normalized_shape`; `eps` defaults to
    the machine epsilon of the input's dtype."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if input.ndim < len(shape) or tuple(input.shape[input.ndim - len(shape) :]) != shape:
        raise RuntimeError(
            f"rms_norm: expected input with shape (*, {', '.join(map(str, shape))}), got {tuple(input.shape)}"
        )
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(f"rms_norm: expected weight of shape {shape} (normalized_shape), got {tuple(weight.shape)}")
    _same_dtype("rms_norm", input, weight=weight)
    if eps is None:
        eps = float(ember.finfo(input.dtype).eps)
    axes = tuple(range(input.ndim - len(shape), input.ndim))
    out = input * ((input * input).mean(axes, keepdim=True) + eps).rsqrt()
    return out * weight if weight is not None else out


# -- attention ----------------------------------------------------------------------------------
def _attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    mask: Tensor | None,
    dropout_p: float,
    scale: float,
    masked_rows_zero: bool = True,
) -> tuple[Tensor, Tensor]:
    """``softmax(q k^T * scale + mask) v`` and the weights; `mask` is None, bool (True = take part)
    or additive float. A row with every key masked out gives zeros (PyTorch's SDPA), or NaN without
    `masked_rows_zero` (PyTorch's MultiheadAttention when it returns the weights).
    float16/bfloat16 inputs are computed in float32 and rounded once at the end, as PyTorch's kernels
    accumulate (half the error of rounding every step)."""
    low = query.dtype in (ember.float16, ember.bfloat16)
    if low:
        out, weights = _attention(
            query.float(), key.float(), value.float(),
            mask.float() if mask is not None and mask.dtype.is_floating_point else mask, dropout_p, scale,
            masked_rows_zero,
        )  # fmt: skip
        return out.to(query.dtype), weights.to(query.dtype)
    scores = (query @ key.mT) * scale
    if mask is not None and not masked_rows_zero:
        scores = scores.masked_fill(mask.logical_not(), float("-inf")) if mask.dtype is ember.bool_ else scores + mask
        weights = ember.softmax(scores, -1)
    elif mask is not None:
        scores = scores.masked_fill(mask.logical_not(), float("-inf")) if mask.dtype is ember.bool_ else scores + mask
        dead = (scores == float("-inf")).all(-1, keepdim=True)
        scores = scores.masked_fill(dead, 0.0)
        weights = ember.softmax(scores, -1).masked_fill(dead, 0.0)
    else:
        weights = ember.softmax(scores, -1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return weights @ value, weights


def _broadcast(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    """NumPy's broadcast of two shapes, or None when they do not broadcast."""
    out = []
    for x, y in zip((1,) * (len(b) - len(a)) + a, (1,) * (len(a) - len(b)) + b):
        if x != y and 1 not in (x, y):
            return None
        out.append(y if x == 1 else x)
    return tuple(out)


def _check_attn_mask(fn: str, mask: Tensor, query: Tensor, shape: tuple[int, ...]) -> None:
    """`mask` must be bool or floating and broadcast to `shape` (the scores' shape)."""
    if mask.dtype is not ember.bool_ and not mask.dtype.is_floating_point:
        raise RuntimeError(
            f"{fn}: Expected attn_mask dtype to be bool or float or to match query dtype, but got "
            f"attn_mask.dtype: {mask.dtype} and query.dtype: {query.dtype} instead."
        )
    if _broadcast(tuple(mask.shape), shape) != shape:
        raise RuntimeError(
            f"{fn}: attn_mask of shape {tuple(mask.shape)} does not broadcast to the attention scores' shape {shape} "
            f"(..., L, S); pass (L, S) or a shape broadcastable to (N, heads, L, S)"
        )


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """``softmax(q k^T * scale + mask) v`` over (..., L, E), (..., S, E), (..., S, Ev).

    A bool `attn_mask` marks the positions that may be attended (True = take part); a float one is
    added. `is_causal` masks key j > query i (top-left aligned). With `enable_gqa`, query's head
    dimension (-3) may be a multiple of key/value's: each key/value head then serves that many query
    heads (grouped-query attention). `dropout_p` always applies (pass 0 in evaluation).
    """
    fn = "scaled_dot_product_attention"
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise _ShapeError(
            f"{fn}: Expected query, key, and value to all be at least 2 dimensional (..., L, E), got shapes "
            f"{tuple(query.shape)}, {tuple(key.shape)} and {tuple(value.shape)}"
        )
    if not query.dtype == key.dtype == value.dtype:
        raise _DTypeError(
            f"{fn}: Expected query, key, and value to have the same dtype, got {query.dtype}, {key.dtype} and "
            f"{value.dtype}; cast them with .to(dtype)"
        )
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise _ShapeError(
            f"{fn}: query (..., L, E) {tuple(query.shape)}, key (..., S, E) "
            f"{tuple(key.shape)} and value (..., S, Ev) {tuple(value.shape)} do not fit together"
        )
    if enable_gqa and query.ndim >= 3 and key.ndim >= 3 and query.shape[-3] != key.shape[-3]:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hk != hv or hq % hk:
            raise RuntimeError(
                f"{fn}: Number of heads in key and value must divide the number of heads in query "
                f"(query {tuple(query.shape)}, key {tuple(key.shape)}, value {tuple(value.shape)})"
            )

        def repeat_heads(t: Tensor) -> Tensor:  # repeat_interleave over the head dimension
            s = tuple(t.shape)
            return t.unsqueeze(-3).expand(*s[:-2], hq // hk, *s[-2:]).reshape(*s[:-3], hq, *s[-2:])

        key, value = repeat_heads(key), repeat_heads(value)
    if dropout_p > 1.0:  # PyTorch skips dropout for dropout_p <= 0
        raise _ValueError(f"{fn}: dropout probability has to be between 0 and 1, but got {dropout_p}")
    lq, lk = query.shape[-2], key.shape[-2]
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError(f"{fn}: Explicit attn_mask should not be set when is_causal=True")
        attn_mask = ember.ones(lq, lk, dtype=ember.bool_, device=query.device).tril()
    elif attn_mask is not None:
        batch = _broadcast(tuple(query.shape[:-2]), tuple(key.shape[:-2])) or tuple(query.shape[:-2])
        _check_attn_mask(fn, attn_mask, query, (*batch, lq, lk))
    s = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    return _attention(query, key, value, attn_mask, dropout_p, s)[0]


def _mha_float_mask(fn: str, mask: Tensor, name: str, like: Tensor) -> Tensor:
    """A bool mask (True = masked out) as an additive float mask of `like`'s dtype."""
    if mask.dtype is ember.bool_:
        return ember.zeros(mask.shape, dtype=like.dtype, device=like.device).masked_fill(mask, float("-inf"))
    if not mask.dtype.is_floating_point:
        raise _AssertTypeError(f"{fn}: only bool and floating types of {name} are supported, got {mask.dtype}")
    return mask.to(dtype=like.dtype)


def _mha_merged_mask(
    fn: str,
    attn_mask: Tensor | None,
    key_padding_mask: Tensor | None,
    is_causal: bool,
    unbatched: bool,
    shape: tuple[int, int, int, int],
    query: Tensor,
) -> Tensor | None:
    """attn_mask and key_padding_mask as one additive float mask broadcastable to (N, H, L, S);
    `shape` is (N, H, L, S)."""
    n, h, lq, s = shape
    if attn_mask is None and is_causal:
        raise RuntimeError(
            f"{fn}: Need attn_mask if specifying the is_causal hint (is_causal only says that attn_mask is "
            "causal). You may use the Transformer module method `generate_square_subsequent_mask` to create "
            "this mask."
        )
    mask = None
    if attn_mask is not None:
        m = _mha_float_mask(fn, attn_mask, "attn_mask", query)
        if m.ndim == 2:
            if tuple(m.shape) != (lq, s):
                raise RuntimeError(f"{fn}: The shape of the 2D attn_mask is {tuple(m.shape)}, but should be {(lq, s)}.")
        elif m.ndim == 3:
            want = (h, lq, s) if unbatched else (n * h, lq, s)
            if tuple(m.shape) != want:
                raise RuntimeError(f"{fn}: The shape of the 3D attn_mask is {tuple(m.shape)}, but should be {want}.")
            m = m.reshape(n, h, lq, s)
        else:
            raise _AssertError(f"{fn}: attn_mask's dimension {m.ndim} is not supported (expected 2-D or 3-D)")
        mask = m
    if key_padding_mask is not None:
        want_k = (s,) if unbatched else (n, s)
        if tuple(key_padding_mask.shape) != want_k:
            raise _AssertError(
                f"{fn}: expected key_padding_mask of shape {want_k} ((N, S) batched, (S,) unbatched), "
                f"got {tuple(key_padding_mask.shape)}"
            )
        kpm = _mha_float_mask(fn, key_padding_mask, "key_padding_mask", query).reshape(n, 1, 1, s)
        mask = kpm if mask is None else mask + kpm
    return mask


def multi_head_attention_forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Tensor | None = None,
    need_weights: bool = True,
    attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """`nn.MultiheadAttention`'s computation on sequence-first inputs (L, N, E) / (S, N, E_k) / (S, N, E_v),
    or unbatched (L, E): project q, k, v (``in_proj_weight`` split in three, or the separate
    ``q/k/v_proj_weight``), append `bias_k`/`bias_v` and a zero key with `add_zero_attn`, attend per head
    under the masks (`static_k`/`static_v`, (N*H, S, E/H), replace the projected keys/values), project
    out. Returns the output and the attention weights (averaged over heads with `average_attn_weights`),
    or None without `need_weights`."""
    return _mha_forward(
        "multi_head_attention_forward", query, key, value, embed_dim_to_check, num_heads, in_proj_weight,
        in_proj_bias, bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training,
        key_padding_mask, need_weights, attn_mask, use_separate_proj_weight, q_proj_weight, k_proj_weight,
        v_proj_weight, static_k, static_v, average_attn_weights, is_causal,
    )  # fmt: skip


def _mha_forward(
    fn: str,
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool,
    key_padding_mask: Tensor | None,
    need_weights: bool,
    attn_mask: Tensor | None,
    use_separate_proj_weight: bool,
    q_proj_weight: Tensor | None,
    k_proj_weight: Tensor | None,
    v_proj_weight: Tensor | None,
    static_k: Tensor | None,
    static_v: Tensor | None,
    average_attn_weights: bool,
    is_causal: bool,
) -> tuple[Tensor, Tensor | None]:
    """`multi_head_attention_forward` with `fn`, the name its errors give (the module's or the function's)."""
    if query.ndim not in (2, 3):
        raise _AssertError(f"{fn}: expected a 2-D (unbatched) or 3-D query, got shape {tuple(query.shape)}")
    if key.ndim != query.ndim or value.ndim != query.ndim:
        raise _AssertError(
            f"{fn}: query, key and value must all be {query.ndim}-D, got shapes "
            f"{tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}"
        )
    e = query.shape[-1]
    if e != embed_dim_to_check:
        raise _AssertError(f"{fn}: was expecting embedding dimension of {embed_dim_to_check}, but got {e}")
    if num_heads <= 0 or e % num_heads:
        raise _AssertError(f"{fn}: embed_dim ({e}) must be divisible by num_heads ({num_heads}), both positive")
    if key.shape[:-1] != value.shape[:-1]:
        raise _AssertError(
            f"{fn}: key shape {tuple(key.shape)} does not match value shape {tuple(value.shape)} (but for the last dimension)"
        )
    if query.ndim == 3 and key.shape[1] != query.shape[1]:
        raise _AssertError(f"{fn}: query {tuple(query.shape)} and key {tuple(key.shape)} have different batch sizes")
    if (bias_k is None) != (bias_v is None):
        raise _AssertError(f"{fn}: bias_k and bias_v must be given together")
    unbatched = query.ndim == 2
    if unbatched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
    lq, n, _ = query.shape
    s = key.shape[0]
    h = num_heads
    hd = e // h
    bq, bk, bv = (None, None, None) if in_proj_bias is None else (in_proj_bias[:e], in_proj_bias[e : 2 * e], in_proj_bias[2 * e :])
    if use_separate_proj_weight:
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise _AssertError(f"{fn}: use_separate_proj_weight is True but q_proj_weight, k_proj_weight or v_proj_weight is None")
        wq, wk, wv = q_proj_weight, k_proj_weight, v_proj_weight
    else:
        if in_proj_weight is None:
            raise _AssertError(f"{fn}: use_separate_proj_weight is False but in_proj_weight is None")
        wq, wk, wv = in_proj_weight[:e], in_proj_weight[e : 2 * e], in_proj_weight[2 * e :]
    q = linear(query, wq, bq).reshape(lq, n, h, hd).permute(1, 2, 0, 3)  # (N, H, L, hd)
    k = linear(key, wk, bk)
    v = linear(value, wv, bv)
    extra = 0  # key columns appended by bias_k/bias_v and add_zero_attn
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise _AssertError(f"{fn}: bias cannot be added to static key/value")
        k = ember.cat([k, bias_k.reshape(1, 1, e).expand(1, n, e)], 0)
        v = ember.cat([v, bias_v.reshape(1, 1, e).expand(1, n, e)], 0)
        extra += 1
    k = k.reshape(k.shape[0], n, h, hd).permute(1, 2, 0, 3)
    v = v.reshape(v.shape[0], n, h, hd).permute(1, 2, 0, 3)
    for name, static in (("static_k", static_k), ("static_v", static_v)):
        if static is not None:
            if static.ndim != 3 or static.shape[0] != n * h or static.shape[2] != hd:
                raise _AssertError(
                    f"{fn}: expected {name} of shape ({n * h}, S, {hd}) (N*num_heads, S, head_dim), got {tuple(static.shape)}"
                )
            if name == "static_k":
                k = static.reshape(n, h, static.shape[1], hd)
            else:
                v = static.reshape(n, h, static.shape[1], hd)
    if add_zero_attn:
        k = ember.cat([k, ember.zeros(n, h, 1, hd, dtype=k.dtype, device=k.device)], 2)
        v = ember.cat([v, ember.zeros(n, h, 1, hd, dtype=v.dtype, device=v.device)], 2)
        extra += 1
    s = k.shape[2] - extra
    mask = _mha_merged_mask(fn, attn_mask, key_padding_mask, is_causal, unbatched, (n, h, lq, s), query)
    if mask is not None and extra:
        mask = pad(mask, (0, extra))
    # PyTorch computes the weights (need_weights) with a plain softmax, NaN on a row with every key masked
    # out; without them it calls scaled_dot_product_attention, whose such rows are zeros
    out, weights = _attention(q, k, v, mask, dropout_p if training else 0.0, hd**-0.5, not need_weights)
    out = linear(out.permute(2, 0, 1, 3).reshape(lq, n, e), out_proj_weight, out_proj_bias)
    if unbatched:
        out = out.squeeze(1)
    if not need_weights:
        return out, None
    wts = weights.mean(1) if average_attn_weights else weights
    return out, (wts.squeeze(0) if unbatched else wts)


# -- losses ---------------------------------------------------------------------------------------
_REDUCTIONS = ("none", "mean", "sum")


def _legacy_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return "none" if not reduce else ("mean" if size_average else "sum")


def _check_reduction(fn: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{fn}: {reduction!r} is not a valid value for reduction; expected 'none', 'mean' or 'sum'")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _warn_broadcast(fn: str, input: Tensor, target: Tensor) -> None:  # noqa: A002
    """PyTorch's warning when an elementwise loss's target would broadcast against its input: (N, 1) against
    (N,) silently becomes an (N, N) loss."""
    if isinstance(target, Tensor) and isinstance(input, Tensor) and tuple(input.shape) != tuple(target.shape):
        warnings.warn(
            f"{fn}: using a target size {tuple(target.shape)} that is different to the input size "
            f"{tuple(input.shape)}. This will likely lead to incorrect results due to broadcasting. "
            f"Please ensure they have the same size.",
            UserWarning,
            stacklevel=3,
        )


def _check_same_shape(fn: str, input: Tensor, target: Tensor) -> None:  # noqa: A002
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"{fn}: target size {tuple(target.shape)} must be the same as input size {tuple(input.shape)}")


def _all_class_indices(fn: str, target: Tensor, c: int) -> bool:
    """Whether every int64 target is a class index in [0, c): the losses' fast paths take it.

    One host read of the targets and one pass over them there (as unsigned, a negative index is
    larger than any class), instead of a min and a max on the device and two reads; a capture
    (ember.compile) records the check and a replay repeats it."""
    return _capture.host_predicate(
        f"{fn}: every target is a class index in [0, {c - 1}]", lambda t: t.view(np.uint64).max() < c, target
    )


def _nll(
    fn: str,
    logp: Tensor,
    target: Tensor,
    weight: Tensor | None,
    ignore_index: int,
    reduction: str,
    label_smoothing: float = 0.0,
) -> Tensor:
    """The negative log-likelihood of class-index targets, from log-probabilities (N, C, *) or (C,)."""
    if logp.ndim == 1:
        if target.ndim != 0:
            raise ValueError(f"{fn}: for an unbatched input of shape {tuple(logp.shape)}, expected a 0-D target, got {tuple(target.shape)}")
        out = _nll(fn, logp.unsqueeze(0), target.unsqueeze(0), weight, ignore_index, reduction, label_smoothing)
        return out.squeeze(0) if reduction == "none" else out  # an unbatched sample's loss is 0-D, like PyTorch's
    n, c = logp.shape[:2]
    if tuple(target.shape) != (n, *logp.shape[2:]):
        raise ValueError(
            f"{fn}: expected target of shape {(n, *logp.shape[2:])} for input of shape {tuple(logp.shape)}, "
            f"got {tuple(target.shape)}"
        )
    if target.dtype.is_floating_point or target.dtype is ember.bool_:
        raise _DTypeError(f"{fn}: expected class indices of an integer dtype (or probabilities for cross_entropy), got {target.dtype.name}")
    if weight is not None and tuple(weight.shape) != (c,):
        raise _ShapeError(f"{fn}: weight should be a 1-D tensor of {c} elements (one per class), got shape {tuple(weight.shape)}")
    target = target.long()
    if weight is None and label_smoothing == 0.0 and target.numel() and reduction != "none" and not 0 <= ignore_index < c:
        if _all_class_indices(fn, target, c):  # the common case: every target is a class index, none ignored
            picked = logp.gather(1, target.unsqueeze(1))
            return -(picked.mean() if reduction == "mean" else picked.sum())
    valid = target != ignore_index
    safe = ember.where(valid, target, 0)
    if safe.numel():
        seen: list[tuple[int, int]] = []  # the check's own read (host_predicate: ember.compile repeats it)

        def within(lo: Any, hi: Any) -> bool:
            seen.append((int(lo), int(hi)))
            return int(lo) >= 0 and int(hi) < c

        if not _capture.host_predicate(
            f"{fn}: every target is a class index in [0, {c - 1}] or ignore_index", within, safe.min(), safe.max()
        ):
            lo, hi = seen[-1]
            bad = lo if lo < 0 else hi
            raise IndexError(f"{fn}: target {bad} is out of bounds: class indices must be in [0, {c - 1}] (or ignore_index={ignore_index})")
    picked = -logp.gather(1, safe.unsqueeze(1)).squeeze(1)  # (N, *)
    validf = valid.to(logp.dtype)
    w = validf if weight is None else weight.to(logp.dtype)[safe] * validf
    loss = picked * w
    if label_smoothing > 0.0:
        wc = (1, c) + (1,) * (logp.ndim - 2)
        smooth = -(logp * weight.to(logp.dtype).reshape(wc)).sum(1) if weight is not None else -logp.sum(1)
        smooth = smooth * validf
    if reduction == "none":
        out = loss
        if label_smoothing > 0.0:
            out = loss * (1 - label_smoothing) + smooth * (label_smoothing / c)
        return out
    denom = w.sum() if reduction == "mean" else None
    total = loss.sum() / denom if denom is not None else loss.sum()
    if label_smoothing > 0.0:
        st = smooth.sum() / denom if denom is not None else smooth.sum()
        total = total * (1 - label_smoothing) + st * (label_smoothing / c)
    return total


def nll_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of class-index targets given log-probabilities (N, C, *)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction("nll_loss", reduction)
    return _nll("nll_loss", input, target, weight, ignore_index, reduction)


def cross_entropy(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy of logits (N, C, *) or (C,) against class indices (N, *) or probabilities (N, C, *)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction("cross_entropy", reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise _ShapeError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    if input.ndim == 0:
        raise ValueError("cross_entropy: expected an input of at least 1 dimension (C,) or (N, C, *), got a 0-D tensor")
    _float_input("cross_entropy", input)
    shape = input.shape
    if (
        len(shape) == 2 and reduction == "mean" and weight is None and label_smoothing == 0.0
        and tuple(target.shape) == shape[:1] and shape[0] and not 0 <= ignore_index < shape[1]
        and target.dtype.kind == "i"
    ):  # fmt: skip
        # the classifier's loss: fused (one kernel each way) when every target is a class index (an integer dtype)
        t, c = target.long(), shape[1]
        if _all_class_indices("cross_entropy", t, c):
            return softmax_cross_entropy(input, t)
    cdim = 0 if input.ndim == 1 else 1
    logp = ember.log_softmax(input, cdim)
    if not target.dtype.is_floating_point:
        return _nll("cross_entropy", logp, target, weight, ignore_index, reduction, label_smoothing)
    # class probabilities
    if ignore_index != -100:
        raise _ValueError(f"cross_entropy: ignore_index is not supported for floating point (class probability) targets, got ignore_index={ignore_index}")
    if tuple(target.shape) != tuple(input.shape) and tuple(target.shape) == tuple(input.shape[:cdim] + input.shape[cdim + 1 :]):
        raise _ShapeError(
            f"cross_entropy: expected target dtype to be an integer dtype for class indices, got {target.dtype.name} "
            f"of shape {tuple(target.shape)}; floating targets are class probabilities of the input's shape "
            f"{tuple(input.shape)}: for class indices use target.long()"
        )
    if tuple(input.shape) != tuple(target.shape):
        raise _ShapeError(f"cross_entropy: target size {tuple(target.shape)} must be the same as input size {tuple(input.shape)}")
    c = input.shape[cdim]
    t = target  # float probabilities: the loss takes the promoted dtype of input and target, like PyTorch
    if label_smoothing > 0.0:
        t = t * (1 - label_smoothing) + label_smoothing / c
    prod = logp * t
    if weight is not None:
        prod = prod * weight.to(logp.dtype).reshape((c,) + (1,) * (input.ndim - cdim - 1))
    loss = -prod.sum(cdim)
    if reduction == "mean":
        return loss.sum() / (input.numel() // c) if input.numel() else loss.sum() / 0.0
    return _reduce(loss, reduction)


def _weighted(fn: str, loss: Tensor, weight: Tensor | None, reduction: str, mean_by_weight: bool) -> Tensor:
    """`loss` times the per-element `weight` (of the input's shape), reduced; PyTorch's weighted 'mean' of
    mse_loss and l1_loss divides by the sum of the weights, huber_loss's by the element count."""
    if weight is None:
        return _reduce(loss, reduction)
    if tuple(weight.shape) != tuple(loss.shape):
        raise ValueError(f"{fn}: weight of shape {tuple(weight.shape)} must have the input's size {tuple(loss.shape)}")
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def mse_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """(input - target)^2, optionally times a per-element `weight` ('mean' then divides by the weights' sum)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction("mse_loss", reduction)
    _warn_broadcast("mse_loss", input, target)
    d = input - target
    return _weighted("mse_loss", d * d, weight, reduction, mean_by_weight=True)


def l1_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """|input - target|, optionally times a per-element `weight` ('mean' then divides by the weights' sum)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction("l1_loss", reduction)
    _warn_broadcast("l1_loss", input, target)
    return _weighted("l1_loss", (input - target).abs(), weight, reduction, mean_by_weight=True)


def smooth_l1_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction("smooth_l1_loss", reduction)
    _warn_broadcast("smooth_l1_loss", input, target)
    if beta < 0:
        raise _ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    d = (input - target).abs()
    if beta == 0.0:
        return _reduce(d, reduction)
    small = d.clamp(max=beta)  # the quadratic part, with a finite gradient everywhere
    loss = ember.where(d < beta, small * small * (0.5 / beta), d - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0, weight: Tensor | None = None) -> Tensor:  # noqa: A002
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta); optionally times a per-element `weight`."""
    _check_reduction("huber_loss", reduction)
    _warn_broadcast("huber_loss", input, target)
    d = (input - target).abs()
    small = d.clamp(max=delta)
    loss = ember.where(d < delta, small * small * 0.5, (d - 0.5 * delta) * delta)
    return _weighted("huber_loss", loss, weight, reduction, mean_by_weight=False)


class _BinaryCrossEntropy(ember.autograd.Function):
    """Elementwise BCE with PyTorch's gradients: each log clamped at -100 in the value, and the input's
    gradient ``(x - t) / max(x (1 - x), 1e-12)``, finite at x = 0 and 1 (the clamped logs' chain rule gives NaN)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, t: Tensor) -> Tensor:
        ctx.save_for_backward(x, t)
        return -(t * x.log().clamp(min=-100) + (1 - t) * (1 - x).log().clamp(min=-100))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        x, t = ctx.saved_tensors
        gx = grad * (x - t) / (x * (1 - x)).clamp(min=1e-12) if ctx.needs_input_grad[0] else None
        gt = grad * ((1 - x).log() - x.log()) if ctx.needs_input_grad[1] else None
        return gx, gt


def binary_cross_entropy(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """-(t log x + (1 - t) log(1 - x)) for probabilities x, each log clamped at -100 like PyTorch."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction("binary_cross_entropy", reduction)
    _check_same_shape("binary_cross_entropy", input, target)
    if input.numel():  # one host round trip for both ranges (PyTorch checks them too)
        x, t = input.detach(), target.detach().to(input.dtype)
        lo, hi, tlo, thi = ember.stack([x.min(), x.max(), t.min(), t.max()]).tolist()
        if not (0 <= lo and hi <= 1):
            raise _ValueError(f"binary_cross_entropy: all elements of input should be between 0 and 1, got values in [{lo}, {hi}]")
        if not (0 <= tlo and thi <= 1):
            raise _ValueError(
                f"binary_cross_entropy: all elements of target should be between 0 and 1, got values in [{tlo}, {thi}]"
            )
    loss = _BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """BCE of sigmoid(input) computed from the logits without overflow:
    ``(1 - t) x + (1 + (pw - 1) t) softplus(-x)``, softplus computed without overflow."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    _check_same_shape("binary_cross_entropy_with_logits", input, target)
    sp_neg = _log1p_exp(-input)  # log(1 + exp(-x)), stable
    if pos_weight is not None:
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * sp_neg
    else:
        loss = (1 - target) * input + sp_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """KL(target || exp(input)) pointwise: ``xlogy(t, t) - t input``; 'batchmean' divides by N."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in (*_REDUCTIONS, "batchmean"):
        raise ValueError(f"kl_div: {reduction!r} is not a valid value for reduction; expected 'none', 'batchmean', 'mean' or 'sum'")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = ember.xlogy(target, target) - target * input  # 0 where t = 0, NaN where t < 0, like PyTorch
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction)


def _clamp_min_keep_grad(t: Tensor, lo: float) -> Tensor:
    """`t` clamped below at `lo` in value, with the gradient of `t` itself (PyTorch clamps such
    stabilisers in place under no_grad)."""
    return t + (t.detach().clamp(min=lo) - t.detach())


def poisson_nll_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average: bool | None = None,
    eps: float = 1e-8,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of a Poisson target: ``exp(x) - t x`` for a log-rate `input`, else
    ``x - t log(x + eps)``; `full` adds Stirling's approximation of ``log(t!)`` where t > 1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction("poisson_nll_loss", reduction)
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        big = target > 1
        t = ember.where(big, target, 2.0)
        stirling = t * t.log() - t + (t * (2 * math.pi)).log() * 0.5
        loss = loss + ember.where(big, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    var: Tensor | float,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """``0.5 (log(var) + (input - target)^2 / var)`` (+ ``0.5 log(2 pi)`` with `full`); `var` has the
    input's shape, or one dim fewer or one dim of size 1 (one variance shared along it); it is clamped
    at `eps` for stability."""
    if not isinstance(var, Tensor):
        if var < 0:
            raise ValueError(f"gaussian_nll_loss: var has a negative entry ({var})")
        v = ember.full(tuple(input.shape), float(var), dtype=input.dtype, device=input.device)
    else:
        v = var
        if v.numel() and bool((v < 0).any().item()):
            raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    if tuple(v.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(v.shape):
            v = v.unsqueeze(-1)
        elif not (input.ndim == v.ndim and sum(b for a, b in zip(input.shape, v.shape) if a != b) == 1):
            raise ValueError(
                f"gaussian_nll_loss: var is of incorrect size {tuple(v.shape)} for input of size {tuple(input.shape)}: "
                "expected the input's size, or it with the last dim dropped or one dim set to 1"
            )
    _check_reduction("gaussian_nll_loss", reduction)
    v = _clamp_min_keep_grad(v, eps)
    d = input - target
    loss = (v.log() + d * d / v) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def _same_ndim(fn: str, **tensors: Tensor) -> None:
    dims = {name: t.ndim for name, t in tensors.items()}
    if len(set(dims.values())) > 1:
        got = ", ".join(f"{name} {tuple(t.shape)}" for name, t in tensors.items())
        raise RuntimeError(f"{fn}: all input tensors should have the same number of dimensions, got {got}")


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``max(0, -y (x1 - x2) + margin)``: y = 1 says x1 should rank higher, y = -1 lower."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction("margin_ranking_loss", reduction)
    _same_ndim("margin_ranking_loss", input1=input1, input2=input2, target=target)
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def hinge_embedding_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    margin: float = 1.0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """`x` where y = 1 and ``max(0, margin - x)`` where y = -1 (x is usually a distance)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction("hinge_embedding_loss", reduction)
    margin_part = ember.where(target != 1, (margin - input).clamp(min=0), 0.0)
    self_part = ember.where(target != -1, input, 0.0)
    return _reduce(margin_part + self_part, reduction)


def soft_margin_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Two-class logistic loss ``log(1 + exp(-y x))`` for targets y in {1, -1}."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction("soft_margin_loss", reduction)
    return _reduce(softplus(-target * input, threshold=math.inf), reduction)


def multilabel_soft_margin_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Per-class logistic loss of (N, C) logits against 0/1 targets, averaged over the classes."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction("multilabel_soft_margin_loss", reduction)
    if input.ndim == 0:
        raise ValueError("multilabel_soft_margin_loss: expected an input (N, C) or (C,), got a 0-D tensor")
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    c = input.shape[-1]
    return _reduce(loss.sum(input.ndim - 1) / c, reduction)


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``1 - cos(x1, x2)`` where y = 1 and ``max(0, cos(x1, x2) - margin)`` where y = -1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction("cosine_embedding_loss", reduction)
    if target.ndim not in (0, 1):
        raise RuntimeError(f"cosine_embedding_loss: 0-D or 1-D target expected, multi-target not supported; got target {tuple(target.shape)}")
    want = target.ndim + 1
    if input1.ndim != want or input2.ndim != want:
        raise RuntimeError(
            f"cosine_embedding_loss: a {target.ndim}-D target expects {want}-D inputs, but got inputs of "
            f"shapes {tuple(input1.shape)} and {tuple(input2.shape)}"
        )
    d = target.ndim
    prod = (input1 * input2).sum(d)
    mag = ((input1 * input1).sum(d) + 1e-12) * ((input2 * input2).sum(d) + 1e-12)
    cos = prod / mag.sqrt()
    loss = ember.where(target == 1, 1 - cos, 0.0) + ember.where(target == -1, (cos - margin).clamp(min=0), 0.0)
    return _reduce(loss, reduction)


def _class_targets(fn: str, input: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:  # noqa: A002
    """`input` as (N, C) and integer class `target` as (N,) for the margin losses, checked."""
    if input.ndim > 2:
        raise ValueError(f"{fn}: expected an input (N, C), (C,) or 0-D, got shape {tuple(input.shape)}")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    if target.dtype.is_floating_point or target.dtype is ember.bool_:
        raise RuntimeError(f"{fn}: expected integer class indices as target, got dtype {target.dtype.name}")
    t = target.reshape(-1).long()
    if t.shape[0] != x.shape[0] or target.ndim > 1:
        raise RuntimeError(f"{fn}: expected a target of shape ({x.shape[0]},) for input {tuple(input.shape)}, got {tuple(target.shape)}")
    return x, t


def _hinge(z: Tensor) -> Tensor:
    """``max(z, 0)`` with PyTorch's multi-margin gradient: 1 only where z > 0 (clamp's is 1 at z = 0 too)."""
    return ember.where(z > 0, z, 0.0)


def multi_margin_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge loss: ``sum_{i != y} w_y max(0, margin - x_y + x_i)^p / C``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction("multi_margin_loss", reduction)
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: only p == 1 and p == 2 supported, got p={p}")
    x, t = _class_targets("multi_margin_loss", input, target)
    c = x.shape[1]
    if t.numel() and (int(t.min().item()) < 0 or int(t.max().item()) >= c):
        raise RuntimeError(f"multi_margin_loss: target out of range: class indices must be in [0, {c - 1}]")
    if weight is not None and (weight.ndim != 1 or weight.numel() != c):
        raise RuntimeError(f"multi_margin_loss: weight should be a 1-D tensor of {c} elements, got shape {tuple(weight.shape)}")
    picked = x.gather(1, t.unsqueeze(1))
    z = _hinge(x - picked + margin)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight.to(x.dtype)[t].unsqueeze(1)
    not_target = ember.ones_like(x).scatter(1, t.unsqueeze(1), 0.0)
    loss = (z * not_target).sum(1) / c
    if input.ndim < 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def multilabel_margin_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-label hinge loss: for each sample, the target classes are the leading non-negative entries
    of its `target` row (ended by -1); ``sum_{j target, i not} max(0, 1 - (x_j - x_i)) / C``."""
    import numpy as np

    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction("multilabel_margin_loss", reduction)
    if input.ndim > 2 or tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(
            f"multilabel_margin_loss: expected input (N, C) or (C,) and a target of the same shape, got "
            f"{tuple(input.shape)} and {tuple(target.shape)}"
        )
    if target.dtype.is_floating_point or target.dtype is ember.bool_:
        raise RuntimeError(f"multilabel_margin_loss: expected integer class indices as target, got dtype {target.dtype.name}")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    n, c = x.shape
    tgt = target.reshape(n, c).numpy().astype("int64")
    valid = (tgt >= 0).cumprod(1).astype(bool)  # the labels before the first negative entry
    if ((tgt >= c) & valid).any():
        raise RuntimeError(f"multilabel_margin_loss: target index out of range: labels must be in [0, {c - 1}] (or -1 to end)")
    safe = tgt * valid
    is_target = np.zeros((n, c), dtype=bool)
    rows = np.repeat(np.arange(n), c)
    is_target[rows[valid.reshape(-1)], safe.reshape(-1)[valid.reshape(-1)]] = True
    dev, dt = x.device, x.dtype
    picked = x.gather(1, ember.tensor(safe, device=dev))  # (N, C): x at each listed label
    hinge = _hinge(1 - picked.unsqueeze(2) + x.unsqueeze(1))  # (N, label j, class i)
    mask = ember.tensor(valid[:, :, None] & ~is_target[:, None, :], device=dev).to(dt)
    loss = (hinge * mask).sum((1, 2)) / c
    if input.ndim < 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``max(0, margin + d(a, p) - d(a, n))`` with the pairwise p-norm distance; `swap` uses
    ``min(d(a, n), d(p, n))`` as the negative distance."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction("triplet_margin_loss", reduction)
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(
            "triplet_margin_loss: the anchor, positive and negative tensors are expected to have the same number "
            f"of dimensions, got {tuple(anchor.shape)}, {tuple(positive.shape)} and {tuple(negative.shape)}"
        )
    if margin <= 0:
        raise ValueError(f"triplet_margin_loss: margin must be greater than 0, got {margin}")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = ember.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce((d_pos - d_neg + margin).clamp(min=0), reduction)


def triplet_margin_with_distance_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    *,
    distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """``max(0, margin + d(a, p) - d(a, n))`` for any distance `d` (default: `pairwise_distance`)."""
    _check_reduction("triplet_margin_with_distance_loss", reduction)
    if margin <= 0:
        raise ValueError(f"triplet_margin_with_distance_loss: margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(
            "triplet_margin_with_distance_loss: the anchor, positive and negative tensors are expected to have the "
            f"same number of dimensions, got {tuple(anchor.shape)}, {tuple(positive.shape)} and {tuple(negative.shape)}"
        )
    dist = pairwise_distance if distance_function is None else distance_function
    d_pos, d_neg = dist(anchor, positive), dist(anchor, negative)
    if swap:
        d_neg = ember.minimum(d_neg, dist(positive, negative))
    return _reduce((d_pos - d_neg + margin).clamp(min=0), reduction)


def _lse(*xs: Tensor) -> Tensor:
    """logsumexp of same-shape tensors, elementwise; -inf (with a zero gradient) where all are -inf."""
    st = ember.stack(xs, 0)
    m = st.detach().amax(0)
    finite = m > -math.inf
    m = ember.where(finite, m, 0.0)
    s = (st - m).exp().sum(0)
    return ember.where(finite, ember.where(finite, s, 1.0).log() + m, -math.inf)


def _lengths(fn: str, name: str, v: Tensor | Sequence[int], n: int) -> list[int]:
    out = [int(i) for i in (v.reshape(-1).tolist() if isinstance(v, Tensor) else v)]
    if len(out) != n:
        raise RuntimeError(f"{fn}: expected {name} to have {n} entries (one per batch element), got {len(out)}")
    return out


def ctc_loss(
    log_probs: Tensor,
    targets: Tensor,
    input_lengths: Tensor | Sequence[int],
    target_lengths: Tensor | Sequence[int],
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """Connectionist Temporal Classification loss: ``-log`` of the total probability of every alignment
    of each target to its input (log_probs (T, N, C) or (T, C); targets (N, S) padded or concatenated),
    by the forward algorithm in log space over the time steps. 'mean' divides each loss by its target
    length, then averages. The gradient (autograd through the recursion) is the exact derivative with
    respect to `log_probs`; PyTorch's kernel returns the one of normalised log-probabilities instead, and
    the two agree through the usual ``log_softmax``."""
    import numpy as np

    fn = "ctc_loss"
    _check_reduction(fn, reduction)
    if log_probs.ndim not in (2, 3):
        raise RuntimeError(f"{fn}: expected log_probs (T, N, C) or (T, C), got shape {tuple(log_probs.shape)}")
    _float_input(fn, log_probs)
    unbatched = log_probs.ndim == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    t_max, n, c = lp.shape
    if not 0 <= blank < c:
        raise RuntimeError(f"{fn}: blank ({blank}) must be in [0, {c - 1}] (the number of classes is {c})")
    in_len = _lengths(fn, "input_lengths", input_lengths, n)
    tg_len = _lengths(fn, "target_lengths", target_lengths, n)
    tg = targets.numpy().astype(np.int64)
    if unbatched:
        tg = tg.reshape(1, -1)
    if tg.ndim == 2:
        if any(ln > tg.shape[1] for ln in tg_len):
            raise RuntimeError(f"{fn}: target_lengths {tg_len} exceed the target length {tg.shape[1]} of targets {tuple(targets.shape)}")
        rows = [tg[i, : tg_len[i]] for i in range(n)]
    else:
        if sum(tg_len) > tg.size:
            raise RuntimeError(f"{fn}: target_lengths sum to {sum(tg_len)} but the concatenated targets have {tg.size} labels")
        offs = np.cumsum([0, *tg_len])
        rows = [tg[offs[i] : offs[i + 1]] for i in range(n)]
    for i in range(n):
        if not 0 <= in_len[i] <= t_max:
            raise RuntimeError(f"{fn}: input_lengths[{i}] = {in_len[i]} is not in [0, {t_max}] (the T of log_probs {tuple(log_probs.shape)})")
        if tg_len[i] < 0:
            raise RuntimeError(f"{fn}: target_lengths[{i}] = {tg_len[i]} is negative")
        if len(rows[i]) and (rows[i].min() < 0 or rows[i].max() >= c):
            raise RuntimeError(f"{fn}: targets of batch element {i} must be class indices in [0, {c - 1}]")
    s_max = 2 * max(tg_len, default=0) + 1
    ext = np.full((n, s_max), blank, dtype=np.int64)  # blank, l1, blank, l2, ..., blank
    skip = np.zeros((n, s_max), dtype=bool)  # may come from s - 2: a label unlike the one two back
    for i, row in enumerate(rows):
        ext[i, 1 : 2 * len(row) : 2] = row
        skip[i, 3 : 2 * len(row) : 2] = row[1:] != row[:-1]
    dev = lp.device
    ext_t = ember.tensor(ext, device=dev)
    skip_t = ember.tensor(skip, device=dev)
    in_len_t = ember.tensor(in_len, device=dev).unsqueeze(1)
    ninf = -math.inf
    pos = ember.arange(s_max, device=dev).unsqueeze(0)
    alpha = ember.where(pos < 2, lp[0].gather(1, ext_t), ninf)
    alpha = ember.where(in_len_t > 0, alpha, ember.where(pos == 0, 0.0, ninf))  # an empty input: only the empty path
    pad1 = ember.full((n, 1), ninf, dtype=lp.dtype, device=dev)
    pad2 = ember.full((n, 2), ninf, dtype=lp.dtype, device=dev)
    for t in range(1, t_max):
        a1 = ember.cat([pad1, alpha[:, :-1]], 1)
        a2 = ember.where(skip_t, ember.cat([pad2, alpha[:, :-2]], 1), ninf)
        new = _lse(alpha, a1, a2) + lp[t].gather(1, ext_t)
        alpha = ember.where(in_len_t > t, new, alpha)
    # a path ends on the last label or the blank after it (only the blank for an empty target)
    ends = alpha.gather(1, ember.tensor([[2 * ln, max(2 * ln - 1, 0)] for ln in tg_len], device=dev))
    empty = ember.tensor([ln == 0 for ln in tg_len], device=dev)
    loss = -_lse(ends[:, 0], ember.where(empty, ninf, ends[:, 1]))
    if zero_infinity:
        loss = ember.where(loss == math.inf, 0.0, loss)
    if reduction == "mean":
        denom = ember.tensor([max(ln, 1) for ln in tg_len], device=dev, dtype=loss.dtype)
        return (loss / denom).mean()
    if reduction == "sum":
        return loss.sum()
    return loss.squeeze(0) if unbatched else loss


# -- distance -------------------------------------------------------------------------------------
def _pnorm(x: Tensor, p: float, dim: int, keepdim: bool = False) -> Tensor:
    """The p-norm of `x` along `dim`, with a zero (not NaN) gradient where the norm is 0."""
    if p == math.inf:
        return x.abs().amax(dim, keepdim=keepdim)
    if p == -math.inf:
        return x.abs().amin(dim, keepdim=keepdim)
    if p == 0:
        return (x != 0).to(x.dtype).sum(dim, keepdim=keepdim)
    s = (x * x).sum(dim, keepdim=keepdim) if p == 2 else (x.abs() ** p).sum(dim, keepdim=keepdim)
    pos = s > 0
    safe = ember.where(pos, s, 1.0)
    root = safe.sqrt() if p == 2 else safe ** (1.0 / p)
    return ember.where(pos, root, 0.0)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` over the last dim (the inputs broadcast)."""
    d = x1 - x2 + eps
    if d.ndim == 0:
        return d.abs() if p != 0 else (d != 0).to(d.dtype)
    return _pnorm(d, p, max(x1.ndim, x2.ndim) - 1, keepdim)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``x1 . x2 / (max(||x1||, eps) max(||x2||, eps))`` along `dim` (the inputs broadcast)."""
    from ember.ops._run import broadcast_shapes_for

    shape = broadcast_shapes_for("cosine_similarity", tuple(x1.shape), tuple(x2.shape))
    a, b = x1.expand(*shape), x2.expand(*shape)
    if not -len(shape) <= dim < max(len(shape), 1):
        raise IndexError(f"cosine_similarity: dim {dim} is out of range for inputs of shape {tuple(shape)}")
    na = _clamp_min_keep_grad(_pnorm(a, 2, dim, True), eps)
    nb = _clamp_min_keep_grad(_pnorm(b, 2, dim, True), eps)
    return ((a / na) * (b / nb)).sum(dim)


def pdist(input: Tensor, p: float = 2) -> Tensor:  # noqa: A002
    """The p-norm distances between every pair of rows i < j of an (N, M) input, in row-major order."""
    import numpy as np

    if input.ndim != 2:
        raise RuntimeError(f"pdist: only supports 2-D tensors (N, M), got shape {tuple(input.shape)}")
    if p < 0:
        raise RuntimeError(f"pdist: only supports non-negative p values, got {p}")
    i, j = np.triu_indices(input.shape[0], 1)
    dev = input.device
    d = input[ember.tensor(i.astype(np.int64), device=dev)] - input[ember.tensor(j.astype(np.int64), device=dev)]
    return _pnorm(d, p, 1)
