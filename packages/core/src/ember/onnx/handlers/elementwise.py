"""Elementwise ONNX operators: arithmetic, comparisons, logic, math functions, activations and casts."""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import onnx

import ember
import ember.nn.functional as F
from ember import Tensor

from ..elem_types import to_ember, type_name
from ..ops_table import Node, handler


def _unary(op_type: str, fn: Any, since: int = 6) -> None:
    handler(op_type, since=since)(lambda node, x: fn(x))


for _name, _fn in {
    "Abs": ember.abs,
    "Neg": ember.neg,
    "Exp": ember.exp,
    "Log": ember.log,
    "Sqrt": ember.sqrt,
    "Reciprocal": ember.reciprocal,
    "Floor": ember.floor,
    "Ceil": ember.ceil,
    "Sigmoid": ember.sigmoid,
    "Tanh": ember.tanh,
    "Relu": ember.relu,
}.items():
    _unary(_name, _fn)
for _name, _fn in {
    "Sin": ember.sin,
    "Cos": ember.cos,
    "Tan": ember.tan,
    "Asin": ember.asin,
    "Acos": ember.acos,
    "Atan": ember.atan,
    "Sinh": ember.sinh,
    "Cosh": ember.cosh,
    "Asinh": ember.asinh,
    "Acosh": ember.acosh,
    "Atanh": ember.atanh,
    "Erf": ember.erf,
    "Sign": ember.sign,
    "Not": ember.logical_not,
    "BitwiseNot": ember.bitwise_not,
    "Round": ember.round,
    "Softsign": F.softsign,
    "Softplus": F.softplus,
    "Mish": F.mish,
    "HardSwish": F.hardswish,
}.items():
    _unary(_name, _fn, since=1)


@handler("IsNaN", since=9)
def _isnan(node: Node, x: Tensor) -> Tensor:
    return ember.isnan(x)


@handler("IsInf", since=10)
def _isinf(node: Node, x: Tensor) -> Tensor:
    pos, neg = node.attr("detect_positive", 1), node.attr("detect_negative", 1)
    if pos and neg:
        return ember.isinf(x)
    if pos:
        return ember.isposinf(x)
    if neg:
        return ember.isneginf(x)
    return ember.zeros_like(x, dtype=ember.bool_)


@handler("Identity", since=1)
def _identity(node: Node, x: Any) -> Any:
    return x


def _binary(op_type: str, fn: Any, since: int = 7) -> None:
    handler(op_type, since=since)(lambda node, a, b: fn(a, b))


for _name, _fn in {
    "Add": ember.add,
    "Sub": ember.sub,
    "Mul": ember.mul,
    "Equal": ember.eq,
    "Less": ember.lt,
    "Greater": ember.gt,
    "LessOrEqual": ember.le,
    "GreaterOrEqual": ember.ge,
    "And": ember.logical_and,
    "Or": ember.logical_or,
    "Xor": ember.logical_xor,
    "BitwiseAnd": ember.bitwise_and,
    "BitwiseOr": ember.bitwise_or,
    "BitwiseXor": ember.bitwise_xor,
}.items():
    _binary(_name, _fn)


def _legacy_broadcast(fn: Any) -> Any:
    """Opset 1-6 arithmetic: `b` broadcasts onto `a` starting at ``axis`` when ``broadcast`` is set."""

    def run(node: Node, a: Tensor, b: Tensor) -> Tensor:
        if node.attr("broadcast", 0) and b.ndim and b.ndim < a.ndim:
            axis = node.attr("axis", a.ndim - b.ndim) % a.ndim
            b = b.reshape(list(b.shape) + [1] * (a.ndim - axis - b.ndim))
        return fn(node, a, b)

    return run


@handler("Div", since=7)
def _div(node: Node, a: Tensor, b: Tensor) -> Tensor:
    if a.dtype.is_floating_point:
        return ember.div(a, b)
    # integer division truncates toward zero (C semantics), computed in integers so large values stay exact
    q = ember.floor_divide(a, b)
    adjust = ember.logical_and(ember.remainder(a, b) != 0, ember.logical_xor(a < 0, b < 0))
    return q + adjust.to(q.dtype)


@handler("Mod", since=10)
def _mod(node: Node, a: Tensor, b: Tensor) -> Tensor:
    return ember.fmod(a, b) if node.attr("fmod", 0) else ember.remainder(a, b)


@handler("Pow", since=7)
def _pow(node: Node, x: Tensor, y: Tensor) -> Tensor:
    if not x.dtype.is_floating_point and y.dtype.is_floating_point:
        return ember.pow(x.to(y.dtype), y).to(x.dtype)
    if not x.dtype.is_floating_point:
        return ember.pow(x, y.to(x.dtype))
    return ember.pow(x, y.to(x.dtype) if y.dtype.is_floating_point else y).to(x.dtype)


@handler("BitShift", since=11)
def _bitshift(node: Node, x: Tensor, y: Tensor) -> Tensor:
    if node.attr("direction") == "LEFT":
        return ember.bitwise_left_shift(x, y)
    return ember.bitwise_right_shift(x, y)


