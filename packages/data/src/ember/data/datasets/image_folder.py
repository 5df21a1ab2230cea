"""`ImageFolder`: one sub-folder of images per class (``root/cat/1.png``, ``root/dog/7.jpg``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from .image_io import check_dir, default_loader, has_image_extension, load_image
from .vision import VisionDataset

__all__ = ["ImageFolder", "find_classes"]


def find_classes(directory: str) -> tuple[list[str], dict[str, int]]:
    """The class folders of `directory`, sorted, and their indices."""
    check_dir(directory, "ImageFolder")
    classes = sorted(e.name for e in os.scandir(directory) if e.is_dir())
    if not classes:
        raise FileNotFoundError(f"ImageFolder: no class folders in {directory}; expected one sub-folder of images per class")
    return classes, {c: i for i, c in enumerate(classes)}


class ImageFolder(VisionDataset):
    """Images in ``root/<class name>/...`` (any depth), labelled by their class folder's index in sorted order.

    ``classes``, ``class_to_idx``, ``samples`` ((path, class index) pairs) and
    ``targets`` are exposed as in torchvision. ``loader`` reads a path (default:
    an RGB Pillow image); ``is_valid_file`` replaces the extension check. A file
    that cannot be read raises an OSError naming it and its sample index.
    """

    root: str  # required here (VisionDataset's may be None)

    def __init__(
        self,
        root: str | os.PathLike[str],
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
        loader: Callable[[str], Any] = default_loader,
        is_valid_file: Callable[[str], bool] | None = None,
        allow_empty: bool = False,
    ) -> None:
        super().__init__(root, transform, target_transform)
        self.loader = loader
        self.classes, self.class_to_idx = find_classes(self.root)
        valid = is_valid_file or has_image_extension
        samples: list[tuple[str, int]] = []
        empty = []
        for cls in self.classes:
            folder = os.path.join(self.root, cls)
            found = [
                os.path.join(dirpath, name)
                for dirpath, _, names in sorted(os.walk(folder, followlinks=True))
                for name in sorted(names)
                if valid(os.path.join(dirpath, name))
            ]
            if not found:
                empty.append(cls)
            samples += [(path, self.class_to_idx[cls]) for path in found]
        if empty and not allow_empty:
            raise FileNotFoundError(
                f"ImageFolder: found no valid image file for the class(es) {', '.join(empty)} in {self.root} "
                f"(extensions: {'custom is_valid_file' if is_valid_file else 'see ember.data.datasets.image_io.IMG_EXTENSIONS'}); "
                f"pass allow_empty=True to allow empty classes"
            )
        self.samples = samples
        self.imgs = samples
        self.targets = [t for _, t in samples]

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        path, target = self.samples[index]
        image = load_image(self.loader, path, f"sample {index}, class {self.classes[target]!r}")
        return self._pair(image, target)

    def __len__(self) -> int:
        return len(self.samples)
