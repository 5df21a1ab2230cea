"""An Ember backend on array-api-strict (device type "strict"): the template for third-party backends."""

from .backend import StrictBackend

__all__ = ["StrictBackend"]
