"""Neural networks for Ember, with PyTorch's names: `Module`, `Parameter`, layers, losses,
`ember.nn.functional`, `ember.nn.init` and `ember.nn.utils`.

    >>> import ember.nn as nn
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
"""

from . import functional, init, parallel, utils
from .modules import *
from .modules import Module
from .parameter import Buffer, Parameter
