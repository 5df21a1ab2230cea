"""Random numbers: the backend's Philox bits equal core's reference, so a seed means the same numbers everywhere."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember
from ember.ops.sampling import random_bits
from ember.random import philox4x32
from ember.testing.kit import require_dtype

_M0, _M1, _W0, _W1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85
_MASK = 0xFFFFFFFF


def _philox_block(ctr: tuple[int, int, int, int], key: tuple[int, int]) -> list[int]:
    """Philox4x32-10 on one counter block, in plain Python integers (an independent reference)."""
    c0, c1, c2, c3 = ctr
    k0, k1 = key
    for _ in range(10):
        p0, p1 = _M0 * c0, _M1 * c2
        c0, c1, c2, c3 = ((p1 >> 32) ^ c1 ^ k0) & _MASK, p1 & _MASK, ((p0 >> 32) ^ c3 ^ k1) & _MASK, p0 & _MASK
        k0, k1 = (k0 + _W0) & _MASK, (k1 + _W1) & _MASK
    return [c0, c1, c2, c3]


def _python_philox(seed: int, offset: int, n: int) -> list[int]:
    out: list[int] = []
    j = 0
    while len(out) < n:
        ctr = (offset + j) % 2**64
        out += _philox_block((ctr & _MASK, ctr >> 32, 0, 0), (seed & _MASK, (seed >> 32) & _MASK))
        j += 1
    return out[:n]


# Random123's known-answer vectors for philox4x32-10 (kat_vectors)
KNOWN_ANSWERS = [
    ((0, 0, 0, 0), (0, 0), [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]),
    ((_MASK,) * 4, (_MASK, _MASK), [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD]),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1]),
]  # fmt: skip


def test_philox_known_answers() -> None:
    for ctr, key, expected in KNOWN_ANSWERS:
        assert _philox_block(ctr, key) == expected
    seed = KNOWN_ANSWERS[0][1][0]
    assert philox4x32(seed, 0, 4).tolist() == KNOWN_ANSWERS[0][2]


SEEDS_OFFSETS = [
    (0, 0),
    (1, 0),
    (42, 3),
    (2**32 + 5, 0),
    (2**40 + 7, 2**32 - 1),
    (2**64 - 1, 2**63 + 11),
    (12345, 10**6),
]


@pytest.mark.parametrize(("seed", "offset"), SEEDS_OFFSETS)
def test_core_reference_matches_independent_philox(seed: int, offset: int) -> None:
    for n in (1, 4, 7, 33):
        assert philox4x32(seed, offset, n).tolist() == _python_philox(seed, offset, n)


@pytest.mark.parametrize(("seed", "offset"), SEEDS_OFFSETS)
def test_backend_random_bits_match_reference(seed: int, offset: int, device: str) -> None:
    """The backend's random_bits (through ember.ops.sampling.random_bits) equal ember.random.philox4x32."""
    for n in (1, 5, 1000):
        g = ember.Generator(device)
        g.set_state((seed, offset))
        bits = random_bits(n, generator=g, device=device)
        assert bits.dtype is ember.int64 and bits.shape == (n,)
        np.testing.assert_array_equal(bits.numpy(), philox4x32(seed, offset, n))
        assert g.state == (seed, (offset + -(-n // 4)) % 2**64)  # the counter advanced by whole blocks
    direct = ember.get_backend(ember.device(device).type).kernels["random_bits"](seed, offset, 9, 0)
    np.testing.assert_array_equal(
        ember.get_backend(ember.device(device).type).to_host(direct), philox4x32(seed, offset, 9)
    )


def test_consecutive_draws_continue_the_stream(device: str) -> None:
    g = ember.Generator(device).manual_seed(7)
    a = random_bits(6, generator=g, device=device).numpy()
    b = random_bits(4, generator=g, device=device).numpy()
    np.testing.assert_array_equal(a, philox4x32(7, 0, 6))
    np.testing.assert_array_equal(b, philox4x32(7, 2, 4))


SAMPLERS = {
    "rand": lambda g, d: ember.rand(3, 4, generator=g, device=d),
    "rand64": lambda g, d: ember.rand(5, dtype=ember.float64, generator=g, device=d),
    "randn": lambda g, d: ember.randn(2, 3, generator=g, device=d),
    "randint": lambda g, d: ember.randint(-3, 9, (4, 2), generator=g, device=d),
    "randperm": lambda g, d: ember.randperm(10, generator=g, device=d),
    "normal": lambda g, d: ember.normal(ember.zeros(2, 3, device=d), ember.full((3,), 2.0, device=d), generator=g),
    "normal-size": lambda g, d: ember.normal(1.0, 0.5, (4,), generator=g, device=d),
    "poisson": lambda g, d: ember.poisson(ember.tensor([0.5, 4.0, 30.0, 200.0] * 3, device=d), generator=g),
    "multinomial": lambda g, d: ember.multinomial(
        ember.tensor([[0.2, 0.5, 0.3], [1.0, 0.0, 3.0]], device=d), 20, True, generator=g
    ),
    "multinomial-no-replacement": lambda g, d: ember.multinomial(
        ember.arange(1.0, 25.0, device=d).reshape(3, 8), 8, generator=g
    ),
    "exponential_": lambda g, d: ember.zeros(6, device=d).exponential_(2.0, generator=g),
    "random_": lambda g, d: ember.zeros(8, dtype=ember.int64, device=d).random_(-5, 1000, generator=g),
}


@pytest.mark.parametrize("name", SAMPLERS)
def test_same_seed_same_samples(name: str, backend: Any, device: str) -> None:
    if name == "rand64":
        require_dtype(backend, "float64")
    fn = SAMPLERS[name]
    a = fn(ember.Generator(device).manual_seed(123), device).numpy()
    b = fn(ember.Generator(device).manual_seed(123), device).numpy()
    c = fn(ember.Generator(device).manual_seed(124), device).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_manual_seed_seeds_default_generator(device: str) -> None:
    ember.manual_seed(2024)
    a = ember.rand(8, device=device).numpy()
    b = ember.randn(8, device=device).numpy()
    ember.manual_seed(2024)
    np.testing.assert_array_equal(ember.rand(8, device=device).numpy(), a)
    np.testing.assert_array_equal(ember.randn(8, device=device).numpy(), b)


def test_same_numbers_as_reference_backend(backend: Any, device: str) -> None:
    """Samples are computed from the bits with ordinary ops: equal on every backend, up to rounding."""
    try:
        ember.get_backend("cpu")
    except ember.BackendError as exc:
        pytest.skip(f"no host reference backend to compare with: {exc}")
    for name, fn in SAMPLERS.items():
        if name == "rand64" and ember.float64 not in backend.dtypes:
            continue
        here = fn(ember.Generator(device).manual_seed(99), device).numpy()
        ref = fn(ember.Generator("cpu").manual_seed(99), "cpu").numpy()
        np.testing.assert_allclose(here, ref, rtol=1e-6, atol=1e-6, err_msg=name)


def test_distributions_roughly_right(backend: Any, device: str) -> None:
    g = ember.Generator(device).manual_seed(5)
    n = 200_000
    z = ember.randn(n, generator=g, device=device).numpy().astype(np.float64)
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1.0) < 0.02
    assert abs(np.mean(np.abs(z) < 1.0) - 0.6827) < 0.01
    u = ember.rand(n, generator=g, device=device).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.01 and abs(u.var() - 1 / 12) < 0.01
    if ember.float64 in backend.dtypes:
        u64 = ember.rand(1000, dtype=ember.float64, generator=g, device=device).numpy()
        assert u64.dtype == np.float64 and u64.min() >= 0.0 and u64.max() < 1.0
    r = ember.randint(-3, 9, (n,), generator=g, device=device).numpy()
    assert r.dtype == np.int64 and r.min() == -3 and r.max() == 8
    counts = np.bincount(r + 3)
    assert np.all(np.abs(counts / n - 1 / 12) < 0.01)
    p = ember.randperm(50, generator=g, device=device).numpy()
    np.testing.assert_array_equal(np.sort(p), np.arange(50))


def test_random_dtypes_and_shapes(device: str, backend: Any) -> None:
    g = ember.Generator(device).manual_seed(0)
    assert ember.rand(2, 3, generator=g, device=device).dtype is ember.float32
    assert ember.randn((0, 3), generator=g, device=device).shape == (0, 3)
    assert ember.randint(5, (2,), generator=g, device=device).dtype is ember.int64
    assert ember.randperm(0, generator=g, device=device).shape == (0,)
    b = ember.bernoulli(ember.full((1000,), 0.25, device=device), generator=g)
    assert set(np.unique(b.numpy())) <= {0.0, 1.0} and abs(b.numpy().mean() - 0.25) < 0.06
    with pytest.raises(TypeError, match="floating"):
        ember.rand(2, dtype=ember.int64, device=device)
