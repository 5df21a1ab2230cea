"""`ember.utils.data`: PyTorch's ``torch.utils.data`` path to `ember.data` (datasets, samplers, DataLoader).

The code lives in the ember-data package; its modules answer here under PyTorch's names too
(``ember.utils.data.sampler``, ``.dataset``, ``.dataloader``, ``.distributed``), so code written for
``torch.utils.data`` imports unchanged.
"""

from __future__ import annotations

import sys

try:
    import ember.data as _data
except ImportError as e:  # pragma: no cover - core installed without ember-data
    raise ImportError(
        "ember.utils.data is ember.data, from the ember-data package: install it (pip install ember-data)"
    ) from e

from ember.data import *  # noqa: F403  (the same names as ember.data)
from ember.data import __all__ as __all__

for _name in ("sampler", "dataset", "dataloader", "distributed"):
    sys.modules[f"{__name__}.{_name}"] = getattr(_data, _name)
    globals()[_name] = getattr(_data, _name)
