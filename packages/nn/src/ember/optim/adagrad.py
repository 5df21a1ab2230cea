"""`Adagrad`: per-coordinate learning rates from the running sum of squared gradients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ember

from .optimizer import Optimizer, ParamsT, check_fused, check_hyper, check_lr, group_lr

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad, PyTorch's algorithm (Duchi et al., 2011).

    With ``g = grad + weight_decay * p`` (grad negated first when `maximize`) and ``t`` the step count::

        clr = lr / (1 + (t - 1) * lr_decay)
        s   = s + g * g
        p   = p - clr * g / (sqrt(s) + eps)

    Per-parameter state (made in the constructor, as in PyTorch): ``step`` and ``sum``,
    which starts at `initial_accumulator_value`.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_fused(fused, foreach)
        defaults = dict(
            lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value, foreach=foreach,
            maximize=maximize, differentiable=differentiable, fused=fused,
        )  # fmt: skip
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (a dict with "params" and optional options) to optimize."""
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            self._init_state(p, group)

    def _init_state(self, p: ember.Tensor, group: dict[str, Any]) -> None:
        state = self.state[p]
        if not state:
            state["step"] = 0
            init = group["initial_accumulator_value"]
            if p.dtype.is_complex:  # real and imaginary parts each start at the value (PyTorch's complex(v, v))
                state["sum"] = ember.full(tuple(p.shape) + (2,), float(init), dtype=p.real.dtype, device=p.device)
            else:
                state["sum"] = ember.full_like(p, init)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_lr(group["lr"])
        check_hyper(group["lr_decay"] >= 0.0, "lr_decay value", group["lr_decay"])
        check_hyper(group["weight_decay"] >= 0.0, "weight_decay value", group["weight_decay"])
        check_hyper(
            group["initial_accumulator_value"] >= 0.0,
            "initial_accumulator_value value",
            group["initial_accumulator_value"],
        )
        check_hyper(group["eps"] >= 0.0, "epsilon value", group["eps"])

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = self._eval_closure(closure)
        with ember.no_grad():
            for group in self.param_groups:
                lr, lr_decay, eps, weight_decay = group_lr(group), group["lr_decay"], group["eps"], group["weight_decay"]
                for p, g in self._grads(group):
                    self._init_state(p, group)
                    state = self.state[p]
                    state["step"] += 1
                    if weight_decay != 0:
                        g = g + p * weight_decay
                    clr = lr / (1 + (state["step"] - 1) * lr_decay)
                    state_sum = state["sum"]
                    state_sum.add_(g * g)
                    p.sub_((g / state_sum.sqrt().add_(eps)).mul_(clr))
        return loss
