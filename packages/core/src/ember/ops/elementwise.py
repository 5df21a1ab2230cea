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

import math
from collections.abc import Callable
from functools import cache
from typing import Any

from .. import dtypes as _dt
from ..dispatch import API, Op, inplace_variant, primitive, public
from ..dtypes import DType
from ..tensor import Tensor
from ._run import _state, broadcast_shapes_for, cast, describe, kernel, needs_grad, run, same_device, to_tensor

#: The dtype rules of elementwise ops: how the compute dtype and the result dtype follow from
#: the operands' promoted dtype (PyTorch's type promotion, Python scalars weak).
RULES = {
    "same": "computes and returns the promoted dtype",
    "numeric": "computes and returns the promoted dtype; bool operands are refused",
    "float": "computes and returns the promoted dtype, with integer and bool promoted to the default float dtype",
    "bool": "computes in the promoted dtype and returns bool",
    "logical": "computes on operands cast to bool and returns bool",
}
#: the rules whose result is bool (no in-place method: it would change the tensor's dtype)
_BOOL_RESULT = frozenset({"bool", "logical"})
_RESULT_NOTE = {
    "same": "",
    "numeric": " Not defined for bool tensors.",
    "float": " Integer and bool inputs compute in the default float dtype.",
    "bool": " Returns a bool tensor.",
    "logical": " Nonzero counts as True; returns a bool tensor.",
}


def _compute_dtype(op: Op, dt: DType, *operands: Any) -> DType:
    """The dtype `op`'s kernel computes in, given the operands' promoted dtype (its rule, applied)."""
    rule = op.rule
    if rule == "same":
        return dt
    if rule == "float":
        return dt if dt.is_floating_point else _dt.get_default_dtype()
    if rule == "logical":
        return _dt.bool_
    if rule == "numeric" and dt is _dt.bool_:
        raise TypeError(
            f"{op.name}: not supported on bool tensors ({', '.join(describe(x) for x in operands)}); "
            + ("use logical_not() or ~ to invert a mask" if op.name in ("neg", "sign") else "use the logical ops")
        )
    return dt


def _result_dtype(op: Op, compute: DType) -> DType:
    return _dt.bool_ if op.rule in _BOOL_RESULT else compute


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
) -> Callable[[Any], Tensor]:
    """Declare a unary elementwise primitive and its public function `ember.<name>` / `x.<name>()`.

    `doc` says what the op computes (the user's docstring and the kernel contract both
    start with it); `rule` is one of `RULES`; `vjp(node, g)` its derivative (None: not
    differentiable); `xp` the NumPy/array-API function that computes it. In-place
    `x.<name>_()` comes along unless the result is bool.
    """
    contract = doc + " Called with x in the compute dtype ({rule})."
    op = _elementwise_primitive(name, "x: array", contract, rule, vjp, xp, save_inputs, save_out)

    def fn(input: Any) -> Tensor:  # noqa: A002 - PyTorch's argument name
        x = input if type(input) is Tensor else to_tensor(input, name)
        dt = x._dtype
        if rule == "float" and dt.is_floating_point:  # the common case, inline
            return run(op, x._device, (x._data,), x._shape, dt, (x,))
        dt = _compute_dtype(op, dt, x)
        return run(op, x._device, (cast(x, dt),), x._shape, _result_dtype(op, dt), (x,))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc + _RESULT_NOTE[rule]
    fn.__module__ = __name__
    public(fn, method=True, inplace=rule not in _BOOL_RESULT if inplace is None else inplace, aliases=aliases, op=op)
    return fn


def _zero_grad(node: Any, g: Tensor) -> tuple[Tensor]:
    return (g * 0,)


def _abs_vjp(n: Any, g: Tensor) -> tuple[Tensor]:
    return (g * sign(n[0]),)


def _sin_vjp(n: Any, g: Tensor) -> tuple[Tensor]:
    return (g * cos(n[0]),)


def _sinh_vjp(n: Any, g: Tensor) -> tuple[Tensor]:
    return (g * cosh(n[0]),)


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

