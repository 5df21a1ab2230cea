"""Ember's test matrix: one `tests` session per backend, plus `lint` and `bench`.

`nox` alone runs what CI runs. Each `tests` session gets its own virtualenv with
only core (and nn/data once they exist) and that one backend installed, then
runs the conformance kit and the cross-package tests against that backend.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

ROOT = Path(__file__).parent
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = False
nox.options.error_on_missing_interpreters = False

#: backend name -> package folder
BACKEND_PACKAGES = {
    "numpy": "packages/backend-numpy",
    "opencl": "packages/backend-opencl",
    "cupy": "packages/backend-cupy",
}
#: backend name -> the device type it registers
DEVICE_TYPES = {"numpy": "cpu", "opencl": "opencl", "cupy": "cuda"}
#: The backends of `tests(backend=...)`; CUDA has its own session, `cupy`, since it needs a GPU.
BACKENDS = ["numpy", "opencl"]
#: What plain `nox` (and CI) runs. The cupy session needs a GPU: run it by hand there (`nox -s cupy`).
nox.options.sessions = ["lint", "tests(backend='numpy')", "tests(backend='opencl')", "template"]

#: Installed beside core in every tests session: the framework packages, the main job (examples/classify) and the
#: language and reinforcement-learning programs (examples/language, examples/rl).
FRAMEWORK = [p for p in ("packages/nn", "packages/data") if (ROOT / p).exists()]
#: Extras installed with a framework package: ember-data's tests need scikit-learn (its Digits dataset).
EXTRAS = {"packages/data": "[test]"}
if len(FRAMEWORK) == 2:  # the programs need both
    FRAMEWORK += ["examples/classify", "examples/language", "examples/rl"]
#: Test-only packages: TensorBoard's own reader reads back what ember.utils.tensorboard writes; onnxruntime runs
#: what ember.onnx.export writes.
TEST_ONLY = ["tensorboard>=2.14", "onnxruntime>=1.17"]


@nox.session
@nox.parametrize("backend", BACKENDS)
def tests(session: nox.Session, backend: str) -> None:
    """The kit and tests/ against one backend, in a virtualenv with just that backend."""
    _backend_tests(session, backend)


@nox.session
def cupy(session: nox.Session) -> None:
    """The same on CUDA (--ember-backend=cupy); skips, saying why, without a GPU. Not in plain `nox`.

    Installs CuPy for CUDA 12 (`ember-backend-cupy[cuda12]`: cupy-cuda12x with CUDA's libraries
    from pip); on a CUDA 13 driver, `EMBER_CUDA_EXTRA=cuda13 nox -s cupy`.
    """
    _backend_tests(session, "cupy", extra=f"[{os.environ.get('EMBER_CUDA_EXTRA', 'cuda12')}]")


def _backend_tests(session: nox.Session, backend: str, extra: str = "") -> None:
    pkg = BACKEND_PACKAGES[backend]
    if not (ROOT / pkg).exists():
        session.skip(f"{pkg} is not in this repository yet: the {backend} backend has not landed")
    # The NumPy backend comes along everywhere: it is the host reference for fallbacks and cross-device tests.
    reference = [] if backend == "numpy" else ["./packages/backend-numpy"]
    framework = [f"./{p}{EXTRAS.get(p, '')}" for p in FRAMEWORK]
    # core[mpi]: mpi4py and the MPICH wheel, so tests/distributed runs its two-rank tests (mpiexec -n 2);
    # core[tensorboard]: tensorboardX for ember.utils.tensorboard; core[onnx]: onnx for ember.onnx
    session.install("./packages/core[test,mpi,tensorboard,onnx]", *framework, *reference, f"./{pkg}{extra}", *TEST_ONLY)
    probe = (
        f"from ember.backends import registry as r; print(r.peek({DEVICE_TYPES[backend]!r}).unavailable_reason() or '')"
    )
    reason = (session.run("python", "-c", probe, silent=True) or "").strip()
    if reason:
        session.skip(f"the {backend} backend is installed but cannot run here: {reason}")
    own_tests = [f"{pkg}/tests"] if (ROOT / pkg / "tests").is_dir() else []
    session.run(
        "python", "-m", "pytest", "--pyargs", "ember.testing.kit", "tests", *own_tests,
        f"--ember-backend={backend}", "-p", "no:cacheprovider", *session.posargs,
    )  # fmt: skip


@nox.session(name="onnx-suite")
@nox.parametrize("backend", BACKENDS)
def onnx_suite(session: nox.Session, backend: str) -> None:
    """All of ONNX's backend test suite (node, simple, PyTorch-converted/operator, light model-zoo cases) against
    ember.onnx on one backend; known failures in tests/onnx/onnx_backend_xfails.txt. Not in plain `nox`."""
    pkg = BACKEND_PACKAGES[backend]
    reference = [] if backend == "numpy" else ["./packages/backend-numpy"]
    session.install("./packages/core[test,onnx]", "./packages/nn", *reference, f"./{pkg}")
    session.run(
        "python", "-m", "pytest", "tests/onnx/test_onnx_backend.py", f"--ember-backend={backend}", "-q",
        "-p", "no:cacheprovider", *session.posargs, env={"EMBER_ONNX_SUITE": "all"},
    )  # fmt: skip


@nox.session
def template(session: nox.Session) -> None:
    """The third-party backend template, installed as a user would, passes the kit from outside the repo."""
    template_dir = ROOT / "examples" / "backend-template"
    session.install("./packages/core[test]", "./packages/backend-numpy", f"{template_dir}")
    info = session.run("python", "-m", "ember", silent=True) or ""
    if "ember-backend-strict" not in info or "available" not in info:
        session.error(f"python -m ember does not list the template backend as available:\n{info}")
    session.run("python", "-m", "pytest", str(template_dir / "tests"), "-p", "no:cacheprovider")
    session.chdir(session.create_tmp())  # the kit runs from any directory, against any installed backend
    session.run(
        "python",
        "-m",
        "pytest",
        "--pyargs",
        "ember.testing.kit",
        "--ember-backend=strict",
        f"--ember-xfails={template_dir / 'xfails.txt'}",
        "-p",
        "no:cacheprovider",
        *session.posargs,
    )


@nox.session(name="kit-mutation")
def kit_mutation(session: nox.Session) -> None:
    """How many plausible wrong NumPy kernels the conformance kit catches (tools/kit_mutation.py). Not in plain
    `nox`: CPU-heavy (every kernel, each mutant running the kit tests that call it)."""
    session.install("./packages/core[test]", "./packages/backend-numpy")
    session.run("python", "tools/kit_mutation.py", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over the whole tree; mypy over core, nn and data; the files generated from the op table are current."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", ".")
    session.install("mypy>=1.10", "./packages/core[test]", *[f"./{p}" for p in FRAMEWORK if p.startswith("packages/")])
    session.run("mypy")  # configured in mypy.ini
    session.run("python", "-m", "ember._codegen", "--check")  # after declaring an op: python -m ember._codegen


@nox.session
def bench(session: nox.Session) -> None:
    """The benchmark suite: medians and ratios against hand-written NumPy, same process."""
    session.install("./packages/core", "./packages/backend-numpy", "threadpoolctl>=3")
    session.run("python", "benchmarks/run.py", *session.posargs)
