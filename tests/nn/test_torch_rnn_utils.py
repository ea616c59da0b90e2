"""nn.utils: pad_sequence, packing and unpacking against torch (values, lengths, indices,
gradients through both), RNN/LSTM/GRU over a PackedSequence against torch (outputs, final states,
every gradient), parameters_to_vector / vector_to_parameters, clip_grad_value_, flatten_parameters."""

import numpy as np
import pytest

import autodiff as ad
import nn
from nn.utils import rnn

LENGTHS = [2, 5, 3]


def _sequences(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((n, 3)) for n in LENGTHS]


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first, padding_side):
    torch = pytest.importorskip("torch")
    seqs = _sequences()
    ours = [ad.tensor(s, requires_grad=True) for s in seqs]
    theirs = [torch.tensor(s, requires_grad=True) for s in seqs]
    out = rnn.pad_sequence(ours, batch_first, -1.0, padding_side)
    out_t = torch.nn.utils.rnn.pad_sequence(theirs, batch_first, -1.0, padding_side)
    np.testing.assert_array_equal(out.detach().numpy(), out_t.detach().numpy())
    g = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(ad.tensor(g))
    out_t.backward(torch.tensor(g))
    for a, t in zip(ours, theirs):
        np.testing.assert_array_equal(a.grad.detach().numpy(), t.grad.detach().numpy())


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [False, True])
def test_pack_and_pad_round_trip_match_torch(batch_first, enforce_sorted):
    torch = pytest.importorskip("torch")
    lengths = LENGTHS if not enforce_sorted else sorted(LENGTHS, reverse=True)
    seqs = [np.random.default_rng(n).standard_normal((n, 3)) for n in lengths]
    ours = [ad.tensor(s, requires_grad=True) for s in seqs]
    theirs = [torch.tensor(s, requires_grad=True) for s in seqs]
    padded = rnn.pad_sequence(ours, batch_first)
    padded_t = torch.nn.utils.rnn.pad_sequence(theirs, batch_first)
    packed = rnn.pack_padded_sequence(padded, lengths, batch_first, enforce_sorted)
    packed_t = torch.nn.utils.rnn.pack_padded_sequence(padded_t, lengths, batch_first,
                                                       enforce_sorted)  # fmt: skip
    np.testing.assert_array_equal(packed.data.detach().numpy(), packed_t.data.detach().numpy())
    for name in ("batch_sizes", "sorted_indices", "unsorted_indices"):
        a, t = getattr(packed, name), getattr(packed_t, name)
        assert (a is None) == (t is None), name
        if a is not None:
            assert a.tolist() == t.tolist(), name
    out, lens = rnn.pad_packed_sequence(packed, batch_first, padding_value=7.0, total_length=6)
    out_t, lens_t = torch.nn.utils.rnn.pad_packed_sequence(packed_t, batch_first, 7.0, 6)
    np.testing.assert_array_equal(out.detach().numpy(), out_t.detach().numpy())
    assert lens.tolist() == lens_t.tolist() == lengths and lens.dtype == np.int64
    g = np.random.default_rng(2).standard_normal(out.shape)
    out.backward(ad.tensor(g))
    out_t.backward(torch.tensor(g))
    for a, t in zip(ours, theirs):
        np.testing.assert_array_equal(a.grad.detach().numpy(), t.grad.detach().numpy())
    back = rnn.unpack_sequence(rnn.pack_sequence(ours, enforce_sorted=enforce_sorted))
    for a, s in zip(back, seqs):
        np.testing.assert_array_equal(a.detach().numpy(), s)


