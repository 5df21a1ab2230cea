"""Elementwise ops (unary, binary, `where`), each declared once with its derivative.

A unary or binary op is one call to `unary(...)` or `binary_op(...)`: that declares the
primitive (kernel contract, dtype rule, derivative, the NumPy/array-API function that
computes it) and the public function with its Tensor methods. Nothing else lists it:
`__all__`, the Tensor methods, the generic kernels and the kit's tables are read off
`ember.dispatch.OPS` and `ember.dispatch.API`.

Core decides broadcasting and type promotion (PyTorch's rules, Python scalars weak);
kernels get operands already in the compute dtype, and Python scalars that they must
treat as that dtype.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from collections import namedtuple
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

from .. import dtypes as _dt
from ..dispatch import API, OPS, Op, complex_refused, inplace_variant, primitive, public
from ..dtypes import DType
from ..tensor import Tensor
from ._run import (
    _state,
    broadcast_shapes_for,
    cast,
    check_supported,
    conj,
    describe,
    kernel,
    needs_grad,
    run,
    same_device,
    to_tensor,
)  # fmt: skip

#: The dtype rules of elementwise ops: how the compute dtype and the result dtype follow from
#: the operands' promoted dtype (PyTorch's type promotion, Python scalars weak).
RULES = {
    "same": "computes and returns the promoted dtype",
    "numeric": "computes and returns the promoted dtype; bool operands are refused",
    "float": "computes and returns the promoted dtype, with integer and bool promoted to the default float dtype",
    "bool": "computes in the promoted dtype and returns bool",
    "logical": "computes on operands cast to bool and returns bool",
    "integral": "computes and returns the promoted dtype; floating operands are refused (bool and integers only)",
    "integer": "computes and returns the promoted dtype; integer operands only (bool and floating are refused)",
    "floating": "computes and returns the promoted dtype; floating operands only (bool and integers are refused)",
}
#: the dtype kinds ("b", "i", "u", "f") each rule lets through; the others raise TypeError naming the op
RULE_KINDS = {
    "same": "biuf", "numeric": "iuf", "float": "biuf", "bool": "biuf", "logical": "biuf",
    "integral": "biu", "integer": "iu", "floating": "f",
}  # fmt: skip
#: the rules whose result is bool (no in-place method: it would change the tensor's dtype)
_BOOL_RESULT = frozenset({"bool", "logical"})
_RESULT_NOTE = {
    "same": "",
    "numeric": " Not defined for bool tensors.",
    "float": " Integer and bool inputs compute in the default float dtype.",
    "bool": " Returns a bool tensor.",
    "logical": " Nonzero counts as True; returns a bool tensor.",
    "integral": " Defined for bool and integer tensors only.",
    "integer": " Defined for integer tensors only.",
    "floating": " Defined for floating tensors only.",
}
_KIND_WORDS = {"b": "bool", "i": "integer", "u": "integer", "f": "floating"}


class DtypeNotSupported(TypeError, NotImplementedError):
    """An op refusing its operands' dtype kind (bool, integer or floating): a TypeError, and, as PyTorch raises
    for a dtype its kernel lacks ("not implemented for 'Long'"), a NotImplementedError (so a RuntimeError)."""


def _out(name: str, result: Tensor, out: Any) -> Tensor:
    """`result` written into PyTorch's `out=` tensor (`conversion.write_out`), which is returned."""
    from .conversion import write_out

    return write_out(name, result, out)


def with_out(fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """`fn` with PyTorch's keyword `out=` added (its result written into `out`, which is returned); put it under
    `@public`, so that the registered function and its signature have it."""

    @functools.wraps(fn)
    def wrapper(*args: Any, out: Tensor | None = None, **kwargs: Any) -> Tensor:
        result = fn(*args, **kwargs)
        return result if out is None else _out(fn.__name__, result, out)

    sig = inspect.signature(fn)
    out_param = inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None, annotation="Tensor | None")
    wrapper.__signature__ = sig.replace(parameters=[*sig.parameters.values(), out_param])  # type: ignore[attr-defined]
    return wrapper


def check_kinds(name: str, rule: str, dt: DType, *operands: Any) -> None:
    """TypeError naming the op and its operands when `dt` (their promoted dtype) is outside `rule`'s kinds."""
    kinds = RULE_KINDS[rule]
    if dt.kind in kinds:
        return
    ok = sorted({_KIND_WORDS[k] for k in kinds})
    raise DtypeNotSupported(
        f"{name}: not supported on {_KIND_WORDS[dt.kind]} tensors ({', '.join(describe(x) for x in operands)}); "
        f"it takes {' and '.join(ok)} tensors"
    )


def _complex_compute(op: Op, dt: DType, operands: tuple[Any, ...]) -> DType:
    """The compute dtype of `op` on a complex promoted dtype: itself, where the op takes complex operands and the
    device holds the dtype; else a TypeError naming the op, the operands and what to do."""
    if op.complex is None:
        raise complex_refused(op.name, dt)
    for x in operands:
        if isinstance(x, Tensor):
            check_supported(dt, x._device, op.name)
            break
    return dt


def _compute_dtype(op: Op, dt: DType, *operands: Any) -> DType:
    """The dtype `op`'s kernel computes in, given the operands' promoted dtype (its rule, applied)."""
    if dt.is_complex:
        return _complex_compute(op, dt, operands)
    rule = op.rule
    if rule == "same":
        return dt
    if rule == "float":
        return dt if dt.is_floating_point else _dt.get_default_dtype()
    if rule == "logical":
        return _dt.bool_
    if rule in ("integral", "integer", "floating"):
        check_kinds(op.name, rule, dt, *operands)
        return dt
    if rule == "numeric" and dt is _dt.bool_:
        raise DtypeNotSupported(
            f"{op.name}: not supported on bool tensors ({', '.join(describe(x) for x in operands)}); "
            + ("use logical_not() or ~ to invert a mask" if op.name in ("neg", "sign") else "use the logical ops")
        )
    return dt


def _result_dtype(op: Op, compute: DType) -> DType:
    if op.rule in _BOOL_RESULT:
        return _dt.bool_
    return compute.to_real() if op.complex == "real" else compute


def _elementwise_primitive(
    name: str, operands: str, contract: str, rule: str, vjp: Callable[..., Any] | None, xp: str | None,
    save_inputs: bool, save_out: bool,
) -> Op:  # fmt: skip
    """The primitive behind `unary` and `binary_op`: its contract says the dtype rule it is called under."""
    if rule not in RULES:
        raise ValueError(f"{name}: unknown dtype rule {rule!r}; expected one of {sorted(RULES)}")
    out = " of bool" if rule in _BOOL_RESULT else ""
    return primitive(
        name, f"{name}({operands}) -> array{out}", contract.replace("{rule}", RULES[rule]), family="elementwise",
        vjp=vjp, differentiable=vjp is not None, save_inputs=save_inputs, save_out=save_out, rule=rule, xp=xp,
    )  # fmt: skip


# --------------------------------------------------------------------------- unary


def unary(
    name: str,
    doc: str,
    rule: str,
    vjp: Callable[..., Any] | None = None,
    *,
    xp: str | None = None,
    save_inputs: bool = False,
    save_out: bool = False,
    inplace: bool | None = None,
    aliases: tuple[str, ...] = (),
    public_fn: bool = True,
) -> Callable[[Any], Tensor]:
    """Declare a unary elementwise primitive and its public function `ember.<name>` / `x.<name>()`.

    `doc` says what the op computes (the user's docstring and the kernel contract both
    start with it); `rule` is one of `RULES`; `vjp(node, g)` its derivative (None: not
    differentiable); `xp` the NumPy/array-API function that computes it. In-place
    `x.<name>_()` comes along unless the result is bool.
    """
    contract = doc + " Called with x in the compute dtype ({rule})."
    op = _elementwise_primitive(name, "x: array", contract, rule, vjp, xp, save_inputs, save_out)
    fast = rule in ("same", "numeric", "float", "floating")  # a floating input computes and returns its dtype

    def fn(input: Any, *, out: Tensor | None = None) -> Tensor:  # noqa: A002 - PyTorch's argument name
        if out is not None:
            return _out(name, fn(input), out)
        x = input if type(input) is Tensor else to_tensor(input, name)
        dt = x._dtype
        if fast and dt.is_floating_point:  # the common case, inline
            return run(op, x._device, (x._data,), x._shape, dt, (x,))
        dt = _compute_dtype(op, dt, x)
        return run(op, x._device, (cast(x, dt),), x._shape, _result_dtype(op, dt), (x,))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc + _RESULT_NOTE[rule]
    fn.__module__ = __name__
    if public_fn:
        public(fn, method=True, inplace=rule not in _BOOL_RESULT if inplace is None else inplace, aliases=aliases, op=op)
    return fn


