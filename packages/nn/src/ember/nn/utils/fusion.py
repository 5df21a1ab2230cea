"""Folding an eval-mode batch norm into the convolution or linear layer before it (PyTorch's fusion utilities).

``bn(conv(x)) == fused(x)`` in eval mode: the weight is scaled per output channel by ``gamma / sqrt(var + eps)``
and the bias becomes ``(b - mean) * gamma / sqrt(var + eps) + beta``.
"""

from __future__ import annotations

import copy
from typing import Any

import ember
from ember import Tensor

from ..parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights"]


def _bn_scale(bn_rm: Tensor, bn_rv: Tensor, bn_eps: float, bn_w: Tensor | None) -> Tensor:
    scale = (bn_rv + bn_eps).rsqrt()
    return scale if bn_w is None else bn_w * scale


def fuse_conv_bn_weights(
    conv_w: Tensor,
    conv_b: Tensor | None,
    bn_rm: Tensor,
    bn_rv: Tensor,
    bn_eps: float,
    bn_w: Tensor | None,
    bn_b: Tensor | None,
    transpose: bool = False,
) -> tuple[Parameter, Parameter]:
    """The fused convolution's (weight, bias); `transpose` for a transposed convolution's (in, out, ...) weight."""
    b_dtype = conv_b.dtype if conv_b is not None else conv_w.dtype
    b_grad = conv_b.requires_grad if conv_b is not None else False
    with ember.no_grad():
        bias = conv_b if conv_b is not None else ember.zeros_like(bn_rm)
        scale = _bn_scale(bn_rm, bn_rv, bn_eps, bn_w)
        shape = ((1, -1) if transpose else (-1, 1)) + (1,) * (conv_w.ndim - 2)
        w = (conv_w * scale.reshape(shape)).to(conv_w.dtype)
        b = (bias - bn_rm) * scale
        b = (b if bn_b is None else b + bn_b).to(b_dtype)
    return Parameter(w, conv_w.requires_grad), Parameter(b, b_grad)


def fuse_conv_bn_eval(conv: Any, bn: Any, transpose: bool = False) -> Any:
    """A copy of `conv` (eval mode) with `bn` (eval mode, with running statistics) folded in."""
    if conv.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("fuse_conv_bn_eval: the batch norm needs running statistics (track_running_stats=True)")
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias, transpose
    )
    return fused


def fuse_linear_bn_weights(
    linear_w: Tensor,
    linear_b: Tensor | None,
    bn_rm: Tensor,
    bn_rv: Tensor,
    bn_eps: float,
    bn_w: Tensor | None,
    bn_b: Tensor | None,
) -> tuple[Parameter, Parameter]:
    """The fused linear layer's (weight, bias)."""
    b_dtype = linear_b.dtype if linear_b is not None else linear_w.dtype
    b_grad = linear_b.requires_grad if linear_b is not None else False
    with ember.no_grad():
        bias = linear_b if linear_b is not None else ember.zeros_like(bn_rm)
        scale = _bn_scale(bn_rm, bn_rv, bn_eps, bn_w)
        w = linear_w * scale.unsqueeze(-1).to(linear_w.dtype)
        b = (bias - bn_rm) * scale
        b = (b if bn_b is None else b + bn_b).to(b_dtype)
    return Parameter(w, linear_w.requires_grad), Parameter(b, b_grad)


def fuse_linear_bn_eval(linear: Any, bn: Any) -> Any:
    """A copy of `linear` (eval mode) with the `bn` that follows it (eval mode) folded in."""
    if linear.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    if not (linear.out_features == bn.num_features or bn.num_features == 1):
        raise AssertionError(
            "To fuse, linear.out_features must equal bn.num_features or bn.num_features must equal 1, got "
            f"{linear.out_features} and {bn.num_features}"
        )
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("fuse_linear_bn_eval: the batch norm needs running statistics (track_running_stats=True)")
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias
    )
    return fused
