"""Tensor methods that are the public functions of the same name: GENERATED, do not edit.

Written by `python -m ember._codegen` from `ember.dispatch.API` (each method calls
`ember.<name>` with the tensor first; each `name_` writes the result back into the
tensor). Declare a function with ``@public(method=True)`` and regenerate.
"""

# ruff: noqa: A002, E501

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import ops as _ops
    from .device import Device
    from .dtypes import DType
    from .random import Generator
    from .tensor import Tensor
else:
    _ops = None  # bound by `ember.ops` once it is imported (the ops import Tensor, so not the other way round)

__all__ = ["TensorMethods"]

_ = (Sequence, Any)  # names the generated signatures may use


class TensorMethods:
    """The public functions of `ember` as methods of `ember.Tensor`."""

    __slots__ = ()

    def abs(self) -> Tensor:
        """|input|, elementwise.

        See `ember.abs`.
        """
        return _ops.abs(self)

    def abs_(self) -> Tensor:
        """In-place abs(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("abs", self)

    def absolute(self) -> Tensor:
        """|input|, elementwise.

        See `ember.absolute`.
        """
        return _ops.absolute(self)

    def absolute_(self) -> Tensor:
        """In-place absolute(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("absolute", self)

    def add(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """input + alpha * other, elementwise (broadcast; dtypes promoted).

        See `ember.add`.
        """
        return _ops.add(self, other, alpha=alpha)

    def add_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """In-place add(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("add", self, other, alpha=alpha)

    def all(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """Whether every element over `dim` (all dims when None) is nonzero, as bool.

        See `ember.all`.
        """
        return _ops.all(self, dim, keepdim)

    def amax(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """The maximum over `dim` (all dims when None); nan propagates; the gradient is shared evenly by ties.

        See `ember.amax`.
        """
        return _ops.amax(self, dim, keepdim)

    def amin(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """The minimum over `dim` (all dims when None); nan propagates; the gradient is shared evenly by ties.

        See `ember.amin`.
        """
        return _ops.amin(self, dim, keepdim)

    def any(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """Whether any element over `dim` (all dims when None) is nonzero, as bool.

        See `ember.any`.
        """
        return _ops.any(self, dim, keepdim)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """The index of the first maximum along `dim` (of the flattened tensor when None), as int64.

        See `ember.argmax`.
        """
        return _ops.argmax(self, dim, keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """The index of the first minimum along `dim` (of the flattened tensor when None), as int64.

        See `ember.argmin`.
        """
        return _ops.argmin(self, dim, keepdim)

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = True) -> Tensor:
        """Indices that sort `input` along `dim` (stable).

        See `ember.argsort`.
        """
        return _ops.argsort(self, dim, descending, stable)

    def bmm(self, mat2: Tensor) -> Tensor:
        """The batched matrix product of two 3-D tensors (b, n, m) @ (b, m, p) (no broadcasting).

        See `ember.bmm`.
        """
        return _ops.bmm(self, mat2)

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        """`input` broadcast to `shape` without copying (NumPy's broadcast_to).

        See `ember.broadcast_to`.
        """
        return _ops.broadcast_to(self, shape)

    def ceil(self) -> Tensor:
        """Each element rounded up (toward +inf); integers unchanged.

        See `ember.ceil`.
        """
        return _ops.ceil(self)

    def ceil_(self) -> Tensor:
        """In-place ceil(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("ceil", self)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        """`input` split into `chunks` views of (nearly) equal size along `dim`; the last may be smaller.

        See `ember.chunk`.
        """
        return _ops.chunk(self, chunks, dim)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:
        """`input` limited to [min, max]; the gradient passes where min <= input <= max.

        See `ember.clamp`.
        """
        return _ops.clamp(self, min, max)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:
        """In-place clamp(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("clamp", self, min, max)

    def clip(self, min: Any = None, max: Any = None) -> Tensor:
        """`input` limited to [min, max]; the gradient passes where min <= input <= max.

        See `ember.clip`.
        """
        return _ops.clip(self, min, max)

    def clip_(self, min: Any = None, max: Any = None) -> Tensor:
        """In-place clip(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("clip", self, min, max)

    def clone(self) -> Tensor:
        """A copy of `x` with its own memory; gradients flow through it.

        See `ember.clone`.
        """
        return _ops.clone(self)

    def contiguous(self) -> Tensor:
        """`x` itself when it is not a view, else a compact copy.

        See `ember.contiguous`.
        """
        return _ops.contiguous(self)

    def copy_(self, src: Any) -> Tensor:
        """Write `src` into `x` (broadcast, cast to x's dtype); gradients flow to `src`.

        See `ember.copy_`.
        """
        return _ops.copy_(self, src)

    def cos(self) -> Tensor:
        """Cosine of each element (radians). Integer and bool inputs compute in the default float dtype.

        See `ember.cos`.
        """
        return _ops.cos(self)

    def cos_(self) -> Tensor:
        """In-place cos(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("cos", self)

    def count_nonzero(self, dim: Any = None) -> Tensor:
        """The number of nonzero elements over `dim` (all dims when None), as int64.

        See `ember.count_nonzero`.
        """
        return _ops.count_nonzero(self, dim)

    def cumsum(self, dim: int, *, dtype: Any = None) -> Tensor:
        """The running sum along `dim`; integers and bools sum in int64 unless `dtype` is given.

        See `ember.cumsum`.
        """
        return _ops.cumsum(self, dim, dtype=dtype)

    def div(self, other: Any) -> Tensor:
        """input / other, true division. Integer and bool inputs compute in the default float dtype.

        See `ember.div`.
        """
        return _ops.div(self, other)

    def div_(self, other: Any) -> Tensor:
        """In-place div(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("div", self, other)

    def divide(self, other: Any) -> Tensor:
        """input / other, true division. Integer and bool inputs compute in the default float dtype.

        See `ember.divide`.
        """
        return _ops.divide(self, other)

    def divide_(self, other: Any) -> Tensor:
        """In-place divide(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("divide", self, other)

    def dot(self, other: Tensor) -> Tensor:
        """The inner product of two 1-D tensors of the same length.

        See `ember.dot`.
        """
        return _ops.dot(self, other)

    def eq(self, other: Any) -> Tensor:
        """input == other, elementwise. Returns a bool tensor.

        See `ember.eq`.
        """
        return _ops.eq(self, other)

    def erf(self) -> Tensor:
        """The Gauss error function of each element. Integer and bool inputs compute in the default float dtype.

        See `ember.erf`.
        """
        return _ops.erf(self)

    def erf_(self) -> Tensor:
        """In-place erf(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("erf", self)

    def exp(self) -> Tensor:
        """e to the power of each element. Integer and bool inputs compute in the default float dtype.

        See `ember.exp`.
        """
        return _ops.exp(self)

    def exp_(self) -> Tensor:
        """In-place exp(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("exp", self)

    def expand(self, *sizes: Any) -> Tensor:
        """`input` broadcast to `sizes` without copying (-1 keeps a size).

        See `ember.expand`.
        """
        return _ops.expand(self, *sizes)

    def expand_as(self, other: Tensor) -> Tensor:
        """`input` broadcast to `other`'s shape without copying (see `expand`).

        See `ember.expand_as`.
        """
        return _ops.expand_as(self, other)

    def expm1(self) -> Tensor:
        """e**input - 1, accurate for small inputs. Integer and bool inputs compute in the default float dtype.

        See `ember.expm1`.
        """
        return _ops.expm1(self)

    def expm1_(self) -> Tensor:
        """In-place expm1(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("expm1", self)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """`input` with dimensions `start_dim`..`end_dim` merged into one (a view when the layout allows).

        See `ember.flatten`.
        """
        return _ops.flatten(self, start_dim, end_dim)

    def flip(self, dims: Any) -> Tensor:
        """`input` reversed along `dims`, in new memory.

        See `ember.flip`.
        """
        return _ops.flip(self, dims)

    def floor(self) -> Tensor:
        """Each element rounded down (toward -inf); integers unchanged.

        See `ember.floor`.
        """
        return _ops.floor(self)

    def floor_(self) -> Tensor:
        """In-place floor(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("floor", self)

    def floor_divide(self, other: Any) -> Tensor:
        """floor(input / other), Python's //. Not defined for bool tensors.

        See `ember.floor_divide`.
        """
        return _ops.floor_divide(self, other)

    def floor_divide_(self, other: Any) -> Tensor:
        """In-place floor_divide(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("floor_divide", self, other)

    def gather(self, dim: int, index: Tensor) -> Tensor:
        """out[i][j] = input[index[i][j]][j] (dim 0): values picked along `dim` by `index`.

        See `ember.gather`.
        """
        return _ops.gather(self, dim, index)

    def ge(self, other: Any) -> Tensor:
        """input >= other, elementwise. Returns a bool tensor.

        See `ember.ge`.
        """
        return _ops.ge(self, other)

    def greater(self, other: Any) -> Tensor:
        """input > other, elementwise. Returns a bool tensor.

        See `ember.greater`.
        """
        return _ops.greater(self, other)

    def greater_equal(self, other: Any) -> Tensor:
        """input >= other, elementwise. Returns a bool tensor.

        See `ember.greater_equal`.
        """
        return _ops.greater_equal(self, other)

    def gt(self, other: Any) -> Tensor:
        """input > other, elementwise. Returns a bool tensor.

        See `ember.gt`.
        """
        return _ops.gt(self, other)

    def index_select(self, dim: int, index: Tensor) -> Tensor:
        """The entries of `input` at `index` (a 1-D int64 tensor) along `dim`, in new memory.

        See `ember.index_select`.
        """
        return _ops.index_select(self, dim, index)

    def isfinite(self) -> Tensor:
        """Whether each element is finite (neither inf nor nan). Returns a bool tensor.

        See `ember.isfinite`.
        """
        return _ops.isfinite(self)

    def isnan(self) -> Tensor:
        """Whether each element is nan. Returns a bool tensor.

        See `ember.isnan`.
        """
        return _ops.isnan(self)

    def le(self, other: Any) -> Tensor:
        """input <= other, elementwise. Returns a bool tensor.

        See `ember.le`.
        """
        return _ops.le(self, other)

    def less(self, other: Any) -> Tensor:
        """input < other, elementwise. Returns a bool tensor.

        See `ember.less`.
        """
        return _ops.less(self, other)

    def less_equal(self, other: Any) -> Tensor:
        """input <= other, elementwise. Returns a bool tensor.

        See `ember.less_equal`.
        """
        return _ops.less_equal(self, other)

    def log(self) -> Tensor:
        """Natural logarithm of each element: -inf at 0, nan below 0. Integer and bool inputs compute in the default float dtype.

        See `ember.log`.
        """
        return _ops.log(self)

    def log_(self) -> Tensor:
        """In-place log(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("log", self)

    def log1p(self) -> Tensor:
        """log(1 + input), accurate for small inputs. Integer and bool inputs compute in the default float dtype.

        See `ember.log1p`.
        """
        return _ops.log1p(self)

    def log1p_(self) -> Tensor:
        """In-place log1p(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("log1p", self)

    def log_softmax(self, dim: int, dtype: Any = None) -> Tensor:
        """Log-softmax along `dim`.

        See `ember.log_softmax`.
        """
        return _ops.log_softmax(self, dim, dtype)

    def logical_and(self, other: Any) -> Tensor:
        """input and other, elementwise. Nonzero counts as True; returns a bool tensor.

        See `ember.logical_and`.
        """
        return _ops.logical_and(self, other)

    def logical_not(self) -> Tensor:
        """Logical not of each element. Nonzero counts as True; returns a bool tensor.

        See `ember.logical_not`.
        """
        return _ops.logical_not(self)

    def logical_or(self, other: Any) -> Tensor:
        """input or other, elementwise. Nonzero counts as True; returns a bool tensor.

        See `ember.logical_or`.
        """
        return _ops.logical_or(self, other)

    def logical_xor(self, other: Any) -> Tensor:
        """input xor other, elementwise. Nonzero counts as True; returns a bool tensor.

        See `ember.logical_xor`.
        """
        return _ops.logical_xor(self, other)

    def logsumexp(self, dim: Any, keepdim: bool = False) -> Tensor:
        """log(sum(exp(input), dim)), stable for large inputs.

        See `ember.logsumexp`.
        """
        return _ops.logsumexp(self, dim, keepdim)

    def lt(self, other: Any) -> Tensor:
        """input < other, elementwise. Returns a bool tensor.

        See `ember.lt`.
        """
        return _ops.lt(self, other)

    def masked_fill(self, mask: Tensor, value: Any) -> Tensor:
        """`input` with `value` where `mask` is True (mask broadcasts).

        See `ember.masked_fill`.
        """
        return _ops.masked_fill(self, mask, value)

    def masked_fill_(self, mask: Tensor, value: Any) -> Tensor:
        """In-place masked_fill(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("masked_fill", self, mask, value)

    def matmul(self, other: Tensor) -> Tensor:
        """Matrix product with broadcasting batch dims (``a @ b``).

        See `ember.matmul`.
        """
        return _ops.matmul(self, other)

    def max(self, dim: Any = None, keepdim: bool = False) -> Any:
        """The maximum (no dim), (values, indices) along `dim`, or the elementwise max with a tensor.

        See `ember.max`.
        """
        return _ops.max(self, dim, keepdim)

    def maximum(self, other: Any) -> Tensor:
        """The larger of input and other, elementwise (nan if either is nan).

        See `ember.maximum`.
        """
        return _ops.maximum(self, other)

    def mean(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
        """Arithmetic mean over `dim`; floating dtypes only, like PyTorch.

        See `ember.mean`.
        """
        return _ops.mean(self, dim, keepdim, dtype=dtype)

    def min(self, dim: Any = None, keepdim: bool = False) -> Any:
        """The minimum (no dim), (values, indices) along `dim`, or the elementwise min with a tensor.

        See `ember.min`.
        """
        return _ops.min(self, dim, keepdim)

    def minimum(self, other: Any) -> Tensor:
        """The smaller of input and other, elementwise (nan if either is nan).

        See `ember.minimum`.
        """
        return _ops.minimum(self, other)

    def mm(self, mat2: Tensor) -> Tensor:
        """The matrix product of two 2-D tensors (no broadcasting).

        See `ember.mm`.
        """
        return _ops.mm(self, mat2)

    def movedim(self, source: int, destination: int) -> Tensor:
        """`input` with dimension `source` moved to position `destination`, as a view.

        See `ember.movedim`.
        """
        return _ops.movedim(self, source, destination)

    def mul(self, other: Any) -> Tensor:
        """input * other, elementwise.

        See `ember.mul`.
        """
        return _ops.mul(self, other)

    def mul_(self, other: Any) -> Tensor:
        """In-place mul(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("mul", self, other)

    def multiply(self, other: Any) -> Tensor:
        """input * other, elementwise.

        See `ember.multiply`.
        """
        return _ops.multiply(self, other)

    def multiply_(self, other: Any) -> Tensor:
        """In-place multiply(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("multiply", self, other)

    def ne(self, other: Any) -> Tensor:
        """input != other, elementwise. Returns a bool tensor.

        See `ember.ne`.
        """
        return _ops.ne(self, other)

    def neg(self) -> Tensor:
        """-input, elementwise. Not defined for bool tensors.

        See `ember.neg`.
        """
        return _ops.neg(self)

    def neg_(self) -> Tensor:
        """In-place neg(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("neg", self)

    def negative(self) -> Tensor:
        """-input, elementwise. Not defined for bool tensors.

        See `ember.negative`.
        """
        return _ops.negative(self)

    def negative_(self) -> Tensor:
        """In-place negative(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("negative", self)

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        """Indices of nonzero elements: an (n, ndim) int64 tensor, or a tuple of 1-D ones.

        See `ember.nonzero`.
        """
        return _ops.nonzero(self, as_tuple=as_tuple)

    def not_equal(self, other: Any) -> Tensor:
        """input != other, elementwise. Returns a bool tensor.

        See `ember.not_equal`.
        """
        return _ops.not_equal(self, other)

    def outer(self, vec2: Tensor) -> Tensor:
        """The outer product of two 1-D tensors: out[i, j] = input[i] * vec2[j].

        See `ember.outer`.
        """
        return _ops.outer(self, vec2)

    def permute(self, *dims: Any) -> Tensor:
        """`input` with its dims reordered (a view).

        See `ember.permute`.
        """
        return _ops.permute(self, *dims)

    def pow(self, other: Any) -> Tensor:
        """input ** exponent, elementwise.

        See `ember.pow`.
        """
        return _ops.pow(self, other)

    def pow_(self, other: Any) -> Tensor:
        """In-place pow(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("pow", self, other)

    def prod(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
        """The product over `dim` (all dims when None); integers and bools multiply in int64.

        See `ember.prod`.
        """
        return _ops.prod(self, dim, keepdim, dtype=dtype)

    def reciprocal(self) -> Tensor:
        """1 / input, elementwise. Integer and bool inputs compute in the default float dtype.

        See `ember.reciprocal`.
        """
        return _ops.reciprocal(self)

    def reciprocal_(self) -> Tensor:
        """In-place reciprocal(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("reciprocal", self)

    def relu(self) -> Tensor:
        """max(input, 0), elementwise (nan stays nan).

        See `ember.relu`.
        """
        return _ops.relu(self)

    def relu_(self) -> Tensor:
        """In-place relu(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("relu", self)

    def remainder(self, other: Any) -> Tensor:
        """input - floor(input / other) * other, Python's % (the sign of other). Not defined for bool tensors.

        See `ember.remainder`.
        """
        return _ops.remainder(self, other)

    def remainder_(self, other: Any) -> Tensor:
        """In-place remainder(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("remainder", self, other)

    def reshape(self, *shape: Any) -> Tensor:
        """`input` with a new shape: a view when the layout allows, else a view of a compact copy.

        See `ember.reshape`.
        """
        return _ops.reshape(self, *shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        """`input` reshaped to `other`'s shape (a view when the layout allows; see `reshape`).

        See `ember.reshape_as`.
        """
        return _ops.reshape_as(self, other)

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        """Shift elements along `dims` cyclically (flattened when `dims` is None).

        See `ember.roll`.
        """
        return _ops.roll(self, shifts, dims)

    def round(self) -> Tensor:
        """Each element rounded to the nearest integer, half to even; integers unchanged.

        See `ember.round`.
        """
        return _ops.round(self)

    def round_(self) -> Tensor:
        """In-place round(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("round", self)

    def rsqrt(self) -> Tensor:
        """1 / sqrt(input), elementwise. Integer and bool inputs compute in the default float dtype.

        See `ember.rsqrt`.
        """
        return _ops.rsqrt(self)

    def rsqrt_(self) -> Tensor:
        """In-place rsqrt(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("rsqrt", self)

    def scatter(self, dim: int, index: Tensor, src: Any = None, *, value: Any = None) -> Tensor:
        """A copy of `input` with values from `src` written at `index` along `dim`.

        See `ember.scatter`.
        """
        return _ops.scatter(self, dim, index, src, value=value)

    def scatter_(self, dim: int, index: Tensor, src: Any = None, *, value: Any = None) -> Tensor:
        """In-place scatter(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("scatter", self, dim, index, src, value=value)

    def scatter_add(self, dim: int, index: Tensor, src: Tensor) -> Tensor:
        """A copy of `input` with `src` added at `index` along `dim` (repeats sum).

        See `ember.scatter_add`.
        """
        return _ops.scatter_add(self, dim, index, src)

    def scatter_add_(self, dim: int, index: Tensor, src: Tensor) -> Tensor:
        """In-place scatter_add(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("scatter_add", self, dim, index, src)

    def sigmoid(self) -> Tensor:
        """The logistic function 1 / (1 + e**-input), without overflow for large |input|. Integer and bool inputs compute in the default float dtype.

        See `ember.sigmoid`.
        """
        return _ops.sigmoid(self)

    def sigmoid_(self) -> Tensor:
        """In-place sigmoid(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("sigmoid", self)

    def sign(self) -> Tensor:
        """-1, 0 or 1 by the sign of each element (nan stays nan). Not defined for bool tensors.

        See `ember.sign`.
        """
        return _ops.sign(self)

    def sign_(self) -> Tensor:
        """In-place sign(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("sign", self)

    def sin(self) -> Tensor:
        """Sine of each element (radians). Integer and bool inputs compute in the default float dtype.

        See `ember.sin`.
        """
        return _ops.sin(self)

    def sin_(self) -> Tensor:
        """In-place sin(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("sin", self)

    def softmax(self, dim: int, dtype: Any = None) -> Tensor:
        """Softmax along `dim`.

        See `ember.softmax`.
        """
        return _ops.softmax(self, dim, dtype)

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = True) -> Any:
        """(values, indices) of `input` sorted along `dim`; gradients flow to the values' positions.

        See `ember.sort`.
        """
        return _ops.sort(self, dim, descending, stable)

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
        """Views of consecutive pieces along `dim`: equal `int` sizes, or a list of sizes.

        See `ember.split`.
        """
        return _ops.split(self, split_size_or_sections, dim)

    def sqrt(self) -> Tensor:
        """Square root of each element; nan below 0. Integer and bool inputs compute in the default float dtype.

        See `ember.sqrt`.
        """
        return _ops.sqrt(self)

    def sqrt_(self) -> Tensor:
        """In-place sqrt(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("sqrt", self)

    def square(self) -> Tensor:
        """input * input, elementwise.

        See `ember.square`.
        """
        return _ops.square(self)

    def square_(self) -> Tensor:
        """In-place square(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("square", self)

    def squeeze(self, dim: Any = None) -> Tensor:
        """Remove dims of size 1 (all of them, or those in `dim` that are 1).

        See `ember.squeeze`.
        """
        return _ops.squeeze(self, dim)

    def std(self, dim: Any = None, *, correction: float = 1, keepdim: bool = False, unbiased: bool | None = None) -> Tensor:
        """The standard deviation over `dim` with Bessel's correction by default (`correction=1`).

        See `ember.std`.
        """
        return _ops.std(self, dim, correction=correction, keepdim=keepdim, unbiased=unbiased)

    def sub(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """input - alpha * other, elementwise (broadcast; dtypes promoted). Not defined for bool tensors.

        See `ember.sub`.
        """
        return _ops.sub(self, other, alpha=alpha)

    def sub_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """In-place sub(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("sub", self, other, alpha=alpha)

    def subtract(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """input - alpha * other, elementwise (broadcast; dtypes promoted). Not defined for bool tensors.

        See `ember.subtract`.
        """
        return _ops.subtract(self, other, alpha=alpha)

    def subtract_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """In-place subtract(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("subtract", self, other, alpha=alpha)

    def sum(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
        """Sum over `dim` (all dims when None); ints and bools sum in int64.

        See `ember.sum`.
        """
        return _ops.sum(self, dim, keepdim, dtype=dtype)

    def sum_to_size(self, *size: Any) -> Tensor:
        """Sum `input` down to `size`, undoing a broadcast (leading dims and dims of size 1).

        See `ember.sum_to_size`.
        """
        return _ops.sum_to_size(self, *size)

    def swapaxes(self, dim0: int, dim1: int) -> Tensor:
        """`input` with dimensions `dim0` and `dim1` swapped, as a view.

        See `ember.swapaxes`.
        """
        return _ops.swapaxes(self, dim0, dim1)

    def t(self) -> Tensor:
        """The transpose of a tensor of at most 2 dimensions, as a view (0-d and 1-d are returned as they are).

        See `ember.t`.
        """
        return _ops.t(self)

    def take_along_dim(self, indices: Tensor, dim: int | None = None) -> Tensor:
        """The values of `input` at `indices` along `dim` (NumPy's take_along_axis).

        With `dim` None both are flattened first; otherwise they have the same number of
        dimensions and broadcast in every dimension but `dim`.

        See `ember.take_along_dim`.
        """
        return _ops.take_along_dim(self, indices, dim)

    def tanh(self) -> Tensor:
        """Hyperbolic tangent of each element. Integer and bool inputs compute in the default float dtype.

        See `ember.tanh`.
        """
        return _ops.tanh(self)

    def tanh_(self) -> Tensor:
        """In-place tanh(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("tanh", self)

    def to(self, *args: Any, device: Any = None, dtype: Any = None, copy: bool = False, non_blocking: bool = False) -> Tensor:
        """`x` on another device and/or in another dtype: `.to("cuda")`, `.to(ember.float64)`, `.to(other)`.

        See `ember.to`.
        """
        return _ops.to(self, *args, device=device, dtype=dtype, copy=copy, non_blocking=non_blocking)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
        """The `k` largest (or smallest) values along `dim` and their indices.

        See `ember.topk`.
        """
        return _ops.topk(self, k, dim, largest, sorted)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        """`input` with dimensions `dim0` and `dim1` swapped, as a view.

        See `ember.transpose`.
        """
        return _ops.transpose(self, dim0, dim1)

    def tril(self, diagonal: int = 0) -> Tensor:
        """The lower triangle (elements with col - row <= diagonal); the rest zero.

        See `ember.tril`.
        """
        return _ops.tril(self, diagonal)

    def triu(self, diagonal: int = 0) -> Tensor:
        """The upper triangle (elements with col - row >= diagonal); the rest zero.

        See `ember.triu`.
        """
        return _ops.triu(self, diagonal)

    def true_divide(self, other: Any) -> Tensor:
        """input / other, true division. Integer and bool inputs compute in the default float dtype.

        See `ember.true_divide`.
        """
        return _ops.true_divide(self, other)

    def true_divide_(self, other: Any) -> Tensor:
        """In-place true_divide(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("true_divide", self, other)

    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
        """The slices of `input` along `dim` as a tuple of views, each without that dimension.

        See `ember.unbind`.
        """
        return _ops.unbind(self, dim)

    def unflatten(self, dim: int, sizes: Sequence[int]) -> Tensor:
        """`input` with dimension `dim` split into `sizes` (one of them may be -1).

        See `ember.unflatten`.
        """
        return _ops.unflatten(self, dim, sizes)

    def unsqueeze(self, dim: int) -> Tensor:
        """`input` with a dimension of size 1 inserted at `dim`, as a view.

        See `ember.unsqueeze`.
        """
        return _ops.unsqueeze(self, dim)

    def var(self, dim: Any = None, *, correction: float = 1, keepdim: bool = False, unbiased: bool | None = None) -> Tensor:
        """Variance over `dim` with Bessel's `correction` (1 by default, like PyTorch).

        See `ember.var`.
        """
        return _ops.var(self, dim, correction=correction, keepdim=keepdim, unbiased=unbiased)

    def view(self, *shape: Any) -> Tensor:
        """`input` with a new shape, sharing its memory (fails if the layout does not allow it).

        See `ember.view`.
        """
        return _ops.view(self, *shape)

    def view_as(self, other: Tensor) -> Tensor:
        """`input` viewed with `other`'s shape (shares memory; see `view`).

        See `ember.view_as`.
        """
        return _ops.view_as(self, other)

    def where(self, input: Any, other: Any) -> Tensor:
        """`input` where `condition` holds, else `other` (broadcast; dtypes promoted).

        See `ember.where`.
        """
        return _ops.where(self, input, other)
