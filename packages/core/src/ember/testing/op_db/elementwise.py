"""The op table's entries for the elementwise ops (unary and binary elementwise, comparison and logical)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypedDict

import numpy as np

import ember
from ember.testing.opinfo import (
    DEFAULT_FLOAT,
    NUMERIC,
    Arg,
    E,
    ErrorInput,
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
    """NumPy's power, but as PyTorch: an integer to a negative integer power is 1, +-1 or 0; bool ** bool is bool."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype == np.bool_ and b.dtype == np.bool_:
        return a | ~b
    if a.dtype.kind in "iu" and b.dtype.kind in "iu" and (b < 0).any():
        out = np.power(a, np.maximum(b, 0))
        small = [(1 if x == 1 or y % 2 == 0 else -1) if abs(int(x)) == 1 else 0 for x, y in zip(np.broadcast_to(a, out.shape).flat,
                 np.broadcast_to(b, out.shape).flat)]  # fmt: skip
        return np.where(np.broadcast_to(b, out.shape) < 0, np.array(small, dtype=out.dtype).reshape(out.shape), out)
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
    ("exp2", np.exp2, (-2.0, 2.0), {}),
    ("sinc", np.sinc, (-2.0, 2.0), {}),
    ("deg2rad", np.deg2rad, (-200.0, 200.0), {}),
    ("rad2deg", np.rad2deg, (-3.0, 3.0), {}),
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
    # PyTorch's sign: 0 at nan, bools unchanged (the same reference as sgn's)
    OpInfo("sign", ember.sign, lambda x: _ref_sgn(x), unary_special_samples, dtypes=NUMERIC + ("bool",)),
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
        # a Python bool is refused, as a bool tensor is (PyTorch): see the error inputs
        lambda op, make: [s for s in binary_samples(op, make) if s.name != "python-bool"]
        + [S(make(2, 3), make(2, 3), alpha=make.scalar(2), name="alpha")],
        dtypes=NUMERIC + ("int16",),
        error_inputs=lambda op, make: _sub_errors(op, make),
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
    OpInfo("remainder", ember.remainder, binary(lambda a, b: _ref_remainder(a, b)), binary_samples_nonzero, dtypes=NUMERIC),
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


# --------------------------------------------------------------------------- pointwise math beyond the basics

_BITWISE_DTYPES = ("bool", "int32", "int64", "uint8", "int8")
_INT_DTYPES = ("int32", "int64", "uint8", "int8")


def _int_make(make: Maker) -> Maker:
    """`make` itself for bool and integer dtypes; an int64 one when asked for a floating dtype (the kit's
    in-place test asks for float32, and these ops are not defined there)."""
    return make if make.dtype.kind in "biu" else Maker(make.op, np.dtype(np.int64), make.rng)


def _int_binary_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    make = _int_make(make)
    out = binary_samples(op, make, scalars=False)
    out += [
        S(make(2, 3), make.scalar(3), name="python-scalar"),
        S(make.scalar(5), make(2, 3), name="python-scalar-lhs"),
    ]
    return out


def _int_unary_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return unary_samples(op, _int_make(make))


def _shift_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    make = _int_make(make)
    bits = make.dtype.itemsize * 8
    count = make.array([0, 1, 3, bits - 1, bits, bits + 3, -1, 2]) if make.dtype.kind == "u" or bits > 8 else None
    out = [
        S(make(2, 3), make(2, 3, low=0, high=bits), name="same-shape"),
        S(make(2, 3), make(3, low=0, high=bits), name="broadcast"),
        S(make(), make(2, 2, low=0, high=bits), name="0-d-lhs"),
        S(make(0, 3), make(3, low=0, high=bits), name="empty"),
        S(make(3, 2, layout="transposed"), make(3, 2, low=0, high=bits, layout="strided"), name="non-contiguous"),
        S(make(2, 3), 2, name="python-int"),
        S(make.array([-7, 5, -1, 100]), 70, name="past-the-width"),
    ]
    if make.dtype.kind == "i" and bits > 8:
        out.append(
            S(
                make.array([5, -5, 7, -7, 1, -1, 3, -3]),
                make.array([0, 1, 3, bits - 1, bits, bits + 3, -1, 2]),
                name="counts",
            )
        )
    elif count is not None:
        out.append(S(make.array([5, 200, 7, 9, 1, 255, 3, 4]), count, name="counts"))
    return out


