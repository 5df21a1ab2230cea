"""First-tensor time with every backend installed plus a heavy third-party plugin, against NumPy's backend alone.

    python benchmarks/bench_plugin_loading.py [--repeat N] [--heavy-seconds S]

Each run is a fresh interpreter timing ``import ember`` and its first ``cpu`` tensor. "alone" disables
every plugin but ember-backend-numpy (EMBER_DISABLED_BACKENDS); "all + heavy" leaves every installed
plugin enabled and adds a throwaway distribution whose plugin takes S seconds to import (as a plugin
built on a large array library does), once declaring its device type (``ember.device_types``) and once
not. Runs are interleaved (alone, declared, undeclared, alone, ...) and medians reported; the goal is
a ratio <= 1.2: asking for ``cpu`` imports no other backend.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

PROBE = """
import time
t0 = time.perf_counter()
import ember
ember.tensor([1.0, 2.0]) + 1
print(time.perf_counter() - t0)
"""

HEAVY = """
import time
time.sleep({seconds})  # a plugin whose array library takes this long to import
import ember

class Heavy(ember.Backend):
    name = "heavy"
    device_type = "heavydev"

@ember.hookimpl
def ember_register_backends(registry):
    registry.register(Heavy())
"""


def write_heavy(root: Path, seconds: float, declared: bool) -> None:
    """A fake installed distribution `ember-backend-heavy` with its plugin module, in `root`."""
    root.mkdir(parents=True)
    (root / "heavy_plugin.py").write_text(HEAVY.format(seconds=seconds))
    info = root / "ember_backend_heavy-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ember-backend-heavy\nVersion: 1.0\n")
    entry = "[ember.backends]\nheavy = heavy_plugin\n"
    if declared:
        entry += "\n[ember.device_types]\nheavydev = heavy_plugin\n"
    (info / "entry_points.txt").write_text(entry)
    (info / "RECORD").write_text("")


def first_tensor_seconds(path: Path | None, disabled: str) -> float:
    env = {k: v for k, v in os.environ.items() if k not in ("EMBER_DISABLED_BACKENDS", "PYTHONPATH")}
    if path is not None:
        env["PYTHONPATH"] = str(path)
    if disabled:
        env["EMBER_DISABLED_BACKENDS"] = disabled
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--heavy-seconds", type=float, default=1.0)
    args = parser.parse_args()
    others = sorted({ep.name for ep in metadata.entry_points(group="ember.backends")} - {"numpy"})
    print(f"installed plugins besides numpy: {', '.join(others) or 'none'}; heavy plugin: {args.heavy_seconds} s import")
    with tempfile.TemporaryDirectory() as tmp:
        declared, undeclared = Path(tmp) / "declared", Path(tmp) / "undeclared"
        write_heavy(declared, args.heavy_seconds, declared=True)
        write_heavy(undeclared, args.heavy_seconds, declared=False)
        cases = {
            "numpy alone": (None, ",".join(others)),
            "all + heavy (declared)": (declared, ""),
            "all + heavy (undeclared)": (undeclared, ""),
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.repeat):
            for name, (path, disabled) in cases.items():
                times[name].append(first_tensor_seconds(path, disabled))
    base = statistics.median(times["numpy alone"])
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"{name:>26}: median {med * 1e3:7.1f} ms over {len(ts)} runs   ratio {med / base:5.2f}x")


if __name__ == "__main__":
    main()
