"""`python -m ember`: what is installed, which backends loaded, and why others did not.

Prints the versions of ember-core, Python and NumPy and the plugin API, then each
loaded backend (device type, distribution, availability, devices, dtypes), then
each plugin entry point that failed, was refused or was disabled, with its reason.
A broken plugin is reported, never raised: the exit status is 0 either way.
"""

from __future__ import annotations

import argparse
import platform
import sys
import textwrap
from collections.abc import Sequence
from typing import TextIO

import numpy as np

import ember
from ember.backends import Backend, PluginRecord, registry

_INDENT = "    "


def _api(version: Sequence[int]) -> str:
    return ".".join(str(v) for v in version)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def _availability(backend: Backend) -> str | None:
    """None when usable, else why not (a probe that raises is a reason too)."""
    try:
        return backend.unavailable_reason() or None
    except Exception as exc:
        return f"its availability check raised {type(exc).__name__}: {exc}"


def _devices(backend: Backend) -> list[str]:
    try:
        return [str(d) for d in backend.device_names()]
    except Exception as exc:
        return [f"(could not list devices: {type(exc).__name__}: {exc})"]


def _dtypes(backend: Backend) -> str:
    order = {d: i for i, d in enumerate(ember.dtypes.all_dtypes)}
    names = [d.name for d in sorted(backend.dtypes, key=lambda d: order.get(d, len(order)))]
    return ", ".join(names) if names else "(none declared)"


def _print_backend(backend: Backend, out: TextIO) -> None:
    reason = _availability(backend)
    status = "available" if reason is None else f"unavailable: {reason}"
    api = _api(backend.api_version)
    print(f"  {backend.name}", file=out)
    print(f"{_INDENT}device type:  {backend.device_type}", file=out)
    print(f"{_INDENT}distribution: {backend.distribution} {backend.distribution_version} (plugin API {api})", file=out)
    print(f"{_INDENT}status:       {status}", file=out)
    devices = _devices(backend)
    print(f"{_INDENT}devices:      {devices[0] if devices else '(none)'}", file=out)
    for line in devices[1:]:
        print(f"{_INDENT}              {line}", file=out)
    print(f"{_INDENT}dtypes:       {_dtypes(backend)}", file=out)


def _print_problem(record: PluginRecord, verbose: bool, out: TextIO) -> None:
    print(f"  {record.name} ({record.distribution} {record.version}): {record.status}", file=out)
    error = (record.error or "").rstrip()
    if not error:
        return
    if record.status == "failed":
        print(f"{_INDENT}error: {_last_line(error)}", file=out)
        if verbose:
            print(textwrap.indent(error, _INDENT * 2), file=out)
        else:
            print(f"{_INDENT}(run `python -m ember --verbose` for the full traceback)", file=out)
    else:
        first, *rest = error.splitlines()
        print(f"{_INDENT}reason: {first}", file=out)
        for line in rest:
            print(f"{_INDENT}        {line}", file=out)


def report(verbose: bool = False, out: TextIO | None = None) -> None:
    """Write the installation report to `out` (stdout by default)."""
    out = out if out is not None else sys.stdout
    print(f"ember-core {ember.__version__}", file=out)
    print(f"Python {platform.python_version()} ({platform.python_implementation()}, {sys.executable})", file=out)
    print(f"NumPy {np.__version__}", file=out)
    print(f"Plugin API {_api(ember.PLUGIN_API_VERSION)}", file=out)
    print(file=out)

    backends = sorted(registry.backends(), key=lambda b: (b.device_type, b.name))
    print(f"Backends ({len(backends)}):", file=out)
    if not backends:
        print("  (none loaded; install one, e.g. `pip install ember-backend-numpy` for device 'cpu')", file=out)
    for backend in backends:
        _print_backend(backend, out)

    empty = [r for r in registry.plugins if r.status == "loaded" and not r.backends]
    problems = [r for r in registry.plugins if r.status != "loaded"]
    if problems:
        print(file=out)
        print(f"Plugins not loaded ({len(problems)}):", file=out)
        for record in problems:
            _print_problem(record, verbose, out)
    if empty:
        print(file=out)
        print(f"Plugins loaded without a backend ({len(empty)}):", file=out)
        for record in empty:
            print(f"  {record.name} ({record.distribution} {record.version}): its hook registered nothing", file=out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ember",
        description="Show Ember's version, its installed backends, their devices and availability, "
        "and every backend plugin that failed, was refused or was disabled.",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="print the full traceback of each plugin that failed to load"
    )
    parser.add_argument("--version", action="version", version=f"ember-core {ember.__version__}")
    args = parser.parse_args(argv)
    report(verbose=args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
