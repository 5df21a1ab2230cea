"""Ember's OpenCL backend: device ``"opencl"`` / ``"opencl:N"``, every primitive as OpenCL C kernels.

Installed, it registers itself through the ``ember.backends`` entry point; users
never import it. `ember_opencl.device.devices()` lists what pyopencl found.
"""

from __future__ import annotations

__version__ = "0.1.0"
