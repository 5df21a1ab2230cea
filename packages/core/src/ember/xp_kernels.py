"""Kernels for every primitive, generic over a NumPy-compatible array module.

`kernel_table(xp)` builds the kernel table from `xp`'s NumPy-style API, for
NumPy (`ember-backend-numpy`) and CuPy (`ember-backend-cupy`) alike, so the two
backends share one implementation of each contract in docs/primitives.md.

Most elementwise kernels are not written here at all: an op that names its
array-API function (`Op.xp`, e.g. ``"log1p"``) gets that function of `xp`
(`elementwise_kernels`), and its in-place variant (``add_``) gets the same
function with ``out=`` (`inplace_kernels`). A new such op needs no line here.
The rest are hand-written below, one section per family, keyed by op name in
`kernel_table`; each is a module-level function that takes the array module
(and, where it matters, its `Caps`) as its first arguments.

Where NumPy and CuPy differ, the code branches on a capability (`Caps`), never
on copies of functions:

- NumPy turns 0-d results into scalars (wrapped back into arrays); CuPy always returns arrays.
- NumPy raises IndexError for out-of-range indices; CuPy wraps them silently, so
  its `index`/`index_put` check bounds first (one device sync each).
- Zero-stride views and strided windows are built with each module's own constructor.
- NumPy's ufunc.reduce with positional arguments is the cheapest reduction call;
  CuPy uses its reduction functions.

Backends add what is their own on top: `erf`, `erfc`, `erfinv` and `lgamma` (special
functions outside the NumPy API), NumPy's host fast paths, CuPy's fused and raw CUDA kernels.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import re
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy

from .dtypes import DType
from .random import philox4x32

if TYPE_CHECKING:
    from .dispatch import Op

__all__ = [
    "Caps", "Kernel", "caps_of", "kernel_table", "conv_out", "array_out",
    "xp_function", "elementwise_kernels", "inplace_kernels", "scalar_result_ops",
]  # fmt: skip

Kernel = Callable[..., Any]

# PyTorch computes inf and nan silently; NumPy warns. np.errstate costs more than a small
# kernel, so instead ignore NumPy's floating-point warnings where Ember's code calls NumPy.
warnings.filterwarnings(
    "ignore",
    message=r"(invalid value|divide by zero|overflow|underflow) encountered",
    category=RuntimeWarning,
    module=r"ember(_numpy|_cupy)?(\.|$)",
)


@dataclass(frozen=True)
class Caps:
    """What differs between array modules, decided once per module."""

    #: ufuncs return NumPy scalars for 0-d results (and `ufunc.reduce` takes positional arguments)
    scalar_results: bool
    #: advanced indexing raises IndexError by itself for out-of-range indices
    checks_bounds: bool
    #: `as_strided` accepts `writeable=`
    strided_writeable_arg: bool
    #: `ndarray(shape, dtype, buffer, offset, strides)` takes an array as buffer (NumPy); else
    #: `ndarray(shape, dtype, memptr, strides)` takes the array's memory pointer `x.data` (CuPy)
    buffer_is_array: bool
    #: a context manager that silences floating-point warnings, or None when the module never warns
    errstate: Callable[..., Any] | None


def caps_of(xp: ModuleType) -> Caps:
    """The capabilities of a NumPy-compatible array module (NumPy itself, or one like CuPy)."""
    host = isinstance(xp.add, numpy.ufunc)
    return Caps(
        scalar_results=host,
        checks_bounds=host,
        strided_writeable_arg=host,
        buffer_is_array=host,
        errstate=getattr(xp, "errstate", None),
    )


def conv_out(hw: tuple[int, ...], kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int],
             dilation: tuple[int, int], ceil_mode: bool = False) -> tuple[int, int]:  # fmt: skip
    """The (OH, OW) of a convolution or pooling window over an (H, W) input."""
    from .ops.convolution import conv_out_size

    return (
        conv_out_size(hw[0], kernel[0], stride[0], padding[0], dilation[0], ceil_mode),
        conv_out_size(hw[1], kernel[1], stride[1], padding[1], dilation[1], ceil_mode),
    )


def array_out(fn: Kernel, ndarray: type, asarray: Callable[[Any], Any]) -> Kernel:
    """NumPy turns 0-d results into scalars; Ember's kernels return arrays (writable, viewable)."""

    def kernel(*args: Any) -> Any:
        out = fn(*args)
        return out if type(out) is ndarray else asarray(out)

    kernel.__name__ = getattr(fn, "__name__", "kernel")
    kernel.__wrapped__ = fn  # type: ignore[attr-defined]  # ember.compile calls a ufunc directly, with out=
    return kernel


def _bind(fn: Callable[..., Any], *first: Any) -> Kernel:
    """`fn` with its leading arguments (the array module, its Caps, ...) bound: a kernel."""
    kernel = functools.partial(fn, *first)
    kernel.__name__ = fn.__name__  # type: ignore[attr-defined]  # a partial takes attributes; its stub does not say so
    return kernel


def _quiet(caps: Caps) -> Any:
    """A context that silences the module's floating-point warnings (where it has any)."""
    return caps.errstate(all="ignore") if caps.errstate is not None else contextlib.nullcontext()


# --------------------------------------------------------------------------- derived from OPS

#: Array-API names that NumPy 1 and CuPy spell differently (NumPy 2 has both): a rule of the
#: standard's naming, not a list of Ember ops. The inverse trigonometric and hyperbolic functions
#: (acos, asinh, atan2, ...) follow the rule in `xp_function` instead: "a..." is "arc...".
_NUMPY1_SPELLING = {
    "pow": "power",
    "bitwise_invert": "invert",
    "bitwise_left_shift": "left_shift",
    "bitwise_right_shift": "right_shift",
    "concat": "concatenate",
    "permute_dims": "transpose",
}
_INVERSE_TRIG = re.compile(r"^a(?=(?:sin|cos|tan)h?2?$)")


def xp_function(xp: Any, name: str) -> Callable[..., Any] | None:
    """`xp`'s function `name` (an array-API name), or its NumPy 1 / CuPy spelling; None when it has neither."""
    fn = getattr(xp, name, None)
    if fn is None:
        old = _NUMPY1_SPELLING.get(name) or _INVERSE_TRIG.sub("arc", name, count=1)
        if old != name:
            fn = getattr(xp, old, None)
    return fn


def _ops() -> dict[str, Op]:
    from .dispatch import OPS, _load_all_ops

    _load_all_ops()  # the op declarations (ember.ops), before anything is derived from them
    return OPS


def elementwise_kernels(xp: Any, wrap: Callable[[Op, Callable[..., Any]], Kernel] | None = None) -> dict[str, Kernel]:
    """A kernel for every op that names its array-API function (`Op.xp`): that function of `xp`.

    `wrap(op, fn)`, when given, makes the kernel out of the function (e.g. where the module's
    functions want arrays, not Python scalars). An op whose function `xp` lacks is left out
    (it falls back to the host, and the conformance kit names it).
    """
    table: dict[str, Kernel] = {}
    for name, op in _ops().items():
        fn = xp_function(xp, op.xp) if op.xp is not None else None
        if fn is not None:
            table[name] = fn if wrap is None else wrap(op, fn)
    return table


def _inplace(ufunc: Callable[..., Any], name: str) -> Kernel:
    def kernel(x: Any, y: Any) -> None:
        ufunc(x, y, out=x)

    kernel.__name__ = name
    kernel.__wrapped__ = ufunc  # type: ignore[attr-defined]  # ember.compile calls it directly
    return kernel


def inplace_kernels(xp: Any) -> dict[str, Kernel]:
    """``x op= y`` for every in-place variant (`Op.variant`, named ``<op>_``) whose op names its
    array-API function: ``fn(x, y, out=x)`` (NumPy's and CuPy's ufuncs take ``out=``)."""
    table: dict[str, Kernel] = {}
    for op in _ops().values():
        variant = op.variant
        fn = xp_function(xp, op.xp) if variant is not None and op.xp is not None else None
        if variant is not None and fn is not None:
            table[variant.name] = _inplace(fn, variant.name)
    return table


def scalar_result_ops() -> frozenset[str]:
    """The primitives whose NumPy kernels may return a NumPy scalar for a 0-d result: every
    elementwise op with a dtype rule (ufuncs, and the kernels written with them; `where` returns
    arrays) and the single-result linalg primitives (matmul, a ufunc: 1-D @ 1-D is 0-d; the
    decompositions, declared ``-> (...)``, return tuples of arrays themselves)."""
    return frozenset(
        name for name, op in _ops().items()
        if op.kind == "primitive"
        and (op.rule is not None or op.family == "linalg" and "-> (" not in op.signature)
    )  # fmt: skip


# --------------------------------------------------------------------------- creation


