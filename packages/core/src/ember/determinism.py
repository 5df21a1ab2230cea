"""`ember.use_deterministic_algorithms` and its queries: PyTorch's determinism switch.

Every Ember kernel is deterministic already (reductions and scatter-adds run in a fixed order, with no
atomics; random ops draw from the generator passed or the default one), so turning the switch on never
makes an op raise or warn, as PyTorch's would for its nondeterministic kernels. The state is kept and
reported so that code written for PyTorch (training scripts, test fixtures) runs unchanged.
"""

from __future__ import annotations

__all__ = [
    "are_deterministic_algorithms_enabled",
    "get_deterministic_debug_mode",
    "is_deterministic_algorithms_warn_only_enabled",
    "set_deterministic_debug_mode",
    "use_deterministic_algorithms",
]


class _State:
    enabled = False
    warn_only = False


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Require deterministic algorithms (`mode`), as `torch.use_deterministic_algorithms`; `warn_only`
    would make a nondeterministic op warn rather than raise (Ember has none)."""
    for name, value in (("mode", mode), ("warn_only", warn_only)):
        if not isinstance(value, bool):
            raise TypeError(
                f"use_deterministic_algorithms(): argument {name!r} must be bool, not {type(value).__name__}"
            )
    _State.enabled, _State.warn_only = mode, warn_only


def are_deterministic_algorithms_enabled() -> bool:
    """Whether `use_deterministic_algorithms(True)` is in effect."""
    return _State.enabled


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether `use_deterministic_algorithms(True, warn_only=True)` is in effect."""
    return _State.warn_only


_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def set_deterministic_debug_mode(debug_mode: str | int) -> None:
    """The same switch by level, as PyTorch: 0 / "default" (off), 1 / "warn", 2 / "error"."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(
                f"invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got {debug_mode}"
            )
        debug_mode = _DEBUG_MODES[debug_mode]
    elif not isinstance(debug_mode, int) or isinstance(debug_mode, bool):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    """0 when off, 1 when on with warn_only, 2 when on: the level `set_deterministic_debug_mode` takes."""
    return 0 if not _State.enabled else 1 if _State.warn_only else 2
