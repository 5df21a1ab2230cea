"""Per-sample transforms (``torchvision.transforms``' names): ``Compose``, ``ToTensor``, ``Normalize``, ...

Images come in as Pillow images or HWC NumPy arrays; `ToTensor` turns them into
CHW float tensors in [0, 1]. Random transforms draw from ember's default
generator, which each DataLoader worker seeds differently, so augmentations
differ between workers and `ember.manual_seed` makes them reproducible.

On the host device ("cpu") `ToTensor` and `Normalize` compute in NumPy on the
tensor's own memory: a per-sample transform costs about what the NumPy code
costs, not one op dispatch per arithmetic step.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence, Sized
from typing import Any, Literal

import numpy as np

import ember
from ember import Tensor

from ._host import host_tensor

__all__ = ["Compose", "ToTensor", "Normalize", "Lambda", "RandomHorizontalFlip", "RandomCrop"]


def _is_pil(x: Any) -> bool:
    pil = sys.modules.get("PIL.Image")  # no need to import Pillow for arrays and tensors
    return pil is not None and isinstance(x, pil.Image)


def _on_host(t: Tensor) -> bool:
    """A tensor whose memory NumPy can compute on in place of ember ops."""
    return t.device.type == "cpu" and not t.requires_grad


def _rand() -> float:
    return float(ember.rand(1).item())


def _randint(low: int, high: int) -> int:
    return int(ember.randint(low, high, (1,)).item())


class Compose:
    """Apply transforms one after another.

    A `ToTensor` followed by `Normalize` (or other elementwise host transforms)
    runs as one step on NumPy arrays, wrapped as a tensor once at its end; for
    uint8 images that step is a table lookup (see `ToTensor`). The values are
    the same as applying the transforms one by one.
    """

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        self.transforms = list(transforms)
        self._steps: list[Callable[[Any], Any]] = []
        i = 0
        while i < len(self.transforms):
            t, j = self.transforms[i], i + 1
            if isinstance(t, ToTensor):
                then: list[_HostArrayTransform] = []
                while j < len(self.transforms) and isinstance(u := self.transforms[j], _HostArrayTransform):
                    then.append(u)
                    j += 1
                self._steps.append(_ToTensorChain(t, tuple(then)))
            else:
                self._steps.append(t)
            i = j

    def __call__(self, x: Any) -> Any:
        for step in self._steps:
            x = step(x)
        return x

    def __repr__(self) -> str:
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({body}\n)"


class _HostArrayTransform:
    """A tensor transform that maps each value on its own, per channel, and can run on a host
    (C, H, W) array that it may overwrite (``_array``). Being elementwise, it can also be folded
    into `ToTensor`'s lookup table for uint8 images."""

    def _array(self, a: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class _ToTensorChain:
    """`ToTensor` then elementwise host transforms, as one step of a `Compose`."""

    def __init__(self, to_tensor: ToTensor, then: tuple[_HostArrayTransform, ...]) -> None:
        self.to_tensor = to_tensor
        self.then = then
        self._tables: dict[Any, tuple[np.ndarray, ...]] = {}

    def __call__(self, pic: Any) -> Tensor:
        return host_tensor(self.to_tensor._array(pic, self.then, self._tables))

    def __repr__(self) -> str:
        return " -> ".join(map(repr, (self.to_tensor, *self.then)))


class ToTensor:
    """A Pillow image or HWC NumPy array as a CHW tensor; uint8 data is scaled to floats in [0, 1].

    Other dtypes keep their values and dtype (as torchvision's ToTensor does);
    a 2-D image gets one channel. A uint8 image has only 256 possible values per
    channel: they are converted once, into a table, and each image is one
    lookup in it (the same floats as the arithmetic, at a fraction of the cost).
    """

    def __init__(self) -> None:
        self._tables: dict[Any, tuple[np.ndarray, ...]] = {}

    def _array(self, pic: Any, then: tuple[_HostArrayTransform, ...] = (), tables: dict[Any, Any] | None = None) -> np.ndarray:
        """The CHW result as a fresh host array, with the elementwise host transforms `then` applied to it."""
        if isinstance(pic, np.ndarray):
            arr = pic
        elif _is_pil(pic):
            arr = np.asarray(pic)
            if pic.mode == "1":
                arr = arr.astype(np.uint8) * 255
        else:
            raise TypeError(f"ToTensor: pic should be a PIL Image or a numpy.ndarray, got {type(pic).__name__}")
        ndim = arr.ndim
        if ndim != 2 and ndim != 3:
            raise ValueError(f"ToTensor: pic should be 2 or 3 dimensional, got {ndim} dimensions (shape {arr.shape})")
        if arr.dtype is _U8 or arr.dtype == _U8:
            channels = 1 if ndim == 2 else arr.shape[2]
            dtype = ember.get_default_dtype().numpy
            tables = self._tables if tables is None else tables
            table = tables.get((channels, dtype))
            if table is None:
                table = tables[(channels, dtype)] = _uint8_tables(channels, dtype, then)
            if ndim == 2:
                return table[0].take(arr[None])
            out = np.empty((channels, *arr.shape[:2]), dtype)
            for c in range(channels):
                table[c].take(arr[:, :, c], out=out[c])
            return out
        out = np.array(arr[None] if ndim == 2 else arr.transpose(2, 0, 1), order="C")
        for t in then:
            out = t._array(out)
        return out

    def __call__(self, pic: Any) -> Tensor:
        return host_tensor(self._array(pic))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _uint8_tables(channels: int, dtype: np.dtype, then: tuple[_HostArrayTransform, ...]) -> tuple[np.ndarray, ...]:
    """For each channel, the 256 results of ToTensor (and `then`) for the values 0..255, computed as for an image."""
    ramp = np.broadcast_to(np.arange(256, dtype=np.uint8)[None, None, :], (channels, 1, 256))  # a (C, 1, 256) "image"
    a = ramp.astype(dtype, order="C")
    a /= _255
    for t in then:
        a = t._array(a)
    return tuple(np.ascontiguousarray(a[c, 0]) for c in range(channels))


_255 = np.float32(255)
_U8 = np.dtype(np.uint8)


class Normalize(_HostArrayTransform):
    """``(x - mean) / std`` per channel of a (..., C, H, W) float tensor."""

    def __init__(self, mean: Sequence[float] | float, std: Sequence[float] | float, inplace: bool = False) -> None:
        self.mean = [float(m) for m in np.atleast_1d(np.asarray(mean, dtype=np.float64))]
        self.std = [float(s) for s in np.atleast_1d(np.asarray(std, dtype=np.float64))]
        self.inplace = inplace
        self._cache: dict[Any, tuple[Any, Any]] = {}

    def _stats(self, dtype: Any, shape: tuple[int, ...], device: Any) -> tuple[Any, Any]:
        """mean and std in the input's dtype, checked against its shape: scalars when all channels share
        them (NumPy's fastest case), else (C, 1, 1) arrays; tensors for a device. Made once per kind of input."""
        key = (dtype, len(shape) >= 3 and shape[-3], device)
        stats = self._cache.get(key)
        if stats is not None:
            return stats
        if len(shape) < 3:
            raise ValueError(f"Normalize: expected a tensor image of shape (..., C, H, W), got shape {shape}")
        for name, values in (("mean", self.mean), ("std", self.std)):
            if len(values) not in (1, shape[-3]):
                raise ValueError(f"Normalize: {name} has {len(values)} values but the image has {shape[-3]} channels")
        np_dtype = dtype.numpy if hasattr(dtype, "numpy") else np.dtype(dtype)
        if np_dtype.kind != "f":
            raise TypeError(f"Normalize: input tensor should be a float tensor, got {dtype}")
        mean = np.asarray(self.mean, dtype=np_dtype).reshape(-1, 1, 1)
        std = np.asarray(self.std, dtype=np_dtype).reshape(-1, 1, 1)
        if not np.all(std):
            raise ValueError(f"Normalize: std evaluated to zero after conversion to {dtype}, leading to division by zero")
        if device is not None:
            stats = (ember.as_tensor(mean, device=device), ember.as_tensor(std, device=device))
        elif np.all(mean == mean.flat[0]) and np.all(std == std.flat[0]):
            stats = (mean.flat[0], std.flat[0])
        else:
            stats = (mean, std)
        self._cache[key] = stats
        return stats

    def _array(self, a: np.ndarray) -> np.ndarray:
        shape = a.shape
        stats = self._cache.get((a.dtype, len(shape) >= 3 and shape[-3], None))
        mean, std = stats if stats is not None else self._stats(a.dtype, shape, None)
        a -= mean
        a /= std
        return a

    def __call__(self, tensor: Tensor) -> Tensor:
        if not isinstance(tensor, Tensor):
            raise TypeError(f"Normalize: expected an ember Tensor (apply ToTensor first), got {type(tensor).__name__}")
        if _on_host(tensor) and not self.inplace:
            mean, std = self._stats(tensor.dtype, tensor.shape, None)
            out = tensor.numpy() - mean
            out /= std
            return host_tensor(out)
        mean, std = self._stats(tensor.dtype, tensor.shape, tensor.device)
        if self.inplace:
            return tensor.sub_(mean).div_(std)
        return (tensor - mean) / std

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


class Lambda:
    """A user function as a transform."""

    def __init__(self, lambd: Callable[[Any], Any]) -> None:
        if not callable(lambd):
            raise TypeError(f"Lambda: argument should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, x: Any) -> Any:
        return self.lambd(x)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class RandomHorizontalFlip:
    """Mirror the image left-right with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, img: Any) -> Any:
        if _rand() >= self.p:
            return img
        if _is_pil(img):
            from PIL import Image

            return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        if isinstance(img, Tensor):
            return ember.flip(img, [-1])
        if isinstance(img, np.ndarray):
            return np.ascontiguousarray(np.flip(img, axis=1))
        raise TypeError(f"RandomHorizontalFlip: expected a PIL Image, numpy.ndarray or Tensor, got {type(img).__name__}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


_PadMode = Literal["constant", "edge", "reflect", "symmetric"]


def _pair(size: int | Sequence[int], name: str) -> tuple[int, int]:
    if not isinstance(size, Sized):  # a number (int, float, NumPy scalar)
        return int(size), int(size)
    if len(size) == 1:
        return int(size[0]), int(size[0])
    if len(size) != 2:
        raise ValueError(f"{name} should be an int or a sequence of 1 or 2 ints, got {size!r}")
    return int(size[0]), int(size[1])


class RandomCrop:
    """A random ``size`` (h, w) window of the image, after optional ``padding``.

    ``padding`` is an int (all sides), (left/right, top/bottom) or (left, top,
    right, bottom); ``padding_mode`` is "constant" (with ``fill``), "edge",
    "reflect" or "symmetric"; ``pad_if_needed`` pads images smaller than ``size``.
    Works on Pillow images, HWC arrays and (..., H, W) tensors (tensors are padded on the host).
    """

    _MODES: tuple[_PadMode, ...] = ("constant", "edge", "reflect", "symmetric")

    def __init__(
        self,
        size: int | Sequence[int],
        padding: int | Sequence[int] | None = None,
        pad_if_needed: bool = False,
        fill: float | Sequence[float] = 0,
        padding_mode: str = "constant",
    ) -> None:
        self.size = _pair(size, "RandomCrop size")
        if padding_mode not in self._MODES:
            raise ValueError(f"RandomCrop: padding_mode should be one of {self._MODES}, got {padding_mode!r}")
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode: _PadMode = padding_mode  # narrowed by the check above

    @staticmethod
    def _ltrb(padding: int | Sequence[int]) -> tuple[int, int, int, int]:
        if not isinstance(padding, Sized):  # a number
            p = int(padding)
            return p, p, p, p
        padding = [int(p) for p in padding]
        if len(padding) == 1:
            return padding[0], padding[0], padding[0], padding[0]
        if len(padding) == 2:
            return padding[0], padding[1], padding[0], padding[1]
        if len(padding) == 4:
            return padding[0], padding[1], padding[2], padding[3]
        raise ValueError(f"RandomCrop: padding must be an int or a sequence of 1, 2 or 4 ints, got {padding!r}")

    def _pad(self, a: np.ndarray, ltrb: tuple[int, int, int, int], hw_axes: tuple[int, int]) -> np.ndarray:
        left, top, right, bottom = ltrb
        if not any(ltrb):
            return a
        widths = [(0, 0)] * a.ndim
        widths[hw_axes[0]] = (top, bottom)
        widths[hw_axes[1]] = (left, right)
        if self.padding_mode != "constant":
            return np.pad(a, widths, mode=self.padding_mode)
        fill = np.asarray(self.fill, dtype=a.dtype)
        out = np.empty([n + w0 + w1 for n, (w0, w1) in zip(a.shape, widths)], dtype=a.dtype)
        out[...] = fill if fill.ndim == 0 or a.ndim < 3 else fill.reshape([-1 if i == a.ndim - 1 else 1 for i in range(a.ndim)])
        inner = tuple(slice(w0, w0 + n) for n, (w0, _) in zip(a.shape, widths))
        out[inner] = a
        return out

    def __call__(self, img: Any) -> Any:
        pil = _is_pil(img)
        a: np.ndarray | None  # the image as a host array; None for a tensor (cropped as one)
        if pil:
            a = np.asarray(img)
            hw_axes = (0, 1)
        elif isinstance(img, Tensor):
            if img.ndim < 2:
                raise ValueError(f"RandomCrop: expected a tensor image (..., H, W), got shape {tuple(img.shape)}")
            a = None
            hw_axes = (img.ndim - 2, img.ndim - 1)
        elif isinstance(img, np.ndarray):
            if img.ndim not in (2, 3):
                raise ValueError(f"RandomCrop: expected an HW or HWC array, got shape {img.shape}")
            a = img
            hw_axes = (0, 1)
        else:
            raise TypeError(f"RandomCrop: expected a PIL Image, numpy.ndarray or Tensor, got {type(img).__name__}")
        shape = tuple(img.shape) if a is None else a.shape
        h, w = shape[hw_axes[0]], shape[hw_axes[1]]
        left, top, right, bottom = self._ltrb(self.padding) if self.padding is not None else (0, 0, 0, 0)
        th, tw = self.size
        if self.pad_if_needed:
            if h + top + bottom < th:
                extra = th - (h + top + bottom)
                top, bottom = top + extra, bottom + extra
            if w + left + right < tw:
                extra = tw - (w + left + right)
                left, right = left + extra, right + extra
        ltrb = (left, top, right, bottom)
        if any(ltrb):
            if a is None:
                img = ember.as_tensor(self._pad(img.numpy(force=True), ltrb, hw_axes), device=img.device)
            else:
                a = self._pad(a, ltrb, hw_axes)
        h, w = h + top + bottom, w + left + right
        if h < th or w < tw:
            raise ValueError(f"RandomCrop: required crop size {(th, tw)} is larger than the (padded) input image size {(h, w)}")
        i = _randint(0, h - th + 1) if h > th else 0
        j = _randint(0, w - tw + 1) if w > tw else 0
        if a is None:
            return img[..., i : i + th, j : j + tw]
        out = np.ascontiguousarray(a[i : i + th, j : j + tw])
        if pil:
            from PIL import Image

            return Image.fromarray(out)
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"
