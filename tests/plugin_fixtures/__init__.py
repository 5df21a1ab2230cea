"""Helpers for the plugin tests: throwaway plugin distributions and subprocess runs.

A throwaway plugin is a module `NAME.py` plus a fake installed distribution
`DIST-VERSION.dist-info/` (METADATA and entry_points.txt) in one directory. Put
that directory on PYTHONPATH and `importlib.metadata` finds the distribution and
its `ember.backends` entry point, exactly as it finds a pip-installed one.

Nothing here loads backends when imported (a throwaway plugin imports this package).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent.parent


def write_plugin(
    root: Path,
    module: str,
    source: str,
    *,
    dist: str | None = None,
    version: str = "1.2.3",
    ep_name: str | None = None,
    group: str = "ember.backends",
    device_types: Iterable[str] = (),
) -> Path:
    """Write `module.py` and an installed distribution `dist` whose entry point `ep_name` names it.

    `device_types`: the device types it declares (group ``ember.device_types``), so it loads lazily.
    """
    dist = dist or module
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    declared = "".join(f"{d} = {module}\n" for d in device_types)
    extra = f"\n[ember.device_types]\n{declared}" if declared else ""
    (info / "entry_points.txt").write_text(f"[{group}]\n{ep_name or module} = {module}\n{extra}")
    (info / "RECORD").write_text("")
    return root


def run_python(
    *args: str,
    path: Iterable[Path | str] = (),
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run `python ARGS` with `path` (and tests/, for these helpers) in front of PYTHONPATH."""
    environ = {k: v for k, v in os.environ.items() if k != "EMBER_DISABLED_BACKENDS"}
    entries = [str(p) for p in path] + [str(TESTS_DIR)]
    if environ.get("PYTHONPATH"):
        entries.append(environ["PYTHONPATH"])
    environ["PYTHONPATH"] = os.pathsep.join(entries)
    environ["PYTHONDONTWRITEBYTECODE"] = "1"
    environ.update(env or {})
    proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=environ, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"python {' '.join(args)[:200]} exited {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
        )
    return proc


def run_code(code: str, **kwargs) -> subprocess.CompletedProcess[str]:
    return run_python("-c", textwrap.dedent(code), **kwargs)


def ember_info(*flags: str, **kwargs) -> str:
    """The output of `python -m ember FLAGS`, which must exit 0."""
    return run_python("-m", "ember", *flags, **kwargs).stdout


def parse_backends(info: str) -> dict[str, dict[str, str]]:
    """`python -m ember`'s backend blocks: {backend name: {"device type": ..., "status": ..., ...}}."""
    section = info.split("Backends (", 1)[1].split("\n\n", 1)[0]
    out: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    key = ""
    for line in section.splitlines()[1:]:
        if line.startswith("  (") or not line.strip():  # "(none loaded; ...)"
            continue
        if line.startswith("  ") and not line.startswith("   "):
            current = out.setdefault(line.strip(), {})
        elif current is not None and ":" in line and not line.startswith(" " * 8):
            key, _, value = line.strip().partition(":")
            current[key] = value.strip()
        elif current is not None and key:
            current[key] += "\n" + line.strip()
    return out
