"""The op table's entries for the elementwise ops (unary and binary elementwise, comparison and logical)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypedDict

import numpy as np

import ember
from ember.testing.opinfo import (
    NUMERIC,
    Maker,
    OpInfo,
    S,
    SampleInput,
    binary,
    binary_samples,
    binary_samples_nonzero,
    binary_samples_tensors,
    cast,
    comparison_samples,
    logical_not_samples,
    logical_samples,
    quiet,
    ref_result_type,
    rounding_samples,
    unary_float,
    unary_same,
    unary_samples,
    unary_special_samples,
)

INFOS: list[OpInfo] = []


def _add_op(*infos: OpInfo) -> None:
    INFOS.extend(infos)


def _erf(x: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erf, otypes=[np.float64])(x.astype(np.float64)) if x.size else x.astype(np.float64)


def _add(a: Any, b: Any, alpha: Any = 1) -> Any:
    if np.result_type(a, b) == np.bool_:
        return np.logical_or(a, b)
    return a + (b * alpha if alpha != 1 else b)


def _sub(a: Any, b: Any, alpha: Any = 1) -> Any:
    return a - (b * alpha if alpha != 1 else b)


def _mul(a: Any, b: Any) -> Any:
    if np.result_type(a, b) == np.bool_:
        return np.logical_and(a, b)
    return a * b


@quiet
def _ref_where(cond: np.ndarray, a: Any, b: Any) -> np.ndarray:
    dt = ref_result_type(a, b)
    return np.asarray(np.where(cond, cast(a, dt), cast(b, dt))).astype(dt)


@quiet
def _ref_clamp(x: np.ndarray, min: Any = None, max: Any = None) -> np.ndarray:  # noqa: A002
    dt = ref_result_type(*(v for v in (x, min, max) if v is not None))
    out = x.astype(dt)
    if min is not None:
        out = np.where(out < min, cast(min, dt), out)
    if max is not None:
        out = np.where(out > max, cast(max, dt), out)
    return np.asarray(out).astype(dt)


def _ref_pow(a: Any, b: Any) -> Any:
    return np.power(a, b)


def _clamp_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    s = make.scalar
    return [
        S(make(2, 3), min=s(-1), max=s(1), name="both"),
        S(make(2, 3), min=s(0), name="min"),
        S(make(2, 3), max=s(0), name="max"),
        S(make(), min=s(-1), max=s(1), name="0-d"),
        S(make(0, 2), min=s(0), name="empty"),
        S(make(3, 2, layout="transposed"), min=s(-1), max=s(1), name="transposed"),
        S(make(2, 3), min=make(3), max=make(2, 1, low=2.5, high=3), name="tensor-bounds"),
    ]


def _pow_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    if make.dtype.kind == "f":
        return [
            S(make(2, 3), make(2, 3, low=-2, high=2), name="tensor-tensor"),
            S(make(2, 3), make(3, low=-2, high=2), name="broadcast"),
            S(make(2, 3), 2, name="square"),
            S(make(2, 3), 0.5, name="sqrt"),
            S(make(2, 3), -1.5, name="negative-float"),
            S(make(), 3, name="0-d"),
            S(make(0, 3), 2, name="empty"),
            S(2.0, make(2, 3, low=-2, high=2), name="scalar-base"),
            S(make(3, 2, layout="transposed"), make(3, 2, layout="strided"), name="non-contiguous"),
        ]
    return [
        S(make(2, 3, low=-3, high=4), make(2, 3, low=0, high=4), name="tensor-tensor"),
        S(make(2, 3, low=-3, high=4), 2, name="square"),
        S(make(2, 3, low=-3, high=4), 0.5, name="float-exponent", grad=False),
        S(2, make(2, 3, low=0, high=5), name="scalar-base"),
        S(make(), 3, name="0-d"),
    ]


def _where_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    m = make.mask
    return [
        S(m(2, 3), make(2, 3), make(2, 3), name="same-shape"),
        S(m(2, 3), make(3), make(2, 1), name="broadcast"),
        S(m(3), make(2, 3), make(), name="broadcast-0-d"),
        S(m(2, 3), make(2, 3), make.scalar(0), name="scalar-other"),
        S(m(2, 3), 1.5, make(2, 3), name="python-float"),
        S(m(0, 3), make(0, 3), make(3), name="empty"),
        S(m(3, 2), make(3, 2, layout="transposed"), make(3, 2, layout="strided"), name="non-contiguous"),
    ]


_POSITIVE = (0.5, 3.0)


class _UnaryExtra(TypedDict, total=False):
    int_domain: tuple[int, int]


_UNARY_FLOAT: list[tuple[str, Callable[..., Any], tuple[float, float], _UnaryExtra]] = [
    ("exp", np.exp, (-2.0, 2.0), {}),
    ("log", np.log, _POSITIVE, {"int_domain": (1, 6)}),
    ("log2", np.log2, _POSITIVE, {"int_domain": (1, 6)}),
    ("log10", np.log10, _POSITIVE, {"int_domain": (1, 6)}),
    ("log1p", np.log1p, (-0.5, 3.0), {"int_domain": (0, 6)}),
    ("expm1", np.expm1, (-2.0, 2.0), {}),
    ("sqrt", np.sqrt, _POSITIVE, {"int_domain": (0, 9)}),
    ("rsqrt", lambda x: 1 / np.sqrt(x), _POSITIVE, {"int_domain": (1, 9)}),
    ("sin", np.sin, (-3.0, 3.0), {}),
    ("cos", np.cos, (-3.0, 3.0), {}),
    ("tan", np.tan, (-1.2, 1.2), {}),
    ("asin", np.arcsin, (-0.9, 0.9), {"int_domain": (-1, 2)}),
    ("acos", np.arccos, (-0.9, 0.9), {"int_domain": (-1, 2)}),
    ("atan", np.arctan, (-3.0, 3.0), {}),
    ("sinh", np.sinh, (-2.0, 2.0), {}),
    ("cosh", np.cosh, (-2.0, 2.0), {}),
    ("asinh", np.arcsinh, (-3.0, 3.0), {}),
    ("acosh", np.arccosh, (1.2, 4.0), {"int_domain": (1, 6)}),
    ("atanh", np.arctanh, (-0.9, 0.9), {"int_domain": (0, 1)}),
    ("tanh", np.tanh, (-2.0, 2.0), {}),
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x)), (-3.0, 3.0), {}),
    ("erf", _erf, (-2.0, 2.0), {}),
    ("reciprocal", lambda x: 1 / x, _POSITIVE, {"int_domain": (1, 6)}),
]

# unary, float rule: ints compute in float32
for _name, _fn, _dom, _extra in _UNARY_FLOAT:
    _add_op(
        OpInfo(
            _name,
            getattr(ember, _name),
            unary_float(_fn),
            unary_special_samples,
            dtypes=NUMERIC + ("bool",),
            domain=_dom,
            **_extra,
        )
    )

# unary, same dtype
_add_op(
    OpInfo("abs", ember.abs, unary_same(np.abs), unary_samples, dtypes=NUMERIC + ("int8", "uint8")),
    OpInfo("neg", ember.neg, unary_same(np.negative), unary_samples, dtypes=NUMERIC + ("int8", "int16")),
    OpInfo("relu", ember.relu, unary_same(lambda x: np.maximum(x, 0)), unary_samples, dtypes=NUMERIC),
    OpInfo("sign", ember.sign, unary_same(np.sign), unary_samples, dtypes=NUMERIC),
    OpInfo("floor", ember.floor, unary_same(np.floor), rounding_samples, dtypes=NUMERIC, gradgrad=False),
    OpInfo("ceil", ember.ceil, unary_same(np.ceil), rounding_samples, dtypes=NUMERIC, gradgrad=False),
    OpInfo("round", ember.round, unary_same(np.round), rounding_samples, dtypes=NUMERIC, gradgrad=False),
    OpInfo(
        "logical_not",
        ember.logical_not,
        lambda x: np.asarray(np.logical_not(x)),
        logical_not_samples,
        dtypes=("bool", "float32", "int64"),
        differentiable=False,
    ),
    OpInfo("isnan", ember.isnan, lambda x: np.asarray(np.isnan(x)), unary_special_samples, differentiable=False),
    OpInfo(
        "isfinite", ember.isfinite, lambda x: np.asarray(np.isfinite(x)), unary_special_samples, differentiable=False
    ),
    OpInfo("clamp", ember.clamp, _ref_clamp, _clamp_samples, dtypes=NUMERIC),
)

# binary
_add_op(
    OpInfo(
        "add",
        ember.add,
        binary(_add),
        lambda op, make: binary_samples(op, make) + [S(make(2, 3), make(2, 3), alpha=make.scalar(2), name="alpha")],
        dtypes=NUMERIC + ("bool", "uint8", "int8"),
    ),
    OpInfo(
        "sub",
        ember.sub,
        binary(_sub),
        lambda op, make: binary_samples(op, make) + [S(make(2, 3), make(2, 3), alpha=make.scalar(2), name="alpha")],
        dtypes=NUMERIC + ("int16",),
    ),
    OpInfo("mul", ember.mul, binary(_mul), binary_samples, dtypes=NUMERIC + ("bool", "uint8")),
    OpInfo("div", ember.div, binary(np.true_divide, "div"), binary_samples_nonzero, dtypes=NUMERIC + ("bool",)),
    OpInfo(
        "floor_divide",
        ember.floor_divide,
        binary(np.floor_divide),
        binary_samples_nonzero,
        dtypes=NUMERIC,
        differentiable=False,
    ),
    OpInfo("remainder", ember.remainder, binary(np.remainder), binary_samples_nonzero, dtypes=NUMERIC),
    OpInfo("pow", ember.pow, binary(_ref_pow), _pow_samples, dtypes=NUMERIC, domain=(0.5, 2.0)),
    OpInfo("maximum", ember.maximum, binary(np.maximum), binary_samples_tensors, dtypes=NUMERIC),
    OpInfo("minimum", ember.minimum, binary(np.minimum), binary_samples_tensors, dtypes=NUMERIC),
    OpInfo("where", ember.where, _ref_where, _where_samples, dtypes=NUMERIC + ("bool",)),
)
for _name, _fn in [
    ("eq", np.equal), ("ne", np.not_equal), ("lt", np.less), ("le", np.less_equal),
    ("gt", np.greater), ("ge", np.greater_equal),
]:  # fmt: skip
    _add_op(
        OpInfo(
            _name,
            getattr(ember, _name),
            binary(_fn, "cmp"),
            comparison_samples,
            dtypes=NUMERIC + ("bool", "uint8"),
            differentiable=False,
        )
    )
for _name, _fn in [("logical_and", np.logical_and), ("logical_or", np.logical_or), ("logical_xor", np.logical_xor)]:
    _add_op(
        OpInfo(
            _name,
            getattr(ember, _name),
            binary(_fn, "logic"),
            logical_samples,
            dtypes=("bool", "float32", "int64"),
            differentiable=False,
        )
    )
