"""`Conv1d/2d/3d`, `ConvTranspose1d/2d/3d` (PyTorch's arguments, default initialisation and checks)."""

from __future__ import annotations

import math
from typing import Any

import ember
from ember import Tensor

from .. import functional as F
from .. import init
from ..parameter import Parameter
from . import _checks
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    _nd = 2
    _conv: Any = None  # F.conv1d or F.conv2d (a staticmethod), for the plain convolutions' forward

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any,
        padding: Any,
        dilation: Any,
        transposed: bool,
        output_padding: Any,
        groups: int,
        bias: bool,
        padding_mode: str,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        nd = self._nd
        layer = type(self).__name__
        _checks.non_negative(layer, "in_channels", in_channels)
        _checks.non_negative(layer, "out_channels", out_channels)
        _checks.positive(layer, "kernel_size", kernel_size)
        _checks.positive(layer, "stride", stride)
        _checks.positive(layer, "dilation", dilation)
        if not isinstance(padding, str):
            _checks.non_negative(layer, "padding", padding)
        _checks.non_negative(layer, "output_padding", output_padding)
        if groups <= 0:
            raise ValueError(f"{layer}: groups must be a positive integer, got groups={groups!r}")
        if in_channels % groups:
            raise ValueError(f"in_channels ({in_channels}) must be divisible by groups ({groups})")
        if out_channels % groups:
            raise ValueError(f"out_channels ({out_channels}) must be divisible by groups ({groups})")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, but got padding_mode={padding_mode!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = F._pair(kernel_size, nd, "kernel_size")
        self.stride = F._pair(stride, nd, "stride")
        self.dilation = F._pair(dilation, nd, "dilation")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"invalid padding string {padding!r}, should be one of ('valid', 'same')")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding: Any = padding
        else:
            self.padding = F._pair(padding, nd, "padding")
        self.transposed = transposed
        self.output_padding = F._pair(output_padding, nd, "output_padding")
        self.groups, self.padding_mode = groups, padding_mode
        if transposed:
            shape = (in_channels, out_channels // groups, *self.kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = Parameter(ember.empty(*shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(ember.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def _check_input(self, input: Tensor) -> None:  # noqa: A002
        nd = self._nd
        name = type(self).__name__
        layout = F._CONV_LAYOUT[nd]
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected a Tensor input, got {type(input).__name__}")
        if input.ndim not in (nd + 1, nd + 2):
            raise F._ShapeError(
                f"{name}: expected a {nd + 1}-D (unbatched) or {nd + 2}-D (batched) input {layout}, "
                f"got a {input.ndim}-D input of shape {tuple(input.shape)}"
            )
        c = input.shape[-nd - 1]
        if c != self.in_channels:
            raise F._ShapeError(
                f"{name}: expected input of shape {tuple(input.shape)} to have {self.in_channels} channels "
                f"(in_channels), but got {c} channels instead"
            )

    def _mode_pad(self, input: Tensor) -> tuple[Tensor, Any]:  # noqa: A002
        """Non-zero padding modes pad explicitly, then the convolution runs unpadded."""
        if self.padding_mode == "zeros" or self.padding == "valid":
            return input, self.padding
        widths: list[int] = []
        if self.padding == "same":  # PyTorch's split of d (k - 1): the smaller half before, the rest after
            for d, k in zip(reversed(self.dilation), reversed(self.kernel_size)):
                total = d * (k - 1)
                widths += [total // 2, total - total // 2]
        else:
            for p in reversed(self.padding):
                widths += [p, p]
        return F.pad(input, widths, mode=self.padding_mode), 0

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        self._check_input(input)
        x, padding = self._mode_pad(input)
        return self._conv(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        zero = (0,) * self._nd
        if self.padding != zero:
            s += f", padding={self.padding}"  # PyTorch's repr: padding=same, unquoted
        if self.dilation != (1,) * self._nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != zero:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv2d(_ConvNd):
    """2-D convolution over (N, C_in, H, W) (or unbatched (C_in, H, W))."""

    _nd = 2
    _conv = staticmethod(F.conv2d)

    def __init__(
        self,
        in_channels: int,
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
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, False, 0, groups, bias, padding_mode,
            device, dtype,
        )  # fmt: skip


class Conv1d(_ConvNd):
    """1-D convolution over (N, C_in, L) (or unbatched (C_in, L))."""

    _nd = 1
    _conv = staticmethod(F.conv1d)

    def __init__(
        self,
        in_channels: int,
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
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, False, 0, groups, bias, padding_mode,
            device, dtype,
        )  # fmt: skip


class Conv3d(_ConvNd):
    """3-D convolution over (N, C_in, D, H, W) (or unbatched (C_in, D, H, W))."""

    _nd = 3
    _conv = staticmethod(F.conv3d)

    def __init__(
        self,
        in_channels: int,
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
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, False, 0, groups, bias, padding_mode,
            device, dtype,
        )  # fmt: skip


class _ConvTransposeNd(_ConvNd):
    """Transposed convolutions (the gradient of the convolution with respect to its input)."""

    _conv_t: Any = None  # F.conv_transpose1d/2d/3d (a staticmethod)

    def __init__(
        self,
        in_channels: int,
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
        name = type(self).__name__
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {name}, got {padding_mode!r}')
        if isinstance(padding, str):
            raise ValueError(f"{name}: padding must be an int or a tuple of ints, got {padding!r}")
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, True, output_padding, groups, bias,
            padding_mode, device, dtype,
        )  # fmt: skip

    def _output_padding(self, input: Tensor, output_size: Any) -> tuple[int, ...]:  # noqa: A002
        """The output_padding that gives `output_size` (PyTorch's rule: it must lie within one stride)."""
        if output_size is None:
            return self.output_padding
        nd = self._nd
        want = [int(v) for v in tuple(output_size)[-nd:]]
        if len(want) != nd:
            raise ValueError(f"{type(self).__name__}: output_size must have {nd} or {nd + 2} elements, got {output_size!r}")
        out = []
        for i in range(nd):
            least = (
                (input.shape[-nd + i] - 1) * self.stride[i] - 2 * self.padding[i]
                + self.dilation[i] * (self.kernel_size[i] - 1) + 1
            )  # fmt: skip
            if not least <= want[i] < least + self.stride[i]:
                raise ValueError(
                    f"{type(self).__name__}: requested an output size of {want}, but valid sizes range from {least} "
                    f"to {least + self.stride[i] - 1} in dim {i} (for an input of shape {tuple(input.shape)})"
                )
            out.append(want[i] - least)
        return tuple(out)

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:  # noqa: A002
        self._check_input(input)
        output_padding = self._output_padding(input, output_size)
        return self._conv_t(
            input, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups, self.dilation
        )


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-D convolution over (N, C_in, L) (or unbatched (C_in, L))."""

    _nd = 1
    _conv_t = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-D convolution over (N, C_in, H, W) (or unbatched (C_in, H, W))."""

    _nd = 2
    _conv_t = staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    """Transposed 3-D convolution over (N, C_in, D, H, W) (or unbatched (C_in, D, H, W))."""

    _nd = 3
    _conv_t = staticmethod(F.conv_transpose3d)
