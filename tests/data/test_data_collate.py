"""default_collate / default_convert: structures, dtypes, and errors that name the sample."""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest

import ember
from ember.data import default_collate, default_convert

Point = namedtuple("Point", ["x", "y"])


def test_tensors_and_arrays_are_stacked():
    rows = [np.arange(6, dtype=np.float32).reshape(2, 3) + i for i in range(4)]
    out = default_collate([ember.tensor(r) for r in rows])
    assert isinstance(out, ember.Tensor) and out.shape == (4, 2, 3) and out.dtype == ember.float32
    np.testing.assert_array_equal(out.numpy(), np.stack(rows))
    out = default_collate(rows)
    assert isinstance(out, ember.Tensor) and out.dtype == ember.float32
    np.testing.assert_array_equal(out.numpy(), np.stack(rows))
    out = default_collate([np.array(3, dtype=np.int16), np.array(4, dtype=np.int16)])  # 0-d arrays
    assert out.tolist() == [3, 4] and out.dtype == ember.int16


def test_numbers_follow_pytorch_dtypes():
    assert default_collate([1, 2, 3]).dtype == ember.int64
    f = default_collate([1.5, 2.0])
    assert f.dtype == ember.float64 and f.tolist() == [1.5, 2.0]
    b = default_collate([True, False])
    assert b.dtype == ember.bool and b.tolist() == [True, False]
    assert default_collate([np.float32(1), np.float32(2)]).dtype == ember.float32
    assert default_collate([1, 2.5]).tolist() == [1.0, 2.5]  # ints mixed with floats: floats
    assert default_collate(["a", "b"]) == ["a", "b"]


def test_nested_structures():
    batch = [
        {"image": np.full((2, 2), i, np.uint8), "meta": (i, f"id{i}"), "p": Point(float(i), [i, i + 1])}
        for i in range(3)
    ]
    out = default_collate(batch)
    assert set(out) == {"image", "meta", "p"}
    np.testing.assert_array_equal(out["image"].numpy(), np.stack([np.full((2, 2), i, np.uint8) for i in range(3)]))
    assert out["image"].dtype == ember.uint8
    ids, names = out["meta"]  # a tuple field becomes a list of batches, as in PyTorch
    # strings are left as the batch they come in: here a field of tuple samples, so a tuple (PyTorch's result)
    assert isinstance(out["meta"], list) and ids.tolist() == [0, 1, 2] and names == ("id0", "id1", "id2")
    assert default_collate(["a", "b"]) == ["a", "b"]
    assert isinstance(out["p"], Point)
    assert out["p"].x.tolist() == [0.0, 1.0, 2.0]
    assert [t.tolist() for t in out["p"].y] == [[0, 1, 2], [1, 2, 3]]


def test_shape_mismatch_names_the_sample_and_both_shapes():
    batch = [(np.zeros((3, 4)), 0), (np.zeros((3, 4)), 1), (np.zeros((3, 5)), 2)]
    with pytest.raises(RuntimeError, match=r"at \[0\]: sample 2 has shape \(3, 5\) but sample 0 has shape \(3, 4\)"):
        default_collate(batch)
    with pytest.raises(RuntimeError, match=r"sample 1 has shape \(2,\) but sample 0 has shape \(3,\)"):
        default_collate([ember.zeros(3), ember.zeros(2)])


def test_structure_errors():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size: sample 1 has length 1"):
        default_collate([[1, 2], [1]])
    with pytest.raises(KeyError, match="sample 1 has no key 'b'"):
        default_collate([{"a": 1, "b": 2}, {"a": 3}])
    with pytest.raises(TypeError, match="found <class 'NoneType'>"):
        default_collate([None, None])
    with pytest.raises(TypeError, match="sample 1 is a str, but sample 0 is a tensor"):
        default_collate([ember.zeros(2), "x"])
    with pytest.raises(TypeError, match="sample 1 is a str, but sample 0 is a number"):
        default_collate([1, "x"])
    with pytest.raises(TypeError, match="numpy array of dtype <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_mixed_dtypes_promote_like_numpy():
    out = default_collate([np.zeros(2, np.float32), np.ones(2, np.float64)])
    assert out.dtype == ember.float64 and out.tolist() == [[0.0, 0.0], [1.0, 1.0]]


def test_default_convert_keeps_structure_without_batching():
    out = default_convert({"a": np.arange(3), "b": 5, "c": (np.ones(2, np.float32), "s")})
    assert isinstance(out["a"], ember.Tensor) and out["a"].tolist() == [0, 1, 2]
    assert out["b"] == 5 and isinstance(out["b"], int)
    assert isinstance(out["c"], list) and out["c"][0].dtype == ember.float32 and out["c"][1] == "s"


def test_collated_tensors_share_the_stacked_memory_on_cpu(device):
    if device != "cpu":
        pytest.skip("host memory sharing is a property of the cpu device")
    out = default_collate([np.zeros(3, np.float32), np.ones(3, np.float32)])
    host = out.numpy()
    host[0, 0] = 7.0  # the tensor is a view of the one stacked array: no copy was made after stacking
    assert out[0, 0].item() == 7.0


def test_mapping_types_and_mixed_dtypes_as_pytorch():
    from collections import OrderedDict, defaultdict

    # a MutableMapping is copied from the first sample and updated (PyTorch's rule): a defaultdict stays one
    out = default_collate([defaultdict(int, a=1), defaultdict(int, a=2)])
    assert type(out) is defaultdict and out["a"].tolist() == [1, 2] and out["missing"] == 0
    assert type(default_collate([OrderedDict(b=1.0)] * 2)) is OrderedDict
    assert type(default_convert(defaultdict(list, a=np.ones(1)))) is defaultdict
    # samples of different dtypes stack with ember's (PyTorch's) promotion, not NumPy's: int64 with float32 is
    # float32 (NumPy would give float64); the same for arrays, which PyTorch turns into tensors first
    mixed = default_collate([ember.tensor([1]), ember.tensor([2.5])])
    assert mixed.dtype == ember.float32 and mixed.tolist() == [[1.0], [2.5]]
    arrays = default_collate([np.array([1], np.int64), np.array([2.5], np.float32)])
    assert arrays.dtype == ember.float32
    assert default_collate([ember.tensor([1], dtype=ember.int8), ember.tensor([300])]).dtype == ember.int64