def full(xp: Any, shape: tuple[int, ...], value: Any, dtype: DType, index: int) -> Any:
    out = xp.empty(shape, dtype=dtype.numpy)
    out.fill(value)
    return out


def arange(xp: Any, start: Any, end: Any, step: Any, dtype: DType, index: int) -> Any:
    return xp.arange(start, end, step).astype(dtype.numpy, copy=False)


def astype(caps: Caps, x: Any, dtype: DType) -> Any:
    if x.dtype.kind == "c" and dtype.kind != "c":  # complex to real keeps the real part (as PyTorch), unwarned
        x = x.real
    with _quiet(caps):
        return x.astype(dtype.numpy)


def copy(xp: Any, x: Any) -> Any:
    return xp.array(x, order="C", copy=True)


def copy_(xp: Any, dst: Any, src: Any) -> None:
    xp.copyto(dst, src, casting="unsafe")


# --------------------------------------------------------------------------- elementwise (hand-written)
# The ops with no single array-API function that meets the contract; the others come from OPS.


def sigmoid(xp: Any, x: Any) -> Any:
    # 1 / (1 + exp(-x)), as PyTorch: exp overflowing to inf gives 0, and the lower tail keeps its tiny values
    # (0.5 * tanh(x / 2) + 0.5 lost them: 0 below -17). float16/bfloat16 compute in float32, as PyTorch's opmath.
    if x.dtype.itemsize < 4:
        return sigmoid(xp, x.astype(numpy.float32)).astype(x.dtype)
    e = xp.exp(-x)
    e += 1
    return xp.divide(1, e, out=e) if e.ndim else 1 / e


def remainder(xp: Any, a: Any, b: Any) -> Any:
    # a zero result keeps the sign of fmod(a, b), that is of a, as PyTorch's (NumPy's takes b's: 2 % -1 is -0.0)
    out = xp.remainder(a, b)
    if _floating(out.dtype):
        out = xp.where(out == 0, xp.copysign(out, a), out)
    return out


def relu(xp: Any, x: Any) -> Any:
    return xp.maximum(x, 0) if x.dtype != numpy.bool_ else x.copy()


def rsqrt(xp: Any, x: Any) -> Any:
    return xp.reciprocal(xp.sqrt(x))


def sign(xp: Any, x: Any) -> Any:
    if x.dtype == numpy.bool_:
        return x.copy()
    out = xp.sign(x)
    if _floating(x.dtype):  # 0 at nan, as PyTorch; ml_dtypes' bfloat16 sign keeps -0.0, the contract says 0.0
        out = xp.where(xp.isnan(out) if x.dtype.kind == "f" else (out == 0) | xp.isnan(out), xp.zeros((), x.dtype), out)
    return out


def abs_(xp: Any, x: Any) -> Any:
    return xp.abs(x) if x.dtype != numpy.bool_ else x.copy()


def _same_if_int(fn: Kernel) -> Kernel:
    """floor, ceil, round: integers (and bools) come back unchanged, in their own dtype."""

    def kernel(x: Any) -> Any:
        return x.copy() if x.dtype.kind in "biu" else fn(x)

    kernel.__name__ = fn.__name__
    return kernel


def _shift(xp: Any, left: bool) -> Kernel:
    """bitwise_left_shift / bitwise_right_shift: shifts by a negative count or by the bit width or more
    give 0 (left), or -1 for negative and 0 for other values (right), as PyTorch (C leaves them undefined)."""

    def kernel(a: Any, b: Any) -> Any:
        dt = (a if isinstance(a, xp.ndarray) else b).dtype
        a, b = xp.asarray(a, dtype=dt), xp.asarray(b, dtype=dt)
        ok = (b >= 0) & (b < dt.itemsize * 8)
        count = xp.where(ok, b, 0).astype(dt, copy=False)
        if left:
            out = xp.where(ok, xp.left_shift(a, count), 0)
        else:
            out = xp.where(ok, xp.right_shift(a, count), xp.where(a < 0, -1, 0))
        return out.astype(dt, copy=False)

    kernel.__name__ = "bitwise_left_shift" if left else "bitwise_right_shift"
    return kernel


def where(xp: Any, cond: Any, a: Any, b: Any) -> Any:
    out = xp.where(cond, a, b)
    ndarray = xp.ndarray
    dt = a.dtype if isinstance(a, ndarray) else (b.dtype if isinstance(b, ndarray) else None)
    return out.astype(dt, copy=False) if dt is not None else out


#: the float dtypes whose selections can be made on their bits, and the integer dtype of their width
FLOAT_BITS = {numpy.dtype(numpy.float32): numpy.int32, numpy.dtype(numpy.float64): numpy.int64}


def where_zero_bits(xp: Any, cond: Any, a: Any, mask: Any = None, out: Any = None) -> Any:
    """``where(cond, a, +0.0)`` (e.g. ReLU's gradient) for a bool `cond` and a float32/64 `a` of its shape,
    branch-free on the bits (xp.where is slow on random masks): the bool bytes negated into 0 / -1 (all bits
    set), widened to a's width inside the `and` (sign-extended), one pass over the wide data. `mask` (int8)
    and `out` (a's dtype), where given, are buffers for the two steps; the result is `out`'s bits."""
    bits = FLOAT_BITS[a.dtype]
    mask = xp.negative(cond.view(xp.int8), mask)  # out= by position: ufuncs parse it faster
    return xp.bitwise_and(mask, a.view(bits), None if out is None else out.view(bits), dtype=bits)


# --------------------------------------------------------------------------- special functions
# Computed in float64 (NumPy and CuPy both have it) and returned in x's dtype.

#: B_2j / (2j) for j = 1..7: the asymptotic series of digamma, accurate to float64 for x >= 10
_DIGAMMA_ASYMPTOTIC = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12)


def digamma(xp: Any, caps: Caps, x: Any) -> Any:
    with _quiet(caps):
        z = x.astype(numpy.float64)
        neg = z < 0
        w = xp.where(neg, 1 - z, z)  # reflection: psi(z) = psi(1 - z) - pi / tan(pi z)
        acc = xp.zeros_like(w)
        for _ in range(10):  # psi(w) = psi(w + 1) - 1 / w, until w >= 10
            small = w < 10
            acc -= xp.where(small, 1 / w, 0)
            w = xp.where(small, w + 1, w)
        inv2 = 1 / (w * w)
        series = xp.zeros_like(w)
        for c in reversed(_DIGAMMA_ASYMPTOTIC):
            series = (series + c) * inv2
        out = xp.log(w) - 0.5 / w - series + acc
        out = xp.where(neg, out - numpy.pi / xp.tan(numpy.pi * z), out)
        out = xp.where(neg & (z == xp.floor(z)), numpy.nan, out)  # the poles, and -inf
        out = xp.where(z == 0, xp.copysign(numpy.inf, -z), out)  # -inf at +0, +inf at -0
        return out.astype(x.dtype, copy=False)


def pow_(xp: Any, a: Any, b: Any) -> Any:
    """a ** b in the operands' dtype. bool ** bool is bool (a or not b; NumPy would give int8). An integer
    to a negative integer power is what PyTorch gives: 1 for 1, +-1 for -1, 0 otherwise (NumPy raises)."""
    kind = (a if hasattr(a, "dtype") else b).dtype.kind
    if kind == "b":
        return xp.logical_or(a, xp.logical_not(b))
    if kind not in "iu" or not hasattr(b, "dtype") or kind == "u":  # a Python exponent: core refused a negative one
        return xp.power(a, b)
    neg = b < 0
    out = xp.power(a, xp.where(neg, 0, b).astype(b.dtype, copy=False))
    inverse = xp.where(a == 1, 1, xp.where(a == -1, xp.where(b % 2 == 0, 1, -1), 0))
    return xp.where(neg, inverse, out).astype(out.dtype, copy=False)


def i0(xp: Any, caps: Caps, x: Any) -> Any:
    with _quiet(caps):  # nan at +-inf, as PyTorch
        return xp.where(xp.isinf(x), numpy.nan, xp.i0(x)).astype(x.dtype, copy=False)


#: i1(x) ~ e**x / sqrt(2 pi x) passes float64's largest value a little below this
_I1_OVERFLOW = 715.0


def i1(xp: Any, caps: Caps, x: Any) -> Any:
    """The power series sum_k (x/2)**(2k+1) / (k! (k+1)!): positive terms, so it loses nothing; the
    number of terms follows from the largest finite |x| (the terms peak near k = |x| / 2)."""
    with _quiet(caps):
        z = x.astype(numpy.float64)
        a = xp.abs(z)
        finite = a[a <= _I1_OVERFLOW]  # beyond it the result is +-inf: never sum 10**38 terms
        top = float(finite.max()) if finite.size else 0.0
        terms = int(0.5 * top + 10 * math.sqrt(top) + 30)
        q = z * z / 4
        t = z / 2
        out = t.copy()
        for k in range(1, terms):
            t = t * (q / (k * (k + 1)))
            out += t
        out = xp.where(a > _I1_OVERFLOW, xp.copysign(numpy.inf, z), out) + 0.0  # + 0.0: i1(-0.0) is 0.0, as PyTorch
        return xp.where(xp.isinf(z), numpy.nan, out).astype(x.dtype, copy=False)  # nan at +-inf, as PyTorch


