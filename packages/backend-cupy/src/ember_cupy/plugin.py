"""The entry point Ember loads (group ``ember.backends``, name ``cupy``).

Importing it never imports CuPy: a machine without CuPy or without a GPU still
loads the plugin, and `python -m ember` reports why the backend cannot run.
"""

from __future__ import annotations

import ember

from .backend import CupyBackend


@ember.hookimpl
def ember_register_backends(registry: ember.BackendRegistry) -> None:
    registry.register(CupyBackend())
