"""How an op runs: check devices, find the kernel, wrap its result, record the graph.

Every op module goes through `run` (or `call`, for composites); the device check,
the kernel lookup, the "needs grad" test and graph recording are written here once.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from .. import capture as _capture
from .. import dtypes as _dt
from ..autograd import grad_mode
from ..autograd.graph import Node
from ..device import Device
from ..dispatch import Op, complex_refused, kernel_for
from ..dtypes import DType
from ..tensor import Tensor, _is_scalar, check_dtype_supported, tracked

_make = Tensor._make  # ember.kernel_checks swaps in a checking version while its debug mode is on
_state = grad_mode.state


def describe(x: Any) -> str:
    if isinstance(x, Tensor):
        return f"Tensor(shape={x._shape}, dtype={x._dtype.name}, device={x._device})"
    return f"{type(x).__name__} {x!r}"


def kernel(op: Op, device: Device) -> Any:
    """The kernel for `op` on `device` (None for a composite the backend does not override)."""
    try:
        return op._kernels[device.type]
    except KeyError:
        return kernel_for(op, device.type)


def needs_grad(inputs: Sequence[Any]) -> bool:
    """Whether an op on `inputs` is recorded: grad mode is on and some input is tracked.

    `isinstance`, not `type() is`: a Tensor subclass (ember.nn.Parameter) is tracked too;
    a view is tracked when its base is. (`run` inlines this test.)
    """
    if _state.enabled:
        for x in inputs:
            if isinstance(x, Tensor) and (x._requires_grad or x._base is not None and tracked(x)):
                return True
    return False


def same_device(op: str, tensors: Sequence[Tensor]) -> Device:
    """The one device of `tensors`, or an error naming the op and every operand."""
    dev = tensors[0]._device
    for t in tensors[1:]:
        if t._device is not dev:
            devs = ", ".join(f"{describe(x)}" for x in tensors)
            raise RuntimeError(
                f"{op}: expected all tensors on the same device, got {devs}; "
                f"move them first with .to(device) (Ember never copies between devices implicitly)"
            )
    return dev


def to_tensor(x: Any, op: str, like: Tensor | None = None, dtype: DType | None = None) -> Tensor:
    """`x` as a tensor on `like`'s device (Python scalars and arrays are accepted)."""
    if isinstance(x, Tensor):
        return x
    from ..tensor import as_tensor

    if _is_scalar(x) or isinstance(x, (list, tuple)) or hasattr(x, "__array__"):
        if dtype is None and _is_scalar(x):
            dtype = _dt.scalar_dtype(x)
        return as_tensor(x, dtype=dtype, device=like._device if like is not None else None)
    raise TypeError(f"{op}: expected a Tensor or a number, got {type(x).__name__}")


def cast(t: Tensor, dtype: DType) -> Any:
    """`t`'s native data in `dtype` (no copy when it already is)."""
    if t._dtype is dtype:
        return t._data
    from .creation import ASTYPE

    return kernel(ASTYPE, t._device)(t._data, dtype)


def wrap(data: Any, shape: tuple[int, ...], dtype: DType, device: Device) -> Tensor:
    return _make(data, shape, dtype, device)


def record(op: Op, inputs: Sequence[Any], out: Tensor | Sequence[Tensor], args: Any = ()) -> None:
    """Attach a node for `op` to its output(s); floating outputs then require grad."""
    assert op.vjp is not None, f"{op.name} has no derivative to record"
    if isinstance(out, Tensor):  # one output: the common case
        node = Node(op.name, op.vjp, inputs, args, op.save_inputs, 1)
        if out._dtype.is_floating_point or out._dtype.is_complex:
            out._requires_grad = True
            out.grad_fn = node
        if op.save_out:
            node.save_output(out)
        return
    outs = tuple(out)
    node = Node(op.name, op.vjp, inputs, args, op.save_inputs, len(outs))
    for i, o in enumerate(outs):
        if o._dtype.is_floating_point or o._dtype.is_complex:
            o._requires_grad = True
            o.grad_fn = node
            o._output_nr = i
    if op.save_out:
        node.save_output(outs[0])


def maybe_record(op: Op, inputs: Sequence[Any], out: Tensor | Sequence[Tensor], args: Any = ()) -> None:
    """Record `op` when it has a derivative and `needs_grad(inputs)`."""
    if op.vjp is not None and needs_grad(inputs):
        record(op, inputs, out, args)


