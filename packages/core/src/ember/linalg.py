"""`ember.linalg`, as torch.linalg: norms, decompositions, solvers and products of matrices.

The functions are declared with ``@public(namespace="linalg")`` next to their ops in
`ember.ops` and read off `ember.dispatch.API` here.
"""

from typing import TYPE_CHECKING
from typing import Any as _Any

from . import ops as _ops  # noqa: F401  (declares them)
from .dispatch import namespace as _namespace
from .ops.decomposition import LinAlgError

globals().update(_namespace("linalg"))
if not TYPE_CHECKING:
    __all__ = sorted(_namespace("linalg")) + ["LinAlgError"]
else:  # type checkers: the names set above, from the op table, are functions of any signature

    def __getattr__(name: str) -> _Any: ...

del TYPE_CHECKING
