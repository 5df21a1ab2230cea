"""Reductions along dims (`sum`, `prod`, `amax`, `argmax`, `all`, `cumsum`, ...) and their derivatives."""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from .. import dtypes as _dt
from ..dispatch import composite, primitive, public
from ..dtypes import DType
from ..tensor import Tensor
from ._run import call, cast, normalize_dims, refuse_complex, run, same_device, to_tensor, wrap_dim
from .movement import expand_to
from .return_types import return_type, values_indices


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
    shape = n.meta[0][0]
    if not g._shape:  # a full reduction (loss.sum()): the 0-d gradient, expanded (a view, no copy)
        return (expand_to(g, shape),)
    return (_expand_back(g, shape, axes, keepdim),)


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


SUM = _reduction("sum", "Sum over `axes` (already cast to the output dtype); float16/bfloat16 accumulate in float32 and round once, as PyTorch.", _sum_vjp)
SUM.complex = "complex"
PROD = _reduction("prod", "Product over `axes`.", _prod_vjp, save_inputs=True, save_out=True)
AMAX = _reduction("amax", "Maximum over `axes` (nan propagates).", _extreme_vjp, save_inputs=True, save_out=True)
AMIN = _reduction("amin", "Minimum over `axes` (nan propagates).", _extreme_vjp, save_inputs=True, save_out=True)
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
    return x._dtype if x._dtype.kind in "fc" else _dt.int64


def _reduce(op: Any, x: Tensor, dim: Any, keepdim: bool, dtype: DType) -> Tensor:
    axes = normalize_dims(dim, x.ndim, op.name)
    shape = _reduced_shape(x._shape, axes, keepdim)
    return run(op, x._device, (cast(x, dtype), axes, keepdim), shape, dtype, (x,), (axes, keepdim))


@public(method=True)
def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A001, A002
    """Sum over `dim` (all dims when None); ints and bools sum in int64."""
    x = input if type(input) is Tensor else to_tensor(input, "sum")
    if dtype is None and not keepdim and x._dtype.is_floating_point:
        shape = x._shape
        if dim is None:  # the common loss.sum()
            axes = tuple(range(len(shape)))
            return run(SUM, x._device, (x._data, axes, False), (), x._dtype, (x,), (axes, False))
        if type(dim) is int and -len(shape) <= dim < len(shape):  # one dim, e.g. a bias's gradient g.sum(0)
            d = dim % len(shape)
            return run(SUM, x._device, (x._data, (d,), False), shape[:d] + shape[d + 1 :], x._dtype, (x,), ((d,), False))
    return _reduce(SUM, x, dim, keepdim, _sum_dtype(x, dtype))


