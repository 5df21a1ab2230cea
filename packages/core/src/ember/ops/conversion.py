"""Copies and conversions: `clone`, `contiguous`, `.to(device, dtype)`, and in-place writes."""

from __future__ import annotations

import inspect
from functools import cache
from typing import Any

import numpy as np

from .. import dtypes as _dt
from ..autograd import grad_mode
from ..backends import registry
from ..device import Device
from ..dispatch import API, Op, primitive, public
from ..tensor import Tensor, check_dtype_supported, resolve_device
from ._run import broadcast_shapes_for, cast, kernel, needs_grad, record, run, same_device, to_tensor, wrap
from .creation import ASTYPE
from .elementwise import inplace_binary

COPY = primitive(
    "copy",
    "copy(x: array) -> array",
    "A new array with x's values and shape, owning its memory (C-contiguous), never a view.",
    family="conversion",
    vjp=lambda node, g: (g,),
)
COPY_ = primitive(
    "copy_",
    "copy_(dst: array, src: array | scalar) -> None",
    "Write `src` (dst's dtype, shape broadcastable to dst's) into `dst` in place, through views. "
    "The one primitive that cannot fall back to the host.",
    family="conversion",
    inplace=True,
    differentiable=False,
)
TO_DEVICE = Op(
    "to_device",
    "transfer",
    "",
    "A host round trip between two backends.",
    "conversion",
    vjp=lambda node, g: (to(g, device=node.args[0]),),
)


@public(method=True)
def clone(x: Tensor) -> Tensor:
    """A copy of `x` with its own memory; gradients flow through it."""
    return run(COPY, x._device, (x._data,), x._shape, x._dtype, (x,))


@public(method=True)
def contiguous(x: Tensor) -> Tensor:
    """`x` itself when it is not a view, else a compact copy."""
    return x if x._base is None else clone(x)


@public(method=True)
def to(x: Tensor, *args: Any, device: Any = None, dtype: Any = None, copy: bool = False, non_blocking: bool = False) -> Tensor:
    """`x` on another device and/or in another dtype: `.to("cuda")`, `.to(ember.float64)`, `.to(other)`."""
    for a in args:
        if isinstance(a, Tensor):
            device, dtype = a._device, a._dtype
        elif isinstance(a, (str, Device)):
            device = a
        else:
            dtype = a
    d = _dt.as_dtype(dtype) if dtype is not None else x._dtype
    dev = resolve_device(device) if device is not None else x._device
    out = x
    if dev is not x._device:
        check_dtype_supported(x._dtype, dev, "to")
        src = registry.get(x._device.type)
        dst = registry.get(dev.type)
        host = np.array(src.to_host(x._data), copy=True)  # both sides may alias host memory: never share
        out = wrap(dst.from_host(host, dev.index), x._shape, x._dtype, dev)
        if needs_grad((x,)):
            record(TO_DEVICE, (x,), out, (x._device,))
    if d is not out._dtype:
        check_dtype_supported(d, dev, "to")
        prev = out
        out = run(ASTYPE, dev, (out._data, d), out._shape, d, (prev,))
    if copy and out is x:
        out = clone(x)
    return out


_KIND_ORDER = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _check_inplace(x: Tensor, op: str) -> None:
    if x._requires_grad and x.grad_fn is None and grad_mode.state.enabled:
        raise RuntimeError(
            f"{op}: a leaf Variable that requires grad is being used in an in-place operation; "
            f"wrap the update in `with ember.no_grad():` or use an out-of-place op"
        )


def _is_expanded(view: Tensor) -> bool:
    """Whether some elements of `view` share memory (an expand in its view chain)."""
    from .movement import expand_to

    return any(fn is expand_to for fn, _ in view._view_fn)


