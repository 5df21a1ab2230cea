"""Spectral normalisation as a forward pre-hook (PyTorch's `nn.utils.spectral_norm`, `remove_spectral_norm`).

``weight = weight_orig / sigma``, sigma the largest singular value of `weight_orig` (viewed as a matrix with
`dim` first) estimated by power iteration on the buffers `weight_u`, `weight_v`: `n_power_iterations` steps
before every forward in training mode, none in eval mode.
"""

from __future__ import annotations

from typing import Any, TypeVar

import ember
from ember import Tensor

from .. import functional as F
from ..parameter import Parameter

__all__ = ["spectral_norm", "remove_spectral_norm"]

M = TypeVar("M")


class _SpectralNorm:
    """The pre-hook that recomputes ``module.<name>`` (power iteration in training mode)."""

    def __init__(self, name: str, n_power_iterations: int, dim: int, eps: float) -> None:
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got n_power_iterations={n_power_iterations}")
        self.name, self.n_power_iterations, self.dim, self.eps = name, n_power_iterations, dim, eps
        self.handle: Any = None

    def matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.movedim(self.dim, 0)
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module: Any, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        w = self.matrix(weight)
        if do_power_iteration:
            with ember.no_grad():
                wd = w.detach()
                for _ in range(self.n_power_iterations):
                    v.copy_(F.normalize(wd.t() @ u, dim=0, eps=self.eps))
                    u.copy_(F.normalize(wd @ v, dim=0, eps=self.eps))
            u, v = u.clone(), v.clone()  # the buffers change in place at the next step
        sigma = ember.dot(u, w @ v)
        return weight / sigma

    def __call__(self, module: Any, inputs: Any) -> None:
        object.__setattr__(module, self.name, self.compute_weight(module, do_power_iteration=module.training))


def spectral_norm(
    module: M, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12, dim: int | None = None
) -> M:
    """Divide the parameter `name` of `module` by its spectral norm before each forward; `dim` (default 0,
    1 for transposed convolutions) is the output dim. Registers ``name_orig``, ``name_u``, ``name_v``."""
    from ..modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d

    hooks: dict[str, _SpectralNorm] = module.__dict__.setdefault("_spectral_norm_hooks", {})
    if name in hooks:
        raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0
    weight = module._parameters.get(name)  # type: ignore[attr-defined]
    if weight is None:
        raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
    fn = _SpectralNorm(name, n_power_iterations, dim, eps)
    with ember.no_grad():
        h, w = fn.matrix(weight).shape
        u = F.normalize(ember.randn(h, dtype=weight.dtype, device=weight.device), dim=0, eps=eps)
        v = F.normalize(ember.randn(w, dtype=weight.dtype, device=weight.device), dim=0, eps=eps)
    del module._parameters[name]  # type: ignore[attr-defined]
    module.register_parameter(name + "_orig", weight)  # type: ignore[attr-defined]
    object.__setattr__(module, name, weight.detach())  # PyTorch: the raw weight until the first forward
    module.register_buffer(name + "_u", u)  # type: ignore[attr-defined]
    module.register_buffer(name + "_v", v)  # type: ignore[attr-defined]
    fn.handle = module.register_forward_pre_hook(fn)  # type: ignore[attr-defined]
    hooks[name] = fn
    return module


def remove_spectral_norm(module: M, name: str = "weight") -> M:
    """Undo `spectral_norm`: `name` is a parameter again (the normalised weight, without a new iteration)."""
    hooks: dict[str, _SpectralNorm] = module.__dict__.get("_spectral_norm_hooks", {})
    fn = hooks.pop(name, None)
    if fn is None:
        raise ValueError(f"spectral_norm of '{name}' not found in {module}")
    with ember.no_grad():
        weight = fn.compute_weight(module, do_power_iteration=False).detach()
    fn.handle.remove()
    for suffix in ("_u", "_v"):
        del module._buffers[name + suffix]  # type: ignore[attr-defined]
    del module._parameters[name + "_orig"]  # type: ignore[attr-defined]
    module.__dict__.pop(name, None)
    module.register_parameter(name, Parameter(weight))  # type: ignore[attr-defined]
    return module

