"""`ember` is extensible: another distribution can ship `ember.<name>` (as ember-nn ships `ember.nn`).

A throwaway distribution `ember-hello` (hatchling, src layout, no `src/ember/__init__.py`)
is installed into a fresh virtual environment beside non-editable ember-core and
ember-backend-numpy, once as a regular wheel and once editable, and `ember.hello`
must import next to `ember` itself in both cases.

The environment is made with uv when it is on PATH (fast), else with `python -m venv`
and pip; EMBER_TEST_VENV_TOOL=uv|pip forces one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = [ROOT / "packages" / "core", ROOT / "packages" / "backend-numpy"]
CHECK = "import ember, ember.hello; print(ember.hello.GREETING, ember.ones(1).item()); print(ember.__file__); print(ember.hello.__file__)"


def _clean_env() -> dict[str, str]:
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "EMBER_DISABLED_BACKENDS"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(*cmd: str | Path, cwd: Path | None = None) -> str:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=_clean_env(), cwd=cwd, timeout=300)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


class Venv:
    """A fresh virtual environment and how to install into it."""

    def __init__(self, path: Path) -> None:
        tool = os.environ.get("EMBER_TEST_VENV_TOOL") or ("uv" if shutil.which("uv") else "pip")
        self.uv = shutil.which("uv") if tool == "uv" else None
        if tool == "uv" and self.uv is None:
            pytest.fail("EMBER_TEST_VENV_TOOL=uv but uv is not on PATH")
        bindir = "Scripts" if sys.platform == "win32" else "bin"
        self.python = path / bindir / ("python.exe" if sys.platform == "win32" else "python")
        if self.uv:
            _run(self.uv, "venv", "--quiet", "--python", sys.executable, path)
        else:
            _run(sys.executable, "-m", "venv", path)
        # The build backend (and `editables`, which hatchling needs for editable builds) go in
        # once, so the builds below can skip their own isolated build environments.
        self.install("hatchling>=1.21", "editables")

    def install(self, *args: str | Path) -> None:
        if self.uv:
            _run(self.uv, "pip", "install", "--quiet", "--python", self.python, *args)
        else:
            _run(self.python, "-m", "pip", "install", "--quiet", *args)

    def reinstall(self, *args: str | Path) -> None:
        """Install, replacing what is there (for switching a distribution between regular and editable)."""
        flag = "--reinstall" if self.uv else "--force-reinstall"
        self.install("--no-build-isolation", "--no-deps", flag, *args)

    def python_c(self, code: str, cwd: Path) -> str:
        return _run(self.python, "-c", code, cwd=cwd)


def _write_hello(root: Path) -> Path:
    project = root / "ember-hello"
    package = project / "src" / "ember" / "hello"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('GREETING = "hi"\n')
    (project / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [build-system]
            requires = ["hatchling>=1.21"]
            build-backend = "hatchling.build"

            [project]
            name = "ember-hello"
            version = "0.0.1"
            requires-python = ">=3.10"
            dependencies = ["ember-core"]

            [tool.hatch.build.targets.wheel]
            packages = ["src/ember"]
            """
        )
    )
    assert not (project / "src" / "ember" / "__init__.py").exists()
    return project


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    root = tmp_path_factory.mktemp("namespace")
    venv = Venv(root / "venv")
    # Copies, so building never writes into the repository's package folders.
    sources = []
    for pkg in PACKAGES:
        dest = root / pkg.name
        shutil.copytree(pkg, dest, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist"))
        sources.append(dest)
    venv.install("--no-build-isolation", *sources)
    return venv, _write_hello(root), root


def _check(venv: Venv, cwd: Path) -> tuple[str, Path, Path]:
    greeting, ember_file, hello_file = venv.python_c(CHECK, cwd).strip().splitlines()
    return greeting, Path(ember_file), Path(hello_file)


def test_regular_install_extends_the_namespace(env):
    venv, hello, root = env
    venv.reinstall(hello)
    greeting, ember_file, hello_file = _check(venv, root)
    assert greeting == "hi 1.0"
    site = ember_file.parent.parent
    assert site.name == "site-packages" and root in site.parents  # the venv's own, non-editable ember-core
    assert hello_file == site / "ember" / "hello" / "__init__.py"


def test_editable_install_extends_the_namespace(env):
    venv, hello, root = env
    venv.reinstall("-e", hello)
    greeting, ember_file, hello_file = _check(venv, root)
    assert greeting == "hi 1.0"
    assert ember_file.parent.parent.name == "site-packages"
    assert hello_file.resolve() == (hello / "src" / "ember" / "hello" / "__init__.py").resolve()


def test_info_command_in_the_fresh_environment(env):
    venv, _, root = env
    out = _run(venv.python, "-m", "ember", cwd=root)
    assert "ember-backend-numpy" in out and "status:       available" in out
