"""ember.save / ember.load: round trips, atomic writes, and files that must be refused."""

from __future__ import annotations

import io
import os
import pickle
import zipfile
import zlib
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

import ember
import ember.optim as optim
from ember.serialization import SerializationError

ALL_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]


def _supported(backend, name: str) -> ember.DType:
    dtype = getattr(ember, "bool_" if name == "bool" else name)
    if dtype not in backend.dtypes:
        pytest.skip(f"backend {backend.name} has no {name}")
    return dtype


def _host(t: ember.Tensor) -> np.ndarray:
    a = t.detach().numpy()
    return a.view(np.uint16) if t.dtype is ember.bfloat16 else a


def _sample(dtype: ember.DType, shape: tuple[int, ...], device: str) -> ember.Tensor:
    rng = np.random.default_rng(abs(hash((dtype.name, shape))) % 2**32)
    n = int(np.prod(shape))
    if dtype is ember.bool_:
        values = rng.random(n) < 0.5
    elif dtype.is_floating_point:
        values = rng.standard_normal(n) * 100
        values[:3] = [np.inf, -np.inf, -0.0][: min(3, n)]
    else:
        info = np.iinfo(dtype.numpy)
        values = rng.integers(info.min, info.max, n, endpoint=True, dtype=dtype.numpy)
    return ember.tensor(values.reshape(shape), dtype=dtype, device=device)


def _rewrite_metadata(path: Path, **changes: str) -> None:
    """Rewrite some of a checkpoint's metadata entries (keeping its structure checksum right)."""
    with safe_open(path, "numpy") as f:
        meta = f.metadata()
    meta.update(changes)
    meta["ember.structure_crc32"] = str(zlib.crc32(meta["ember.structure"].encode()))
    save_file(load_file(path), path, metadata=meta)


def _round_trip(obj, tmp_path: Path, **load_kw):
    path = tmp_path / "ckpt.ember"
    ember.save(obj, path)
    return ember.load(path, **load_kw)


# -- round trips -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype_name", ALL_DTYPES)
def test_every_dtype_round_trips_bit_exactly(device: str, backend, tmp_path: Path, dtype_name: str) -> None:
    dtype = _supported(backend, dtype_name)
    tensors = {str(s): _sample(dtype, s, device) for s in [(), (0,), (7,), (3, 4, 5), (2, 0, 3)]}
    loaded = _round_trip(tensors, tmp_path)
    assert list(loaded) == list(tensors)
    for key, t in tensors.items():
        got = loaded[key]
        assert got.dtype is dtype and got.shape == t.shape and str(got.device) == str(t.device)
        np.testing.assert_array_equal(_host(got), _host(t))


def test_nan_payloads_and_bfloat16_bits_survive(device: str, backend, tmp_path: Path) -> None:
    dtype = _supported(backend, "bfloat16")
    bits = np.array([0x7FC1, 0xFF80, 0x0001, 0x8000, 0x3F80], np.uint16)  # a NaN payload, -inf, a subnormal, -0, 1
    t = ember.tensor(bits.view(dtype.numpy), dtype=dtype, device=device)
    np.testing.assert_array_equal(_host(_round_trip(t, tmp_path)), bits)


def test_requires_grad_is_kept_and_grad_is_not(device: str, tmp_path: Path) -> None:
    w = ember.tensor([1.0, 2.0], device=device, requires_grad=True)
    (w * w).sum().backward()
    loaded = _round_trip({"w": w, "x": w.detach()}, tmp_path)
    assert loaded["w"].requires_grad and loaded["w"].is_leaf and loaded["w"].grad is None
    assert not loaded["x"].requires_grad


def test_views_and_non_contiguous_tensors(device: str, tmp_path: Path) -> None:
    base = ember.arange(24, device=device).reshape(4, 6).float()
    obj = {"t": base.T, "slice": base[1:3, ::2], "base": base}
    loaded = _round_trip(obj, tmp_path)
    for key in obj:
        np.testing.assert_array_equal(loaded[key].numpy(), obj[key].numpy())


