"""Philox4x32-10 on the GPU: one CUDA thread per 4-word block, bit-identical to `ember.random.philox4x32`.

The kernel's source is a plain string (`PHILOX_SOURCE`), so it can be checked
without a GPU: NVRTC compiles it, and a C++ compiler can run it on the host
(the backend's tests do both). CuPy compiles it on first use and caches the binary.
"""

from __future__ import annotations

from typing import Any

import numpy as np

PHILOX_NAME = "ember_philox4x32"

#: Block j encrypts the counter (lo32(offset + j), hi32(offset + j), 0, 0) under the key
#: (lo32(seed), hi32(seed)) with 10 rounds; out[4j .. 4j+3] are its words (cut to n), as int64.
PHILOX_SOURCE = r"""
extern "C" __global__ void ember_philox4x32(const unsigned long long seed, const unsigned long long offset,
                                            const long long n, long long* __restrict__ out) {
    const long long j = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= (n + 3) / 4) return;
    const unsigned long long ctr = offset + (unsigned long long)j;
    unsigned int c0 = (unsigned int)ctr, c1 = (unsigned int)(ctr >> 32), c2 = 0u, c3 = 0u;
    unsigned int k0 = (unsigned int)seed, k1 = (unsigned int)(seed >> 32);
    for (int round = 0; round < 10; ++round) {
        const unsigned int hi0 = __umulhi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
        const unsigned int hi1 = __umulhi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    const long long i = 4 * j;
    out[i] = c0;
    if (i + 1 < n) out[i + 1] = c1;
    if (i + 2 < n) out[i + 2] = c2;
    if (i + 3 < n) out[i + 3] = c3;
}
"""

THREADS = 256
_kernel: list[Any] = []


def random_bits(seed: int, offset: int, n: int, index: int) -> Any:
    """`n` Philox4x32-10 words in [0, 2**32) as int64 on device `index` (the `random_bits` kernel)."""
    import cupy

    if not _kernel:
        _kernel.append(cupy.RawKernel(PHILOX_SOURCE, PHILOX_NAME))
    with cupy.cuda.Device(index):
        out = cupy.empty(n, dtype=cupy.int64)
        blocks = -(-n // 4)
        if blocks:
            grid = -(-blocks // THREADS)
            _kernel[0]((grid,), (THREADS,), (np.uint64(seed % 2**64), np.uint64(offset % 2**64), np.int64(n), out))
        return out
