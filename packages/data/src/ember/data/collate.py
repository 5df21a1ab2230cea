"""Collation: a list of samples becomes one batch (``default_collate``), as in torch.utils.data.

Collation happens in two steps so that worker processes never build ember
tensors: `collate_numpy` stacks the samples into host NumPy arrays (what crosses
the process boundary), then `to_tensors` wraps those arrays as ember tensors on
the requested device in the main process. On "cpu" that wrapping shares the
array's memory: the one copy of a batch is the stack itself.
"""

from __future__ import annotations

import collections.abc as abc
import copy
import functools
import operator
from typing import Any

import numpy as np

import ember
from ember import Device, Tensor
from ember.dtypes import from_numpy_dtype

from ._host import host_tensor

__all__ = ["default_collate", "default_convert", "collate_numpy", "convert_numpy", "to_tensors", "to_device"]

_NOT_NUMERIC = "SUaOV"  # NumPy dtype kinds that are no tensor dtype: strings, objects, records
_SHAPE = operator.attrgetter("shape")
_TO_HOST = operator.methodcaller("numpy", force=True)
_TYPE_ERROR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}{}"


def _where(path: str) -> str:
    return f" at {path}" if path else ""


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


def _same_mapping(like: Any, items: dict[Any, Any]) -> Any:
    """`items` as a mapping of `like`'s type (an OrderedDict stays one), or the dict itself if that type cannot take it."""
    if type(like) is dict:
        return items
    if isinstance(like, abc.MutableMapping):  # PyTorch's way: a copy of the sample, updated (a defaultdict stays one)
        clone = copy.copy(like)
        clone.update(items)
        return clone
    try:
        return type(like)(items)
    except TypeError:
        return items


def _host_arrays(batch: abc.Sequence[Any], path: str, kind: str) -> list[np.ndarray]:
    """The samples of a batch of tensors/arrays as host arrays (no copy on the host device)."""
    try:
        if kind == "tensor":
            return list(map(_TO_HOST, batch))
        if all(type(x) is np.ndarray for x in batch):
            return list(batch)
    except AttributeError:
        pass
    out = []
    for k, x in enumerate(batch):
        if isinstance(x, Tensor):
            out.append(x.numpy(force=True))
        elif isinstance(x, np.ndarray):
            out.append(x)
        else:
            raise TypeError(f"default_collate: sample {k}{_where(path)} is a {type(x).__name__}, but sample 0 is a {kind}")
    return out


def _stack(arrays: list[np.ndarray], path: str) -> np.ndarray:
    """np.stack, faster for the common case, with an error that names the odd sample and both shapes."""
    first = arrays[0]
    shape = first.shape
    if first.ndim and len(set(map(_SHAPE, arrays))) == 1:
        out = np.empty((len(arrays), *shape), first.dtype)
        try:  # one pass, without np.stack's per-sample expand_dims; mixed dtypes fall through to np.stack
            np.concatenate(arrays, out=out.reshape((-1, *shape[1:])), casting="no")
            return out
        except TypeError:
            pass
    for k, a in enumerate(arrays):
        if a.shape != shape:
            raise RuntimeError(
                f"default_collate: cannot stack the batch{_where(path)}: sample {k} has shape {tuple(a.shape)} "
                f"but sample 0 has shape {tuple(shape)}; every sample must have the same shape "
                f"(resize or crop in a transform, or pass a collate_fn that pads)"
            )
    if len({a.dtype for a in arrays}) > 1:  # promoted as ember.stack (PyTorch) does: int64 with float32 is float32
        target = functools.reduce(ember.promote_types, (from_numpy_dtype(a.dtype) for a in arrays))
        arrays = [a.astype(target.numpy, copy=False) for a in arrays]
    return np.stack(arrays)  # 0-d arrays, or mixed dtypes (promoted)


def _check_array_dtype(a: np.ndarray, path: str) -> None:
    if a.dtype.kind in _NOT_NUMERIC:
        raise TypeError(_TYPE_ERROR.format(f"a numpy array of dtype {a.dtype}", _where(path)))


