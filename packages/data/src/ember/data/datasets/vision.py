"""`VisionDataset`: what every image dataset here shares (root, transform, target_transform, repr)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ..dataset import Dataset

__all__ = ["VisionDataset"]


class VisionDataset(Dataset[Any]):
    """Base of the image datasets: ``dataset[i]`` is ``(transform(image), target_transform(target))``."""

    def __init__(
        self,
        root: str | os.PathLike[str] | None,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
    ) -> None:
        self.root = os.fspath(os.path.expanduser(root)) if root is not None else None
        self.transform = transform
        self.target_transform = target_transform

    def _pair(self, image: Any, target: Any) -> tuple[Any, Any]:
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}"]  # type: ignore[arg-type]
        if self.root is not None:
            lines.append(f"    Root location: {self.root}")
        lines += [f"    {line}" for line in self.extra_repr().splitlines()]
        for name in ("transform", "target_transform"):
            t = getattr(self, name)
            if t is not None:
                body = repr(t).splitlines()
                lines.append(f"    {name.replace('_', ' ').capitalize()}: {body[0]}")
                lines += [f"    {line}" for line in body[1:]]
        return "\n".join(lines)
