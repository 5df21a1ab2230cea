"""ONNX linear quantization on integer types: (De)QuantizeLinear, DynamicQuantizeLinear, QLinearMatMul,
MatMulInteger and ConvInteger. Integer products are computed in float64 where the device has it
(exact for the sums these operators see), else float32."""

from __future__ import annotations

import ember
from ember import Tensor
from ember.dtypes import DType

from ..elem_types import to_ember
from ..ops_table import Node, handler
from .layers import conv
from .movement import axis_of


def per_axis(node: Node, p: Tensor, x: Tensor) -> Tensor:
    """A scale or zero point shaped to broadcast against `x`: per tensor, per ``axis`` or per block."""
    if p.ndim == 0 or p.numel() == 1:
        return p.reshape(())
    axis = axis_of(node, node.attr("axis", 1), x.ndim)
    block = node.attr("block_size", 0)
    if not block:
        return p.reshape([-1 if i == axis else 1 for i in range(x.ndim)])
    p = ember.repeat_interleave(p, block, dim=axis)
    return p.narrow(axis, 0, x.shape[axis])


def saturate(node: Node, y: Tensor, dtype: DType) -> Tensor:
    info = ember.iinfo(dtype)
    return ember.clamp(y, info.min, info.max).to(dtype)


@handler("DequantizeLinear", since=10)
def _dequantize(node: Node, x: Tensor, scale: Tensor, zero_point: Tensor | None = None) -> Tensor:
    dx = x.to(ember.float32)
    if zero_point is not None:
        dx = dx - per_axis(node, zero_point, x).to(ember.float32)
    y = dx * per_axis(node, scale, x)
    out = node.attr("output_dtype", 0)
    return y.to(to_ember(out, node.where()) if out else scale.dtype)


@handler("QuantizeLinear", since=10)
def _quantize(node: Node, x: Tensor, scale: Tensor, zero_point: Tensor | None = None) -> Tensor:
    out = node.attr("output_dtype", 0)
    dtype = zero_point.dtype if zero_point is not None else (to_ember(out, node.where()) if out else ember.uint8)
    precision = node.attr("precision", 0)
    s = per_axis(node, scale, x)
    if precision:
        p = to_ember(precision, node.where())
        q = x.to(p) / s.to(p)
    else:
        q = x / s
    y = ember.round(q.to(ember.float32))
    if zero_point is not None:
        y = y + per_axis(node, zero_point, x).to(ember.float32)
    return saturate(node, y, dtype)


@handler("DynamicQuantizeLinear", since=11)
def _dynamic_quantize(node: Node, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    zero = ember.zeros((), dtype=x.dtype, device=x.device)
    hi, lo = ember.maximum(ember.amax(x), zero), ember.minimum(ember.amin(x), zero)
    span = ember.where(hi == lo, ember.ones_like(hi), hi - lo)
    scale = span / 255.0
    zp = ember.round(ember.clamp(0.0 - lo / scale, 0.0, 255.0))
    y = ember.clamp(ember.round(x / scale) + zp, 0.0, 255.0)
    return y.to(ember.uint8), scale.to(x.dtype), zp.to(ember.uint8)


def _centered(x: Tensor, zero_point: Tensor | None, wide: DType, zp: Tensor | None = None) -> Tensor:
    v = x.to(wide)
    if zero_point is not None:
        v = v - (zp if zp is not None else zero_point).to(wide)
    return v


@handler("QLinearMatMul", since=10)
def _qlinear_matmul(
    node: Node,
    a: Tensor,
    a_scale: Tensor,
    a_zp: Tensor | None,
    b: Tensor,
    b_scale: Tensor,
    b_zp: Tensor | None,
    y_scale: Tensor,
    y_zp: Tensor | None = None,
) -> Tensor:
    wide = node.wide_float()
    c = ember.matmul(_centered(a, a_zp, wide), _centered(b, b_zp, wide))
    # the rescale is computed in the scales' own type, as ONNX's reference does
    factor = (a_scale * b_scale / y_scale).to(wide)
    d = c * factor
    if y_zp is not None:
        d = d + y_zp.to(wide)
    return saturate(node, ember.round(d), y_zp.dtype if y_zp is not None else a.dtype)


def _row_zero_point(zp: Tensor | None, x: Tensor, axis: int) -> Tensor | None:
    """A per-row (A) or per-column (B) zero point of MatMulInteger, shaped to broadcast."""
    if zp is None or zp.ndim == 0 or zp.numel() == 1:
        return zp.reshape(()) if zp is not None else None
    shape = [1] * x.ndim
    shape[axis] = -1
    return zp.reshape(shape)


@handler("MatMulInteger", since=10)
def _matmul_integer(
    node: Node, a: Tensor, b: Tensor, a_zp: Tensor | None = None, b_zp: Tensor | None = None
) -> Tensor:
    wide = node.wide_float()
    az = _row_zero_point(a_zp, a, a.ndim - 2)
    bz = _row_zero_point(b_zp, b, b.ndim - 1)
    c = ember.matmul(_centered(a, az, wide), _centered(b, bz, wide))
    return ember.round(c).to(ember.int32)


@handler("ConvInteger", since=10)
def _conv_integer(
    node: Node, x: Tensor, w: Tensor, x_zp: Tensor | None = None, w_zp: Tensor | None = None
) -> Tensor:
    wide = node.wide_float()
    wz = w_zp.reshape([-1] + [1] * (w.ndim - 1)) if w_zp is not None and w_zp.numel() > 1 else w_zp
    xv = _centered(x, x_zp, wide)
    y = conv(node, xv, _centered(w, wz, wide), None)
    return ember.round(y).to(ember.int32)


@handler("QLinearConv", since=10)
def _qlinear_conv(
    node: Node,
    x: Tensor,
    x_scale: Tensor,
    x_zp: Tensor | None,
    w: Tensor,
    w_scale: Tensor,
    w_zp: Tensor | None,
    y_scale: Tensor,
    y_zp: Tensor | None = None,
    bias: Tensor | None = None,
) -> Tensor:
    wide = node.wide_float()
    per_channel = [1, -1] + [1] * (x.ndim - 2)
    wz = w_zp.reshape([-1] + [1] * (w.ndim - 1)) if w_zp is not None and w_zp.numel() > 1 else w_zp
    acc = conv(node, _centered(x, x_zp, wide), _centered(w, wz, wide), None)
    if bias is not None:
        acc = acc + bias.to(wide).reshape(per_channel)
    ws = w_scale.reshape(per_channel) if w_scale.numel() > 1 else w_scale.reshape(())
    y = ember.round(acc * (x_scale.to(wide) * ws.to(wide) / y_scale.to(wide)))
    if y_zp is not None:
        y = y + y_zp.to(wide)
    return saturate(node, y, y_zp.dtype if y_zp is not None else x.dtype)
