"""Sorting: `argsort` (the primitive), and `sort` and `topk` built on it with `gather`."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes as _dt
from ..dispatch import primitive, public
from ..tensor import Tensor
from ._run import refuse_complex, run, to_tensor, wrap_dim
from .elementwise import where
from .indexing import gather
from .return_types import values_indices

ARGSORT = primitive(
    "argsort",
    "argsort(x: array, axis: int, descending: bool) -> array of int64",
    "Indices that sort x along `axis`, stably (equal elements keep their order) in either direction; "
    "nan sorts as the largest value.",
    family="sorting",
    differentiable=False,
)


@public(method=True)
def argsort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:  # noqa: A002
    """Indices that sort `input` along `dim` (always stable, whatever `stable` says)."""
    refuse_complex("argsort", input)
    if input.ndim == 0:  # sorting one element: index 0
        from .creation import zeros

        return zeros((), dtype=_dt.int64, device=input._device)
    axis = wrap_dim(dim, input.ndim, "argsort")
    return run(ARGSORT, input._device, (input._data, axis, descending), input._shape, _dt.int64)


@public(method=True)
def sort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:  # noqa: A002
    """(values, indices) of `input` sorted along `dim` (always stable); gradients flow to the values' positions."""
    idx = argsort(input, dim, descending)
    if input.ndim == 0:
        return values_indices("sort", input.clone(), idx)
    return values_indices("sort", gather(input, dim, idx), idx)


@public(method=True)
def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
    """The `k` largest (or smallest) values along `dim` and their indices."""
    axis = wrap_dim(dim, input.ndim, "topk") if input.ndim else 0
    n = input._shape[axis] if input.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk: k ({k}) is out of range for dimension {axis} of size {n} (shape {input._shape})")
    if input.ndim == 0 and k == 1:  # a 0-d tensor is its own top 1, at index 0
        return values_indices("topk", *sort(input, 0, descending=largest))
    idx = argsort(input, axis, descending=largest)
    idx = idx[(slice(None),) * axis + (slice(0, k),)]
    return values_indices("topk", gather(input, axis, idx), idx)


@public(method=True)
def msort(input: Tensor) -> Tensor:  # noqa: A002
    """`input` sorted along its first dim (ascending; nan last)."""
    return sort(input, 0).values


# --------------------------------------------------------------------------- order statistics
# median, nanmedian, kthvalue, mode and quantile pick positions in the stably sorted line (nan sorts
# last), so the chosen element's original index comes with it and the gradient flows to it (gather).


def _line(input: Tensor, dim: int, op: str) -> tuple[Tensor, int]:  # noqa: A002
    """`input` (a 0-d one as 1-d) and its wrapped `dim`, refusing an empty line."""
    x = to_tensor(input, op)
    axis = wrap_dim(dim, x.ndim, op)
    if x.ndim == 0:
        x = x.reshape(1)
    if x._shape[axis] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {axis} to have non-zero size (shape {x._shape})")
    return x, axis


def _pick(input: Tensor, x: Tensor, axis: int, pos: Tensor, keepdim: bool, indices_of: Tensor, op: str) -> Any:  # noqa: A002
    """(values, indices) at sorted positions `pos` (keepdim shape) of each line, shaped as a reduction."""
    idx = gather(indices_of, axis, pos)
    values = gather(x, axis, idx)
    if not keepdim:
        values, idx = values.squeeze(axis), idx.squeeze(axis)
    if input.ndim == 0:
        values, idx = values.reshape(()), idx.reshape(())
    return values_indices(op, values, idx)


def _nan_count(x: Tensor, axis: int) -> Tensor:
    from .elementwise import isnan
    from .reduction import sum as _sum

    if not x._dtype.is_floating_point:
        return _sum(x != x, axis, keepdim=True)  # zeros, int64
    return _sum(isnan(x), axis, keepdim=True)


