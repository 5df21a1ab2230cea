"""Every op, declared once with its derivative; see `ember.dispatch.OPS` for the table."""

from . import methods as _methods  # noqa: F401 - installs Tensor methods
from .conversion import *  # noqa: F403
from .creation import *  # noqa: F403
from .elementwise import *  # noqa: F403
from .indexing import gather, index_select, masked_fill, nonzero, scatter, scatter_add, take_along_dim
from .linalg import *  # noqa: F403
from .movement import *  # noqa: F403
from .reduction import *  # noqa: F403
from .sampling import *  # noqa: F403
from .softmax import *  # noqa: F403
from .sorting import *  # noqa: F403
