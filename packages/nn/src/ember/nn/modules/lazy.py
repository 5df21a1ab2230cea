"""Lazy layers: convolutions (`LazyConv1d/2d/3d`, `LazyConvTranspose1d/2d/3d`) that take `in_channels`, and
norms (`LazyBatchNorm1d/2d/3d`, `LazyInstanceNorm1d/2d/3d`) that take `num_features`, from the first input.

Until the first call `weight` and `bias` are `UninitializedParameter`s; that call gives them their shapes,
initialises them as the plain layer does, and the module becomes that layer (PyTorch's `cls_to_become`).
A `state_dict` loaded before the first call materialises the module with the checkpoint's shapes.
(`LazyLinear` lives with `Linear`.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ember
from ember import Tensor

from .. import functional as F
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d, _ConvNd
from .linear import UninitializedParameter
from .module import Module
from .normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
    _BatchNorm,
    _InstanceNorm,
)  # fmt: skip

__all__ = [
    "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d",
    "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d",
    "LazyInstanceNorm3d",
]  # fmt: skip


class _LazyConvMixin(_ConvNd):
    cls_to_become: type[_ConvNd]

    def _lazy_setup(self, out_channels: int, bias: bool, device: Any, dtype: Any) -> None:
        self.in_channels, self.out_channels = 0, out_channels
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        self.register_load_state_dict_pre_hook(_materialize_from_state_dict)

    def has_uninitialized_params(self) -> bool:
        return any(isinstance(p, UninitializedParameter) for p in self._parameters.values())

    def reset_parameters(self) -> None:
        if not self.__dict__.get("_parameters") or not self.has_uninitialized_params():
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:  # noqa: A002
        """Take `in_channels` from `input` (dim 1, or dim 0 unbatched), then shape and initialise the parameters."""
        if not self.has_uninitialized_params():
            return
        nd, name = self._nd, type(self).__name__
        if input.ndim not in (nd + 1, nd + 2):
            raise F._ShapeError(
                f"{name}: expected a {nd + 1}-D (unbatched) or {nd + 2}-D (batched) input {F._CONV_LAYOUT[nd]}, "
                f"got a {input.ndim}-D input of shape {tuple(input.shape)}"
            )
        self._materialize(int(input.shape[-nd - 1]))

    def _materialize(self, in_channels: int) -> None:
        if in_channels % self.groups:
            raise ValueError(f"in_channels ({in_channels}) must be divisible by groups ({self.groups})")
        self.in_channels = in_channels
        per_group = (self.out_channels // self.groups,) if self.transposed else (in_channels // self.groups,)
        lead = (in_channels, *per_group) if self.transposed else (self.out_channels, *per_group)
        assert isinstance(self.weight, UninitializedParameter)
        self.weight.materialize((*lead, *self.kernel_size))
        if isinstance(self.bias, UninitializedParameter):
            self.bias.materialize((self.out_channels,))
        self.__class__ = self.cls_to_become  # type: ignore[assignment]
        self.reset_parameters()

    def forward(self, input: Tensor, *args: Any) -> Tensor:  # noqa: A002
        plain = self.cls_to_become  # read first: the module becomes that class below
        self.initialize_parameters(input)
        return plain.forward(self, input, *args)


class _LazyNormMixin(_BatchNorm):
    cls_to_become: type[_BatchNorm]

    def _lazy_setup(self, device: Any, dtype: Any) -> None:
        self.__dict__["_lazy_factory"] = {"device": device, "dtype": dtype}
        if self.affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if self.bias is not None:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        self.register_load_state_dict_pre_hook(_materialize_from_state_dict)

    def has_uninitialized_params(self) -> bool:
        return "_lazy_factory" in self.__dict__

    def reset_parameters(self) -> None:
        if not self.__dict__.get("_parameters") or not self.has_uninitialized_params():
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:  # noqa: A002
        """Take `num_features` from `input`'s channel dim, then shape and initialise the parameters and buffers."""
        if not self.has_uninitialized_params():
            return
        if input.ndim not in self._dims:
            want = " or ".join(f"{d}-D" for d in self._dims)
            raise ValueError(
                f"{type(self).__name__}: expected a {want} input {self._layout}, got a {input.ndim}-D input of shape "
                f"{tuple(input.shape)}"
            )
        unbatched = isinstance(self, _InstanceNorm) and input.ndim != self._dims[-1]
        self._materialize(int(input.shape[0 if unbatched else 1]))

    def _materialize(self, num_features: int) -> None:
        factory = self.__dict__.pop("_lazy_factory")
        self.num_features = num_features
        for p in (self.weight, self.bias):
            if isinstance(p, UninitializedParameter):
                p.materialize((num_features,))
        if self.track_running_stats:
            self.register_buffer("running_mean", ember.zeros(num_features, **factory))
            self.register_buffer("running_var", ember.ones(num_features, **factory))
        self.__class__ = self.cls_to_become  # type: ignore[assignment]
        self.reset_parameters()

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        plain = self.cls_to_become  # read first: the module becomes that class below
        self.initialize_parameters(input)
        return plain.forward(self, input)


