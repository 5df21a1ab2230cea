"""Tensor attributes and utilities beyond the ops: layout, type names, dtype limits, printing, threads.

Expected values are PyTorch's documented results (checked against torch 2.13 by hand), or NumPy's.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember


def test_layout_of_views(device: str) -> None:
    x = ember.arange(12.0, device=device).reshape(3, 4)
    assert x.stride() == (4, 1) and x.stride(0) == 4 and x.stride(-1) == 1
    assert x.storage_offset() == 0 and x.is_contiguous()
    v = x[1:, ::2]
    assert v.stride() == (4, 2) and v.storage_offset() == 4 and not v.is_contiguous()
    assert x.t().stride() == (1, 4) and not x.t().is_contiguous()
    assert x[1].is_contiguous() and x[1].storage_offset() == 4
    e = ember.ones(1, 3, device=device).expand(4, 3)
    assert e.stride() == (0, 1) and not e.is_contiguous()
    assert ember.empty(0, 3, device=device).t().is_contiguous()
    # an empty tensor has PyTorch's row-major strides over max(size, 1)
    assert ember.zeros(0, 3, device=device).stride() == (3, 1) and ember.zeros(3, 0, device=device).stride() == (1, 1)
    assert ember.zeros(2, 0, 4, device=device).stride() == (4, 4, 1)
    assert x[1].data_ptr() - x.data_ptr() == 4 * x.element_size()
    with pytest.raises(IndexError, match="stride"):
        x.stride(2)


def test_untyped_storage_is_the_whole_block_as_bytes(device: str) -> None:
    x = ember.arange(6.0, device=device).reshape(2, 3)
    v = x[:, 1:]
    s = v.untyped_storage()
    assert isinstance(s, ember.UntypedStorage) and s.device == v.device
    assert s.nbytes() == s.size() == len(s) >= 24 and s.element_size() == 1
    assert s.data_ptr() == v.data_ptr() - v.storage_offset() * v.element_size()
    assert s.data_ptr() == x.t().untyped_storage().data_ptr()  # views share the block
    assert s.data_ptr() != x.clone().untyped_storage().data_ptr()
    want = np.arange(6.0, dtype=np.float32).view(np.uint8).tolist()
    assert s.tolist()[:24] == want and s[4] == want[4] and s[-1] == s.tolist()[-1] and s[4:8] == want[4:8]
    assert not s.is_shared()
    one = ember.tensor([1.0], device=device).untyped_storage()  # an allocator may round the block up
    assert repr(one).endswith(f"[ember.UntypedStorage(device={device}:0) of size {len(one)}]".replace("cpu:0", "cpu"))
    with pytest.raises(IndexError, match="out of range for a storage of"):
        s[len(s)]


def test_sizes_and_counts(device: str) -> None:
    x = ember.zeros(3, 4, dtype=ember.float64, device=device)
    assert (x.itemsize, x.nbytes, x.ndimension(), x.nelement()) == (8, 96, 2, 12)
    assert ember.zeros(2, dtype=ember.int16, device=device).nbytes == 4


def test_device_predicates(device: str) -> None:
    x = ember.ones(2, device=device)
    assert x.is_cpu == (device == "cpu") and x.is_cuda == (device == "cuda")
    assert x.get_device() == (-1 if device == "cpu" else 0)
    assert not x.is_pinned() and x.pin_memory() is x


def test_type_names_and_casts(device: str) -> None:
    x = ember.ones(2, 3, device=device)
    where = "" if device == "cpu" else f"{device}."
    assert x.type() == f"ember.{where}FloatTensor"
    assert x.long().type() == f"ember.{where}LongTensor" and x.bool().type() == f"ember.{where}BoolTensor"
    assert x.type(ember.int64).dtype is ember.int64
    assert x.type("torch.DoubleTensor").dtype is ember.float64 and x.type("ember.ByteTensor").dtype is ember.uint8
    with pytest.raises(ValueError, match="type.*ComplexTensor"):
        x.type("torch.ComplexTensor")


def test_conjugate_transposes_and_real_parts(device: str) -> None:
    a = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    x = ember.tensor(a, device=device)
    np.testing.assert_array_equal(x.H.numpy(), a.T)
    b = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_array_equal(ember.tensor(b, device=device).mH.numpy(), np.swapaxes(b, -1, -2))
    assert x.real is x and not x.is_complex() and not ember.is_complex(x)
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex dtypes"):
        x.imag
    with pytest.raises(RuntimeError, match=r"tensor.H is only supported on matrices \(2-D tensors\). Got 3-D"):
        ember.tensor(b, device=device).H
    with pytest.raises(RuntimeError, match="tensor.mH is only supported on matrices or batches of matrices. Got 1-D"):
        ember.ones(3, device=device).mH


def test_clamp_min_max_methods(device: str) -> None:
    x = ember.tensor([-2.0, 0.5, 3.0], device=device)
    np.testing.assert_array_equal(x.clamp_min(0).numpy(), [0.0, 0.5, 3.0])
    np.testing.assert_array_equal(x.clamp_max(1).numpy(), [-2.0, 0.5, 1.0])
    x.clamp_min_(0)
    x.clamp_max_(1)
    np.testing.assert_array_equal(x.numpy(), [0.0, 0.5, 1.0])


def test_apply_and_map_run_python_per_element(device: str) -> None:
    t = ember.tensor([1, 2, 3], device=device)
    assert t.apply_(lambda v: v * 2) is t
    t.map_(ember.tensor([10, 20, 30], device=device), lambda a, b: a + b)
    assert t.tolist() == [12, 24, 36]
    with pytest.raises(TypeError, match="map_: expected ember.*LongTensor for 'other'.*FloatTensor"):  # PyTorch's check
        t.map_(ember.tensor([1.5, 1.5, 1.5], device=device), lambda a, b: a * b)
    with pytest.raises(RuntimeError, match="apply_.*grad"):
        ember.ones(2, requires_grad=True, device=device).apply_(abs)


def test_resize_keeps_leading_elements(device: str) -> None:
    z = ember.arange(6.0, device=device)
    assert z.resize_(2, 2) is z and z.shape == (2, 2)
    assert z.tolist() == [[0.0, 1.0], [2.0, 3.0]]
    z.resize_((3, 3))
    assert z.shape == (3, 3) and z.reshape(-1)[:4].tolist() == [0.0, 1.0, 2.0, 3.0]
    with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
        ember.ones(2, requires_grad=True, device=device).resize_(3)


@pytest.mark.parametrize("name", ["float16", "bfloat16", "float32", "float64"])
def test_finfo_matches_numpy(name: str) -> None:
    d = getattr(ember, name)
    info = ember.finfo(d)
    ref = np.finfo(d.numpy)
    assert info.bits == 8 * d.itemsize and info.eps == float(ref.eps) and info.max == float(ref.max)
    assert info.min == float(ref.min) and info.tiny == info.smallest_normal == float(ref.smallest_normal)
    assert info.resolution == 10.0 ** -math.floor(-math.log10(info.eps)) and info.dtype == name
    assert ember.finfo().dtype == ember.get_default_dtype().name
    with pytest.raises(TypeError, match="finfo.*int32"):
        ember.finfo(ember.int32)


def test_iinfo_and_can_cast() -> None:
    assert (ember.iinfo(ember.uint8).min, ember.iinfo(ember.uint8).max) == (0, 255)
    assert ember.iinfo(ember.int64).max == 2**63 - 1 and ember.iinfo(ember.int16).bits == 16
    with pytest.raises(TypeError, match="iinfo.*float32"):
        ember.iinfo(ember.float32)
    assert ember.can_cast(ember.int8, ember.uint8) and ember.can_cast(ember.bool, ember.int8)
    assert ember.can_cast(ember.float64, ember.float16) and ember.can_cast(ember.int64, ember.float32)
    assert not ember.can_cast(ember.float32, ember.int32) and not ember.can_cast(ember.int32, ember.bool)


def test_info_equality_and_iinfo_text() -> None:
    # PyTorch: finfo/iinfo of one dtype compare equal; iinfo prints its limits with %g
    assert ember.finfo(ember.float32) == ember.finfo(ember.float32) != ember.finfo(ember.float64)
    assert ember.iinfo(ember.int8) == ember.iinfo(ember.int8) != ember.iinfo(ember.int16)
    assert len({ember.finfo(ember.float16), ember.finfo(ember.float16)}) == 1
    assert repr(ember.iinfo(ember.uint8)) == "iinfo(min=0, max=255, dtype=uint8)"
    assert repr(ember.iinfo(ember.int32)) == "iinfo(min=-2.14748e+09, max=2.14748e+09, dtype=int32)"


def test_set_printoptions() -> None:
    x = ember.tensor([1.123456, 2.5, 3.0])
    try:
        ember.set_printoptions(precision=2)
        assert repr(x) == "tensor([1.12, 2.50, 3.00])"
        ember.set_printoptions(sci_mode=True)
        assert repr(x) == "tensor([1.12e+00, 2.50e+00, 3.00e+00])"
        ember.set_printoptions(profile="default", threshold=5, edgeitems=2)
        assert repr(ember.arange(10.0)).startswith("tensor([0., 1.,") and "..." in repr(ember.arange(10.0))
        with pytest.raises(ValueError, match="set_printoptions.*profile"):
            ember.set_printoptions(profile="tiny")
    finally:
        ember.set_printoptions(profile="default")
    assert repr(x) == "tensor([1.1235, 2.5000, 3.0000])"


# PyTorch's text for each tensor (torch 2.13's `_tensor_str`): one width for all elements, right-justified;
# scientific notation past a ratio of 1000 between the largest and smallest nonzero |x|, above 1e8 or below 1e-4.
_PRINTED = [
    ("ember.tensor([True, False, True])", "tensor([ True, False,  True])"),
    ("ember.tensor([1.5, -2.25])", "tensor([ 1.5000, -2.2500])"),
    ("ember.tensor([[1, -2], [30, 4]])", "tensor([[ 1, -2],\n        [30,  4]])"),
    ("ember.arange(12.0).reshape(2, 3, 2)",
     "tensor([[[ 0.,  1.],\n         [ 2.,  3.],\n         [ 4.,  5.]],\n\n"
     "        [[ 6.,  7.],\n         [ 8.,  9.],\n         [10., 11.]]])"),
    ("ember.tensor([float('inf'), -float('inf'), 1.5])", "tensor([   inf,   -inf, 1.5000])"),
    ("ember.tensor([1e-5, 1.0, float('nan')])", "tensor([1.0000e-05, 1.0000e+00,        nan])"),
    ("ember.tensor([1e8])", "tensor([100000000.])"),
    ("ember.tensor([1e9])", "tensor([1.0000e+09])"),
    ("ember.tensor([-1e-3, 5.0])", "tensor([-1.0000e-03,  5.0000e+00])"),
    ("ember.arange(2000)", "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"),
    ("ember.arange(2000.0)",
     "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])"),
    ("ember.zeros(0, 3, dtype=ember.int32)", "tensor([], size=(0, 3), dtype=ember.int32)"),
    ("ember.arange(20.0) * 1.5",
     "tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n"
     "        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000,\n"
     "        24.0000, 25.5000, 27.0000, 28.5000])"),
    ("ember.arange(30.0).requires_grad_() * 1.5",
     "tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n"
     "        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000,\n"
     "        24.0000, 25.5000, 27.0000, 28.5000, 30.0000, 31.5000, 33.0000, 34.5000,\n"
     "        36.0000, 37.5000, 39.0000, 40.5000, 42.0000, 43.5000],\n       grad_fn=<MulBackward0>)"),
]  # fmt: skip


@pytest.mark.parametrize("expr, text", _PRINTED)
def test_repr_as_pytorch(expr: str, text: str) -> None:
    assert repr(eval(expr)) == text


def test_printoptions_pad_and_wrap_as_pytorch() -> None:
    try:
        ember.set_printoptions(threshold=5, edgeitems=1)
        assert repr(ember.arange(20.0).reshape(4, 5)) == "tensor([[ 0.,  ...,  4.],\n        ...,\n        [15.,  ..., 19.]])"
        ember.set_printoptions(profile="default", linewidth=20)
        assert repr(ember.arange(12.0)) == (
            "tensor([ 0.,  1.,\n         2.,  3.,\n         4.,  5.,\n         6.,  7.,\n"
            "         8.,  9.,\n        10., 11.])"
        )
        ember.set_printoptions(profile="default", threshold=3, edgeitems=0)  # no value shown: PyTorch adds size=
        assert repr(ember.zeros(2, 1, 5, dtype=ember.float64)) == "tensor([...], size=(2, 1, 5), dtype=ember.float64)"
        assert repr(ember.tensor([1, 2])) == "tensor([1, 2], size=(2,))"
        ember.set_printoptions(profile="default", sci_mode=False)
        assert repr(ember.tensor([1e-8, 1e8])) == "tensor([        0.0000, 100000000.0000])"
    finally:
        ember.set_printoptions(profile="default")


def test_num_threads_round_trip() -> None:
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        assert ember.get_num_threads() == 1
    finally:
        ember.set_num_threads(before)
    with pytest.raises(ValueError, match="set_num_threads"):
        ember.set_num_threads(0)
    with pytest.raises(RuntimeError, match="set_num_threads.*positive"):  # PyTorch's error type
        ember.set_num_threads(-1)
    with pytest.raises(RuntimeError, match="set_num_threads expects an int, but got float"):
        ember.set_num_threads(1.5)  # type: ignore[arg-type]


def test_inference_mode_flag() -> None:
    assert not ember.is_inference_mode_enabled()
    with ember.inference_mode():
        assert ember.is_inference_mode_enabled()
    assert not ember.is_inference_mode_enabled()


def test_fft_frequencies_match_numpy(device: str) -> None:
    for n in (1, 4, 5):
        np.testing.assert_allclose(ember.fft.fftfreq(n, 0.5, device=device).numpy(), np.fft.fftfreq(n, 0.5), rtol=1e-6)
        np.testing.assert_allclose(ember.fft.rfftfreq(n, device=device).numpy(), np.fft.rfftfreq(n), rtol=1e-6)
    f = ember.fft.fftfreq(4, dtype=ember.float64, device=device)
    assert f.dtype is ember.float64 and f.device.type == device.split(":")[0]
    assert ember.fft.fftfreq(0, device=device).shape == (0,)
    with pytest.raises(RuntimeError, match="fft.fftfreq.*floating point dtype.*int64"):
        ember.fft.fftfreq(4, dtype=ember.int64)


def test_fft_shifts_match_numpy(device: str) -> None:
    a = np.arange(10).reshape(2, 5)
    x = ember.tensor(a, device=device)
    np.testing.assert_array_equal(ember.fft.fftshift(x).numpy(), np.fft.fftshift(a))
    np.testing.assert_array_equal(ember.fft.ifftshift(x, dim=1).numpy(), np.fft.ifftshift(a, axes=1))
    np.testing.assert_array_equal(ember.fft.ifftshift(ember.fft.fftshift(x, dim=(0, 1)), dim=(0, 1)).numpy(), a)
    g = ember.ones(2, 5, dtype=ember.float64, device=device, requires_grad=True)
    (ember.fft.fftshift(g) * ember.arange(10.0, dtype=ember.float64, device=device).reshape(2, 5)).sum().backward()
    assert g.grad is not None
    np.testing.assert_array_equal(g.grad.numpy(), np.fft.ifftshift(np.arange(10.0).reshape(2, 5)))


def test_python_protocols_as_pytorch(device: str) -> None:
    """format/in/reversed/== None/fill_ as PyTorch's Tensor dunders (torch/_tensor.py)."""
    x = ember.tensor([1.0, 2.5, 3.0], device=device)
    assert f"{x[1]:.2f}" == "2.50" and format(ember.tensor(3, device=device), "d") == "3"
    assert f"{x[1]}" == "2.5"  # a 0-d tensor formats as its Python number
    with pytest.raises(TypeError):
        format(x, ".2f")
    assert 2.5 in x and 4 not in x
    assert ember.tensor([1.0, 2.5], device=device) in ember.stack([x[:2], x[1:]])
    with pytest.raises(RuntimeError, match="__contains__"):
        _ = "a" in x
    np.testing.assert_array_equal(reversed(x).numpy(), [3.0, 2.5, 1.0])
    assert (x == None) is False and (x != None) is True  # noqa: E711  # identity fallback, as PyTorch
    assert (x == [1.0, 2.5, 3.0]) is False and (x == object()) is False and ([1.0] != x) is True
    np.testing.assert_array_equal((x.cpu() == np.array([1.0, 0.0, 3.0])).numpy(), [True, False, True])
    y = np.float64(2.0) * x  # NumPy defers to the tensor's reflected operator
    assert isinstance(y, ember.Tensor) and y.dtype == ember.float32
    np.testing.assert_array_equal(x.clone().fill_(ember.tensor(4.0, device=device)).numpy(), [4.0] * 3)
    with pytest.raises(RuntimeError, match="fill_.*0-dimension.*1 dimensions"):
        x.clone().fill_(ember.tensor([4.0], device=device))