def test_views_load_sharing_memory_with_their_base(device: str, tmp_path: Path) -> None:
    """As PyTorch's storages: a tensor and its views load as views of one block, with the saved layout."""
    a = ember.arange(12.0, device=device)
    obj = {"a": a, "tail": a[2:5], "t": a.reshape(3, 4).t(), "row": a.reshape(3, 4)[1]}
    loaded = _round_trip(obj, tmp_path)
    for key in obj:
        np.testing.assert_array_equal(loaded[key].numpy(), obj[key].numpy())
        assert loaded[key].stride() == obj[key].stride()
        assert loaded[key].storage_offset() == obj[key].storage_offset()
    loaded["tail"][0] = -1.0
    assert loaded["a"][2].item() == -1.0 and loaded["t"][2, 0].item() == -1.0  # one memory block
    alone = _round_trip(a[2:5], tmp_path)  # a view saved alone keeps its whole block, as PyTorch
    assert alone.tolist() == [2.0, 3.0, 4.0] and alone.storage_offset() == 2
    w = ember.ones(4, device=device, requires_grad=True)
    got = _round_trip({"view": w[1:]}, tmp_path)["view"]
    assert got.requires_grad and got.tolist() == [1.0] * 3


def test_nested_structures_keep_their_types(device: str, tmp_path: Path) -> None:
    t = ember.ones(2, 3, device=device)
    obj = {
        "model": OrderedDict([("layer.weight", t), ("layer.bias", ember.zeros(3, device=device))]),
        "list": [1, 2.5, -0.0, float("inf"), float("-inf"), None, True, "text", [t, (1, "two")]],
        "tuple": (3, (4, 5)),
        7: "int key",
        (1, "a"): "tuple key",
        None: "none key",
        2.5: "float key",
        "dtype": ember.float16,
        "device": ember.device(device),
        "empty": {"list": [], "dict": {}, "tuple": ()},
        "big": 2**62 + 1,
    }
    loaded = _round_trip(obj, tmp_path)
    assert list(loaded) == list(obj)
    assert type(loaded["model"]) is OrderedDict and list(loaded["model"]) == ["layer.weight", "layer.bias"]
    assert loaded["list"][:8] == [1, 2.5, -0.0, float("inf"), float("-inf"), None, True, "text"]
    assert isinstance(loaded["list"][1], float) and isinstance(loaded["list"][0], int)
    assert loaded["list"][8][1] == (1, "two") and isinstance(loaded["tuple"][1], tuple)
    assert loaded[7] == "int key" and loaded[(1, "a")] == "tuple key" and loaded[None] == "none key"
    assert loaded[2.5] == "float key" and loaded["big"] == 2**62 + 1
    assert loaded["dtype"] is ember.float16 and loaded["device"] == ember.device(device)
    assert loaded["empty"] == {"list": [], "dict": {}, "tuple": ()}
    nan = _round_trip([float("nan")], tmp_path)[0]
    assert nan != nan


def test_a_shared_tensor_is_stored_once_and_loads_as_one(device: str, tmp_path: Path) -> None:
    t = ember.ones(1000, device=device)
    loaded = _round_trip({"a": t, "b": [t], "c": ember.ones(1000, device=device)}, tmp_path)
    assert loaded["a"] is loaded["b"][0] and loaded["a"] is not loaded["c"]
    assert sorted(load_file(tmp_path / "ckpt.ember")) == ["a", "c"]


def test_tensors_are_named_by_their_path(device: str, tmp_path: Path) -> None:
    p = ember.tensor([1.0, 2.0], device=device, requires_grad=True)
    opt = optim.Adam([p])
    p.grad = ember.ones(2, device=device)
    opt.step()
    ember.save({"model": {"fc.weight": p}, "optimizer": opt.state_dict(), "x": [ember.zeros(1, device=device)]},
               tmp_path / "ckpt.ember")  # fmt: skip
    names = set(load_file(tmp_path / "ckpt.ember"))
    assert names == {"model.fc.weight", "optimizer.state.0.exp_avg", "optimizer.state.0.exp_avg_sq", "x.0"}


