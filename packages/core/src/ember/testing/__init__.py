"""Ember's test support: the pytest plugin, the data-driven op table and the conformance kit.

A backend author runs the kit against their backend with::

    pytest --pyargs ember.testing.kit --ember-backend mybackend [--ember-xfails known_failures.txt]

`ember.testing.plugin` (loaded through the ``pytest11`` entry point) adds the
options and the ``backend_name``, ``backend`` and ``device`` fixtures;
`ember.testing.op_db` holds the op table (`OP_DB`) the kit's tests are generated from.

This module imports nothing heavy: pytest loads the plugin in every run.
"""

from __future__ import annotations

__all__ = ["KIT_PACKAGE"]

#: The importable name of the conformance kit (``pytest --pyargs ember.testing.kit``).
KIT_PACKAGE = "ember.testing.kit"
