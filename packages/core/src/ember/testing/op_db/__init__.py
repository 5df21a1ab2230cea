"""The op table of the conformance kit: one `OpInfo` per op, with sample inputs and a NumPy reference.

Every test in `ember.testing.kit` that is about "each op" is generated from `OP_DB`, so adding
an entry adds its value, gradient, error and kernel-contract tests on every backend. Entries
live in the module named after the op's family (`ember.ops.<family>`); what an entry is made
of is in `ember.testing.opinfo`.
"""

from __future__ import annotations

import importlib
import pkgutil

from ember.testing.opinfo import (
    FLOATS,
    INTS,
    Arg,
    ErrorInput,
    OpInfo,
    SampleInput,
    assert_same,
    make_tensor,
    ref_result_type,
    to_ember,
    to_numpy,
)

__all__ = [
    "Arg",
    "SampleInput",
    "ErrorInput",
    "OpInfo",
    "OP_DB",
    "op_by_name",
    "to_ember",
    "to_numpy",
    "make_tensor",
    "ref_result_type",
    "assert_same",
    "FLOATS",
    "INTS",
]

#: every entry, from every family module of this package (each holds its entries in `INFOS`)
OP_DB: list[OpInfo] = [
    info
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__))
    for info in importlib.import_module(f"{__name__}.{module}").INFOS
]

_BY_NAME = {info.name: info for info in OP_DB}
_twice = sorted({info.name for info in OP_DB if sum(i.name == info.name for i in OP_DB) > 1})
assert not _twice, f"ops appear twice in OP_DB: {_twice}"


def op_by_name(name: str) -> OpInfo:
    return _BY_NAME[name]
