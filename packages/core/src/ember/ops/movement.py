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


def _shape_args(shape: tuple[Any, ...], op: str, keyword: Any = None) -> tuple[int, ...]:
    """`f(2, 3)`, `f((2, 3))` and, with `keyword`, PyTorch's keyword form `f(size=(2, 3))`, as a tuple."""
    if keyword is not None:
        if shape:
            raise TypeError(f"{op}: give the sizes either positionally or by keyword, not both")
        shape = (keyword,)
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


@public(method=True)
def reshape(input: Tensor, *sizes: Any, shape: Any = None) -> Tensor:  # noqa: A002
    """`input` with a new shape (`sizes` or `shape=`): a view when the layout allows, else a view of a compact copy."""
    new = _infer_shape(_shape_args(sizes, "reshape", shape), input.numel(), "reshape", input._shape)
    if new == input._shape:
        return input
    src = input
    try:
        out = run(VIEW, src._device, (src._data, new), new, src._dtype, (src,))
    except ValueError:  # PyTorch's rule: reshape is contiguous().view()
        src = clone(input)
        out = run(VIEW, src._device, (src._data, new), new, src._dtype, (src,))
    return _as_view(out, src, reshape, new)


def _alias(input: Tensor) -> Tensor:  # noqa: A002
    """A new view of all of `input` (PyTorch's view ops give one even when they change nothing: not a leaf,
    with a grad_fn when `input` requires grad)."""
    out = run(VIEW, input._device, (input._data, input._shape), input._shape, input._dtype, (input,))
    return _as_view(out, input, view, input._shape)


@public(method=True)
def view(input: Tensor, *shape: Any, size: Any = None) -> Tensor:  # noqa: A002
    """`input` with a new shape, sharing its memory (fails if the layout does not allow it).

    `view(dtype)` reads the same bytes as another dtype (the last dim scales by the ratio of the element
    sizes), as PyTorch does; Ember has no bit-reinterpreting kernel, so that result is a copy, not a view.
    """
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)):
        return _view_dtype(input, shape[0])
    new = _infer_shape(_shape_args(shape, "view", size), input.numel(), "view", input._shape)
    try:
        out = run(VIEW, input._device, (input._data, new), new, input._dtype, (input,))
    except ValueError as exc:
        raise RuntimeError(
            f"view: shape {new} is not compatible with the input's layout (shape {input._shape}, a "
            f"non-contiguous view); use .reshape(...) instead ({exc})"
        ) from None
    return _as_view(out, input, view, new)


