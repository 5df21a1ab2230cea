"""The entry point Ember loads (group ``ember.backends``, name ``opencl``)."""

from __future__ import annotations

import ember

from .backend import OpenCLBackend


@ember.hookimpl
def ember_register_backends(registry: ember.BackendRegistry) -> None:
    registry.register(OpenCLBackend())