@public(method=True)
def prod(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """The product over `dim` (all dims when None); integers and bools multiply in int64."""
    x = to_tensor(input, "prod")
    return _reduce(PROD, x, dim, keepdim, _sum_dtype(x, dtype))


def _check_nonempty(x: Tensor, dim: Any, op: str, whole: type[Exception] = RuntimeError) -> None:
    """Refuse a reduction with no identity over an empty dim: IndexError for an empty dim; `whole` when no
    dim is given and the tensor is empty (PyTorch: RuntimeError for max/amax, IndexError for argmax)."""
    axes = normalize_dims(dim, x.ndim, op)
    if x.numel() == 0 and dim is None:
        raise whole(
            f"{op}(): Expected reduction dim to be specified for input.numel() == 0 (an empty tensor of shape "
            f"{x._shape}); specify the reduction dim with the dim argument"
        )
    if builtins.any(x._shape[a] == 0 for a in axes):
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
    refuse_complex(op.name, x)
    _check_nonempty(x, dim, op.name, IndexError)
    if dim is None:
        axis = None
        shape: tuple[int, ...] = tuple(1 for _ in x._shape) if keepdim else ()
    else:
        axis = wrap_dim(dim, x.ndim, op.name) if x.ndim else None
        shape = _reduced_shape(x._shape, (axis,) if axis is not None else (), keepdim)
    return run(op, x._device, (x._data, axis, keepdim), shape, _dt.int64)


def _refuse_bool(op: str, x: Tensor) -> None:
    if x._dtype is _dt.bool_:
        raise RuntimeError(f"{op}(): does not support bool input (shape {x._shape}); cast it first, e.g. with .int()")


@public(method=True)
def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    """The index of the first maximum along `dim` (of the flattened tensor when None), as int64."""
    _refuse_bool("argmax", input)
    return _arg(ARGMAX, input, dim, keepdim)


@public(method=True)
def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    """The index of the first minimum along `dim` (of the flattened tensor when None), as int64."""
    _refuse_bool("argmin", input)
    return _arg(ARGMIN, input, dim, keepdim)


def _extreme(op_all: Any, arg: Any, input: Tensor, dim: Any, keepdim: bool) -> Any:  # noqa: A002
    if isinstance(dim, Tensor):  # max(a, b): the elementwise form
        from .elementwise import maximum, minimum

        return (maximum if op_all is amax else minimum)(input, dim)
    name = "max" if op_all is amax else "min"
    _check_nonempty(input, dim, name)
    if dim is None:
        return op_all(input)
    if input.ndim == 0:  # one element along dim 0 (or -1): the value itself, at index 0
        wrap_dim(dim, 0, name)
        values, indices = _extreme(op_all, arg, input.reshape(1), 0, False)
        return values_indices(name, values, indices)
    indices = _arg(arg, input, dim, keepdim=True)  # (bool input allowed here, as PyTorch's max(x, dim))
    from .indexing import gather

    values = gather(input, dim, indices)
    if not keepdim and input.ndim:
        values, indices = values.squeeze(dim), indices.squeeze(dim)
    return values_indices(name, values, indices)


@public(method=True)
def max(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001, A002
    """The maximum (no dim), (values, indices) along `dim`, or the elementwise max with a tensor."""
    return _extreme(amax, ARGMAX, input, dim, keepdim)


@public(method=True)
def min(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001, A002
    """The minimum (no dim), (values, indices) along `dim`, or the elementwise min with a tensor."""
    return _extreme(amin, ARGMIN, input, dim, keepdim)


def _logical(op: Any, input: Tensor, dim: Any, keepdim: bool) -> Tensor:  # noqa: A002
    """all/any over `dim`; an explicit empty dim (`()`, `[]`) reduces nothing (each element's truth), and
    uint8 input gives uint8 (PyTorch's legacy rule), bool otherwise."""
    if isinstance(dim, (tuple, list)) and not dim:
        out = input != 0
    else:
        out = _reduce(op, input, dim, keepdim, _dt.bool_)
    return out.to(_dt.uint8) if input._dtype is _dt.uint8 else out


@public(method=True)
def all(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001, A002
    """Whether every element over `dim` (all dims when None) is nonzero, as bool (uint8 for uint8 input, as PyTorch)."""
    return _logical(ALL, input, dim, keepdim)


@public(method=True)
def any(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001, A002
    """Whether any element over `dim` (all dims when None) is nonzero, as bool (uint8 for uint8 input, as PyTorch)."""
    return _logical(ANY, input, dim, keepdim)


@public(method=True)
def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:  # noqa: A002
    """The number of nonzero elements over `dim` (all dims when None), as int64."""
    return sum(input != 0, dim)


@public(method=True)
def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """Arithmetic mean over `dim`; floating dtypes only, like PyTorch."""
    d = _dt.as_dtype(dtype) if dtype is not None else input._dtype
    if d.kind not in "fc":
        raise RuntimeError(
            f"mean: could not infer the output dtype: input dtype is {input._dtype.name}; "
            f"pass a floating or complex dtype=, or cast the input with .float()"
        )
    axes = normalize_dims(dim, input.ndim, "mean")
    n = 1
    for a in axes:
        n *= input._shape[a]
    if d.itemsize == 2 and d.kind == "f":  # float16/bfloat16: sum and divide in float32, round once (PyTorch)
        return mean(input, dim, keepdim, dtype=_dt.float32).to(d)
    s = sum(input, dim, keepdim, dtype=d)
    return s / n if n else s / 0.0


def _correction(dim: Any, unbiased: bool | None, correction: float | None) -> tuple[Any, float]:
    """PyTorch's forms of var/std: `var(x, unbiased)` (a bool where dim goes), `var(x, dim, unbiased, keepdim)`
    and `var(x, dim, correction=)`; Bessel's correction (1) unless told otherwise."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if correction is None:
        correction = 0 if unbiased is False else 1
    return dim, correction


@public(method=True)
def var(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *, correction: float | None = None) -> Tensor:  # noqa: A002
    """Variance over `dim` with Bessel's `correction` (1 by default, like PyTorch; `unbiased=False` is 0)."""
    if input._dtype.kind not in "fc":
        raise RuntimeError(
            f"std and var only support floating point and complex dtypes, got {input._dtype.name}; "
            f"cast the input with .float()"
        )
    dim, corr = _correction(dim, unbiased, correction)
    axes = normalize_dims(dim, input.ndim, "var")
    n = 1
    for a in axes:
        n *= input._shape[a]
    centered = input - mean(input, axes, keepdim=True)
    if centered._dtype.kind == "c":  # |x - mean|^2: a real variance, as PyTorch
        from .elementwise import abs as _abs

        centered = _abs(centered)
    return sum(centered * centered, axes, keepdim) / builtins.max(n - corr, 0)


@public(method=True)
def std(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *, correction: float | None = None) -> Tensor:  # noqa: A002
    """The standard deviation over `dim` with Bessel's correction by default (`correction=1`); its gradient
    is 0 where it is 0 (constant data), as PyTorch's, not nan."""
    return _safe_root(var(input, dim, unbiased, keepdim, correction=correction), 2)


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
    if builtins.any(x._shape[a] == 0 for a in axes):  # an empty sum: log(0) = -inf (no max to shift by)
        from .elementwise import exp, log

        return log(sum(exp(x), axes, keepdim))
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


# --------------------------------------------------------------------------- nan-aware sums, moments, extremes

# PyTorch's torch.return_types names (the repr says aminmax(min=..., max=...))
aminmax_result = return_type("aminmax", ("min", "max"))
histogram_result = return_type("histogram", ("hist", "bin_edges"))


def _float_only(x: Tensor, op: str, what: str = "floating point") -> None:
    if not x._dtype.is_floating_point:
        raise RuntimeError(f"{op}(): expected input to have {what} dtype but got {x._dtype.name}; cast it with .float()")


def _zero_nan(x: Tensor) -> Tensor:
    """x with nan replaced by 0 (the gradient there is 0); other dtypes unchanged."""
    from .elementwise import isnan

    return where(isnan(x), 0, x) if x._dtype.is_floating_point else x


@public(method=True)
def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """The sum over `dim` treating nan as 0; ints and bools sum in int64, like `sum`."""
    return sum(_zero_nan(to_tensor(input, "nansum")), dim, keepdim, dtype=dtype)


@public(method=True)
def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """The mean over `dim` of the elements that are not nan (nan where all are); floating dtypes only."""
    from .elementwise import isnan

    x = to_tensor(input, "nanmean")
    _float_only(x, "nanmean", "floating point or complex")
    if dtype is not None:
        x = x.to(_dt.as_dtype(dtype))
    count = sum(~isnan(x), dim, keepdim)
    return nansum(x, dim, keepdim) / count


def _moment_mean(fn: Any, input: Tensor, dim: Any, unbiased: bool | None, keepdim: bool, correction: float | None) -> tuple[Tensor, Tensor]:  # noqa: A002
    dim, corr = _correction(dim, unbiased, correction)
    return fn(input, dim, keepdim=keepdim, correction=corr), mean(input, dim, keepdim)


@public
def var_mean(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *, correction: float | None = None) -> tuple[Tensor, Tensor]:  # noqa: A002
    """(var, mean) over `dim` in one call; `correction` as in `var`."""
    return _moment_mean(var, input, dim, unbiased, keepdim, correction)


@public
def std_mean(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *, correction: float | None = None) -> tuple[Tensor, Tensor]:  # noqa: A002
    """(std, mean) over `dim` in one call; `correction` as in `std`."""
    return _moment_mean(std, input, dim, unbiased, keepdim, correction)


@public(method=True)
def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> Any:  # noqa: A002
    """(min, max) over `dim` (all dims when None) as the named tuple `aminmax(min, max)`."""
    x = to_tensor(input, "aminmax")
    axes = normalize_dims(dim, x.ndim, "aminmax")
    if builtins.any(x._shape[a] == 0 for a in axes) or (x.numel() == 0 and dim is None):
        raise RuntimeError(
            f"aminmax(): cannot compute aminmax over an empty dimension (dim={dim}, shape {x._shape}) "
            f"as the operation has no identity"
        )
    return aminmax_result(amin(x, dim, keepdim), amax(x, dim, keepdim))


# --------------------------------------------------------------------------- scans
# cumprod is a primitive (a scan kernel like cumsum's). cummax/cummin's indices and logcumsumexp are
# composites: one inclusive scan (Hillis-Steele: log2(n) steps of elementwise ops on shifted slices) that
# runs on every backend, which a backend may override with a kernel (NumPy's ufunc accumulate).


def _narrow(x: Tensor, axis: int, start: int, stop: int) -> Tensor:
    return x[(slice(None),) * axis + (slice(start, stop),)]


def _scan(xs: tuple[Tensor, ...], axis: int, combine: Any) -> tuple[Tensor, ...]:
    """Inclusive scan of the tuple `xs` along `axis` with the associative `combine(earlier, later)`."""
    from .movement import cat

    n = xs[0]._shape[axis]
    step = 1
    while step < n:
        lo = tuple(_narrow(t, axis, 0, n - step) for t in xs)
        hi = tuple(_narrow(t, axis, step, n) for t in xs)
        new = combine(lo, hi)
        xs = tuple(cat([_narrow(t, axis, 0, step), c], axis) for t, c in zip(xs, new))
        step *= 2
    return xs


def _scan_input(input: Tensor, dim: int, op: str) -> tuple[Tensor, int]:  # noqa: A002
    x = to_tensor(input, op)
    axis = wrap_dim(dim, x.ndim, op)
    return (x.reshape(1) if x.ndim == 0 else x), axis


def _cumprod_vjp(n: Any, g: Tensor) -> tuple[Tensor]:
    """PyTorch's cumprod derivative, exact with zeros. Without zeros: revcumsum(g * out) / x. With zeros, in
    O(n): that before a line's first zero z, at z the product before it times sum_{j >= z} g_j * prod_{z < k <= j}
    x_k, after it 0; a derivative that is itself differentiated (create_graph) takes PyTorch's O(n^2) form."""
    from ..autograd.grad_mode import state
    from .movement import cat

    x, out = n[0], n.out
    (axis,) = n.args
    length = x._shape[axis]
    is_zero = x == 0
    rev = (g * out).flip(axis).cumsum(axis).flip(axis)
    if state.enabled and length > 1 and bool(any(is_zero).item()):  # twice differentiable, column by column
        cols = []
        for k in range(length):
            after = cumprod(_narrow(x, axis, k + 1, length), axis)
            head = _narrow(out, axis, k - 1, k) if k else None
            omitted = cat([x.new_ones(_reduced_shape(x._shape, (axis,), True)), after], axis)
            if head is not None:
                omitted = omitted * head
            cols.append(sum(_narrow(g, axis, k, length) * omitted, axis, keepdim=True))
        return (cat(cols, axis),)
    zeros_so_far = cumsum(is_zero, axis)
    before = zeros_so_far == 0
    first_zero = is_zero & (zeros_so_far == 1)
    grad = where(before, rev / where(before, x, 1), 0)
    ones = x.new_ones(_reduced_shape(x._shape, (axis,), True))
    prev = cat([ones, _narrow(out, axis, 0, length - 1)], axis)
    tail = sum(where(before, 0, g * cumprod(where(before | first_zero, 1, x), axis)), axis, keepdim=True)
    return (grad + where(first_zero, prev * tail, 0),)


CUMPROD = primitive(
    "cumprod",
    "cumprod(x: array, axis: int) -> array",
    "Inclusive running product along `axis`, in x's dtype.",
    family="reduction",
    vjp=_cumprod_vjp,
    save_inputs=True,
    save_out=True,
)


@public(method=True, inplace=True)
def cumprod(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """The running product along `dim`; integers and bools multiply in int64 unless `dtype` is given."""
    x = to_tensor(input, "cumprod")
    d = _sum_dtype(x, dtype)
    axis = wrap_dim(dim, x.ndim, "cumprod")
    if x.ndim == 0:
        return x.to(d)
    return run(CUMPROD, x._device, (cast(x, d), axis), x._shape, d, (x,), (axis,))


def _cumext_indices_impl(x: Tensor, axis: int, largest: bool) -> Tensor:
    from .creation import arange
    from .elementwise import isnan

    shape = tuple(n if d == axis else 1 for d, n in enumerate(x._shape))
    idx = arange(x._shape[axis], device=x._device).reshape(shape).expand(x._shape)
    floating = x._dtype.is_floating_point

    def combine(a: tuple[Tensor, ...], b: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
        later = (b[0] >= a[0]) if largest else (b[0] <= a[0])
        if floating:
            later = later | isnan(b[0])
        return where(later, b[0], a[0]), where(later, b[1], a[1])

    with _no_grad():
        return _scan((x.detach(), idx), axis, combine)[1]


CUMEXT_INDICES = composite(
    "cumext_indices",
    "cumext_indices(x: array, axis: int, largest: bool) -> array of int64",
    "For each position along `axis`, the index of the running maximum (`largest`) or minimum so far: on ties "
    "the later index; nan counts as the extreme (the latest nan so far). x is at least 1-d.",
    family="reduction",
    impl=_cumext_indices_impl,
    vjp=None,
)


def _cumext(input: Tensor, dim: int, op: str) -> Any:  # noqa: A002
    """(values, indices) of the running max/min; ties and nan take the later index, like PyTorch.
    The indices come from `cumext_indices` (a scan, or a backend's kernel); the values are gathered
    from them, so the gradient reaches the element each value came from."""
    from .indexing import gather

    x, axis = _scan_input(input, dim, op)
    idx = call(CUMEXT_INDICES, (x.detach(),), (axis, op == "cummax"), x._shape, _dt.int64)
    values = gather(x, axis, idx)
    return values_indices(op, values.reshape(input._shape), idx.reshape(input._shape))


def _no_grad() -> Any:
    from ..autograd.grad_mode import no_grad

    return no_grad()


@public(method=True)
def cummax(input: Tensor, dim: int) -> Any:  # noqa: A002
    """(values, indices) of the running maximum along `dim`; ties take the last index, nan propagates."""
    return _cumext(input, dim, "cummax")


@public(method=True)
def cummin(input: Tensor, dim: int) -> Any:  # noqa: A002
    """(values, indices) of the running minimum along `dim`; ties take the last index, nan propagates."""
    return _cumext(input, dim, "cummin")


def _logaddexp(a: Tensor, b: Tensor) -> Tensor:
    """log(exp(a) + exp(b)) without overflow; -inf + -inf gives -inf, and the gradient at a == b splits evenly."""
    from .elementwise import exp, log1p

    first = a >= b
    hi, lo = where(first, a, b), where(first, b, a)
    infinite = (hi == float("inf")) | (hi == float("-inf"))
    out = hi + log1p(exp(where(infinite, 0.0, lo - hi)))
    return where(a.isnan() | b.isnan(), a + b, out)  # nan propagates, even past an inf


def _logcumsumexp_impl(x: Tensor, axis: int) -> Tensor:
    return _scan((x,), axis, lambda a, b: (_logaddexp(a[0], b[0]),))[0]


def _logcumsumexp_vjp(n: Any, g: Tensor) -> tuple[Tensor]:
    """grad_i = exp(x_i) * sum_{j >= i} g_j * exp(-out_j), summed in log space for g's positive and negative
    parts apart (PyTorch's formula), so it neither overflows nor loses the gradient of tiny terms."""
    from .elementwise import abs as _abs
    from .elementwise import exp, log

    x, out = n[0], n.out
    (axis,) = n.args
    log_g = log(_abs(g))
    low = float(np.finfo(g._dtype.numpy).min)  # not -inf: -inf - (-inf) would be nan in the second derivative

    def part(mask: Tensor) -> Tensor:
        y = where(mask, log_g, low) - out
        return exp(logcumsumexp(y.flip(axis), axis).flip(axis) + x)

    return (part(g > 0) - part(g < 0),)


LOGCUMSUMEXP = composite(
    "logcumsumexp",
    "logcumsumexp(x: array, axis: int) -> array",
    "log(cumsum(exp(x))) along `axis` without overflow (x floating, at least 1-d).",
    family="reduction",
    impl=_logcumsumexp_impl,
    vjp=_logcumsumexp_vjp,
    save_inputs=True,
    save_out=True,
)


@public(method=True)
def logcumsumexp(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    """log(cumsum(exp(input))) along `dim`, computed without overflow; floating dtypes only."""
    x0 = to_tensor(input, "logcumsumexp")
    if not x0._dtype.is_floating_point:
        raise NotImplementedError(f"logcumsumexp: not implemented for {x0._dtype.name} input; cast it with .float()")
    x, axis = _scan_input(x0, dim, "logcumsumexp")
    return call(LOGCUMSUMEXP, (x,), (axis,), x._shape, x._dtype).reshape(x0._shape)


# --------------------------------------------------------------------------- norms


def _safe_root(s: Tensor, p: float) -> Tensor:
    """s ** (1 / p) with a zero gradient (not inf * 0) where s is 0, as PyTorch's norm backward."""
    from .elementwise import pow as _pow
    from .elementwise import sqrt

    zero = s == 0
    safe = where(zero, 1.0, s)
    root = sqrt(safe) if p == 2 else _pow(safe, 1.0 / p)
    return where(zero, 0.0, root)


def _vector_norm(x: Tensor, p: float, dim: Any, keepdim: bool) -> Tensor:
    """The p-norm of x over `dim` (all dims when None), p a number (inf, -inf and 0 included)."""
    from .elementwise import abs as _abs
    from .elementwise import pow as _pow

    if p == 2:
        return _safe_root(sum(x * x, dim, keepdim), 2)
    a = _abs(x)
    if p == float("inf"):
        return amax(a, dim, keepdim) if a.numel() else sum(a, dim, keepdim)
    if p == float("-inf"):
        return amin(a, dim, keepdim)
    if p == 0:
        return sum((x != 0).to(x._dtype), dim, keepdim)
    if p == 1:
        return sum(a, dim, keepdim)
    if 0 < p < 1:  # |x|^p's derivative is infinite at 0: PyTorch's gradient there is 0, not inf * 0
        zero = a == 0
        return _safe_root(sum(where(zero, 0.0, _pow(where(zero, 1.0, a), p)), dim, keepdim), p)
    return _safe_root(sum(_pow(a, p), dim, keepdim), p)


@public(method=True)
def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:  # noqa: A002
    """The vector p-norm over `dim` (all elements when None): p a number (inf, -inf, 0 too) or "fro";
    "nuc" is the nuclear norm of a matrix (needs `ember.linalg.svdvals`). Floating dtypes only."""
    x = to_tensor(input, "norm")
    if dtype is not None and x._dtype.kind in "fc":  # integer input is refused below, dtype= or not
        x = x.to(_dt.as_dtype(dtype))
    if x._dtype.kind == "c" and p != "nuc":  # a vector norm of complex numbers: that of their moduli
        from .elementwise import abs as _abs

        x = _abs(x)
    if not x._dtype.is_floating_point:
        raise RuntimeError(f"norm: expected a floating point tensor as input, got {x._dtype.name}; cast it with .float()")
    if p == "fro" or p is None:
        return _vector_norm(x, 2, dim, keepdim)
    if p == "nuc":
        from .. import dispatch

        svdvals = dispatch.namespace("linalg").get("svdvals")
        axes = normalize_dims((-2, -1) if dim is None else dim, x.ndim, "norm")
        if len(axes) != 2:
            raise RuntimeError(f"norm: p='nuc' needs a matrix (2 dims), got dim={dim} of a tensor of shape {x._shape}")
        if svdvals is None:
            raise NotImplementedError("norm: p='nuc' needs the singular values (ember.linalg.svdvals), not available")
        from .movement import movedim

        m = movedim(movedim(x, axes[0], -2), axes[1] if axes[1] > axes[0] else axes[1] + 1, -1)
        out = sum(svdvals(m), -1)
        if keepdim:
            out = out.unsqueeze(axes[0]).unsqueeze(axes[1])
        return out
    if isinstance(p, str):
        raise RuntimeError(f"norm: p must be a number, 'fro' or 'nuc', got {p!r}")
    return _vector_norm(x, float(p), dim, keepdim)


@public(method=True)
def dist(input: Tensor, other: Tensor, p: float | Tensor = 2) -> Tensor:  # noqa: A002
    """The p-norm of `input - other` (broadcast), over all elements; p a number or a one-element tensor."""
    return norm(input - other, p.item() if isinstance(p, Tensor) else p)


@public(method=True, inplace=True)
def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:  # noqa: A002
    """Each slice along `dim` whose p-norm exceeds `maxnorm` scaled down to norm `maxnorm` (others unchanged)."""
    x = to_tensor(input, "renorm")
    if not x._dtype.is_floating_point:
        raise RuntimeError(f"renorm: expected a floating point tensor as input, got {x._dtype.name}; cast it with .float()")
    if x.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {x.ndim} dimensions (shape {x._shape})")
    if p <= 0:
        raise RuntimeError(f"renorm: non-positive norm not supported (p={p})")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    axis = wrap_dim(dim, x.ndim, "renorm")
    others = tuple(d for d in range(x.ndim) if d != axis)
    n = _vector_norm(x, float(p), others, True)
    return x * where(n > maxnorm, maxnorm / (n + 1e-7), 1.0)


# --------------------------------------------------------------------------- differences, trace


@public(method=True)
def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None, append: Tensor | None = None) -> Tensor:  # noqa: A002
    """The n-th forward difference along `dim` (`prepend`/`append` joined first); for bools, "not equal"."""
    from .movement import cat

    x = to_tensor(input, "diff")
    if x.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional (got a 0-d tensor)")
    if n < 0:
        raise RuntimeError(f"diff expects n to be non-negative, got {n}")
    axis = wrap_dim(dim, x.ndim, "diff")
    parts = [t for t in (prepend, x, append) if t is not None]
    if len(parts) > 1:
        for t in parts:
            if t.ndim != x.ndim:
                raise RuntimeError(
                    f"diff expects prepend or append to be the same dimension as input ({x.ndim}), got shape {t._shape}"
                )
        x = cat(parts, axis)
    for _ in range(n):
        k = x._shape[axis]
        if k == 0:
            break
        a, b = _narrow(x, axis, 1, k), _narrow(x, axis, 0, k - 1)
        x = (a != b) if x._dtype is _dt.bool_ else a - b
    return x


@public(method=True)
def trace(input: Tensor) -> Tensor:  # noqa: A002
    """The sum of the main diagonal of a matrix; integers and bools sum in int64."""
    x = to_tensor(input, "trace")
    if x.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x.ndim} (shape {x._shape})")
    rows, cols = x._shape
    k = builtins.min(rows, cols)
    diag = x.reshape(-1)[0 : k * (cols + 1) : cols + 1] if k else x.reshape(-1)[0:0]
    return sum(diag)


# --------------------------------------------------------------------------- counting


def _host_int(t: Tensor) -> int:
    return int(t.item())


@public(method=True)
def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:  # noqa: A002
    """Counts of each value 0..max(input) of a 1-d non-negative integer tensor (summed `weights` when given).

    Counts are int64; float32/float64 weights keep their dtype, other weights give float64."""
    from .creation import zeros
    from .indexing import scatter_add

    x = to_tensor(input, "bincount")
    if x._dtype.is_floating_point or x._dtype is _dt.bool_:
        raise NotImplementedError(f"bincount: not implemented for {x._dtype.name} input; it counts integers")
    if minlength < 0:
        raise RuntimeError(f"bincount: minlength should be >= 0, got {minlength}")
    if x.ndim != 1 or (x.numel() and _host_int(amin(x)) < 0):
        raise RuntimeError(
            f"bincount only supports 1-d non-negative integral inputs (got shape {x._shape}, dtype {x._dtype.name})"
        )
    if weights is not None:
        same_device("bincount", (x, weights))
    if weights is not None and weights._shape != x._shape:
        raise RuntimeError(f"bincount: weights should have the same shape as input, got {weights._shape} and {x._shape}")
    length = builtins.max(minlength, _host_int(amax(x)) + 1 if x.numel() else 0)
    if weights is None:
        src, dt = x.new_ones(x._shape, dtype=_dt.int64), _dt.int64
    else:
        dt = weights._dtype if weights._dtype in (_dt.float32, _dt.float64) else _dt.float64
        src = weights.to(dt)
    return scatter_add(zeros(length, dtype=dt, device=x._device), 0, x.to(_dt.int64), src)


def _histc_range(x: Tensor, lo: float, hi: float, op: str) -> tuple[float, float]:
    """PyTorch's range rule: (min, max) of the data when both are equal, widened by 1 when still equal."""
    lo, hi = float(lo), float(hi)
    if lo > hi:
        raise RuntimeError(f"{op}: max must be larger than min (got min={lo}, max={hi})")
    if lo == hi and x.numel():  # the data's range (nan when the data has nan: an error below, as PyTorch)
        lo, hi = float(amin(x).item()), float(amax(x).item())
        if math.isnan(lo) or math.isnan(hi):
            lo = hi = math.nan
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"{op}: range of [{lo}, {hi}] is not finite")
    return lo, hi


def _histogram_range(x: Tensor, range: Any) -> tuple[float, float]:  # noqa: A002
    """PyTorch's (and NumPy's) rule for histogram: `range` as given, else the data's (0, 1) when empty);
    widened by 0.5 on each side when both ends are equal."""
    if range is not None:
        lo, hi = float(range[0]), float(range[1])
    elif x.numel():
        lo, hi = float(amin(x).item()), float(amax(x).item())
    else:
        lo, hi = 0.0, 1.0
    if lo > hi:
        raise RuntimeError(f"histogram: min should not exceed max, but got min {lo} max {hi}")
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"histogram: range of [{lo}, {hi}] is not finite")
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi


def _count_bins(x: Tensor, bins: Tensor, inside: Tensor, nbins: int, weight: Tensor | None) -> Tensor:
    """hist[b] = number (or summed weight) of the elements with `inside` set and bin index `bins`."""
    from .creation import zeros
    from .indexing import scatter_add

    w = inside.to(x._dtype) if weight is None else where(inside, weight.reshape(-1).to(x._dtype), 0)
    return scatter_add(zeros(nbins, dtype=x._dtype, device=x._device), 0, where(inside, bins, 0), w)


@public(method=True)
def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
    """A histogram of `bins` equal bins over [min, max] (the data's range when min == max); elements outside
    (and nan) are ignored, max falls into the last bin. Floating dtypes only; the counts have input's dtype."""
    from .elementwise import floor

    x = to_tensor(input, "histc")
    if not x._dtype.is_floating_point:
        raise NotImplementedError(f"histc: not implemented for {x._dtype.name} input; cast it with .float()")
    if bins <= 0:
        raise RuntimeError(f"histc: bins must be > 0, got {bins}")
    flat = x.detach().reshape(-1)
    lo, hi = _histc_range(flat, min, max, "histc")
    inside = (flat >= lo) & (flat <= hi)
    pos = floor((flat - lo) * (bins / (hi - lo))).to(_dt.int64).clamp(0, bins - 1)
    return _count_bins(flat, pos, inside, bins, None)


@public(method=True)
def histogram(input: Tensor, bins: Any, *, range: Any = None, weight: Tensor | None = None, density: bool = False) -> Any:  # noqa: A002
    """(hist, bin_edges): `bins` equal bins over `range` (the data's range by default) or the given
    increasing edges; the last bin includes its right edge. `density` normalizes to a unit integral."""
    from .creation import linspace
    from .sorting import searchsorted

    x = to_tensor(input, "histogram")
    if not x._dtype.is_floating_point:
        raise NotImplementedError(f"histogram: not implemented for {x._dtype.name} input; cast it with .float()")
    if weight is not None and weight._shape != x._shape:
        raise RuntimeError(f"histogram: weight should have the same shape as input, got {weight._shape} and {x._shape}")
    if isinstance(bins, Tensor):
        if bins.ndim != 1 or bins.numel() < 1:
            raise RuntimeError(f"histogram: bins tensor should have one dimension and at least 1 element, got {bins._shape}")
        if bins._dtype is not x._dtype:
            raise RuntimeError(
                f"histogram: input tensor and bins tensors should have the same dtype, got {x._dtype.name} and {bins._dtype.name}"
            )
        edges = bins
    else:
        if bins <= 0:
            raise RuntimeError(f"histogram: bins must be > 0, got {bins}")
        lo, hi = _histogram_range(x.detach().reshape(-1), range)
        edges = linspace(lo, hi, int(bins) + 1, dtype=x._dtype, device=x._device)
    nb = edges.numel() - 1
    flat = x.detach().reshape(-1)
    if nb < 1:
        return histogram_result(x.new_zeros(0), edges)
    first, last = edges[0], edges[nb]
    inside = (flat >= first) & (flat <= last)
    pos = (searchsorted(edges, flat, right=True) - 1).clamp(0, nb - 1)
    hist = _count_bins(flat, pos, inside, nb, weight.detach() if weight is not None else None)
    if density:
        hist = hist / (sum(hist) * (edges[1:] - edges[:-1]))
    return histogram_result(hist, edges)