# --------------------------------------------------------------------------- reductions


def wider_accumulator(dtype: Any) -> Any:
    """The dtype PyTorch accumulates float16/bfloat16 sums in (float32), else None."""
    return numpy.float32 if dtype.itemsize == 2 and _floating(dtype) else None


def _reduction(xp: Any, caps: Caps, ufunc: Any, fn: Kernel) -> Kernel:
    """sum, prod, amax, ...: `ufunc.reduce` on NumPy (positional arguments: the cheapest call), `fn` elsewhere.
    Sums of float16/bfloat16 accumulate in float32 (as PyTorch's), rounded once at the end."""
    ndarray = xp.ndarray
    arithmetic = ufunc is xp.add
    if caps.scalar_results:
        red = ufunc.reduce

        def kernel(x: Any, axes: tuple[int, ...], keepdim: bool) -> Any:
            if arithmetic and wider_accumulator(x.dtype) is not None:
                return xp.asarray(red(x, axes, numpy.float32, None, keepdim)).astype(x.dtype)
            # dtype=x.dtype: NumPy's add/multiply.reduce widen int8..int32 to int64; the contract keeps x's dtype
            if keepdim or len(axes) < x.ndim:
                out = red(x, axes, x.dtype, None, keepdim)
            else:  # a full reduction: keepdims then reshape gives a 0-d array, not a NumPy scalar
                out = red(x, axes, x.dtype, None, True).reshape(())
            return out if type(out) is ndarray else xp.asarray(out, dtype=x.dtype)
    else:

        def kernel(x: Any, axes: tuple[int, ...], keepdim: bool) -> Any:
            if not axes:  # the identity of shape, in new memory
                return x.copy()
            if arithmetic and wider_accumulator(x.dtype) is not None:
                return fn(x, axis=axes, keepdims=keepdim, dtype=numpy.float32).astype(x.dtype)
            out = fn(x, axis=axes, keepdims=keepdim)
            return out if out.dtype == x.dtype else out.astype(x.dtype)  # sum/prod widen small integers

    kernel.__name__ = fn.__name__
    kernel.ufunc = ufunc if caps.scalar_results else None  # type: ignore[attr-defined]  # ember.compile calls ufunc.reduce itself
    return kernel


def _arg_reduction(xp: Any, fn: Kernel) -> Kernel:
    """argmax, argmin: int64 indices."""

    def kernel(x: Any, axis: int | None, keepdim: bool) -> Any:
        return xp.asarray(fn(x, axis=axis, keepdims=keepdim), dtype=xp.int64)

    kernel.__name__ = fn.__name__
    return kernel


def _scan_accumulator(dtype: Any) -> Any:
    """float32 for float16/bfloat16 scans, as PyTorch's (x's dtype otherwise, as on its GPUs: its CPU scans
    of float32 accumulate in float64)."""
    return wider_accumulator(dtype) or dtype


def cumsum(xp: Any, x: Any, axis: int) -> Any:
    return xp.cumsum(x, axis=axis, dtype=_scan_accumulator(x.dtype)).astype(x.dtype, copy=False)


def cumprod(xp: Any, x: Any, axis: int) -> Any:
    return xp.cumprod(x, axis=axis, dtype=_scan_accumulator(x.dtype)).astype(x.dtype, copy=False)


def _accumulates(xp: Any) -> bool:
    """Whether the module's maximum/minimum/logaddexp ufuncs have a working `accumulate` (NumPy's do)."""
    try:
        z = xp.logaddexp.accumulate(xp.zeros(2), axis=0)
        return xp.minimum.accumulate(xp.maximum.accumulate(z, axis=0), axis=0).shape == (2,)
    except Exception:  # any failure means "no"
        return False


def logcumsumexp(xp: Any, caps: Caps, x: Any, axis: int) -> Any:
    acc = wider_accumulator(x.dtype) or x.dtype  # float16/bfloat16 run in float32, as PyTorch's
    with _quiet(caps):
        return xp.logaddexp.accumulate(x.astype(acc, copy=False), axis=axis, dtype=acc).astype(x.dtype, copy=False)


def _floating(dtype: Any) -> bool:
    """Whether a native dtype is floating, bfloat16 included (ml_dtypes gives it NumPy's kind "V")."""
    return dtype.kind == "f" or getattr(dtype, "name", "") == "bfloat16"


def cumext_indices(xp: Any, x: Any, axis: int, largest: bool) -> Any:
    """The running extreme's index: the last position so far that holds the running extreme (or a nan)."""
    run = (xp.maximum if largest else xp.minimum).accumulate(x, axis=axis)
    shape = tuple(n if d == axis else 1 for d, n in enumerate(x.shape))
    at = xp.arange(x.shape[axis], dtype=xp.int64).reshape(shape)
    hit = x == run
    if _floating(x.dtype):
        hit |= xp.isnan(x)
    return xp.maximum.accumulate(xp.where(hit, at, 0), axis=axis)