def _median(input: Tensor, dim: Any, keepdim: bool, op: str) -> Any:  # noqa: A002
    from .creation import full

    x0 = to_tensor(input, op)
    if dim is None:
        if x0.numel() == 0:  # nan (integers: nan cast as PyTorch does it, to the lowest value)
            fill = float("nan") if x0._dtype.is_floating_point else int(np.iinfo(x0._dtype.numpy).min)
            return full((), fill, dtype=x0._dtype, device=x0._device)
        return _median(x0.reshape(-1), 0, False, op).values
    x, axis = _line(x0, dim, op)
    n = x._shape[axis]
    order = argsort(x, axis)
    nans = _nan_count(x, axis)
    if op == "median":  # a line with nan: its first nan (the first nan in stable sorted order)
        pos = where(nans > 0, n - nans, (n - 1) // 2)
    else:  # the lower median of the values that are not nan (the first element when all are nan)
        pos = ((n - nans - 1) // 2).clamp(min=0)
    return _pick(x0, x, axis, pos, keepdim, order, op)


@public(method=True)
def median(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A002
    """The lower median (of an even count, the smaller middle value, not the average): a tensor over all
    elements, or (values, indices) along `dim`. nan propagates (a line with nan gives its first nan)."""
    return _median(input, dim, keepdim, "median")


@public(method=True)
def nanmedian(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A002
    """`median` ignoring nan: the lower median of the values that are not nan (nan where all are)."""
    return _median(input, dim, keepdim, "nanmedian")


@public(method=True)
def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:  # noqa: A002
    """(values, indices) of the k-th smallest element (1-based) along `dim` (nan counts as the largest)."""
    from .creation import full

    x, axis = _line(input, dim, "kthvalue")
    n = x._shape[axis]
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k={k} out of range for dimension {axis} of size {n}")
    order = argsort(x, axis)
    shape = tuple(1 if d == axis else s for d, s in enumerate(x._shape))
    return _pick(input, x, axis, full(shape, k - 1, dtype=_dt.int64, device=x._device), keepdim, order, "kthvalue")


@public(method=True)
def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> Any:  # noqa: A002
    """(values, indices) of the most frequent value along `dim`: the smallest one on a tie of counts,
    with the index of its last occurrence (as PyTorch on the CPU). nan gives no defined result."""
    from .creation import arange, full
    from .movement import cat
    from .reduction import _narrow, argmax, cummax

    x, axis = _line(input, dim, "mode")
    n = x._shape[axis]
    order = argsort(x, axis)
    sv = gather(x.detach(), axis, order)
    first = full(tuple(1 if d == axis else s for d, s in enumerate(x._shape)), True, device=x._device)
    new = cat([first, _narrow(sv, axis, 1, n) != _narrow(sv, axis, 0, n - 1)], axis)
    shape = tuple(s if d == axis else 1 for d, s in enumerate(x._shape))
    at = arange(n, device=x._device).reshape(shape).expand(x._shape)
    start = cummax(where(new, at, 0), axis).values
    pos = argmax(at - start, axis, keepdim=True)  # the end of the first longest run
    return _pick(input, x, axis, pos, keepdim, order, "mode")


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input: Tensor, q: Any, dim: int | None, keepdim: bool, interpolation: str, op: str) -> Tensor:  # noqa: A002
    from .creation import full
    from .elementwise import floor
    from .elementwise import round as _round

    x = to_tensor(input, op)
    if x._dtype not in (_dt.float32, _dt.float64):
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype, got {x._dtype.name}")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{op}() interpolation must be one of {', '.join(_INTERPOLATIONS)}. Got {interpolation!r}")
    if x.numel() == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty (shape {x._shape})")
    scalar_q = not isinstance(q, Tensor)
    if scalar_q:
        qt = full((1,), float(q), dtype=x._dtype, device=x._device)
        qs = [float(q)]
    else:
        if q._dtype is not x._dtype:
            raise RuntimeError(f"{op}() q tensor must be same dtype as the input tensor ({q._dtype.name} vs {x._dtype.name})")
        if q.ndim > 1:
            raise RuntimeError(f"{op}() q must be a scalar or 1D tensor, got shape {q._shape}")
        scalar_q = q.ndim == 0
        qt = q.reshape(-1)
        qs = [float(v) for v in qt.tolist()]
    for v in qs:
        if not 0 <= v <= 1:
            raise RuntimeError(f"{op}() q must be in the range [0, 1] but got {v}")
    if dim is None:
        line, axis = x.reshape(-1), 0
        out_shape: tuple[int, ...] = tuple(1 for _ in x._shape) if keepdim else ()
    else:
        axis = wrap_dim(dim, x.ndim, op)
        line = x.reshape(1) if x.ndim == 0 else x
        out_shape = tuple(1 if d == axis else s for d, s in enumerate(x._shape)) if keepdim else tuple(
            s for d, s in enumerate(x._shape) if d != axis
        )
    line = line.movedim(axis, -1)
    n = line._shape[-1]
    sv = sort(line, -1).values  # (..., n), nan last
    nans = _nan_count(line, -1)  # (..., 1)
    valid = n - nans if op == "nanquantile" else full(nans._shape, n, dtype=_dt.int64, device=x._device)
    rank = qt * (valid - 1).to(x._dtype)  # (..., Q)
    if interpolation == "lower":
        rank = floor(rank)
    elif interpolation == "higher":
        rank = -floor(-rank)
    elif interpolation == "nearest":
        rank = _round(rank)
    lo = floor(rank)
    last = (valid - 1).clamp(min=0)
    ilo = lo.to(_dt.int64).clamp(min=0)
    ilo = where(ilo > last, last, ilo)
    ihi = (-floor(-rank)).to(_dt.int64).clamp(min=0)
    ihi = where(ihi > last, last, ihi)
    vlo, vhi = gather(sv, -1, ilo), gather(sv, -1, ihi)
    if interpolation == "midpoint":
        frac: Any = where(rank > lo, 0.5, 0.0)
    elif interpolation == "linear":
        frac = rank - lo
    else:
        frac = 0.0
    out = vlo + frac * (vhi - vlo) if interpolation in ("linear", "midpoint") else vlo
    bad = (nans > 0) if op == "quantile" else (valid == 0)
    out = where(bad, float("nan"), out)  # (..., Q)
    out = out.movedim(-1, 0).reshape((len(qs), *out_shape))
    return out.reshape(out_shape) if scalar_q else out


@public(method=True)
def quantile(input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *, interpolation: str = "linear") -> Tensor:  # noqa: A002
    """The q-th quantiles along `dim` (of all elements when None); q a number or a 1-d tensor (its values
    become the first dim). `interpolation` between the two nearest ranks: linear, lower, higher,
    midpoint or nearest. A line with nan gives nan."""
    return _quantile(input, q, dim, keepdim, interpolation, "quantile")


@public(method=True)
def nanquantile(input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *, interpolation: str = "linear") -> Tensor:  # noqa: A002
    """`quantile` ignoring nan (nan where a line is all nan)."""
    return _quantile(input, q, dim, keepdim, interpolation, "nanquantile")


# --------------------------------------------------------------------------- searching

SEARCHSORTED = primitive(
    "searchsorted",
    "searchsorted(sorted_sequence: array, values: array, right: bool) -> array of int64",
    "For each element of `values`, how many elements of its line of `sorted_sequence` are less than it "
    "(`right`: less than or equal), i.e. where it would be inserted to keep the line sorted. `sorted_sequence` "
    "is 1-d (one line for every value) or has `values`' leading dims (one line per row of `values`' last dim); "
    "both have one dtype and neither is empty along the searched dim unless the result is; nan counts as "
    "the largest value. The result has `values`' shape.",
    family="sorting",
    differentiable=False,
)


@public
def searchsorted(
    sorted_sequence: Tensor,
    input: Any,  # noqa: A002
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
    sorter: Tensor | None = None,
) -> Tensor:
    """Indices at which `input`'s elements would be inserted into the innermost dim of `sorted_sequence`
    to keep it sorted (`right`/`side="right"`: after equal elements); `sorter` sorts an unsorted sequence."""
    from ._run import same_device

    seq = to_tensor(sorted_sequence, "searchsorted")
    scalar = not isinstance(input, Tensor)
    values = to_tensor(input, "searchsorted", like=seq)
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side!r}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                               "while right was True")  # fmt: skip
        right = side == "right"
    if seq.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions "
                           f"of boundaries tensor and input value tensor must match, but we got boundaries tensor {seq._shape}")  # fmt: skip
    if scalar and seq.ndim != 1:
        raise RuntimeError(f"torch.searchsorted(): input value can be a scalar only when boundaries tensor dimension "
                           f"is 1, but we got boundaries tensor dim({seq.ndim})")  # fmt: skip
    if seq.ndim > 1 and (values.ndim != seq.ndim or values._shape[:-1] != seq._shape[:-1]):
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries "
            f"tensor and input value tensor must match, but we got boundaries tensor {list(seq._shape)} and input "
            f"value tensor {list(values._shape)}"
        )
    if sorter is not None:
        if sorter._shape != seq._shape or sorter._dtype not in (_dt.int64, _dt.int32):
            raise RuntimeError(f"torch.searchsorted(): sorter must be an int64 tensor of the boundaries' shape "
                               f"{seq._shape}, got {sorter._dtype.name} of shape {sorter._shape}")  # fmt: skip
        seq = gather(seq, -1, sorter.to(_dt.int64))
    dev = same_device("searchsorted", [seq, values])
    refuse_complex("searchsorted", seq, values)
    dt = _dt.result_type(seq, values)
    out_dt = _dt.int32 if out_int32 else _dt.int64
    if values.numel() == 0 or seq._shape[-1] == 0:
        from .creation import zeros

        return zeros(values._shape, dtype=out_dt, device=dev)
    s, v = seq.detach().to(dt), values.detach().to(dt)
    out = run(SEARCHSORTED, dev, (s._data, v._data, bool(right)), values._shape, _dt.int64)
    return out.to(out_dt) if out_int32 else out


