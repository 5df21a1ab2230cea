"""`Adadelta`: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ember

from .optimizer import Optimizer, ParamsT, check_hyper, check_lr, group_lr

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta, PyTorch's algorithm (Zeiler, 2012).

    With ``g = grad + weight_decay * p`` (grad negated first when `maximize`)::

        v     = rho * v + (1 - rho) * g * g
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u     = rho * u + (1 - rho) * delta * delta
        p     = p - lr * delta

    Per-parameter state: ``step``, ``square_avg`` (v) and ``acc_delta`` (u).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        # foreach/capturable/differentiable are accepted for PyTorch compatibility; the update runs under no_grad.
        defaults = dict(
            lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, foreach=foreach, capturable=capturable,
            maximize=maximize, differentiable=differentiable,
        )  # fmt: skip
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_lr(group["lr"])
        check_hyper(0.0 <= group["rho"] <= 1.0, "rho value", group["rho"])
        check_hyper(group["eps"] >= 0.0, "epsilon value", group["eps"])
        check_hyper(group["weight_decay"] >= 0.0, "weight_decay value", group["weight_decay"])

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = self._eval_closure(closure)
        with ember.no_grad():
            for group in self.param_groups:
                lr, rho, eps, weight_decay = group_lr(group), group["rho"], group["eps"], group["weight_decay"]
                for p, g in self._grads(group):
                    state = self.state[p]
                    if not state:
                        state["step"] = 0
                        state["square_avg"] = ember.zeros_like(p)
                        state["acc_delta"] = ember.zeros_like(p)
                    state["step"] += 1
                    if weight_decay != 0:
                        g = g + p * weight_decay
                    square_avg, acc_delta = state["square_avg"], state["acc_delta"]
                    square_avg.mul_(rho).add_((g * g).mul_(1 - rho))
                    delta = (acc_delta + eps).sqrt().div_((square_avg + eps).sqrt()).mul_(g)
                    acc_delta.mul_(rho).add_((delta * delta).mul_(1 - rho))
                    p.sub_(delta if lr == 1 else delta * lr)
        return loss
