"""ImageFolder and ImageCSVDataset on images the tests draw with Pillow; bad files and rows name themselves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import ember
from ember.data import DataLoader
from ember.data import transforms as T
from ember.data.datasets import ImageCSVDataset, ImageFolder, pil_loader

RNG = np.random.default_rng(0)


def draw(path: Path, value: int, size=(6, 4), mode="RGB") -> np.ndarray:
    """A small image whose pixels encode `value`, saved losslessly; returns its pixels."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shape = (size[1], size[0], 3) if mode == "RGB" else (size[1], size[0])
    pixels = ((RNG.integers(0, 50, shape) + value) % 256).astype(np.uint8)
    Image.fromarray(pixels, mode=None).convert(mode).save(path)
    return pixels


def test_image_folder_classes_samples_and_pixels(tmp_path):
    drawn = {}
    for cls, names in {"cat": ["b.png", "a.png"], "dog": ["x.bmp", "sub/y.png"], "ant": ["1.png"]}.items():
        for name in names:
            drawn[(cls, name)] = draw(tmp_path / cls / name, len(drawn) * 20)
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    ds = ImageFolder(tmp_path)
    assert ds.classes == ["ant", "cat", "dog"] and ds.class_to_idx == {"ant": 0, "cat": 1, "dog": 2}
    rel = [(str(Path(p).relative_to(tmp_path)), t) for p, t in ds.samples]
    assert rel == [("ant/1.png", 0), ("cat/a.png", 1), ("cat/b.png", 1), ("dog/x.bmp", 2), ("dog/sub/y.png", 2)]
    assert ds.targets == [0, 1, 1, 2, 2] and len(ds) == 5
    img, target = ds[2]
    assert isinstance(img, Image.Image) and img.mode == "RGB" and target == 1
    np.testing.assert_array_equal(np.asarray(img), drawn[("cat", "b.png")])
    loaded = ImageFolder(tmp_path, transform=T.ToTensor())
    x, y = next(iter(DataLoader(loaded, batch_size=5)))
    assert x.shape == (5, 3, 4, 6) and y.tolist() == [0, 1, 1, 2, 2]
    np.testing.assert_array_equal(x[2].numpy(), drawn[("cat", "b.png")].transpose(2, 0, 1) / np.float32(255))


def test_image_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ImageFolder(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    draw(tmp_path / "full" / "1.png", 0)
    with pytest.raises(FileNotFoundError, match="no valid image file for the class\\(es\\) empty"):
        ImageFolder(tmp_path)
    assert len(ImageFolder(tmp_path, allow_empty=True)) == 1


def test_corrupt_image_names_the_file_and_sample(tmp_path):
    draw(tmp_path / "a" / "good.png", 0)
    bad = tmp_path / "a" / "zbad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n this is not really a png")
    ds = ImageFolder(tmp_path)
    with pytest.raises(OSError, match=rf"cannot read image file {bad} \(sample 1, class 'a'\)"):
        ds[1]
    truncated = tmp_path / "a" / "ztrunc.png"
    data = (tmp_path / "a" / "good.png").read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(OSError, match=rf"cannot read image file {truncated}"):
        ImageFolder(tmp_path)[2]
    # From a worker too: the file and the sample index reach the main process.
    with pytest.raises(OSError, match=r"(?s)sample index 1 of ImageFolder.*cannot read image file .*zbad.png"):
        list(DataLoader(ImageFolder(tmp_path, transform=T.ToTensor()), num_workers=1, timeout=20))


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_image_csv_dataset_maps_labels_and_reads_images(tmp_path):
    images = tmp_path / "train"
    pixels = {i: draw(images / f"{i}.png", i * 30, mode="L") for i in range(1, 6)}
    csv_file = write_csv(tmp_path / "train.csv", "id,label\n1,9\n2,10\n3,2\n\n4,9\n5.png,2\n")
    ds = ImageCSVDataset(images, csv_file)
    assert ds.classes == ["2", "9", "10"]  # integer labels sort numerically
    assert ds.class_to_idx == {"2": 0, "9": 1, "10": 2}
    assert ds.targets == [1, 2, 0, 1, 0] and ds.ids == ["1", "2", "3", "4", "5.png"] and len(ds) == 5
    img, y = ds[2]
    assert img.mode == "RGB" and y == 0
    np.testing.assert_array_equal(np.asarray(img)[..., 0], pixels[3])
    gray = ImageCSVDataset(images, csv_file, mode="L", transform=T.ToTensor())
    x, y = next(iter(DataLoader(gray, batch_size=5, num_workers=1, timeout=20)))
    assert x.shape == (5, 1, 4, 6) and y.tolist() == [1, 2, 0, 1, 0]
    np.testing.assert_array_equal(x[4, 0].numpy(), pixels[5] / np.float32(255))
    assert [Path(p).name for p, _ in ds.samples] == ["1.png", "2.png", "3.png", "4.png", "5.png"]