@public
def bucketize(input: Any, boundaries: Tensor, *, out_int32: bool = False, right: bool = False) -> Tensor:  # noqa: A002
    """The bucket of each element of `input` among the 1-d increasing `boundaries`: the index i with
    boundaries[i-1] < x <= boundaries[i] (`right`: boundaries[i-1] <= x < boundaries[i])."""
    b = to_tensor(boundaries, "bucketize")
    if b.ndim != 1:
        raise RuntimeError(f"bucketize: boundaries tensor must be 1 dimension, but got dim({b.ndim})")
    return searchsorted(b, input, out_int32=out_int32, right=right)


@public
def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """Whether each element of `elements` is in `test_elements` (bool, `elements`' shape; nan is in nothing);
    `invert` gives the opposite. Either may be a scalar."""
    from .creation import full

    like = elements if isinstance(elements, Tensor) else test_elements if isinstance(test_elements, Tensor) else None
    if like is None:
        raise TypeError("isin: expected elements or test_elements to be a Tensor, got two scalars")
    e = to_tensor(elements, "isin", like=like)
    t = to_tensor(test_elements, "isin", like=like)
    if t.numel() == 0 or e.numel() == 0:
        return full(e._shape, bool(invert), device=e._device)
    dt = _dt.result_type(e, t)
    e, t = e.detach().to(dt), t.detach().to(dt)
    table = sort(t.reshape(-1)).values
    pos = searchsorted(table, e).clamp(max=t.numel() - 1)
    found = table[pos] == e
    return ~found if invert else found


