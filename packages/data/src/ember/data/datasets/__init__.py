"""Datasets with real loaders: Digits (from scikit-learn), MNIST, FashionMNIST, ImageFolder, ImageCSVDataset."""

from .digits import Digits
from .image_csv import ImageCSVDataset
from .image_folder import ImageFolder
from .image_io import IMG_EXTENSIONS, default_loader, pil_loader
from .mnist import MNIST, FashionMNIST, read_idx
from .vision import VisionDataset

__all__ = [
    "IMG_EXTENSIONS",
    "MNIST",
    "Digits",
    "FashionMNIST",
    "ImageCSVDataset",
    "ImageFolder",
    "VisionDataset",
    "default_loader",
    "pil_loader",
    "read_idx",
]
