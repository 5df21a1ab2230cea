"""Random sampling ops: `rand`, `randn`, `randint`, `randperm`, `bernoulli`, made from Philox bits."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import dtypes as _dt
from ..dispatch import Op, primitive, public
from ..random import Generator, default_generator
from ..tensor import Tensor, resolve_device
from ._run import check_supported, describe, needs_grad, record, run
from .creation import size_arg

RANDOM_BITS = primitive(
    "random_bits",
    "random_bits(seed: int, offset: int, n: int, index: int) -> array of int64",
    "n Philox4x32-10 words in [0, 2**32) as core's ember.random.philox4x32 defines them, on device `index`: block j "
    "encrypts the counter (lo32(offset + j), hi32(offset + j), 0, 0) under the key (lo32(seed), hi32(seed)) with 10 "
    "rounds of (c0, c1, c2, c3) <- (hi(M1 * c2) ^ c1 ^ k0, lo(M1 * c2), hi(M0 * c0) ^ c3 ^ k1, lo(M0 * c0)), the key "
    "bumped by (W0, W1) mod 2**32 after each round (M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, "
    "W1 = 0xBB67AE85; hi/lo: the 32-bit halves of the 64-bit product); the words are the blocks' c0..c3 in order.",
    family="sampling",
    differentiable=False,
    index_arg=3,
)


def _gen(generator: Generator | None, device: Any) -> tuple[Generator, Any]:
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(f"random: generator must be an ember.Generator or None, got {type(generator).__name__}")
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
def rand(
    *sizes: Any,
    size: Any = None,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Uniform samples in [0, 1)."""
    shape = size_arg(sizes, "rand", size)
    d = _float_dtype(dtype, "rand")
    g, dev = _gen(generator, device)
    check_supported(d, dev, "rand")
    out = _own(_uniform(math.prod(shape), d, g, dev).reshape(shape))
    return out.requires_grad_(requires_grad) if requires_grad else out