def _zero_grad(node: Any, g: Tensor) -> tuple[Tensor]:
    return (g * 0,)


def _abs_vjp(n: Any, g: Tensor) -> tuple[Tensor]:
    x = n[0]
    if x._dtype.is_complex:  # g * x / |x| (0 at 0): PyTorch's sgn(x)
        r = abs(x)
        return (where(r == 0, 0, g * x / where(r == 0, 1, r)),)
    return (g * sign(x),)


def _sin_vjp(n: Any, g: Tensor) -> tuple[Tensor]:
    return (g * conj(cos(n[0])),)


def _sinh_vjp(n: Any, g: Tensor) -> tuple[Tensor]:
    return (g * conj(cosh(n[0])),)


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

neg = unary("neg", "-input, elementwise.", "numeric", lambda n, g: (-g,), xp="negative", aliases=("negative",))
abs = unary("abs", "|input|, elementwise; bool and unsigned inputs come back unchanged (in new memory).", "same", _abs_vjp, save_inputs=True, aliases=("absolute",))  # noqa: A001
exp = unary("exp", "e to the power of each element.", "float", lambda n, g: (g * conj(n.out),), xp="exp", save_out=True)
log = unary(
    "log", "Natural logarithm of each element: -inf at 0, nan below 0.", "float",
    lambda n, g: (g / conj(n[0]),), xp="log", save_inputs=True,
)  # fmt: skip
log2 = unary(
    "log2", "Base-2 logarithm of each element: -inf at 0, nan below 0.", "float",
    lambda n, g: (g / (n[0] * math.log(2.0)),), xp="log2", save_inputs=True,
)  # fmt: skip
log10 = unary(
    "log10", "Base-10 logarithm of each element: -inf at 0, nan below 0.", "float",
    lambda n, g: (g / (n[0] * math.log(10.0)),), xp="log10", save_inputs=True,
)  # fmt: skip
log1p = unary(
    "log1p", "log(1 + input), accurate for small inputs.", "float",
    lambda n, g: (g / (n[0] + 1),), xp="log1p", save_inputs=True,
)  # fmt: skip
expm1 = unary(
    "expm1", "e**input - 1, accurate for small inputs.", "float", lambda n, g: (g * (n.out + 1),), xp="expm1",
    save_out=True,
)  # fmt: skip
sqrt = unary("sqrt", "Square root of each element; nan below 0.", "float", lambda n, g: (g / (conj(n.out) * 2),), xp="sqrt", save_out=True)
rsqrt = unary(
    "rsqrt", "1 / sqrt(input), elementwise.", "float", lambda n, g: (g * (n.out * n.out * n.out) * -0.5,),
    save_out=True,
)  # fmt: skip
sin = unary("sin", "Sine of each element (radians).", "float", _sin_vjp, xp="sin", save_inputs=True)
cos = unary("cos", "Cosine of each element (radians).", "float", lambda n, g: (-g * conj(sin(n[0])),), xp="cos", save_inputs=True)
tan = unary(
    "tan", "Tangent of each element (radians).", "float", lambda n, g: (g * (1 + n.out * n.out),), xp="tan",
    save_out=True,
)  # fmt: skip
asin = unary(
    "asin", "Arcsine of each element, in [-pi/2, pi/2]; nan outside [-1, 1].", "float",
    lambda n, g: (g * rsqrt(1 - n[0] * n[0]),), xp="asin", save_inputs=True, aliases=("arcsin",),
)  # fmt: skip
acos = unary(
    "acos", "Arccosine of each element, in [0, pi]; nan outside [-1, 1].", "float",
    lambda n, g: (-g * rsqrt(1 - n[0] * n[0]),), xp="acos", save_inputs=True, aliases=("arccos",),
)  # fmt: skip
atan = unary(
    "atan", "Arctangent of each element, in (-pi/2, pi/2).", "float",
    lambda n, g: (g / (1 + n[0] * n[0]),), xp="atan", save_inputs=True, aliases=("arctan",),
)  # fmt: skip
sinh = unary("sinh", "Hyperbolic sine of each element.", "float", _sinh_vjp, xp="sinh", save_inputs=True)
cosh = unary("cosh", "Hyperbolic cosine of each element.", "float", lambda n, g: (g * conj(sinh(n[0])),), xp="cosh", save_inputs=True)
asinh = unary(
    "asinh", "Inverse hyperbolic sine of each element.", "float",
    lambda n, g: (g * rsqrt(n[0] * n[0] + 1),), xp="asinh", save_inputs=True, aliases=("arcsinh",),
)  # fmt: skip
acosh = unary(
    "acosh", "Inverse hyperbolic cosine of each element; nan below 1.", "float",
    lambda n, g: (g * rsqrt(n[0] * n[0] - 1),), xp="acosh", save_inputs=True, aliases=("arccosh",),
)  # fmt: skip
atanh = unary(
    "atanh", "Inverse hyperbolic tangent of each element; +-inf at +-1, nan outside [-1, 1].", "float",
    lambda n, g: (g / (1 - n[0] * n[0]),), xp="atanh", save_inputs=True, aliases=("arctanh",),
)  # fmt: skip
tanh = unary(
    "tanh", "Hyperbolic tangent of each element.", "float", lambda n, g: (g * conj(1 - n.out * n.out),), xp="tanh",
    save_out=True,
)  # fmt: skip
sigmoid = unary(
    "sigmoid", "The logistic function 1 / (1 + e**-input), without overflow for large |input|.", "float",
    lambda n, g: (g * n.out * (1 - n.out),), save_out=True,
)  # fmt: skip
def _relu_vjp(n: Any, g: Tensor) -> tuple[Tensor]:
    out = n.out
    if not out._dtype.is_floating_point:
        return (where(out > 0, g, 0),)
    # out > 0 and where(mask, g, 0) as `binary` and `where` run them (the same kernel calls), their checks known to pass
    mask = run(GT, out._device, (out._data, 0.0), out._shape, _dt.bool_, (out, 0))
    if type(g) is Tensor and g._dtype is out._dtype and g._shape == out._shape and g._device is out._device:
        return (run(WHERE, g._device, (mask._data, g._data, 0.0), g._shape, g._dtype, (mask, g, 0)),)
    return (where(mask, g, 0),)


relu = unary(
    "relu", "max(input, 0), elementwise (nan stays nan); bool inputs come back unchanged (in new memory).", "same",
    _relu_vjp, save_out=True,
)
erf = unary(
    "erf", "The Gauss error function of each element.", "float",
    lambda n, g: (g * exp(-(n[0] * n[0])) * _TWO_OVER_SQRT_PI,), save_inputs=True,
)  # fmt: skip
floor = unary("floor", "Each element rounded down (toward -inf); integers and bools unchanged (in new memory).", "same", _zero_grad)
ceil = unary("ceil", "Each element rounded up (toward +inf); integers and bools unchanged (in new memory).", "same", _zero_grad)
_round = unary("round", "Each element rounded to the nearest integer, half to even; integers and bools unchanged (in new memory).", "same", _zero_grad, public_fn=False)
sign = unary("sign", "-1, 0 or 1 by the sign of each element; 0 at nan (as PyTorch; NumPy gives nan), sign(-0.0) is 0.0; bools come back unchanged (in new memory).", "same", _zero_grad)