def test_new_factories_take_requires_grad(device: str) -> None:
    """Tensor.new_* take PyTorch's keyword requires_grad= (and dtype=/device=); the result is a leaf."""
    x = ember.zeros(2, 3, dtype=ember.int32, device=device)
    for made in (
        x.new_tensor([1.0, 2.0], dtype=ember.float32, requires_grad=True),
        x.new_full((2,), 2.5, dtype=ember.float32, requires_grad=True),
        x.new_zeros(2, dtype=ember.float32, requires_grad=True),
        x.new_ones((2,), dtype=ember.float32, requires_grad=True),
        x.new_empty(2, dtype=ember.float32, requires_grad=True),
    ):
        assert made.requires_grad and made.is_leaf and made.shape == (2,) and made.device == x.device
    plain = x.new_full((2,), 2.5)  # x's dtype: 2.5 truncates to 2 as in PyTorch
    assert not plain.requires_grad and plain.dtype == ember.int32 and plain.tolist() == [2, 2]
    assert not x.new_zeros(2, 3, dtype=ember.int8, requires_grad=False).requires_grad


def test_cpu_device_repr() -> None:
    assert repr(ember.device("cpu")) == "device(type='cpu')" and repr(ember.zeros(1).device) == "device(type='cpu')"
    assert repr(ember.device("opencl", 1)) == "device(type='opencl', index=1)"