def _materialize_from_state_dict(module: Module, state_dict: dict[str, Any], prefix: str, *_: Any) -> None:
    """A lazy layer about to be loaded takes its channel count from the checkpoint's weight (or running mean)."""
    if isinstance(module, _LazyConvMixin):
        w = state_dict.get(prefix + "weight")
        if module.has_uninitialized_params() and isinstance(w, Tensor):
            module._materialize(int(w.shape[0]) if module.transposed else int(w.shape[1]) * module.groups)
    elif isinstance(module, _LazyNormMixin) and module.has_uninitialized_params():
        for key in ("weight", "running_mean"):
            t = state_dict.get(prefix + key)
            if isinstance(t, Tensor) and t.ndim == 1:
                module._materialize(int(t.shape[0]))
                return


def _lazy_class(base: Any, name: str, init: Callable[..., None]) -> type[_LazyConvMixin]:
    """The lazy class `name` of conv class `base`, with `base`'s signature less `in_channels` (`init`)."""
    doc = f"`{base.__name__}` whose `in_channels` is inferred from the first input."
    return type(name, (_LazyConvMixin, base), {"__init__": init, "cls_to_become": base, "__doc__": doc, "__module__": __name__})


def _lazy_conv(base: Any, name: str) -> type[_LazyConvMixin]:
    def __init__(
        self: _LazyConvMixin,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        base.__init__(self, 0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode, device, dtype)
        self._lazy_setup(out_channels, bias, device, dtype)

    return _lazy_class(base, name, __init__)


def _lazy_conv_transpose(base: Any, name: str) -> type[_LazyConvMixin]:
    def __init__(
        self: _LazyConvMixin,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        base.__init__(
            self, 0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation, padding_mode, device, dtype
        )
        self._lazy_setup(out_channels, bias, device, dtype)

    return _lazy_class(base, name, __init__)


LazyConv1d = _lazy_conv(Conv1d, "LazyConv1d")
LazyConv2d = _lazy_conv(Conv2d, "LazyConv2d")
LazyConv3d = _lazy_conv(Conv3d, "LazyConv3d")
LazyConvTranspose1d = _lazy_conv_transpose(ConvTranspose1d, "LazyConvTranspose1d")
LazyConvTranspose2d = _lazy_conv_transpose(ConvTranspose2d, "LazyConvTranspose2d")
LazyConvTranspose3d = _lazy_conv_transpose(ConvTranspose3d, "LazyConvTranspose3d")


def _lazy_norm(base: Any, name: str) -> type[_LazyNormMixin]:
    def __init__(
        self: _LazyNormMixin,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,  # PyTorch's lazy instance norms default to True here too, unlike InstanceNorm
        track_running_stats: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        base.__init__(self, 0, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)
        self._lazy_setup(device, dtype)

    doc = f"`{base.__name__}` whose `num_features` is inferred from the first input."
    return type(name, (_LazyNormMixin, base), {"__init__": __init__, "cls_to_become": base, "__doc__": doc, "__module__": __name__})


LazyBatchNorm1d = _lazy_norm(BatchNorm1d, "LazyBatchNorm1d")
LazyBatchNorm2d = _lazy_norm(BatchNorm2d, "LazyBatchNorm2d")
LazyBatchNorm3d = _lazy_norm(BatchNorm3d, "LazyBatchNorm3d")
LazyInstanceNorm1d = _lazy_norm(InstanceNorm1d, "LazyInstanceNorm1d")
LazyInstanceNorm2d = _lazy_norm(InstanceNorm2d, "LazyInstanceNorm2d")
LazyInstanceNorm3d = _lazy_norm(InstanceNorm3d, "LazyInstanceNorm3d")
