"""Reparametrisations through `register_parametrization` (PyTorch's `nn.utils.parametrizations`).

``weight_norm(m)``: ``weight = g * v / ||v||``, ``g`` in ``parametrizations.weight.original0``, ``v`` in
``original1``. ``spectral_norm(m)``: ``weight = original / sigma``, sigma estimated by power iteration on the
parametrization's buffers ``_u``, ``_v`` (in training mode only; 15 steps at registration).
"""

from __future__ import annotations

from typing import Any, TypeVar

import ember
from ember import Tensor

from .. import functional as F
from ..modules.module import Module
from .parametrize import register_parametrization
from .weight_norm import _norm_except_dim

__all__ = ["weight_norm", "spectral_norm"]

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


class _SpectralNorm(Module):
    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            w = self._matrix(weight)
            h, wd = w.shape
            opts: dict[str, Any] = {"dtype": weight.dtype, "device": weight.device}
            self.register_buffer("_u", F.normalize(ember.randn(h, **opts), dim=0, eps=eps))
            self.register_buffer("_v", F.normalize(ember.randn(wd, **opts), dim=0, eps=eps))
            self._power_method(w, 15)

    def _matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.movedim(self.dim, 0)
        return weight.reshape(weight.shape[0], -1)

    def _power_method(self, w: Tensor, n: int) -> None:
        with ember.no_grad():
            wd = w.detach()
            for _ in range(n):
                self._u.copy_(F.normalize(wd @ self._v, dim=0, eps=self.eps))
                self._v.copy_(F.normalize(wd.t() @ self._u, dim=0, eps=self.eps))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        w = self._matrix(weight)
        if self.training:
            self._power_method(w, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        return weight / ember.dot(u, w @ v)

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(
    module: M, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12, dim: int | None = None
) -> M:
    """Reparametrise ``module.<name>`` as itself over its spectral norm; `dim` (default 0, 1 for transposed
    convolutions) is the output dim."""
    from ..modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d

    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0
    register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
