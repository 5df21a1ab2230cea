"""Parametrization-based layers' reparametrisations (PyTorch's `nn.utils.parametrizations`): `weight_norm`.

``parametrizations.weight_norm(m)`` registers ``weight = g * v / ||v||`` with `register_parametrization`:
``g`` is ``parametrizations.weight.original0`` and ``v`` is ``original1``.
"""

from __future__ import annotations

from typing import TypeVar

from ember import Tensor

from ..modules.module import Module
from .parametrize import register_parametrization
from .weight_norm import _norm_except_dim

__all__ = ["weight_norm"]

M = TypeVar("M", bound=Module)


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_v * (weight_g / _norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module: M, name: str = "weight", dim: int | None = 0) -> M:
    """Reparametrise ``module.<name>`` as magnitude times direction (dim None: one magnitude for the whole tensor)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is not None and dim < -1:
        dim += weight.ndim
    register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module
