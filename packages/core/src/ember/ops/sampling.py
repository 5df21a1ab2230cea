"""Random sampling ops: `rand`, `randn`, `randint`, `randperm`, `bernoulli`, made from Philox bits."""

from __future__ import annotations

import math
from typing import Any

from .. import dtypes as _dt
from ..dispatch import primitive, public
from ..random import Generator, default_generator
from ..tensor import Tensor, resolve_device
from ._run import check_supported, run
from .creation import size_arg

RANDOM_BITS = primitive(
    "random_bits",
    "random_bits(seed: int, offset: int, n: int, index: int) -> array of int64",
    "n Philox4x32-10 words in [0, 2**32) as core's ember.random.philox4x32 defines them, on device `index`.",
    family="sampling",
    differentiable=False,
    index_arg=3,
)


def _gen(generator: Generator | None, device: Any) -> tuple[Generator, Any]:
    dev = resolve_device(device if device is not None else (generator.device if generator is not None else None))
    g = generator if generator is not None else default_generator(dev)
    if g.device.type != dev.type:
        raise RuntimeError(f"random: generator is for device {g.device} but the tensor is requested on {dev}")
    return g, dev


@public
def random_bits(n: int, *, generator: Generator | None = None, device: Any = None) -> Tensor:
    """`n` random words in [0, 2**32) as int64, advancing the generator."""
    g, dev = _gen(generator, device)
    seed, offset = g._take(n)
    return run(RANDOM_BITS, dev, (seed, offset, n, dev.index), (n,), _dt.int64)


def _uniform(n: int, dtype: Any, g: Generator, dev: Any) -> Tensor:
    if dtype is _dt.float64:
        bits = random_bits(2 * n, generator=g, device=dev).reshape(n, 2)
        hi = (bits[:, 0] // 32).to(_dt.float64)  # 27 bits
        lo = (bits[:, 1] // 64).to(_dt.float64)  # 26 bits
        return (hi * 67108864.0 + lo) * (1.0 / 9007199254740992.0)
    u = (random_bits(n, generator=g, device=dev) // 256).to(_dt.float32) * (1.0 / 16777216.0)
    return u if dtype is _dt.float32 else u.to(dtype)


def _own(t: Tensor) -> Tensor:
    """A fresh sample owns its memory: drop the view link to the temporary it was reshaped from."""
    t._base = None
    t._version = None
    return t


def _float_dtype(dtype: Any, op: str) -> Any:
    d = _dt.as_dtype(dtype) if dtype is not None else _dt.get_default_dtype()
    if not d.is_floating_point:
        raise TypeError(f"{op}: dtype must be floating, got {d.name}")
    return d


@public
def rand(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1)."""
    shape = size_arg(size, "rand")
    d = _float_dtype(dtype, "rand")
    g, dev = _gen(generator, device)
    check_supported(d, dev, "rand")
    out = _own(_uniform(math.prod(shape), d, g, dev).reshape(shape))
    return out.requires_grad_(requires_grad) if requires_grad else out


@public
def randn(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples (Box-Muller on Philox uniforms)."""
    shape = size_arg(size, "randn")
    d = _float_dtype(dtype, "randn")
    g, dev = _gen(generator, device)
    check_supported(d, dev, "randn")
    n = math.prod(shape)
    work = _dt.float64 if d is _dt.float64 else _dt.float32
    u = _uniform(2 * n, work, g, dev).reshape(2, n)
    r = ((1 - u[0]).log() * -2).sqrt()
    z = r * (u[1] * (2 * math.pi)).cos()
    out = _own(z.reshape(shape).to(d))
    return out.requires_grad_(requires_grad) if requires_grad else out


@public
def rand_like(x: Tensor, *, dtype: Any = None, device: Any = None, generator: Generator | None = None) -> Tensor:
    """Uniform samples in [0, 1) of `input`'s shape, in its dtype and device unless given."""
    return rand(x._shape, dtype=dtype or x._dtype, device=device or x._device, generator=generator)


@public
def randn_like(x: Tensor, *, dtype: Any = None, device: Any = None, generator: Generator | None = None) -> Tensor:
    """Standard normal samples of `input`'s shape, in its dtype and device unless given."""
    return randn(x._shape, dtype=dtype or x._dtype, device=device or x._device, generator=generator)


@public
def randint(low: int, high: int | None = None, size: Any = None, *, generator: Generator | None = None, dtype: Any = None, device: Any = None) -> Tensor:
    """Integers uniform in [low, high) (`randint(high, size)` means low = 0)."""
    if high is None or (size is None and isinstance(high, (tuple, list))):
        if size is None and isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            raise TypeError("randint: expected randint(low, high, size) or randint(high, size)")
    if size is None:
        raise TypeError("randint: missing the size argument")
    if high <= low:
        raise RuntimeError(f"randint: expected low < high, got low={low}, high={high}")
    if high - low > 2**32:
        raise RuntimeError(f"randint: the range high - low must be at most 2**32, got {high - low}")
    shape = size_arg((size,), "randint")
    g, dev = _gen(generator, device)
    d = _dt.as_dtype(dtype) if dtype is not None else _dt.int64
    bits = random_bits(math.prod(shape), generator=g, device=dev)
    out = _own((bits % (high - low) + low).reshape(shape))
    return out if d is _dt.int64 else out.to(d)


@public
def randint_like(x: Tensor, low: int, high: int | None = None, *, dtype: Any = None, generator: Generator | None = None) -> Tensor:
    """Integers uniform in [low, high) of `input`'s shape, in its dtype and device unless given."""
    if high is None:
        low, high = 0, low
    return randint(low, high, x._shape, generator=generator, dtype=dtype or x._dtype, device=x._device)


@public
def randperm(n: int, *, generator: Generator | None = None, dtype: Any = None, device: Any = None) -> Tensor:
    """A random permutation of 0..n-1 (a stable argsort of random words)."""
    from .sorting import argsort

    g, dev = _gen(generator, device)
    out = argsort(random_bits(n, generator=g, device=dev), 0)
    return out if dtype is None else out.to(dtype)


@public
def bernoulli(input: Tensor, p: float | None = None, *, generator: Generator | None = None) -> Tensor:  # noqa: A002
    """1 with probability `input` (or `p`), else 0, in input's dtype."""
    prob = input if p is None else p
    u = rand(input._shape, generator=generator, dtype=input._dtype, device=input._device)
    return (u < prob).to(input._dtype)
