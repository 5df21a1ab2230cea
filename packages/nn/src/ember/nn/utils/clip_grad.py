"""Gradient clipping: `clip_grad_norm_` (`get_total_norm`, then `clip_grads_with_norm_`) and `clip_grad_value_`
(in place, on each gradient's device)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import ember
from ember import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad for p in params if p.grad is not None]


def get_total_norm(
    tensors: Tensor | Iterable[Tensor], norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach: bool | None = None
) -> Tensor:
    """The `norm_type` norm of all `tensors` together, as if concatenated (a 0-d tensor; 0.0 for none)."""
    norm_type = float(norm_type)  # a bad norm_type fails even when there is no tensor
    ts = [tensors] if isinstance(tensors, Tensor) else [t for t in tensors if t is not None]
    if not ts:
        return ember.tensor(0.0)
    with ember.no_grad():
        if math.isinf(norm_type):
            norms = [t.abs().amax() if norm_type > 0 else t.abs().amin() for t in ts]
            stacked = ember.stack(norms) if len(norms) > 1 else norms[0]
            total = stacked.amax() if norm_type > 0 else stacked.amin()
        else:
            norms = [(t.abs() ** norm_type).sum() for t in ts]
            total = (norms[0] if len(norms) == 1 else ember.stack(norms).sum()) ** (1.0 / norm_type)
        if error_if_nonfinite and not bool(total.isfinite().item()):
            raise RuntimeError(
                f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot "
                f"be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
                f"`error_if_nonfinite=False`"
            )
    return total


def clip_grads_with_norm_(
    parameters: Tensor | Iterable[Tensor], max_norm: float, total_norm: Tensor, foreach: bool | None = None
) -> None:
    """Scale every gradient by ``min(1, max_norm / (total_norm + 1e-6))``, for a `total_norm` from `get_total_norm`."""
    grads = _grads(parameters)
    if not grads:
        return
    with ember.no_grad():
        coef = (max_norm / (total_norm + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(coef.to(g.dtype))


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Scale all gradients together so that their joint `norm_type` norm is at most `max_norm`;
    returns the norm before clipping (a 0-d tensor)."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    total = get_total_norm(_grads(params), norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(params, max_norm, total, foreach)
    return total


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None) -> None:
    """Clamp every gradient element into [-clip_value, clip_value]."""
    clip_value = float(clip_value)
    with ember.no_grad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)
