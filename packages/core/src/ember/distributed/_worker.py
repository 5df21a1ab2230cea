"""What each rank of ``python -m ember.distributed.run`` runs: the user's script, ending every rank if it fails.

An uncaught exception (or ``sys.exit`` with a non-zero status) on one rank prints that rank's traceback once and
calls MPI_Abort, which makes mpiexec end the other ranks at once instead of leaving them waiting in a collective.
"""

from __future__ import annotations

import os
import runpy
import sys


def main() -> None:
    argv = sys.argv[1:]
    module = argv[:1] == ["-m"]
    if module:
        argv = argv[1:]
    if not argv:
        sys.exit("usage: python -m ember.distributed._worker [-m] script.py args...")
    target = argv[0]
    sys.argv = argv
    from mpi4py import MPI

    os.environ.setdefault("RANK", str(MPI.COMM_WORLD.Get_rank()))
    os.environ.setdefault("WORLD_SIZE", str(MPI.COMM_WORLD.Get_size()))
    from . import abort_on_error

    try:
        if module:
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            sys.path.insert(0, os.path.dirname(os.path.abspath(target)))
            runpy.run_path(target, run_name="__main__")
    except SystemExit as e:
        if e.code not in (None, 0):
            if not isinstance(e.code, int):
                print(e.code, file=sys.stderr)
            sys.stderr.write(f"[ember.distributed] rank {os.environ['RANK']} exited with status {e.code}; "
                             "ending all ranks\n")  # fmt: skip
            sys.stderr.flush()
            MPI.COMM_WORLD.Abort(e.code if isinstance(e.code, int) else 1)
        raise
    except BaseException as e:
        tb = e.__traceback__
        while tb is not None and (
            tb.tb_frame.f_code.co_filename in (__file__,) or "runpy" in tb.tb_frame.f_code.co_filename
        ):
            tb = tb.tb_next  # show the user's frames, not the launcher's
        abort_on_error(type(e), e, tb)


if __name__ == "__main__":
    main()