def _variadic(fn: Any) -> Any:
    def run(node: Node, *xs: Tensor) -> Tensor:
        return functools.reduce(fn, xs)

    return run


handler("Max", since=6)(_variadic(ember.maximum))
handler("Min", since=6)(_variadic(ember.minimum))
handler("Sum", since=6)(_variadic(ember.add))


@handler("Mean", since=6)
def _mean(node: Node, *xs: Tensor) -> Tensor:
    return functools.reduce(ember.add, xs) / len(xs)


@handler("Where", since=9)
def _where(node: Node, c: Tensor, a: Tensor, b: Tensor) -> Tensor:
    return ember.where(c, a, b)


@handler("Clip", since=11)
def _clip(node: Node, x: Tensor, lo: Tensor | None = None, hi: Tensor | None = None) -> Tensor:
    if lo is not None:
        x = ember.maximum(x, lo.to(x.dtype))
    if hi is not None:
        x = ember.minimum(x, hi.to(x.dtype))
    return x


@handler("Clip", since=6, until=10)
def _clip6(node: Node, x: Tensor) -> Tensor:
    return ember.clamp(x, node.attr("min", -math.inf), node.attr("max", math.inf))


@handler("LeakyRelu", since=6)
def _leaky_relu(node: Node, x: Tensor) -> Tensor:
    return F.leaky_relu(x, node.attr("alpha", 0.01))


@handler("PRelu", since=6)
def _prelu(node: Node, x: Tensor, slope: Tensor) -> Tensor:
    if node.version < 7 and slope.ndim == 1 and x.ndim > 2 and slope.shape[0] == x.shape[1]:
        slope = slope.reshape([-1] + [1] * (x.ndim - 2))  # PRelu-6: one slope per channel
    return ember.where(x < 0, x * slope, x)


@handler("Elu", since=6)
def _elu(node: Node, x: Tensor) -> Tensor:
    return F.elu(x, node.attr("alpha", 1.0))


@handler("Celu", since=12)
def _celu(node: Node, x: Tensor) -> Tensor:
    return F.celu(x, node.attr("alpha", 1.0))


@handler("Selu", since=6)
def _selu(node: Node, x: Tensor) -> Tensor:
    alpha = node.attr("alpha", 1.67326319217681884765625)
    gamma = node.attr("gamma", 1.05070102214813232421875)
    return gamma * ember.where(x > 0, x, alpha * ember.expm1(x))


@handler("HardSigmoid", since=6)
def _hard_sigmoid(node: Node, x: Tensor) -> Tensor:
    return ember.clamp(node.attr("alpha", 0.2) * x + node.attr("beta", 0.5), 0.0, 1.0)


@handler("ThresholdedRelu", since=10)
def _thresholded_relu(node: Node, x: Tensor) -> Tensor:
    return ember.where(x > node.attr("alpha", 1.0), x, ember.zeros_like(x))


@handler("Shrink", since=9)
def _shrink(node: Node, x: Tensor) -> Tensor:
    lambd, bias = node.attr("lambd", 0.5), node.attr("bias", 0.0)
    zero = ember.zeros_like(x)
    return ember.where(x < -lambd, x + bias, ember.where(x > lambd, x - bias, zero)).to(x.dtype)


@handler("Gelu", since=20)
def _gelu(node: Node, x: Tensor) -> Tensor:
    return F.gelu(x, approximate=node.attr("approximate", "none"))


@handler("Swish", since=24)
def _swish(node: Node, x: Tensor) -> Tensor:
    return x * ember.sigmoid(node.attr("alpha", 1.0) * x)


@handler("Cast", since=6)
def _cast(node: Node, x: Tensor) -> Tensor:
    return x.to(to_ember(node.attr("to"), node.where()))


@handler("CastLike", since=15)
def _cast_like(node: Node, x: Tensor, like: Tensor) -> Tensor:
    return x.to(like.dtype)


for _name, _fn in {"Add": ember.add, "Sub": ember.sub, "Mul": ember.mul}.items():
    handler(_name, since=6, until=6)(_legacy_broadcast(lambda node, a, b, f=_fn: f(a, b)))
handler("Div", since=6, until=6)(_legacy_broadcast(_div))
handler("Pow", since=1, until=1)(_legacy_broadcast(_pow))


@handler("BitCast", since=26)
def _bitcast(node: Node, x: Tensor) -> Tensor:
    """The same bits read as another type of the same width. Ember has no bit-reinterpreting op, so
    the bits make a round trip through the host (BitCast has no derivative either)."""
    to = node.attr("to")
    target = onnx.helper.tensor_dtype_to_np_dtype(to)
    host = x.detach().numpy()
    if host.dtype.itemsize != np.dtype(target).itemsize:
        raise node.error(f"BitCast from {x.dtype} to {type_name(to)}: the widths differ")
    return ember.tensor(host.view(target), dtype=to_ember(to, node.where()), device=node.device)
