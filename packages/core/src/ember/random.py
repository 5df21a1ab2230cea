"""Random numbers: Philox4x32-10 bits, the same on every backend for the same seed.

Core specifies the algorithm (`philox4x32`, in NumPy here as the reference that
the conformance kit compares every backend against); a backend's `random_bits`
kernel computes the same bits on its device, and core turns bits into uniform,
normal and integer samples with ordinary ops, so all backends agree.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from .device import Device

__all__ = [
    "Generator",
    "manual_seed",
    "seed",
    "initial_seed",
    "default_generator",
    "philox4x32",
    "get_rng_state",
    "set_rng_state",
]

_M0, _M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
_W0, _W1 = np.uint64(0x9E3779B9), np.uint64(0xBB67AE85)
_MASK = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)
DEFAULT_SEED = 67280421310721


def philox4x32(seed: int, offset: int, n: int, xp: Any = np) -> Any:
    """The reference: `n` uint32 words (as int64) of Philox4x32-10.

    Block j (j = 0, 1, ...) encrypts the counter (lo32(offset + j), hi32(offset + j), 0, 0)
    under the key (lo32(seed), hi32(seed)) with 10 rounds; the output is the
    concatenation of the blocks' four words, cut to `n`. `xp` is the array module
    to compute with (NumPy, or one with its API such as CuPy).
    """
    blocks = -(-n // 4)
    ctr = xp.arange(blocks, dtype=np.uint64) + np.uint64(offset % 2**64)
    c0 = ctr & _MASK
    c1 = ctr >> _SHIFT
    c2 = xp.zeros(blocks, np.uint64)
    c3 = xp.zeros(blocks, np.uint64)
    k0 = np.uint64(seed & 0xFFFFFFFF)
    k1 = np.uint64((seed >> 32) & 0xFFFFFFFF)
    with np.errstate(over="ignore"):
        for _ in range(10):
            p0 = _M0 * c0
            p1 = _M1 * c2
            c0, c1, c2, c3 = (p1 >> _SHIFT) ^ c1 ^ k0, p1 & _MASK, (p0 >> _SHIFT) ^ c3 ^ k1, p0 & _MASK
            k0 = (k0 + _W0) & _MASK
            k1 = (k1 + _W1) & _MASK
    out = xp.stack([c0, c1, c2, c3], axis=1).reshape(-1)[:n]
    return out.astype(np.int64)


class Generator:
    """A Philox stream for one device: a seed and a counter offset (in 4-word blocks)."""

    def __init__(self, device: Any = "cpu") -> None:
        self.device = Device(device)
        self._seed = DEFAULT_SEED
        self._offset = 0
        self._lock = threading.Lock()

    def manual_seed(self, seed: int) -> Generator:
        seed = int(seed)
        if not -(2**63) <= seed < 2**64:
            raise ValueError(f"manual_seed: seed must fit in 64 bits, got {seed}")
        self._seed = seed % 2**64
        self._offset = 0
        return self

    def seed(self) -> int:
        import secrets

        self.manual_seed(secrets.randbits(63))
        return self._seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Any:
        """The generator's state as a uint8 tensor (16 bytes: the seed and the counter offset, little-endian)."""
        return _state_tensor(self._seed, self._offset)

    def set_state(self, new_state: Any) -> Generator:
        """Restore a state from `get_state()` (a uint8 tensor), or from a (seed, offset) pair."""
        self._seed, self._offset = _read_state(new_state, "set_state")
        return self

    @property
    def state(self) -> tuple[int, int]:
        """The (seed, offset) pair: the Philox key and the next counter block."""
        return (self._seed, self._offset)

    def _take(self, n: int) -> tuple[int, int]:
        """Reserve `n` words: the (seed, offset) to generate them from."""
        with self._lock:
            start = self._offset
            self._offset += -(-n // 4)
        return self._seed, start

    def __repr__(self) -> str:
        return f"<ember.Generator device={self.device} seed={self._seed} offset={self._offset}>"


_defaults: dict[Device, Generator] = {}


def default_generator(device: Any = "cpu") -> Generator:
    dev = Device(device)
    g = _defaults.get(dev)
    if g is None:
        g = _defaults[dev] = Generator(dev)
        if _global_seed is not None:
            g.manual_seed(_global_seed)
    return g


_global_seed: int | None = None


def manual_seed(seed: int) -> Generator:
    """Seed every device's default generator (and those made later)."""
    global _global_seed
    _global_seed = int(seed)
    for g in _defaults.values():
        g.manual_seed(seed)
    return default_generator("cpu").manual_seed(seed)


def seed() -> int:
    s = default_generator("cpu").seed()
    manual_seed(s)
    return s


def initial_seed() -> int:
    return default_generator("cpu").initial_seed()


def get_rng_state(device: Any = "cpu") -> Any:
    """The state of `device`'s default generator, as a uint8 tensor."""
    return default_generator(device).get_state()


def set_rng_state(new_state: Any, device: Any = "cpu") -> None:
    """Restore `device`'s default generator from `get_rng_state()`'s tensor."""
    default_generator(device).set_state(new_state)


def _state_tensor(seed: int, offset: int) -> Any:
    from .tensor import tensor

    raw = np.array([seed % 2**64, offset % 2**64], dtype="<u8").view(np.uint8)
    return tensor(raw)


class _StateTypeError(TypeError, RuntimeError):
    """An RNG state that is not a uint8 tensor: PyTorch's TypeError (a RuntimeError before, kept as a base)."""


def _read_state(state: Any, op: str) -> tuple[int, int]:
    if isinstance(state, tuple) and len(state) == 2:
        return int(state[0]) % 2**64, int(state[1]) % 2**64
    from .dtypes import uint8
    from .tensor import Tensor

    if not isinstance(state, Tensor) or state.dtype is not uint8 or state.shape != (16,):
        got = f"{state.dtype.name} tensor of shape {state.shape}" if isinstance(state, Tensor) else type(state).__name__
        wrong_type = not isinstance(state, Tensor) or state.dtype is not uint8  # PyTorch: a TypeError
        raise (_StateTypeError if wrong_type else RuntimeError)(f"{op}: expected a uint8 tensor of 16 bytes (from get_state/get_rng_state), got {got}")
    seed, offset = np.ascontiguousarray(state.cpu().numpy()).view("<u8").tolist()
    return int(seed), int(offset)