def collate_numpy(batch: abc.Sequence[Any], _path: str = "") -> Any:
    """`default_collate`'s structure with host NumPy arrays in place of tensors.

    Tensors and arrays are stacked on a new first dimension, Python ints become
    int64, floats float64, bools bool; strings stay lists; dicts, (named) tuples
    and lists are collated field by field, recursively.
    """
    if len(batch) == 0:
        raise ValueError("default_collate: cannot collate an empty batch")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack(_host_arrays(batch, _path, "tensor"), _path)
    if isinstance(elem, np.ndarray):
        _check_array_dtype(elem, _path)
        return _stack(_host_arrays(batch, _path, "numpy array"), _path)
    if isinstance(elem, np.generic):
        out = np.array(batch)
        _check_array_dtype(out, _path)
        return out
    if isinstance(elem, (bool, int, float)):
        return _numbers(batch, _path)
    if isinstance(elem, (str, bytes)):
        return batch  # as PyTorch: the batch itself (a tuple where it is a field of tuple samples)
    if isinstance(elem, abc.Mapping):
        out_map = {}
        for key in elem:
            try:
                values = [d[key] for d in batch]
            except (KeyError, TypeError):
                k = next(k for k, d in enumerate(batch) if not isinstance(d, abc.Mapping) or key not in d)
                raise KeyError(f"default_collate: sample {k}{_where(_path)} has no key {key!r}, which sample 0 has") from None
            out_map[key] = collate_numpy(values, f"{_path}[{key!r}]")
        return _same_mapping(elem, out_map)
    if isinstance(elem, abc.Sequence):
        size, kind = len(elem), type(elem)
        for k, x in enumerate(batch):
            if type(x) is kind and len(x) == size:
                continue
            if not isinstance(x, abc.Sequence) or isinstance(x, (str, bytes)) or len(x) != size:
                got = f"length {len(x)}" if isinstance(x, abc.Sized) else f"a {type(x).__name__}"
                raise RuntimeError(
                    f"default_collate: each element in list of batch should be of equal size: "
                    f"sample {k}{_where(_path)} has {got} but sample 0 has length {size}"
                )
        fields = [collate_numpy(s, f"{_path}[{i}]") for i, s in enumerate(zip(*batch))]
        if _is_namedtuple(elem):
            return type(elem)(*fields)
        return fields
    raise TypeError(_TYPE_ERROR.format(type(elem), _where(_path)))


def _numbers(batch: abc.Sequence[Any], path: str) -> np.ndarray:
    if set(map(type, batch)) == {int}:  # the common case: class labels
        try:
            return np.array(batch, dtype=np.int64)
        except OverflowError:
            pass
    for k, x in enumerate(batch):
        if not isinstance(x, (bool, int, float, np.number, np.bool_)):
            raise TypeError(f"default_collate: sample {k}{_where(path)} is a {type(x).__name__}, but sample 0 is a number")
    elem = batch[0]
    if isinstance(elem, bool):
        return np.array(batch, dtype=np.bool_ if all(isinstance(x, bool) for x in batch) else None)
    if isinstance(elem, float):
        return np.array(batch, dtype=np.float64)
    out = np.array(batch)
    if out.dtype.kind == "f":  # ints mixed with floats: the default float dtype, as torch.tensor([1, 2.5])
        return out.astype(ember.get_default_dtype().numpy)
    return out.astype(np.int64, copy=False)


def _apply(data: Any, leaf: abc.Callable[[Any], Any], tuple_as_list: bool = False) -> Any:
    """`leaf(x)` for every leaf x of a nested structure of dicts, (named) tuples and lists, same structure back."""
    if isinstance(data, (str, bytes)):
        return leaf(data)
    if isinstance(data, abc.Mapping):
        return _same_mapping(data, {k: _apply(v, leaf, tuple_as_list) for k, v in data.items()})
    if _is_namedtuple(data):
        return type(data)(*(_apply(d, leaf, tuple_as_list) for d in data))
    if isinstance(data, tuple):
        items = [_apply(d, leaf, tuple_as_list) for d in data]
        return items if tuple_as_list else tuple(items)
    if isinstance(data, list):
        return [_apply(d, leaf, tuple_as_list) for d in data]
    return leaf(data)


def convert_numpy(data: Any) -> Any:
    """`default_convert`'s host half: ember tensors become host arrays, tuples lists, the rest is kept."""
    return _apply(data, lambda x: x.numpy(force=True) if isinstance(x, Tensor) else x, tuple_as_list=True)


def to_tensors(data: Any, device: Device | str | None = None) -> Any:
    """Host arrays (and NumPy scalars) in a nested structure become ember tensors on `device`."""

    on_host = device is None or ember.device(device).type == "cpu" and ember.device(device).index == 0

    def leaf(x: Any) -> Any:
        if isinstance(x, (np.ndarray, np.generic)):
            if x.dtype.kind in _NOT_NUMERIC:
                return x
            a = np.asarray(x)
            return host_tensor(a) if on_host else ember.as_tensor(a, device=device)
        if isinstance(x, Tensor) and device is not None:
            return x.to(device)
        return x

    return _apply(data, leaf)


def to_device(data: Any, device: Device | str) -> Any:
    """Every ember tensor in a nested structure moved to `device` (arrays and other leaves are kept)."""
    return _apply(data, lambda x: x.to(device) if isinstance(x, Tensor) else x)


def default_collate(batch: abc.Sequence[Any]) -> Any:
    """Merge a list of samples into a batch of ember tensors (``torch.utils.data.default_collate``).

    ``[(x0, 0), (x1, 1)]`` becomes ``[stack([x0, x1]), tensor([0, 1])]``; dicts
    become dicts of batches, named tuples stay named tuples.
    """
    return to_tensors(collate_numpy(batch))


def default_convert(data: Any) -> Any:
    """Convert NumPy arrays in `data` to ember tensors without batching (the loader's ``batch_size=None`` path)."""
    return to_tensors(convert_numpy(data))