def _ref_shift(left: bool) -> Callable[..., Any]:
    @quiet
    def ref(a: Any, b: Any) -> np.ndarray:
        dt = ref_result_type(a, b)
        a, b = np.asarray(a).astype(dt), np.asarray(b).astype(dt)
        bits = dt.itemsize * 8
        ok = (b >= 0) & (b < bits)
        safe = np.where(ok, b, 0).astype(dt)
        if left:
            out = np.where(ok, np.left_shift(a, safe), 0)
        else:
            out = np.where(ok, np.right_shift(a, safe), np.where(a < 0, -1, 0))
        return np.asarray(out).astype(dt)

    return ref


def _float_errors(name: str) -> Callable[[OpInfo, Maker], list[ErrorInput]]:
    """Integer-only ops: floating operands raise TypeError naming the op; shapes that do not broadcast, RuntimeError."""

    def errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
        ints = Maker(op, np.dtype(np.int64), make.rng)
        return [
            E(TypeError, f"{name}: not supported on floating tensors", make(2, 3), ints(2, 3)),
            E(RuntimeError, f"{name}: shapes \\(2, 3\\) and \\(4,\\) are not broadcastable", ints(2, 3), ints(4)),
        ]

    return errors


def _int_errors(name: str) -> Callable[[OpInfo, Maker], list[ErrorInput]]:
    """Floating-only ops: integer or bool operands raise TypeError naming the op; bad shapes, RuntimeError."""

    def errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
        ints = Maker(op, np.dtype(np.int64), make.rng)
        return [
            E(TypeError, f"{name}: not supported on integer tensors", ints(2, 3), ints(2, 3)),
            E(RuntimeError, f"{name}: shapes \\(2, 3\\) and \\(4,\\) are not broadcastable", make(2, 3), make(4)),
        ]

    return errors


def _bool_errors(name: str) -> Callable[[OpInfo, Maker], list[ErrorInput]]:
    def errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
        bools = Maker(op, np.dtype(np.bool_), make.rng)
        return [E(TypeError, f"{name}: not supported on bool tensors", bools(2, 3), bools(2, 3))]

    return errors


for _name, _np_fn in [("bitwise_and", np.bitwise_and), ("bitwise_or", np.bitwise_or), ("bitwise_xor", np.bitwise_xor)]:
    _add_op(
        OpInfo(
            _name,
            getattr(ember, _name),
            binary(_np_fn),
            _int_binary_samples,
            dtypes=_BITWISE_DTYPES,
            differentiable=False,
            error_inputs=_float_errors(_name),
        )  # fmt: skip
    )
for _name, _int_fn, _dom in [("gcd", np.gcd, (-60, 61)), ("lcm", np.lcm, (-9, 10))]:  # (lcm: no int8 overflow)
    _add_op(
        OpInfo(
            _name,
            getattr(ember, _name),
            binary(_int_fn),
            _int_binary_samples,
            dtypes=_INT_DTYPES,
            differentiable=False,
            int_domain=_dom,
            error_inputs=_float_errors(_name),
        )  # fmt: skip
    )
for _name, _left in [("bitwise_left_shift", True), ("bitwise_right_shift", False)]:
    _add_op(
        OpInfo(
            _name,
            getattr(ember, _name),
            _ref_shift(_left),
            _shift_samples,
            dtypes=_INT_DTYPES,
            differentiable=False,
            int_domain=(-100, 100),
            error_inputs=_bool_errors(_name),
        )  # fmt: skip
    )


@quiet
def _ref_signbit(x: np.ndarray) -> np.ndarray:
    return np.asarray(np.signbit(x) if x.dtype != np.bool_ else np.zeros(x.shape, bool))


@quiet
def _ref_sgn(x: np.ndarray) -> np.ndarray:
    return x.copy() if x.dtype == np.bool_ else np.asarray(np.nan_to_num(np.sign(x), nan=0.0)).astype(x.dtype)


def _ref_remainder(a: Any, b: Any) -> Any:
    """np.remainder with PyTorch's zero: the sign of fmod(a, b), that is of a (NumPy's takes b's)."""
    out = np.remainder(a, b)
    return np.where(out == 0, np.copysign(out, a), out) if np.asarray(out).dtype.kind == "f" else out


def _sub_errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
    bools = Maker(op, np.dtype(np.bool_), make.rng)
    return [
        E(RuntimeError, "sub: not supported on bool tensors", make(2, 3), True),
        E(RuntimeError, "sub: not supported on bool tensors", bools(2, 3), make(2, 3)),
    ]


def _float_only_unary_errors(name: str) -> Callable[[OpInfo, Maker], list[ErrorInput]]:
    def errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
        ints = Maker(op, np.dtype(np.int64), make.rng)
        return [E(TypeError, f"{name}: not supported on integer tensors", ints(2, 3))]

    return errors


