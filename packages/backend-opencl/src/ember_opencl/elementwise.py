"""Elementwise kernels: one strided, broadcasting template per arity, and the op table that fills it.

`launch` writes ``out[idx] = expr(x0, x1, ...)`` for every index of `out`'s shape,
reading each operand through its own strides (0 along broadcast dims), so no
broadcast or transposed operand is ever materialised. Dims that are contiguous
for every operand are merged first, so most launches are 1-D.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ember.dispatch import OPS, _load_all_ops
from ember.dtypes import DType

from . import cltypes
from .clarray import CLArray, empty
from .device import Device

Scalar = bool | int | float

_load_all_ops()  # the op declarations, which the tables below are checked against and read from


def broadcast_strides(a: CLArray, shape: tuple[int, ...]) -> tuple[int, ...]:
    """a's strides for reading it as `shape` (NumPy broadcasting: 0 along new or size-1 dims)."""
    lead = len(shape) - a.ndim
    return (0,) * lead + tuple(0 if n == 1 and m != 1 else s for n, m, s in zip(a.shape, shape[lead:], a.strides))


def collapse(
    shape: tuple[int, ...], strides: Sequence[tuple[int, ...]]
) -> tuple[tuple[int, ...], list[tuple[int, ...]]]:
    """Drop size-1 dims and merge neighbours that are contiguous for every stride set."""
    keep = [k for k, n in enumerate(shape) if n != 1]
    dims = [shape[k] for k in keep]
    sts = [[s[k] for k in keep] for s in strides]
    k = len(dims) - 2
    while k >= 0:
        if all(s[k] == s[k + 1] * dims[k + 1] for s in sts):
            dims[k] *= dims.pop(k + 1)
            for s in sts:
                s[k] = s.pop(k + 1)
        k -= 1
    if not dims:
        return (1,), [(1,) for _ in sts]
    return tuple(dims), [tuple(s) for s in sts]


def _index_code(nd: int, names: list[str], units: list[bool]) -> str:
    """C statements computing `i_<name>` (element offset) for the flat work-item index `gid`."""
    if nd == 1:
        return "".join(
            f"  const long i_{n} = {n}_off + gid{'' if u else f' * {n}_s0'};\n" for n, u in zip(names, units)
        )
    lines = [f"  long i_{n} = {n}_off;\n" for n in names] + ["  long r = gid, c;\n"]
    for k in range(nd - 1, 0, -1):
        lines.append(f"  c = r % d{k}; r /= d{k};\n")
        lines += [f"  i_{n} += c * {n}_s{k};\n" for n in names]
    lines += [f"  i_{n} += r * {n}_s0;\n" for n in names]
    return "".join(lines)


