"""Every op, declared once with its derivative, one module per family (`ember.dispatch.OPS`).

The public namespace (`ember.<name>`, read from here) and the Tensor methods are derived
from `ember.dispatch.API`, which the family modules fill as they declare their functions.
"""

from typing import TYPE_CHECKING

from .. import _operators, _tensor_methods
from ..dispatch import API
from ..tensor import Tensor
from . import (  # each declares its ops and public functions
    activation,
    conversion,
    convolution,
    creation,
    elementwise,
    indexing,
    linalg,
    movement,
    pooling,
    reduction,
    sampling,
    sorting,
)

globals().update({name: api.fn for name, api in API.items()})
__all__ = sorted(API)

_operators._ops = _tensor_methods._ops = __import__("sys").modules[__name__]  # type: ignore[attr-defined]

if TYPE_CHECKING:  # the names above, as type checkers can see them
    from .activation import *
    from .conversion import *
    from .creation import *
    from .elementwise import *
    from .indexing import *
    from .linalg import *
    from .movement import *
    from .reduction import *
    from .sampling import *
    from .sorting import *

del TYPE_CHECKING, Tensor
