"""Elementwise ops (unary, binary, `where`), each declared with its derivative.

Core decides broadcasting and type promotion (PyTorch's rules, Python scalars
weak); kernels get operands already in the compute dtype, and Python scalars
that they must treat as that dtype.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from .. import dtypes as _dt
from ..dispatch import Op, inplace_variant, primitive
from ..dtypes import DType
from ..tensor import Tensor, tracked
from .apply import _state, broadcast_shapes_for, cast, describe, kernel, maybe_record, record, to_tensor

__all__ = [
    "neg", "abs", "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid",
    "relu", "erf", "floor", "ceil", "round", "sign", "reciprocal", "logical_not",
    "add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "pow", "maximum", "minimum",
    "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor",
    "where", "clamp", "square", "isnan", "isfinite",
]  # fmt: skip

_make = Tensor._make


# --------------------------------------------------------------------------- unary

# dtype rules: "float" (ints and bool compute in the default float), "same", "bool"
def _unary(name: str, doc: str, rule: str, vjp: Any = None, *, save_inputs: bool = False, save_out: bool = False) -> Op:
    sig = f"{name}(x: array) -> array" + (" of bool" if rule == "bool" else "")
    return primitive(
        name,
        sig,
        doc,
        family="elementwise",
        vjp=vjp,
        differentiable=vjp is not None,
        save_inputs=save_inputs,
        save_out=save_out,
    )


def _zero_grad(node: Any, g: Tensor) -> tuple[Tensor]:
    return (g * 0,)


NEG = _unary("neg", "-x.", "same", lambda n, g: (-g,))
ABS = _unary("abs", "|x|.", "same", lambda n, g: (g * sign(n[0]),), save_inputs=True)
EXP = _unary("exp", "e**x.", "float", lambda n, g: (g * n.out,), save_out=True)
LOG = _unary("log", "Natural log; -inf at 0, nan below.", "float", lambda n, g: (g / n[0],), save_inputs=True)
LOG1P = _unary("log1p", "log(1 + x), accurate near 0.", "float", lambda n, g: (g / (n[0] + 1),), save_inputs=True)
EXPM1 = _unary("expm1", "e**x - 1, accurate near 0.", "float", lambda n, g: (g * (n.out + 1),), save_out=True)
SQRT = _unary("sqrt", "Square root; nan below 0.", "float", lambda n, g: (g / (n.out * 2),), save_out=True)
RSQRT = _unary(
    "rsqrt", "1 / sqrt(x).", "float", lambda n, g: (g * (n.out * n.out * n.out) * -0.5,), save_out=True
)
SIN = _unary("sin", "Sine.", "float", lambda n, g: (g * cos(n[0]),), save_inputs=True)
COS = _unary("cos", "Cosine.", "float", lambda n, g: (-g * sin(n[0]),), save_inputs=True)
TANH = _unary("tanh", "Hyperbolic tangent.", "float", lambda n, g: (g * (1 - n.out * n.out),), save_out=True)
SIGMOID = _unary(
    "sigmoid", "1 / (1 + e**-x), without overflow for large |x|.", "float",
    lambda n, g: (g * n.out * (1 - n.out),), save_out=True,
)  # fmt: skip
RELU = _unary("relu", "max(x, 0).", "same", lambda n, g: (where(n.out > 0, g, 0),), save_out=True)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
ERF = _unary(
    "erf", "The error function.", "float",
    lambda n, g: (g * exp(-(n[0] * n[0])) * _TWO_OVER_SQRT_PI,), save_inputs=True,
)  # fmt: skip
FLOOR = _unary("floor", "Round toward -inf (ints unchanged).", "same", _zero_grad)
CEIL = _unary("ceil", "Round toward +inf (ints unchanged).", "same", _zero_grad)
ROUND = _unary("round", "Round half to even (ints unchanged).", "same", _zero_grad)
SIGN = _unary("sign", "-1, 0 or 1 (nan stays nan).", "same", _zero_grad)
RECIPROCAL = _unary("reciprocal", "1 / x.", "float", lambda n, g: (-g * n.out * n.out,), save_out=True)
LOGICAL_NOT = _unary("logical_not", "not x (x is bool).", "bool")
ISNAN = _unary("isnan", "x != x, as bool.", "bool")
ISFINITE = _unary("isfinite", "Neither inf nor nan, as bool.", "bool")

_RULES = {
    "neg": "same", "abs": "same", "relu": "same", "floor": "same", "ceil": "same", "round": "same",
    "sign": "same", "logical_not": "bool", "isnan": "bool", "isfinite": "bool",
}  # fmt: skip


def _apply_unary(op: Op, x: Any) -> Tensor:
    if type(x) is not Tensor:
        x = to_tensor(x, op.name)
    rule = _RULES.get(op.name, "float")
    dt = x._dtype
    if rule == "float" and not dt.is_floating_point:
        dt = _dt.get_default_dtype()
        data = cast(x, dt)
    elif op is LOGICAL_NOT:
        data = cast(x, _dt.bool_)
    elif rule == "same" and dt is _dt.bool_ and op.name in ("neg", "sign"):
        raise TypeError(
            f"{op.name}: not supported on bool tensors (shape {x._shape}); use logical_not() or ~ to invert a mask"
        )
    else:
        data = x._data
    k = kernel(op, x._device)
    out = _make(k(data), x._shape, _dt.bool_ if rule == "bool" else dt, x._device)
    if _state.enabled and op.vjp is not None and (x._requires_grad or x._base is not None and tracked(x)):
        record(op, (x,), out)
    return out


def _unary_fn(op: Op) -> Any:
    def fn(input: Any) -> Tensor:  # noqa: A002 - PyTorch's argument name
        return _apply_unary(op, input)

    fn.__name__ = fn.__qualname__ = op.name
    fn.__doc__ = op.doc
    return fn


neg = _unary_fn(NEG)
abs = _unary_fn(ABS)  # noqa: A001 - PyTorch's name
exp = _unary_fn(EXP)
log = _unary_fn(LOG)
log1p = _unary_fn(LOG1P)
expm1 = _unary_fn(EXPM1)
sqrt = _unary_fn(SQRT)
rsqrt = _unary_fn(RSQRT)
sin = _unary_fn(SIN)
cos = _unary_fn(COS)
tanh = _unary_fn(TANH)
sigmoid = _unary_fn(SIGMOID)
relu = _unary_fn(RELU)
erf = _unary_fn(ERF)
floor = _unary_fn(FLOOR)
ceil = _unary_fn(CEIL)
round = _unary_fn(ROUND)  # noqa: A001
sign = _unary_fn(SIGN)
reciprocal = _unary_fn(RECIPROCAL)
logical_not = _unary_fn(LOGICAL_NOT)
isnan = _unary_fn(ISNAN)
isfinite = _unary_fn(ISFINITE)


def square(input: Tensor) -> Tensor:  # noqa: A002
    return mul(input, input)


# --------------------------------------------------------------------------- binary

_ARITH, _DIV, _CMP, _LOGIC = 0, 1, 2, 3


def _binary(name: str, doc: str, vjp: Any = None, *, save_inputs: bool = False, save_out: bool = False, out: str = "") -> Op:
    sig = f"{name}(a: array | scalar, b: array | scalar) -> array{out}"
    return primitive(
        name,
        sig,
        doc + " a and b have the compute dtype and broadcast (NumPy rules).",
        family="elementwise",
        vjp=vjp,
        differentiable=vjp is not None,
        save_inputs=save_inputs,
        save_out=save_out,
    )


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


ADD = _binary("add", "a + b.", lambda n, g: (g, g))
SUB = _binary("sub", "a - b.", lambda n, g: (g, -g if n.needs(1) else None))
MUL = _binary(
    "mul", "a * b.",
    lambda n, g: (g * n[1] if n.needs(0) else None, g * n[0] if n.needs(1) else None), save_inputs=True,
)  # fmt: skip
DIV = _binary(
    "div", "a / b (true division; called with floating operands only).",
    lambda n, g: (g / n[1] if n.needs(0) else None, -g * n[0] / (n[1] * n[1]) if n.needs(1) else None),
    save_inputs=True,
)  # fmt: skip
FLOOR_DIVIDE = _binary(
    "floor_divide", "floor(a / b), Python's //.", lambda n, g: (g * 0 if n.needs(0) else None, g * 0 if n.needs(1) else None)
)
REMAINDER = _binary(
    "remainder", "a - floor(a / b) * b, Python's % (sign of b).",
    lambda n, g: (g if n.needs(0) else None, -g * floor_divide(n[0], n[1]) if n.needs(1) else None),
    save_inputs=True,
)  # fmt: skip
POW = _binary("pow", "a ** b.", _pow_vjp, save_inputs=True)
MAXIMUM = _binary(
    "maximum", "The larger of a and b (nan if either is nan).", _minmax_vjp(lambda a, b: a > b), save_inputs=True
)
MINIMUM = _binary(
    "minimum", "The smaller of a and b (nan if either is nan).", _minmax_vjp(lambda a, b: a < b), save_inputs=True
)
EQ = _binary("eq", "a == b.", out=" of bool")
NE = _binary("ne", "a != b.", out=" of bool")
LT = _binary("lt", "a < b.", out=" of bool")
LE = _binary("le", "a <= b.", out=" of bool")
GT = _binary("gt", "a > b.", out=" of bool")
GE = _binary("ge", "a >= b.", out=" of bool")
LOGICAL_AND = _binary("logical_and", "a and b (bool operands).", out=" of bool")
LOGICAL_OR = _binary("logical_or", "a or b (bool operands).", out=" of bool")
LOGICAL_XOR = _binary("logical_xor", "a xor b (bool operands).", out=" of bool")

ADD_, SUB_, MUL_, DIV_ = (inplace_variant(op) for op in (ADD, SUB, MUL, DIV))
INPLACE_VARIANTS = {"add": ADD_, "sub": SUB_, "mul": MUL_, "div": DIV_}


def inplace_binary(op: Op, x: Tensor, other: Any) -> Tensor | None:
    """`x op= other` by the backend's in-place kernel, when one exists and no gradient is recorded.

    None when the fast way does not apply (dtype or shape would change, autograd is
    watching, an expanded view, no kernel); the caller then computes out of place.
    """
    variant = INPLACE_VARIANTS.get(op.name)
    if variant is None or (x._base is not None) or not x._dtype.is_floating_point:
        return None
    if _state.enabled and (x._requires_grad or (type(other) is Tensor and other._requires_grad)):
        return None
    dev = x._device
    k = variant._kernels.get(dev.type) if dev.type in variant._kernels else kernel(variant, dev)
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


_FAST = frozenset(op.name for op in (ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM))
_MODE = {
    "div": _DIV, "eq": _CMP, "ne": _CMP, "lt": _CMP, "le": _CMP, "gt": _CMP, "ge": _CMP,
    "logical_and": _LOGIC, "logical_or": _LOGIC, "logical_xor": _LOGIC,
}  # fmt: skip
_PY = {"b": bool, "i": int, "f": float}


@cache
def _scalar_promote_for(dtype: DType, pytype: type, default: DType) -> DType:
    return _dt._combine(dtype, default if pytype is float else _dt.scalar_dtype(pytype()))  # type: ignore[return-value]


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


def binary(op: Op, a: Any, b: Any) -> Tensor:
    """Run a binary op: devices checked, shapes broadcast, dtypes promoted, graph recorded."""
    ta, tb = type(a) is Tensor, type(b) is Tensor
    if ta and op.name in _FAST:  # the hot path: floating tensors of one dtype, or a float scalar
        dt = a._dtype
        if dt.is_floating_point:
            dev = a._device
            if tb:
                if b._device is dev and b._dtype is dt and b._shape == a._shape:
                    k = op._kernels.get(dev.type) or kernel(op, dev)
                    out = _make(k(a._data, b._data), a._shape, dt, dev)
                    if _state.enabled and (
                        a._requires_grad or b._requires_grad or a._base is not None or b._base is not None
                    ):
                        maybe_record(op, (a, b), out)
                    return out
            elif type(b) is float or type(b) is int:
                k = op._kernels.get(dev.type) or kernel(op, dev)
                out = _make(k(a._data, float(b)), a._shape, dt, dev)
                if _state.enabled and (a._requires_grad or a._base is not None and tracked(a)):
                    record(op, (a, b), out)
                return out
    if not ta:
        a = _scalar_operand(a, op.name)
        ta = isinstance(a, Tensor)
    if not tb:
        b = _scalar_operand(b, op.name)
        tb = isinstance(b, Tensor)
    mode = _MODE.get(op.name, _ARITH)
    if ta and tb:
        dev = a._device
        if b._device is not dev:
            raise RuntimeError(
                f"{op.name}: expected both tensors on the same device, got {describe(a)} and {describe(b)}; "
                f"move one with .to(device) (Ember never copies between devices implicitly)"
            )
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
    if mode == _DIV and not dt.is_floating_point:
        dt = _dt.get_default_dtype()
    elif mode == _LOGIC:
        dt = _dt.bool_
    elif mode == _ARITH and dt is _dt.bool_ and op.name in ("sub", "floor_divide", "remainder"):
        raise TypeError(f"{op.name}: not supported on bool tensors ({describe(a)}, {describe(b)}); use logical ops")
    xa = (a._data if a._dtype is dt else cast(a, dt)) if ta else _PY[dt.kind](a)
    xb = (b._data if b._dtype is dt else cast(b, dt)) if tb else _PY[dt.kind](b)
    if dt.kind == "i" and mode == _ARITH and not (ta and tb):  # a weak int wraps into the dtype, as in PyTorch
        xa, xb = (xa if ta else _wrap_int(xa, dt)), (xb if tb else _wrap_int(xb, dt))
    k = op._kernels.get(dev.type) or kernel(op, dev)
    out = _make(k(xa, xb), shape, _dt.bool_ if mode >= _CMP else dt, dev)
    if _state.enabled and op.vjp is not None and out._dtype.is_floating_point:
        if (ta and tracked(a)) or (tb and tracked(b)):
            record(op, (a, b), out)
    return out


def _binary_fn(op: Op) -> Any:
    def fn(input: Any, other: Any) -> Tensor:  # noqa: A002
        return binary(op, input, other)

    fn.__name__ = fn.__qualname__ = op.name
    fn.__doc__ = op.doc
    return fn


def add(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    """input + alpha * other."""
    return binary(ADD, input, other if alpha == 1 else mul(other, alpha))


def sub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    """input - alpha * other."""
    return binary(SUB, input, other if alpha == 1 else mul(other, alpha))


mul = _binary_fn(MUL)
div = _binary_fn(DIV)
true_divide = div
floor_divide = _binary_fn(FLOOR_DIVIDE)
remainder = _binary_fn(REMAINDER)
pow = _binary_fn(POW)  # noqa: A001
maximum = _binary_fn(MAXIMUM)
minimum = _binary_fn(MINIMUM)
eq = _binary_fn(EQ)
ne = _binary_fn(NE)
lt = _binary_fn(LT)
le = _binary_fn(LE)
gt = _binary_fn(GT)
ge = _binary_fn(GE)
logical_and = _binary_fn(LOGICAL_AND)
logical_or = _binary_fn(LOGICAL_OR)
logical_xor = _binary_fn(LOGICAL_XOR)


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


def where(condition: Any, input: Any, other: Any) -> Tensor:  # noqa: A002
    """`input` where `condition` holds, else `other` (broadcast; dtypes promoted)."""
    if not isinstance(condition, Tensor):
        condition = to_tensor(condition, "where")
    if condition._dtype is not _dt.bool_:
        condition = condition != 0
    a = _scalar_operand(input, "where")
    b = _scalar_operand(other, "where")
    tensors = [t for t in (condition, a, b) if isinstance(t, Tensor)]
    dev = condition._device
    for t in tensors:
        if t._device is not dev:
            raise RuntimeError(
                "where: expected all tensors on the same device, got " + ", ".join(describe(t) for t in tensors)
            )
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
    out = _make(kernel(WHERE, dev)(condition._data, xa, xb), shape, dt, dev)
    if _state.enabled and dt.is_floating_point and any(isinstance(x, Tensor) and tracked(x) for x in (a, b)):
        record(WHERE, (condition, a, b), out)
    return out


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
        out = out.to(input._dtype) if input._dtype.is_floating_point else out  # type: ignore[attr-defined]
    return out