def run(
    op: Op,
    device: Device,
    natives: Sequence[Any],
    shape: tuple[int, ...] | None,
    dtype: DType,
    inputs: Sequence[Any] = (),
    saved: tuple[Any, ...] = (),
) -> Tensor:
    """The one way an op runs: its kernel called on `natives`, the result wrapped, the graph recorded.

    `natives` are the kernel's arguments (array operands already in the compute dtype, then
    the rest), `inputs` the tensors (or Python scalars) the derivative differentiates with
    respect to, `saved` the other values the derivative reads (as `node.args`).
    `shape` None: the kernel's result decides it (nonzero, boolean-mask indexing).
    """
    if dtype.is_complex and op.complex is None:  # an op whose result would be complex without taking them
        raise complex_refused(op.name, dtype)
    k: Any
    try:
        k = op._kernels[device.type]
    except KeyError:
        k = kernel_for(op, device.type)
    data = k(*natives)
    if shape is None:  # the data decides the shape: a capture (ember.compile) must hear of it
        if _capture._watchers:
            _capture.shape_from_data(op, tuple(natives))
        shape = tuple(data.shape)
    out = _make(data, shape, dtype, device)
    for x in inputs:  # needs_grad(inputs), inlined (this is the hottest loop in Ember), the grad mode read late
        if isinstance(x, Tensor) and (x._requires_grad or x._base is not None and _state.enabled and tracked(x)):
            if _state.enabled and op.vjp is not None:  # record(op, inputs, out, saved), inlined
                node = Node(op.name, op.vjp, inputs, saved, op.save_inputs, 1)
                if dtype.is_floating_point or dtype.is_complex:
                    out._requires_grad = True
                    out.grad_fn = node
                if op.save_out:
                    node.save_output(out)
            break
    return out


def call(
    op: Op,
    inputs: Sequence[Tensor],
    args: tuple[Any, ...],
    shape: tuple[int, ...],
    dtype: DType,
) -> Tensor:
    """Run a single-output op on tensors already of the kernel's dtype; a composite without a kernel runs its `impl`."""
    dev = inputs[0]._device if len(inputs) == 1 else same_device(op.name, inputs)
    if kernel(op, dev) is None:
        assert op.impl is not None
        return op.impl(*inputs, *args)
    return run(op, dev, (*[t._data for t in inputs], *args), shape, dtype, inputs, args)


@lru_cache(maxsize=4096)
def broadcast_shapes_for(op: str, a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    """NumPy broadcasting of two shapes, with an error naming the op and both shapes."""
    n = max(len(a), len(b))
    pa = (1,) * (n - len(a)) + a
    pb = (1,) * (n - len(b)) + b
    out = []
    for i, (x, y) in enumerate(zip(pa, pb)):
        if x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            raise RuntimeError(
                f"{op}: shapes {a} and {b} are not broadcastable: dimension {i - n} has sizes {x} and {y} "
                f"(sizes must match or one of them must be 1)"
            )
    return tuple(out)


def check_supported(dtype: DType, device: Device, op: str) -> None:
    check_dtype_supported(dtype, device, op)


def refuse_complex(op: str, *tensors: Any) -> None:
    """TypeError naming `op` when one of `tensors` is complex (for ops whose result is real, which
    `run`'s check on the result dtype cannot see: argmax, argsort, ...)."""
    for t in tensors:
        if isinstance(t, Tensor) and t._dtype.is_complex:
            raise complex_refused(op, t._dtype)


def conj(x: Any) -> Any:
    """The complex conjugate of a complex tensor; anything else unchanged (for derivatives: the gradient of
    a real loss through a complex product is g times the conjugate of the other factor)."""
    if isinstance(x, Tensor) and x._dtype.is_complex:
        from .complex_numbers import conj as _conj

        return _conj(x)
    return x.conjugate() if type(x) is complex else x


def normalize_dims(dim: Any, ndim: int, op: str) -> tuple[int, ...]:
    """`dim` (None, an int or a sequence) as a sorted tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if not dims:  # PyTorch: an empty dim list reduces over every dim
        return tuple(range(ndim))
    n = max(ndim, 1)
    out = []
    for d in dims:
        if not isinstance(d, int):
            raise TypeError(f"{op}: dim must be an int or a sequence of ints, got {type(d).__name__}")
        if not -n <= d < n:
            raise IndexError(f"{op}: dim {d} is out of range for a tensor of {ndim} dimensions (expected [{-n}, {n - 1}])")
        d = d + n if d < 0 else d
        if d in out:
            raise RuntimeError(f"{op}: dim {d} appears more than once in {dims}")
        out.append(d)
    if ndim == 0:
        return ()
    return tuple(sorted(out))


def wrap_dim(dim: int, ndim: int, op: str) -> int:
    n = max(ndim, 1)
    if not isinstance(dim, int):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}")
    if not -n <= dim < n:
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor of {ndim} dimensions (expected [{-n}, {n - 1}])")
    return dim + n if dim < 0 else dim
