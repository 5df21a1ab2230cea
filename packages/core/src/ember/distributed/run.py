"""The launcher: ``python -m ember.distributed.run --nproc N script.py args...``.

It starts N copies of ``python script.py args...`` with ``mpiexec`` (the one of the MPICH wheel that
``pip install "ember-core[mpi]"`` brings, or ``$EMBER_MPIEXEC``, or the first on PATH), each under a small wrapper
that ends every rank when one fails. ``--hostfile FILE`` is passed to mpiexec for several machines (one host
name a line, ``host:slots`` to say how many ranks a host runs). The exit status is mpiexec's: 0 only if every
rank succeeded.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence

__all__ = ["find_mpiexec", "command", "main"]


def find_mpiexec() -> str:
    """Where mpiexec is: $EMBER_MPIEXEC, then beside this Python (the mpich wheel puts it there), then PATH."""
    given = os.environ.get("EMBER_MPIEXEC")
    if given:
        return given
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.access(beside, os.X_OK):
        return beside
    found = shutil.which("mpiexec")
    if found:
        return found
    raise RuntimeError(
        'ember.distributed.run: no mpiexec found; pip install "ember-core[mpi]" (it brings the MPICH wheel\'s '
        "mpiexec), or set EMBER_MPIEXEC to your cluster's"
    )


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m ember.distributed.run",
        description="Start N ranks of a Python script on MPI (one failing rank ends them all).",
    )
    p.add_argument("--nproc", "--nproc-per-node", "--nproc_per_node", dest="nproc", type=int, default=1,
                   help="how many ranks (processes) to start (default 1)")  # fmt: skip
    p.add_argument("--hostfile", default=None, help="mpiexec's host file, for ranks on several machines")
    p.add_argument("-m", "--module", action="store_true", help="run the target as a module (like python -m)")
    p.add_argument("script", help="the script (or module, with -m) every rank runs")
    p.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")
    return p


def command(nproc: int, script: str, args: Sequence[str] = (), hostfile: str | None = None, module: bool = False):
    """The mpiexec command line that `main` runs."""
    if nproc < 1:
        raise ValueError(f"ember.distributed.run: --nproc must be at least 1, got {nproc}")
    cmd = [find_mpiexec(), "-n", str(nproc)]
    if hostfile:
        cmd += ["-f", hostfile]
    cmd += [sys.executable, "-m", "ember.distributed._worker"]
    cmd += ["-m", script] if module else [script]
    return cmd + list(args)


def main(argv: Sequence[str] | None = None) -> int:
    ns = _parser().parse_args(argv)
    try:
        cmd = command(ns.nproc, ns.script, ns.args, ns.hostfile, ns.module)
    except (RuntimeError, ValueError) as e:
        print(e, file=sys.stderr)
        return 2
    env = dict(os.environ, EMBER_DISTRIBUTED_LAUNCHER="1", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(cmd, env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        return proc.wait()


if __name__ == "__main__":
    sys.exit(main())
