"""Data sets for the workflow: load one, as normalised image arrays with labels, split three ways."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

import ember
from ember.data import Dataset


class UserError(Exception):
    """A mistake the user can fix (a missing file, a bad column name): one line, no traceback."""


@dataclass
class Split:
    """Images (N, C, H, W) float32, normalised, with integer labels and an id per image."""

    images: np.ndarray
    labels: np.ndarray
    ids: list[str]

    def __len__(self) -> int:
        return len(self.labels)

    def take(self, index: np.ndarray) -> Split:
        return Split(self.images[index], self.labels[index], [self.ids[i] for i in index])


@dataclass
class DataBundle:
    train: Split
    val: Split
    test: Split
    classes: list[str]
    mean: float
    std: float

    @property
    def image_shape(self) -> tuple[int, int, int]:
        c, h, w = self.train.images.shape[1:]
        return int(c), int(h), int(w)


def _arrays(ds: Dataset[Any], name: str) -> tuple[np.ndarray, np.ndarray]:
    """All images of a data set as (N, C, H, W) uint8-scaled float32 in [0, 1], and labels."""
    data, targets = getattr(ds, "data", None), getattr(ds, "targets", None)
    if data is not None and targets is not None:  # in-memory data sets: no per-image work
        x = np.asarray(data.numpy() if isinstance(data, ember.Tensor) else data)
        y = np.asarray(targets.numpy() if isinstance(targets, ember.Tensor) else targets)
        x = x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)
        return x.astype(np.float32) / 255.0, y.astype(np.int64)
    from ember.data.transforms import ToTensor

    to_tensor = ToTensor()
    xs, ys = [], []
    for i in range(len(ds)):  # type: ignore[arg-type]
        img, label = ds[i]
        xs.append(to_tensor(img).numpy())
        ys.append(int(label))
    if not xs:
        raise UserError(f"{name}: the data set is empty")
    shapes = {x.shape for x in xs}
    if len(shapes) > 1:
        raise UserError(f"{name}: images have different sizes {sorted(shapes)[:3]}...; resize them to one size first")
    return np.stack(xs).astype(np.float32), np.asarray(ys, np.int64)


def _ids(ds: Dataset[Any], n: int, prefix: str) -> list[str]:
    samples = getattr(ds, "samples", None)
    if samples is not None and len(samples) == n:
        return [os.path.basename(str(s[0])) for s in samples]
    return [f"{prefix}{i}" for i in range(n)]


def _random_split(x: np.ndarray, y: np.ndarray, ids: list[str], fraction: float, seed: int) -> tuple[Split, Split]:
    n = len(y)
    k = int(round(n * fraction))
    order = ember.randperm(n, generator=ember.Generator().manual_seed(seed)).numpy()
    held, kept = order[:k], order[k:]
    whole = Split(x, y, ids)
    return whole.take(np.sort(kept)), whole.take(np.sort(held))


def load(args: Any) -> DataBundle:
    """The data set the command line names, split into train / validation / test."""
    from ember.data import datasets as dsets

    test: Split | None = None
    if args.csv or args.images:
        if not (args.csv and args.images):
            raise UserError("--csv and --images go together: the CSV of ids and labels, and the folder of images")
        ds = _image_csv(args)
        classes = list(ds.classes)
        x, y = _arrays(ds, args.csv)
        ids = [str(i) for i in ds.ids] if hasattr(ds, "ids") else _ids(ds, len(y), "")
        name = os.path.basename(args.csv)
    elif args.image_folder:
        if not os.path.isdir(args.image_folder):
            raise UserError(f"--image-folder {args.image_folder}: no such directory")
        ds = dsets.ImageFolder(args.image_folder)
        classes = list(ds.classes)
        x, y = _arrays(ds, args.image_folder)
        ids = _ids(ds, len(y), "")
        name = os.path.basename(os.path.normpath(args.image_folder))
    elif args.dataset in ("mnist", "fashion-mnist"):
        cls = dsets.MNIST if args.dataset == "mnist" else dsets.FashionMNIST
        root = args.data_dir or os.path.join("data", args.dataset)
        try:
            train_ds, test_ds = cls(root, train=True), cls(root, train=False)
        except (FileNotFoundError, RuntimeError, OSError) as exc:
            raise UserError(f"{args.dataset}: {exc}") from None
        classes = [str(c) for c in train_ds.classes]
        x, y = _arrays(train_ds, args.dataset)
        ids = [f"train-{i}" for i in range(len(y))]
        xt, yt = _arrays(test_ds, args.dataset)
        test = Split(xt, yt, [f"test-{i}" for i in range(len(yt))])
        name = args.dataset
    else:
        try:
            ds = dsets.Digits()
        except ImportError as exc:
            raise UserError(str(exc)) from None
        classes = list(ds.classes)
        x, y = _arrays(ds, "digits")
        ids = [f"digit-{i}" for i in range(len(y))]
        name = "digits"
    if test is None:
        rest, test = _random_split(x, y, ids, args.test_fraction, args.seed + 1)
    else:
        rest = Split(x, y, ids)
    train, val = _random_split(rest.images, rest.labels, rest.ids, args.val_fraction, args.seed)
    if len(train) == 0 or len(val) == 0 or len(test) == 0:
        raise UserError(f"{name}: too few images ({len(y)}) for a train / validation / test split")
    mean, std = float(train.images.mean()), float(train.images.std()) or 1.0
    for split in (train, val, test):
        split.images = (split.images - mean) / std
    return DataBundle(train, val, test, classes, mean, std)


def _image_csv(args: Any) -> Any:
    from ember.data.datasets import ImageCSVDataset

    if not os.path.isfile(args.csv):
        raise UserError(f"--csv {args.csv}: no such file")
    if not os.path.isdir(args.images):
        raise UserError(f"--images {args.images}: no such directory")
    with open(args.csv, newline="") as f:
        header = next(csv.reader(f), [])
    for col, flag in ((args.id_column, "--id-column"), (args.label_column, "--label-column")):
        if col not in header:
            raise UserError(f"{args.csv}: no column {col!r} (columns: {', '.join(header)}); set {flag}")
    try:
        return ImageCSVDataset(
            args.images, args.csv, image_column=args.id_column, label_column=args.label_column, mode="L"
        )
    except (ValueError, OSError) as exc:
        raise UserError(str(exc)) from None
