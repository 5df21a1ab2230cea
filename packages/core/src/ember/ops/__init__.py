"""Every op, declared once with its derivative, one module per family (`ember.dispatch.OPS`).

The public namespace (`ember.<name>`, read from here) and the Tensor methods are derived
from `ember.dispatch.API`, which the family modules fill as they declare their functions.
"""

import sys
from typing import TYPE_CHECKING

from ..dispatch import API
from ..tensor import _bind_ops
from . import (  # each declares its ops and public functions
    activation,
    complex_numbers,
    conversion,
    convolution,
    creation,
    elementwise,
    indexing,
    movement,
    pooling,
    reduction,
    sampling,
    sorting,
)
from . import decomposition as _decomposition  # (private: `ember.linalg` is the torch.linalg namespace)
from . import fft as _fft  # (private: `ember.fft` is the torch.fft namespace)
from . import linalg as _linalg
from . import special as _special  # (private: `ember.special` is the torch.special namespace)

_TOP = {name: api.fn for name, api in API.items() if "." not in name}  # not ember.linalg.*, ember.fft.*
globals().update(_TOP)
if not TYPE_CHECKING:  # (type checkers read the names off the star imports below)
    __all__ = sorted(_TOP)

_bind_ops(sys.modules[__name__])  # the Tensor methods call the ops through it

if TYPE_CHECKING:  # the names above, as type checkers can see them
    from .activation import *
    from .complex_numbers import *
    from .conversion import *
    from .creation import *
    from .decomposition import *
    from .elementwise import *
    from .indexing import *
    from .linalg import *
    from .movement import *
    from .reduction import *
    from .sampling import *
    from .sorting import *
    from .special import *

del TYPE_CHECKING, sys, _bind_ops, _TOP, _decomposition, _fft, _linalg, _special