def _signed_zero_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = unary_special_samples(op, make)
    if make.dtype.kind == "f":
        out.append(S(make.array([-0.0, 0.0, -np.nan, -1e-30, -np.inf]), name="signs", grad=False))
    return out


@quiet
def _ref_nan_to_num(
    x: np.ndarray, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
) -> np.ndarray:
    return np.asarray(np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)).astype(x.dtype)


def _nan_to_num_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = unary_special_samples(op, make)
    if make.dtype.kind == "f":
        vals = make.array([np.nan, np.inf, -np.inf, 1.0, -2.0])
        out += [
            S(vals, name="special-defaults", grad=False),
            S(vals, nan=1.5, posinf=2.0, neginf=-3.0, name="given", grad=False),
        ]
    return out


def _logit_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = unary_special_samples(op, make)
    if make.dtype.kind == "f":
        out += [
            S(make(2, 3, low=-0.5, high=1.5), eps=0.1, name="eps"),
            S(make(3, 2, layout="transposed"), eps=1e-3, name="eps-transposed"),
        ]
    return out


@quiet
def _ref_logit(x: np.ndarray, eps: float | None = None) -> np.ndarray:
    x = x if x.dtype.kind == "f" else x.astype(DEFAULT_FLOAT)
    p = x if eps is None else np.clip(x, eps, 1 - eps)
    return np.asarray(np.log(p / (1 - p))).astype(x.dtype)


_add_op(
    OpInfo("trunc", ember.trunc, unary_same(np.trunc), rounding_samples, dtypes=NUMERIC, gradgrad=False),
    OpInfo(
        "bitwise_not",
        ember.bitwise_not,
        unary_same(np.invert),
        _int_unary_samples,
        dtypes=_BITWISE_DTYPES,
        differentiable=False,
        error_inputs=lambda op, make: [E(TypeError, "bitwise_not: not supported on floating", make(2))],
    ),  # fmt: skip
    OpInfo(
        "signbit", ember.signbit, _ref_signbit, _signed_zero_samples, dtypes=NUMERIC + ("bool",), differentiable=False
    ),
    OpInfo(
        "frac",
        ember.frac,
        unary_same(lambda x: x - np.trunc(x)),
        unary_special_samples,
        error_inputs=_float_only_unary_errors("frac"),
    ),  # fmt: skip
    OpInfo(
        "positive",
        ember.positive,
        unary_same(lambda x: x),
        unary_samples,
        dtypes=NUMERIC,
        error_inputs=lambda op, make: [E(TypeError, "positive: not supported on bool", Arg(np.array([True])))],
    ),  # fmt: skip
    OpInfo("sgn", ember.sgn, _ref_sgn, unary_special_samples, dtypes=NUMERIC + ("bool",)),
    OpInfo("nan_to_num", ember.nan_to_num, _ref_nan_to_num, _nan_to_num_samples, dtypes=NUMERIC + ("bool",)),
    OpInfo(
        "logit",
        ember.logit,
        _ref_logit,
        _logit_samples,
        dtypes=NUMERIC + ("bool",),
        domain=(0.1, 0.9),
        int_domain=(0, 2),
    ),  # fmt: skip
)
_TESTS: list[tuple[str, Callable[..., Any]]] = [
    ("isinf", np.isinf), ("isposinf", np.isposinf), ("isneginf", np.isneginf), ("isreal", np.isreal),
]  # fmt: skip
for _name, _test_fn in _TESTS:
    _add_op(
        OpInfo(
            _name,
            getattr(ember, _name),
            (lambda f: lambda x: np.asarray(f(x)))(_test_fn),
            unary_special_samples,
            dtypes=NUMERIC + ("bool",),
            differentiable=False,
        )  # fmt: skip
    )


# binary
def _ref_ldexp(a: Any, b: Any) -> Any:
    return a * np.exp2(b)


@quiet
def _ref_xlogy(a: Any, b: Any) -> np.ndarray:
    dt = ref_result_type(a, b)
    dt = dt if dt.kind == "f" else DEFAULT_FLOAT
    a, b = np.asarray(a).astype(dt), np.asarray(b).astype(dt)
    return np.asarray(np.where((a == 0) & ~np.isnan(b), 0, a * np.log(b))).astype(dt)


@quiet
def _ref_float_power(a: Any, b: Any) -> np.ndarray:
    return np.asarray(np.power(np.asarray(a, np.float64), np.asarray(b, np.float64)))


