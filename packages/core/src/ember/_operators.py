"""A tensor's Python operators (``a + b``, ``x[i]``, ``~m``), dtype casts (``x.float()``) and ``new_*`` makers.

These are the Tensor methods that are not one public function of the same name
(those are generated into `ember._tensor_methods` from `ember.dispatch.API`).
`Tensor` inherits both classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import dtypes as _dt

if TYPE_CHECKING:
    from . import ops as _ops
    from .device import Device
    from .random import Generator
    from .tensor import Tensor
else:
    _ops = None  # bound by `ember.ops` once it is imported (the ops import Tensor, so not the other way round)

__all__ = ["TensorOperators"]


def _bool_only(self: Tensor, other: Any, name: str) -> None:
    is_tensor = isinstance(other, TensorOperators)
    if self._dtype is not _dt.bool_ or (is_tensor and other._dtype is not _dt.bool_):
        raise TypeError(
            f"operator {name}: Ember implements &, |, ^ for bool tensors only (got {self._dtype.name}"
            f"{', ' + other._dtype.name if is_tensor else ''}); use logical_{name}()"
        )


class TensorOperators:
    """Operators, casts and makers of `ember.Tensor`."""

    __slots__ = ()

    # -- arithmetic -------------------------------------------------------------
    def __add__(self: Tensor, other: Any) -> Tensor:
        return _ops.elementwise.binary(_ops.elementwise.ADD, self, other)

    def __radd__(self: Tensor, other: Any) -> Tensor:
        return _ops.elementwise.binary(_ops.elementwise.ADD, other, self)

    def __sub__(self: Tensor, other: Any) -> Tensor:
        return _ops.elementwise.binary(_ops.elementwise.SUB, self, other)

    def __rsub__(self: Tensor, other: Any) -> Tensor:
        return _ops.elementwise.binary(_ops.elementwise.SUB, other, self)

    def __mul__(self: Tensor, other: Any) -> Tensor:
        return _ops.elementwise.binary(_ops.elementwise.MUL, self, other)

    def __rmul__(self: Tensor, other: Any) -> Tensor:
        return _ops.elementwise.binary(_ops.elementwise.MUL, other, self)

    def __truediv__(self: Tensor, other: Any) -> Tensor:
        return _ops.elementwise.binary(_ops.elementwise.DIV, self, other)

    def __rtruediv__(self: Tensor, other: Any) -> Tensor:
        return _ops.elementwise.binary(_ops.elementwise.DIV, other, self)

    def __floordiv__(self: Tensor, other: Any) -> Tensor:
        return _ops.elementwise.binary(_ops.elementwise.FLOOR_DIVIDE, self, other)

    def __rfloordiv__(self: Tensor, other: Any) -> Tensor:
        return _ops.elementwise.binary(_ops.elementwise.FLOOR_DIVIDE, other, self)

    def __mod__(self: Tensor, other: Any) -> Tensor:
        return _ops.elementwise.binary(_ops.elementwise.REMAINDER, self, other)

    def __rmod__(self: Tensor, other: Any) -> Tensor:
        return _ops.elementwise.binary(_ops.elementwise.REMAINDER, other, self)

    def __pow__(self: Tensor, other: Any) -> Tensor:
        return _ops.elementwise.binary(_ops.elementwise.POW, self, other)

    def __rpow__(self: Tensor, other: Any) -> Tensor:
        return _ops.elementwise.binary(_ops.elementwise.POW, other, self)

    def __matmul__(self: Tensor, other: Tensor) -> Tensor:
        return _ops.matmul(self, other)

    def __rmatmul__(self: Tensor, other: Tensor) -> Tensor:
        return _ops.matmul(other, self)

    def __iadd__(self: Tensor, other: Any) -> Tensor:
        return _ops.conversion.inplace("add", self, other)

    def __isub__(self: Tensor, other: Any) -> Tensor:
        return _ops.conversion.inplace("sub", self, other)

    def __imul__(self: Tensor, other: Any) -> Tensor:
        return _ops.conversion.inplace("mul", self, other)

    def __itruediv__(self: Tensor, other: Any) -> Tensor:
        return _ops.conversion.inplace("div", self, other)

    def __ifloordiv__(self: Tensor, other: Any) -> Tensor:
        return _ops.conversion.inplace("floor_divide", self, other)

    def __imod__(self: Tensor, other: Any) -> Tensor:
        return _ops.conversion.inplace("remainder", self, other)

    def __ipow__(self: Tensor, other: Any) -> Tensor:
        return _ops.conversion.inplace("pow", self, other)

    def __neg__(self: Tensor) -> Tensor:
        return _ops.neg(self)

    def __pos__(self: Tensor) -> Tensor:
        return self

    def __abs__(self: Tensor) -> Tensor:
        return _ops.abs(self)

    # -- comparisons (elementwise, as in PyTorch) -----------------------------------
    def __eq__(self: Tensor, other: Any) -> Tensor:  # type: ignore[override]  # elementwise, as in PyTorch
        return _ops.elementwise.binary(_ops.elementwise.EQ, self, other)

    def __ne__(self: Tensor, other: Any) -> Tensor:  # type: ignore[override]  # elementwise, as in PyTorch
        return _ops.elementwise.binary(_ops.elementwise.NE, self, other)

    def __lt__(self: Tensor, other: Any) -> Tensor:
        return _ops.elementwise.binary(_ops.elementwise.LT, self, other)

    def __le__(self: Tensor, other: Any) -> Tensor:
        return _ops.elementwise.binary(_ops.elementwise.LE, self, other)

    def __gt__(self: Tensor, other: Any) -> Tensor:
        return _ops.elementwise.binary(_ops.elementwise.GT, self, other)

    def __ge__(self: Tensor, other: Any) -> Tensor:
        return _ops.elementwise.binary(_ops.elementwise.GE, self, other)

    # -- logical operators: bool tensors only ----------------------------------------
    def __and__(self: Tensor, other: Any) -> Tensor:
        _bool_only(self, other, "and")
        return _ops.logical_and(self, other)

    __rand__ = __and__

    def __or__(self: Tensor, other: Any) -> Tensor:
        _bool_only(self, other, "or")
        return _ops.logical_or(self, other)

    __ror__ = __or__

    def __xor__(self: Tensor, other: Any) -> Tensor:
        _bool_only(self, other, "xor")
        return _ops.logical_xor(self, other)

    __rxor__ = __xor__

    def __invert__(self: Tensor) -> Tensor:
        if self._dtype is not _dt.bool_:
            raise TypeError(f"operator ~: Ember implements ~ for bool tensors only, got {self._dtype.name}")
        return _ops.logical_not(self)

    # -- indexing ---------------------------------------------------------------------
    def __getitem__(self: Tensor, key: Any) -> Tensor:
        return _ops.indexing.getitem(self, key)

    def __setitem__(self: Tensor, key: Any, value: Any) -> None:
        _ops.indexing.setitem(self, key, value)

    # -- transposes -------------------------------------------------------------------
    @property
    def T(self: Tensor) -> Tensor:
        """The tensor with its dimensions reversed."""
        return _ops.permute(self, tuple(reversed(range(self.ndim))))

    @property
    def mT(self: Tensor) -> Tensor:
        """The last two dimensions swapped (a batch of transposed matrices)."""
        return _ops.transpose(self, -2, -1)

    # -- dtype and device casts -------------------------------------------------------
    def float(self: Tensor) -> Tensor:
        """This tensor as float32 (itself when it already is)."""
        return _ops.to(self, dtype=_dt.float32)

    def double(self: Tensor) -> Tensor:
        """This tensor as float64."""
        return _ops.to(self, dtype=_dt.float64)

    def half(self: Tensor) -> Tensor:
        """This tensor as float16."""
        return _ops.to(self, dtype=_dt.float16)

    def bfloat16(self: Tensor) -> Tensor:
        """This tensor as bfloat16."""
        return _ops.to(self, dtype=_dt.bfloat16)

    def long(self: Tensor) -> Tensor:
        """This tensor as int64."""
        return _ops.to(self, dtype=_dt.int64)

    def int(self: Tensor) -> Tensor:
        """This tensor as int32."""
        return _ops.to(self, dtype=_dt.int32)

    def short(self: Tensor) -> Tensor:
        """This tensor as int16."""
        return _ops.to(self, dtype=_dt.int16)

    def bool(self: Tensor) -> Tensor:
        """This tensor as bool (nonzero is True)."""
        return _ops.to(self, dtype=_dt.bool_)

    def byte(self: Tensor) -> Tensor:
        """This tensor as uint8."""
        return _ops.to(self, dtype=_dt.uint8)

    def char(self: Tensor) -> Tensor:
        """This tensor as int8."""
        return _ops.to(self, dtype=_dt.int8)

    def type_as(self: Tensor, other: Tensor) -> Tensor:
        """This tensor in `other`'s dtype."""
        return _ops.to(self, dtype=other._dtype)

    def cpu(self: Tensor) -> Tensor:
        """This tensor on the host device "cpu" (itself when it is there)."""
        return _ops.to(self, "cpu")

    # -- filling in place ---------------------------------------------------------------
    def zero_(self: Tensor) -> Tensor:
        """Fill with zeros, in place."""
        return _ops.conversion.assign_(self, _ops.zeros_like(self), "zero_")

    def fill_(self: Tensor, value: Any) -> Tensor:
        """Fill with `value` (a number or a one-element tensor), in place."""
        v = value.item() if isinstance(value, TensorOperators) else value
        return _ops.conversion.assign_(self, _ops.full_like(self, v), "fill_")

    def uniform_(self: Tensor, a: Any = 0.0, b: Any = 1.0, generator: Generator | None = None) -> Tensor:
        """Fill with samples uniform in [a, b), in place."""
        return _ops.conversion.assign_(self, _ops.rand_like(self, generator=generator) * (b - a) + a, "uniform_")

    def normal_(self: Tensor, mean: Any = 0.0, std: Any = 1.0, generator: Generator | None = None) -> Tensor:
        """Fill with normal samples of `mean` and `std`, in place."""
        return _ops.conversion.assign_(self, _ops.randn_like(self, generator=generator) * std + mean, "normal_")

    def bernoulli_(self: Tensor, p: Any = 0.5, generator: Generator | None = None) -> Tensor:
        """Fill with 1 with probability `p`, else 0, in place."""
        return _ops.conversion.assign_(self, _ops.bernoulli(self, p, generator=generator), "bernoulli_")

    # -- new tensors like this one ------------------------------------------------------
    def new_zeros(self: Tensor, *size: Any, dtype: Any = None, device: str | Device | None = None) -> Tensor:
        """Zeros of `size`, in this tensor's dtype and device unless given."""
        return _ops.zeros(*size, dtype=dtype or self._dtype, device=device or self._device)

    def new_ones(self: Tensor, *size: Any, dtype: Any = None, device: str | Device | None = None) -> Tensor:
        """Ones of `size`, in this tensor's dtype and device unless given."""
        return _ops.ones(*size, dtype=dtype or self._dtype, device=device or self._device)

    def new_empty(self: Tensor, *size: Any, dtype: Any = None, device: str | Device | None = None) -> Tensor:
        """An uninitialized tensor of `size`, in this tensor's dtype and device unless given."""
        return _ops.empty(*size, dtype=dtype or self._dtype, device=device or self._device)

    def new_full(
        self: Tensor, size: Any, fill_value: Any, dtype: Any = None, device: str | Device | None = None
    ) -> Tensor:
        """`fill_value` in a tensor of `size`, in this tensor's dtype and device unless given."""
        return _ops.full(size, fill_value, dtype=dtype or self._dtype, device=device or self._device)

    def new_tensor(self: Tensor, data: Any, dtype: Any = None, device: str | Device | None = None) -> Tensor:
        """A tensor of `data`, in this tensor's dtype and device unless given."""
        from .tensor import tensor

        return tensor(data, dtype=dtype or self._dtype, device=device or self._device)
