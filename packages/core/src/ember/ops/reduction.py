"""Reductions along dims (`sum`, `prod`, `amax`, `argmax`, `all`, `cumsum`, ...) and their derivatives."""

from __future__ import annotations

import builtins
from collections import namedtuple
from typing import Any

from .. import dtypes as _dt
from ..dispatch import composite, primitive, public
from ..dtypes import DType
from ..tensor import Tensor
from ._run import call, cast, normalize_dims, run, to_tensor, wrap_dim
from .movement import expand_to

values_indices = namedtuple("values_indices", ["values", "indices"])


def _reduced_shape(shape: tuple[int, ...], axes: tuple[int, ...], keepdim: bool) -> tuple[int, ...]:
    if keepdim:
        return tuple(1 if i in axes else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def _expand_back(g: Tensor, shape: tuple[int, ...], axes: tuple[int, ...], keepdim: bool) -> Tensor:
    """A reduced gradient broadcast back over the reduced axes."""
    if not keepdim and axes and len(axes) < len(shape):
        kept = _reduced_shape(shape, axes, True)
        g = g.reshape(kept)
    return expand_to(g, shape)


def _sum_vjp(n: Any, g: Tensor) -> tuple[Tensor]:
    axes, keepdim = n.args
    return (_expand_back(g, n.meta[0][0], axes, keepdim),)


def _prod_vjp(n: Any, g: Tensor) -> tuple[Tensor]:
    x = n[0]
    axes, keepdim = n.args
    shape = x._shape
    out = _expand_back(n.out, shape, axes, keepdim)
    ge = _expand_back(g, shape, axes, keepdim)
    is_zero = x == 0
    zeros = sum(is_zero, axes, keepdim=True).expand(shape)
    others = _expand_back(prod(where(is_zero, 1, x), axes, keepdim=True), shape, axes, True)
    safe = where(is_zero, 1, x)
    return (ge * where(is_zero, where(zeros == 1, others, 0), out / safe),)


def _extreme_vjp(n: Any, g: Tensor) -> tuple[Tensor]:
    x = n[0]
    axes, keepdim = n.args
    out = _expand_back(n.out, x._shape, axes, keepdim)
    mask = (x == out).to(g._dtype)
    count = sum(mask, axes, keepdim=True)
    return (_expand_back(g, x._shape, axes, keepdim) * mask / count,)


def _reduction(name: str, doc: str, vjp: Any = None, **kw: Any) -> Any:
    return primitive(
        name,
        f"{name}(x: array, axes: tuple[int, ...], keepdim: bool) -> array",
        doc + " `axes` is sorted, non-negative, possibly empty (then: identity of shape).",
        family="reduction",
        vjp=vjp,
        differentiable=vjp is not None,
        **kw,
    )


SUM = _reduction("sum", "Sum over `axes` (already cast to the output dtype).", _sum_vjp)
PROD = _reduction("prod", "Product over `axes`.", _prod_vjp, save_inputs=True, save_out=True)
AMAX = _reduction("amax", "Maximum over `axes` (nan propagates); axes are non-empty.", _extreme_vjp, save_inputs=True, save_out=True)
AMIN = _reduction("amin", "Minimum over `axes` (nan propagates); axes are non-empty.", _extreme_vjp, save_inputs=True, save_out=True)
ALL = _reduction("all", "Logical and over `axes` of a bool array, as bool.")
ANY = _reduction("any", "Logical or over `axes` of a bool array, as bool.")
ARGMAX = primitive(
    "argmax",
    "argmax(x: array, axis: int | None, keepdim: bool) -> array of int64",
    "Index of the first maximum along `axis` (over the flattened array when None; nan counts as maximum).",
    family="reduction",
    differentiable=False,
)
ARGMIN = primitive(
    "argmin",
    "argmin(x: array, axis: int | None, keepdim: bool) -> array of int64",
    "Index of the first minimum along `axis` (over the flattened array when None; nan counts as minimum).",
    family="reduction",
    differentiable=False,
)
CUMSUM = primitive(
    "cumsum",
    "cumsum(x: array, axis: int) -> array",
    "Inclusive running sum along `axis`, in x's dtype.",
    family="reduction",
    vjp=lambda n, g: (g.flip(n.args[0]).cumsum(n.args[0]).flip(n.args[0]),),
)


def _sum_dtype(x: Tensor, dtype: Any) -> DType:
    if dtype is not None:
        return _dt.as_dtype(dtype)
    return x._dtype if x._dtype.is_floating_point else _dt.int64


def _reduce(op: Any, x: Tensor, dim: Any, keepdim: bool, dtype: DType) -> Tensor:
    axes = normalize_dims(dim, x.ndim, op.name)
    shape = _reduced_shape(x._shape, axes, keepdim)
    return run(op, x._device, (cast(x, dtype), axes, keepdim), shape, dtype, (x,), (axes, keepdim))


@public(method=True)
def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A001, A002
    """Sum over `dim` (all dims when None); ints and bools sum in int64."""
    x = input if type(input) is Tensor else to_tensor(input, "sum")
    if dim is None and not keepdim and dtype is None and x._dtype.is_floating_point:  # the common loss.sum()
        axes = tuple(range(len(x._shape)))
        return run(SUM, x._device, (x._data, axes, False), (), x._dtype, (x,), (axes, False))
    return _reduce(SUM, x, dim, keepdim, _sum_dtype(x, dtype))


@public(method=True)
def prod(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """The product over `dim` (all dims when None); integers and bools multiply in int64."""
    x = to_tensor(input, "prod")
    return _reduce(PROD, x, dim, keepdim, _sum_dtype(x, dtype))


def _check_nonempty(x: Tensor, dim: Any, op: str) -> None:
    axes = normalize_dims(dim, x.ndim, op)
    if builtins.any(x._shape[a] == 0 for a in axes) or (x.numel() == 0 and dim is None):
        raise IndexError(
            f"{op}: cannot reduce a tensor of shape {x._shape} over an empty dimension (dim={dim}); "
            f"the operation has no identity"
        )


@public(method=True)
def amax(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    """The maximum over `dim` (all dims when None); nan propagates; the gradient is shared evenly by ties."""
    _check_nonempty(input, dim, "amax")
    return _reduce(AMAX, input, dim, keepdim, input._dtype)


@public(method=True)
def amin(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    """The minimum over `dim` (all dims when None); nan propagates; the gradient is shared evenly by ties."""
    _check_nonempty(input, dim, "amin")
    return _reduce(AMIN, input, dim, keepdim, input._dtype)


def _arg(op: Any, x: Tensor, dim: int | None, keepdim: bool) -> Tensor:
    _check_nonempty(x, dim, op.name)
    if dim is None:
        axis = None
        shape: tuple[int, ...] = tuple(1 for _ in x._shape) if keepdim else ()
    else:
        axis = wrap_dim(dim, x.ndim, op.name) if x.ndim else None
        shape = _reduced_shape(x._shape, (axis,) if axis is not None else (), keepdim)
    return run(op, x._device, (x._data, axis, keepdim), shape, _dt.int64)


@public(method=True)
def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    """The index of the first maximum along `dim` (of the flattened tensor when None), as int64."""
    return _arg(ARGMAX, input, dim, keepdim)


@public(method=True)
def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    """The index of the first minimum along `dim` (of the flattened tensor when None), as int64."""
    return _arg(ARGMIN, input, dim, keepdim)


def _extreme(op_all: Any, arg: Any, input: Tensor, dim: Any, keepdim: bool) -> Any:  # noqa: A002
    if isinstance(dim, Tensor):  # max(a, b): the elementwise form
        from .elementwise import maximum, minimum

        return (maximum if op_all is amax else minimum)(input, dim)
    if dim is None:
        return op_all(input)
    if input.ndim == 0:  # one element along dim 0 (or -1): the value itself, at index 0
        wrap_dim(dim, 0, "max" if op_all is amax else "min")
        values, indices = _extreme(op_all, arg, input.reshape(1), 0, False)
        return values_indices(values, indices)
    indices = arg(input, dim, keepdim=True)
    from .indexing import gather

    values = gather(input, dim, indices)
    if not keepdim and input.ndim:
        values, indices = values.squeeze(dim), indices.squeeze(dim)
    return values_indices(values, indices)


@public(method=True)
def max(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001, A002
    """The maximum (no dim), (values, indices) along `dim`, or the elementwise max with a tensor."""
    return _extreme(amax, argmax, input, dim, keepdim)


@public(method=True)
def min(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001, A002
    """The minimum (no dim), (values, indices) along `dim`, or the elementwise min with a tensor."""
    return _extreme(amin, argmin, input, dim, keepdim)


@public(method=True)
def all(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001, A002
    """Whether every element over `dim` (all dims when None) is nonzero, as bool."""
    return _reduce(ALL, input, dim, keepdim, _dt.bool_)


@public(method=True)
def any(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001, A002
    """Whether any element over `dim` (all dims when None) is nonzero, as bool."""
    return _reduce(ANY, input, dim, keepdim, _dt.bool_)


@public(method=True)
def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:  # noqa: A002
    """The number of nonzero elements over `dim` (all dims when None), as int64."""
    return sum(input != 0, dim)


@public(method=True)
def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """Arithmetic mean over `dim`; floating dtypes only, like PyTorch."""
    d = _dt.as_dtype(dtype) if dtype is not None else input._dtype
    if not d.is_floating_point:
        raise RuntimeError(
            f"mean: could not infer the output dtype: input dtype is {input._dtype.name}; "
            f"pass a floating dtype=, or cast the input with .float()"
        )
    axes = normalize_dims(dim, input.ndim, "mean")
    n = 1
    for a in axes:
        n *= input._shape[a]
    s = sum(input, dim, keepdim, dtype=d)
    return s / n if n else s / 0.0


@public(method=True)
def var(input: Tensor, dim: Any = None, *, correction: float = 1, keepdim: bool = False, unbiased: bool | None = None) -> Tensor:  # noqa: A002
    """Variance over `dim` with Bessel's `correction` (1 by default, like PyTorch)."""
    if unbiased is not None:
        correction = 1 if unbiased else 0
    axes = normalize_dims(dim, input.ndim, "var")
    n = 1
    for a in axes:
        n *= input._shape[a]
    centered = input - mean(input, axes, keepdim=True)
    return sum(centered * centered, axes, keepdim) / builtins.max(n - correction, 0)


@public(method=True)
def std(input: Tensor, dim: Any = None, *, correction: float = 1, keepdim: bool = False, unbiased: bool | None = None) -> Tensor:  # noqa: A002
    """The standard deviation over `dim` with Bessel's correction by default (`correction=1`)."""
    from .elementwise import sqrt

    return sqrt(var(input, dim, correction=correction, keepdim=keepdim, unbiased=unbiased))


def _logsumexp_impl(x: Tensor, axes: tuple[int, ...], keepdim: bool) -> Tensor:
    from .elementwise import exp, isfinite, log

    m = amax(x, axes, keepdim=True).detach()
    m = where(isfinite(m), m, 0)
    out = log(sum(exp(x - m), axes, keepdim=True)) + m
    return out if keepdim else out.squeeze(axes) if axes else out


def _logsumexp_vjp(n: Any, g: Tensor) -> tuple[Tensor]:
    from .elementwise import exp

    x = n[0]
    axes, keepdim = n.args
    return (_expand_back(g, x._shape, axes, keepdim) * exp(x - _expand_back(n.out, x._shape, axes, keepdim)),)


LOGSUMEXP = composite(
    "logsumexp",
    "logsumexp(x: array, axes: tuple[int, ...], keepdim: bool) -> array",
    "log(sum(exp(x))) over `axes`, computed without overflow (shift by the max).",
    family="reduction",
    impl=_logsumexp_impl,
    vjp=_logsumexp_vjp,
    save_inputs=True,
    save_out=True,
)


@public(method=True)
def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:  # noqa: A002
    """log(sum(exp(input), dim)), stable for large inputs."""
    x = input if input._dtype.is_floating_point else input.to(_dt.get_default_dtype())
    axes = normalize_dims(dim, x.ndim, "logsumexp")
    return call(LOGSUMEXP, (x,), (axes, keepdim), _reduced_shape(x._shape, axes, keepdim), x._dtype)


@public(method=True)
def cumsum(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """The running sum along `dim`; integers and bools sum in int64 unless `dtype` is given."""
    x = to_tensor(input, "cumsum")
    d = _sum_dtype(x, dtype)
    axis = wrap_dim(dim, x.ndim, "cumsum")
    if x.ndim == 0:
        return x.to(d)
    out = run(CUMSUM, x._device, (cast(x, d), axis), x._shape, d, (x,), (axis,))
    return out


@public(method=True)
def sum_to_size(input: Tensor, *size: Any) -> Tensor:  # noqa: A002
    """Sum `input` down to `size`, undoing a broadcast (leading dims and dims of size 1)."""
    from .creation import size_arg

    shape = size_arg(size, "sum_to_size")
    if input._shape == shape:
        return input
    lead = input.ndim - len(shape)
    if lead < 0:
        raise RuntimeError(f"sum_to_size: size {shape} is not expandable to the tensor's shape {input._shape}")
    axes = list(range(lead))
    for i, s in enumerate(shape):
        if s == 1 and input._shape[lead + i] != 1:
            axes.append(lead + i)
        elif s != input._shape[lead + i]:
            raise RuntimeError(f"sum_to_size: size {shape} is not expandable to the tensor's shape {input._shape}")
    out = sum(input, tuple(axes), keepdim=True) if axes else input
    return out.reshape(shape)


def where(cond: Any, a: Any, b: Any) -> Tensor:
    from .elementwise import where as _where

    return _where(cond, a, b)