def launch(name: str, expr: str, out: CLArray, operands: Sequence[CLArray | tuple[Scalar, np.dtype]],
           helpers: str = "") -> None:  # fmt: skip
    """out[...] = expr over broadcast operands: CLArrays, or (python scalar, dtype) pairs passed by value.

    In `expr`, operand k is ``x{k}`` (already loaded, in its own C type) and ``T`` is out's C type.
    """
    n = out.size
    if n == 0:
        return
    device = out.device
    arrays = [op for op in operands if isinstance(op, CLArray)]
    dims, strides = collapse(out.shape, [out.strides] + [broadcast_strides(a, out.shape) for a in arrays])
    nd = len(dims)
    units = [nd == 1 and s[0] == 1 for s in strides]
    out_t = cltypes.ctype(out.dtype)
    sig = [
        ("a", cltypes.ctype(op.dtype)) if isinstance(op, CLArray) else ("s", cltypes.ctype(op[1])) for op in operands
    ]
    chunk = chunk_size(device)
    key = ("ew", name, expr, out_t, tuple(sig), nd, tuple(units), chunk)

    def source() -> str:
        params = ["long n"] + ([f"long d{k}" for k in range(1, nd)] if nd > 1 else [])
        names, loads, a = ["o"], [], 0
        params += [f"__global {out_t}* o", "long o_off"] + [f"long o_s{k}" for k in range(nd)]
        for k, (what, t) in enumerate(sig):
            if what == "a":
                nm = f"a{a}"
                a += 1
                names.append(nm)
                params += [f"__global const {t}* {nm}", f"long {nm}_off"] + [f"long {nm}_s{j}" for j in range(nd)]
                loads.append(f"  const {t} x{k} = {nm}[i_{nm}];\n")
            else:
                params.append(f"const {t} x{k}")
        types = [out.dtype] + [op.dtype if isinstance(op, CLArray) else op[1] for op in operands]
        return (
            cltypes.preamble(types)
            + f"#define T {out_t}\n{helpers}\n"
            + f"__kernel void ember_{name}({', '.join(params)}) {{\n"
            + f"  const long first = get_global_id(0) * {chunk}, last = min(first + {chunk}, n);\n"
            + "  for (long gid = first; gid < last; ++gid) {\n"
            + _index_code(nd, names, units)
            + "".join(loads)
            + f"  o[i_o] = (T)({expr});\n  }}\n}}\n"
        )

    scalar_dtypes: list[Any] = [np.int64] * nd + [None, np.int64] + [np.int64] * nd
    args: list[Any] = [n, *dims[1:], out.buffer, out.offset, *strides[0]]
    a = 1
    for op, (what, _) in zip(operands, sig):
        if what == "a":
            assert isinstance(op, CLArray)
            scalar_dtypes += [None, np.int64] + [np.int64] * nd
            args += [op.buffer, op.offset, *strides[a]]
            a += 1
        else:
            value, dt = op  # type: ignore[misc]  # a scalar operand is a (value, dtype) pair
            scalar_dtypes.append(cltypes.ARG_TYPES[np.dtype(dt)])
            args.append(value)
    kernel = device.kernel(key, source, f"ember_{name}", scalar_dtypes)
    run(device, kernel, -(-n // chunk), args)


def chunk_size(device: Device) -> int:
    """Consecutive elements per work-item: many on a CPU (PoCL's per-item cost is high), one on a GPU."""
    return 64 if device.is_cpu else 1


def run(device: Device, kernel: Any, n: int, args: Sequence[Any], local: int = 64) -> None:
    """Enqueue a 1-D kernel over at least `n` work-items (rounded up to whole work-groups)."""
    local = min(local, device.max_work_group_size)
    kernel(device.queue, (-(-n // local) * local,), (local,), *args)


# -- the op table -----------------------------------------------------------------
# The one thing the OpenCL backend says per elementwise op: its C expression. Everything else
# (which ops return bool, the in-place variants) is read off the declarations in ember.dispatch.OPS;
# tests/test_elementwise_tables.py checks that every declared unary/binary op has an expression here.
# name -> {kind: expression}; kinds are "f" (float), "i" (signed), "u" (unsigned), "b" (bool), "*" any.
UNARY: dict[str, dict[str, str]] = {
    "neg": {"*": "-x0"},
    "abs": {"f": "fabs(x0)", "i": "x0 < 0 ? -x0 : x0", "*": "x0"},
    "exp": {"f": "exp(x0)"},
    "log": {"f": "log(x0)"},
    "log2": {"f": "log2(x0)"},
    "log10": {"f": "log10(x0)"},
    "log1p": {"f": "log1p(x0)"},
    "expm1": {"f": "expm1(x0)"},
    "sqrt": {"f": "sqrt(x0)"},
    "rsqrt": {"f": "(T)1 / sqrt(x0)"},
    "sin": {"f": "sin(x0)"},
    "cos": {"f": "cos(x0)"},
    "tan": {"f": "tan(x0)"},
    "asin": {"f": "asin(x0)"},
    "acos": {"f": "acos(x0)"},
    "atan": {"f": "atan(x0)"},
    "sinh": {"f": "sinh(x0)"},
    "cosh": {"f": "cosh(x0)"},
    "asinh": {"f": "asinh(x0)"},
    "acosh": {"f": "acosh(x0)"},
    "atanh": {"f": "atanh(x0)"},
    "tanh": {"f": "tanh(x0)"},
    # as PyTorch and the NumPy backend: exp overflowing to inf gives 0, the lower tail keeps its tiny values
    # (0.5 * tanh(x0 / 2) + 0.5 lost them: 3e-8 at -100)
    "sigmoid": {"f": "(T)1 / ((T)1 + exp(-x0))"},
    "relu": {"b": "x0", "*": "x0 < 0 ? (T)0 : x0"},  # nan stays nan
    "erf": {"f": "erf(x0)"},
    "floor": {"f": "floor(x0)", "*": "x0"},
    "ceil": {"f": "ceil(x0)", "*": "x0"},
    "round": {"f": "rint(x0)", "*": "x0"},  # half to even
    "sign": {"b": "x0", "*": "(T)((x0 > 0) - (x0 < 0))"},  # 0 at nan (both comparisons false), as PyTorch
    "reciprocal": {"f": "(T)1 / x0", "*": "x0 == 0 ? (T)0 : (T)(1 / x0)"},
    "logical_not": {"*": "!x0"},
    "isnan": {"f": "isnan(x0)", "*": "0"},
    "isfinite": {"f": "isfinite(x0)", "*": "1"},
    "trunc": {"f": "trunc(x0)", "*": "x0"},
    "bitwise_not": {"b": "!x0", "*": "~x0"},
    "erfc": {"f": "erfc(x0)"},
    "lgamma": {"f": "lgamma(x0)"},
    "digamma": {"f": "digamma_T(x0)"},
    "erfinv": {"f": "erfinv_T(x0)"},
    "i0": {"f": "bessel_T(x0, 0)"},
    "i1": {"f": "bessel_T(x0, 1)"},
}

BINARY: dict[str, dict[str, str]] = {
    "add": {"b": "x0 | x1", "*": "x0 + x1"},
    "sub": {"*": "x0 - x1"},
    "mul": {"b": "x0 & x1", "*": "x0 * x1"},
    "div": {"f": "x0 / x1", "*": "x1 == 0 ? (T)0 : (T)(x0 / x1)"},
    "floor_divide": {"f": "floordiv_T(x0, x1)", "i": "ifloordiv_T(x0, x1)", "*": "x1 == 0 ? (T)0 : (T)(x0 / x1)"},
    "remainder": {"f": "fremainder_T(x0, x1)", "i": "iremainder_T(x0, x1)", "*": "x1 == 0 ? (T)0 : (T)(x0 % x1)"},
    "pow": {"f": "pow(x0, x1)", "*": "ipow_T(x0, x1)"},
    "maximum": {"f": "(isnan(x0) || x0 > x1) ? x0 : x1", "*": "x0 > x1 ? x0 : x1"},
    "minimum": {"f": "(isnan(x0) || x0 < x1) ? x0 : x1", "*": "x0 < x1 ? x0 : x1"},
    "logical_and": {"*": "(x0 != 0) && (x1 != 0)"},
    "logical_or": {"*": "(x0 != 0) || (x1 != 0)"},
    "logical_xor": {"*": "(x0 != 0) != (x1 != 0)"},
    "eq": {"*": "x0 == x1"},
    "ne": {"*": "x0 != x1"},
    "lt": {"*": "x0 < x1"},
    "le": {"*": "x0 <= x1"},
    "gt": {"*": "x0 > x1"},
    "ge": {"*": "x0 >= x1"},
    "atan2": {"f": "atan2(x0, x1)"},
    # no INT_MIN % -1 trap; x1 == -1 compares the promoted value, so uint8's 255 is no -1
    "fmod": {"f": "fmod(x0, x1)", "*": "(x1 == 0 || x1 == -1) ? (T)0 : (T)(x0 % x1)"},
    "copysign": {"f": "copysign(x0, x1)"},
    "hypot": {"f": "hypot(x0, x1)"},
    "nextafter": {"f": "nextafter(x0, x1)"},
    "bitwise_and": {"*": "x0 & x1"},
    "bitwise_or": {"*": "x0 | x1"},
    "bitwise_xor": {"*": "x0 ^ x1"},
    # shifts by a negative count or by the bit width or more: 0, or the sign (right), as PyTorch
    "bitwise_left_shift": {"*": "(x1 < 0 || x1 >= (T)(8 * sizeof(T))) ? (T)0 : (T)(x0 << x1)"},
    "bitwise_right_shift": {"*": "(x1 < 0 || x1 >= (T)(8 * sizeof(T))) ? (T)(x0 < 0 ? -1 : 0) : (T)(x0 >> x1)"},
    "gcd": {"*": "igcd_T(x0, x1)"},
    "lcm": {"*": "ilcm_T(x0, x1)"},
}
#: the elementwise ops whose result is bool whatever the operands' dtype (dtype rule "bool" or "logical")
BOOL_RESULTS = frozenset(name for name, op in OPS.items() if op.rule in ("bool", "logical"))

# Python's (and NumPy's) floor division and modulo, which C's / and % are not; integer division by
# zero gives 0 as in NumPy (and never traps the host CPU running the kernel).
_HELPERS = {
    "floordiv_T": """
T floordiv_T(T a, T b) {
  if (b == 0) return a / b;
  T mod = fmod(a, b), div = (a - mod) / b;
  if (mod != 0 && ((b < 0) != (mod < 0))) div -= 1;
  if (div == 0) return copysign((T)0, a / b);
  T fl = floor(div);
  return div - fl > (T)0.5 ? fl + 1 : fl;
}""",
    "fremainder_T": """
T fremainder_T(T a, T b) {
  if (b == 0) return fmod(a, b);
  T mod = fmod(a, b);  /* a zero keeps fmod's sign, a's, as PyTorch */
  if (mod != 0 && ((b < 0) != (mod < 0))) mod += b;
  return mod;
}""",
    "ifloordiv_T": """
T ifloordiv_T(T a, T b) {
  if (b == 0) return 0;
  if (b == -1) return -a;
  T q = a / b;
  return (q * b != a && ((a < 0) != (b < 0))) ? q - 1 : q;
}""",
    "iremainder_T": """
T iremainder_T(T a, T b) {
  if (b == 0 || b == -1) return 0;
  T r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}""",
    "igcd_T": """
T igcd_T(T a, T b) {
  a = a < 0 ? -a : a; b = b < 0 ? -b : b;
  while (b != 0) { T t = a % b; a = b; b = t; }
  return a;
}""",
    "ilcm_T": """
T ilcm_T(T a, T b) {
  T g = igcd_T(a, b);
  if (g == 0) return 0;
  if (sizeof(T) < 4) {  /* char and short compute in int, then wrap, as PyTorch's C++ (and the NumPy backend) */
    int w = a / g * b;
    return (T)(w < 0 ? -w : w);
  }
  T r = a / g * b;
  return r < 0 ? -r : r;
}""",
    # psi(x): reflection below 0, the recurrence psi(x) = psi(x + 1) - 1/x up to x >= 10, then the
    # asymptotic series log x - 1/(2x) - sum B_2k / (2k x^2k)
    "digamma_T": """
T digamma_T(T x) {
  if (x == 0) return copysign((T)INFINITY, -x);
  if (x < 0 && x == floor(x)) return (T)NAN;
  T refl = 0, acc = 0;
  if (x < 0) { refl = (T)M_PI / tan((T)M_PI * x); x = 1 - x; }
  while (x < 10) { acc -= 1 / x; x += 1; }
  T z = 1 / (x * x);
  T s = z * ((T)(1.0 / 12) - z * ((T)(1.0 / 120) - z * ((T)(1.0 / 252) - z * ((T)(1.0 / 240)
        - z * ((T)(1.0 / 132) - z * ((T)(691.0 / 32760) - z * (T)(1.0 / 12)))))));
  return log(x) - (T)0.5 / x - s + acc - refl;
}""",
    # Giles' single-precision approximation; in double, four Newton steps after it
    "erfinv_T": """
T erfinv_T(T y) {
  if (fabs(y) > 1) return (T)NAN;
  if (fabs(y) == 1) return copysign((T)INFINITY, y);
  T a = fabs(y);
  T w = a < (T)0.5 ? -log1p(-a * a) : -log(((T)1 - a) * ((T)1 + a)), p;  /* 1 - a exact near 1 */
  if (w < 5) {
    w -= (T)2.5;
    p = (T)2.81022636e-08; p = (T)3.43273939e-07 + p * w; p = (T)-3.5233877e-06 + p * w;
    p = (T)-4.39150654e-06 + p * w; p = (T)0.00021858087 + p * w; p = (T)-0.00125372503 + p * w;
    p = (T)-0.00417768164 + p * w; p = (T)0.246640727 + p * w; p = (T)1.50140941 + p * w;
  } else {
    w = sqrt(w) - 3;
    p = (T)-0.000200214257; p = (T)0.000100950558 + p * w; p = (T)0.00134934322 + p * w;
    p = (T)-0.00367342844 + p * w; p = (T)0.00573950773 + p * w; p = (T)-0.0076224613 + p * w;
    p = (T)0.00943887047 + p * w; p = (T)1.00167406 + p * w; p = (T)2.83297682 + p * w;
  }
  T x = p * a;
  if (sizeof(T) == 8) {
    /* Newton on erf; from 0.5 on log erfc(x) = log(1 - a) instead, which keeps its precision where erf
       saturates and converges where Giles' float approximation is extrapolated (1 - a below 6e-8) */
    T lq = log((T)1 - a);
    for (int k = 0; k < 4; ++k) {
      T d = (T)1.1283791670955126 * exp(-x * x);
      if (a < (T)0.5) {
        x += (a - erf(x)) / d;
      } else {
        T c = erfc(x);
        x += (log(c) - lq) * c / d;
      }
    }
  }
  return copysign(x, y);
}""",
    # I0 and I1 (nan at +-inf, as PyTorch) by their power series sum (x/2)^(2k+n) / (k! (k+n)!): positive terms, summed until
    # they no longer change the sum (about |x|/2 + 10 sqrt|x| terms)
    "bessel_T": """
T bessel_T(T x, int order) {
  if (isnan(x)) return x;
  if (isinf(x)) return (T)NAN;  /* as PyTorch */
  T q = x * x / 4, t = order == 0 ? (T)1 : x / 2, s = t;
  for (int k = 1; k < 100000; ++k) {
    t *= q / ((T)k * (T)(k + order));
    T next = s + t;
    if (next == s) break;
    s = next;
  }
  return s;
}""",
    "ipow_T": """
T ipow_T(T a, T b) {
  if (b < 0) return a == 1 ? 1 : (a == (T)-1 ? ((b & 1) ? (T)-1 : 1) : 0);
  T r = 1;
  while (b) { if (b & 1) r *= a; a *= a; b >>= 1; }
  return r;
}""",
}


def expression(table: dict[str, dict[str, str]], name: str, dtype: np.dtype) -> tuple[str, str]:
    """(expression, helper source) for op `name` on operands of `dtype`."""
    variants = table[name]
    k = dtype.kind
    expr = variants.get(k) or variants.get("*")
    if expr is None:
        raise TypeError(f"{name}: the OpenCL backend has no kernel for dtype {dtype}")
    return expr, _helpers_for(expr)


@functools.cache
def _helpers_for(expr: str) -> str:
    """The helper functions `expr` calls, and those they call, callees first (looked up once per expression)."""
    found = [h for h in _HELPERS if re.search(rf"\b{h}\(", expr)]
    callees = [c for h in found for c in _HELPERS if c not in found and re.search(rf"\b{c}\(", _HELPERS[h])]
    return "".join(_HELPERS[h] for h in dict.fromkeys(callees + found))


def _dtype_of(x: Any) -> np.dtype | None:
    return x.dtype if isinstance(x, CLArray) else None


def _result_shape(*xs: Any) -> tuple[int, ...]:
    return tuple(np.broadcast_shapes(*(x.shape for x in xs if isinstance(x, CLArray))))


def _device_of(*xs: Any) -> Device:
    return next(x.device for x in xs if isinstance(x, CLArray))


def _operands(xs: Sequence[Any], dtype: np.dtype) -> list[CLArray | tuple[Scalar, np.dtype]]:
    return [x if isinstance(x, CLArray) else (x, dtype) for x in xs]


def _unary(name: str) -> Callable[[CLArray], CLArray]:
    out_bool = name in BOOL_RESULTS

    def kernel(x: CLArray) -> CLArray:
        expr, helpers = expression(UNARY, name, x.dtype)
        out = empty(x.device, x.shape, np.bool_ if out_bool else x.dtype)
        launch(name, expr, out, [x], helpers)
        return out

    kernel.__name__ = name
    return kernel


def _binary(name: str) -> Callable[[Any, Any], CLArray]:
    out_bool = name in BOOL_RESULTS

    def kernel(a: Any, b: Any) -> CLArray:
        dtype = _dtype_of(a) or _dtype_of(b)
        assert dtype is not None
        expr, helpers = expression(BINARY, name, dtype)
        out = empty(_device_of(a, b), _result_shape(a, b), np.bool_ if out_bool else dtype)
        launch(name, expr, out, _operands((a, b), dtype), helpers)
        return out

    kernel.__name__ = name
    return kernel


def _inplace(name: str) -> Callable[[CLArray, Any], None]:
    """x op= y, written through x's view."""

    def kernel(x: CLArray, y: Any) -> None:
        expr, helpers = expression(BINARY, name, x.dtype)
        launch(name, expr, x, [x, y if isinstance(y, CLArray) else (y, x.dtype)], helpers)

    kernel.__name__ = name + "_"
    return kernel


def where(cond: CLArray, a: Any, b: Any) -> CLArray:
    dtype = _dtype_of(a) or _dtype_of(b)
    if dtype is None:  # two scalars of the result dtype
        dtype = np.dtype(np.float64 if isinstance(a, float) or isinstance(b, float) else type(a))
    out = empty(cond.device, _result_shape(cond, a, b), dtype)
    launch("where", "x0 ? x1 : x2", out, [cond, *_operands((a, b), dtype)])
    return out


def astype(x: CLArray, dtype: DType) -> CLArray:
    target = np.dtype(dtype.numpy)
    if target not in cltypes.CTYPES:
        raise TypeError(f"astype: the OpenCL backend has no {target} (OpenCL devices here have no such type)")
    out = empty(x.device, x.shape, target)
    launch("astype", "x0 != 0" if target == np.bool_ else "x0", out, [x])
    return out


def copy(x: CLArray) -> CLArray:
    out = empty(x.device, x.shape, x.dtype)
    launch("copy", "x0", out, [x])
    return out


def _as_scalar(value: Any, dtype: np.dtype) -> Any:
    """A Python scalar as `dtype` (2.7 -> 2 for an integer, 0.0 -> False for bool, as NumPy casts), in the
    kernel argument's type: PyOpenCL refuses a float for an integer argument and any Python bool."""
    return np.asarray(value).astype(dtype).astype(cltypes.ARG_TYPES[np.dtype(dtype)])[()]  # bool travels as uchar


def copy_(dst: CLArray, src: Any) -> None:
    launch("copy", "x0", dst, [src if isinstance(src, CLArray) else (_as_scalar(src, dst.dtype), dst.dtype)])


def full(shape: tuple[int, ...], value: Any, dtype: DType, index: int) -> CLArray:
    from .device import get

    out = empty(get(index), tuple(shape), dtype.numpy)
    launch("fill", "x0", out, [(_as_scalar(value, out.dtype), out.dtype)])
    return out


def arange(start: Any, end: Any, step: Any, dtype: DType, index: int) -> CLArray:
    from .device import get

    device = get(index)
    if any(isinstance(v, float) for v in (start, end, step)):  # NumPy: start + i * step in float64, then cast
        n = max(0, math.ceil((end - start) / step))
        wide = np.dtype(np.float64 if device.fp64 else np.float32)
    else:
        n = max(0, -((start - end) // step))
        wide = np.dtype(np.int64)
    out = empty(device, (n,), dtype.numpy)
    launch("arange", f"x0 + x1 * ({cltypes.ctype(wide)})i_o", out, [(start, wide), (step, wide)])
    return out


KERNELS: dict[str, Callable[..., Any]] = {name: _unary(name) for name in UNARY}
KERNELS.update({name: _binary(name) for name in BINARY})
KERNELS.update(where=where, astype=astype, copy=copy, copy_=copy_, full=full, arange=arange)
for _op in OPS.values():  # the in-place variants (add_, ...): each one declared whose op has an expression
    if _op.variant is not None and _op.name in BINARY:
        KERNELS[_op.variant.name] = _inplace(_op.name)
