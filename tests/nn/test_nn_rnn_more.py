"""Recurrent cells, LSTM projections and `ember.nn.utils.rnn` (PackedSequence end to end) against NumPy
references: a packed batch gives what each sequence gives alone; gradchecks in float64; PyTorch's
state_dict keys and shapes (written out here, checked once against PyTorch 2.13)."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.autograd import gradcheck
from ember.nn.utils import rnn as R

RNG = np.random.default_rng(1234)


def T(a, device, grad=False, dtype=None):
    return ember.tensor(np.asarray(a), device=device, requires_grad=grad, dtype=dtype)


def N(t):
    return t.detach().numpy()


def sig(x):
    return 1 / (1 + np.exp(-x))


def np_step(kind, x, h, c, wi, wh, bi, bh, whr=None):
    """One step of RNN_TANH / RNN_RELU / LSTM / GRU written from the equations in PyTorch's docs."""
    gi, gh = x @ wi.T + bi, h @ wh.T + bh
    if kind == "RNN_TANH":
        return np.tanh(gi + gh), None
    if kind == "RNN_RELU":
        return np.maximum(gi + gh, 0), None
    if kind == "LSTM":
        i, f, g, o = np.split(gi + gh, 4, -1)
        c = sig(f) * c + sig(i) * np.tanh(g)
        h = sig(o) * np.tanh(c)
        return (h if whr is None else h @ whr.T), c
    ir, iz, in_ = np.split(gi, 3, -1)
    hr, hz, hn = np.split(gh, 3, -1)
    r, z = sig(ir + hr), sig(iz + hz)
    n = np.tanh(in_ + r * hn)
    return (1 - z) * n + z * h, None


def swapped(module, name, fn):
    """fn(*xs) with parameter `name` of `module` replaced by the last argument (gradcheck perturbs copies)."""

    def call(*args):
        saved = module._parameters[name]
        module._parameters[name] = args[-1]
        try:
            return fn(*args[:-1])
        finally:
            module._parameters[name] = saved

    return call


# -- state_dict keys and shapes, as PyTorch 2.13 prints them ---------------------------------------
LSTM_PROJ_KEYS = [
    ("weight_ih_l0", (20, 3)), ("weight_hh_l0", (20, 2)), ("bias_ih_l0", (20,)), ("bias_hh_l0", (20,)),
    ("weight_hr_l0", (2, 5)), ("weight_ih_l0_reverse", (20, 3)), ("weight_hh_l0_reverse", (20, 2)),
    ("bias_ih_l0_reverse", (20,)), ("bias_hh_l0_reverse", (20,)), ("weight_hr_l0_reverse", (2, 5)),
    ("weight_ih_l1", (20, 4)), ("weight_hh_l1", (20, 2)), ("bias_ih_l1", (20,)), ("bias_hh_l1", (20,)),
    ("weight_hr_l1", (2, 5)), ("weight_ih_l1_reverse", (20, 4)), ("weight_hh_l1_reverse", (20, 2)),
    ("bias_ih_l1_reverse", (20,)), ("bias_hh_l1_reverse", (20,)), ("weight_hr_l1_reverse", (2, 5)),
]  # fmt: skip
CELL_KEYS = {
    nn.RNNCell: [("weight_ih", (4, 3)), ("weight_hh", (4, 4)), ("bias_ih", (4,)), ("bias_hh", (4,))],
    nn.LSTMCell: [("weight_ih", (16, 3)), ("weight_hh", (16, 4)), ("bias_ih", (16,)), ("bias_hh", (16,))],
    nn.GRUCell: [("weight_ih", (12, 3)), ("weight_hh", (12, 4)), ("bias_ih", (12,)), ("bias_hh", (12,))],
}


def keys(module):
    return [(k, tuple(v.shape)) for k, v in module.state_dict().items()]


def test_state_dict_keys_and_shapes_match_pytorch() -> None:
    assert keys(nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2)) == LSTM_PROJ_KEYS
    for cls, want in CELL_KEYS.items():
        assert keys(cls(3, 4)) == want
        assert keys(cls(3, 4, bias=False)) == want[:2]
    assert [k for k, _ in keys(nn.GRU(2, 3, num_layers=2))] == [
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
    ]  # fmt: skip


