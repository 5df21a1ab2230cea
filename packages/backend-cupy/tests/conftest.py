"""Shared markers: tests that need a GPU skip with the backend's own reason."""

from __future__ import annotations

import pytest

from ember_cupy import device

REASON = device.unavailable_reason()
#: the reason every GPU-only test skips with ("no CUDA device: ..." on a machine without one)
needs_gpu = pytest.mark.skipif(REASON is not None, reason=REASON or "")