neg = unary("neg", "-input, elementwise.", "numeric", lambda n, g: (-g,), xp="negative", aliases=("negative",))
abs = unary("abs", "|input|, elementwise.", "same", _abs_vjp, save_inputs=True, aliases=("absolute",))  # noqa: A001
exp = unary("exp", "e to the power of each element.", "float", lambda n, g: (g * n.out,), xp="exp", save_out=True)
log = unary(
    "log", "Natural logarithm of each element: -inf at 0, nan below 0.", "float",
    lambda n, g: (g / n[0],), xp="log", save_inputs=True,
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
sqrt = unary("sqrt", "Square root of each element; nan below 0.", "float", lambda n, g: (g / (n.out * 2),), xp="sqrt", save_out=True)
rsqrt = unary(
    "rsqrt", "1 / sqrt(input), elementwise.", "float", lambda n, g: (g * (n.out * n.out * n.out) * -0.5,),
    save_out=True,
)  # fmt: skip
sin = unary("sin", "Sine of each element (radians).", "float", _sin_vjp, xp="sin", save_inputs=True)
cos = unary("cos", "Cosine of each element (radians).", "float", lambda n, g: (-g * sin(n[0]),), xp="cos", save_inputs=True)
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
cosh = unary("cosh", "Hyperbolic cosine of each element.", "float", lambda n, g: (g * sinh(n[0]),), xp="cosh", save_inputs=True)
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
    "tanh", "Hyperbolic tangent of each element.", "float", lambda n, g: (g * (1 - n.out * n.out),), xp="tanh",
    save_out=True,
)  # fmt: skip
sigmoid = unary(
    "sigmoid", "The logistic function 1 / (1 + e**-input), without overflow for large |input|.", "float",
    lambda n, g: (g * n.out * (1 - n.out),), save_out=True,
)  # fmt: skip
relu = unary("relu", "max(input, 0), elementwise (nan stays nan).", "same", lambda n, g: (where(n.out > 0, g, 0),), save_out=True)
erf = unary(
    "erf", "The Gauss error function of each element.", "float",
    lambda n, g: (g * exp(-(n[0] * n[0])) * _TWO_OVER_SQRT_PI,), save_inputs=True,
)  # fmt: skip
floor = unary("floor", "Each element rounded down (toward -inf); integers unchanged.", "same", _zero_grad)
ceil = unary("ceil", "Each element rounded up (toward +inf); integers unchanged.", "same", _zero_grad)
round = unary("round", "Each element rounded to the nearest integer, half to even; integers unchanged.", "same", _zero_grad)  # noqa: A001
sign = unary("sign", "-1, 0 or 1 by the sign of each element (nan stays nan).", "numeric", _zero_grad)
reciprocal = unary("reciprocal", "1 / input, elementwise.", "float", lambda n, g: (-g * n.out * n.out,), xp="reciprocal", save_out=True)
logical_not = unary("logical_not", "Logical not of each element.", "logical", xp="logical_not")
isnan = unary("isnan", "Whether each element is nan.", "bool", xp="isnan")
isfinite = unary("isfinite", "Whether each element is finite (neither inf nor nan).", "bool", xp="isfinite")


@public(method=True, inplace=True)
def square(input: Any) -> Tensor:  # noqa: A002
    """input * input, elementwise."""
    return mul(input, input)


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

        def fn(input: Any, other: Any) -> Tensor:  # noqa: A002
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
    lambda n, g: (g * n[1] if n.needs(0) else None, g * n[0] if n.needs(1) else None),
    xp="multiply", save_inputs=True, inplace=True, inplace_kernel=True, aliases=("multiply",),
)  # fmt: skip
DIV = binary_op(
    "div", "input / other, true division.", "float",
    lambda n, g: (g / n[1] if n.needs(0) else None, -g * n[0] / (n[1] * n[1]) if n.needs(1) else None),
    xp="divide", save_inputs=True, inplace=True, inplace_kernel=True, aliases=("divide", "true_divide"),
)  # fmt: skip
FLOOR_DIVIDE = binary_op(
    "floor_divide", "floor(input / other), Python's //.", "numeric",
    lambda n, g: (g * 0 if n.needs(0) else None, g * 0 if n.needs(1) else None), xp="floor_divide", inplace=True,
)  # fmt: skip
REMAINDER = binary_op(
    "remainder", "input - floor(input / other) * other, Python's % (the sign of other).", "numeric",
    lambda n, g: (g if n.needs(0) else None, -g * binary(FLOOR_DIVIDE, n[0], n[1]) if n.needs(1) else None),
    xp="remainder", save_inputs=True, inplace=True,
)  # fmt: skip
POW = binary_op("pow", "input ** exponent, elementwise.", "same", _pow_vjp, xp="pow", save_inputs=True, inplace=True)
MAXIMUM = binary_op(
    "maximum", "The larger of input and other, elementwise (nan if either is nan).", "same",
    _minmax_vjp(lambda a, b: a > b), xp="maximum", save_inputs=True,
)  # fmt: skip
MINIMUM = binary_op(
    "minimum", "The smaller of input and other, elementwise (nan if either is nan).", "same",
    _minmax_vjp(lambda a, b: a < b), xp="minimum", save_inputs=True,
)  # fmt: skip
EQ = binary_op("eq", "input == other, elementwise.", "bool", xp="equal")
NE = binary_op("ne", "input != other, elementwise.", "bool", xp="not_equal", aliases=("not_equal",))
LT = binary_op("lt", "input < other, elementwise.", "bool", xp="less", aliases=("less",))
LE = binary_op("le", "input <= other, elementwise.", "bool", xp="less_equal", aliases=("less_equal",))
GT = binary_op("gt", "input > other, elementwise.", "bool", xp="greater", aliases=("greater",))
GE = binary_op("ge", "input >= other, elementwise.", "bool", xp="greater_equal", aliases=("greater_equal",))
LOGICAL_AND = binary_op("logical_and", "input and other, elementwise.", "logical", xp="logical_and")
LOGICAL_OR = binary_op("logical_or", "input or other, elementwise.", "logical", xp="logical_or")
LOGICAL_XOR = binary_op("logical_xor", "input xor other, elementwise.", "logical", xp="logical_xor")


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