def test_initialisation_bounds_and_repr() -> None:
    for m in (nn.LSTMCell(3, 16), nn.GRU(3, 16, num_layers=2), nn.LSTM(3, 16, proj_size=4)):
        for p in m.parameters():
            a = p.detach().numpy()
            assert np.abs(a).max() <= 0.25 and a.std() > 0.05  # U(-1/sqrt(16), 1/sqrt(16))
    assert repr(nn.RNNCell(3, 4)) == "RNNCell(3, 4)"
    assert repr(nn.RNNCell(3, 4, bias=False, nonlinearity="relu")) == "RNNCell(3, 4, bias=False, nonlinearity=relu)"
    assert repr(nn.LSTM(3, 4, proj_size=2)) == "LSTM(3, 4, proj_size=2)"
    assert repr(nn.GRUCell(3, 4)) == "GRUCell(3, 4)"
    assert nn.LSTM(3, 4).mode == "LSTM" and nn.RNN(3, 4, nonlinearity="relu").mode == "RNN_RELU"
    assert len(nn.LSTM(3, 4, num_layers=2, bidirectional=True).all_weights) == 4


# -- cells -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls,kind", [(nn.RNNCell, "RNN_TANH"), (nn.LSTMCell, "LSTM"), (nn.GRUCell, "GRU")])
@pytest.mark.parametrize("bias", [True, False])
def test_cell_one_step_matches_numpy(device, cls, kind, bias) -> None:
    cell = cls(3, 4, bias=bias).to(device).double()
    p = {k: N(v) for k, v in cell.named_parameters()}
    bi, bh = (p["bias_ih"], p["bias_hh"]) if bias else (0.0, 0.0)
    x, h, c = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 4)), RNG.standard_normal((2, 4))
    ref_h, ref_c = np_step(kind, x, h, c, p["weight_ih"], p["weight_hh"], bi, bh)
    got = cell(T(x, device), (T(h, device), T(c, device)) if cls is nn.LSTMCell else T(h, device))
    got_h = got[0] if cls is nn.LSTMCell else got
    np.testing.assert_allclose(N(got_h), ref_h, rtol=1e-10, atol=1e-12)
    if cls is nn.LSTMCell:
        np.testing.assert_allclose(N(got[1]), ref_c, rtol=1e-10, atol=1e-12)
    # no state = zeros; unbatched (H_in,) gives (H,)
    zero_h, zero_c = np_step(kind, x[:1], 0 * h[:1], 0 * c[:1], p["weight_ih"], p["weight_hh"], bi, bh)
    un = cell(T(x[0], device))
    un_h = un[0] if cls is nn.LSTMCell else un
    assert tuple(un_h.shape) == (4,)
    np.testing.assert_allclose(N(un_h), zero_h[0], rtol=1e-10, atol=1e-12)