@public(method=True, inplace=True, op=OPS["round"])
def round(input: Any, *, decimals: int = 0, out: Tensor | None = None) -> Tensor:  # noqa: A001, A002
    """Each element rounded to the nearest integer, half to even; integers and bools unchanged (in new memory).
    With `decimals` (floating tensors only), rounded to that many decimal places (negative: to tens, hundreds,
    ...), as PyTorch: round(input * 10**decimals) / 10**decimals, in the input's dtype."""
    if out is not None:
        return _out("round", round(input, decimals=decimals), out)
    if decimals == 0:
        return _round(input)
    x = _tensor_arg(input, "round")
    if not x._dtype.is_floating_point:
        raise DtypeNotSupported(
            f"round: decimals={decimals} is not supported on {_KIND_WORDS[x._dtype.kind]} tensors ({describe(x)}); "
            "it takes floating tensors (integers need no rounding to decimal places: use decimals=0)"
        )
    if decimals > 0:
        scale = 10.0**decimals
        return div(_round(mul(x, scale)), scale)
    scale = 10.0 ** (-decimals)
    return mul(_round(div(x, scale)), scale)
reciprocal = unary("reciprocal", "1 / input, elementwise.", "float", lambda n, g: (-g * conj(n.out * n.out),), xp="reciprocal", save_out=True)
logical_not = unary("logical_not", "Logical not of each element.", "logical", xp="logical_not", inplace=True)
isnan = unary("isnan", "Whether each element is nan.", "bool", xp="isnan")
isfinite = unary("isfinite", "Whether each element is finite (neither inf nor nan).", "bool", xp="isfinite")
trunc = unary(
    "trunc", "Each element rounded toward zero (its integer part); integers unchanged.", "numeric", _zero_grad,
    xp="trunc", aliases=("fix",),
)  # fmt: skip
bitwise_not = unary(
    "bitwise_not", "Bitwise not of each element (logical not for bool).", "integral", xp="bitwise_invert"
)


@public(method=True, inplace=True)
@with_out
def square(input: Any) -> Tensor:  # noqa: A002
    """input * input, elementwise; a bool tensor gives int64 (as PyTorch's square, which is pow(input, 2))."""
    x = input.to(_dt.int64) if isinstance(input, Tensor) and input._dtype is _dt.bool_ else input
    return mul(x, x)


# --------------------------------------------------------------------------- binary


