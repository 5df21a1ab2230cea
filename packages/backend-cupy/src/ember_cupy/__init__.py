"""Ember's CUDA backend on CuPy (device type "cuda")."""

from .backend import CupyBackend

__all__ = ["CupyBackend"]