@pytest.mark.parametrize("fn", ["numel", "is_floating_point", "is_complex"])
def test_tensor_predicates_reject_non_tensors(fn: str) -> None:
    # PyTorch: "numel(): argument 'input' (position 1) must be Tensor, not int"
    with pytest.raises(TypeError, match=rf"{fn}\(\): argument 'input' \(position 1\) must be Tensor, not float"):
        getattr(ember, fn)(3.0)
    assert getattr(ember, fn)(ember.zeros(2, 3)) == {"numel": 6, "is_floating_point": True, "is_complex": False}[fn]


def test_type_names_type_as_and_detach_of_views(device: str) -> None:
    # PyTorch: complex tensors are ComplexFloatTensor / ComplexDoubleTensor; unknown type names are a ValueError
    c = ember.zeros(2, dtype=ember.complex64)  # on the host: not every backend holds complex dtypes
    assert c.type() == "ember.ComplexFloatTensor" and c.type(ember.complex128).type() == "ember.ComplexDoubleTensor"
    assert ember.tensor([1, 2]).type("ember.ComplexDoubleTensor").dtype == ember.complex128
    z = ember.zeros(2, device=device)
    for bad in ("ember.float64", "torch.NoSuchTensor"):
        with pytest.raises(ValueError, match="invalid type"):
            z.type(bad)
    with pytest.raises(TypeError, match=r"type_as\(\): argument 'other' .* must be Tensor, not int"):
        z.type_as(3)
    y = ember.ones(3, device=device, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="detach_.*view.*detach\\(\\)"):
        y[1:].detach_()
    assert y.detach_() is y and y.grad_fn is None and not y.requires_grad and y.is_leaf


