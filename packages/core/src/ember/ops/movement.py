"""Shape and movement ops: views (`reshape`, `permute`, `expand`, ...), `cat`, `flip` and the composites on them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..dispatch import primitive, public
from ..tensor import Tensor
from ._run import run, same_device, wrap_dim
from .conversion import clone


def _as_view(out: Tensor, x: Tensor, fn: Any, *args: Any) -> Tensor:
    """Mark `out` as a view of `x`'s base, remembering how to redo it from the base."""
    base = x._base
    if base is None:
        out._base = base = x
        out._view_fn = ((fn, args),)
    else:
        out._base = base
        out._view_fn = x._view_fn + ((fn, args),)
    v = base._version
    out._view_version = v.value if v is not None else 0  # a base with no counter yet is at version 0
    return out


VIEW = primitive(
    "view",
    "view(x: array, shape: tuple[int, ...]) -> array (view)",
    "x's elements in C order with a new shape of the same size, sharing x's memory; raise ValueError "
    "when x's strides do not allow a view (core then reshapes a compact copy).",
    family="movement",
    view=True,
    vjp=lambda n, g: (g.reshape(n.meta[0][0]),),
)
PERMUTE = primitive(
    "permute",
    "permute(x: array, dims: tuple[int, ...]) -> array (view)",
    "x with its axes reordered (dims is a permutation of range(ndim)); shares x's memory.",
    family="movement",
    view=True,
    vjp=lambda n, g: (g.permute(tuple(sorted(range(len(n.args[0])), key=n.args[0].__getitem__))),),
)
EXPAND = primitive(
    "expand",
    "expand(x: array, shape: tuple[int, ...]) -> array (view)",
    "x broadcast to `shape` (NumPy broadcast_to) without copying; may be read-only.",
    family="movement",
    view=True,
    vjp=lambda n, g: (g,),  # the engine sums the gradient back to x's shape
)
CAT = primitive(
    "cat",
    "cat(xs: list[array], axis: int) -> array",
    "The arrays (same dtype, same shape but along `axis`) joined along `axis`.",
    family="movement",
    vjp=lambda n, g: tuple(g.split(list(n.args[1]), n.args[0])),
)
FLIP = primitive(
    "flip",
    "flip(x: array, axes: tuple[int, ...]) -> array",
    "x reversed along `axes`, in new memory.",
    family="movement",
    vjp=lambda n, g: (g.flip(n.args[0]),),
)


def _infer_shape(shape: tuple[int, ...], numel: int, op: str, old: tuple[int, ...]) -> tuple[int, ...]:
    if sum(1 for s in shape if s == -1) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred (-1), got shape {shape}")
    known = math.prod(s for s in shape if s != -1)
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"{op}: shape {shape} is invalid for input of size {numel} (shape {old})")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    if math.prod(shape) != numel or any(s < 0 for s in shape):
        raise RuntimeError(f"{op}: shape {shape} is invalid for input of size {numel} (shape {old})")
    return shape


def _shape_args(shape: tuple[Any, ...], op: str) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


@public(method=True)
def reshape(input: Tensor, *shape: Any) -> Tensor:  # noqa: A002
    """`input` with a new shape: a view when the layout allows, else a view of a compact copy."""
    new = _infer_shape(_shape_args(shape, "reshape"), input.numel(), "reshape", input._shape)
    if new == input._shape:
        return input
    src = input
    try:
        out = run(VIEW, src._device, (src._data, new), new, src._dtype, (src,))
    except ValueError:  # PyTorch's rule: reshape is contiguous().view()
        src = clone(input)
        out = run(VIEW, src._device, (src._data, new), new, src._dtype, (src,))
    return _as_view(out, src, reshape, new)


@public(method=True)
def view(input: Tensor, *shape: Any) -> Tensor:  # noqa: A002
    """`input` with a new shape, sharing its memory (fails if the layout does not allow it)."""
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)):
        return input.to(shape[0])
    new = _infer_shape(_shape_args(shape, "view"), input.numel(), "view", input._shape)
    try:
        out = run(VIEW, input._device, (input._data, new), new, input._dtype, (input,))
    except ValueError as exc:
        raise RuntimeError(
            f"view: shape {new} is not compatible with the input's layout (shape {input._shape}, a "
            f"non-contiguous view); use .reshape(...) instead ({exc})"
        ) from None
    return _as_view(out, input, view, new)


