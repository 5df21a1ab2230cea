"""`RMSprop`: gradients scaled by a running root-mean-square, optionally centered and with momentum."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ember

from .optimizer import Optimizer, ParamsT, check_hyper, check_lr, group_lr

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop, PyTorch's algorithm (Hinton's lecture notes; centered as in Graves, 2013).

    With ``g = grad + weight_decay * p`` (grad negated first when `maximize`)::

        v   = alpha * v + (1 - alpha) * g * g
        avg = sqrt(v - ga * ga) + eps   with ga = alpha * ga + (1 - alpha) * g   if centered
        avg = sqrt(v) + eps                                                       otherwise
        buf = momentum * buf + g / avg ;  p = p - lr * buf                        if momentum > 0
        p   = p - lr * g / avg                                                    otherwise

    Per-parameter state: ``step``, ``square_avg``, ``momentum_buffer`` (momentum > 0),
    ``grad_avg`` (centered).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered,
            capturable=capturable, foreach=foreach, maximize=maximize, differentiable=differentiable,
        )  # fmt: skip
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_lr(group["lr"])
        check_hyper(group["eps"] >= 0.0, "epsilon value", group["eps"])
        check_hyper(group["momentum"] >= 0.0, "momentum value", group["momentum"])
        check_hyper(group["weight_decay"] >= 0.0, "weight_decay value", group["weight_decay"])
        check_hyper(group["alpha"] >= 0.0, "alpha value", group["alpha"])

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = self._eval_closure(closure)
        with ember.no_grad():
            for group in self.param_groups:
                lr, alpha, eps = group_lr(group), group["alpha"], group["eps"]
                weight_decay, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
                for p, g in self._grads(group):
                    state = self.state[p]
                    if not state:
                        state["step"] = 0
                        state["square_avg"] = ember.zeros_like(p)
                    if momentum > 0 and "momentum_buffer" not in state:
                        state["momentum_buffer"] = ember.zeros_like(p)
                    if centered and "grad_avg" not in state:
                        state["grad_avg"] = ember.zeros_like(p)
                    state["step"] += 1
                    if weight_decay != 0:
                        g = g + p * weight_decay
                    square_avg = state["square_avg"]
                    square_avg.mul_(alpha).add_((g * g).mul_(1 - alpha))
                    if centered:
                        grad_avg = state["grad_avg"]
                        grad_avg.mul_(alpha).add_(g * (1 - alpha))
                        avg = (square_avg - grad_avg * grad_avg).sqrt().add_(eps)
                    else:
                        avg = square_avg.sqrt().add_(eps)
                    if momentum > 0:
                        buf = state["momentum_buffer"]
                        buf.mul_(momentum).add_(g / avg)
                        p.sub_(buf * lr)
                    else:
                        p.sub_((g / avg).mul_(lr))
        return loss
