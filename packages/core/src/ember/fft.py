"""`ember.fft`, as torch.fft: discrete Fourier transforms and their helpers.

The functions are declared with ``@public(namespace="fft")`` next to their ops in
`ember.ops` and read off `ember.dispatch.API` here.
"""

from typing import TYPE_CHECKING

from . import ops as _ops  # noqa: F401  (declares them)
from .dispatch import namespace as _namespace

globals().update(_namespace("fft"))
if not TYPE_CHECKING:
    __all__ = sorted(_namespace("fft"))

del TYPE_CHECKING
