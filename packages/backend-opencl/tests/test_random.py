"""The OpenCL random_bits kernel equals core's Philox4x32-10 reference bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from ember.random import philox4x32
from ember_opencl import device as _device

pytestmark = pytest.mark.skipif(_device.unavailable_reason() is not None, reason=str(_device.unavailable_reason()))

SEEDS = [0, 1, 42, 2**32 - 1, 2**32, 2**32 + 5, 2**40 + 7, 2**63, 2**64 - 1, 67280421310721]
OFFSETS = [0, 1, 3, 2**32 - 1, 2**32, 2**63 + 11, 2**64 - 1, 2**64 - 2]  # the last ones carry/wrap the counter


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("offset", OFFSETS)
def test_random_bits_match_reference(seed: int, offset: int) -> None:
    from ember_opencl.clarray import to_numpy
    from ember_opencl.random import random_bits

    for n in (0, 1, 2, 3, 4, 5, 7, 8, 257, 1001):
        got = random_bits(seed, offset, n, 0)
        assert got.shape == (n,) and got.dtype == np.int64
        np.testing.assert_array_equal(to_numpy(got), philox4x32(seed, offset, n), err_msg=f"{seed} {offset} {n}")


def test_random_bits_large_and_known_answer() -> None:
    from ember_opencl.clarray import to_numpy
    from ember_opencl.random import random_bits

    # Random123's known answer for counter 0, key 0
    assert to_numpy(random_bits(0, 0, 4, 0)).tolist() == [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]
    n = 1_000_003
    got = to_numpy(random_bits(12345, 10**6, n, 0))
    np.testing.assert_array_equal(got, philox4x32(12345, 10**6, n))
    assert got.min() >= 0 and got.max() < 2**32
