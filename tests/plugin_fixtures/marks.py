"""Skip marks that depend on which backends this environment has (importing this loads the plugins)."""

from __future__ import annotations

import pytest


def has_device_type(device_type: str) -> bool:
    from ember.backends import registry

    return registry.peek(device_type) is not None


#: Tests that need the host device "cpu" (and the fallback reference backend) skip where no backend provides it.
needs_cpu = pytest.mark.skipif(not has_device_type("cpu"), reason="no backend for device type 'cpu' is installed")
