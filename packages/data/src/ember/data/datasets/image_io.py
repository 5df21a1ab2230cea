"""Reading image files with Pillow, with errors that say which file (and which row or sample) is bad."""

from __future__ import annotations

import os
from typing import Any

__all__ = ["IMG_EXTENSIONS", "pil_loader", "default_loader", "load_image", "has_image_extension"]

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def has_image_extension(filename: str) -> bool:
    return filename.lower().endswith(IMG_EXTENSIONS)


def pil_loader(path: str, mode: str | None = "RGB") -> Any:
    """Open `path` with Pillow, decode it fully and convert it to `mode` (None keeps the file's mode)."""
    from PIL import Image

    with open(path, "rb") as f:
        img = Image.open(f)
        img.load()  # decode now: Pillow opens lazily, and a truncated file fails only here
        return img.convert(mode) if mode is not None and img.mode != mode else img


def default_loader(path: str) -> Any:
    """An RGB Pillow image (torchvision's default loader)."""
    return pil_loader(path, "RGB")


def load_image(loader: Any, path: str, where: str) -> Any:
    """`loader(path)`; a file Pillow cannot read raises OSError naming the file and `where` it was listed."""
    try:
        return loader(path)
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"image file {path} ({where}) does not exist") from exc
    except (OSError, ValueError, SyntaxError) as exc:  # Pillow's errors for corrupt or truncated files
        raise OSError(f"cannot read image file {path} ({where}): {exc}") from exc


def check_dir(path: str, what: str) -> None:
    if not os.path.isdir(path):
        raise FileNotFoundError(f"{what}: directory {path} does not exist")