@public
def randn(
    *sizes: Any,
    size: Any = None,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Standard normal samples (Box-Muller on Philox uniforms)."""
    shape = size_arg(sizes, "randn", size)
    if dtype is not None and _dt.as_dtype(dtype).is_complex:  # PyTorch: real and imaginary parts each N(0, 1/2)
        from .complex_numbers import complex as _complex

        d = _dt.as_dtype(dtype)
        parts = randn(2, *shape, generator=generator, dtype=d.to_real(), device=device) * math.sqrt(0.5)
        out = _complex(parts[0], parts[1])
        return out.requires_grad_(requires_grad) if requires_grad else out
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
def randint(
    low: int,
    high: int | None = None,
    size: Any = None,
    *,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
) -> Tensor:
    """Integers uniform in [low, high) (`randint(high, size)` means low = 0)."""
    if high is None:  # randint(high, size=...)
        low, high = 0, low
    elif size is None and isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint: missing the size argument")
    if high <= low:
        raise RuntimeError(f"randint: expected low < high, got low={low}, high={high}")
    if high - low >= 2**63:
        raise RuntimeError(f"randint: the range high - low must be below 2**63, got {high - low}")
    shape = size_arg((size,), "randint")
    g, dev = _gen(generator, device)
    d = _dt.as_dtype(dtype) if dtype is not None else _dt.int64
    n = math.prod(shape)
    if high - low > 2**32:  # a 63-bit word from two draws, as PyTorch draws 64 bits for ranges past 2**32
        pair = random_bits(2 * n, generator=g, device=dev).reshape(n, 2)
        bits = (pair[:, 0] % 2**31) * 2**32 + pair[:, 1]
    else:
        bits = random_bits(n, generator=g, device=dev)
    out = _own((bits % (high - low) + low).reshape(shape))
    return out if d is _dt.int64 else out.to(d)


@public
def randint_like(
    x: Tensor, low: int, high: int | None = None, *, dtype: Any = None, generator: Generator | None = None
) -> Tensor:
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


@public(method=True)
def bernoulli(input: Tensor, p: float | None = None, *, generator: Generator | None = None) -> Tensor:  # noqa: A002
    """1 with probability `input` (or `p`), else 0, in input's dtype."""
    prob = input if p is None else p
    if isinstance(prob, Tensor):  # one sync, as PyTorch's kernel checks too; nan is out of range
        if not prob._dtype.is_floating_point:
            raise RuntimeError(f"bernoulli: the probabilities must be a floating tensor, got {prob._dtype.name}")
        bad = bool((~((prob >= 0) & (prob <= 1))).any().item())
    else:
        bad = not 0 <= prob <= 1
    if bad:
        got = "a tensor with values outside it" if isinstance(prob, Tensor) else f"p={prob}"
        raise RuntimeError(f"bernoulli: the probabilities must lie in [0, 1], got {got}")
    work = input._dtype if input._dtype.is_floating_point else _dt.get_default_dtype()  # bernoulli_ fills ints too
    u = rand(input._shape, generator=generator, dtype=work, device=input._device)
    return (u < prob).to(input._dtype)


# -- samples whose gradient is zero (PyTorch's normal/poisson with tensor parameters) -------------


def _zero_vjp(n: Any, g: Tensor) -> tuple[Any, ...]:
    from .creation import zeros

    return tuple(zeros(m[0], dtype=m[1], device=g._device) if m is not None else None for m in n.meta)


#: a draw from a distribution whose parameters require grad: PyTorch gives them a zero gradient
SAMPLE = Op("sample", "internal", "", "A random draw; its parameters get a zero gradient.", "sampling", vjp=_zero_vjp)


def _sampled(out: Tensor, *params: Any) -> Tensor:
    out = _own(out.detach()) if out._base is not None else out.detach()
    if needs_grad(params):
        record(SAMPLE, params, out)
    return out


def _work_dtype(dev: Any) -> Any:
    """float64 where the device has it (exact decisions on every backend), else float32."""
    from ..backends import registry

    return _dt.float64 if _dt.float64 in registry.get(dev.type).dtypes else _dt.float32


# -- the generator's state ------------------------------------------------------------------


@public
def get_rng_state() -> Tensor:
    """The state of the default "cpu" generator as a uint8 tensor (for `set_rng_state`)."""
    from .. import random as _random

    return _random.get_rng_state("cpu")


@public
def set_rng_state(new_state: Tensor) -> None:
    """Restore the default "cpu" generator from a `get_rng_state()` tensor."""
    from .. import random as _random

    _random.set_rng_state(new_state, "cpu")


# -- normal, poisson, multinomial -----------------------------------------------------------


@public
def normal(
    mean: Any,
    std: Any = 1.0,
    size: Any = None,
    *,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Normal samples: `mean` and `std` tensors (broadcast) or numbers (then `size` is required).

    PyTorch's four forms: normal(Tensor, Tensor), normal(Tensor, float), normal(float, Tensor) and
    normal(float, float, size). The parameters get a zero gradient, as in PyTorch.
    """
    from ._run import broadcast_shapes_for

    tm, ts = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not tm and not ts:
        if size is None:
            raise TypeError("normal: with a number for mean and for std, size is required: normal(mean, std, size)")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        shape = size_arg((size,), "normal")
        out = randn(shape, generator=generator, dtype=dtype, device=device) * std + mean
        return out.requires_grad_(requires_grad) if requires_grad else _own(out)
    if size is not None:
        raise TypeError("normal: size is only accepted when mean and std are numbers")
    ref = mean if tm else std
    for name, t in (("mean", mean), ("std", std)):
        if isinstance(t, Tensor) and not t._dtype.is_floating_point:
            raise RuntimeError(f"normal: expected a floating point tensor for {name}, got {describe(t)}")
    if ts and std.numel() and bool((std < 0).any().item()):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if not ts and std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    shape = broadcast_shapes_for("normal", mean._shape if tm else (), std._shape if ts else ())
    from .. import dtypes

    dt = dtypes.promote_types(mean._dtype, std._dtype) if tm and ts else ref._dtype
    z = randn(shape, generator=generator, dtype=dt, device=ref._device)
    out = (z * (std.detach() if ts else std) + (mean.detach() if tm else mean)).to(dt)
    return _sampled(out, *(t for t in (mean, std) if isinstance(t, Tensor)))


_LOGGAM = (
    8.333333333333333e-02, -2.777777777777778e-03, 7.936507936507937e-04, -5.952380952380952e-04,
    8.417508417508418e-04, -1.917526917526918e-03, 6.410256410256410e-03, -2.955065359477124e-02,
    1.796443723688307e-01, -1.39243221690590e00,
)  # fmt: skip


def _loggam(x: Tensor) -> Tensor:
    """log Gamma(x) for x >= 1 (NumPy's random_loggam: Stirling's series after shifting x past 7)."""
    from .elementwise import where

    shift = where(x < 7, (7 - x.floor()).clamp(min=0), 0)
    x0 = x + shift
    x2 = 1.0 / (x0 * x0)
    gl0 = x2 * 0 + _LOGGAM[9]
    for c in reversed(_LOGGAM[:9]):
        gl0 = gl0 * x2 + c
    gl = gl0 / x0 + 0.5 * math.log(2 * math.pi) + (x0 - 0.5) * x0.log() - x0
    prod = x * 0 + 1
    for j in range(7):
        prod = prod * where(shift > j, x + j, 1)
    return gl - prod.log()


def _poisson_small(lam: Tensor, g: Generator, dev: Any) -> Tensor:
    """Inverse transform sampling (rates below 10): count how far the cumulative sum stays below u."""
    u = _uniform(lam.numel(), lam._dtype, g, dev).reshape(lam._shape)
    p = (-lam).exp()
    cdf = p
    k = lam * 0
    for i in range(60):
        k = k + (u > cdf).to(lam._dtype)
        p = p * lam / (i + 1)
        cdf = cdf + p
    return k


def _poisson_large(lam: Tensor, g: Generator, dev: Any) -> Tensor:
    """Hormann's transformed rejection (PTRS, rates of 10 or more), in rounds until every element accepts."""
    from .elementwise import where

    slam, loglam = lam.sqrt(), lam.log()
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2)
    out = lam * 0
    done = lam != lam  # all False (nan rates are refused earlier)
    n = lam.numel()
    while not bool(done.all().item()):
        uv = _uniform(2 * n, lam._dtype, g, dev).reshape((2, *lam._shape))
        u, v = uv[0] - 0.5, uv[1]
        us = 0.5 - u.abs()
        k = ((2 * a / us + b) * u + lam + 0.43).floor()
        quick = (us >= 0.07) & (v <= vr)
        bad = (k < 0) | ((us < 0.013) & (v > us))
        kk = where(k < 0, 0, k)
        slow = (v * invalpha / (a / (us * us) + b)).log() <= -lam + kk * loglam - _loggam(kk + 1)
        ok = (quick | (~bad & slow)) & ~done
        out = where(ok, k, out)
        done = done | ok
    return out


@public
def poisson(input: Tensor, generator: Generator | None = None) -> Tensor:  # noqa: A002
    """Poisson samples with the rates in `input` (same shape and dtype; the rates get a zero gradient)."""
    from .elementwise import where

    if not isinstance(input, Tensor) or not input._dtype.is_floating_point:
        raise RuntimeError(f"poisson: expected a floating point tensor of rates, got {describe(input)}")
    lam_in = input.detach()
    if lam_in.numel() and not bool(((lam_in >= 0) & (lam_in < float("inf"))).all().item()):
        raise RuntimeError("poisson: invalid Poisson rate, expected rate to be finite and non-negative")
    g, dev = _gen(generator, input._device)
    work = _work_dtype(dev)
    lam = lam_in.to(work)
    small = lam < 10
    out = lam * 0
    if lam.numel() and bool(small.any().item()):
        out = where(small, _poisson_small(where(small, lam, 0), g, dev), out)
    if lam.numel() and not bool(small.all().item()):
        out = where(small, out, _poisson_large(where(small, 10.0, lam), g, dev))
    return _sampled(out.to(input._dtype), input)


def _check_probabilities(op: str, input: Tensor) -> None:  # noqa: A002
    if not isinstance(input, Tensor) or not input._dtype.is_floating_point:
        raise RuntimeError(f"{op}: expected a floating point tensor of probabilities, got {describe(input)}")
    if input.ndim not in (1, 2):
        raise RuntimeError(f"{op}: prob_dist must be 1 or 2 dim, got shape {input._shape}")


@public(method=True)
def multinomial(
    input: Tensor,  # noqa: A002
    num_samples: int,
    replacement: bool = False,
    *,
    generator: Generator | None = None,
) -> Tensor:
    """`num_samples` category indices per row of `input` (non-negative weights), with or without replacement.

    With replacement: inverse-CDF sampling; without: the k smallest of E_i / w_i (E_i exponential),
    which picks categories in the order of sequential draws without replacement.
    """
    from .creation import arange
    from .elementwise import minimum, where
    from .indexing import scatter
    from .movement import cat
    from .reduction import cumsum
    from .sorting import argsort

    _check_probabilities("multinomial", input)
    n = input._shape[-1]
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples, got {num_samples}")
    if not replacement and num_samples > n:
        raise RuntimeError(
            f"multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement "
            f"({num_samples} > {n})"
        )
    w = input.detach().reshape(-1, n)
    if not bool(((w >= 0) & (w < float("inf"))).all().item()):
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or element < 0")
    positive = (w > 0).sum(-1)
    if bool((positive == 0).any().item()):
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and bool((positive < num_samples).any().item()):
        raise RuntimeError(
            "multinomial: invalid multinomial distribution (with replacement=False, not enough non-negative "
            "category to sample)"
        )
    g, dev = _gen(generator, input._device)
    work = _work_dtype(dev)
    w = w.to(work)
    rows = w._shape[0]
    if replacement:
        cdf = cumsum(w, -1)
        cdf = cdf / cdf[:, -1:]
        u = _uniform(rows * num_samples, work, g, dev).reshape(rows, num_samples)
        # how many cdf entries are <= u: merge-sort cdf and u together (cdf first on ties)
        order = argsort(cat([cdf, u], -1), -1)
        total = n + num_samples
        ar = arange(total, device=dev).expand(rows, total)
        pos = scatter(ar, -1, order, ar)
        u_rank = scatter(ar[:, :num_samples], -1, argsort(u, -1), ar[:, :num_samples])
        count = pos[:, n:] - u_rank
        last = (where(w > 0, arange(n, device=dev), -1)).amax(-1, keepdim=True)
        out = minimum(count, last)
    else:
        e = -(1 - _uniform(rows * n, work, g, dev).reshape(rows, n)).log()
        keys = e / w
        out = argsort(keys, -1)[:, :num_samples]
    out = _own(out.contiguous() if out._base is not None else out)
    return out.reshape(num_samples) if input.ndim == 1 else out


# -- in-place fillers (Tensor.random_, Tensor.exponential_) -----------------------------------


_MANTISSA = {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}


def random_like(x: Tensor, from_: Any = None, to: Any = None, generator: Generator | None = None) -> Tensor:
    """Integers uniform in [from_, to) in x's shape, dtype and device (`Tensor.random_`).

    One bound alone is `to` (PyTorch's random_(to)); without bounds: up to 2**mantissa for floats
    (every integer exactly representable), the largest value for integers.
    """
    if to is None and from_ is not None:
        from_, to = 0, from_
    from_ = 0 if from_ is None else from_
    d = x._dtype
    if to is None:
        if d.is_floating_point:
            to = 2 ** _MANTISSA[d.name] + 1
        elif d is _dt.bool_:
            to = 2
        else:
            to = int(np.iinfo(d.numpy).max) + 1
    lo, hi = int(from_), int(to)
    if hi <= lo:
        raise RuntimeError(f"random_: expects 'from' to be less than 'to', but got from={lo} >= to={hi}")
    g, dev = _gen(generator, x._device)
    n = x.numel()
    span = hi - lo
    if span <= 2**32:
        v = random_bits(n, generator=g, device=dev) % span + lo
    else:
        bits = random_bits(2 * n, generator=g, device=dev).reshape(n, 2)
        v = ((bits[:, 0] // 2) * 2**32 + bits[:, 1]) % min(span, 2**63 - 1) + lo
    return _own(v.reshape(x._shape).to(d))


def exponential_like(x: Tensor, lambd: Any = 1.0, generator: Generator | None = None) -> Tensor:
    """Exponential samples of rate `lambd` in x's shape, dtype and device (`Tensor.exponential_`)."""
    if not x._dtype.is_floating_point:
        raise RuntimeError(f"exponential_: expects a floating point tensor, got {describe(x)}")
    if lambd <= 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    u = rand(x._shape, generator=generator, dtype=x._dtype, device=x._device)
    return _own(-(1 - u).log() / lambd)