def test_is_signed_cfloat_and_is_nonzero(device: str) -> None:
    # PyTorch: is_signed is False only for uint8 and bool; is_nonzero takes exactly one element
    signed = {n: ember.zeros(1, dtype=getattr(ember, n), device=device).is_signed() for n in ("int8", "float32")}
    assert signed == {"int8": True, "float32": True}
    assert not ember.zeros(1, dtype=ember.uint8, device=device).is_signed()
    assert not ember.zeros(1, dtype=ember.bool, device=device).is_signed()
    assert ember.tensor([1.5]).cfloat().dtype == ember.complex64 and ember.tensor([1]).cdouble().tolist() == [1 + 0j]
    assert ember.is_nonzero(ember.tensor([0.5], device=device)) and not ember.is_nonzero(ember.tensor(0, device=device))
    with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
        ember.is_nonzero(ember.tensor([1, 2], device=device))
    with pytest.raises(RuntimeError, match="no values is ambiguous"):
        ember.is_nonzero(ember.zeros(0, device=device))


def test_deepcopy_copies_grad_and_refuses_non_leaves(device: str) -> None:
    import copy

    a = ember.tensor([1.0, 2.0], device=device, requires_grad=True)
    (a * a).sum().backward()
    b = copy.deepcopy(a)
    assert b is not a and b.requires_grad and b.is_leaf and b.device == a.device
    np.testing.assert_array_equal(b.grad.numpy(), [2.0, 4.0])  # d(sum a^2)/da, copied as PyTorch does
    b.detach().add_(1)
    assert a.tolist() == [1.0, 2.0]  # its own memory
    pair = copy.deepcopy([a, a])
    assert pair[0] is pair[1]
    with pytest.raises(RuntimeError, match="deepcopy.*graph leaves.*detach"):
        copy.deepcopy(a * 2)