# --------------------------------------------------------------------------- unique


def _unique_lines(x: Tensor, axis: int | None) -> tuple[Tensor, int | None]:
    """x as (n, m) rows to compare (axis given) or flat (axis None)."""
    if axis is None:
        return x.reshape(-1), None
    moved = x.movedim(axis, 0)
    return moved.reshape(moved._shape[0], -1), axis


def _unique_impl(x: Tensor, sort_first: bool, return_inverse: bool, return_counts: bool, dim: int | None, op: str) -> Any:
    from .creation import arange, full, zeros
    from .indexing import nonzero
    from .movement import cat
    from .reduction import any as _any
    from .reduction import cumsum, diff

    x = to_tensor(x, op).detach()
    axis = None if dim is None else wrap_dim(dim, x.ndim, op)
    if axis is not None and x.ndim == 0:
        raise IndexError(f"{op}: dim {dim} is out of range for a 0-d tensor")
    rows, _ = _unique_lines(x, axis)
    n = rows._shape[0]
    dev = x._device
    if sort_first and n:
        keys = rows.to(_dt.uint8) if rows._dtype is _dt.bool_ else rows  # (argsort takes numbers)
        if rows.ndim == 1:
            perm = argsort(keys)
        else:  # lexicographic order of the rows: stable sorts by each column, last column first
            perm = arange(n, device=dev)
            for c in range(rows._shape[1] - 1, -1, -1):
                perm = perm[argsort(keys[perm, c])]
        rows = rows[perm]
    else:
        perm = arange(n, device=dev)
    if n:
        differ = rows[1:] != rows[:-1]
        if differ.ndim > 1:
            differ = _any(differ, 1) if differ._shape[1] else zeros(n - 1, dtype=_dt.bool_, device=dev)
        new = cat([full((1,), True, device=dev), differ])
    else:
        new = zeros(0, dtype=_dt.bool_, device=dev)
    starts = nonzero(new).reshape(-1)
    out = rows[starts]
    if axis is None:
        values = out
    else:
        values = out.reshape((out._shape[0], *[s for d, s in enumerate(x._shape) if d != axis])).movedim(0, axis)
    if not (return_inverse or return_counts):
        return values
    result = [values]
    if return_inverse:
        group = cumsum(new, 0) - 1
        inverse = zeros(n, dtype=_dt.int64, device=dev).scatter(0, perm, group) if n else group
        result.append(inverse.reshape(x._shape if axis is None else (x._shape[axis],)))
    if return_counts:
        result.append(diff(starts, append=full((1,), n, dtype=_dt.int64, device=dev)))
    return tuple(result)


@public(method=True)
def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None) -> Any:  # noqa: A002
    """The distinct elements (or distinct slices along `dim`) in ascending order; with `return_inverse`
    each element's index into them, with `return_counts` how often each occurs (both int64).
    (The result is always sorted, as PyTorch's on the CPU; nan values are each distinct.)"""
    return _unique_impl(input, True, return_inverse, return_counts, dim, "unique")


@public(method=True)
def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None) -> Any:  # noqa: A002
    """`unique` of consecutive runs only: each run of equal elements (or slices along `dim`) kept once."""
    return _unique_impl(input, False, return_inverse, return_counts, dim, "unique_consecutive")
