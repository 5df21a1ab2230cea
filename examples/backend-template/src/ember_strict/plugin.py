"""The module the `ember.backends` entry point names: it implements Ember's one hook."""

from __future__ import annotations

import ember

from .backend import StrictBackend


@ember.hookimpl
def ember_register_backends(registry: ember.BackendRegistry) -> None:
    registry.register(StrictBackend())