def binary_op(
    name: str,
    doc: str,
    rule: str,
    vjp: Callable[..., Any] | None = None,
    *,
    xp: str | None = None,
    save_inputs: bool = False,
    save_out: bool = False,
    inplace: bool = False,
    inplace_kernel: bool = False,
    aliases: tuple[str, ...] = (),
    public_fn: bool = True,
) -> Op:
    """Declare a binary elementwise primitive and (unless `public_fn` is False) `ember.<name>(input, other)`.

    As `unary`; `inplace_kernel` also declares the optional kernel `<name>_` that
    writes into its first operand (used when no gradient is recorded).
    """
    contract = doc + " a and b are in the compute dtype ({rule}) and broadcast (NumPy rules)."
    op = _elementwise_primitive(name, "a: array | scalar, b: array | scalar", contract, rule, vjp, xp, save_inputs, save_out)
    if inplace_kernel:
        inplace_variant(op)
    if public_fn:

        def fn(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
            if out is not None:
                return _out(name, binary(op, input, other), out)
            return binary(op, input, other)

        fn.__name__ = fn.__qualname__ = name
        fn.__doc__ = doc + _RESULT_NOTE[rule]
        fn.__module__ = __name__
        public(fn, method=True, inplace=inplace, aliases=aliases, op=op)
    return op


def _pow_vjp(n: Any, ga: Tensor) -> tuple[Any, Any]:
    a, b = n[0], n[1]
    da = db = None
    if n.needs(0):  # b * a**(b-1), taken as 0 where b == 0 (also at a == 0, where it would be nan)
        if isinstance(b, Tensor):
            da = where(b == 0, 0, ga * b * pow(a, b - 1))
        else:
            da = ga * b * pow(a, b - 1) if b != 0 else ga * 0
    if n.needs(1):
        # d(a**b)/db = a**b * log(a), taken as 0 where a == 0 and b >= 0 (PyTorch's convention)
        out = pow(a, b)
        if isinstance(a, Tensor):
            db = where((a == 0) & (b >= 0), 0, ga * out * log(a))
        else:  # a Python number base: its log is a number too (never a tensor on another device)
            db = ga * out * math.log(a) if a > 0 else where(b >= 0, 0, ga * out * math.nan) if a == 0 else ga * math.nan
    return da, db


def _minmax_vjp(first_wins: Any) -> Any:
    def vjp(n: Any, g: Tensor) -> tuple[Any, Any]:
        a, b = n[0], n[1]
        half = g * 0.5
        da = where(a == b, half, where(first_wins(a, b), g, 0)) if n.needs(0) else None
        db = where(a == b, half, where(first_wins(a, b), 0, g)) if n.needs(1) else None
        return da, db

    return vjp


# add and sub take alpha: their public functions are written below
ADD = binary_op("add", "a + b.", "same", lambda n, g: (g, g), xp="add", inplace_kernel=True, public_fn=False)
SUB = binary_op(
    "sub", "a - b.", "numeric", lambda n, g: (g, -g if n.needs(1) else None), xp="subtract", inplace_kernel=True,
    public_fn=False,
)  # fmt: skip
MUL = binary_op(
    "mul", "input * other, elementwise.", "same",
    lambda n, g: (g * conj(n[1]) if n.next[0] is not None else None, g * conj(n[0]) if n.next[1] is not None else None),
    xp="multiply", save_inputs=True, inplace=True, inplace_kernel=True, aliases=("multiply",),
)  # fmt: skip
DIV = binary_op(
    "div", "input / other, true division.", "float",
    lambda n, g: (
        g / conj(n[1]) if n.needs(0) else None, -g * conj(n[0] / (n[1] * n[1])) if n.needs(1) else None
    ),
    xp="divide", save_inputs=True, inplace_kernel=True, public_fn=False,  # public `div` below takes rounding_mode
)  # fmt: skip
FLOOR_DIVIDE = binary_op(
    "floor_divide", "floor(input / other), Python's //. Integer division by zero never reaches the kernel: core raises ZeroDivisionError (as PyTorch on the CPU); float division by zero gives +-inf or nan.", "numeric",
    lambda n, g: (g * 0 if n.needs(0) else None, g * 0 if n.needs(1) else None), xp="floor_divide", inplace=True,
)  # fmt: skip
REMAINDER = binary_op(
    "remainder", "input - floor(input / other) * other, Python's % (the sign of other; a zero result has input's sign, as PyTorch). Integer remainder by zero never reaches the kernel (core raises ZeroDivisionError); float gives nan.", "numeric",
    lambda n, g: (g if n.needs(0) else None, -g * binary(FLOOR_DIVIDE, n[0], n[1]) if n.needs(1) else None),
    xp="remainder", save_inputs=True, inplace=True,
)  # fmt: skip
POW = binary_op("pow", "input ** exponent, elementwise. bool ** bool is bool (input or not exponent). An integer to a negative integer exponent array is 1 for 1, +-1 for -1 and 0 otherwise, as PyTorch (a negative Python exponent is refused by core).", "same", _pow_vjp, xp="pow", save_inputs=True, inplace=True)
MAXIMUM = binary_op(
    "maximum", "The larger of input and other, elementwise (nan if either is nan).", "same",
    _minmax_vjp(lambda a, b: a > b), xp="maximum", save_inputs=True,
)  # fmt: skip
MINIMUM = binary_op(
    "minimum", "The smaller of input and other, elementwise (nan if either is nan).", "same",
    _minmax_vjp(lambda a, b: a < b), xp="minimum", save_inputs=True,
)  # fmt: skip
EQ = binary_op("eq", "input == other, elementwise.", "bool", xp="equal", inplace=True)
NE = binary_op("ne", "input != other, elementwise.", "bool", xp="not_equal", aliases=("not_equal",), inplace=True)
LT = binary_op("lt", "input < other, elementwise.", "bool", xp="less", aliases=("less",), inplace=True)
LE = binary_op("le", "input <= other, elementwise.", "bool", xp="less_equal", aliases=("less_equal",), inplace=True)
GT = binary_op("gt", "input > other, elementwise.", "bool", xp="greater", aliases=("greater",), inplace=True)
GE = binary_op("ge", "input >= other, elementwise.", "bool", xp="greater_equal", aliases=("greater_equal",), inplace=True)
LOGICAL_AND = binary_op("logical_and", "input and other, elementwise.", "logical", xp="logical_and", inplace=True)
LOGICAL_OR = binary_op("logical_or", "input or other, elementwise.", "logical", xp="logical_or", inplace=True)
LOGICAL_XOR = binary_op("logical_xor", "input xor other, elementwise.", "logical", xp="logical_xor", inplace=True)


def _atan2_vjp(n: Any, g: Tensor) -> tuple[Any, Any]:
    a, b = n[0], n[1]
    r2 = a * a + b * b
    return (g * b / r2 if n.needs(0) else None, -g * a / r2 if n.needs(1) else None)


def _copysign_vjp(n: Any, g: Tensor) -> tuple[Any, Any]:
    a = n[0]  # d/da: +-1 by whether the sign changed (0 at a == 0, as PyTorch); nothing flows to b
    return (where(a == 0, 0, g * n.out / a) if n.needs(0) else None, g * 0 if n.needs(1) else None)


def _hypot_vjp(n: Any, g: Tensor) -> tuple[Any, Any]:
    return (g * n[0] / n.out if n.needs(0) else None, g * n[1] / n.out if n.needs(1) else None)


ATAN2 = binary_op(
    "atan2", "The angle of the point (other, input): arctan(input / other) in the right quadrant, in [-pi, pi].",
    "float", _atan2_vjp, xp="atan2", save_inputs=True, inplace=True, aliases=("arctan2",),
)  # fmt: skip
FMOD = binary_op(
    "fmod", "input - trunc(input / other) * other, C's fmod (the sign of input).", "numeric",
    lambda n, g: (g if n.needs(0) else None, -g * trunc(n[0] / n[1]) if n.needs(1) else None),
    xp="fmod", save_inputs=True, inplace=True,
)  # fmt: skip
COPYSIGN = binary_op(
    "copysign", "|input| with the sign bit of other (-0.0 and nan's sign count).", "float", _copysign_vjp,
    xp="copysign", save_inputs=True, save_out=True, inplace=True,
)  # fmt: skip
HYPOT = binary_op(
    "hypot", "sqrt(input**2 + other**2), without overflow or underflow in between.", "floating", _hypot_vjp,
    xp="hypot", save_inputs=True, save_out=True, inplace=True,
)  # fmt: skip
NEXTAFTER = binary_op(
    "nextafter", "The next floating-point value after input in the direction of other.", "floating",
    xp="nextafter", inplace=True,
)  # fmt: skip
BITWISE_AND = binary_op("bitwise_and", "Bitwise and (logical and for bool).", "integral", xp="bitwise_and", inplace=True)  # fmt: skip
BITWISE_OR = binary_op("bitwise_or", "Bitwise or (logical or for bool).", "integral", xp="bitwise_or", inplace=True)
BITWISE_XOR = binary_op("bitwise_xor", "Bitwise xor (logical xor for bool).", "integral", xp="bitwise_xor", inplace=True)  # fmt: skip
BITWISE_LEFT_SHIFT = binary_op(
    "bitwise_left_shift", "input shifted left by other bits; 0 when other is negative or not less than the bit width.",
    "integer", inplace=True,  # no xp=: the array API leaves out-of-range counts undefined (xp_kernels._shift)
)  # fmt: skip
BITWISE_RIGHT_SHIFT = binary_op(
    "bitwise_right_shift",
    "input shifted right by other bits (arithmetic: the sign fills in); when other is negative or not less "
    "than the bit width, -1 for negative input and 0 otherwise.",
    "integer", inplace=True,  # no xp=: the array API leaves out-of-range counts undefined (xp_kernels._shift)
)  # fmt: skip
GCD = binary_op(
    "gcd", "The greatest common divisor of |input| and |other| (0 when both are 0).", "integer", xp="gcd", inplace=True
)
LCM = binary_op(
    "lcm", "The least common multiple of |input| and |other| (0 when either is 0).", "integer", xp="lcm", inplace=True
)


def inplace_binary(op: Op, x: Tensor, other: Any) -> Tensor | None:
    """`x op= other` by the backend's in-place kernel, when one exists and no gradient is recorded.

    None when the fast way does not apply (dtype or shape would change, autograd is
    watching, an expanded view, no kernel); the caller then computes out of place.
    """
    variant = op.variant
    if variant is None or x._base is not None or not x._dtype.is_floating_point or _state.enabled and needs_grad((x, other)):
        return None
    dev = x._device
    try:
        k = variant._kernels[dev.type]
    except KeyError:
        k = kernel(variant, dev)
    if k is None:
        return None
    if type(other) is Tensor:
        if other._device is not dev or other._dtype is not x._dtype:
            return None
        if other._shape != x._shape and broadcast_shapes_for(op.name, x._shape, other._shape) != x._shape:
            return None
        k(x._data, other._data)
    elif type(other) is float or type(other) is int:
        k(x._data, float(other))
    else:
        return None
    x._bump_version()
    return x


_PY = {"b": bool, "i": int, "f": float, "c": complex}


@cache
def _scalar_promote_for(dtype: DType, pytype: type, default: DType) -> DType:
    out = _dt._combine(dtype, default if pytype is float else _dt.scalar_dtype(pytype()))
    assert out is not None  # both operands have a dtype
    return out


def _scalar_promote(dtype: DType, pytype: type) -> DType:
    """The dtype of `tensor op scalar` (cached; keyed on the default dtype, which may change)."""
    return _scalar_promote_for(dtype, pytype, _dt._default_float)


def _scalar_operand(x: Any, op: str) -> Any:
    if isinstance(x, Tensor):
        return x
    if type(x) in (int, float, bool, complex):
        return x
    if isinstance(x, numbers.Number):  # numpy scalars (np.complex64 too), Fraction, ...
        if hasattr(x, "item"):
            return x.item()
        return float(x) if isinstance(x, numbers.Real) or not isinstance(x, numbers.Complex) else complex(x)  # type: ignore[arg-type]
    if hasattr(x, "__array__") or isinstance(x, (list, tuple)):
        return to_tensor(x, op)
    raise TypeError(f"{op}: unsupported operand {describe(x)}; expected a Tensor or a Python number")


def _wrap_int(v: int, dt: DType) -> int:
    """`v` in the range of the integer dtype `dt`, wrapped modulo 2**bits like a C cast."""
    bits = dt.itemsize * 8
    lo = -(1 << (bits - 1)) if dt.is_signed else 0
    return v if lo <= v < lo + (1 << bits) else (v - lo) % (1 << bits) + lo


_FAST_RULES = frozenset({"same", "numeric", "float"})
_INT_MIN, _INT_MAX = _dt.SCALAR_INT_MIN, _dt.SCALAR_INT_MAX


def binary(op: Op, a: Any, b: Any) -> Tensor:
    """Run a binary op: devices checked, shapes broadcast, dtypes promoted by its rule, graph recorded."""
    ta, tb = type(a) is Tensor, type(b) is Tensor
    if ta and op.rule in _FAST_RULES and a._dtype.is_floating_point:
        # the hot path: floating tensors of one dtype and shape, or a Python number
        dt = a._dtype
        if tb:
            if b._device is a._device and b._dtype is dt and b._shape == a._shape:
                return run(op, a._device, (a._data, b._data), a._shape, dt, (a, b))
        elif type(b) is float or type(b) is int and _INT_MIN <= b <= _INT_MAX:
            return run(op, a._device, (a._data, float(b)), a._shape, dt, (a, b))
    if not ta:
        a = _scalar_operand(a, op.name)
        ta = isinstance(a, Tensor)
    if not tb:
        b = _scalar_operand(b, op.name)
        tb = isinstance(b, Tensor)
    if ta and tb:
        dev = a._device if b._device is a._device else same_device(op.name, (a, b))
        da, dbt = a._dtype, b._dtype
        dt = da if da is dbt else _dt.result_type(a, b)
        sa, sb = a._shape, b._shape
        shape = sa if sa == sb else broadcast_shapes_for(op.name, sa, sb)
    elif ta:
        dev, shape = a._device, a._shape
        dt = _scalar_promote(a._dtype, type(b))
        if type(b) is int and not _INT_MIN <= b <= _INT_MAX:
            _dt.check_scalar_int(b, op.name)
    elif tb:
        dev, shape = b._device, b._shape
        dt = _scalar_promote(b._dtype, type(a))
        if type(a) is int and not _INT_MIN <= a <= _INT_MAX:
            _dt.check_scalar_int(a, op.name)
    else:
        raise TypeError(f"{op.name}: at least one operand must be a Tensor, got {describe(a)} and {describe(b)}")
    if op is POW and not dt.is_floating_point and not dt.is_complex and not tb and b < 0:
        raise RuntimeError(
            f"pow: integers to negative integer powers are not allowed ({describe(a)} ** {b}); "
            f"use a floating tensor, e.g. x.float() ** {b}"
        )
    if op is SUB and ((a._dtype is _dt.bool_ if ta else type(a) is bool) or (b._dtype is _dt.bool_ if tb else type(b) is bool)):
        raise DtypeNotSupported(  # a bool on either side, tensor or Python bool, as PyTorch
            f"sub: not supported on bool tensors or bools ({describe(a)} - {describe(b)}); "
            "use logical_xor() or ^ for two masks, logical_not() or ~ to invert one"
        )
    dt = _compute_dtype(op, dt, a, b)
    if (op is FLOOR_DIVIDE or op is REMAINDER or op is FMOD) and not dt.is_floating_point:
        _check_int_divisor(op, a, b, tb)
    xa = (a._data if a._dtype is dt else cast(a, dt)) if ta else _PY[dt.kind](a)
    xb = (b._data if b._dtype is dt else cast(b, dt)) if tb else _PY[dt.kind](b)
    if dt.kind == "i" and not (ta and tb):  # a weak int wraps into the dtype (comparisons too), as in PyTorch
        xa, xb = (xa if ta else _wrap_int(xa, dt)), (xb if tb else _wrap_int(xb, dt))
    return run(op, dev, (xa, xb), shape, _result_dtype(op, dt), (a, b))


class IntegerDivisionByZero(ZeroDivisionError, RuntimeError):
    """Integer division or remainder by zero: Python's ZeroDivisionError and, as PyTorch raises, a RuntimeError."""


def _check_int_divisor(op: Op, a: Any, b: Any, tb: bool) -> None:
    """ZeroDivisionError for integer division or remainder by a zero (PyTorch raises on CPU).

    Only integer ops pay: a Python divisor is compared, a tensor one is scanned by a reduction on its own
    device and one bool comes back (NumPy: ndarray.all() on the divisor; OpenCL: a device any() and a 1-byte read)."""
    if not tb:
        if b == 0:
            raise IntegerDivisionByZero(f"{op.name}: integer division by zero ({describe(a)} and {b})")
        return
    data = b._data
    # host arrays: ndarray.all() in place (~1 us); other devices: a reduction there and one bool read back
    if (not data.all()) if type(data) is np.ndarray else bool((b == 0).any()):
        raise IntegerDivisionByZero(
            f"{op.name}: integer division by zero: the divisor {describe(b)} holds 0 (dividend {describe(a)}); "
            f"divide floating tensors to get inf/nan instead"
        )


def _scaled(op: str, input: Any, other: Any, alpha: Any) -> Any:  # noqa: A002
    """alpha * other for add/sub: a tensor product, or plain Python arithmetic when both are numbers.

    As in PyTorch, alpha must be representable in the result's dtype: no float alpha for an integer or
    bool result, no integer alpha outside an integer result's range (it would otherwise wrap silently)."""
    if not isinstance(alpha, Tensor) and not isinstance(alpha, bool):
        dt = _dt.result_type(input, other)
        if not dt.is_floating_point and isinstance(alpha, float):
            raise RuntimeError(
                f"{op}: for integral input tensors (result dtype {dt.name}), argument alpha must not be a floating "
                f"point number, got alpha={alpha!r}; cast the inputs to a floating dtype first"
            )
        if dt.kind == "i" and isinstance(alpha, int):
            info = _dt.iinfo(dt)
            if not info.min <= alpha <= info.max:
                raise RuntimeError(
                    f"{op}: alpha={alpha} cannot be converted to the result dtype {dt.name} without overflow "
                    f"(range [{info.min}, {info.max}])"
                )
        if dt.kind == "b" and isinstance(alpha, int):  # a bool result reads alpha as a bool
            alpha = bool(alpha)
    return mul(other, alpha) if isinstance(other, Tensor) or isinstance(alpha, Tensor) else other * alpha


@public(method=True, inplace=True, op=ADD)
def add(input: Any, other: Any, *, alpha: Any = 1, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """input + alpha * other, elementwise (broadcast; dtypes promoted)."""
    result = binary(ADD, input, other if alpha == 1 else _scaled("add", input, other, alpha))
    return result if out is None else _out("add", result, out)


@public(method=True, inplace=True, aliases=("subtract",), op=SUB)
def sub(input: Any, other: Any, *, alpha: Any = 1, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """input - alpha * other, elementwise (broadcast; dtypes promoted). Not defined for bool tensors (either
    operand, as PyTorch)."""
    result = binary(SUB, input, other if alpha == 1 else _scaled("sub", input, other, alpha))
    return result if out is None else _out("sub", result, out)


_ROUNDING_MODES = (None, "trunc", "floor")


@public(method=True, inplace=True, aliases=("divide", "true_divide"), op=DIV)
def div(input: Any, other: Any, *, rounding_mode: str | None = None, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """input / other, elementwise (broadcast; dtypes promoted). rounding_mode None: true division (integer and
    bool inputs compute in the default float dtype); "trunc": rounded toward zero, "floor": rounded down (Python's
    //), both in the promoted dtype, integer division by zero raising ZeroDivisionError, as PyTorch."""
    if out is not None:
        return _out("div", div(input, other, rounding_mode=rounding_mode), out)
    if rounding_mode is None:
        return binary(DIV, input, other)
    if rounding_mode == "floor":
        return binary(FLOOR_DIVIDE, input, other)
    if rounding_mode == "trunc":
        a, b = _scalar_operand(input, "div"), _scalar_operand(other, "div")
        if _dt.result_type(a, b).is_floating_point:
            return trunc(binary(DIV, a, b))
        _check_int_divisor(DIV, a, b, isinstance(b, Tensor))
        # integers: input - fmod(input, other) is an exact multiple of other (and between 0 and input: no overflow)
        return binary(FLOOR_DIVIDE, binary(SUB, a, binary(FMOD, a, b)), b)
    raise RuntimeError(
        f"div: rounding_mode must be one of {', '.join(map(repr, _ROUNDING_MODES))}, got {rounding_mode!r}"
    )


true_divide = div


@public
def rsub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    """other - alpha * input, elementwise: sub with its operands swapped (PyTorch's torch.rsub)."""
    return sub(other, input, alpha=alpha)


def _fn(name: str) -> Callable[..., Tensor]:
    return API[name].fn


mul = _fn("mul")
floor_divide = _fn("floor_divide")
remainder = _fn("remainder")
pow = _fn("pow")  # noqa: A001
maximum = _fn("maximum")
minimum = _fn("minimum")
eq = _fn("eq")
ne = _fn("ne")
lt = _fn("lt")
le = _fn("le")
gt = _fn("gt")
ge = _fn("ge")
logical_and = _fn("logical_and")
logical_or = _fn("logical_or")
logical_xor = _fn("logical_xor")
atan2 = _fn("atan2")
fmod = _fn("fmod")
copysign = _fn("copysign")
hypot = _fn("hypot")
nextafter = _fn("nextafter")
bitwise_and = _fn("bitwise_and")
bitwise_or = _fn("bitwise_or")
bitwise_xor = _fn("bitwise_xor")
bitwise_left_shift = _fn("bitwise_left_shift")
bitwise_right_shift = _fn("bitwise_right_shift")
gcd = _fn("gcd")
lcm = _fn("lcm")


# --------------------------------------------------------------------------- where / clamp


def _where_vjp(n: Any, g: Tensor) -> tuple[None, Any, Any]:
    cond = n[0]
    return (
        None,
        where(cond, g, 0) if n.needs(1) else None,
        where(cond, 0, g) if n.needs(2) else None,
    )


WHERE = primitive(
    "where",
    "where(cond: array of bool, a: array | scalar, b: array | scalar) -> array",
    "a where cond else b; a and b have the result dtype; all three broadcast.",
    family="elementwise",
    vjp=_where_vjp,
    save_inputs=True,
)

# The elementwise ops that take complex operands (Op.complex): arithmetic, exp/log (principal branch), sqrt, sin/cos/tanh/sinh/cosh,
# reciprocal, the tests that hold for complex numbers, and abs with its real result. Their derivatives follow PyTorch's convention (the conjugate of the
# holomorphic derivative times the incoming gradient); the other elementwise ops refuse complex tensors.
for _op in (OPS["neg"], ADD, SUB, MUL, DIV, OPS["exp"], OPS["log"], OPS["sqrt"], OPS["reciprocal"], EQ, NE,
            OPS["isnan"], OPS["isfinite"], WHERE, OPS["sin"], OPS["cos"], OPS["tanh"], OPS["sinh"], OPS["cosh"]):  # fmt: skip
    _op.complex = "complex"
OPS["abs"].complex = "real"


_NO_ARG: Any = object()


@public
def where(condition: Any, input: Any = _NO_ARG, other: Any = _NO_ARG, *, out: Tensor | None = None) -> Any:  # noqa: A002
    """`input` where `condition` holds, else `other` (broadcast; dtypes promoted).

    `where(condition)` alone is `nonzero(condition, as_tuple=True)`, as in PyTorch."""
    if input is _NO_ARG and other is _NO_ARG:
        from .indexing import nonzero

        return nonzero(condition, as_tuple=True)
    if input is _NO_ARG or other is _NO_ARG:
        raise TypeError("where: give both input and other, or neither (where(condition) is nonzero(condition, as_tuple=True))")
    if out is not None:
        return _out("where", where(condition, input, other), out)
    if not isinstance(condition, Tensor):
        condition = to_tensor(condition, "where")
    if condition._dtype is not _dt.bool_:
        raise RuntimeError(
            f"where expected condition to be a boolean tensor, but got a tensor with dtype {condition._dtype.name}; "
            f"compare it first (condition != 0)"
        )
    a = _scalar_operand(input, "where")
    b = _scalar_operand(other, "where")
    dev = same_device("where", [t for t in (condition, a, b) if isinstance(t, Tensor)])
    operands = [x for x in (a, b)]
    dt = _dt.result_type(*operands)
    shape = condition._shape
    for x in operands:
        if isinstance(x, Tensor) and x._shape != shape:
            shape = broadcast_shapes_for("where", shape, x._shape)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):  # give the kernel one array that carries dt
        from .creation import full

        a = full((), a, dtype=dt, device=dev)
    if dt.kind == "i":  # a Python number the integer result cannot hold raises, as in PyTorch
        for x in (a, b):
            if not isinstance(x, Tensor) and not _dt.value_fits(x, dt):
                raise _dt.overflow_error(x, dt, "where")
    xa = cast(a, dt) if isinstance(a, Tensor) else _PY[dt.kind](a)
    xb = cast(b, dt) if isinstance(b, Tensor) else _PY[dt.kind](b)
    if dt.kind == "i":  # -1 in uint8 is 255 (a C cast), whatever the kernel's array library accepts
        xa = xa if isinstance(a, Tensor) else _wrap_int(xa, dt)
        xb = xb if isinstance(b, Tensor) else _wrap_int(xb, dt)
    return run(WHERE, dev, (condition._data, xa, xb), shape, dt, (condition, a, b))


@public(method=True, inplace=True, aliases=("clip",))
def clamp(input: Tensor, min: Any = None, max: Any = None, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """`input` limited to [min, max]; the gradient passes where min <= input <= max."""
    if out is not None:
        return _out("clamp", clamp(input, min, max), out)
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of min and max must be given")
    if input._dtype.kind == "i":  # a bound the integer dtype cannot hold raises, as in PyTorch
        for bound in (min, max):
            if bound is not None and not isinstance(bound, Tensor) and not _dt.value_fits(bound, input._dtype):
                raise _dt.overflow_error(bound, input._dtype, "clamp")
    out = input
    if min is not None:
        out = where(_or_nan(out < min, min), min, out)
    if max is not None:
        out = where(_or_nan(out > max, max), max, out)
    if out._dtype is not input._dtype and not isinstance(min, Tensor) and not isinstance(max, Tensor):
        out = out.to(input._dtype) if input._dtype.is_floating_point else out
    return out


def _or_nan(crossed: Tensor, bound: Any) -> Tensor:
    """`crossed`, or True where the clamp bound is nan: a nan bound gives nan, as PyTorch's clamp."""
    if isinstance(bound, Tensor):
        return crossed | isnan(bound) if bound._dtype.is_floating_point else crossed
    return crossed | True if isinstance(bound, float) and math.isnan(bound) else crossed


@public(method=True, inplace=True)
@with_out
def clamp_min(input: Tensor, min: Any) -> Tensor:  # noqa: A002
    """`clamp(input, min=min)`."""
    return clamp(input, min=min)


@public(method=True, inplace=True)
@with_out
def clamp_max(input: Tensor, max: Any) -> Tensor:  # noqa: A002
    """`clamp(input, max=max)`."""
    return clamp(input, max=max)


# --------------------------------------------------------------------------- composites (written with the ops above)


def _tensor_arg(x: Any, name: str) -> Tensor:
    return x if type(x) is Tensor else to_tensor(x, name)


def _as_float(x: Tensor) -> Tensor:
    """x itself when floating, else x in the default float dtype (PyTorch's float ops on ints and bools)."""
    return x if x._dtype.is_floating_point else x.to(_dt.get_default_dtype())


def _float_operands(name: str, *xs: Any, rule: str = "float") -> tuple[Any, ...]:
    """Tensors and Python numbers cast to their promoted dtype, made floating (`rule` "float": ints and
    bools become the default float) or refused unless floating (`rule` "floating")."""
    xs = tuple(_scalar_operand(x, name) for x in xs)
    if not any(isinstance(x, Tensor) for x in xs):
        raise TypeError(f"{name}: at least one operand must be a Tensor, got {', '.join(describe(x) for x in xs)}")
    dt = _dt.result_type(*xs)
    check_kinds(name, rule, dt, *xs)
    _broadcast_check(name, *xs)
    if not dt.is_floating_point:
        dt = _dt.get_default_dtype()
    return tuple(x.to(dt) if isinstance(x, Tensor) else float(x) for x in xs)


def _broadcast_check(name: str, *xs: Any) -> None:
    """RuntimeError naming `name` (not an op inside the composite) when the tensors' shapes do not broadcast."""
    shapes = [x._shape for x in xs if isinstance(x, Tensor)]
    out = shapes[0] if shapes else ()
    for shape in shapes[1:]:
        if shape != out:
            out = broadcast_shapes_for(name, out, shape)


def _bool_like(x: Tensor, value: bool) -> Tensor:
    from .creation import full

    return full(x._shape, value, dtype=_dt.bool_, device=x._device)


@public(method=True)
@with_out
def signbit(input: Any) -> Tensor:  # noqa: A002
    """Whether the sign bit of each element is set: True for negative values, -0.0 and negative nan."""
    x = _tensor_arg(input, "signbit")
    if x._dtype.is_floating_point:
        return binary(COPYSIGN, 1.0, x) < 0
    return _bool_like(x, False) if x._dtype is _dt.bool_ else x < 0


@public(method=True, inplace=True)
@with_out
def frac(input: Any) -> Tensor:  # noqa: A002
    """The fractional part of each element, input - trunc(input), with input's sign. Floating tensors only."""
    x = _tensor_arg(input, "frac")
    check_kinds("frac", "floating", x._dtype, x)
    return x - trunc(x)


@public(method=True, inplace=True)
@with_out
def exp2(input: Any) -> Tensor:  # noqa: A002
    """2 to the power of each element. Integer and bool inputs compute in the default float dtype."""
    return binary(POW, 2.0, _as_float(_tensor_arg(input, "exp2")))


def _logaddexp(name: str, input: Any, other: Any, base2: bool) -> Tensor:  # noqa: A002
    a, b = _float_operands(name, input, other, rule="floating")
    # max + log(1 + base**-|a - b|): never overflows; where a == b (also both +-inf) the difference is 0
    d = where(a == b, 0.0, a - b)
    if base2:
        return maximum(a, b) + log1p(exp2(-abs(d))) * (1.0 / math.log(2.0))
    return maximum(a, b) + log1p(exp(-abs(d)))


@public(method=True)
@with_out
def logaddexp(input: Any, other: Any) -> Tensor:  # noqa: A002
    """log(exp(input) + exp(other)), elementwise, without overflow. Floating tensors only."""
    return _logaddexp("logaddexp", input, other, False)


@public(method=True)
@with_out
def logaddexp2(input: Any, other: Any) -> Tensor:  # noqa: A002
    """log2(2**input + 2**other), elementwise, without overflow. Floating tensors only."""
    return _logaddexp("logaddexp2", input, other, True)


@public(method=True, inplace=True)
@with_out
def logit(input: Any, eps: float | None = None) -> Tensor:  # noqa: A002
    """log(p / (1 - p)) of each element p, with p first clamped to [eps, 1 - eps] when eps is given (as PyTorch:
    eps where p < eps, else 1 - eps where p > 1 - eps, so an eps above 0.5 gives eps below it)."""
    x = _as_float(_tensor_arg(input, "logit"))
    if eps is not None:
        x = where(x < eps, eps, where(x > 1.0 - eps, 1.0 - eps, x))
    return log(x / (1.0 - x))


@public(method=True, inplace=True)
@with_out
def xlogy(input: Any, other: Any) -> Tensor:  # noqa: A002
    """input * log(other), taken as 0 where input == 0 (unless other is nan). Computes in a floating dtype."""
    a, b = _float_operands("xlogy", input, other)
    if not isinstance(b, Tensor):  # a Python number: its log is a number too
        if math.isnan(b):
            return a * math.nan
        lb = math.log(b) if b > 0 else (-math.inf if b == 0 else math.nan)
        return a * lb if 0 < b < math.inf else where(a == 0, 0.0, a * lb)
    # where input == 0, log's argument is replaced by 1 where it would give +-inf or nan (not for nan)
    bad = (b <= 0) | (b == math.inf)
    if isinstance(a, Tensor):
        b = where((a == 0) & bad, 1.0, b)
    elif a == 0:
        b = where(bad, 1.0, b)
    return a * log(b)


@public(method=True)  # float_power_ is written in the Tensor class: it takes float64 tensors only
@with_out
def float_power(input: Any, exponent: Any) -> Tensor:  # noqa: A002
    """input ** exponent computed in float64, whatever the operands' dtypes."""
    a = input.to(_dt.float64) if isinstance(input, Tensor) else float(input)
    b = exponent.to(_dt.float64) if isinstance(exponent, Tensor) else float(exponent)
    return binary(POW, a, b)


@public(method=True)
def positive(input: Tensor) -> Tensor:  # noqa: A002
    """input itself (unary +). Not defined for bool tensors."""
    check_kinds("positive", "numeric", input._dtype, input)
    return input


@public(method=True, inplace=True)
@with_out
def sgn(input: Tensor) -> Tensor:  # noqa: A002
    """The sign of each element, x / |x| (0 at 0): -1, 0 or 1 for real tensors, and 0 at nan as in PyTorch.
    Bool tensors come back unchanged."""
    from .conversion import clone

    if input._dtype is _dt.bool_:
        return clone(input)
    return sign(input)


@public(method=True, inplace=True)
@with_out
def sinc(input: Any) -> Tensor:  # noqa: A002
    """sin(pi x) / (pi x) of each element x, 1 at 0 (gradient 0 there)."""
    x = _as_float(_tensor_arg(input, "sinc"))
    zero = x == 0
    px = where(zero, 1.0, x) * math.pi  # no 0 / 0, so no nan in the gradient at 0
    return where(zero, 1.0, sin(px) / px)


@public(method=True, inplace=True)
@with_out
def heaviside(input: Tensor, values: Any) -> Tensor:  # noqa: A002
    """The step function: 0 where input < 0, values where input == 0, 1 where input > 0 (broadcast)."""
    if isinstance(values, Tensor) and values._dtype is not input._dtype:
        raise RuntimeError(
            f"heaviside: input and values must have the same dtype, got {describe(input)} and {describe(values)}"
        )
    _broadcast_check("heaviside", input, values)
    return where(input == 0, values, (input > 0).to(input._dtype))


@public(method=True, inplace=True)
@with_out
def ldexp(input: Any, other: Any) -> Tensor:  # noqa: A002
    """input * 2**other, elementwise, in a floating dtype. Exact where the result is representable, as PyTorch's
    (ldexp(1e-30, 200) is 1.6e30 in float32, not inf * 1e-30): narrower floats scale in float64, float64 in
    two halves of the exponent."""
    a, b = _float_operands("ldexp", input, other)
    if not isinstance(b, Tensor):
        return a * 2.0**b if -1000 < b < 1000 else a * 2.0 ** (b // 2) * 2.0 ** (b - b // 2)
    if isinstance(a, Tensor) and a._dtype.itemsize < 8:
        from ..backends import registry

        if _dt.float64 in registry.get(a._device.type).dtypes:
            return (a.to(_dt.float64) * binary(POW, 2.0, b.to(_dt.float64))).to(a._dtype)
    half = binary(FLOOR_DIVIDE, b, 2)
    return a * binary(POW, 2.0, half) * binary(POW, 2.0, b - half)


frexp_result = namedtuple("frexp_result", ["mantissa", "exponent"])


@public(method=True)
def frexp(input: Tensor) -> tuple[Tensor, Tensor]:  # noqa: A002
    """(mantissa, exponent) with input == mantissa * 2**exponent, |mantissa| in [0.5, 1) and an int32 exponent;
    0, inf and nan give themselves and exponent 0, as PyTorch (and C's frexp). Floating tensors only."""
    x = _tensor_arg(input, "frexp")
    check_kinds("frexp", "floating", x._dtype, x)
    regular = isfinite(x) & (x != 0)
    ax = where(regular, abs(x), 1.0)
    e = floor(log2(ax)) + 1  # off by one at most where log2 rounds; corrected below
    m = ldexp(where(regular, x, 1.0), -e)
    big, small = abs(m) >= 1, abs(m) < 0.5
    m = where(big, m * 0.5, where(small, m * 2.0, m))
    e = where(big, e + 1, where(small, e - 1, e))
    return frexp_result(where(regular, m, x), where(regular, e, 0).to(_dt.int32))


@public(method=True, inplace=True)
@with_out
def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:  # noqa: A002
    """input + weight * (end - input), elementwise (broadcast). Floating tensors of one dtype (a 0-d weight
    may have another: it is read in input's dtype). As PyTorch, computed as end - (end - input) * (1 - weight)
    where weight >= 0.5, so that weight 1 gives end exactly."""
    check_kinds("lerp", "floating", input._dtype, input)
    if isinstance(weight, Tensor) and weight._shape == () and weight._dtype is not input._dtype:
        weight = weight.to(input._dtype)
    for what, t in (("end", end), ("weight", weight)):
        if isinstance(t, Tensor) and t._dtype is not input._dtype:
            raise RuntimeError(f"lerp: expected dtype {input._dtype.name} for {what}, got {describe(t)}")
    _broadcast_check("lerp", input, end, weight)
    diff = end - input
    if not isinstance(weight, Tensor):
        return input + weight * diff if -0.5 < weight < 0.5 else end - diff * (1 - weight)
    return where(abs(weight) < 0.5, input + weight * diff, end - diff * (1 - weight))


@public(method=True, inplace=True)
@with_out
def deg2rad(input: Any) -> Tensor:  # noqa: A002
    """Each element converted from degrees to radians."""
    return _as_float(_tensor_arg(input, "deg2rad")) * (math.pi / 180.0)


@public(method=True, inplace=True)
@with_out
def rad2deg(input: Any) -> Tensor:  # noqa: A002
    """Each element converted from radians to degrees."""
    return _as_float(_tensor_arg(input, "rad2deg")) * (180.0 / math.pi)


@public(method=True, inplace=True)
@with_out
def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:  # noqa: A002
    """nan, +inf and -inf replaced by `nan`, `posinf` and `neginf` (by default 0 and the dtype's largest
    and lowest finite values). Integer and bool tensors come back unchanged."""
    from .conversion import clone

    if not input._dtype.is_floating_point:
        return clone(input)
    import numpy

    info = numpy.finfo(input._dtype.numpy)
    hi = float(info.max) if posinf is None else posinf
    lo = float(info.min) if neginf is None else neginf
    out = where(isnan(input), nan, input)
    out = where(out == math.inf, hi, out)
    return where(out == -math.inf, lo, out)


def _fminmax(name: str, input: Any, other: Any, wins: Callable[[Any, Any], Tensor]) -> Tensor:  # noqa: A002
    a, b = _scalar_operand(input, name), _scalar_operand(other, name)
    _broadcast_check(name, a, b)
    first = wins(a, b)  # ties go to input, as PyTorch's gradient does
    if _dt.result_type(a, b).is_floating_point:
        first = first | isnan(b) if isinstance(b, Tensor) else (first | math.isnan(b))
    return where(first, a, b)


@public(method=True)
@with_out
def fmax(input: Any, other: Any) -> Tensor:  # noqa: A002
    """The larger of input and other, elementwise, ignoring nan (nan only where both are nan)."""
    return _fminmax("fmax", input, other, lambda a, b: a >= b)


@public(method=True)
@with_out
def fmin(input: Any, other: Any) -> Tensor:  # noqa: A002
    """The smaller of input and other, elementwise, ignoring nan (nan only where both are nan)."""
    return _fminmax("fmin", input, other, lambda a, b: a <= b)


def _value_for(value: Any, *xs: Any) -> Any:
    """addcmul's `value` in the operands' result dtype: a float value truncates for integer results, as PyTorch."""
    if isinstance(value, float) and not _dt.result_type(*xs).is_floating_point:
        return int(value)
    return value


@public(method=True, inplace=True)
@with_out
def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:  # noqa: A002
    """input + value * tensor1 * tensor2, elementwise (broadcast; dtypes promoted)."""
    _broadcast_check("addcmul", input, tensor1, tensor2)
    prod = mul(tensor1, tensor2)
    value = _value_for(value, input, tensor1, tensor2)
    return add(input, prod if value == 1 else mul(prod, value))


@public(method=True, inplace=True)
@with_out
def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:  # noqa: A002
    """input + value * tensor1 / tensor2, elementwise (true division; broadcast; dtypes promoted)."""
    if not _dt.result_type(tensor1, tensor2).is_floating_point:
        raise RuntimeError(
            f"addcdiv: integer division is not supported ({describe(tensor1)} / {describe(tensor2)}); "
            "use floating tensors, or (input + value * tensor1.div(tensor2, rounding_mode='trunc')) for the old behaviour"
        )
    _broadcast_check("addcdiv", input, tensor1, tensor2)
    quot = div(tensor1, tensor2)
    return add(input, quot if value == 1 else mul(quot, value))


# --------------------------------------------------------------------------- closeness and special values


@public(method=True)
def isinf(input: Tensor) -> Tensor:  # noqa: A002
    """Whether each element is +inf or -inf. Returns a bool tensor."""
    return abs(input) == math.inf if input._dtype.is_floating_point else _bool_like(input, False)


@public(method=True)
@with_out
def isposinf(input: Tensor) -> Tensor:  # noqa: A002
    """Whether each element is +inf. Returns a bool tensor."""
    return input == math.inf if input._dtype.is_floating_point else _bool_like(input, False)


@public(method=True)
@with_out
def isneginf(input: Tensor) -> Tensor:  # noqa: A002
    """Whether each element is -inf. Returns a bool tensor."""
    return input == -math.inf if input._dtype.is_floating_point else _bool_like(input, False)


@public(method=True)
def isreal(input: Tensor) -> Tensor:  # noqa: A002
    """Whether each element is real: always True for a real tensor, imag == 0 for a complex one. Returns a
    bool tensor."""
    if input._dtype.is_complex:
        from .complex_numbers import imag

        return imag(input) == 0
    return _bool_like(input, True)


@public(method=True)
def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:  # noqa: A002
    """Whether each element of input is close to other's: |input - other| <= atol + rtol * |other|
    (equal infinities are close; nans are close to each other only with equal_nan). Returns a bool tensor."""
    if not isinstance(other, Tensor) or not isinstance(input, Tensor):
        raise TypeError(f"isclose: input and other must be Tensors, got {describe(input)} and {describe(other)}")
    if input._dtype is not other._dtype:
        raise RuntimeError(
            f"isclose: input and other must have the same dtype, got {describe(input)} and {describe(other)}"
        )
    if rtol < 0 or atol < 0:
        raise RuntimeError(
            f"isclose: rtol and atol must be greater than or equal to zero, got rtol={rtol}, atol={atol}"
        )
    _broadcast_check("isclose", input, other)
    close = input == other
    if input._dtype is _dt.bool_:
        return close
    if equal_nan and input._dtype.is_floating_point:
        close = close | (isnan(input) & isnan(other))
    a, b = _as_float(input), _as_float(other)
    err = abs(a - b)
    return close | (isfinite(err) & (err <= atol + abs(b) * rtol))


@public(method=True)
def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:  # noqa: A002
    """Whether every element of input is close to other's (`isclose`, broadcast): a Python bool."""
    return bool(isclose(input, other, rtol, atol, equal_nan).all().item())


@public(method=True)
def equal(input: Tensor, other: Tensor) -> bool:  # noqa: A002
    """Whether input and other have the same shape and the same values (nan is never equal): a Python bool."""
    if not isinstance(other, Tensor) or not isinstance(input, Tensor):
        raise TypeError(f"equal: input and other must be Tensors, got {describe(input)} and {describe(other)}")
    same_device("equal", (input, other))
    if input._shape != other._shape:
        return False
    return bool((input == other).all().item())
