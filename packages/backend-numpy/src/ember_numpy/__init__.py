"""Ember's CPU backend on NumPy (device type "cpu")."""

from .backend import NumpyBackend

__all__ = ["NumpyBackend"]
