"""`python -m ember`: the installation report."""

from __future__ import annotations

import platform

import numpy as np
from plugin_fixtures import ember_info, parse_backends, run_python
from plugin_fixtures.marks import needs_cpu

import ember


def test_header_names_versions():
    info = ember_info()
    assert f"ember-core {ember.__version__}" in info
    assert f"Python {platform.python_version()}" in info
    assert f"NumPy {np.__version__}" in info
    major, minor = ember.PLUGIN_API_VERSION
    assert f"Plugin API {major}.{minor}" in info


@needs_cpu
def test_lists_the_cpu_backend_as_available():
    cpu = next(b for b in ember.backends() if b.device_type == "cpu")
    block = parse_backends(ember_info())[cpu.name]
    assert block["device type"] == "cpu"
    assert block["status"] == "available"
    assert block["devices"].startswith("cpu:0")
    assert block["distribution"].startswith(f"{cpu.distribution} {cpu.distribution_version}")
    assert "float32" in block["dtypes"].split(", ")


def test_every_loaded_backend_is_listed():
    blocks = parse_backends(ember_info())
    assert sorted(blocks) == sorted(b.name for b in ember.backends())
    for backend in ember.backends():
        assert blocks[backend.name]["device type"] == backend.device_type


def test_help_and_version():
    help_text = run_python("-m", "ember", "--help").stdout
    assert "--verbose" in help_text
    assert ember.__version__ in run_python("-m", "ember", "--version").stdout


def test_bad_flag_is_a_usage_error():
    proc = run_python("-m", "ember", "--no-such-flag", check=False)
    assert proc.returncode == 2
    assert "usage:" in proc.stderr


def test_with_every_plugin_disabled():
    from importlib import metadata

    names = sorted({ep.name for ep in metadata.entry_points(group="ember.backends")})
    info = ember_info(env={"EMBER_DISABLED_BACKENDS": ",".join(names)})
    assert "Backends (0):" in info and "(none loaded" in info
    assert parse_backends(info) == {}
    for name in names:
        assert f"  {name} (" in info and "): disabled" in info
