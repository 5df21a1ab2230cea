"""NumPy kernels for every primitive, and overrides for composites NumPy does faster.

Kernels take and return NumPy arrays; core has already checked shapes, dtypes
and devices. Names are the op names of `ember.dispatch.OPS`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ember.dtypes import DType
from ember.random import philox4x32

Kernel = Callable[..., Any]

# PyTorch computes inf and nan silently; NumPy warns. np.errstate costs more than a small
# kernel, so instead ignore NumPy's floating-point warnings where Ember's code calls NumPy.
warnings.filterwarnings(
    "ignore",
    message=r"(invalid value|divide by zero|overflow|underflow) encountered",
    category=RuntimeWarning,
    module=r"ember(_numpy)?(\.|$)",
)


# -- creation ---------------------------------------------------------------
def full(shape: tuple[int, ...], value: Any, dtype: DType, index: int) -> np.ndarray:
    out = np.empty(shape, dtype=dtype.numpy)
    out.fill(value)
    return out


def arange(start: Any, end: Any, step: Any, dtype: DType, index: int) -> np.ndarray:
    return np.arange(start, end, step).astype(dtype.numpy, copy=False)


def astype(x: np.ndarray, dtype: DType) -> np.ndarray:
    with np.errstate(invalid="ignore", over="ignore"):
        return x.astype(dtype.numpy)


def copy(x: np.ndarray) -> np.ndarray:
    return np.array(x, order="C", copy=True)


def copy_(dst: np.ndarray, src: Any) -> None:
    np.copyto(dst, src, casting="unsafe")


# -- elementwise --------------------------------------------------------------
def sigmoid(x: np.ndarray) -> np.ndarray:
    # 1 / (1 + exp(-x)) overflows for very negative x; the tanh form never does
    out = np.tanh(x * 0.5)
    out *= 0.5
    out += 0.5
    return out


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0) if x.dtype != np.bool_ else x.copy()


def rsqrt(x: np.ndarray) -> np.ndarray:
    return np.reciprocal(np.sqrt(x))


def _erf() -> Kernel:
    """SciPy's erf when SciPy is installed (looked up once, on first use), else math.erf elementwise."""
    impl: list[Any] = []

    def erf(x: np.ndarray) -> np.ndarray:
        if not impl:
            try:
                from scipy.special import erf as sp_erf

                impl.append(sp_erf)
            except ImportError:
                impl.append(np.vectorize(math.erf, otypes=[np.float64]))
        return np.asarray(impl[0](x)).astype(x.dtype, copy=False)

    return erf


def _same_if_int(fn: Kernel) -> Kernel:
    def kernel(x: np.ndarray) -> np.ndarray:
        return x.copy() if x.dtype.kind in "biu" else fn(x)

    kernel.__name__ = fn.__name__
    return kernel


def sign(x: np.ndarray) -> np.ndarray:
    return np.sign(x) if x.dtype != np.bool_ else x.copy()


def abs_(x: np.ndarray) -> np.ndarray:
    return np.abs(x) if x.dtype != np.bool_ else x.copy()


_BITS = {np.dtype(np.float32): np.int32, np.dtype(np.float64): np.int64}


def where(cond: np.ndarray, a: Any, b: Any) -> np.ndarray:
    if type(b) is float and b == 0.0 and type(a) is np.ndarray and a.shape == cond.shape and a.flags.c_contiguous:
        bits = _BITS.get(a.dtype)
        if bits is not None:  # where(c, a, 0), e.g. relu's gradient: a branch-free bit mask (np.where is slow on random masks)
            mask = cond.astype(bits)
            np.negative(mask, out=mask)
            return (a.view(bits) & mask).view(a.dtype)
    out = np.where(cond, a, b)
    dt = a.dtype if isinstance(a, np.ndarray) else (b.dtype if isinstance(b, np.ndarray) else None)
    return out.astype(dt, copy=False) if dt is not None else out


# -- reductions ---------------------------------------------------------------
def _reduce(ufunc: np.ufunc) -> Kernel:
    reduce = ufunc.reduce

    def kernel(x: np.ndarray, axes: tuple[int, ...], keepdim: bool) -> np.ndarray:
        if keepdim or len(axes) < x.ndim:
            out = reduce(x, axes, None, None, keepdim)
        else:  # a full reduction: keepdims then reshape gives a 0-d array, not a NumPy scalar
            out = reduce(x, axes, None, None, True).reshape(())
        return out if type(out) is np.ndarray else np.asarray(out, dtype=x.dtype)

    kernel.__name__ = ufunc.__name__
    return kernel