def test_packing_errors_are_torchs():
    x = ad.zeros(5, 3, 2)
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        rnn.pack_padded_sequence(x, [2, 5, 3])
    with pytest.raises(ValueError, match="Length of all samples has to be greater than 0"):
        rnn.pack_padded_sequence(x, [5, 0, 3], enforce_sorted=False)
    with pytest.raises(ValueError, match="Expected `len\\(lengths\\)` to be equal to batch_size"):
        rnn.pack_padded_sequence(x, [5, 3])
    packed = rnn.pack_padded_sequence(x, [5, 3, 2])
    with pytest.raises(ValueError, match="Expected total_length to be at least"):
        rnn.pad_packed_sequence(packed, total_length=4)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize(
    "config", [dict(), dict(num_layers=2, bidirectional=True), dict(batch_first=True)]
)
def test_recurrent_layers_over_packed_sequences_match_torch(cls, config):
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn, cls)(3, 4, **config).double()
    ours = getattr(nn, cls)(3, 4, **config, dtype=ad.float64)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(3)
    batch_first = config.get("batch_first", False)
    x = rng.standard_normal((3, 5, 3) if batch_first else (5, 3, 3))
    states = (2 if config.get("bidirectional") else 1) * config.get("num_layers", 1)
    h0 = rng.standard_normal((states, 3, 4))
    xa, xt = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ha, ht = ad.tensor(h0, requires_grad=True), torch.tensor(h0, requires_grad=True)
    packed = rnn.pack_padded_sequence(xa, LENGTHS, batch_first, enforce_sorted=False)
    packed_t = torch.nn.utils.rnn.pack_padded_sequence(xt, LENGTHS, batch_first,
                                                       enforce_sorted=False)  # fmt: skip
    hx, hx_t = ((ha, ha * 0.5), (ht, ht * 0.5)) if cls == "LSTM" else (ha, ht)
    out, h_n = ours(packed, hx)
    out_t, h_n_t = theirs(packed_t, hx_t)
    assert isinstance(out, rnn.PackedSequence)
    assert out.batch_sizes.tolist() == out_t.batch_sizes.tolist()
    h_n, h_n_t = (h_n[0], h_n_t[0]) if cls == "LSTM" else (h_n, h_n_t)
    np.testing.assert_allclose(out.data.detach().numpy(), out_t.data.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(h_n.detach().numpy(), h_n_t.detach().numpy(), rtol=1e-10)
    padded, _ = rnn.pad_packed_sequence(out, batch_first)
    padded_t, _ = torch.nn.utils.rnn.pad_packed_sequence(out_t, batch_first)
    g, gh = rng.standard_normal(padded.shape), rng.standard_normal(h_n.shape)
    ((padded * ad.tensor(g)).sum() + (h_n * ad.tensor(gh)).sum()).backward()
    ((padded_t * torch.tensor(g)).sum() + (h_n_t * torch.tensor(gh)).sum()).backward()
    for a, t in [(xa, xt), (ha, ht), *zip(ours.parameters(), theirs.parameters())]:
        np.testing.assert_allclose(
            a.grad.detach().numpy(), t.grad.detach().numpy(), rtol=1e-9, atol=1e-12
        )
    assert ours.flatten_parameters() is None  # a no-op on the CPU, as in torch


def test_parameters_as_one_vector_match_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    vec, vec_t = nn.utils.parameters_to_vector(ours.parameters()), \
        torch.nn.utils.parameters_to_vector(theirs.parameters())  # fmt: skip
    np.testing.assert_array_equal(vec.detach().numpy(), vec_t.detach().numpy())
    (vec * ad.arange(8.0)).sum().backward()
    np.testing.assert_array_equal(ours.weight.grad.detach().numpy(), np.arange(6.0).reshape(2, 3))
    new = ad.arange(8.0)
    nn.utils.vector_to_parameters(new, ours.parameters())
    np.testing.assert_array_equal(ours.bias.detach().numpy(), [6.0, 7.0])
    assert ours.weight.requires_grad and ours.weight.is_leaf
    with pytest.raises(ValueError, match="the parameters hold 8 values"):
        nn.utils.vector_to_parameters(ad.zeros(7), ours.parameters())
    with pytest.raises(TypeError, match="expected vec to be a Tensor"):
        nn.utils.vector_to_parameters([0.0] * 8, ours.parameters())


def test_clip_grad_value_matches_torch():
    torch = pytest.importorskip("torch")
    g = np.random.default_rng(4).standard_normal((3, 4)) * 3
    a, t = ad.zeros(3, 4, requires_grad=True), torch.zeros(3, 4, requires_grad=True)
    a.grad, t.grad = ad.tensor(g.astype(np.float32)), torch.tensor(g.astype(np.float32))
    untouched = ad.zeros(2, requires_grad=True)
    nn.utils.clip_grad_value_([a, untouched], 1.5)
    torch.nn.utils.clip_grad_value_([t], 1.5)
    np.testing.assert_array_equal(a.grad.detach().numpy(), t.grad.detach().numpy())
    assert untouched.grad is None
