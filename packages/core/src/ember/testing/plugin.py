"""The pytest plugin that every Ember test suite and the conformance kit use.

Loaded through the ``pytest11`` entry point ``ember``. It adds:

``--ember-backend NAME``
    The backend under test: a backend name (``numpy``) or a device type (``cpu``).
    Default ``numpy``.
``--ember-xfails=FILE``
    Known failures that the backend keeps: one test node-id substring a line
    (e.g. ``test_values[erf-float64]`` or ``test_gradgradcheck[``), ``#`` starts a
    comment (a comment after a pattern is the xfail reason). Prefer the ``=`` form:
    pytest takes a separate path argument into account when it picks the rootdir.

and the session-scoped fixtures ``backend_name`` (the name given), ``backend``
(the `ember.Backend`) and ``device`` (its device string, e.g. ``"cpu"``). When
the backend is not installed or cannot run here, every test that asks for one
of these fixtures is *skipped* with the reason Ember gives (never passed
silently). A run that names ``--ember-backend`` or collects kit tests fails at
once (a usage error, exit status 4) when that backend is unknown or unusable
here, and when a line of the ``--ember-xfails`` file matches no collected test
(checked when the whole kit is collected), so a typo never turns CI green.
The kit turns on core's kernel checks (`ember.testing.checks`) for its run.
At the end of a run that includes kit tests, or names ``--ember-backend``, a
short conformance summary is printed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pytest

DEFAULT_BACKEND = "numpy"
_KIT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kit")


@dataclass
class _Target:
    """The backend under test, resolved once per session."""

    name: str
    device_type: str | None = None
    backend: Any = None
    error: str | None = None
    xfail_patterns: list[tuple[str, str]] = field(default_factory=list)
    xfails_file: str | None = None
    kit_nodeids: set[str] = field(default_factory=set)


_KEY = pytest.StashKey[_Target]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ember", "Ember backends")
    group.addoption(
        "--ember-backend",
        action="store",
        default=None,
        metavar="NAME",
        help=f"the Ember backend to test: a backend name or a device type (default: {DEFAULT_BACKEND})",
    )
    group.addoption(
        "--ember-xfails",
        action="store",
        default=None,
        metavar="FILE",
        help="a file of known failures: one test node-id substring a line ('#' comments); they are marked xfail",
    )


def _read_xfails(path: str) -> list[tuple[str, str]]:
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            pattern, _, comment = line.partition("#")
            pattern = pattern.strip()
            if pattern:
                reason = comment.strip() or f"known failure listed in {os.path.basename(path)}"
                out.append((pattern, reason))
    return out


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "ember_kit: a test of the Ember backend conformance kit")
    # inf and nan are results, as in PyTorch: a backend's floating-point warnings are not failures or noise
    config.addinivalue_line(
        "filterwarnings", r"ignore:(invalid value|divide by zero|overflow|underflow) encountered:RuntimeWarning"
    )
    name = config.getoption("--ember-backend") or DEFAULT_BACKEND
    target = _Target(name=name)
    xfails = config.getoption("--ember-xfails")
    if xfails:
        try:
            target.xfail_patterns = _read_xfails(xfails)
            target.xfails_file = xfails
        except OSError as exc:
            raise pytest.UsageError(f"--ember-xfails: cannot read {xfails!r}: {exc}") from None
    config.stash[_KEY] = target


def _resolve(target: _Target) -> _Target:
    """Find the backend for `target.name` (once); record why it is unusable, if it is."""
    if target.device_type is not None or target.error is not None:
        return target
    from ember import BackendError, backends
    from ember.backends import registry

    name = target.name
    try:
        loaded = backends()
        match = [b for b in loaded if b.name == name] or [b for b in loaded if b.device_type == name]
        device_type = match[0].device_type if match else name
        target.backend = registry.get(device_type)
        target.device_type = device_type
        if target.backend.device_count() < 1:
            raise BackendError(f"backend {target.backend.name!r} reports no devices of type {device_type!r}")
    except BackendError as exc:
        target.error = f"ember backend {name!r} is not usable: {exc}"
        target.backend = None
    return target


def _target(config: pytest.Config) -> _Target:
    return _resolve(config.stash[_KEY])


def _is_kit(item: pytest.Item) -> bool:
    return os.path.dirname(os.path.abspath(str(item.path))) == _KIT_DIR


def _kit_modules() -> set[str]:
    return {f for f in os.listdir(_KIT_DIR) if f.startswith("test_") and f.endswith(".py")}


@pytest.hookimpl(tryfirst=True)  # before -k/-m deselect: an xfails line is checked against every collected test
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    target = config.stash[_KEY]
    used: set[str] = set()
    kit_files: set[str] = set()
    for item in items:
        if _is_kit(item):
            item.add_marker(pytest.mark.ember_kit)
            target.kit_nodeids.add(item.nodeid)
            kit_files.add(os.path.basename(str(item.path)))
        for pattern, reason in target.xfail_patterns:
            if pattern in item.nodeid:
                item.add_marker(pytest.mark.xfail(reason=reason, strict=False))
                used.add(pattern)
                break
    if kit_files or config.getoption("--ember-backend"):
        target = _resolve(target)
        if target.error is not None:
            raise pytest.UsageError(
                f"--ember-backend={target.name}: {target.error}. Check the name (`python -m ember` lists the "
                f"installed backends and why any cannot run); the conformance kit never passes by skipping."
            )
        from ember import kernel_checks

        kernel_checks.enable()  # every kernel result's shape and dtype checked against its op's declaration
    unused = [p for p, _ in target.xfail_patterns if p not in used]
    if unused and target.xfails_file and kit_files >= _kit_modules():
        listed = "\n  ".join(unused)
        raise pytest.UsageError(
            f"--ember-xfails={target.xfails_file}: {len(unused)} line(s) match no collected test "
            f"(misspelled, or the test is gone: delete the line):\n  {listed}"
        )


def pytest_runtest_setup(item: pytest.Item) -> None:
    if _is_kit(item):
        target = _target(item.config)
        if target.error is not None:
            pytest.skip(target.error)


@pytest.fixture(scope="session")
def backend_name(pytestconfig: pytest.Config) -> str:
    """The backend name given with --ember-backend (default "numpy")."""
    return pytestconfig.stash[_KEY].name


@pytest.fixture(scope="session")
def backend(pytestconfig: pytest.Config) -> Any:
    """The `ember.Backend` under test; skips the test when it is not installed or unusable."""
    target = _target(pytestconfig)
    if target.error is not None:
        pytest.skip(target.error)
    return target.backend


@pytest.fixture(scope="session")
def device(backend: Any) -> str:
    """The device string of the backend under test, e.g. "cpu" (its first device)."""
    return str(backend.device_type)


_OUTCOMES = ("passed", "failed", "error", "xfailed", "xpassed", "skipped")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    target = config.stash.get(_KEY, None)
    if target is None or not (target.kit_nodeids or config.getoption("--ember-backend")):
        return
    _resolve(target)
    tr = terminalreporter
    tr.section(f"ember conformance: backend {target.name!r}")
    from ember.backends import registry
    from ember.dispatch import OPS

    backend = target.backend
    if backend is None and target.device_type is None:
        backend = next((b for b in registry.backends() if target.name in (b.name, b.device_type)), None)
    if backend is not None:
        tr.write_line(
            f"backend {backend.name!r}, device type {backend.device_type!r}, "
            f"from {backend.distribution} {backend.distribution_version}"
        )
    if target.error is not None:
        tr.write_line(f"UNUSABLE: {target.error}")
    if backend is not None:
        prims = sorted(name for name, op in OPS.items() if op.kind == "primitive")
        missing = [p for p in prims if p not in backend.kernels]
        overrides = sorted(n for n, op in OPS.items() if op.kind == "composite" and n in backend.kernels)
        tr.write_line(f"primitive kernels: {len(prims) - len(missing)}/{len(prims)} present")
        if missing:
            tr.write_line(f"  missing (run on the host fallback, if any): {', '.join(missing)}")
        if overrides:
            tr.write_line(f"composite overrides: {', '.join(overrides)}")
    counts = dict.fromkeys(_OUTCOMES, 0)
    seen: set[tuple[str, str]] = set()
    for outcome in _OUTCOMES:
        for rep in tr.stats.get(outcome, []):
            nodeid = getattr(rep, "nodeid", None)
            if isinstance(nodeid, str) and nodeid in target.kit_nodeids and (nodeid, outcome) not in seen:
                seen.add((nodeid, outcome))
                counts[outcome] += 1
    if target.kit_nodeids:
        tr.write_line("kit tests: " + ", ".join(f"{counts[o]} {o}" for o in _OUTCOMES))
        _per_dtype_summary(tr, target)


_RANK = {"failed": 3, "error": 3, "xfailed": 2, "skipped": 1, "passed": 0, "xpassed": 0}


def _per_dtype_summary(tr: Any, target: Any) -> None:
    """Ops by dtype: passing (every test of the op in that dtype passed), failing, expected to fail."""
    import re

    from ember.dtypes import all_dtypes

    names = "|".join(sorted((d.name for d in all_dtypes), key=len, reverse=True))
    pattern = re.compile(rf"\[(?P<op>.+)-(?P<dtype>{names})\]$")
    worst: dict[tuple[str, str], str] = {}
    for outcome in _OUTCOMES:
        for rep in tr.stats.get(outcome, []):
            nodeid = getattr(rep, "nodeid", "")
            m = pattern.search(nodeid) if nodeid in target.kit_nodeids else None
            if m is None:
                continue
            key = (m.group("dtype"), m.group("op"))
            if _RANK.get(outcome, 0) >= _RANK.get(worst.get(key, "passed"), 0):
                worst[key] = outcome
    if not worst:
        return
    tr.write_line("ops by dtype (passing / failing / xfailed / skipped):")
    for dtype in sorted({d for d, _ in worst}):
        ops = {op: o for (d, op), o in worst.items() if d == dtype}
        failing = sorted(op for op, o in ops.items() if o in ("failed", "error"))
        line = (
            f"  {dtype:>8}: {sum(o in ('passed', 'xpassed') for o in ops.values())} / {len(failing)} / "
            f"{sum(o == 'xfailed' for o in ops.values())} / {sum(o == 'skipped' for o in ops.values())}"
        )
        tr.write_line(line + (f"   failing: {', '.join(failing)}" if failing else ""))

