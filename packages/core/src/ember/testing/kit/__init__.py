"""The backend conformance kit: ``pytest --pyargs ember.testing.kit --ember-backend NAME``.

The tests use the ``backend`` and ``device`` fixtures of `ember.testing.plugin`; the
per-op tests are generated from `ember.testing.op_db.OP_DB`. Helpers shared by the
kit's modules live here.
"""

from __future__ import annotations

from typing import Any

import pytest

import ember

__all__ = ["require_dtype", "op_params", "kit_xfail", "sample_supported"]


def require_dtype(backend: Any, dtype: Any) -> None:
    """Skip (with the reason) when the backend under test does not support `dtype`."""
    d = ember.dtypes.as_dtype(dtype)
    if d not in backend.dtypes:
        pytest.skip(f"backend {backend.name!r} does not support dtype {d.name}")


def sample_supported(sample: Any, backend: Any) -> bool:
    """Whether every dtype a sample uses (its arrays, and dtype arguments) is one the backend supports."""
    from ember.testing.op_db import Arg

    found = [ember.dtypes.as_dtype(x.array.dtype) if isinstance(x, Arg) else x for x in sample.leaves()]
    return all(d in backend.dtypes for d in found)


def kit_xfail(info: Any, test: str, dtype: str) -> list[Any]:
    """Marks for a (test, dtype) that the op table lists as a known limitation."""
    reason = info.xfail_reason(test, dtype)
    return [pytest.mark.xfail(reason=reason, strict=False)] if reason else []


def op_params(test: str, ops: Any, *, dtypes: str = "all") -> list[Any]:
    """pytest params (op, dtype name) with ids "name-dtype" for the ops and their dtypes."""
    out = []
    for info in ops:
        names = info.dtypes if dtypes == "all" else (dtypes,)
        for dt in names:
            out.append(pytest.param(info, dt, id=f"{info.name}-{dt}", marks=kit_xfail(info, test, dt)))
    return out
