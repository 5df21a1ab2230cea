"""`ember.special`, as torch.special: the special functions that have no name in the `ember` namespace.

The functions are declared with ``@public(namespace="special")`` next to their ops in
`ember.ops` and read off `ember.dispatch.API` here.
"""

from typing import TYPE_CHECKING

from . import ops as _ops  # noqa: F401  (declares them)
from .dispatch import namespace as _namespace

globals().update(_namespace("special"))
if not TYPE_CHECKING:
    __all__ = sorted(_namespace("special"))

del TYPE_CHECKING
