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


def _fused_bias(bias: Tensor | None, w: Tensor, bn_rm: Tensor, scale: Tensor, bn_b: Tensor | None) -> Parameter:
    """The fused layer's bias: (bias - running mean) * scale (+ the norm's bias), in the bias's dtype (the
    weight's without one), as a parameter that requires grad where the bias did."""
    with ember.no_grad():
        b = ((bias if bias is not None else ember.zeros_like(bn_rm)) - bn_rm) * scale
        b = (b if bn_b is None else b + bn_b).to(bias.dtype if bias is not None else w.dtype)
    return Parameter(b, bias.requires_grad if bias is not None else False)


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
    with ember.no_grad():
        scale = _bn_scale(bn_rm, bn_rv, bn_eps, bn_w)
        shape = ((1, -1) if transpose else (-1, 1)) + (1,) * (conv_w.ndim - 2)
        w = (conv_w * scale.reshape(shape)).to(conv_w.dtype)
    return Parameter(w, conv_w.requires_grad), _fused_bias(conv_b, conv_w, bn_rm, scale, bn_b)


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
    with ember.no_grad():
        scale = _bn_scale(bn_rm, bn_rv, bn_eps, bn_w)
        w = linear_w * scale.unsqueeze(-1).to(linear_w.dtype)  # (cast before the product, as PyTorch does)
    return Parameter(w, linear_w.requires_grad), _fused_bias(linear_b, linear_w, bn_rm, scale, bn_b)


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
