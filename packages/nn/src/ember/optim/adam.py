"""`Adam`: adaptive moment estimation, with L2 (coupled) or decoupled weight decay and AMSGrad."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import ember
from ember.tensor import Tensor

from ._foreach import Foreach
from .optimizer import Optimizer, ParamsT, check_adam_group, check_fused, group_lr

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
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        # capturable/differentiable/fused are accepted for PyTorch compatibility (the update runs under no_grad);
        # foreach=False updates each parameter with its own Tensor ops (the default updates a group's parameters
        # together through the kernels: `_foreach`)
        check_fused(fused, foreach)
        defaults = dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
            decoupled_weight_decay=decoupled_weight_decay, foreach=foreach, capturable=capturable,
            differentiable=differentiable, fused=fused,
        )  # fmt: skip
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_adam_group(group)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = self._eval_closure(closure)
        with ember.no_grad():
            for group in self.param_groups:
                lr, (beta1, beta2), eps = group_lr(group), group["betas"], group["eps"]
                weight_decay, amsgrad = group["weight_decay"], group["amsgrad"]
                decoupled = group.get("decoupled_weight_decay", False)
                pairs = self._grads(group)
                if self._step_foreach(group, pairs):
                    continue
                for p, g in pairs:
                    state = self._state_of(p, amsgrad)
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

    def _state_of(self, p: Tensor, amsgrad: bool) -> dict[str, Any]:
        """`p`'s state, made at its first step: the step count and zeroed moment estimates."""
        state = self.state[p]
        if not state:
            state["step"] = 0
            state["exp_avg"] = ember.zeros_like(p)
            state["exp_avg_sq"] = ember.zeros_like(p)
            if amsgrad:
                state["max_exp_avg_sq"] = ember.zeros_like(p)
        return state

    def _step_foreach(self, group: dict[str, Any], pairs: list[tuple[Tensor, Tensor]]) -> bool:
        """The step's updates of `pairs` straight through the kernels (`Foreach`): the ops of the
        per-parameter loop, in its order. False (nothing done) where that loop must run: foreach=False,
        amsgrad, tensor hyperparameters, mixed tensors."""
        lr, (beta1, beta2), eps = group_lr(group), group["betas"], group["eps"]
        weight_decay, decoupled = group["weight_decay"], group.get("decoupled_weight_decay", False)
        if group.get("foreach") is False or group["amsgrad"] or not pairs or not all(
            type(v) in (int, float) for v in (lr, beta1, beta2, eps, weight_decay)
        ):
            return False
        states = [self._state_of(p, False) for p, _ in pairs]
        avgs = [state["exp_avg"] for state in states]
        sqs = [state["exp_avg_sq"] for state in states]
        k = Foreach.of([t for pair in pairs for t in pair] + avgs + sqs)
        if k is None or any(type(state["step"]) is not int for state in states):
            return False
        lr, beta1, beta2, eps, weight_decay = float(lr), float(beta1), float(beta2), float(eps), float(weight_decay)
        for (p, g), m, v, state in zip(pairs, avgs, sqs, states):
            state["step"] += 1
            step = state["step"]
            d, pd, md, vd = g._data, p._data, m._data, v._data
            if weight_decay != 0:
                if decoupled:
                    k.mul_(pd, 1 - lr * weight_decay)
                else:
                    d = k.add(d, k.mul(pd, weight_decay))
            k.mul_(md, beta1)
            k.add_(md, k.mul(d, 1 - beta1))
            k.mul_(vd, beta2)
            sq = k.mul(d, d)
            k.mul_(sq, 1 - beta2)
            k.add_(vd, sq)
            denom = k.sqrt(vd)
            k.div_(denom, math.sqrt(1 - beta2**step))
            k.add_(denom, eps)
            upd = k.div(md, denom)
            k.mul_(upd, lr / (1 - beta1**step))
            k.sub_(pd, upd)
        Foreach.written([p for p, _ in pairs] + avgs + sqs)
        return True