@quiet
def _ref_heaviside(x: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.asarray(np.where(x == 0, v, x > 0)).astype(x.dtype)


def _ref_fminmax(fn: Callable[..., Any]) -> Callable[..., Any]:
    return binary(fn)


def _xlogy_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = binary_samples(op, make)
    if make.dtype.kind == "f":
        out.append(
            S(
                make.array([0.0, 0.0, 0.0, 1.0, 0.0, 2.0]),
                make.array([0.0, -1.0, np.nan, 0.0, np.inf, 3.0]),
                name="zeros",
                grad=False,
            )
        )
        out.append(S(make.array([0.0, 1.0, 2.0]), 0.0, name="scalar-zero", grad=False))
    return out


def _heaviside_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    d = make.discrete
    return [
        S(d(2, 3), d(2, 3), name="same-shape"),
        S(d(2, 3), d(3), name="broadcast"),
        S(d(), d(2, 2), name="0-d"),
        S(d(0, 3), d(3), name="empty"),
        S(d(3, 2, layout="transposed"), d(3, 2, layout="strided"), name="non-contiguous"),
    ]


def _float_power_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return _pow_samples(op, make) + [
        S(make(2, 3), make.scalar(2), name="python-scalar"),
        S(make(2, 3, dtype=np.float64), make(3), name="float64-base"),  # (float_power_ needs a float64 tensor)
    ]


def _nan_tie_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = binary_samples_tensors(op, make)
    if make.dtype.kind == "f":
        inf = np.inf
        out.append(S(make.array([inf, -inf, 1.0, inf]), make.array([inf, -inf, 1.0, -inf]), name="ties", grad=False))
    return out


def _lerp_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 3), make(2, 3), 0.3, name="scalar-weight"),
        S(make(2, 3), make(3), make(2, 1, low=0, high=1), name="tensor-weight"),
        S(make(), make(), 0.7, name="0-d"),
        S(make(0, 3), make(3), 0.5, name="empty"),
        S(make(3, 2, layout="transposed"), make(3, 2, layout="strided"), make(2), name="non-contiguous"),
    ]


def _ref_lerp(a: np.ndarray, b: np.ndarray, w: Any) -> np.ndarray:
    return np.asarray(a + w * (b - a)).astype(a.dtype)


def _ternary_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    nz = make.dtype.kind == "f" and op.name == "addcdiv"
    return [
        S(make(2, 3), make(2, 3), make(2, 3, nonzero=nz), name="same-shape"),
        S(make(2, 3), make(3), make(2, 1, nonzero=nz), name="broadcast"),
        S(make(2, 3), make(2, 3), make(2, 3, nonzero=nz), value=make.scalar(2), name="value"),
        S(make(), make(), make(nonzero=nz), name="0-d"),
        S(make(0, 3), make(3), make(1, 3, nonzero=nz), name="empty"),
        S(make(3, 2, layout="transposed"), make(3, 2, layout="strided"), make(2, nonzero=nz), name="non-contiguous"),
    ]


@quiet
def _ref_addcmul(a: np.ndarray, t1: np.ndarray, t2: np.ndarray, value: Any = 1) -> np.ndarray:
    dt = ref_result_type(a, t1, t2)
    return np.asarray(a + value * (t1.astype(dt) * t2.astype(dt))).astype(dt)


@quiet
def _ref_addcdiv(a: np.ndarray, t1: np.ndarray, t2: np.ndarray, value: Any = 1) -> np.ndarray:
    dt = ref_result_type(a, t1, t2)
    return np.asarray(a + value * (t1.astype(dt) / t2.astype(dt))).astype(dt)


def _isclose_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = [
        S(make(2, 3), make(2, 3), name="far"),
        S(make.array([1.0, 2.0, 3.0]), make.array([1.0, 2.0, 4.0]), name="equal-or-not"),
        S(make(2, 3), make(3), rtol=0.5, atol=0.5, name="loose-broadcast"),
        S(make(), make(), name="0-d"),
        S(make(0, 3), make(3), name="empty"),
        S(make(3, 2, layout="transposed"), make(3, 2, layout="strided"), atol=1.0, name="non-contiguous"),
    ]
    if make.dtype.kind == "f":
        a = make.array([np.nan, np.inf, -np.inf, np.inf, 1.0, 1.0 + 1e-7, 0.0])
        b = make.array([np.nan, np.inf, -np.inf, -np.inf, np.nan, 1.0, 1e-9])
        out += [S(a, b, name="special"), S(a, b, equal_nan=True, name="equal-nan")]
    return out


