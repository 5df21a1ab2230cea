"""TensorBoard logging: `SummaryWriter`, PyTorch's API on tensorboardX's event-file encoding.

Needs the optional extra: ``pip install "ember-core[tensorboard]"`` (tensorboardX, which brings protobuf).
"""

from __future__ import annotations

try:
    import tensorboardX as _tensorboardX
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "ember.utils.tensorboard needs tensorboardX, which is not installed: "
        "pip install 'ember-core[tensorboard]' (or pip install tensorboardX)"
    ) from exc

from .writer import SummaryWriter

__all__ = ["SummaryWriter"]
