"""`RAdam`: Adam whose adaptive step is rectified while the variance estimate is unreliable (Liu et al., 2019)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import ember

from .optimizer import Optimizer, ParamsT, check_adam_group, group_lr

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam, PyTorch's algorithm.

    With ``g`` the gradient (negated when `maximize`), ``t`` the step count,
    ``rho_inf = 2 / (1 - beta2) - 1`` and ``rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)``::

        p  = p * (1 - lr * weight_decay)    if decoupled_weight_decay
        g  = g + weight_decay * p           otherwise (L2 penalty)
        m  = beta1 * m + (1 - beta1) * g
        v  = beta2 * v + (1 - beta2) * g * g
        m^ = m / (1 - beta1**t)
        p  = p - lr * m^ * r_t * sqrt(1 - beta2**t) / (sqrt(v) + eps)   if rho_t > 5
        p  = p - lr * m^                                                   otherwise
        with r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))

    Per-parameter state: ``step`` (an int), ``exp_avg``, ``exp_avg_sq``.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        # foreach/capturable/differentiable are accepted for PyTorch compatibility; the update runs under no_grad.
        defaults = dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, decoupled_weight_decay=decoupled_weight_decay,
            foreach=foreach, maximize=maximize, capturable=capturable, differentiable=differentiable,
        )  # fmt: skip
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_adam_group(group)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = self._eval_closure(closure)
        with ember.no_grad():
            for group in self.param_groups:
                lr, (beta1, beta2), eps, weight_decay = group_lr(group), group["betas"], group["eps"], group["weight_decay"]
                rho_inf = 2 / (1 - beta2) - 1
                for p, g in self._grads(group):
                    state = self.state[p]
                    if not state:
                        state["step"] = 0
                        state["exp_avg"] = ember.zeros_like(p)
                        state["exp_avg_sq"] = ember.zeros_like(p)
                    state["step"] += 1
                    step = state["step"]
                    if weight_decay != 0:
                        if group["decoupled_weight_decay"]:
                            p.mul_(1 - lr * weight_decay)
                        else:
                            g = g + p * weight_decay
                    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                    exp_avg.mul_(beta1).add_(g * (1 - beta1))
                    exp_avg_sq.mul_(beta2).add_((g * g).mul_(1 - beta2))
                    bias_correction1 = 1 - beta1**step
                    bias_correction2 = 1 - beta2**step
                    rho_t = rho_inf - 2 * step * beta2**step / bias_correction2
                    if rho_t > 5.0:
                        rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                        scale = lr / bias_correction1 * rect * math.sqrt(bias_correction2)
                        p.sub_((exp_avg / exp_avg_sq.sqrt().add_(eps)).mul_(scale))
                    else:
                        p.sub_(exp_avg * (lr / bias_correction1))
        return loss