def _view_dtype(input: Tensor, dtype: Any) -> Tensor:  # noqa: A002
    """`input`'s bytes read as `dtype` (PyTorch's Tensor.view(dtype)), through the host: a copy."""
    from .. import dtypes as _dt
    from ..tensor import tensor

    d = _dt.as_dtype(dtype)
    if d is input._dtype:
        return view(input, input._shape)
    a, b = input._dtype.itemsize, d.itemsize
    what = f"to view {input._dtype.name} as {d.name} (different element sizes)"
    if a != b:
        if input.ndim == 0:
            raise RuntimeError(f"view: a 0-d tensor has no last dim {what}; unsqueeze it first")
        if input._shape[-1] != 1 and input.stride()[-1] != 1:
            raise RuntimeError(f"view: the last dim must have stride 1 {what}, but got {input.stride()[-1]}")
        if b > a and input._shape[-1] % (b // a):
            raise RuntimeError(f"view: the size of the last dim must be divisible by {b // a} {what}, but got {input._shape[-1]}")
    host = input.detach().contiguous().numpy()
    return tensor(host.view(d.numpy), device=input._device)


@public(method=True)
def view_as(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """`input` viewed with `other`'s shape (shares memory; see `view`)."""
    return view(input, other._shape)


@public(method=True)
def reshape_as(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """`input` reshaped to `other`'s shape (a view when the layout allows; see `reshape`)."""
    return reshape(input, other._shape)


@public(method=True)
def permute(input: Tensor, *order: Any, dims: Any = None) -> Tensor:  # noqa: A002
    """`input` with its dims reordered (a view); `permute(2, 0, 1)`, `permute((2, 0, 1))` or `permute(dims=...)`."""
    d = _shape_args(order, "permute", dims)
    n = input.ndim
    if len(d) != n:
        raise RuntimeError(f"permute: got {len(d)} dims {d} for a tensor of {n} dimensions (shape {input._shape})")
    d = tuple(wrap_dim(x, n, "permute") for x in d)
    if sorted(d) != list(range(n)):
        raise RuntimeError(f"permute: dims {d} are not a permutation of {tuple(range(n))}")
    if d == tuple(range(n)):
        return _alias(input)
    return _permuted(input, d)


def _permuted(input: Tensor, d: tuple[int, ...]) -> Tensor:  # noqa: A002
    """`permute` for a checked permutation `d` that is not the identity."""
    shape = tuple([input._shape[i] for i in d])
    out = run(PERMUTE, input._device, (input._data, d), shape, input._dtype, (input,), (d,))
    return _as_view(out, input, permute, d)


@public(method=True, aliases=("swapdims",))
def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    """`input` with dimensions `dim0` and `dim1` swapped, as a view."""
    n = input.ndim
    if n < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return _alias(input)
    a, b = wrap_dim(dim0, n, "transpose"), wrap_dim(dim1, n, "transpose")
    if a == b:
        return _alias(input)
    perm = list(range(n))
    perm[a], perm[b] = perm[b], perm[a]
    return _permuted(input, tuple(perm))


@public(method=True)
def t(input: Tensor) -> Tensor:  # noqa: A002
    """The transpose of a tensor of at most 2 dimensions, as a view (0-d and 1-d are returned as they are)."""
    if input.ndim > 2:
        raise RuntimeError(f"t: expects a tensor with <= 2 dimensions, got {input.ndim}; use .mT or .transpose()")
    return transpose(input, 0, -1) if input.ndim == 2 else input


@public(method=True)
def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:  # noqa: A002
    """`transpose` with NumPy's argument names: `input` with axes `axis0` and `axis1` swapped, as a view."""
    return transpose(input, axis0, axis1)


@public(method=True, aliases=("moveaxis",))
def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:  # noqa: A002
    """`input` with dimension(s) `source` moved to position(s) `destination`, as a view."""
    n = input.ndim
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should contain the same number "
            f"of dims as destination ({list(dst)} dims)"
        )
    s = [wrap_dim(d, n, "movedim") for d in src]
    d = [wrap_dim(x, n, "movedim") for x in dst]
    if len(set(s)) != len(s) or len(set(d)) != len(d):
        raise RuntimeError(f"movedim: repeated dim in source {list(src)} or destination {list(dst)}")
    if n == 0:
        return input
    order: list[int | None] = [None] * n
    for a, b in zip(s, d):
        order[b] = a
    rest = iter(i for i in range(n) if i not in s)
    return permute(input, tuple(next(rest) if o is None else o for o in order))


@public(method=True)
def expand(input: Tensor, *sizes: Any, size: Any = None) -> Tensor:  # noqa: A002
    """`input` broadcast to `sizes` (or `size=`) without copying (-1 keeps a size)."""
    shape = _shape_args(sizes, "expand", size)
    n, k = len(shape), input.ndim
    if n < k:
        raise RuntimeError(
            f"expand: the number of sizes ({n}) must be >= the tensor's dims ({k}, shape {input._shape})"
        )
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
        from ._run import normalize_dims

        ds = (wrap_dim(dim, n, "squeeze"),) if isinstance(dim, int) else normalize_dims(tuple(dim), n, "squeeze")
        dims = {d for d in ds if n and input._shape[d] == 1}
    if not dims:
        return _alias(input)
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
def ravel(input: Tensor) -> Tensor:  # noqa: A002
    """`input` as a 1-D tensor in C order: a view when the layout allows, else a copy (`reshape(-1)`)."""
    return reshape(input, (-1,))


@public(method=True)
def adjoint(input: Tensor) -> Tensor:  # noqa: A002
    """The conjugate transpose of the last two dims, as a view (`Tensor.mH`; `mT` for a real tensor)."""
    if input.ndim < 2:
        raise RuntimeError(f"adjoint: expects a tensor of at least 2 dimensions, got shape {input._shape}")
    t = transpose(input, -2, -1)
    if input._dtype.is_complex:
        from .complex_numbers import conj

        return conj(t)
    return t


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


@public(aliases=("concat", "concatenate"))
def cat(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join tensors along an existing dim; dtypes promote. `axis` is PyTorch's NumPy-style alias of `dim`."""
    if axis is not None:
        dim = axis
    ts = list(tensors)
    if not ts:
        raise RuntimeError("cat: expected a non-empty list of tensors")
    if not all(isinstance(t, Tensor) for t in ts):
        raise TypeError(f"cat: expected a list of Tensors, got {[type(t).__name__ for t in ts]}")
    from .. import dtypes as _dt

    dt = ts[0]._dtype
    for t in ts[1:]:  # every tensor takes part in the promotion, the skipped empty ones too (as in PyTorch)
        dt = _dt.promote_types(dt, t._dtype)
    ts = [t for t in ts if not (t.ndim == 1 and t._shape[0] == 0)] or ts[:1]  # PyTorch skips legacy empty 1-D
    dev = same_device("cat", ts)
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
            raise RuntimeError(
                f"stack: expects each tensor to be equal size, but got {ts[0]._shape} at entry 0 and {t._shape} at entry {i}"
            )
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
        if any(s < 0 for s in sizes):
            raise RuntimeError(f"split: split sizes must be non-negative, got {sizes}")
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
    if n == 0:  # PyTorch gives `chunks` empty pieces of an empty dim
        return split(input, [0] * chunks, dim)
    return split(input, -(-n // chunks), dim)


@public(method=True)
def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """The slices of `input` along `dim` as a tuple of views, each without that dimension."""
    axis = wrap_dim(dim, input.ndim, "unbind")
    return tuple(input[(slice(None),) * axis + (i,)] for i in range(input._shape[axis]))


@public(method=True)
def flip(input: Tensor, dims: Any) -> Tensor:  # noqa: A002
    """`input` reversed along `dims`, in new memory."""
    from ._run import normalize_dims

    axes = () if isinstance(dims, (tuple, list)) and not dims else normalize_dims(dims, input.ndim, "flip")
    if not axes:  # flip(x, ()) reverses nothing, but is a new tensor as every flip is
        return clone(input)
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
        raise RuntimeError(
            f"{'triu' if upper else 'tril'}: input must have at least 2 dimensions, got shape {input._shape}"
        )
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


# -- splitting and joining ---------------------------------------------------------------


def _along(axis: int, key: Any) -> tuple[Any, ...]:
    """A basic-index key that applies `key` to dimension `axis` only."""
    return (slice(None),) * axis + (key,)


@public(method=True)
def tensor_split(
    input: Tensor,  # noqa: A002
    indices_or_sections: Any = None,
    dim: int = 0,
    *,
    sections: int | None = None,
    indices: Sequence[int] | None = None,
) -> tuple[Tensor, ...]:
    """Views of `input` split along `dim` into `n` nearly equal parts (an int) or at the given indices (a list).

    Like NumPy's array_split: n parts of sizes size//n + 1 (the first size % n of them) and size//n;
    indices cut as Python slices do (negative counts from the end, past the end gives empty parts).
    `sections=` and `indices=` are PyTorch's keyword spellings of `indices_or_sections`.
    """
    given = [v for v in (indices_or_sections, sections, indices) if v is not None]
    if len(given) != 1:
        raise TypeError("tensor_split: give exactly one of indices_or_sections, sections= or indices=")
    indices_or_sections = given[0]
    if input.ndim == 0:
        raise RuntimeError("tensor_split: expected at least a 1-dimensional tensor, got a 0-d tensor")
    axis = wrap_dim(dim, input.ndim, "tensor_split")
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        if spec._dtype.is_floating_point or spec._dtype.name == "bool" or spec.ndim > 1:
            raise RuntimeError(
                f"tensor_split: indices_or_sections must be a 0-d or 1-D integer tensor, got {spec._dtype.name} "
                f"of shape {spec._shape}"
            )
        spec = spec.item() if spec.ndim == 0 else [int(v) for v in spec.tolist()]
    size = input._shape[axis]
    pieces: list[tuple[int | None, int | None]]
    if isinstance(spec, int):
        if spec <= 0:
            raise RuntimeError(f"tensor_split: number of sections must be larger than 0, got {spec}")
        q, r = divmod(size, spec)
        bounds = [i * q + min(i, r) for i in range(spec + 1)]
        pieces = list(zip(bounds[:-1], bounds[1:]))
    else:
        cuts = [int(i) for i in spec]
        starts = [0, *cuts]
        pieces = [(a, b) for a, b in zip(starts, [*cuts, None])]
    return tuple(input[_along(axis, slice(a, b))] for a, b in pieces)


def _split_like_numpy(op: str, input: Tensor, spec: Any, dim: int, min_dims: int) -> tuple[Tensor, ...]:  # noqa: A002
    if input.ndim < min_dims:
        raise RuntimeError(
            f"{op} requires a tensor with at least {min_dims} dimension{'s' if min_dims > 1 else ''}, but got a tensor "
            f"with {input.ndim} dimensions (shape {input._shape})"
        )
    if isinstance(spec, int):
        size = input._shape[dim]
        if spec == 0 or size % spec:
            raise RuntimeError(
                f"{op} attempted to split along dimension {dim}, but the size of the dimension {size} is not "
                f"divisible by the split_size {spec}!"
            )
    return tensor_split(input, spec, dim)


@public(method=True)
def hsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:  # noqa: A002
    """Split horizontally: along dim 1 (dim 0 for a 1-D tensor), into equal sections or at indices."""
    return _split_like_numpy("hsplit", input, indices_or_sections, 0 if input.ndim == 1 else 1, 1)


@public(method=True)
def vsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:  # noqa: A002
    """Split vertically: along dim 0 of a tensor of at least 2 dimensions, into equal sections or at indices."""
    return _split_like_numpy("vsplit", input, indices_or_sections, 0, 2)


@public(method=True)
def dsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:  # noqa: A002
    """Split depth-wise: along dim 2 of a tensor of at least 3 dimensions, into equal sections or at indices."""
    return _split_like_numpy("dsplit", input, indices_or_sections, 2, 3)


def _atleast(tensors: tuple[Any, ...], fn: Any) -> Any:
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(fn(t) for t in tensors[0])
    if len(tensors) == 1:
        return fn(tensors[0])
    return tuple(fn(t) for t in tensors)


def _to_1d(t: Tensor) -> Tensor:
    return reshape(t, (1,)) if t.ndim == 0 else t


def _to_2d(t: Tensor) -> Tensor:
    return reshape(t, (1, 1)) if t.ndim == 0 else unsqueeze(t, 0) if t.ndim == 1 else t


def _to_3d(t: Tensor) -> Tensor:
    if t.ndim == 0:
        return reshape(t, (1, 1, 1))
    if t.ndim == 1:
        return reshape(t, (1, t._shape[0], 1))
    return unsqueeze(t, -1) if t.ndim == 2 else t


@public
def atleast_1d(*tensors: Any) -> Any:
    """Each tensor with at least one dimension (0-d becomes shape (1,)); one tensor in, one out, else a tuple."""
    return _atleast(tensors, _to_1d)


@public
def atleast_2d(*tensors: Any) -> Any:
    """Each tensor with at least two dimensions (leading 1s added); one tensor in, one out, else a tuple."""
    return _atleast(tensors, _to_2d)


@public
def atleast_3d(*tensors: Any) -> Any:
    """Each tensor with at least three dimensions, as NumPy's atleast_3d; one tensor in, one out, else a tuple."""
    return _atleast(tensors, _to_3d)


def _tensor_list(op: str, tensors: Any) -> list[Tensor]:
    ts = list(tensors)
    if not ts:
        raise RuntimeError(f"{op}: expected a non-empty list of Tensors")
    if not all(isinstance(t, Tensor) for t in ts):
        raise TypeError(f"{op}: expected a sequence of Tensors, got {[type(t).__name__ for t in ts]}")
    return ts


@public
def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join horizontally: along dim 1, or dim 0 when every tensor is (made) 1-D."""
    ts = [_to_1d(t) for t in _tensor_list("hstack", tensors)]
    return cat(ts, 0 if all(t.ndim == 1 for t in ts) else 1)


@public(aliases=("row_stack",))
def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join vertically: along dim 0 after making every tensor at least 2-D."""
    return cat([_to_2d(t) for t in _tensor_list("vstack", tensors)], 0)


@public
def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join depth-wise: along dim 2 after making every tensor at least 3-D."""
    return cat([_to_3d(t) for t in _tensor_list("dstack", tensors)], 2)


@public
def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Join as columns: 0-d and 1-D tensors become (n, 1) columns, then all join along dim 1."""
    ts = _tensor_list("column_stack", tensors)
    return cat([reshape(t, (t.numel(), 1)) if t.ndim <= 1 else t for t in ts], 1)


# -- narrowing and selecting -------------------------------------------------------------


@public(method=True)
def narrow(input: Tensor, dim: int, start: Any, length: int) -> Tensor:  # noqa: A002
    """The view input[..., start:start+length, ...] along `dim` (`start` may be negative or a 0-d tensor)."""
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    axis = wrap_dim(dim, input.ndim, "narrow")
    size = input._shape[axis]
    if isinstance(start, Tensor):
        if start.ndim or start._dtype.is_floating_point:
            raise RuntimeError(
                f"narrow: start must be an int or a 0-d integer tensor, got {start._dtype.name} {start._shape}"
            )
        start = int(start.item())
    if not -size <= start <= size:
        raise IndexError(
            f"narrow: start ({start}) is out of range for dimension {axis} of size {size} (expected [{-size}, {size}])"
        )
    start = start + size if start < 0 else start
    if length < 0:
        raise RuntimeError(f"narrow: length must be non-negative, got {length}")
    if start + length > size:
        raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return input[_along(axis, slice(start, start + length))]


@public(method=True)
def narrow_copy(input: Tensor, dim: int, start: Any, length: int) -> Tensor:  # noqa: A002
    """`narrow` in new memory (not a view)."""
    return clone(narrow(input, dim, start, length))


@public(method=True)
def select(input: Tensor, dim: int, index: int) -> Tensor:  # noqa: A002
    """The view input[..., index, ...] along `dim`, without that dimension."""
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    axis = wrap_dim(dim, input.ndim, "select")
    size = input._shape[axis]
    index = int(index)
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {input._shape} at dimension {axis}")
    return input[_along(axis, index)]


# -- flips and rotations -----------------------------------------------------------------


@public(method=True)
def fliplr(input: Tensor) -> Tensor:  # noqa: A002
    """`input` reversed left to right (along dim 1); needs at least 2 dimensions."""
    if input.ndim < 2:
        raise RuntimeError(f"fliplr: input must be >= 2-d, got shape {input._shape}")
    return flip(input, (1,))


@public(method=True)
def flipud(input: Tensor) -> Tensor:  # noqa: A002
    """`input` reversed up to down (along dim 0); needs at least 1 dimension."""
    if input.ndim < 1:
        raise RuntimeError(f"flipud: input must be >= 1-d, got shape {input._shape}")
    return flip(input, (0,))


@public(method=True)
def rot90(input: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:  # noqa: A002
    """`input` rotated by 90 degrees `k` times in the plane of `dims`, from the first towards the second."""
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"rot90: expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"rot90: expected total dims >= 2, but got total dims = {input.ndim}")
    a, b = wrap_dim(dims[0], input.ndim, "rot90"), wrap_dim(dims[1], input.ndim, "rot90")
    if a == b:
        raise RuntimeError(f"rot90: expected rotation dims to be different, but got dim0 = {a} and dim1 = {b}")
    k %= 4
    if k == 1:
        return transpose(flip(input, (b,)), a, b)
    if k == 2:
        return flip(input, (a, b))
    if k == 3:
        return transpose(flip(input, (a,)), a, b)
    return clone(input)


# -- repeating ---------------------------------------------------------------------------


def repeat(input: Tensor, *sizes: Any, repeats: Any = None) -> Tensor:  # noqa: A002
    """`Tensor.repeat`: `input` tiled `sizes[i]` (or `repeats=`) times along each dimension (new leading ones allowed)."""
    reps = _shape_args(sizes, "repeat", repeats)
    if len(reps) < input.ndim:
        raise RuntimeError(
            f"repeat: number of repeat dims ({len(reps)}) can not be smaller than the number of tensor dims "
            f"({input.ndim}, shape {input._shape})"
        )
    if any(r < 0 for r in reps):
        raise RuntimeError(f"repeat: repeats must be non-negative, got {reps}")
    shape = (1,) * (len(reps) - input.ndim) + input._shape
    x = reshape(input, shape)
    inter = tuple(v for s in shape for v in (1, s))
    big = tuple(v for r, s in zip(reps, shape) for v in (r, s))
    return reshape(expand(reshape(x, inter), big), tuple(r * s for r, s in zip(reps, shape)))


@public(method=True)
def tile(input: Tensor, dims: Sequence[int]) -> Tensor:  # noqa: A002
    """`input` repeated `dims[i]` times along each dimension (`dims` padded with leading 1s, as NumPy's tile)."""
    reps = _shape_args(tuple(dims), "tile")
    reps = (1,) * (input.ndim - len(reps)) + reps
    return repeat(input, reps)


@public(method=True)
def repeat_interleave(
    input: Any,  # noqa: A002
    repeats: Any = None,
    dim: int | None = None,
    *,
    output_size: int | None = None,
) -> Tensor:
    """Each element (or slice along `dim`) repeated `repeats` times (an int or one count per element).

    `repeat_interleave(counts)` alone gives arange(len(counts)) with element i repeated counts[i] times.
    """
    from .. import dtypes as _dt
    from .creation import arange
    from .indexing import index_select

    if repeats is None:
        counts = input
        if not isinstance(counts, Tensor) or counts.ndim > 1 or counts._dtype.is_floating_point:
            raise RuntimeError("repeat_interleave: repeats must be a 0-d or 1-d integer tensor")
        counts = counts.reshape(-1)
        return _interleave_index(counts, output_size, "repeat_interleave")
    x = flatten(input) if dim is None else input
    axis = 0 if dim is None else wrap_dim(dim, x.ndim, "repeat_interleave")
    n = x._shape[axis] if x.ndim else 1
    if isinstance(repeats, Tensor):
        if repeats._dtype.is_floating_point or repeats._dtype is _dt.bool_:
            raise RuntimeError(f"repeat_interleave: repeats must be an integer tensor, got {repeats._dtype.name}")
        if repeats.ndim > 1 or (repeats.ndim == 1 and repeats._shape[0] not in (1, n)):
            raise RuntimeError(
                f"repeat_interleave: repeats must have the same size as input along dim, but got "
                f"repeats.size(0) = {repeats.numel()} and input.size({axis}) = {n}"
            )
        if repeats.numel() == 1:
            repeats = int(repeats.item())
    if isinstance(repeats, int):
        if repeats < 0:
            raise RuntimeError(f"repeat_interleave: repeats can not be negative, got {repeats}")
        idx = arange(n, device=x._device).unsqueeze(1).expand(n, repeats).reshape(-1)
    else:
        idx = _interleave_index(repeats.to(_dt.int64), output_size, "repeat_interleave")
    return index_select(x, axis, idx)


def _interleave_index(counts: Tensor, output_size: int | None, op: str) -> Tensor:
    """arange(len(counts)) with element i repeated counts[i] times (int64)."""
    from .. import dtypes as _dt
    from .creation import zeros
    from .indexing import put_at
    from .reduction import cumsum

    counts = counts.to(_dt.int64)
    if counts.numel() and bool((counts < 0).any().item()):
        raise RuntimeError(f"{op}: repeats can not be negative")
    ends = cumsum(counts, 0)
    total = int(ends[-1].item()) if counts.numel() else 0
    if output_size is not None and output_size != total:
        raise RuntimeError(f"{op}: output_size ({output_size}) does not match the sum of repeats ({total})")
    marks = zeros(total + 1, dtype=_dt.int64, device=counts._device)
    if counts.numel() > 1:
        marks = put_at(marks, (ends[:-1],), 1, accumulate=True)
    return cumsum(marks, 0)[:total]


# -- broadcasting and grids --------------------------------------------------------------


@public
def broadcast_shapes(*shapes: Any) -> tuple[int, ...]:
    """The shape that tensors of `shapes` broadcast to (ints count as 1-D shapes), or RuntimeError."""
    from ._run import broadcast_shapes_for

    out: tuple[int, ...] = ()
    for s in shapes:
        shape = (int(s),) if isinstance(s, int) else tuple(int(v) for v in s)
        if any(v < 0 for v in shape):
            raise RuntimeError(f"broadcast_shapes: trying to create a tensor with negative dimension: {shape}")
        out = broadcast_shapes_for("broadcast_shapes", out, shape)
    return out


@public
def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors broadcast to one shape, as views (no copies)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = broadcast_shapes(*(t._shape for t in tensors))
    return tuple(expand_to(t, shape) for t in tensors)


@public
def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors: 'ij' (matrix, the default) or 'xy' (Cartesian) indexing."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    ts = _tensor_list("meshgrid", tensors)
    indexing = "ij" if indexing is None else indexing
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"meshgrid: indexing must be one of 'xy' or 'ij', got {indexing!r}")
    for t in ts:
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid: expects 0D or 1D tensors, got a tensor of shape {t._shape}")
    same_device("meshgrid", ts)
    if any(t._dtype is not ts[0]._dtype for t in ts):
        raise RuntimeError(
            f"meshgrid expects all tensors to have the same dtype, got {[t._dtype.name for t in ts]}; cast them first"
        )
    ts = [reshape(t, (-1,)) for t in ts]
    swap = indexing == "xy" and len(ts) >= 2
    order = [ts[1], ts[0], *ts[2:]] if swap else ts
    shape = tuple(t._shape[0] for t in order)
    grids = []
    for i, t in enumerate(order):
        view_shape = tuple(-1 if j == i else 1 for j in range(len(order)))
        grids.append(expand(reshape(t, view_shape), shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


@public
def cartesian_prod(*tensors: Tensor) -> Tensor:
    """The Cartesian product of 1-D tensors, one row per combination (itertools.product order)."""
    ts = _tensor_list("cartesian_prod", tensors)
    for t in ts:
        if t.ndim != 1:
            raise RuntimeError(f"cartesian_prod: expect a 1D vector, but got a tensor of shape {t._shape}")
    if len(ts) == 1:
        return ts[0]
    grids = meshgrid(*ts, indexing="ij")
    return stack([reshape(g, (-1,)) for g in grids], 1)


@public
def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:  # noqa: A002
    """The length-`r` combinations of a 1-D tensor's elements, one per row (itertools' order)."""
    import itertools

    from .creation import empty
    from .indexing import index_select

    if input.ndim != 1:
        raise RuntimeError(f"combinations: expect a 1D vector, but got a tensor of shape {input._shape}")
    if r < 0:
        raise RuntimeError(f"combinations: expect a non-negative number, but got {r}")
    if r == 0:
        return empty((0,), dtype=input._dtype, device=input._device)
    gen = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = list(gen(range(input._shape[0]), r))
    from .. import dtypes as _dt
    from ..tensor import tensor

    idx = tensor([i for row in rows for i in row], dtype=_dt.int64, device=input._device)
    return reshape(index_select(input, 0, idx), (len(rows), r))


# -- diagonals ---------------------------------------------------------------------------


@public(method=True)
def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:  # noqa: A002
    """The diagonal of the `dim1` x `dim2` planes (`offset` above or below the main one), as the last dimension.

    A view where the layout lets the two dimensions merge (contiguous, transposed and strided
    tensors); otherwise a copy (Ember's view kernels have no general as_strided).
    """
    n = input.ndim
    if n < 2:
        raise RuntimeError(f"diagonal: input must have at least 2 dimensions, got shape {input._shape}")
    a, b = wrap_dim(dim1, n, "diagonal"), wrap_dim(dim2, n, "diagonal")
    if a == b:
        raise RuntimeError(f"diagonal: dimensions cannot be identical {dim1}, {dim2}")
    rest = [d for d in range(n) if d not in (a, b)]
    rows, cols = input._shape[a], input._shape[b]
    length = max(min(rows, cols - offset) if offset >= 0 else min(rows + offset, cols), 0)
    lead = tuple(input._shape[d] for d in rest)
    x = permute(input, (*rest, a, b))
    if length == 0:
        return reshape(x[(Ellipsis, slice(0, 0), slice(0, 0))], (*lead, 0))
    start = offset if offset >= 0 else -offset * cols
    try:
        flat = view(x, (*lead, rows * cols))
    except RuntimeError:
        flat = None
    if flat is not None:
        return flat[(Ellipsis, slice(start, start + (length - 1) * (cols + 1) + 1, cols + 1))]
    try:  # the other order of the two dimensions may merge
        flat = view(transpose(x, -1, -2), (*lead, rows * cols))
        start = -offset if offset <= 0 else offset * rows
        return flat[(Ellipsis, slice(start, start + (length - 1) * (rows + 1) + 1, rows + 1))]
    except RuntimeError:
        pass
    from .creation import arange

    i = arange(length, device=input._device)
    r, c = (i, i + offset) if offset >= 0 else (i - offset, i)
    return x[(Ellipsis, r, c)]


@public(method=True)
def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: A002
    """Tensors whose `dim1` x `dim2` planes have the last dimension of `input` on their `offset` diagonal."""
    from .creation import arange, zeros
    from .indexing import put_at

    if input.ndim == 0:
        raise RuntimeError("diag_embed: expected a tensor with at least 1 dimension, got a 0-d tensor")
    n = input.ndim + 1
    a, b = wrap_dim(dim1, n, "diag_embed"), wrap_dim(dim2, n, "diag_embed")
    if a == b:
        raise RuntimeError(f"diag_embed: diagonal dimensions cannot be identical {dim1}, {dim2}")
    k = input._shape[-1]
    size = k + abs(offset)
    lead = input._shape[:-1]
    i = arange(k, device=input._device)
    r, c = (i, i + offset) if offset >= 0 else (i - offset, i)
    out = put_at(zeros((*lead, size, size), dtype=input._dtype, device=input._device), (Ellipsis, r, c), input)
    rest = [d for d in range(n) if d not in (a, b)]
    order = [0] * n
    for j, d in enumerate(rest):
        order[d] = j
    order[a], order[b] = n - 2, n - 1
    return permute(out, tuple(order))


@public(method=True)
def diag(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    """A 1-D tensor as the `diagonal`-th diagonal of a square matrix, or a 2-D matrix's diagonal (a copy)."""
    if input.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.ndim == 2:
        return clone(globals()["diagonal"](input, diagonal, 0, 1))
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


@public(method=True)
def diagflat(input: Tensor, offset: int = 0) -> Tensor:  # noqa: A002
    """The flattened `input` as the `offset`-th diagonal of a square matrix."""
    return diag_embed(reshape(input, (-1,)), offset, 0, 1)


@public
def block_diag(*tensors: Tensor) -> Tensor:
    """A block-diagonal matrix with the tensors (0-d, 1-D rows or 2-D) as its blocks; dtypes promote."""
    from .. import dtypes as _dt
    from .creation import zeros

    if not tensors:
        return zeros((1, 0))
    ts = list(tensors)
    for i, t in enumerate(ts):
        if not isinstance(t, Tensor) or t.ndim > 2:
            raise RuntimeError(
                f"block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                f"{t.ndim if isinstance(t, Tensor) else type(t).__name__} dimensions"
            )
    dev = same_device("block_diag", ts)
    dt = ts[0]._dtype
    for t in ts[1:]:
        dt = _dt.promote_types(dt, t._dtype)
    mats = [(t.reshape(1, -1) if t.ndim < 2 else t).to(dt) for t in ts]
    width = sum(m._shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        r, c = m._shape
        parts = [zeros((r, left), dtype=dt, device=dev), m, zeros((r, width - left - c), dtype=dt, device=dev)]
        rows.append(cat(parts, 1))
        left += c
    return cat(rows, 0)


# -- windows (Tensor.unfold) -------------------------------------------------------------


def unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:  # noqa: A002
    """`Tensor.unfold`: every window of `size` elements along `dimension`, `step` apart, as a new last dimension.

    A view when the windows do not overlap (`step == size`) and the layout allows; otherwise a copy
    (gathered; Ember's view kernels have no general as_strided).
    """
    from .creation import arange
    from .indexing import index_select

    n = max(input.ndim, 1)
    axis = wrap_dim(dimension, n, "unfold")
    x = reshape(input, (1,)) if input.ndim == 0 else input
    length = x._shape[axis]
    if size < 0 or size > length:
        raise RuntimeError(f"unfold: maximum size for tensor at dimension {axis} is {length} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"unfold: step is {step} but must be > 0")
    count = (length - size) // step + 1
    if step == size:
        part = x[_along(axis, slice(0, count * size))]
        out = movedim(unflatten(part, axis, (count, size)), axis + 1, -1)
    else:
        idx = (arange(count, device=x._device) * step).unsqueeze(1) + arange(size, device=x._device).unsqueeze(0)
        picked = index_select(x, axis, idx.reshape(-1))
        out = movedim(unflatten(picked, axis, (count, size)), axis + 1, -1)
    return reshape(out, (size,)) if input.ndim == 0 else out


# -- in-place shape changes (Tensor.t_, transpose_, squeeze_, unsqueeze_) ---------------------


def become(x: Tensor, new: Tensor, op: str) -> Tensor:
    """Make `x` itself take `new`'s shape and layout (a view of x): PyTorch's in-place view ops."""
    from ._run import needs_grad

    if x._requires_grad and x.grad_fn is None and needs_grad((x,)):
        raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an in-place operation.")
    if new is x:
        return x
    x._data, x._shape = new._data, new._shape
    if x._base is not None:  # a view stays a view of its base, with one more step to redo
        x._view_fn, x._view_version = new._view_fn, new._view_version
    if new.grad_fn is not None:
        x.grad_fn, x._output_nr, x._requires_grad = new.grad_fn, new._output_nr, True
    return x