@quiet
def _ref_isclose(
    a: np.ndarray, b: np.ndarray, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
) -> np.ndarray:
    if a.dtype == np.bool_:
        return np.asarray(a == b)
    return np.asarray(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def _lerp_errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
    ints = Maker(op, np.dtype(np.int64), make.rng)
    f64 = Maker(op, np.dtype(np.float64), make.rng)
    return [
        E(TypeError, "lerp: not supported on integer tensors", ints(2), ints(2), 0.5),
        E(RuntimeError, "lerp: expected dtype float32 for end", make(2), f64(2), 0.5),
        E(RuntimeError, "lerp: expected dtype float32 for weight", make(2), make(2), f64(2)),
    ]


def _isclose_errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
    ints = Maker(op, np.dtype(np.int64), make.rng)
    return [
        E(RuntimeError, "isclose: input and other must have the same dtype", make(2), ints(2)),
        E(RuntimeError, "isclose: rtol and atol must be greater than or equal to zero", make(2), make(2), rtol=-1.0),
        E(RuntimeError, "isclose: shapes \\(2,\\) and \\(3,\\) are not broadcastable", make(2), make(3)),
    ]


def _addcdiv_errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
    ints = Maker(op, np.dtype(np.int64), make.rng)
    return [E(RuntimeError, "addcdiv: integer division is not supported", make(2), ints(2), ints(2))]


def _heaviside_errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
    f64 = Maker(op, np.dtype(np.float64), make.rng)
    return [E(RuntimeError, "heaviside: input and values must have the same dtype", make(2), f64(2))]


_EXACT = {"float16": (0.0, 0.0), "float32": (0.0, 0.0), "float64": (0.0, 0.0)}

_add_op(
    OpInfo("atan2", ember.atan2, binary(np.arctan2, "div"), binary_samples, dtypes=NUMERIC + ("bool",)),
    OpInfo(
        "fmod",
        ember.fmod,
        binary(np.fmod),
        binary_samples_nonzero,
        dtypes=NUMERIC + ("int8",),
        error_inputs=_bool_errors("fmod"),
    ),  # fmt: skip
    OpInfo("copysign", ember.copysign, binary(np.copysign, "div"), binary_samples, dtypes=NUMERIC + ("bool",)),
    OpInfo("hypot", ember.hypot, binary(np.hypot), binary_samples_tensors, error_inputs=_int_errors("hypot")),
    OpInfo(
        "nextafter",
        ember.nextafter,
        binary(np.nextafter),
        binary_samples_tensors,
        differentiable=False,
        tol=_EXACT,
        error_inputs=_int_errors("nextafter"),
    ),  # fmt: skip
    OpInfo("logaddexp", ember.logaddexp, binary(np.logaddexp), _nan_tie_samples, error_inputs=_int_errors("logaddexp")),
    OpInfo(
        "logaddexp2", ember.logaddexp2, binary(np.logaddexp2), _nan_tie_samples, error_inputs=_int_errors("logaddexp2")
    ),
    OpInfo(
        "xlogy",
        ember.xlogy,
        _ref_xlogy,
        _xlogy_samples,
        dtypes=NUMERIC + ("bool",),
        domain=(0.5, 3.0),
        int_domain=(0, 5),
    ),
    OpInfo("float_power", ember.float_power, _ref_float_power, _float_power_samples, dtypes=NUMERIC, domain=(0.5, 2.0)),
    OpInfo("ldexp", ember.ldexp, binary(_ref_ldexp, "div"), binary_samples, dtypes=NUMERIC + ("bool",)),
    OpInfo("lerp", ember.lerp, _ref_lerp, _lerp_samples, error_inputs=_lerp_errors),
    OpInfo("fmax", ember.fmax, binary(np.fmax), binary_samples_tensors, dtypes=NUMERIC + ("bool",)),
    OpInfo("fmin", ember.fmin, binary(np.fmin), binary_samples_tensors, dtypes=NUMERIC + ("bool",)),
    OpInfo(
        "heaviside",
        ember.heaviside,
        _ref_heaviside,
        _heaviside_samples,
        dtypes=NUMERIC + ("bool",),
        differentiable=False,
        error_inputs=_heaviside_errors,
    ),  # fmt: skip
    OpInfo("addcmul", ember.addcmul, _ref_addcmul, _ternary_samples, dtypes=NUMERIC),
    OpInfo("addcdiv", ember.addcdiv, _ref_addcdiv, _ternary_samples, error_inputs=_addcdiv_errors),
    OpInfo(
        "isclose",
        ember.isclose,
        _ref_isclose,
        _isclose_samples,
        dtypes=NUMERIC + ("bool",),
        differentiable=False,
        error_inputs=_isclose_errors,
    ),  # fmt: skip
)
