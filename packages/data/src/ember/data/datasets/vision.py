"""`VisionDataset`: what every image dataset here shares (root, transform, target_transform, repr)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

import ember
from ember import Tensor

from ..dataset import Dataset

__all__ = ["VisionDataset", "ArrayImageDataset"]


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

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")  # as in torchvision

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}"]
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


class ArrayImageDataset(VisionDataset):
    """Grayscale uint8 images (N, H, W) and int64 labels held in memory (MNIST, Digits).

    ``dataset[i]`` is ``(PIL image, int label)`` before transforms, as in
    torchvision; ``data`` and ``targets`` are ember tensors over the same memory.
    Subclasses set ``_images``, ``_labels`` and ``classes``.
    """

    classes: list[str] = []
    _images: np.ndarray
    _labels: np.ndarray

    @property
    def data(self) -> Tensor:
        return ember.from_numpy(self._images)

    @property
    def targets(self) -> Tensor:
        return ember.from_numpy(self._labels)

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.classes)}

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from PIL import Image

        return self._pair(Image.fromarray(self._images[index]), int(self._labels[index]))

    def __len__(self) -> int:
        return len(self._images)
