"""The hooks a backend plugin implements (pluggy project name "ember").

A plugin module, named by an entry point in the group ``ember.backends``,
implements these with ``@ember.hookimpl``. Hooks run once, when Ember first
needs a backend; never per op.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .backends import BackendRegistry

hookspec = pluggy.HookspecMarker("ember")
hookimpl = pluggy.HookimplMarker("ember")


@hookspec
def ember_register_backends(registry: BackendRegistry) -> None:
    """Register this plugin's backends: call ``registry.register(backend)`` for each.

    A backend is an `ember.Backend`: its name, device type, the plugin API version
    it was written for, its dtypes, its availability, host transfers and kernels.
    """