def assign_(x: Tensor, value: Tensor, op: str) -> Tensor:
    """Make `value` (already computed, maybe with history) the new content of `x`, in place.

    Every in-place op is its out-of-place op followed by this: the data is
    written through `x`'s memory (so views see it), the version bumps, and `x`
    takes over `value`'s history.
    """
    _check_inplace(x, op)
    if x._base is not None and _is_expanded(x):
        raise RuntimeError(
            f"{op}: unsupported operation: more than one element of the written-to tensor (shape {x._shape}, "
            f"made by expand) refers to a single memory location; .clone() it before writing"
        )
    if value._shape != x._shape:
        if broadcast_shapes_for(op, x._shape, value._shape) != x._shape:
            raise RuntimeError(
                f"{op}: the result has shape {value._shape}, which cannot be written into a tensor of shape {x._shape}"
            )
    same_device(op, (x, value))
    if value._dtype is not x._dtype and _KIND_ORDER[value._dtype.kind] > _KIND_ORDER[x._dtype.kind]:
        raise RuntimeError(
            f"{op}: result type {value._dtype.name} can't be cast to the desired output type {x._dtype.name}"
        )
    is_tracked = needs_grad((value, x))
    if is_tracked and x._base is not None:
        _check_inplace(x._base, op)
    data = cast(value, x._dtype)
    if data is value._data and value is not x and _root(value) is _root(x):
        # `x[1:] = x[:-1]`: the source reads memory the write changes; copy it first (an element-wise
        # kernel would read what it has already written on some backends)
        data = kernel(COPY, x._device)(data)
    kernel(COPY_, x._device)(x._data, data)
    x._bump_version()
    if is_tracked and x._base is not None:
        _rebase_view(x, value)
    elif grad_mode.state.enabled and value._requires_grad:
        if value._dtype is not x._dtype or value._shape != x._shape:
            value = to(value.expand(x._shape), dtype=x._dtype)
        x.grad_fn, x._output_nr, x._requires_grad = value.grad_fn, value._output_nr, True
    elif x.grad_fn is not None and grad_mode.state.enabled:
        x.grad_fn, x._requires_grad = None, False  # overwritten by a constant: no more history
    return x


def _root(t: Tensor) -> Tensor:
    """The tensor whose memory `t` views (itself when it is no view)."""
    return t._base if t._base is not None else t