def _argext(fn: Kernel) -> Kernel:
    def kernel(x: np.ndarray, axis: int | None, keepdim: bool) -> np.ndarray:
        out = fn(x, axis=axis, keepdims=keepdim)
        return np.asarray(out, dtype=np.int64)

    kernel.__name__ = fn.__name__
    return kernel


def cumsum(x: np.ndarray, axis: int) -> np.ndarray:
    return np.cumsum(x, axis=axis, dtype=x.dtype)


def logsumexp(x: np.ndarray, axes: tuple[int, ...], keepdim: bool) -> np.ndarray:
    with np.errstate(all="ignore"):
        m = np.max(x, axis=axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        out = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
    return out if keepdim else np.squeeze(out, axis=axes)


def softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = x - x.max(axis=axis, keepdims=True)
    np.exp(e, out=e)
    e /= e.sum(axis=axis, keepdims=True)
    return e


def log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    m = x.max(axis=axis, keepdims=True)
    with np.errstate(all="ignore"):
        m = np.where(np.isfinite(m), m, 0)
        s = x - m
        return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


# -- movement -----------------------------------------------------------------
def view(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    out = x.reshape(shape)
    base = x if x.base is None else x.base
    if out.base is not base and out.size:  # NumPy had to copy: not a view of x
        raise ValueError(f"cannot view an array of shape {x.shape} and strides {x.strides} as shape {shape}")
    return out


def expand(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
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
        return np.ndarray(shape, x.dtype, x, 0, strides)
    return np.broadcast_to(x, shape)


def cat(xs: list[np.ndarray], axis: int) -> np.ndarray:
    return np.concatenate(xs, axis=axis)


def flip(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    return np.flip(x, axes).copy()


# -- indexing -----------------------------------------------------------------
def slice_(x: np.ndarray, key: tuple[Any, ...]) -> np.ndarray:
    out = x[key]
    return out if isinstance(out, np.ndarray) else x[key + (Ellipsis,)]


def index(x: np.ndarray, key: tuple[Any, ...]) -> np.ndarray:
    return np.array(x[key], copy=True)


def index_put(x: np.ndarray, key: tuple[Any, ...], values: Any, accumulate: bool) -> np.ndarray:
    out = x.copy()
    if accumulate:
        np.add.at(out, key, values)
    else:
        out[key] = values
    return out


def gather(x: np.ndarray, axis: int, index: np.ndarray) -> np.ndarray:
    n = x.shape[axis]
    if index.size and (index.min() < 0 or index.max() >= n):
        raise IndexError(f"gather: index out of range for dimension {axis} with size {n} (indices must be in [0, {n}))")
    return np.take_along_axis(x, index, axis=axis)


def _scatter_index(x: np.ndarray, axis: int, index: np.ndarray) -> tuple[Any, ...]:
    n = x.shape[axis]
    if index.size and (index.min() < 0 or index.max() >= n):
        raise IndexError(f"scatter: index out of range for dimension {axis} with size {n} (indices must be in [0, {n}))")
    grids = np.indices(index.shape, sparse=True)
    return tuple(index if d == axis else g for d, g in enumerate(grids))


def scatter(x: np.ndarray, axis: int, index: np.ndarray, src: np.ndarray) -> np.ndarray:
    out = x.copy()
    out[_scatter_index(x, axis, index)] = src
    return out


def scatter_add(x: np.ndarray, axis: int, index: np.ndarray, src: np.ndarray) -> np.ndarray:
    out = x.copy()
    np.add.at(out, _scatter_index(x, axis, index), src)
    return out


def nonzero(x: np.ndarray) -> np.ndarray:
    return np.argwhere(x).astype(np.int64, copy=False)


# -- linalg, sorting, random ----------------------------------------------------
def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.matmul(a, b)


def argsort(x: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    if not descending:
        return np.argsort(x, axis=axis, kind="stable").astype(np.int64, copy=False)
    # stable descending: sort the reversed array ascending, then map indices back
    n = x.shape[axis]
    # (NumPy sorts nan last, so reading backwards puts it first: nan counts as the largest)
    idx = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
    return np.flip(n - 1 - idx, axis).astype(np.int64, copy=False)


def random_bits(seed: int, offset: int, n: int, index: int) -> np.ndarray:
    return philox4x32(seed, offset, n)


# -- convolution and pooling (composite overrides) ------------------------------
def _windows(xp: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
             out_hw: tuple[int, int]) -> np.ndarray:  # fmt: skip
    """A read-only (N, C, kh, kw, OH, OW) view of the sliding windows of the padded `xp`."""
    sn, sc, sh, sw = xp.strides
    shape = (xp.shape[0], xp.shape[1], kernel[0], kernel[1], out_hw[0], out_hw[1])
    strides = (sn, sc, sh * dilation[0], sw * dilation[1], sh * stride[0], sw * stride[1])
    return np.lib.stride_tricks.as_strided(xp, shape, strides, writeable=False)


def _pad2(x: np.ndarray, padding: tuple[int, int], extra: tuple[int, int] = (0, 0), value: float = 0.0) -> np.ndarray:
    if not (padding[0] or padding[1] or extra[0] or extra[1]):
        return x
    widths = ((0, 0), (0, 0), (padding[0], padding[0] + extra[0]), (padding[1], padding[1] + extra[1]))
    return np.pad(x, widths, constant_values=value)


def _conv_out(hw: tuple[int, ...], kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int],
              dilation: tuple[int, int], ceil_mode: bool = False) -> tuple[int, int]:  # fmt: skip
    from ember.ops.convolution import conv_out_size

    return (
        conv_out_size(hw[0], kernel[0], stride[0], padding[0], dilation[0], ceil_mode),
        conv_out_size(hw[1], kernel[1], stride[1], padding[1], dilation[1], ceil_mode),
    )


def conv2d(x: np.ndarray, w: np.ndarray, stride: Any, padding: Any, dilation: Any, groups: int) -> np.ndarray:
    """im2col through a strided view, then one batched GEMM: (G, O/G, C/G*K) @ (N, G, C/G*K, L)."""
    n, c = x.shape[:2]
    o, cg, kh, kw = w.shape
    oh, ow = _conv_out(x.shape[2:], (kh, kw), stride, padding, dilation)
    cols = _windows(_pad2(x, padding), (kh, kw), stride, dilation, (oh, ow)).reshape(n, groups, cg * kh * kw, oh * ow)
    out = np.matmul(w.reshape(groups, o // groups, cg * kh * kw), cols)
    return out.reshape(n, o, oh, ow)


def conv2d_input_grad(g: np.ndarray, w: np.ndarray, input_hw: Any, stride: Any, padding: Any, dilation: Any,
                      groups: int) -> np.ndarray:  # fmt: skip
    """col2im of w^T g: one batched GEMM, then kh*kw strided adds into the padded input."""
    n, o, oh, ow = g.shape
    _, cg, kh, kw = w.shape
    h, wd = input_hw
    wm = w.reshape(groups, o // groups, cg * kh * kw).transpose(0, 2, 1)
    cols = np.matmul(wm, g.reshape(n, groups, o // groups, oh * ow)).reshape(n, groups * cg, kh, kw, oh, ow)
    hp, wp = h + 2 * padding[0], wd + 2 * padding[1]
    out = np.zeros((n, groups * cg, hp, wp), dtype=g.dtype)
    for i in range(kh):
        r = i * dilation[0]
        for j in range(kw):
            q = j * dilation[1]
            out[:, :, r : r + stride[0] * (oh - 1) + 1 : stride[0], q : q + stride[1] * (ow - 1) + 1 : stride[1]] += cols[
                :, :, i, j
            ]
    if padding[0] or padding[1]:
        out = np.ascontiguousarray(out[:, :, padding[0] : padding[0] + h, padding[1] : padding[1] + wd])
    return out


def conv2d_weight_grad(x: np.ndarray, g: np.ndarray, kernel_hw: Any, stride: Any, padding: Any, dilation: Any,
                       groups: int) -> np.ndarray:  # fmt: skip
    """sum over n and output positions of g times the windows of x: one tensordot (GEMM) per group."""
    c = x.shape[1]
    o, oh, ow = g.shape[1:]
    win = _windows(_pad2(x, padding), tuple(kernel_hw), stride, dilation, (oh, ow))
    if groups == 1:
        return np.tensordot(g, win, axes=([0, 2, 3], [0, 4, 5]))
    cg, og = c // groups, o // groups
    parts = [
        np.tensordot(g[:, k * og : (k + 1) * og], win[:, k * cg : (k + 1) * cg], axes=([0, 2, 3], [0, 4, 5]))
        for k in range(groups)
    ]
    return np.concatenate(parts, axis=0)


def max_pool2d(x: np.ndarray, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
               ceil_mode: bool) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    n, c, h, w = x.shape
    kh, kw = kernel_size
    oh, ow = _conv_out(x.shape[2:], (kh, kw), stride, padding, dilation, ceil_mode)
    extra = (
        max(0, (oh - 1) * stride[0] + dilation[0] * (kh - 1) + 1 - h - 2 * padding[0]),
        max(0, (ow - 1) * stride[1] + dilation[1] * (kw - 1) + 1 - w - 2 * padding[1]),
    )
    xp = _pad2(x, padding, extra, float("-inf"))
    win = _windows(xp, (kh, kw), stride, dilation, (oh, ow)).transpose(0, 1, 4, 5, 2, 3).reshape(n, c, oh, ow, kh * kw)
    arg = win.argmax(-1)
    vals = np.take_along_axis(win, arg[..., None], -1)[..., 0]
    ki, kj = np.divmod(arg, kw)
    row = (np.arange(oh) * stride[0] - padding[0])[:, None] + ki * dilation[0]
    col = (np.arange(ow) * stride[1] - padding[1])[None, :] + kj * dilation[1]
    return vals, (row * w + col).astype(np.int64, copy=False)


def linear(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    out = np.matmul(x, w.T)  # BLAS reads the transpose in place
    if b is not None:
        out += b
    return out


KERNELS: dict[str, Kernel] = {
    # creation
    "full": full, "arange": arange, "astype": astype, "copy": copy, "copy_": copy_,
    # elementwise unary
    "neg": np.negative, "abs": abs_, "exp": np.exp, "log": np.log,
    "log1p": np.log1p, "expm1": np.expm1, "sqrt": np.sqrt,
    "rsqrt": rsqrt, "sin": np.sin, "cos": np.cos, "tanh": np.tanh,
    "sigmoid": sigmoid, "relu": relu,
    "erf": _erf(), "floor": _same_if_int(np.floor), "ceil": _same_if_int(np.ceil),
    "round": _same_if_int(np.round), "sign": sign, "reciprocal": np.reciprocal,
    "logical_not": np.logical_not, "isnan": np.isnan, "isfinite": np.isfinite,
    # elementwise binary
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide, "floor_divide": np.floor_divide,
    "remainder": np.remainder, "pow": np.power, "maximum": np.maximum, "minimum": np.minimum,
    "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
    "gt": np.greater, "ge": np.greater_equal,
    "logical_and": np.logical_and, "logical_or": np.logical_or, "logical_xor": np.logical_xor,
    "where": where,
    # reductions
    "sum": _reduce(np.add), "prod": _reduce(np.multiply), "amax": _reduce(np.maximum), "amin": _reduce(np.minimum),
    "all": _reduce(np.logical_and), "any": _reduce(np.logical_or), "argmax": _argext(np.argmax), "argmin": _argext(np.argmin),
    "cumsum": cumsum,
    # movement
    "view": view, "permute": np.transpose, "expand": expand, "cat": cat, "flip": flip,
    # indexing
    "slice": slice_, "index": index, "index_put": index_put, "gather": gather, "scatter": scatter,
    "scatter_add": scatter_add, "nonzero": nonzero,
    # linalg, sorting, random
    "matmul": matmul, "argsort": argsort, "random_bits": random_bits,
    # composite overrides
    "logsumexp": logsumexp, "softmax": softmax, "log_softmax": log_softmax,
    "conv2d": conv2d, "conv2d_input_grad": conv2d_input_grad, "conv2d_weight_grad": conv2d_weight_grad,
    "max_pool2d": max_pool2d, "linear": linear,
}  # fmt: skip


def _array_out(fn: Kernel) -> Kernel:
    """NumPy turns 0-d results into scalars; Ember's kernels return arrays (writable, viewable)."""

    def kernel(*args: Any) -> np.ndarray:
        out = fn(*args)
        return out if type(out) is np.ndarray else np.asarray(out)

    kernel.__name__ = getattr(fn, "__name__", "kernel")
    return kernel


for _name in (
    "neg", "abs", "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid", "relu", "erf",
    "floor", "ceil", "round", "sign", "reciprocal", "logical_not", "isnan", "isfinite", "add", "sub", "mul", "div",
    "floor_divide", "remainder", "pow", "maximum", "minimum", "logical_and", "logical_or", "logical_xor", "matmul",
    "eq", "ne", "lt", "le", "gt", "ge",
):  # fmt: skip
    KERNELS[_name] = _array_out(KERNELS[_name])


def _inplace(ufunc: np.ufunc) -> Kernel:
    def kernel(x: np.ndarray, y: Any) -> None:
        ufunc(x, y, out=x)

    kernel.__name__ = ufunc.__name__ + "_"
    return kernel


KERNELS.update(add_=_inplace(np.add), sub_=_inplace(np.subtract), mul_=_inplace(np.multiply), div_=_inplace(np.true_divide))

