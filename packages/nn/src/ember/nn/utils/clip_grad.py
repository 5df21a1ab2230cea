"""Gradient clipping: `clip_grad_norm_` and `clip_grad_value_` (in place, on each gradient's device)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import ember
from ember import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad for p in params if p.grad is not None]


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Scale all gradients together so that their joint `norm_type` norm is at most `max_norm`;
    returns the norm before clipping (a 0-d tensor)."""
    norm_type = float(norm_type)  # a bad norm_type fails even when no parameter has a gradient
    grads = _grads(parameters)
    if not grads:
        return ember.tensor(0.0)
    with ember.no_grad():
        if math.isinf(norm_type):
            norms = [g.abs().amax() for g in grads]
            total = norms[0] if len(norms) == 1 else ember.stack(norms).amax()
        else:
            norms = [(g.abs() ** norm_type).sum() for g in grads]
            total = (norms[0] if len(norms) == 1 else ember.stack(norms).sum()) ** (1.0 / norm_type)
        if error_if_nonfinite and not bool(total.isfinite().item()):
            raise RuntimeError(
                f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot "
                f"be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
                f"`error_if_nonfinite=False`"
            )
        coef = (max_norm / (total + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(coef.to(g.dtype))
    return total


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None) -> None:
    """Clamp every gradient element into [-clip_value, clip_value]."""
    clip_value = float(clip_value)
    with ember.no_grad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)
