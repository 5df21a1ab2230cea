"""Weight normalisation as a forward pre-hook (PyTorch's `nn.utils.weight_norm`, `remove_weight_norm`).

``weight = g * v / ||v||``: the layer learns the magnitude `g` (``weight_g``) and the direction `v`
(``weight_v``) instead of `weight`, which is recomputed before every forward.
"""

from __future__ import annotations

import warnings
from typing import Any, TypeVar

import ember
from ember import Tensor

from ..parameter import Parameter

__all__ = ["weight_norm", "remove_weight_norm"]

M = TypeVar("M")


def _norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """The 2-norm of `v` over every dim but `dim` (kept, others size 1); the whole norm (0-D) for dim -1."""
    if dim == -1:
        return ember.linalg.vector_norm(v)
    others = tuple(d for d in range(v.ndim) if d != dim)
    return ember.linalg.vector_norm(v, 2, dim=others, keepdim=True)


class _WeightNorm:
    """The pre-hook that recomputes ``module.<name>`` from ``<name>_g`` and ``<name>_v``."""

    def __init__(self, name: str, dim: int) -> None:
        self.name, self.dim = name, dim
        self.handle: Any = None

    def compute_weight(self, module: Any) -> Tensor:
        g, v = getattr(module, self.name + "_g"), getattr(module, self.name + "_v")
        return v * (g / _norm_except_dim(v, self.dim))

    def __call__(self, module: Any, inputs: Any) -> None:
        object.__setattr__(module, self.name, self.compute_weight(module))


def weight_norm(module: M, name: str = "weight", dim: int | None = 0) -> M:
    """Replace the parameter `name` of `module` by ``name_g`` (its norm over every dim but `dim`; the whole
    norm for dim None or -1) and ``name_v`` (its direction); returns `module`."""
    warnings.warn(
        "`ember.nn.utils.weight_norm` is deprecated in PyTorch in favor of `parametrizations.weight_norm`",
        FutureWarning,
        stacklevel=2,
    )
    hooks: dict[str, _WeightNorm] = module.__dict__.setdefault("_weight_norm_hooks", {})
    if name in hooks:
        raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
    weight = getattr(module, name)
    if not isinstance(weight, Parameter):
        raise ValueError(f"weight_norm: {type(module).__name__} has no parameter {name!r}")
    dim = -1 if dim is None else (dim + weight.ndim if dim < -1 else dim)
    fn = _WeightNorm(name, dim)
    del module._parameters[name]  # type: ignore[attr-defined]
    with ember.no_grad():
        g = _norm_except_dim(weight, dim)
    module.register_parameter(name + "_g", Parameter(g.detach().clone()))  # type: ignore[attr-defined]
    module.register_parameter(name + "_v", Parameter(weight.detach()))  # type: ignore[attr-defined]
    object.__setattr__(module, name, fn.compute_weight(module))
    fn.handle = module.register_forward_pre_hook(fn)  # type: ignore[attr-defined]
    hooks[name] = fn
    return module


def remove_weight_norm(module: M, name: str = "weight") -> M:
    """Undo `weight_norm`: `name` is a parameter again (its current value), ``name_g``/``name_v`` are gone."""
    hooks: dict[str, _WeightNorm] = module.__dict__.get("_weight_norm_hooks", {})
    fn = hooks.pop(name, None)
    if fn is None:
        raise ValueError(f"weight_norm of '{name}' not found in {module}")
    with ember.no_grad():
        weight = fn.compute_weight(module).detach()
    fn.handle.remove()
    del module._parameters[name + "_g"]  # type: ignore[attr-defined]
    del module._parameters[name + "_v"]  # type: ignore[attr-defined]
    module.__dict__.pop(name, None)
    module.register_parameter(name, Parameter(weight))  # type: ignore[attr-defined]
    return module
