"""The layers of `ember.nn`, one concept per module."""

from .activation import *
from .container import *
from .conv import *
from .distance import *
from .dropout import *
from .flatten import *
from .fold import *
from .lazy import *
from .linear import *
from .loss import *
from .module import Module, RemovableHandle
from .normalization import *
from .padding import *
from .pixelshuffle import *
from .pooling import *
from .rnn import *
from .sparse import *
from .transformer import *
from .upsampling import *