def inplace(name: str, x: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """`x.<name>_(*args, **kwargs)`: the public function `name` on x, written back into x.

    A binary op with an in-place kernel uses it when no gradient is recorded; otherwise
    the result is computed out of place (from a copy of x when the op's derivative reads
    its input and autograd watches x) and written in with `assign_`.
    """
    api = API[name]
    op = api.op
    if op is not None and op.variant is not None and len(args) == 1 and (not kwargs or kwargs == _keyword_defaults(name)):
        done = inplace_binary(op, x, args[0])  # the generated methods pass keywords at their defaults
        if done is not None:
            return done
    saves_input = op.save_inputs if op is not None else True
    src = clone(x) if saves_input and needs_grad((x,)) else x
    return assign_(x, api.fn(src, *args, **kwargs), name + "_")


@cache
def _keyword_defaults(name: str) -> dict[str, Any]:
    params = inspect.signature(API[name].fn).parameters.values()
    return {p.name: p.default for p in params if p.kind is p.KEYWORD_ONLY and p.name != "out"}


def write_out(name: str, result: Tensor, out: Any) -> Tensor:
    """PyTorch's `out=` argument: `result` written into `out`, which is returned. `out` is resized to the result's
    shape when it differs (with PyTorch's warning when it held elements); the result's dtype must cast to out's
    within its kind order (no float into an integer tensor); no gradient is recorded, so an operand that
    requires grad is refused."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}: out must be a Tensor, got {type(out).__name__}")
    if result._requires_grad and grad_mode.state.enabled:
        raise RuntimeError(
            f"{name}(): functions with out=... arguments don't support automatic differentiation, but one of the "
            "arguments requires grad; call it without out= (or under ember.no_grad())"
        )
    same_device(name, (result, out))
    if out._shape != result._shape:
        if out.numel() != 0:
            import warnings

            warnings.warn(
                f"{name}: an output with one or more elements was resized since it had shape {out._shape}, which "
                f"does not match the required output shape {result._shape}; resize it to zero elements "
                "(out.resize_(0)) to reuse it without this warning",
                UserWarning,
                stacklevel=4,
            )
        out.resize_(result._shape)
    return assign_(out, result, name)


def _redo_view(base: Tensor, chain: Any) -> Tensor:
    out = base
    for fn, args in chain:
        out = fn(out, *args)
    return out


def _copy_slices_vjp(node: Any, g: Tensor) -> tuple[Any, Any]:
    """Gradient of "base with the view's region replaced by value"."""
    chain = node.args[0]
    grad_value = _redo_view(g, chain) if node.needs(1) else None
    grad_base = None
    if node.needs(0):
        from .creation import zeros_like

        with grad_mode.no_grad():
            mask = zeros_like(g)
            region = _redo_view(mask, chain)
            # 1 in each written component: 1+1j through a complex view, 1 through x.real (1j through x.imag)
            kernel(COPY_, mask._device)(region._data, 1 + 1j if region._dtype.is_complex else 1)
        if g._dtype.is_complex:  # keep the gradient of the parts the write left alone (x.real = v keeps x.imag's)
            from .complex_numbers import complex as _complex
            from .complex_numbers import imag, real

            grad_base = _complex(real(g) * (1 - real(mask)), imag(g) * (1 - imag(mask)))
        else:
            grad_base = g * (1 - mask)
    return grad_base, grad_value


COPY_SLICES = Op("copy_slices", "internal", "", "An in-place write through a view, seen from its base.", "conversion", vjp=_copy_slices_vjp)


def _rebase_view(view: Tensor, value: Tensor) -> None:
    """After writing `value` through `view`: give the base and the view their new history."""
    base = view._base
    assert base is not None
    old_base = base.detach()
    old_base._requires_grad, old_base.grad_fn, old_base._output_nr = base._requires_grad, base.grad_fn, base._output_nr
    if value._shape != view._shape or value._dtype is not view._dtype:
        value = to(value.expand(view._shape), dtype=view._dtype)
    new_base = Tensor._make(base._data, base._shape, base._dtype, base._device)
    new_base._version = base._version_counter()
    record(COPY_SLICES, (old_base, value), new_base, (view._view_fn,))
    base.grad_fn, base._output_nr, base._requires_grad = new_base.grad_fn, 0, True
    redone = _redo_view(base, view._view_fn)
    view.grad_fn, view._output_nr, view._requires_grad = redone.grad_fn, redone._output_nr, True
    view._view_version = base._version_counter().value


def refresh_view(view: Tensor) -> None:
    """Give a view whose base was written in place since its grad_fn was set the base's new history.

    (Like PyTorch, lazily: when the view is next used by an op or backward.)
    """
    base = view._base
    assert base is not None
    now = base._version_counter().value
    if view._view_version == now:
        return
    view._view_version = now
    if base._requires_grad and grad_mode.state.enabled:
        redone = _redo_view(base, view._view_fn)
        view.grad_fn, view._output_nr, view._requires_grad = redone.grad_fn, redone._output_nr, True


@public(method=True)
def copy_(x: Tensor, src: Any) -> Tensor:
    """Write `src` into `x` (broadcast, cast to x's dtype); gradients flow to `src`."""
    src = to_tensor(src, "copy_", like=x)
    if src._device is not x._device:
        src = to(src, device=x._device)
    if needs_grad((src,)):
        src = to(src, dtype=x._dtype)
        if src._shape != x._shape:
            src = src.expand(x._shape)
        src = clone(src) if src is not x else src
    elif src._dtype is not x._dtype:
        src = wrap(cast(src, x._dtype), src._shape, x._dtype, src._device)
    if src._dtype is not x._dtype:
        src = to(src, dtype=x._dtype)
    return assign_(x, src, "copy_")
