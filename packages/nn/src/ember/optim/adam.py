"""`Adam`: adaptive moment estimation, with L2 (coupled) or decoupled weight decay and AMSGrad."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import ember

from .optimizer import Optimizer, ParamsT, check_adam_group

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam, PyTorch's algorithm (Kingma & Ba, 2014).

    With ``g`` the gradient (negated when `maximize`) and ``t`` the step count::

        p   = p * (1 - lr * weight_decay)     if decoupled_weight_decay (AdamW)
        g   = g + weight_decay * p            otherwise (L2 penalty)
        m   = beta1 * m + (1 - beta1) * g
        v   = beta2 * v + (1 - beta2) * g * g
        v^  = max(v^, v) if amsgrad else v
        p   = p - lr / (1 - beta1**t) * m / (sqrt(v^) / sqrt(1 - beta2**t) + eps)

    Per-parameter state: ``step`` (an int), ``exp_avg``, ``exp_avg_sq`` and, with
    amsgrad, ``max_exp_avg_sq``.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        # foreach/fused are accepted for PyTorch compatibility: Ember updates each parameter with its own ops.
        defaults = dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
            decoupled_weight_decay=decoupled_weight_decay,
        )  # fmt: skip
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_adam_group(group)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = self._eval_closure(closure)
        with ember.no_grad():
            for group in self.param_groups:
                lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
                weight_decay, amsgrad = group["weight_decay"], group["amsgrad"]
                decoupled = group.get("decoupled_weight_decay", False)
                for p, g in self._grads(group):
                    state = self.state[p]
                    if not state:
                        state["step"] = 0
                        state["exp_avg"] = ember.zeros_like(p)
                        state["exp_avg_sq"] = ember.zeros_like(p)
                        if amsgrad:
                            state["max_exp_avg_sq"] = ember.zeros_like(p)
                    state["step"] += 1
                    step = state["step"]
                    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                    if weight_decay != 0:
                        if decoupled:
                            p.mul_(1 - lr * weight_decay)
                        else:
                            g = g + p * weight_decay
                    exp_avg.mul_(beta1).add_(g * (1 - beta1))
                    exp_avg_sq.mul_(beta2).add_((g * g).mul_(1 - beta2))
                    step_size = lr / (1 - beta1**step)
                    bias_correction2_sqrt = math.sqrt(1 - beta2**step)
                    if amsgrad:
                        max_sq = state.get("max_exp_avg_sq")
                        if max_sq is None:  # amsgrad switched on after the first steps
                            max_sq = state["max_exp_avg_sq"] = exp_avg_sq.clone()
                        max_sq.copy_(ember.maximum(max_sq, exp_avg_sq))
                        denom = max_sq.sqrt().div_(bias_correction2_sqrt).add_(eps)
                    else:
                        denom = exp_avg_sq.sqrt().div_(bias_correction2_sqrt).add_(eps)
                    p.sub_((exp_avg / denom).mul_(step_size))
        return loss