def test_a_bare_tensor_and_file_objects(device: str, tmp_path: Path) -> None:
    t = ember.arange(5, device=device)
    buf = io.BytesIO()
    ember.save(t, buf)
    buf.seek(0)
    np.testing.assert_array_equal(ember.load(buf).numpy(), np.arange(5))
    with open(tmp_path / "f.ember", "wb") as f:
        ember.save([t], f)
    with open(tmp_path / "f.ember", "rb") as f:
        np.testing.assert_array_equal(ember.load(f)[0].numpy(), np.arange(5))
    ember.save(t, str(tmp_path / "s.ember"))  # str paths too
    assert ember.load(str(tmp_path / "s.ember")).tolist() == [0, 1, 2, 3, 4]


def test_map_location(device: str, tmp_path: Path) -> None:
    t = ember.ones(3, device=device)
    path = tmp_path / "ckpt.ember"
    ember.save({"t": t}, path)
    assert ember.load(path)["t"].device == t.device
    assert ember.load(path, map_location=device)["t"].device == t.device
    assert ember.load(path, map_location=ember.device(device))["t"].device == t.device
    assert ember.load(path, map_location={str(t.device): device})["t"].device == t.device
    # a function, as PyTorch's `lambda storage, loc: storage`: called with the host tensor and the saved device
    seen: list = []
    out = ember.load(path, map_location=lambda t, loc: seen.append((t.device.type, loc)) or t.to(device))["t"]
    assert out.device == t.device and out.tolist() == [1.0] * 3 and seen == [("cpu", str(t.device))]
    assert ember.load(path, map_location=lambda t, loc: None)["t"].device == t.device  # None: the saved device
    with pytest.raises(TypeError, match="map_location returned a str for tensor 't'"):
        ember.load(path, map_location=lambda t, loc: "cpu")
    with pytest.raises(TypeError, match="map_location must be"):
        ember.load(path, map_location=3)
    with pytest.raises(RuntimeError, match="map_location"):
        ember.load(path, map_location="nosuchdevice")


def test_complex_bytes_and_sets_round_trip(tmp_path: Path) -> None:
    """Python values PyTorch's weights_only loader also accepts: complex numbers, bytes, sets."""
    obj = {"z": 1 + 2j, "w": complex(float("inf"), -0.0), "b": b"\x00ab", "s": {1, "a", (2, 3)}, "f": frozenset({4})}
    path = tmp_path / "ckpt.ember"
    ember.save(obj, path)
    got = ember.load(path, weights_only=None, mmap=True)
    assert got == obj and type(got["s"]) is set and type(got["f"]) is frozenset
    assert str(got["w"]) == "(inf-0j)"  # the sign of a zero imaginary part survives
    with pytest.raises(ValueError, match="weights_only=False"):
        ember.load(path, weights_only=False)


def test_a_tensor_saved_on_a_missing_device_says_to_use_map_location(tmp_path: Path) -> None:
    # rewrite a file's recorded device to one no backend provides (as if saved on a GPU machine)
    path = tmp_path / "ckpt.ember"
    ember.save({"t": ember.zeros(2)}, path)
    with safe_open(path, "numpy") as f:
        structure = f.metadata()["ember.structure"]
    _rewrite_metadata(path, **{"ember.structure": structure.replace('"device":"cpu"', '"device":"nosuchdevice:3"')})
    with pytest.raises(RuntimeError, match=r"cannot put tensor 't'.*nosuchdevice.*map_location"):
        ember.load(path)
    assert ember.load(path, map_location="cpu")["t"].tolist() == [0.0, 0.0]


