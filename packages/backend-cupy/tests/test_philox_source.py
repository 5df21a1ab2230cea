"""The Philox RawKernel's CUDA source, checked without a GPU: NVRTC compiles it, and a host C++
compiler runs the very same source (with a shim for CUDA's built-ins) against `ember.random.philox4x32`."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from ember.random import philox4x32
from ember_cupy.random import PHILOX_NAME, PHILOX_SOURCE

HOST_SHIM = r"""
#include <cstdint>
struct ember_dim3 { unsigned int x; };
static ember_dim3 blockIdx, threadIdx, blockDim;
#define __global__
#define __restrict__
static inline unsigned int __umulhi(unsigned int a, unsigned int b) {
    return (unsigned int)(((unsigned long long)a * (unsigned long long)b) >> 32);
}
"""

HOST_DRIVER = r"""
extern "C" void run(unsigned long long seed, unsigned long long offset, long long n, long long* out, unsigned int threads) {
    long long blocks = (n + 3) / 4;
    blockDim.x = threads;
    for (unsigned int b = 0; (long long)b * threads < blocks; ++b)
        for (unsigned int t = 0; t < threads; ++t) {
            blockIdx.x = b; threadIdx.x = t;
            ember_philox4x32(seed, offset, n, out);
        }
}
"""

CASES = [
    (0, 0, 1),
    (0, 0, 4),
    (42, 7, 10),
    (2**63 + 12345, 2**40 + 3, 4099),
    (2**64 - 1, 2**64 - 2, 17),
    (5, 2**32 - 1, 9),
]


def test_the_source_names_the_kernel() -> None:
    assert f'extern "C" __global__ void {PHILOX_NAME}(' in PHILOX_SOURCE


def test_nvrtc_compiles_the_source() -> None:
    try:
        from cupy.cuda import nvrtc

        nvrtc.getVersion()
    except Exception as exc:
        pytest.skip(f"NVRTC is not installed here ({exc}); pip install nvidia-cuda-nvrtc-cu12 to run this check")
    prog = nvrtc.createProgram(PHILOX_SOURCE, "philox.cu", [], [])
    try:
        nvrtc.compileProgram(prog, ["-arch=compute_70"])
    except nvrtc.NVRTCError as exc:
        pytest.fail(f"NVRTC rejected the Philox kernel: {exc}\n{nvrtc.getProgramLog(prog)}")
    ptx = nvrtc.getPTX(prog)
    assert PHILOX_NAME.encode() in (ptx if isinstance(ptx, bytes) else ptx.encode())


@pytest.fixture(scope="module")
def host_philox(tmp_path_factory: pytest.TempPathFactory) -> ctypes.CDLL:
    cxx = shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
    if cxx is None:
        pytest.skip("no C++ compiler to run the CUDA source on the host")
    d: Path = tmp_path_factory.mktemp("philox")
    (d / "philox.cpp").write_text(HOST_SHIM + PHILOX_SOURCE + HOST_DRIVER)
    subprocess.run([cxx, "-O1", "-shared", "-fPIC", "-o", str(d / "philox.so"), str(d / "philox.cpp")], check=True)
    lib = ctypes.CDLL(str(d / "philox.so"))
    lib.run.argtypes = [ctypes.c_ulonglong, ctypes.c_ulonglong, ctypes.c_longlong, ctypes.c_void_p, ctypes.c_uint]
    return lib


@pytest.mark.parametrize(("seed", "offset", "n"), CASES)
@pytest.mark.parametrize("threads", [1, 256])
def test_the_source_computes_the_reference_bits(
    host_philox: ctypes.CDLL, seed: int, offset: int, n: int, threads: int
) -> None:
    out = np.full(n, -1, dtype=np.int64)
    host_philox.run(seed, offset, n, out.ctypes.data, threads)
    np.testing.assert_array_equal(out, philox4x32(seed, offset, n))
