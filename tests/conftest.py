"""Shared pytest configuration for the cross-package tests."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: builds virtual environments or packages (runs by default; deselect with -m 'not slow')"
    )
