"""Transforms: values against NumPy references, Pillow inputs, randomness that ember's seed controls."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import ember
from ember.data import transforms as T

RNG = np.random.default_rng(0)


def test_to_tensor_scales_uint8_and_moves_channels_first():
    hwc = RNG.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    out = T.ToTensor()(hwc)
    assert isinstance(out, ember.Tensor) and out.shape == (3, 5, 7) and out.dtype == ember.float32
    np.testing.assert_array_equal(out.numpy(), hwc.transpose(2, 0, 1).astype(np.float32) / np.float32(255))
    hw = RNG.integers(0, 256, (4, 6), dtype=np.uint8)
    np.testing.assert_array_equal(T.ToTensor()(hw).numpy(), hw[None].astype(np.float32) / np.float32(255))
    assert T.ToTensor()(np.array([[0, 255]], np.uint8)).tolist() == [[[0.0, 1.0]]]


def test_to_tensor_keeps_other_dtypes_and_reads_pillow_images():
    f = RNG.random((3, 4, 2))
    out = T.ToTensor()(f)
    assert out.dtype == ember.float64 and np.array_equal(out.numpy(), f.transpose(2, 0, 1))
    rgb = RNG.integers(0, 256, (4, 5, 3), dtype=np.uint8)
    np.testing.assert_array_equal(T.ToTensor()(Image.fromarray(rgb)).numpy(), rgb.transpose(2, 0, 1) / np.float32(255))
    gray = RNG.integers(0, 256, (4, 5), dtype=np.uint8)
    assert T.ToTensor()(Image.fromarray(gray)).shape == (1, 4, 5)
    bits = Image.fromarray(np.array([[0, 255]], np.uint8)).convert("1")
    assert T.ToTensor()(bits).tolist() == [[[0.0, 1.0]]]
    with pytest.raises(TypeError, match="pic should be a PIL Image or a numpy.ndarray, got list"):
        T.ToTensor()([[1]])
    with pytest.raises(ValueError, match="2 or 3 dimensional, got 4"):
        T.ToTensor()(np.zeros((1, 1, 1, 1), np.uint8))


def test_to_tensor_follows_the_default_dtype():
    ember.set_default_dtype(ember.float64)
    try:
        img = RNG.integers(0, 256, (3, 3), dtype=np.uint8)
        out = T.ToTensor()(img)
        assert out.dtype == ember.float64
        np.testing.assert_array_equal(out.numpy(), img[None] / 255.0)
    finally:
        ember.set_default_dtype(ember.float32)


def test_normalize_matches_numpy_per_channel():
    x = RNG.random((3, 4, 5)).astype(np.float32)
    mean, std = (0.5, 0.4, 0.3), (0.2, 0.25, 0.5)
    ref = (x - np.array(mean, np.float32)[:, None, None]) / np.array(std, np.float32)[:, None, None]
    t = ember.tensor(x)
    out = T.Normalize(mean, std)(t)
    np.testing.assert_array_equal(out.numpy(), ref)
    np.testing.assert_array_equal(t.numpy(), x)  # not in place by default
    batch = ember.tensor(np.stack([x, x]))
    np.testing.assert_array_equal(T.Normalize(mean, std)(batch).numpy(), np.stack([ref, ref]))
    same = T.Normalize(mean, std, inplace=True)(t)
    assert same is t
    np.testing.assert_allclose(t.numpy(), ref, rtol=1e-6)


def test_normalize_on_the_device(device):
    x = RNG.random((2, 3, 3)).astype(np.float32)
    out = T.Normalize((0.5, 0.25), (2.0, 0.5))(ember.tensor(x, device=device))
    assert out.device == ember.device(device)
    ref = (x - np.array([0.5, 0.25], np.float32)[:, None, None]) / np.array([2.0, 0.5], np.float32)[:, None, None]
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-6)


def test_normalize_errors():
    with pytest.raises(ValueError, match="std evaluated to zero"):
        T.Normalize(0.5, 0.0)(ember.zeros(1, 2, 2))
    with pytest.raises(ValueError, match="mean has 2 values but the image has 3 channels"):
        T.Normalize((0.1, 0.2), (1.0, 1.0))(ember.zeros(3, 2, 2))
    with pytest.raises(TypeError, match="apply ToTensor first"):
        T.Normalize(0.5, 0.5)(np.zeros((1, 2, 2), np.float32))
    with pytest.raises(TypeError, match="should be a float tensor"):
        T.Normalize(0.5, 0.5)(ember.zeros(1, 2, 2, dtype=ember.uint8))
    with pytest.raises(ValueError, match=r"\(\.\.\., C, H, W\)"):
        T.Normalize(0.5, 0.5)(ember.zeros(2, 2))


@pytest.mark.parametrize("shape,mean,std", [((28, 28), (0.1307,), (0.3081,)), ((6, 5, 3), (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_compose_gives_exactly_the_values_of_the_steps_one_by_one(shape, mean, std, dtype):
    img = RNG.integers(0, 256, shape, dtype=np.uint8)
    ember.set_default_dtype(dtype)
    try:
        composed = T.Compose([T.ToTensor(), T.Normalize(mean, std)])
        out = composed(img)
        stepwise = T.Normalize(mean, std)(T.ToTensor()(img))
        chw = img[None] if img.ndim == 2 else img.transpose(2, 0, 1)
        nd = dtype.numpy
        ref = (chw.astype(nd) / nd.type(255) - np.array(mean, nd)[:, None, None]) / np.array(std, nd)[:, None, None]
        assert out.dtype == dtype and out.shape == ref.shape
        np.testing.assert_array_equal(out.numpy(), stepwise.numpy())
        np.testing.assert_array_equal(out.numpy(), ref)
        assert out.numpy().flags.c_contiguous
        assert composed(Image.fromarray(img)).tolist() == out.tolist()
    finally:
        ember.set_default_dtype(ember.float32)


def test_compose_lambda_and_repr():
    t = T.Compose([T.Lambda(lambda a: a + 1), T.ToTensor(), T.Normalize(1.0, 2.0), T.Lambda(lambda x: x * 2)])
    out = t(np.zeros((2, 2), np.uint8))  # (1/255 - 1) / 2 * 2
    np.testing.assert_allclose(out.numpy(), np.full((1, 2, 2), (1 / 255 - 1)), rtol=1e-6)
    assert "ToTensor()" in repr(t) and "Normalize(mean=[1.0], std=[2.0])" in repr(t)
    with pytest.raises(TypeError, match="should be callable"):
        T.Lambda(3)


def test_random_horizontal_flip_on_every_kind_of_image():
    hwc = RNG.integers(0, 256, (2, 3, 3), dtype=np.uint8)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(hwc), hwc[:, ::-1])
    np.testing.assert_array_equal(np.asarray(T.RandomHorizontalFlip(p=1.0)(Image.fromarray(hwc))), hwc[:, ::-1])
    chw = ember.tensor(hwc.transpose(2, 0, 1))
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(chw).numpy(), hwc.transpose(2, 0, 1)[..., ::-1])
    assert T.RandomHorizontalFlip(p=0.0)(hwc) is hwc


def test_random_transforms_follow_embers_seed():
    flip = T.RandomHorizontalFlip(p=0.5)
    img = np.arange(6, dtype=np.uint8).reshape(2, 3)

    def draws(seed):
        ember.manual_seed(seed)
        return [bool(flip(img)[0, 0] == 2) for _ in range(200)]

    a = draws(0)
    assert a == draws(0) and a != draws(1)
    assert 70 < sum(a) < 130  # about half of them flipped


def test_random_crop_windows_and_padding():
    img = RNG.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    crop = T.RandomCrop((4, 5))
    ember.manual_seed(0)
    seen = set()
    for _ in range(60):
        out = crop(img)
        assert out.shape == (4, 5, 3)
        # The window is somewhere in the image: find its offset.
        hits = [(i, j) for i in range(3) for j in range(4) if np.array_equal(img[i : i + 4, j : j + 5], out)]
        assert hits
        seen.add(hits[0])
    assert len(seen) > 6  # offsets vary
    ember.manual_seed(5)
    first = [crop(img).tolist() for _ in range(5)]
    ember.manual_seed(5)
    assert [crop(img).tolist() for _ in range(5)] == first


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_random_crop_padding_modes_match_numpy_pad(mode):
    img = RNG.integers(0, 256, (3, 4), dtype=np.uint8)
    crop = T.RandomCrop((3 + 2 * 2, 4 + 2 * 2), padding=2, padding_mode=mode, fill=7)  # the whole padded image
    kw = {"constant_values": 7} if mode == "constant" else {}
    np.testing.assert_array_equal(crop(img), np.pad(img, 2, mode=mode, **kw))
    asym = T.RandomCrop((3 + 1 + 3, 4 + 2 + 0), padding=(2, 1, 0, 3), padding_mode=mode, fill=7)  # left, top, right, bottom
    np.testing.assert_array_equal(asym(img), np.pad(img, ((1, 3), (2, 0)), mode=mode, **kw))


def test_random_crop_on_pillow_and_tensors_and_errors():
    img = RNG.integers(0, 256, (5, 5), dtype=np.uint8)
    out = T.RandomCrop(5, padding=1)(Image.fromarray(img))
    assert isinstance(out, Image.Image) and out.size == (5, 5)
    t = ember.tensor(img[None].astype(np.float32))
    out = T.RandomCrop(7, padding=1)(t)
    assert isinstance(out, ember.Tensor) and out.shape == (1, 7, 7)
    np.testing.assert_array_equal(out.numpy()[0], np.pad(img.astype(np.float32), 1))
    assert T.RandomCrop(8, pad_if_needed=True)(img).shape == (8, 8)
    with pytest.raises(ValueError, match=r"required crop size \(6, 6\) is larger than the \(padded\) input image size \(5, 5\)"):
        T.RandomCrop(6)(img)
    with pytest.raises(ValueError, match="padding_mode"):
        T.RandomCrop(2, padding_mode="wrap")
