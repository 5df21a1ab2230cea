"""Every op, declared once with its derivative; see `ember.dispatch.OPS` for the table."""

from . import convolution, dense, pooling
from . import methods as _methods
from .conversion import *
from .creation import *
from .elementwise import *
from .indexing import gather, index_select, masked_fill, nonzero, scatter, scatter_add, take_along_dim
from .linalg import *
from .movement import *
from .reduction import *
from .sampling import *
from .softmax import *
from .sorting import *
