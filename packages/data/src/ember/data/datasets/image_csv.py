"""`ImageCSVDataset`: a folder of images plus a CSV that lists each image's id and label."""

from __future__ import annotations

import csv
import functools
import os
from collections.abc import Callable, Sequence
from typing import Any

from .image_io import check_dir, has_image_extension, load_image, pil_loader
from .vision import VisionDataset

__all__ = ["ImageCSVDataset"]


def _sorted_labels(labels: set[str]) -> list[str]:
    """Label names in order: numerically when they are all integers ("2" before "10"), else as text."""
    try:
        return sorted(labels, key=int)
    except ValueError:
        return sorted(labels)


class ImageCSVDataset(VisionDataset):
    """Images in ``root`` listed by a CSV with an image-id column and a label column.

    This is the layout of many competition data sets (e.g. ``train.csv`` with
    ``id,label`` rows and images ``train/<id>.png``). An id may name the file
    exactly, or without its extension (``extension``, else any image extension
    found in ``root``). Label names are mapped to class indices in sorted order
    (numeric order for integer labels), or in the order of ``classes`` when given;
    ``classes`` and ``class_to_idx`` expose the mapping. With ``label_column=None``
    (a test CSV) ``dataset[i]`` is the image alone. ``ids`` lists the CSV's image ids in order. Images are read with Pillow and
    converted to ``mode`` (None keeps each file's mode), or read by ``loader``.

    A malformed row, an id without an image, or an image Pillow cannot read
    raises an error naming the CSV file and line.
    """

    root: str  # required here (VisionDataset's may be None)

    def __init__(
        self,
        root: str | os.PathLike[str],
        csv_file: str | os.PathLike[str],
        image_column: str = "id",
        label_column: str | None = "label",
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
        *,
        classes: Sequence[str] | None = None,
        extension: str | None = None,
        mode: str | None = "RGB",
        loader: Callable[[str], Any] | None = None,
    ) -> None:
        super().__init__(root, transform, target_transform)
        self.csv_file = os.fspath(csv_file)
        check_dir(self.root, "ImageCSVDataset")
        self.loader = loader if loader is not None else functools.partial(pil_loader, mode=mode)
        self.image_column = image_column
        self.label_column = label_column
        ids, labels, lines = self._read_csv(image_column, label_column)
        self.ids = ids
        self._lines = lines
        self.image_paths = self._resolve(ids, lines, extension)
        if label_column is None:
            self.classes: list[str] = list(classes) if classes is not None else []
            self.targets: list[int] | None = None
        else:
            self.classes = list(classes) if classes is not None else _sorted_labels(set(labels))
            index = {c: i for i, c in enumerate(self.classes)}
            targets = []
            for label, line in zip(labels, lines):
                if label not in index:
                    raise ValueError(f"{self.csv_file}, line {line}: label {label!r} is not one of the given classes {self.classes}")
                targets.append(index[label])
            self.targets = targets
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def _read_csv(self, image_column: str, label_column: str | None) -> tuple[list[str], list[str], list[int]]:
        with open(self.csv_file, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = [h.strip() for h in next(reader, [])]
            needed = [c for c in (image_column, label_column) if c is not None]
            missing = [c for c in needed if c not in header]
            if missing:
                raise ValueError(f"{self.csv_file}: the header {header} has no column {', '.join(map(repr, missing))}; pass image_column=/label_column=")
            id_at = header.index(image_column)
            label_at = header.index(label_column) if label_column is not None else None
            ids, labels, lines = [], [], []
            for row in reader:
                if not row or all(not cell.strip() for cell in row):
                    continue  # blank line
                line = reader.line_num
                if len(row) != len(header):
                    raise ValueError(f"{self.csv_file}, line {line}: expected {len(header)} fields ({','.join(header)}) but found {len(row)}: {row!r}")
                image_id = row[id_at].strip()
                if not image_id:
                    raise ValueError(f"{self.csv_file}, line {line}: the {image_column!r} field is empty")
                if label_at is not None:
                    label = row[label_at].strip()
                    if not label:
                        raise ValueError(f"{self.csv_file}, line {line}: the {label_column!r} field is empty")
                    labels.append(label)
                ids.append(image_id)
                lines.append(line)
        return ids, labels, lines

    def _resolve(self, ids: list[str], lines: list[int], extension: str | None) -> list[str]:
        """Each id's image path; the folder is listed once, so 60,000 rows cost no 60,000 lookups on disk."""
        root = self.root
        names = set(os.listdir(root))
        by_stem: dict[str, str] = {}
        for name in names:
            if has_image_extension(name):
                by_stem.setdefault(os.path.splitext(name)[0], name)
        paths = []
        for image_id, line in zip(ids, lines):
            if image_id in names:
                name = image_id
            elif extension is not None and image_id + extension in names:
                name = image_id + extension
            elif extension is None and image_id in by_stem:
                name = by_stem[image_id]
            elif os.path.isfile(os.path.join(root, image_id)):  # an id with sub-folders
                name = image_id
            else:
                tried = f"{image_id}{extension}" if extension is not None else f"{image_id} or {image_id}.<image extension>"
                raise FileNotFoundError(f"{self.csv_file}, line {line}: no image for id {image_id!r} in {root} (looked for {tried})")
            paths.append(os.path.join(root, name))
        return paths

    @property
    def samples(self) -> list[tuple[str, int | None]]:
        """(image path, class index) pairs (index None without a label column)."""
        targets = self.targets if self.targets is not None else [None] * len(self.image_paths)
        return list(zip(self.image_paths, targets))

    def __getitem__(self, index: int) -> Any:
        path = self.image_paths[index]
        image = load_image(self.loader, path, f"{self.csv_file} line {self._lines[index]}, sample {index}")
        if self.targets is None:
            return self.transform(image) if self.transform is not None else image
        return self._pair(image, self.targets[index])

    def __len__(self) -> int:
        return len(self.image_paths)

    def extra_repr(self) -> str:
        return f"CSV file: {self.csv_file}\nClasses: {len(self.classes)}"
