"""The entry point Ember loads (group ``ember.backends``, name ``numpy``)."""

from __future__ import annotations

import ember

from .backend import NumpyBackend


@ember.hookimpl
def ember_register_backends(registry: ember.BackendRegistry) -> None:
    registry.register(NumpyBackend())