_PY = {"b": bool, "i": int, "f": float}


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
    if type(x) in (int, float, bool):
        return x
    if isinstance(x, (int, float)):  # numpy scalars, etc.
        return x.item() if hasattr(x, "item") else float(x)
    if hasattr(x, "__array__") or isinstance(x, (list, tuple)):
        return to_tensor(x, op)
    raise TypeError(f"{op}: unsupported operand {describe(x)}; expected a Tensor or a Python number")


def _wrap_int(v: int, dt: DType) -> int:
    """`v` in the range of the integer dtype `dt`, wrapped modulo 2**bits like a C cast."""
    bits = dt.itemsize * 8
    lo = -(1 << (bits - 1)) if dt.is_signed else 0
    return v if lo <= v < lo + (1 << bits) else (v - lo) % (1 << bits) + lo


_FAST_RULES = frozenset({"same", "numeric", "float"})


def binary(op: Op, a: Any, b: Any) -> Tensor:
    """Run a binary op: devices checked, shapes broadcast, dtypes promoted by its rule, graph recorded."""
    ta, tb = type(a) is Tensor, type(b) is Tensor
    if ta and op.rule in _FAST_RULES and a._dtype.is_floating_point:
        # the hot path: floating tensors of one dtype and shape, or a Python number
        dt = a._dtype
        if tb:
            if b._device is a._device and b._dtype is dt and b._shape == a._shape:
                return run(op, a._device, (a._data, b._data), a._shape, dt, (a, b))
        elif type(b) is float or type(b) is int:
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
    elif tb:
        dev, shape = b._device, b._shape
        dt = _scalar_promote(b._dtype, type(a))
    else:
        raise TypeError(f"{op.name}: at least one operand must be a Tensor, got {describe(a)} and {describe(b)}")
    if op is POW and not dt.is_floating_point and not tb and b < 0:
        raise RuntimeError(
            f"pow: integers to negative integer powers are not allowed ({describe(a)} ** {b}); "
            f"use a floating tensor, e.g. x.float() ** {b}"
        )
    if (op is FLOOR_DIVIDE or op is REMAINDER) and not dt.is_floating_point and not tb and b == 0:
        raise ZeroDivisionError(f"{op.name}: integer division by zero ({describe(a)} and {b})")
    dt = _compute_dtype(op, dt, a, b)
    xa = (a._data if a._dtype is dt else cast(a, dt)) if ta else _PY[dt.kind](a)
    xb = (b._data if b._dtype is dt else cast(b, dt)) if tb else _PY[dt.kind](b)
    if dt.kind == "i" and op.rule != "bool" and not (ta and tb):  # a weak int wraps into the dtype, as in PyTorch
        xa, xb = (xa if ta else _wrap_int(xa, dt)), (xb if tb else _wrap_int(xb, dt))
    return run(op, dev, (xa, xb), shape, _result_dtype(op, dt), (a, b))


@public(method=True, inplace=True, op=ADD)
def add(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    """input + alpha * other, elementwise (broadcast; dtypes promoted)."""
    return binary(ADD, input, other if alpha == 1 else mul(other, alpha))


@public(method=True, inplace=True, aliases=("subtract",), op=SUB)
def sub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    """input - alpha * other, elementwise (broadcast; dtypes promoted). Not defined for bool tensors."""
    return binary(SUB, input, other if alpha == 1 else mul(other, alpha))


def _fn(name: str) -> Callable[..., Tensor]:
    return API[name].fn


mul = _fn("mul")
div = _fn("div")
true_divide = div
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


@public
def where(condition: Any, input: Any, other: Any) -> Tensor:  # noqa: A002
    """`input` where `condition` holds, else `other` (broadcast; dtypes promoted)."""
    if not isinstance(condition, Tensor):
        condition = to_tensor(condition, "where")
    if condition._dtype is not _dt.bool_:
        condition = condition != 0
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
    xa = cast(a, dt) if isinstance(a, Tensor) else _PY[dt.kind](a)
    xb = cast(b, dt) if isinstance(b, Tensor) else _PY[dt.kind](b)
    return run(WHERE, dev, (condition._data, xa, xb), shape, dt, (condition, a, b))


@public(method=True, inplace=True, aliases=("clip",))
def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """`input` limited to [min, max]; the gradient passes where min <= input <= max."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of min and max must be given")
    out = input
    if min is not None:
        out = where(out < min, min, out)
    if max is not None:
        out = where(out > max, max, out)
    if out._dtype is not input._dtype and not isinstance(min, Tensor) and not isinstance(max, Tensor):
        out = out.to(input._dtype) if input._dtype.is_floating_point else out
    return out


