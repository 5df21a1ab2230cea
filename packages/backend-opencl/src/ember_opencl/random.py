"""`random_bits`: Philox4x32-10 on the device, bit for bit equal to core's `ember.random.philox4x32`.

Block j encrypts the counter (lo32(offset + j), hi32(offset + j), 0, 0), the
64-bit sum wrapping, under the key (lo32(seed), hi32(seed)); each work-item
encrypts a run of consecutive blocks and writes their four words (cut to n).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .clarray import CLArray, empty
from .elementwise import chunk_size, run

_SOURCE = """
__kernel void ember_random_bits(long n, long blocks, long per, uint k0, uint k1, ulong offset,
                                __global long* out) {
  const long first = get_global_id(0) * per, last = min(first + per, blocks);
  for (long j = first; j < last; ++j) {
    const ulong ctr = offset + (ulong)j;  /* wraps mod 2**64, as core's reference */
    uint c0 = (uint)ctr, c1 = (uint)(ctr >> 32), c2 = 0, c3 = 0, a = k0, b = k1;
    for (int r = 0; r < 10; ++r) {
      const uint hi0 = mul_hi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
      const uint hi1 = mul_hi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
      c0 = hi1 ^ c1 ^ a; c1 = lo1;
      c2 = hi0 ^ c3 ^ b; c3 = lo0;
      a += 0x9E3779B9u; b += 0xBB67AE85u;
    }
    const long base = j * 4;
    if (base + 4 <= n) {
      out[base] = (long)c0; out[base + 1] = (long)c1; out[base + 2] = (long)c2; out[base + 3] = (long)c3;
    } else {
      out[base] = (long)c0;
      if (base + 1 < n) out[base + 1] = (long)c1;
      if (base + 2 < n) out[base + 2] = (long)c2;
    }
  }
}
"""


def random_bits(seed: int, offset: int, n: int, index: int) -> CLArray:
    """`n` Philox4x32-10 words as int64 in [0, 2**32) on device `index` (seed, offset taken mod 2**64)."""
    from .device import get

    device = get(index)
    out = empty(device, (int(n),), np.int64)
    if n <= 0:
        return out
    blocks = -(-int(n) // 4)
    per = max(1, chunk_size(device) // 4)
    seed, offset = int(seed) % 2**64, int(offset) % 2**64
    kernel = device.kernel(
        ("random_bits",), lambda: _SOURCE, "ember_random_bits",
        [np.int64, np.int64, np.int64, np.uint32, np.uint32, np.uint64, None],
    )  # fmt: skip
    run(device, kernel, -(-blocks // per),
        [int(n), blocks, per, seed & 0xFFFFFFFF, seed >> 32, offset, out.buffer])  # fmt: skip
    return out


KERNELS: dict[str, Callable[..., Any]] = {"random_bits": random_bits}