def test_optimizer_checkpoint_round_trip(device: str, tmp_path: Path) -> None:
    params = [ember.tensor([1.0, -1.0], device=device, requires_grad=True)]
    opt = optim.AdamW(params, amsgrad=True)
    params[0].grad = ember.tensor([0.5, 0.25], device=device)
    opt.step()
    loaded = _round_trip(opt.state_dict(), tmp_path)
    assert loaded["param_groups"][0]["betas"] == (0.9, 0.999)  # tuples stay tuples
    assert loaded["state"][0]["step"] == 1 and set(loaded["state"]) == {0}
    np.testing.assert_array_equal(loaded["state"][0]["exp_avg"].numpy(), opt.state[params[0]]["exp_avg"].numpy())


def test_unsupported_objects_are_refused_naming_where(device: str, tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"type object at 'a\.0'"):
        ember.save({"a": [object()]}, tmp_path / "x")

    class Model:
        def state_dict(self) -> dict:
            return {}

    with pytest.raises(TypeError, match=r"save model\.state_dict\(\)"):
        ember.save(Model(), tmp_path / "x")
    with pytest.raises(TypeError, match="dict key of type Tensor"):
        ember.save({ember.ones(1, device=device): 1}, tmp_path / "x")
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError, match="refers to itself"):
        ember.save(loop, tmp_path / "x")
    with pytest.raises(TypeError, match="path or a binary file object"):
        ember.save({}, 42)
    assert not (tmp_path / "x").exists() and os.listdir(tmp_path) == []


# -- atomic writes ---------------------------------------------------------------------------------------------


def _old_checkpoint(tmp_path: Path) -> Path:
    path = tmp_path / "ckpt.ember"
    ember.save({"version": "old", "t": ember.ones(4)}, path)
    return path


def _assert_old_and_alone(path: Path) -> None:
    assert ember.load(path)["version"] == "old"
    assert os.listdir(path.parent) == [path.name], "a temporary file was left behind"


def test_a_failure_mid_write_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import safetensors.numpy

    path = _old_checkpoint(tmp_path)
    real_save_file = safetensors.numpy.save_file

    def crash_halfway(tensors, filename, metadata=None):
        real_save_file(tensors, filename, metadata=metadata)
        with open(filename, "r+b") as f:  # the process dies after writing part of the file
            f.truncate(os.path.getsize(filename) // 2)
        raise OSError("No space left on device")

    monkeypatch.setattr(safetensors.numpy, "save_file", crash_halfway)
    with pytest.raises(OSError, match="No space left"):
        ember.save({"version": "new", "t": ember.zeros(1000)}, path)
    _assert_old_and_alone(path)


@pytest.mark.parametrize("where", ["os.replace", "os.fsync"])
def test_a_failure_before_the_rename_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    path = _old_checkpoint(tmp_path)

    def boom(*args, **kwargs):
        raise KeyboardInterrupt  # even an interrupt cleans up

    monkeypatch.setattr(os, where.split(".")[1], boom)
    with pytest.raises(KeyboardInterrupt):
        ember.save({"version": "new"}, path)
    monkeypatch.undo()
    _assert_old_and_alone(path)


def test_a_failed_first_save_creates_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError("disk gone")))
    with pytest.raises(OSError):
        ember.save({"t": ember.ones(1)}, tmp_path / "new.ember")
    assert os.listdir(tmp_path) == []


def test_saving_replaces_and_respects_the_umask(tmp_path: Path) -> None:
    path = _old_checkpoint(tmp_path)
    ember.save({"version": "new"}, path)
    assert ember.load(path) == {"version": "new"} and os.listdir(tmp_path) == [path.name]
    if os.name == "posix":
        umask = os.umask(0o022)
        os.umask(umask)
        assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask


# -- files that must be refused -----------------------------------------------------------------------------------


def _small_checkpoint(tmp_path: Path) -> bytes:
    path = tmp_path / "ckpt.ember"
    ember.save({"w": ember.tensor([1.5, -2.0, 3.25]), "step": 3, "k": ember.tensor([1, 2], dtype=ember.int32)}, path)
    return path.read_bytes()