def test_image_csv_named_labels_given_classes_other_columns_and_no_labels(tmp_path):
    images = tmp_path / "imgs"
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        draw(images / name, 0)
    csv_file = write_csv(tmp_path / "t.csv", "file,kind,extra\na,shirt,x\nb,boot,y\nc,shirt,z\n")
    ds = ImageCSVDataset(images, csv_file, image_column="file", label_column="kind")
    assert ds.classes == ["boot", "shirt"] and ds.targets == [1, 0, 1]
    ordered = ImageCSVDataset(images, csv_file, image_column="file", label_column="kind", classes=["shirt", "boot"])
    assert ordered.targets == [0, 1, 0]
    with pytest.raises(ValueError, match=r"t.csv, line 3: label 'boot' is not one of the given classes"):
        ImageCSVDataset(images, csv_file, image_column="file", label_column="kind", classes=["shirt"])
    unlabeled = ImageCSVDataset(images, csv_file, image_column="file", label_column=None, extension=".jpg", loader=pil_loader)
    assert unlabeled.targets is None and isinstance(unlabeled[0], Image.Image)


@pytest.mark.parametrize(
    "text,pattern",
    [
        ("id,label\n1,a\n2,b,c\n", r"bad.csv, line 3: expected 2 fields \(id,label\) but found 3"),
        ("id,label\n1,a\n2\n", r"bad.csv, line 3: expected 2 fields \(id,label\) but found 1"),
        ("id,label\n1,a\n,b\n", r"bad.csv, line 3: the 'id' field is empty"),
        ("id,label\n1,\n", r"bad.csv, line 2: the 'label' field is empty"),
        ("name,label\n1,a\n", r"bad.csv: the header \['name', 'label'\] has no column 'id'"),
        ("id,label\n1,a\n\n7,b\n", r"bad.csv, line 4: no image for id '7'"),
    ],
)
def test_malformed_csv_rows_name_the_file_and_line(tmp_path, text, pattern):
    draw(tmp_path / "imgs" / "1.png", 0)
    draw(tmp_path / "imgs" / "2.png", 0)
    csv_file = write_csv(tmp_path / "bad.csv", text)
    with pytest.raises((ValueError, FileNotFoundError), match=pattern):
        ImageCSVDataset(tmp_path / "imgs", csv_file)


def test_image_csv_corrupt_image_names_file_and_row(tmp_path):
    draw(tmp_path / "imgs" / "1.png", 0)
    (tmp_path / "imgs" / "2.png").write_bytes(b"garbage")
    csv_file = write_csv(tmp_path / "c.csv", "id,label\n1,a\n2,b\n")
    ds = ImageCSVDataset(tmp_path / "imgs", csv_file)
    with pytest.raises(OSError, match=rf"cannot read image file .*2.png \({csv_file} line 3, sample 1\)"):
        ds[1]
    assert ember.data.DataLoader is DataLoader
