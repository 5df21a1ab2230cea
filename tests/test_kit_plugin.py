"""The kit's pytest plugin fails loudly: an unknown backend or a mistyped xfails line is a usage error, never green."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from plugin_fixtures.marks import needs_cpu

KIT_ONE = ["--pyargs", "ember.testing.kit", "-k", "test_primitive_has_kernel and (add or neg)", "-p", "no:cacheprovider"]


def _pytest(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_unknown_backend_is_a_usage_error(tmp_path: Path) -> None:
    proc = _pytest(*KIT_ONE, "--ember-backend=nump", cwd=tmp_path)
    assert proc.returncode == pytest.ExitCode.USAGE_ERROR, proc.stdout + proc.stderr
    err = proc.stderr
    assert "--ember-backend=nump" in err and "no backend provides device type 'nump'" in err
    assert "python -m ember" in err  # what to do


@needs_cpu
def test_mistyped_xfails_line_is_a_usage_error(tmp_path: Path) -> None:
    xfails = tmp_path / "xfails.txt"
    xfails.write_text("# known failures\ntest_primitive_has_kernel[addd]  # a typo\ntest_primitive_has_kernel[neg]\n")
    proc = _pytest("--pyargs", "ember.testing.kit", "--ember-backend=numpy", f"--ember-xfails={xfails}",
                   "-k", "test_primitive_has_kernel and (add or neg)", "-p", "no:cacheprovider", cwd=tmp_path)  # fmt: skip
    assert proc.returncode == pytest.ExitCode.USAGE_ERROR, proc.stdout + proc.stderr
    assert "1 line(s) match no collected test" in proc.stderr
    assert "test_primitive_has_kernel[addd]" in proc.stderr
    assert "test_primitive_has_kernel[neg]\n" not in proc.stderr.split("collected test", 1)[1]


@needs_cpu
def test_xfails_lines_are_checked_only_when_the_whole_kit_is_collected(tmp_path: Path) -> None:
    # one kit module collected: a line for a test of another module is not an error
    xfails = tmp_path / "xfails.txt"
    xfails.write_text("test_values[erf-float64]\ntest_primitive_has_kernel[neg]\n")
    proc = _pytest("--pyargs", "ember.testing.kit.test_kernels", "--ember-backend=numpy", f"--ember-xfails={xfails}",
                   "-k", "test_primitive_has_kernel and neg", "-p", "no:cacheprovider", cwd=tmp_path)  # fmt: skip
    assert proc.returncode == pytest.ExitCode.OK, proc.stdout + proc.stderr
    assert "1 xpassed" in proc.stdout


def test_unusable_backend_is_a_usage_error(tmp_path: Path) -> None:
    from plugin_fixtures import run_python, write_plugin
    from test_plugins import UNAVAILABLE_PLUGIN

    write_plugin(tmp_path, "myplug", UNAVAILABLE_PLUGIN, device_types=["mydev"])
    proc = run_python("-m", "pytest", *KIT_ONE, "--ember-backend=mydev", path=[tmp_path], check=False)
    assert proc.returncode == pytest.ExitCode.USAGE_ERROR, proc.stdout + proc.stderr
    assert "installed but unusable here: no hardware found" in proc.stderr