@public(method=True)
def view_as(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """`input` viewed with `other`'s shape (shares memory; see `view`)."""
    return view(input, other._shape)


@public(method=True)
def reshape_as(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """`input` reshaped to `other`'s shape (a view when the layout allows; see `reshape`)."""
    return reshape(input, other._shape)


@public(method=True)
def permute(input: Tensor, *dims: Any) -> Tensor:  # noqa: A002
    """`input` with its dims reordered (a view)."""
    d = _shape_args(dims, "permute")
    n = input.ndim
    if len(d) != n:
        raise RuntimeError(f"permute: got {len(d)} dims {d} for a tensor of {n} dimensions (shape {input._shape})")
    d = tuple(wrap_dim(x, n, "permute") for x in d)
    if sorted(d) != list(range(n)):
        raise RuntimeError(f"permute: dims {d} are not a permutation of {tuple(range(n))}")
    if d == tuple(range(n)):
        return input
    shape = tuple(input._shape[i] for i in d)
    out = run(PERMUTE, input._device, (input._data, d), shape, input._dtype, (input,), (d,))
    return _as_view(out, input, permute, d)


@public(method=True, aliases=('swapaxes',))
def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    """`input` with dimensions `dim0` and `dim1` swapped, as a view."""
    n = input.ndim
    if n < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return input
    a, b = wrap_dim(dim0, n, "transpose"), wrap_dim(dim1, n, "transpose")
    perm = list(range(n))
    perm[a], perm[b] = perm[b], perm[a]
    return permute(input, tuple(perm))




@public(method=True)
def t(input: Tensor) -> Tensor:  # noqa: A002
    """The transpose of a tensor of at most 2 dimensions, as a view (0-d and 1-d are returned as they are)."""
    if input.ndim > 2:
        raise RuntimeError(f"t: expects a tensor with <= 2 dimensions, got {input.ndim}; use .mT or .transpose()")
    return transpose(input, 0, -1) if input.ndim == 2 else input


@public(method=True)
def movedim(input: Tensor, source: int, destination: int) -> Tensor:  # noqa: A002
    """`input` with dimension `source` moved to position `destination`, as a view."""
    n = input.ndim
    s, d = wrap_dim(source, n, "movedim"), wrap_dim(destination, n, "movedim")
    order = [i for i in range(n) if i != s]
    order.insert(d, s)
    return permute(input, tuple(order))


@public(method=True)
def expand(input: Tensor, *sizes: Any) -> Tensor:  # noqa: A002
    """`input` broadcast to `sizes` without copying (-1 keeps a size)."""
    shape = _shape_args(sizes, "expand")
    n, k = len(shape), input.ndim
    if n < k:
        raise RuntimeError(f"expand: the number of sizes ({n}) must be >= the tensor's dims ({k}, shape {input._shape})")
    old = (1,) * (n - k) + input._shape
    new = []
    for i, (s, o) in enumerate(zip(shape, old)):
        if s == -1:
            if i < n - k:
                raise RuntimeError(f"expand: -1 is not allowed for a new leading dimension (sizes {shape})")
            s = o
        if o != s and o != 1:
            raise RuntimeError(
                f"expand: the expanded size {s} must match the existing size {o} at dimension {i - n} "
                f"(tensor shape {input._shape}, target {shape})"
            )
        new.append(s)
    tnew = tuple(new)
    if tnew == input._shape:
        return input
    out = run(EXPAND, input._device, (input._data, tnew), tnew, input._dtype, (input,))
    return _as_view(out, input, expand_to, tnew)


def expand_to(input: Tensor, shape: tuple[int, ...]) -> Tensor:  # noqa: A002
    """`expand` for shapes already known to be valid broadcasts (derivatives use it)."""
    if shape == input._shape:
        return input
    out = run(EXPAND, input._device, (input._data, shape), shape, input._dtype, (input,))
    return _as_view(out, input, expand_to, shape)


@public(method=True)
def expand_as(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """`input` broadcast to `other`'s shape without copying (see `expand`)."""
    return expand(input, other._shape)


@public(method=True)
def broadcast_to(input: Tensor, shape: Sequence[int]) -> Tensor:  # noqa: A002
    """`input` broadcast to `shape` without copying (NumPy's broadcast_to)."""
    return expand(input, tuple(shape))


@public(method=True)
def squeeze(input: Tensor, dim: Any = None) -> Tensor:  # noqa: A002
    """Remove dims of size 1 (all of them, or those in `dim` that are 1)."""
    n = input.ndim
    if dim is None:
        dims = {i for i, s in enumerate(input._shape) if s == 1}
    else:
        ds = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = {wrap_dim(d, n, "squeeze") for d in ds if n} if n else set()
        dims = {d for d in dims if input._shape[d] == 1}
    if not dims:
        return input
    return reshape(input, tuple(s for i, s in enumerate(input._shape) if i not in dims))


@public(method=True)
def unsqueeze(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    """`input` with a dimension of size 1 inserted at `dim`, as a view."""
    n = input.ndim + 1
    d = wrap_dim(dim, n, "unsqueeze")
    shape = list(input._shape)
    shape.insert(d, 1)
    return reshape(input, tuple(shape))


@public(method=True)
def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:  # noqa: A002
    """`input` with dimensions `start_dim`..`end_dim` merged into one (a view when the layout allows)."""
    n = input.ndim
    if n == 0:
        return reshape(input, (1,))
    s, e = wrap_dim(start_dim, n, "flatten"), wrap_dim(end_dim, n, "flatten")
    if s > e:
        raise RuntimeError(f"flatten: start_dim ({start_dim}) comes after end_dim ({end_dim})")
    shape = input._shape[:s] + (math.prod(input._shape[s : e + 1]),) + input._shape[e + 1 :]
    return reshape(input, shape)


@public(method=True)
def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:  # noqa: A002
    """`input` with dimension `dim` split into `sizes` (one of them may be -1)."""
    n = input.ndim
    d = wrap_dim(dim, n, "unflatten")
    sizes = _infer_shape(tuple(sizes), input._shape[d], "unflatten", input._shape)
    return reshape(input, input._shape[:d] + tuple(sizes) + input._shape[d + 1 :])


@public(aliases=('concat',))
def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dim; dtypes promote."""
    ts = list(tensors)
    if not ts:
        raise RuntimeError("cat: expected a non-empty list of tensors")
    if not all(isinstance(t, Tensor) for t in ts):
        raise TypeError(f"cat: expected a list of Tensors, got {[type(t).__name__ for t in ts]}")
    ts = [t for t in ts if not (t.ndim == 1 and t._shape[0] == 0)] or ts[:1]  # PyTorch skips legacy empty 1-D
    dev = same_device("cat", ts)
    from .. import dtypes as _dt

    dt = ts[0]._dtype
    for t in ts[1:]:
        dt = _dt.promote_types(dt, t._dtype)
    n = ts[0].ndim
    if n == 0:
        raise RuntimeError("cat: zero-dimensional tensors cannot be concatenated; use stack")
    axis = wrap_dim(dim, n, "cat")
    ref = ts[0]._shape
    for i, t in enumerate(ts):
        if t.ndim != n or any(a != b for j, (a, b) in enumerate(zip(t._shape, ref)) if j != axis):
            raise RuntimeError(
                f"cat: sizes of tensors must match except in dimension {axis}: tensor 0 has shape {ref}, "
                f"tensor {i} has shape {t._shape}"
            )
    ts = [t if t._dtype is dt else t.to(dt) for t in ts]
    sizes = tuple(t._shape[axis] for t in ts)
    shape = ref[:axis] + (sum(sizes),) + ref[axis + 1 :]
    if len(ts) == 1:
        return clone(ts[0])  # a new tensor, as PyTorch's cat always makes
    out = run(CAT, dev, ([t._data for t in ts], axis), shape, dt, ts, (axis, sizes))
    return out




@public
def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dim."""
    ts = list(tensors)
    if not ts:
        raise RuntimeError("stack: expected a non-empty list of tensors")
    for i, t in enumerate(ts):
        if t._shape != ts[0]._shape:
            raise RuntimeError(f"stack: expects each tensor to be equal size, but got {ts[0]._shape} at entry 0 and {t._shape} at entry {i}")
    d = wrap_dim(dim, ts[0].ndim + 1, "stack")
    return cat([unsqueeze(t, d) for t in ts], d)


@public(method=True)
def split(input: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """Views of consecutive pieces along `dim`: equal `int` sizes, or a list of sizes."""
    axis = wrap_dim(dim, input.ndim, "split")
    n = input._shape[axis]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0 and n:
            raise RuntimeError(f"split: split_size must be positive, got {step}")
        sizes = [min(step, n - i) for i in range(0, n, step)] if n else [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise RuntimeError(f"split: split sizes {sizes} must sum to the size of dim {axis} ({n})")
    out = []
    start = 0
    for s in sizes:
        key = (slice(None),) * axis + (slice(start, start + s),)
        out.append(input[key])
        start += s
    return tuple(out)


@public(method=True)
def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """`input` split into `chunks` views of (nearly) equal size along `dim`; the last may be smaller."""
    if chunks <= 0:
        raise RuntimeError(f"chunk: chunks must be positive, got {chunks}")
    n = input._shape[wrap_dim(dim, input.ndim, "chunk")]
    return split(input, max(-(-n // chunks), 1), dim)


@public(method=True)
def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """The slices of `input` along `dim` as a tuple of views, each without that dimension."""
    axis = wrap_dim(dim, input.ndim, "unbind")
    return tuple(input[(slice(None),) * axis + (i,)] for i in range(input._shape[axis]))


@public(method=True)
def flip(input: Tensor, dims: Any) -> Tensor:  # noqa: A002
    """`input` reversed along `dims`, in new memory."""
    from ._run import normalize_dims

    axes = normalize_dims(dims, input.ndim, "flip")
    if not axes:
        return input
    out = run(FLIP, input._device, (input._data, axes), input._shape, input._dtype, (input,), (axes,))
    return out


@public(method=True)
def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:  # noqa: A002
    """Shift elements along `dims` cyclically (flattened when `dims` is None)."""
    if dims is None:
        return reshape(roll(flatten(input), shifts, 0), input._shape)
    sh = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    ds = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(sh) != len(ds):
        raise RuntimeError(f"roll: shifts {sh} and dims {ds} must have the same length")
    out = input
    for s, d in zip(sh, ds):
        axis = wrap_dim(d, input.ndim, "roll")
        n = input._shape[axis]
        if n == 0:
            continue
        s %= n
        if s:
            pre = (slice(None),) * axis
            out = cat([out[pre + (slice(n - s, n),)], out[pre + (slice(0, n - s),)]], axis)
    return out if out is not input else clone(input)


def _tri(input: Tensor, diagonal: int, upper: bool) -> Tensor:  # noqa: A002
    if input.ndim < 2:
        raise RuntimeError(f"{'triu' if upper else 'tril'}: input must have at least 2 dimensions, got shape {input._shape}")
    from .creation import arange
    from .elementwise import where

    r, c = input._shape[-2:]
    rows = unsqueeze(arange(r, device=input._device), 1)
    cols = unsqueeze(arange(c, device=input._device), 0)
    keep = (cols - rows >= diagonal) if upper else (cols - rows <= diagonal)
    return where(keep, input, 0).to(input._dtype)


@public(method=True)
def tril(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    """The lower triangle (elements with col - row <= diagonal); the rest zero."""
    return _tri(input, diagonal, upper=False)


@public(method=True)
def triu(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    """The upper triangle (elements with col - row >= diagonal); the rest zero."""
    return _tri(input, diagonal, upper=True)

