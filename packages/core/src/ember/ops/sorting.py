"""Sorting: `argsort` (the primitive), and `sort` and `topk` built on it with `gather`."""

from __future__ import annotations

from typing import Any

from .. import dtypes as _dt
from ..dispatch import primitive, public
from ..tensor import Tensor
from ._run import run, wrap_dim
from .indexing import gather
from .reduction import values_indices

ARGSORT = primitive(
    "argsort",
    "argsort(x: array, axis: int, descending: bool) -> array of int64",
    "Indices that sort x along `axis`, stably (equal elements keep their order) in either direction; "
    "nan sorts as the largest value.",
    family="sorting",
    differentiable=False,
)


@public(method=True)
def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = True) -> Tensor:  # noqa: A002
    """Indices that sort `input` along `dim` (stable)."""
    if input.ndim == 0:  # sorting one element: index 0
        from .creation import zeros

        return zeros((), dtype=_dt.int64, device=input._device)
    axis = wrap_dim(dim, input.ndim, "argsort")
    return run(ARGSORT, input._device, (input._data, axis, descending), input._shape, _dt.int64)


@public(method=True)
def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = True) -> Any:  # noqa: A002
    """(values, indices) of `input` sorted along `dim`; gradients flow to the values' positions."""
    idx = argsort(input, dim, descending)
    if input.ndim == 0:
        return values_indices(input.clone(), idx)
    return values_indices(gather(input, dim, idx), idx)


@public(method=True)
def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
    """The `k` largest (or smallest) values along `dim` and their indices."""
    axis = wrap_dim(dim, input.ndim, "topk") if input.ndim else 0
    n = input._shape[axis] if input.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk: k ({k}) is out of range for dimension {axis} of size {n} (shape {input._shape})")
    if input.ndim == 0 and k == 1:  # a 0-d tensor is its own top 1, at index 0
        return sort(input, 0, descending=largest)
    idx = argsort(input, axis, descending=largest)
    idx = idx[(slice(None),) * axis + (slice(0, k),)]
    return values_indices(gather(input, axis, idx), idx)