def test_every_truncation_is_refused_naming_the_file(tmp_path: Path) -> None:
    data = _small_checkpoint(tmp_path)
    bad = tmp_path / "bad.ember"
    for cut in range(len(data)):
        bad.write_bytes(data[:cut])
        with pytest.raises(SerializationError, match="bad.ember") as info:
            ember.load(bad)
        assert "truncated" in str(info.value) or cut < 8, f"cut at {cut}: {info.value}"
        with pytest.raises(SerializationError):
            ember.load(io.BytesIO(data[:cut]))


def test_every_flipped_byte_is_detected(tmp_path: Path) -> None:
    data = _small_checkpoint(tmp_path)
    bad = tmp_path / "bad.ember"
    for i in range(len(data)):
        flipped = bytearray(data)
        flipped[i] ^= 0x01
        bad.write_bytes(bytes(flipped))
        with pytest.raises(SerializationError, match="bad.ember"):
            ember.load(bad)
            pytest.fail(f"a flipped bit in byte {i} ({data[i:i + 1]!r}) went unnoticed")


def test_trailing_garbage_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ember"
    bad.write_bytes(_small_checkpoint(tmp_path) + b"\x00" * 16)
    with pytest.raises(SerializationError, match="bad.ember"):
        ember.load(bad)


class _Payload:
    """Unpickling this would create a file: the proof that loading ran code."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickles_are_refused_without_running_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "pwned"
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        path = tmp_path / f"evil{protocol}.pt"
        path.write_bytes(pickle.dumps({"w": _Payload(str(marker))}, protocol=protocol))
        with pytest.raises(SerializationError, match=rf"evil{protocol}\.pt.*pickle.*never unpickles"):
            ember.load(path)
    zpath = tmp_path / "torch_style.pt"
    with zipfile.ZipFile(zpath, "w") as z:  # what torch.save writes: a zip holding data.pkl
        z.writestr("archive/data.pkl", pickle.dumps(_Payload(str(marker))))
    with pytest.raises(SerializationError, match="zip archive.*never unpickles"):
        ember.load(zpath)
    assert not marker.exists()


def test_loading_never_touches_pickle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _small_checkpoint(tmp_path)

    def forbidden(*args, **kwargs):
        raise AssertionError("ember.load used pickle")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, forbidden)
    assert ember.load(tmp_path / "ckpt.ember")["step"] == 3
    with pytest.raises(ValueError, match="weights_only=False is not supported"):
        ember.load(tmp_path / "ckpt.ember", weights_only=False)


def test_other_files_are_refused_clearly(tmp_path: Path) -> None:
    plain = tmp_path / "model.safetensors"
    save_file({"w": np.ones(3, np.float32)}, plain)
    with pytest.raises(SerializationError, match=r"model\.safetensors.*safetensors file but not an Ember checkpoint"):
        ember.load(plain)
    text = tmp_path / "notes.txt"
    text.write_text("hello, this is not a checkpoint")
    with pytest.raises(SerializationError, match=r"notes\.txt.*not an Ember checkpoint.*not a safetensors file"):
        ember.load(text)
    empty = tmp_path / "empty.ember"
    empty.write_bytes(b"")
    with pytest.raises(SerializationError, match=r"empty\.ember.*only 0 bytes"):
        ember.load(empty)
    with pytest.raises(FileNotFoundError):
        ember.load(tmp_path / "missing.ember")


def test_a_deeply_nested_structure_is_refused_not_crashed(tmp_path: Path) -> None:
    path = tmp_path / "ckpt.ember"
    _small_checkpoint(tmp_path)
    for depth in (700, 200_000):  # deep enough for the decoder's recursion, then for json's
        _rewrite_metadata(path, **{"ember.structure": "[" * depth + "]" * depth})
        with pytest.raises(SerializationError, match=r"ckpt\.ember' is corrupt.*(nested too deeply|not valid JSON)"):
            ember.load(path)


def test_a_checkpoint_from_a_newer_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ckpt.ember"
    _small_checkpoint(tmp_path)
    _rewrite_metadata(path, **{"ember.format": "2"})
    with pytest.raises(SerializationError, match="format 2.*upgrade ember-core"):
        ember.load(path)