def test_rnn_cell_relu() -> None:
    cell = nn.RNNCell(3, 4, nonlinearity="relu").double()
    p = {k: N(v) for k, v in cell.named_parameters()}
    x, h = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 4))
    ref, _ = np_step("RNN_RELU", x, h, None, p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"])
    np.testing.assert_allclose(N(cell(T(x, None), T(h, None))), ref, rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        nn.RNNCell(3, 4, nonlinearity="sigmoid")


@pytest.mark.parametrize("cls", [nn.RNNCell, nn.LSTMCell, nn.GRUCell])
def test_cell_gradcheck(device, cls) -> None:
    cell = cls(2, 3).to(device).double()
    x, h = T(RNG.standard_normal((2, 2)), device, True), T(RNG.standard_normal((2, 3)), device, True)
    if cls is nn.LSTMCell:
        c = T(RNG.standard_normal((2, 3)), device, True)
        assert gradcheck(lambda a, b, d: cell(a, (b, d))[1], (x, h, c))
        assert gradcheck(swapped(cell, "weight_hh", lambda a: cell(a)[0]), (x, cell.weight_hh))
    else:
        assert gradcheck(lambda a, b: cell(a, b), (x, h))
        assert gradcheck(swapped(cell, "weight_ih", lambda a: cell(a)), (x, cell.weight_ih))


@pytest.mark.parametrize("cls", [nn.RNNCell, nn.LSTMCell, nn.GRUCell])
def test_cell_errors(device, cls) -> None:
    name = cls.__name__
    cell = cls(3, 4).to(device)
    state = (lambda h: (h, h)) if cls is nn.LSTMCell else (lambda h: h)
    with pytest.raises(ValueError, match=f"{name}: Expected input to be 1D or 2D, got 3D instead"):
        cell(ember.ones(2, 2, 3, device=device))
    with pytest.raises(RuntimeError, match=f"{name}: input has inconsistent input_size: got 5 expected 3"):
        cell(ember.ones(2, 5, device=device))
    with pytest.raises(RuntimeError, match="Input batch size 2 doesn't match hidden0 batch size 3"):
        cell(ember.ones(2, 3, device=device), state(ember.ones(3, 4, device=device)))
    with pytest.raises(RuntimeError, match="hidden0 has inconsistent hidden_size: got 5, expected 4"):
        cell(ember.ones(2, 3, device=device), state(ember.ones(2, 5, device=device)))
    with pytest.raises(ValueError, match="Expected hidden to be 2D"):
        cell(ember.ones(2, 3, device=device), state(ember.ones(2, 1, 4, device=device)))


# -- LSTM with proj_size; errors of the layers ------------------------------------------------------
def test_lstm_proj_size_matches_numpy(device) -> None:
    m = nn.LSTM(3, 5, proj_size=2, batch_first=True).to(device).double()
    p = {k: N(v) for k, v in m.named_parameters()}
    x = RNG.standard_normal((2, 4, 3))
    h0, c0 = RNG.standard_normal((1, 2, 2)), RNG.standard_normal((1, 2, 5))
    out, (hn, cn) = m(T(x, device), (T(h0, device), T(c0, device)))
    h, c, ys = h0[0], c0[0], []
    for t in range(4):
        h, c = np_step(
            "LSTM",
            x[:, t],
            h,
            c,
            p["weight_ih_l0"],
            p["weight_hh_l0"],
            p["bias_ih_l0"],
            p["bias_hh_l0"],
            p["weight_hr_l0"],
        )
        ys.append(h)
    np.testing.assert_allclose(N(out), np.stack(ys, 1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(N(hn)[0], h, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(N(cn)[0], c, rtol=1e-10, atol=1e-12)
    assert tuple(hn.shape) == (1, 2, 2) and tuple(cn.shape) == (1, 2, 5)
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(TypeError):
        nn.GRU(3, 4, proj_size=2)


def test_layer_errors(device) -> None:
    gru = nn.GRU(3, 4).to(device)
    with pytest.raises(RuntimeError, match=r"GRU: Expected hidden size \(1, 3, 4\), got \[1, 2, 4\]"):
        gru(ember.ones(2, 3, 3, device=device), ember.ones(1, 2, 4, device=device))
    with pytest.raises(RuntimeError, match="For batched 3-D input, hx should also be 3-D but got 2-D tensor"):
        gru(ember.ones(2, 3, 3, device=device), ember.ones(3, 4, device=device))
    with pytest.raises(RuntimeError, match="For unbatched 2-D input, hx should also be 2-D but got 3-D tensor"):
        gru(ember.ones(2, 3, device=device), ember.ones(1, 1, 4, device=device))
    with pytest.raises(ValueError, match="GRU: Expected input to be 2D or 3D, got 4D"):
        gru(ember.ones(2, 3, 3, 3, device=device))
    lstm = nn.LSTM(3, 4).to(device)
    with pytest.raises(RuntimeError, match=r"LSTM: Expected hidden\[1\] size \(1, 3, 4\), got \[1, 2, 4\]"):
        lstm(
            ember.ones(2, 3, 3, device=device), (ember.ones(1, 3, 4, device=device), ember.ones(1, 2, 4, device=device))
        )
    with pytest.raises(TypeError, match=r"hx must be a tuple \(h_0, c_0\)"):
        lstm(ember.ones(2, 3, 3, device=device), ember.ones(1, 3, 4, device=device))
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        nn.modules.rnn.RNNBase("GRU", 3, 4, proj_size=2)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.5)
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.GRU(3, 4, dropout=1.5)


def test_dropout_between_layers_only_in_training(device) -> None:
    m = nn.GRU(3, 4, num_layers=2, dropout=1.0).to(device).double()
    x = T(RNG.standard_normal((5, 2, 3)), device)
    m.eval()
    a, b = m(x)[0], m(x)[0]
    np.testing.assert_array_equal(N(a), N(b))
    m.train()
    # dropout p=1 zeroes the first layer's output: the second layer sees zeros
    top_in = nn.GRU(4, 4).to(device).double()
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        top_in._parameters[f"{name}_l0"] = m._parameters[f"{name}_l1"]
    want = top_in(ember.zeros(5, 2, 4, device=device, dtype=ember.float64))[0]
    np.testing.assert_allclose(N(m(x)[0]), N(want), rtol=1e-12, atol=1e-12)


# -- ember.nn.utils.rnn ------------------------------------------------------------------------------
def test_pack_padded_sequence_layout_and_round_trip(device) -> None:
    x = RNG.standard_normal((4, 3, 2))
    lens = [2, 4, 1]
    p = R.pack_padded_sequence(T(x, device), lens, enforce_sorted=False)
    assert isinstance(p, tuple) and p._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    assert p.batch_sizes.tolist() == [3, 2, 1, 1] and p.sorted_indices.tolist() == [1, 0, 2]
    assert p.unsorted_indices.tolist() == [1, 0, 2] and str(p.batch_sizes.device) == "cpu"
    order = [1, 0, 2]
    want = np.concatenate([np.stack([x[t, b] for b in order if lens[b] > t]) for t in range(4)])
    np.testing.assert_array_equal(N(p.data), want)
    padded, lengths = R.pad_packed_sequence(p, batch_first=True, padding_value=-1.0, total_length=6)
    assert lengths.tolist() == lens and lengths.dtype is ember.int64
    ref = np.full((3, 6, 2), -1.0)
    for b, n in enumerate(lens):
        ref[b, :n] = x[:n, b]
    np.testing.assert_array_equal(N(padded), ref)
    # sorted input, batch_first, lengths as a tensor
    s = R.pack_padded_sequence(T(np.swapaxes(x, 0, 1), device), ember.tensor([4, 2, 1]), batch_first=True)
    assert s.sorted_indices is None and s.unsorted_indices is None and s.batch_sizes.tolist() == [3, 2, 1, 1]
    back, ln = R.pad_packed_sequence(s)
    assert ln.tolist() == [4, 2, 1] and tuple(back.shape) == (4, 3, 2)
    np.testing.assert_array_equal(N(back)[:, 0], x[:, 0])
    np.testing.assert_array_equal(N(back)[2:, 1], 0.0)


def test_pack_pad_gradients_flow(device) -> None:
    x = T(RNG.standard_normal((3, 2, 2)), device, True)
    assert gradcheck(lambda a: R.pad_packed_sequence(R.pack_padded_sequence(a, [1, 3], enforce_sorted=False))[0], (x,))


def test_pack_errors(device) -> None:
    x = ember.ones(4, 3, 2, device=device)
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order when `enforce_sorted` is True"):
        R.pack_padded_sequence(x, [2, 4, 1])
    with pytest.raises(RuntimeError, match="Length of all samples has to be greater than 0"):
        R.pack_padded_sequence(x, [0, 4, 1], enforce_sorted=False)
    with pytest.raises(
        RuntimeError, match=r"Expected `len\(lengths\)` to be equal to batch_size, but got 2 \(batch_size=3\)"
    ):
        R.pack_padded_sequence(x, [4, 2])
    with pytest.raises(RuntimeError, match="exceeds the input's sequence length 4"):
        R.pack_padded_sequence(x, [5, 2, 1])
    p = R.pack_padded_sequence(x, [4, 2, 1])
    with pytest.raises(ValueError, match="total_length=2 and max sequence length being 4"):
        R.pad_packed_sequence(p, total_length=2)
    with pytest.raises(TypeError, match="expected a PackedSequence"):
        R.pad_packed_sequence(x)


def test_pad_sequence_and_pack_sequence(device) -> None:
    a, b = T([1.0, 1.0], device), T([2.0, 2.0, 2.0], device)
    np.testing.assert_array_equal(N(R.pad_sequence([a, b])), [[1, 2], [1, 2], [0, 2]])
    np.testing.assert_array_equal(
        N(R.pad_sequence([a, b], batch_first=True, padding_side="left")), [[0, 1, 1], [2, 2, 2]]
    )
    np.testing.assert_array_equal(N(R.pad_sequence([a, b], True, 7.0)), [[1, 1, 7], [2, 2, 2]])
    with pytest.raises(ValueError, match="Expected padding_side to be one of left or right, but got mid."):
        R.pad_sequence([a, b], padding_side="mid")
    with pytest.raises(RuntimeError, match=r"sequence 1 has shape \(3, 2\)"):
        R.pad_sequence([ember.ones(2, 1, device=device), ember.ones(3, 2, device=device)])
    ps = R.pack_sequence([ember.ones(2, 1, device=device), 2 * ember.ones(3, 1, device=device)], enforce_sorted=False)
    assert ps.batch_sizes.tolist() == [2, 2, 1] and ps.sorted_indices.tolist() == [1, 0]
    np.testing.assert_array_equal(N(ps.data)[:, 0], [2, 1, 2, 1, 2])
    with pytest.raises(RuntimeError, match="enforce_sorted"):
        R.pack_sequence([ember.ones(2, 1, device=device), ember.ones(3, 1, device=device)])
    d = ps.to(ember.float64)
    assert isinstance(d, R.PackedSequence) and d.data.dtype is ember.float64 and d.sorted_indices is ps.sorted_indices
    assert ps.double().data.dtype is ember.float64 and not ps.is_cuda
    assert ps.to(device).data.device == ps.data.device
    assert R.invert_permutation(ember.tensor([2, 0, 1])).tolist() == [1, 2, 0] and R.invert_permutation(None) is None
    seqs = [T(RNG.standard_normal((n, 2)), device) for n in (2, 4, 1)]
    for got, want in zip(R.unpack_sequence(R.pack_sequence(seqs, enforce_sorted=False)), seqs):
        np.testing.assert_array_equal(N(got), N(want))
    for got, want in zip(R.unpad_sequence(R.pad_sequence(seqs, True), [2, 4, 1], batch_first=True), seqs):
        np.testing.assert_array_equal(N(got), N(want))


# -- PackedSequence through RNN / LSTM / GRU: the same as each sequence alone ------------------------
@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_packed_equals_each_sequence_alone(device, cls, enforce_sorted) -> None:
    kw = {"proj_size": 2} if cls is nn.LSTM else {}
    m = cls(3, 4, num_layers=2, bidirectional=True, batch_first=True, **kw).to(device).double()
    lens = [5, 3, 2, 1] if enforce_sorted else [2, 5, 1, 3]
    b, steps, hid = len(lens), max(lens), (2 if cls is nn.LSTM else 4)
    x = RNG.standard_normal((b, steps, 3))
    h0 = RNG.standard_normal((4, b, hid))
    c0 = RNG.standard_normal((4, b, 4))
    state = (lambda h, c: (T(h, device), T(c, device))) if cls is nn.LSTM else (lambda h, c: T(h, device))
    packed = R.pack_padded_sequence(T(x, device), lens, batch_first=True, enforce_sorted=enforce_sorted)
    out, hn = m(packed, state(h0, c0))
    assert isinstance(out, R.PackedSequence) and out.batch_sizes.tolist() == packed.batch_sizes.tolist()
    padded, got_lens = R.pad_packed_sequence(out, batch_first=True)
    assert got_lens.tolist() == lens and tuple(padded.shape) == (b, steps, 2 * hid)
    for i, n in enumerate(lens):
        alone, hi = m(T(x[i : i + 1, :n], device), state(h0[:, i : i + 1], c0[:, i : i + 1]))
        np.testing.assert_allclose(N(padded)[i, :n], N(alone)[0], rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(N(padded)[i, n:], 0.0)
        for got, want in zip(hn if cls is nn.LSTM else (hn,), hi if cls is nn.LSTM else (hi,)):
            np.testing.assert_allclose(N(got)[:, i], N(want)[:, 0], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU])
def test_packed_gradcheck(device, cls) -> None:
    m = cls(2, 2, bidirectional=True).to(device).double()
    x = T(RNG.standard_normal((3, 2, 2)), device, True)

    def run(a):
        out = m(R.pack_padded_sequence(a, [2, 3], enforce_sorted=False))[0]
        return R.pad_packed_sequence(out)[0]

    assert gradcheck(run, (x,))
    assert gradcheck(swapped(m, "weight_hh_l0_reverse", run), (x, m._parameters["weight_hh_l0_reverse"]))


def test_packed_end_to_end_backward(device) -> None:
    seqs = [T(RNG.standard_normal((n, 3)), device, True) for n in (4, 1, 3)]
    m = nn.LSTM(3, 4, num_layers=2).to(device).double()
    out, (h, c) = m(R.pack_sequence(seqs, enforce_sorted=False))
    (R.pad_packed_sequence(out)[0].sum() + h.sum()).backward()
    assert all(s.grad is not None and tuple(s.grad.shape) == tuple(s.shape) for s in seqs)
    assert all(p.grad is not None for p in m.parameters())


def test_argument_errors_match_pytorchs_exception_types(device) -> None:
    """PyTorch 2.13: a float hidden_size is a TypeError; padding_side and lengths errors are RuntimeErrors."""
    with pytest.raises(TypeError, match="hidden_size should be of type int, got: float"):
        nn.RNN(2, 3.0)
    with pytest.raises(TypeError, match="num_layers should be of type int"):
        nn.LSTM(2, 3, num_layers=2.0)
    with pytest.raises(RuntimeError, match="Expected padding_side to be one of left or right, but got middle"):
        R.pad_sequence([ember.ones(2, device=device)], padding_side="middle")
    with pytest.raises(RuntimeError, match=r"lengths must be a 1-D tensor, got shape \(1, 3\)"):
        R.pack_padded_sequence(ember.ones(4, 3, 2, device=device), ember.tensor([[4, 2, 1]]))
    with pytest.raises(TypeError, match="pad_sequence: expected Tensor as element 0 in argument 0, but got list"):
        R.pad_sequence([[1.0, 2.0], [3.0]])  # type: ignore[list-item]
    with pytest.raises(RuntimeError, match=r"GRU: a PackedSequence's data must be 2-D"):
        nn.GRU(2, 3).to(device)(R.PackedSequence(ember.zeros(3, 1, 2, device=device), ember.tensor([2, 1])))


def test_pad_sequence_takes_the_first_sequences_dtype(device) -> None:
    """PyTorch fills a tensor of sequences[0]'s dtype (the others are cast), so mixed inputs give that dtype."""
    a, b = ember.ones(2, device=device), ember.tensor([1.5, 2.5, 3.5], dtype=ember.float64, device=device)
    out = R.pad_sequence([a, b], batch_first=True)
    assert out.dtype is ember.float32
    np.testing.assert_array_equal(out.numpy(), np.array([[1, 1, 0], [1.5, 2.5, 3.5]], np.float32))
    assert R.pack_sequence([b, a]).data.dtype is ember.float64


def test_flatten_parameters_and_dtype_mismatch(device) -> None:
    """`flatten_parameters()` exists (a no-op here; PyTorch code calls it after .to()); an input whose dtype
    differs from the weights' is PyTorch's ValueError naming both dtypes and both fixes."""
    lstm = nn.LSTM(2, 3, num_layers=2, bidirectional=True).to(device)
    x = ember.randn(4, 2, 2, device=device)
    before = lstm(x)[0].detach().numpy()
    assert lstm.flatten_parameters() is None
    np.testing.assert_array_equal(lstm(x)[0].detach().numpy(), before)
    with pytest.raises(ValueError, match=r"LSTM: input dtype \(.*float64\) does not match weight dtype \(.*float32\)"):
        lstm(x.double())
    with pytest.raises(ValueError, match=r"GRU: input dtype \(.*int64\) does not match weight dtype"):
        nn.GRU(2, 3).to(device)(ember.ones(4, 1, 2, dtype=ember.int64, device=device))
    packed = R.pack_sequence([ember.ones(3, 2, dtype=ember.float64, device=device)])
    with pytest.raises(ValueError, match="does not match weight dtype"):
        nn.RNN(2, 3).to(device)(packed)