def logsumexp(xp: Any, caps: Caps, x: Any, axes: tuple[int, ...], keepdim: bool) -> Any:
    with _quiet(caps):
        m = xp.max(x, axis=axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        out = xp.log(xp.sum(xp.exp(x - m), axis=axes, keepdims=True)) + m
    return out if keepdim else xp.squeeze(out, axis=axes)


# --------------------------------------------------------------------------- activation


def _max_keepdims(xp: Any, x: Any, axis: int) -> Any:
    """`x.max(axis, keepdims=True)`. NumPy reduces each short row of a matrix in its own inner loop
    (~5 us for 64 rows of 10 classes); the columns of the transposed copy reduce in one (~1 us), and a
    maximum is exact, so the values are the same."""
    if xp.__name__ == "numpy" and x.ndim == 2 and axis in (1, -1) and x.shape[1] <= 32 and x.shape[0] >= 16:
        return xp.ascontiguousarray(x.T).max(axis=0)[:, None]
    return x.max(axis=axis, keepdims=True)


def softmax(xp: Any, x: Any, axis: int) -> Any:
    e = x - _max_keepdims(xp, x, axis)
    xp.exp(e, out=e)
    e /= e.sum(axis=axis, keepdims=True)
    return e


def log_softmax(xp: Any, caps: Caps, x: Any, axis: int) -> Any:
    m = _max_keepdims(xp, x, axis)
    with _quiet(caps):
        m = xp.where(xp.isfinite(m), m, 0)
        s = x - m
        return s - xp.log(xp.exp(s).sum(axis=axis, keepdims=True))


def softmax_cross_entropy(xp: Any, caps: Caps, x: Any, target: Any) -> tuple[Any, Any]:
    """log_softmax, the picked log-probabilities' sum, / N, negated: the decomposition's ops in one call."""
    logp = log_softmax(xp, caps, x, 1)
    rows = xp.arange(x.shape[0])[:, None]  # take_along_axis(logp, target[:, None], 1), without its Python work
    total = logp[rows, target[:, None]].sum(keepdims=True).reshape(())  # a 0-d array of its own: written in place
    xp.divide(total, float(x.shape[0]), out=total)
    return xp.negative(total, out=total), logp


def softmax_cross_entropy_grad(xp: Any, logp: Any, target: Any, g: Any) -> Any:
    """P - exp(logp) * P.sum(1) with P the one-hot rows times s = -g / N: the decomposition's ops in one
    call (P.sum(1) is s itself: one nonzero per row)."""
    rows = logp.shape[0]
    s = xp.divide(xp.negative(g), float(rows))
    picked = xp.zeros_like(logp)
    picked[xp.arange(rows), target] += s  # 0 + s, as the decomposition's scatter_add
    e = xp.exp(logp)
    e *= s
    return xp.subtract(picked, e, out=picked)


# --------------------------------------------------------------------------- movement


def view(x: Any, shape: tuple[int, ...]) -> Any:
    out = x.reshape(shape)
    base = x if x.base is None else x.base
    if out.base is not base and out.size:  # the module had to copy: not a view of x
        raise ValueError(f"cannot view an array of shape {x.shape} and strides {x.strides} as shape {shape}")
    return out


def expand(xp: Any, caps: Caps, x: Any, shape: tuple[int, ...]) -> Any:
    # A zero-stride view, built directly (broadcast_to costs several times more). Core refuses
    # in-place writes into expanded tensors, so the view need not be marked read-only.
    if x.flags.c_contiguous:
        if x.ndim == 0:
            strides: tuple[int, ...] = (0,) * len(shape)
        else:
            lead = len(shape) - x.ndim
            strides = (0,) * lead + tuple(
                0 if o == 1 and n != 1 else st for o, n, st in zip(x.shape, shape[lead:], x.strides)
            )
        if caps.buffer_is_array:
            return xp.ndarray(shape, x.dtype, x, 0, strides)
        return xp.ndarray(shape, x.dtype, x.data, strides)
    return xp.broadcast_to(x, shape)


def cat(xp: Any, xs: list[Any], axis: int) -> Any:
    return xp.concatenate(xs, axis=axis)


def flip(xp: Any, x: Any, axes: tuple[int, ...]) -> Any:
    return xp.flip(x, axes).copy()


# --------------------------------------------------------------------------- indexing


def _key_dims(ndim: int, key: tuple[Any, ...]) -> Iterator[tuple[int, Any]]:
    """(dimension, item) for each item of an indexing key that consumes a dimension."""
    consuming = sum(1 for k in key if k is not None and k is not Ellipsis)
    d = 0
    for k in key:
        if k is None:
            continue
        if k is Ellipsis:
            d += ndim - consuming
            continue
        yield d, k
        d += 1


class IndexOutOfRangeError(IndexError, RuntimeError):
    """An index past its dimension: an IndexError, as PyTorch raises for `x[i]`, and a RuntimeError, as it
    raises for gather, scatter, index_select and the other ops that take an index tensor."""


def index_error(op: str, value: int, dim: int, size: int, negative: bool = True) -> IndexError:
    """The one out-of-range message every backend gives (NumPy, CuPy, OpenCL): the op, the value, the dim,
    its size and the valid range (negative indices count from the end where `negative`)."""
    return IndexOutOfRangeError(
        f"{op}: index {value} is out of range for dimension {dim} with size {size} "
        f"(indices must be in [{-size if negative else 0}, {size}))"
    )


_NUMPY_INDEX_ERROR = re.compile(r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)")


def _reraise_index_error(exc: IndexError, op: str) -> IndexError:
    """NumPy's own out-of-bounds message ("for axis 0") in Ember's format; other IndexErrors unchanged."""
    m = _NUMPY_INDEX_ERROR.search(str(exc))
    return index_error(op, int(m[1]), int(m[2]), int(m[3])) if m else exc


def _check_key(xp: Any, op: str, x: Any, key: tuple[Any, ...]) -> None:
    """Raise IndexError as NumPy would, for a module whose indexing wraps silently."""
    for d, k in _key_dims(x.ndim, key):
        n = x.shape[d] if d < x.ndim else 0
        if isinstance(k, xp.ndarray):
            if k.dtype.kind in "iu" and k.size:
                bad = (k < -n) | (k >= n)
                if bool(bad.any()):
                    raise index_error(op, int(k[bad].reshape(-1)[0]), d, n)
        elif isinstance(k, (int, numpy.integer)) and not -n <= int(k) < n:
            raise index_error(op, int(k), d, n)


def _check_axis_index(op: str, x: Any, axis: int, idx: Any) -> None:
    n = x.shape[axis]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise index_error(op, int(idx[(idx < 0) | (idx >= n)].reshape(-1)[0]), axis, n, negative=False)


def slice_(xp: Any, x: Any, key: tuple[Any, ...]) -> Any:
    out = x[key]
    return out if isinstance(out, xp.ndarray) else x[key + (Ellipsis,)]


def index(xp: Any, caps: Caps, x: Any, key: tuple[Any, ...]) -> Any:
    if not caps.checks_bounds:
        _check_key(xp, "index", x, key)
    try:
        return xp.array(x[key], copy=True)
    except IndexError as exc:
        raise _reraise_index_error(exc, "index") from None


def index_put(xp: Any, caps: Caps, add_at: Kernel, x: Any, key: tuple[Any, ...], values: Any, accumulate: bool) -> Any:
    if not caps.checks_bounds:
        _check_key(xp, "index_put", x, key)
    out = x.copy()
    try:
        if accumulate:
            add_at(out, key, values)
        else:
            out[key] = values
    except IndexError as exc:
        raise _reraise_index_error(exc, "index_put") from None
    return out


def gather(xp: Any, x: Any, axis: int, index: Any) -> Any:
    _check_axis_index("gather", x, axis, index)
    return xp.take_along_axis(x, index, axis=axis)


def _scatter_key(xp: Any, x: Any, axis: int, index: Any) -> tuple[Any, ...]:
    _check_axis_index("scatter", x, axis, index)
    nd = index.ndim
    return tuple(
        index if d == axis else xp.arange(s).reshape((s,) + (1,) * (nd - d - 1)) for d, s in enumerate(index.shape)
    )


def scatter(xp: Any, x: Any, axis: int, index: Any, src: Any) -> Any:
    out = x.copy()
    out[_scatter_key(xp, x, axis, index)] = src
    return out


def scatter_add(xp: Any, add_at: Kernel, x: Any, axis: int, index: Any, src: Any) -> Any:
    """`add_at` over flat positions (one 1-D index: NumPy's fast path for ``add.at``, ~5x the speed
    of a tuple of index arrays); the same additions in the same order, so the same result."""
    _check_axis_index("scatter_add", x, axis, index)
    out = x.copy()  # C order
    if index.size == 0:  # nothing to add (and an empty dim would be a zero arange step below)
        return out
    strides = [1] * x.ndim
    for d in range(x.ndim - 2, -1, -1):
        strides[d] = strides[d + 1] * x.shape[d + 1]
    nd = index.ndim
    if axis == nd - 1 and index.shape[:-1] == x.shape[:-1]:  # rows of x, one pass: index + row * row length
        rows = math.prod(index.shape[:-1])
        m = x.shape[-1]
        flat = index.reshape(rows, -1) + xp.arange(0, rows * m, m, dtype=xp.int64)[:, None]
    else:
        flat = index.astype(xp.int64) * strides[axis]
        for d, s in enumerate(index.shape):
            if d != axis and s > 1:
                flat += xp.arange(0, s * strides[d], strides[d], dtype=xp.int64).reshape((s,) + (1,) * (nd - d - 1))
    add_at(out.reshape(-1), (flat.reshape(-1),), xp.broadcast_to(src, index.shape).reshape(-1))
    return out


def nonzero(xp: Any, x: Any) -> Any:
    return xp.argwhere(x).astype(xp.int64, copy=False)


# --------------------------------------------------------------------------- linalg, sorting, random


def matmul(xp: Any, a: Any, b: Any) -> Any:
    out = xp.matmul(a, b)  # NumPy multiplies bfloat16 (ml_dtypes) in float32 and returns float32: round back
    return out if out.dtype == a.dtype else out.astype(a.dtype)


def linear(xp: Any, x: Any, w: Any, b: Any = None) -> Any:
    out = matmul(xp, x, w.T)  # BLAS reads the transpose in place
    if b is not None:
        out += b
    return out


def argsort(xp: Any, caps: Caps, x: Any, axis: int, descending: bool) -> Any:
    kind = "stable" if caps.scalar_results else None  # CuPy's sort is always stable and takes no kind
    if not descending:
        return xp.argsort(x, axis=axis, kind=kind).astype(xp.int64, copy=False)
    # stable descending: sort the reversed array ascending, then map indices back
    # (nan sorts last, so reading backwards puts it first: nan counts as the largest)
    n = x.shape[axis]
    idx = xp.argsort(xp.flip(x, axis), axis=axis, kind=kind)
    return xp.flip(n - 1 - idx, axis).astype(xp.int64, copy=False)


def searchsorted(xp: Any, caps: Caps, seq: Any, values: Any, right: bool) -> Any:
    """The module's searchsorted for a 1-d sequence (and row by row for a few long NumPy rows);
    otherwise a binary search of every row at once."""
    side = "right" if right else "left"
    if seq.ndim == 1:
        return xp.asarray(xp.searchsorted(seq, values, side=side), dtype=xp.int64).reshape(values.shape)
    n = seq.shape[-1]
    rows = values.size // max(values.shape[-1], 1)
    if caps.scalar_results and rows * 64 <= values.size + n:  # NumPy, rows long enough to pay for a call each
        out = xp.empty(values.shape, xp.int64)
        for row in xp.ndindex(values.shape[:-1]):
            out[row] = xp.searchsorted(seq[row], values[row], side=side)
        return out
    lo = xp.zeros(values.shape, xp.int64)
    hi = xp.full(values.shape, n, xp.int64)
    vnan = xp.isnan(values) if _floating(values.dtype) else None
    for _ in range(max(n, 1).bit_length()):
        mid = (lo + hi) // 2
        m = xp.take_along_axis(seq, xp.minimum(mid, n - 1), axis=-1)
        go = (m <= values) if right else (m < values)  # nan largest: a nan value is above every number
        if vnan is not None:
            mnan = xp.isnan(m)
            go = (go & ~mnan) | (vnan & ~mnan) | (vnan & mnan & right)
        active = lo < hi
        lo, hi = xp.where(go & active, mid + 1, lo), xp.where(~go & active, mid, hi)
    return lo


def random_bits(xp: Any, seed: int, offset: int, n: int, index: int) -> Any:
    return philox4x32(seed, offset, n, xp=xp)


# --------------------------------------------------------------------------- linalg: LAPACK-style (xp.linalg)
# Dense decompositions and solvers through the module's own `linalg` (LAPACK on NumPy, cuSOLVER on
# CuPy). The kernels that LAPACK can refuse (singular, not positive-definite) return LAPACK's `info`
# per matrix (int32, the batch shape) beside the result, and core raises or reports it.


def _to_numpy(xp: Any, x: Any) -> numpy.ndarray:
    return numpy.asarray(xp.asnumpy(x) if hasattr(xp, "asnumpy") else x)


def _lu_info(m: numpy.ndarray) -> int:
    """getrf's info for one square matrix: the 1-based index of the first exactly-zero pivot of its LU
    factorization with partial pivoting, or 0."""
    u = numpy.array(m, dtype=numpy.float64)
    info = 0
    for k in range(u.shape[0]):
        p = k + int(numpy.argmax(numpy.abs(u[k:, k])))
        if u[p, k] == 0 or not numpy.isfinite(u[p, k]):
            info = info or k + 1
            continue
        u[[k, p]] = u[[p, k]]
        u[k + 1 :, k:] -= numpy.outer(u[k + 1 :, k] / u[k, k], u[k, k:])
    return info


def _cholesky_info(m: numpy.ndarray) -> int:
    """potrf's info for one matrix: the order of the first leading minor that is not positive-definite, or 0."""
    for k in range(1, m.shape[0] + 1):
        try:
            c = numpy.linalg.cholesky(m[:k, :k])
        except numpy.linalg.LinAlgError:
            return k
        if not numpy.isfinite(c).all():
            return k
    return 0


def _checked(xp: Any, caps: Caps, fn: Kernel, info_fn: Callable[[numpy.ndarray], int], out_shape: tuple[int, ...],
             a: Any, *rest: Any) -> tuple[Any, Any]:  # fmt: skip
    """(fn(a, *rest), info) in one batched call; matrices LAPACK refuses (NumPy raises for them, CuPy
    returns non-finite values) get nan results and their info, computed on the host."""
    batch = a.shape[:-2]
    try:
        out = fn(a, *rest)
    except numpy.linalg.LinAlgError:
        out = None
    if out is not None:
        if caps.scalar_results:  # NumPy: no exception, no refused matrix
            return out, xp.zeros(batch, dtype=xp.int32)
        bad = _to_numpy(xp, ~xp.isfinite(out).all(axis=(-2, -1)))
        if not bad.any():
            return out, xp.zeros(batch, dtype=xp.int32)
    info = numpy.zeros(batch, numpy.int32)
    result = xp.full(out_shape, numpy.nan, dtype=a.dtype) if out is None else out
    for idx in numpy.ndindex(*batch):
        if out is not None and not bad[idx]:
            continue
        if out is None:
            try:
                result[idx] = fn(a[idx], *(r[idx] for r in rest))
                continue
            except numpy.linalg.LinAlgError:
                pass
        info[idx] = info_fn(_to_numpy(xp, a[idx])) or 1
        result[idx] = numpy.nan
    return result, xp.asarray(info)


def slogdet(xp: Any, a: Any) -> tuple[Any, Any]:
    sign, logabsdet = xp.linalg.slogdet(a)
    return xp.asarray(sign, dtype=a.dtype), xp.asarray(logabsdet, dtype=a.dtype)


def det(xp: Any, a: Any) -> Any:
    """LAPACK's determinant (LU) directly: core's composite, sign * exp(logabsdet), loses the last bits."""
    return xp.asarray(xp.linalg.det(a), dtype=a.dtype)


def inv(xp: Any, caps: Caps, a: Any) -> tuple[Any, Any]:
    return _checked(xp, caps, xp.linalg.inv, _lu_info, a.shape, a)


def solve(xp: Any, caps: Caps, a: Any, b: Any) -> tuple[Any, Any]:
    return _checked(xp, caps, xp.linalg.solve, _lu_info, b.shape, a, b)


def cholesky(xp: Any, caps: Caps, a: Any) -> tuple[Any, Any]:
    return _checked(xp, caps, xp.linalg.cholesky, _cholesky_info, a.shape, a)


def qr(xp: Any, a: Any, complete: bool) -> tuple[Any, Any]:
    q, r = xp.linalg.qr(a, mode="complete" if complete else "reduced")
    return q, r


def svd(xp: Any, a: Any, full_matrices: bool) -> tuple[Any, Any, Any]:
    u, s, vh = xp.linalg.svd(a, full_matrices=full_matrices)
    return u, s, vh


def eigh(xp: Any, a: Any, upper: bool) -> tuple[Any, Any]:
    w, v = xp.linalg.eigh(a, UPLO="U" if upper else "L")
    return w, v


# --------------------------------------------------------------------------- convolution and pooling


def _windows(xp: Any, caps: Caps, xpad: Any, kernel: tuple[int, int], stride: tuple[int, int],
             dilation: tuple[int, int], out_hw: tuple[int, int]) -> Any:  # fmt: skip
    """A (N, C, kh, kw, OH, OW) view of the sliding windows of the padded `xpad` (read-only where possible)."""
    sn, sc, sh, sw = xpad.strides
    shape = (xpad.shape[0], xpad.shape[1], kernel[0], kernel[1], out_hw[0], out_hw[1])
    strides = (sn, sc, sh * dilation[0], sw * dilation[1], sh * stride[0], sw * stride[1])
    ro = {"writeable": False} if caps.strided_writeable_arg else {}
    return xp.lib.stride_tricks.as_strided(xpad, shape, strides, **ro)


_SCRATCH = threading.local()
#: the bytes of work arrays kept per thread (the last shapes used: a step's convolutions and poolings); an
#: array beyond it is never kept (there the GEMMs dwarf the page faults)
_SCRATCH_BYTES = 64 << 20


def _scratch(xp: Any, tag: str, shape: tuple[int, ...], dtype: Any) -> Any:
    """An uninitialised work array for a kernel's own temporaries (never returned to core), reused per thread.

    A fresh NumPy array of a few MB costs page faults and the OS zeroing its pages on every
    call (glibc hands large blocks back to the system on free), ~5-10% of a small CNN's
    training step. Keyed by `tag`, shape and dtype; least recently used out first. Host
    only: a device module (CuPy) has its own memory pool.
    """
    nbytes = math.prod(shape) * numpy.dtype(dtype).itemsize
    if xp is not numpy or nbytes > _SCRATCH_BYTES:
        return xp.empty(shape, dtype=dtype)
    cache: dict[Any, Any] | None = getattr(_SCRATCH, "arrays", None)
    if cache is None:
        cache = _SCRATCH.arrays = {}
    key = (tag, shape, dtype)
    arr = cache.pop(key, None)
    if arr is None:
        arr = numpy.empty(shape, dtype=dtype)
        held = sum(a.nbytes for a in cache.values())
        while cache and held + nbytes > _SCRATCH_BYTES:
            held -= cache.pop(next(iter(cache))).nbytes
    cache[key] = arr
    return arr


#: the largest block glibc's malloc serves from its heap once primed (`_prime_allocator`); heap kept up to twice it
_HEAP_BLOCK_BYTES = 16 << 20


@functools.cache
def _prime_allocator() -> None:
    """Let glibc's malloc keep a training step's arrays (up to 16 MB) on its heap instead of the OS's pages.

    glibc maps a block above its mmap threshold (128 KB at the start) afresh and unmaps it on
    free, and gives the heap's free top back to the system above its trim threshold; a step's
    new arrays then cost page faults and the kernel zeroing pages (~15-20% of a small CNN's step,
    where the order of frees makes the top free). Freeing one mapped block raises both thresholds
    (to its size and twice that: mallopt(3), "dynamic mmap threshold"), as a program's first
    large free would: done once here with an untouched block. No-op off glibc.
    """
    try:
        libc = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (AttributeError, ValueError, OSError):  # not glibc (or not POSIX)
        libc = ""
    if libc.startswith("glibc"):
        block = numpy.empty(_HEAP_BLOCK_BYTES, dtype=numpy.uint8)
        del block


def _pad_into(out: Any, x: Any, padding: tuple[int, int], value: float = 0.0) -> Any:
    """`out` (N, C, >= H + 2*p0, >= W + 2*p1) holding `x` padded by `padding` with `value` (past it too)."""
    p0, p1 = padding
    h, w = x.shape[2:]
    out[:, :, :p0] = value
    out[:, :, p0 + h :] = value
    out[:, :, p0 : p0 + h, :p1] = value
    out[:, :, p0 : p0 + h, p1 + w :] = value
    out[:, :, p0 : p0 + h, p1 : p1 + w] = x
    return out


def _pad2(xp: Any, x: Any, padding: tuple[int, int], extra: tuple[int, int] = (0, 0), value: float = 0.0) -> Any:
    """`x` padded by `padding` on each side (and `extra` past the bottom/right) with `value`, in a work array."""
    (p0, p1), (e0, e1) = padding, extra
    if not (p0 or p1 or e0 or e1):
        return x
    n, c, h, w = x.shape
    return _pad_into(_scratch(xp, "pad", (n, c, h + 2 * p0 + e0, w + 2 * p1 + e1), x.dtype), x, padding, value)


def _im2col(xp: Any, win: Any, groups: int) -> Any:
    """The (N, G, C/G*kh*kw, OH*OW) columns of a window view, copied into a work array."""
    n, c, kh, kw, oh, ow = win.shape
    cols = _scratch(xp, "cols", (n, groups, c // groups * kh * kw, oh * ow), win.dtype)
    xp.copyto(cols.reshape(win.shape), win)
    return cols


_KEPT = threading.local()
#: the bytes of forward columns kept per thread for conv2d_weight_grad (least recently used out first)
_KEPT_BYTES = 64 << 20
_BITS_OF = {2: numpy.uint16, 4: numpy.uint32, 8: numpy.uint64}


def _kept(xp: Any, x: Any) -> dict[Any, Any] | None:
    """This thread's kept forward columns, or None where none are kept (not NumPy, an odd dtype)."""
    if xp is not numpy or x.dtype.itemsize not in _BITS_OF:
        return None
    kept: dict[Any, Any] | None = getattr(_KEPT, "entries", None)
    if kept is None:
        kept = _KEPT.entries = {}
    return kept


def _forward_columns(xp: Any, caps: Caps, x: Any, kernel: tuple[int, int], key: tuple[Any, ...],
                     stride: tuple[int, int], padding: tuple[int, int], dilation: tuple[int, int],
                     out_hw: tuple[int, int], groups: int) -> Any:  # fmt: skip
    """The forward's (N, G, C/G*kh*kw, OH*OW) columns of `x`, kept (with x's padded copy) for its weight gradient.

    conv2d_weight_grad needs the same columns; rebuilding them is a third of its time. The
    kept copy of x is how the gradient knows they are still x's (`_kept_columns` compares its
    bits): a later forward of another x with the same shapes and arguments replaces them.
    """
    kept = _kept(xp, x)
    n, c, h, w = x.shape
    pad_shape = (n, c, h + 2 * padding[0], w + 2 * padding[1])
    cols_shape = (n, groups, c // groups * kernel[0] * kernel[1], out_hw[0] * out_hw[1])
    nbytes = (math.prod(pad_shape) + math.prod(cols_shape)) * x.dtype.itemsize
    if kept is None or nbytes > _KEPT_BYTES:
        win = _windows(xp, caps, _pad2(xp, x, padding), kernel, stride, dilation, out_hw)
        return _im2col(xp, win, groups)
    entry = kept.pop(key, None)
    if entry is None:
        held = sum(a.nbytes + b.nbytes for a, b in kept.values())
        while kept and held + nbytes > _KEPT_BYTES:
            a, b = kept.pop(next(iter(kept)))
            held -= a.nbytes + b.nbytes
        entry = (numpy.empty(pad_shape, dtype=x.dtype), numpy.empty(cols_shape, dtype=x.dtype))
    kept[key] = entry
    xpad, cols = entry
    win = _windows(xp, caps, _pad_into(xpad, x, padding), kernel, stride, dilation, out_hw)
    xp.copyto(cols.reshape(win.shape), win)
    return cols


def _kept_columns(xp: Any, x: Any, key: tuple[Any, ...], padding: tuple[int, int]) -> Any | None:
    """The columns `_forward_columns` kept for `key`, if its copy of x has the bits of `x` now; else None."""
    kept = _kept(xp, x)
    entry = kept.get(key) if kept is not None else None
    if entry is None:
        return None
    xpad, cols = entry
    h, w = x.shape[2:]
    inner = xpad[:, :, padding[0] : padding[0] + h, padding[1] : padding[1] + w]
    bits = _BITS_OF[x.dtype.itemsize]
    return cols if bool(xp.array_equal(inner.view(bits), x.view(bits))) else None


def conv2d(xp: Any, caps: Caps, x: Any, w: Any, stride: Any, padding: Any, dilation: Any, groups: int) -> Any:
    """im2col through a strided view, then one batched GEMM: (G, O/G, C/G*K) @ (N, G, C/G*K, L); the columns
    are kept for the weight gradient (`_forward_columns`)."""
    n = x.shape[0]
    o, cg, kh, kw = w.shape
    oh, ow = conv_out(x.shape[2:], (kh, kw), stride, padding, dilation)
    key = ("conv2d", x.shape, x.dtype, (kh, kw), tuple(stride), tuple(padding), tuple(dilation), groups)
    cols = _forward_columns(xp, caps, x, (kh, kw), key, stride, padding, dilation, (oh, ow), groups)
    out = xp.matmul(w.reshape(groups, o // groups, cg * kh * kw), cols)
    return out.reshape(n, o, oh, ow)


def conv2d_bias(xp: Any, caps: Caps, x: Any, w: Any, b: Any, stride: Any, padding: Any, dilation: Any,
                groups: int) -> Any:  # fmt: skip
    """conv2d with the bias added in place into the GEMM's result (a separate add costs a new array)."""
    out = conv2d(xp, caps, x, w, stride, padding, dilation, groups)
    out += b.reshape(1, -1, 1, 1)
    return out


def _col2im_rows(xp: Any, g: Any, wm: Any, kernel_hw: tuple[int, int], input_hw: tuple[int, int],
                 padding: tuple[int, int], dilation: tuple[int, int], groups: int) -> Any:  # fmt: skip
    """Stride-1 col2im with each kernel offset's add one contiguous run per (n, c).

    `g` is widened to the padded input's row length Wp (zeros past OW), so the columns of
    w^T g are laid out with the input's row stride: kernel offset (i, j) lands at the flat
    offset i*d0*Wp + j*d1 of the padded input, rows and all. The zero columns add zeros
    (the caller checked that w is finite), and the strided 4-D adds (short rows of OW)
    become 1-D ones, ~2x faster; the GEMM does Wp/OW times the columns."""
    n, o, oh, ow = g.shape
    kh, kw = kernel_hw
    h, wd = input_hw
    hp, wp = h + 2 * padding[0], wd + 2 * padding[1]
    c = groups * wm.shape[1] // (kh * kw)
    gw = _scratch(xp, "g", (n, o, oh, wp), g.dtype)
    gw[..., :ow] = g
    gw[..., ow:] = 0
    cols = _scratch(xp, "cols", (n, groups, wm.shape[1], oh * wp), g.dtype)
    xp.matmul(wm, gw.reshape(n, groups, o // groups, oh * wp), out=cols)
    cols = cols.reshape(n, c, kh, kw, oh * wp)
    out = _scratch(xp, "col2im", (n, c, (hp + 1) * wp), g.dtype)  # one row more: the last offsets run past hp*wp
    out.fill(0)
    span = oh * wp
    for i in range(kh):
        for j in range(kw):
            start = i * dilation[0] * wp + j * dilation[1]
            out[:, :, start : start + span] += cols[:, :, i, j]
    return out.reshape(n, c, hp + 1, wp)[:, :, padding[0] : padding[0] + h, padding[1] : padding[1] + wd].copy()


def _col2im_planes(xp: Any, g: Any, w: Any, input_hw: tuple[int, int], padding: tuple[int, int],
                   dilation: tuple[int, int], groups: int) -> Any:  # fmt: skip
    """Stride-1 col2im with each kernel offset's add one long contiguous run per sample.

    Every (n, o) plane of `g` is laid out on the padded input's rows (length Wp, zeros past
    OW) in a plane of P = OH*Wp + the largest offset (zeros past OH*Wp), so kernel offset
    (i, j) lands at the flat offset i*d0*Wp + j*d1 of the padded input, rows, channels and
    all: the GEMM's rows ordered (offset, channel), each offset's columns are one (N, C*P)
    block added into the output in one call (what spills into the next plane is zeros; the
    caller checked that w is finite). The 4-D adds of short rows this replaces cost ~2x."""
    n, o, oh, ow = g.shape
    _, cg, kh, kw = w.shape
    h, wd = input_hw
    hp, wp = h + 2 * padding[0], wd + 2 * padding[1]
    c, og, k = cg * groups, o // groups, kh * kw
    reach = (kh - 1) * dilation[0] * wp + (kw - 1) * dilation[1]
    plane = oh * wp + reach
    gw = _scratch(xp, "g", (n, o, plane), g.dtype)
    gw[:, :, oh * wp :] = 0
    rows = gw[:, :, : oh * wp].reshape(n, o, oh, wp)
    rows[..., :ow] = g
    rows[..., ow:] = 0
    # (G, K*C/G, O/G): the rows of w^T ordered (kernel offset, channel) within each group
    wm = w.reshape(groups, og, cg, k).transpose(0, 3, 2, 1).reshape(groups, k * cg, og)
    cols = _scratch(xp, "cols", (n, groups, k * cg, plane), g.dtype)
    xp.matmul(wm, gw.reshape(n, groups, og, plane), out=cols)
    cols = cols.reshape(n, groups, k, cg * plane)
    out = _scratch(xp, "col2im", (n * c * plane + reach,), g.dtype)
    out.fill(0)
    for i in range(kh):
        for j in range(kw):
            start = i * dilation[0] * wp + j * dilation[1]
            out[start : start + n * c * plane].reshape(n, groups, cg * plane)[...] += cols[:, :, i * kw + j]
    planes = out[: n * c * plane].reshape(n, c, plane)[:, :, : hp * wp].reshape(n, c, hp, wp)
    return planes[:, :, padding[0] : padding[0] + h, padding[1] : padding[1] + wd].copy()


def conv2d_input_grad(xp: Any, g: Any, w: Any, input_hw: Any, stride: Any, padding: Any, dilation: Any,
                      groups: int) -> Any:  # fmt: skip
    """col2im of w^T g: one batched GEMM, then kh*kw strided adds into the padded input (a loop over
    the kernel offsets, not a scatter; at stride 1 each add is one contiguous run per sample, `_col2im_planes`,
    or per row on small images, `_col2im_rows`)."""
    n, o, oh, ow = g.shape
    _, cg, kh, kw = w.shape
    h, wd = input_hw
    wm = w.reshape(groups, o // groups, cg * kh * kw).transpose(0, 2, 1)
    if tuple(stride) == (1, 1) and bool(xp.isfinite(w).all()):
        wp = wd + 2 * padding[1]
        reach = (kh - 1) * dilation[0] * wp + (kw - 1) * dilation[1]
        if 3 * reach <= oh * wp:  # the planes' extra GEMM columns (reach per plane) pay for their longer adds
            return _col2im_planes(xp, g, w, input_hw, padding, dilation, groups)
        return _col2im_rows(xp, g, wm, (kh, kw), input_hw, padding, dilation, groups)
    cols = xp.matmul(wm, g.reshape(n, groups, o // groups, oh * ow)).reshape(n, groups * cg, kh, kw, oh, ow)
    hp, wp = h + 2 * padding[0], wd + 2 * padding[1]
    out = xp.zeros((n, groups * cg, hp, wp), dtype=g.dtype)
    for i in range(kh):
        r = i * dilation[0]
        for j in range(kw):
            q = j * dilation[1]
            out[:, :, r : r + stride[0] * (oh - 1) + 1 : stride[0], q : q + stride[1] * (ow - 1) + 1 : stride[1]] += (
                cols[:, :, i, j]
            )
    if padding[0] or padding[1]:
        out = xp.ascontiguousarray(out[:, :, padding[0] : padding[0] + h, padding[1] : padding[1] + wd])
    return out


def conv2d_weight_grad(xp: Any, caps: Caps, x: Any, g: Any, kernel_hw: Any, stride: Any, padding: Any,
                       dilation: Any, groups: int) -> Any:  # fmt: skip
    """Per sample g (O/G, L) @ cols^T (L, C/G*K) in one batched GEMM, then the sum over the batch.

    The columns are the forward's (kept by conv2d while x is unchanged, else im2col of a strided view); a
    tensordot over (N, OH, OW) instead transposes the 6-D window view first, a copy ~5x slower.
    Below 64 output positions the per-sample GEMMs are too thin, and one GEMM over the batch wins."""
    n, c = x.shape[:2]
    o, oh, ow = g.shape[1:]
    kh, kw = kernel_hw
    if groups == 1 and oh * ow < 64:  # small images: per-sample GEMMs too thin; one (O, N*L) @ (N*L, C*K)
        win = _windows(xp, caps, _pad2(xp, x, padding), (kh, kw), stride, dilation, (oh, ow))
        cols = _scratch(xp, "cols", (c * kh * kw, n * oh * ow), x.dtype)
        xp.copyto(cols.reshape(c, kh, kw, n, oh, ow), win.transpose(1, 2, 3, 0, 4, 5))
        return xp.matmul(g.transpose(1, 0, 2, 3).reshape(o, n * oh * ow), cols.T).reshape(o, c, kh, kw)
    key = ("conv2d", x.shape, x.dtype, (kh, kw), tuple(stride), tuple(padding), tuple(dilation), groups)
    cols = _kept_columns(xp, x, key, tuple(padding))
    if cols is None:
        cols = _im2col(xp, _windows(xp, caps, _pad2(xp, x, padding), (kh, kw), stride, dilation, (oh, ow)), groups)
    gm = g.reshape(n, groups, o // groups, oh * ow)
    return xp.matmul(gm, cols.transpose(0, 1, 3, 2)).sum(0).reshape(o, c // groups, kh, kw)


def _max_pool2d_tiled(xp: Any, x: Any, kernel_size: tuple[int, int], out_hw: tuple[int, int]) -> tuple[Any, Any] | None:
    """Max pooling over non-overlapping tiles (window = stride, no padding or dilation): the running
    maximum over the kh*kw window positions, then the first position equal to it, counted without a
    gather (the general path's argmax over a short last axis and take_along_axis cost ~3x more).
    None when a maximum is NaN (NaN != NaN: the general path's argmax finds the first NaN)."""
    kh, kw = kernel_size
    oh, ow = out_hw
    n, c, _, w = x.shape
    # one copy to window-position-major (kh, kw, N, C, OH, OW): every pass below is then contiguous
    tiles = _scratch(xp, "tiles", (kh, kw, n, c, oh, ow), x.dtype)
    xp.copyto(tiles, x[:, :, : kh * oh, : kw * ow].reshape(n, c, oh, kh, ow, kw).transpose(3, 5, 0, 1, 2, 4))
    views = [tiles[i, j] for i in range(kh) for j in range(kw)]
    vals = xp.maximum(views[0], views[1]) if len(views) > 1 else views[0].copy()
    for v in views[2:]:
        xp.maximum(vals, v, out=vals)
    if vals.dtype.kind == "f" and bool(xp.isnan(vals).any()):
        return None
    # k = the number of leading window positions that are not the maximum = the first maximum's position
    behind = xp.not_equal(views[0], vals)
    k = behind.astype(xp.uint8)
    ne = xp.empty_like(behind)
    for v in views[1:-1]:
        xp.not_equal(v, vals, out=ne)
        behind &= ne
        k += behind
    offsets = xp.asarray([i * w + j for i in range(kh) for j in range(kw)], dtype=xp.int64)
    idx = offsets.take(k)
    idx += (xp.arange(oh, dtype=xp.int64) * (kh * w))[:, None] + xp.arange(ow, dtype=xp.int64) * kw
    return vals, idx


def max_pool2d(xp: Any, caps: Caps, x: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
               ceil_mode: bool) -> tuple[Any, Any]:  # fmt: skip
    n, c, h, w = x.shape
    kh, kw = kernel_size
    oh, ow = conv_out(x.shape[2:], (kh, kw), stride, padding, dilation, ceil_mode)
    if (
        tuple(stride) == (kh, kw) and tuple(dilation) == (1, 1) and not any(padding)
        and oh * kh <= h and ow * kw <= w and kh * kw < 256 and x.size
    ):  # fmt: skip
        tiled = _max_pool2d_tiled(xp, x, (kh, kw), (oh, ow))
        if tiled is not None:
            return tiled
    extra = (
        max(0, (oh - 1) * stride[0] + dilation[0] * (kh - 1) + 1 - h - 2 * padding[0]),
        max(0, (ow - 1) * stride[1] + dilation[1] * (kw - 1) + 1 - w - 2 * padding[1]),
    )
    xpad = _pad2(xp, x, padding, extra, float("-inf"))
    win = (
        _windows(xp, caps, xpad, (kh, kw), stride, dilation, (oh, ow))
        .transpose(0, 1, 4, 5, 2, 3)
        .reshape(n, c, oh, ow, kh * kw)
    )
    arg = win.argmax(-1)
    vals = xp.take_along_axis(win, arg[..., None], -1)[..., 0]
    ki, kj = xp.divmod(arg, kw)
    row = (xp.arange(oh) * stride[0] - padding[0])[:, None] + ki * dilation[0]
    col = (xp.arange(ow) * stride[1] - padding[1])[None, :] + kj * dilation[1]
    return vals, (row * w + col).astype(xp.int64, copy=False)


def max_pool2d_grad(xp: Any, add_at: Kernel, g: Any, indices: Any, input_hw: tuple[int, int]) -> Any:
    """scatter_add of g into zeros at the flat positions, straight into one new array (the decomposition
    makes zeros, then scatter_add copies them) through add_at's 1-D fast path, in the same order."""
    n, c = g.shape[:2]
    size = input_hw[0] * input_hw[1]
    out = xp.zeros(n * c * size, dtype=g.dtype)
    flat = indices.reshape(n * c, math.prod(g.shape[2:])) + xp.arange(0, n * c * size, size, dtype=xp.int64)[:, None]
    add_at(out, (flat.reshape(-1),), g.reshape(-1))
    return out.reshape(n, c, *input_hw)


# --------------------------------------------------------------------------- complex numbers and the FFT


def real(x: Any) -> Any:
    return x.real  # a view: writes go through to x


def imag(x: Any) -> Any:
    return x.imag


def conj(xp: Any, x: Any) -> Any:
    return xp.asarray(xp.conj(x))  # (NumPy turns a 0-d result into a scalar)


def angle(xp: Any, x: Any) -> Any:
    return xp.asarray(xp.angle(x))


def make_complex(xp: Any, re: Any, im: Any) -> Any:
    out = xp.empty(xp.broadcast(re, im).shape, dtype=xp.result_type(re.dtype, xp.complex64))
    out.real, out.imag = re, im
    return out


#: numpy.fft's `norm` for Ember's scaling modes (0 none, 1 1/sqrt(n), 2 1/n), by direction (forward?)
_FFT_NORM = {(True, 0): "backward", (True, 1): "ortho", (True, 2): "forward",
             (False, 0): "forward", (False, 1): "ortho", (False, 2): "backward"}  # fmt: skip


def fft_c2c(xp: Any, x: Any, dims: tuple[int, ...], normalization: int, forward: bool) -> Any:
    transform = xp.fft.fftn if forward else xp.fft.ifftn
    return transform(x, axes=dims, norm=_FFT_NORM[forward, normalization]).astype(x.dtype, copy=False)


def fft_r2c(xp: Any, x: Any, dims: tuple[int, ...], normalization: int) -> Any:
    out = xp.fft.rfftn(x, axes=dims, norm=_FFT_NORM[True, normalization])  # NumPy computes in complex128
    return out.astype(xp.result_type(x.dtype, xp.complex64), copy=False)


def fft_c2r(xp: Any, x: Any, dims: tuple[int, ...], normalization: int, last_dim_size: int) -> Any:
    s = [x.shape[d] for d in dims[:-1]] + [last_dim_size]
    out = xp.fft.irfftn(x, s=s, axes=dims, norm=_FFT_NORM[False, normalization])
    return out.astype(x.real.dtype, copy=False)


# --------------------------------------------------------------------------- the table


def kernel_table(
    xp: ModuleType, *, add_at: Callable[[Any, Any, Any], None] | None = None, caps: Caps | None = None
) -> dict[str, Kernel]:
    """Every primitive but `erf`, `erfc`, `erfinv` and `lgamma` (and the composites this generic code does well) as kernels on `xp`'s arrays.

    `xp` is `numpy` or a module with NumPy's API (CuPy). `add_at(out, key, values)`
    replaces `xp.add.at` (unbuffered `out[key] += values`) where the module's own
    lacks some dtypes. `caps` overrides `caps_of(xp)` (tests use it to run another
    module's code paths on NumPy).
    """
    caps = caps or caps_of(xp)
    add_at = add_at or xp.add.at
    if xp is numpy:
        _prime_allocator()
    table: dict[str, Kernel] = elementwise_kernels(xp)  # every op with an array-API function (Op.xp)
    table.update({
        # creation
        "full": _bind(full, xp), "arange": _bind(arange, xp), "astype": _bind(astype, caps),
        "copy": _bind(copy, xp), "copy_": _bind(copy_, xp),
        # elementwise, hand-written
        "abs": _bind(abs_, xp), "rsqrt": _bind(rsqrt, xp), "sigmoid": _bind(sigmoid, xp), "relu": _bind(relu, xp),
        "floor": _same_if_int(xp.floor), "ceil": _same_if_int(xp.ceil), "round": _same_if_int(xp.round),
        "sign": _bind(sign, xp), "where": _bind(where, xp), "pow": _bind(pow_, xp), "trunc": _same_if_int(xp.trunc),
        "remainder": _bind(remainder, xp),
        "bitwise_left_shift": _shift(xp, True), "bitwise_right_shift": _shift(xp, False),
        # special functions (erfc, erfinv and lgamma are each backend's own: outside NumPy's API)
        "digamma": _bind(digamma, xp, caps), "i0": _bind(i0, xp, caps), "i1": _bind(i1, xp, caps),
        # reductions
        "sum": _reduction(xp, caps, xp.add, xp.sum), "prod": _reduction(xp, caps, xp.multiply, xp.prod),
        "amax": _reduction(xp, caps, xp.maximum, xp.max), "amin": _reduction(xp, caps, xp.minimum, xp.min),
        "all": _reduction(xp, caps, xp.logical_and, xp.all), "any": _reduction(xp, caps, xp.logical_or, xp.any),
        "argmax": _arg_reduction(xp, xp.argmax), "argmin": _arg_reduction(xp, xp.argmin),
        "cumsum": _bind(cumsum, xp), "cumprod": _bind(cumprod, xp), "logsumexp": _bind(logsumexp, xp, caps),
        # activation (composite overrides)
        "softmax": _bind(softmax, xp), "log_softmax": _bind(log_softmax, xp, caps),
        "softmax_cross_entropy": _bind(softmax_cross_entropy, xp, caps),
        "softmax_cross_entropy_grad": _bind(softmax_cross_entropy_grad, xp),
        # movement
        "view": view, "permute": xp.transpose, "expand": _bind(expand, xp, caps), "cat": _bind(cat, xp),
        "flip": _bind(flip, xp),
        # complex numbers and the FFT
        "real": real, "imag": imag, "conj": _bind(conj, xp), "angle": _bind(angle, xp), "complex": _bind(make_complex, xp),
        "fft_c2c": _bind(fft_c2c, xp), "fft_r2c": _bind(fft_r2c, xp), "fft_c2r": _bind(fft_c2r, xp),
        # indexing
        "slice": _bind(slice_, xp), "index": _bind(index, xp, caps), "index_put": _bind(index_put, xp, caps, add_at),
        "gather": _bind(gather, xp), "scatter": _bind(scatter, xp), "scatter_add": _bind(scatter_add, xp, add_at),
        "nonzero": _bind(nonzero, xp),
        # linalg, sorting, random
        "matmul": _bind(matmul, xp), "linear": _bind(linear, xp), "argsort": _bind(argsort, xp, caps),
        "searchsorted": _bind(searchsorted, xp, caps),
        "random_bits": _bind(random_bits, xp),
        # linalg: LAPACK-style
        "linalg_slogdet": _bind(slogdet, xp), "linalg_det": _bind(det, xp), "linalg_inv": _bind(inv, xp, caps),
        "linalg_solve": _bind(solve, xp, caps), "linalg_cholesky": _bind(cholesky, xp, caps),
        "linalg_qr": _bind(qr, xp), "linalg_svd": _bind(svd, xp), "linalg_eigh": _bind(eigh, xp),
        # convolution and pooling (composite overrides)
        "conv2d": _bind(conv2d, xp, caps), "conv2d_bias": _bind(conv2d_bias, xp, caps),
        "conv2d_input_grad": _bind(conv2d_input_grad, xp),
        "conv2d_weight_grad": _bind(conv2d_weight_grad, xp, caps), "max_pool2d": _bind(max_pool2d, xp, caps),
        "max_pool2d_grad": _bind(max_pool2d_grad, xp, add_at),
    })  # fmt: skip
    if _accumulates(xp):  # cummax/cummin's indices and logcumsumexp in O(n) (else core's scan composites run)
        table["cumext_indices"] = _bind(cumext_indices, xp)
        table["logcumsumexp"] = _bind(logcumsumexp, xp, caps)
    if caps.scalar_results:
        for name in scalar_result_ops() & table.keys():
            table[name] = array_out(table[name], xp.ndarray, xp.asarray)
    table.update(inplace_kernels(xp))
    return table
