"""`Rprop`: resilient backpropagation — per-coordinate step sizes adapted from the sign of the gradient."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ember

from .optimizer import Optimizer, ParamsT, check_lr, group_lr

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Rprop, PyTorch's algorithm (Riedmiller & Braun, 1993; the variant without weight backtracking).

    With ``g`` the gradient (negated when `maximize`) and ``etas = (eta_minus, eta_plus)``::

        s = g * prev
        step_size = clamp(step_size * (eta_plus if s > 0, eta_minus if s < 0, 1 if s == 0), *step_sizes)
        g = 0 where s < 0       (after a sign change the coordinate rests one step)
        p = p - sign(g) * step_size
        prev = g

    Per-parameter state: ``step`` (an int), ``prev`` and ``step_size`` (starting at `lr`).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        # foreach/capturable/differentiable are accepted for PyTorch compatibility; the update runs under no_grad.
        defaults = dict(
            lr=lr, etas=etas, step_sizes=step_sizes, capturable=capturable, foreach=foreach, maximize=maximize,
            differentiable=differentiable,
        )  # fmt: skip
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_lr(group["lr"])
        etas, sizes = group["etas"], group["step_sizes"]
        if not isinstance(etas, tuple | list) or len(etas) != 2:
            raise ValueError(f"Invalid etas: {etas!r} (expected a pair (eta_minus, eta_plus))")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        if not isinstance(sizes, tuple | list) or len(sizes) != 2:
            raise ValueError(f"Invalid step_sizes: {sizes!r} (expected a pair (min_step, max_step))")

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = self._eval_closure(closure)
        with ember.no_grad():
            for group in self.param_groups:
                (eta_minus, eta_plus), (size_min, size_max) = group["etas"], group["step_sizes"]
                for p, g in self._grads(group):
                    state = self.state[p]
                    if not state:
                        state["step"] = 0
                        state["prev"] = ember.zeros_like(p)
                        state["step_size"] = ember.full_like(p, group_lr(group))
                    state["step"] += 1
                    prev, step_size = state["prev"], state["step_size"]
                    s = g * prev
                    factor = ember.where(s > 0, eta_plus, ember.where(s < 0, eta_minus, 1.0))
                    step_size.mul_(factor).clamp_(size_min, size_max)
                    g = g.masked_fill(s < 0, 0.0)
                    p.sub_(g.sign().mul_(step_size))
                    prev.copy_(g)
        return loss
