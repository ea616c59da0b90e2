"""RNN, LSTM, GRU and their cells: torch's state_dict names load, then outputs, final states
and the gradients of inputs, initial states and parameters match torch (every option, batched
and unbatched); finite differences in float64; torch's initialisation and errors."""

import warnings

import numpy as np
import pytest

import autodiff as ad
import nn
import nn.functional as F
from autodiff.testing import assert_gradients_match


def _load_from_torch(ours, theirs):
    """ours gets theirs' parameters through a NumPy state_dict with the same names."""
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict(state)


def _grads_match(ours, theirs, rtol=1e-10):
    grads = {n: p.grad for n, p in ours.named_parameters()}
    for name, p in theirs.named_parameters():
        if p.grad is None:
            assert grads[name] is None, name
            continue
        np.testing.assert_allclose(
            grads[name].detach().numpy(),
            p.grad.detach().numpy(),
            rtol=rtol,
            atol=1e-12,
            err_msg=name,
        )


# --- recurrent cells and layers --------------------------------------------------------------
CELLS = [
    ("RNNCell", dict()),
    ("RNNCell", dict(nonlinearity="relu")),
    ("RNNCell", dict(bias=False, nonlinearity="relu")),
    ("LSTMCell", dict()),
    ("LSTMCell", dict(bias=False)),
    ("GRUCell", dict()),
    ("GRUCell", dict(bias=False)),
]


def _states(torch, shape, count, rng):
    """count random states of shape, for us and for torch (a tuple when count is 2)."""
    arrays = [rng.standard_normal(shape) for _ in range(count)]
    ours = [ad.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    if count == 1:
        return ours, theirs, ours[0], theirs[0]
    return ours, theirs, tuple(ours), tuple(theirs)


def _backward_all(torch, outputs, outputs_t, rng):
    """A random linear functional of every output, backpropagated in both libraries."""
    total = total_t = 0
    for out, out_t in zip(outputs, outputs_t):
        assert out.shape == tuple(out_t.shape)
        np.testing.assert_allclose(
            out.detach().numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12
        )
        g = rng.standard_normal(out.shape)
        total = total + (out * ad.tensor(g)).sum()
        total_t = total_t + (out_t * torch.tensor(g)).sum()
    total.backward()
    total_t.backward()


def _flat(out):
    return list(out) if isinstance(out, tuple) else [out]


@pytest.mark.parametrize("name,kwargs", CELLS)
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_hx", [True, False])
def test_cells_match_torch(name, kwargs, batched, with_hx):
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn, name)(3, 5, **kwargs).double()
    ours = getattr(nn, name)(3, 5, **kwargs, dtype=ad.float64)
    _load_from_torch(ours, theirs)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 3) if batched else (3,))
    xa, xt = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    count = 2 if name == "LSTMCell" else 1
    hs, hs_t, hx, hx_t = _states(torch, (4, 5) if batched else (5,), count, rng)
    out = ours(xa, hx) if with_hx else ours(xa)
    out_t = theirs(xt, hx_t) if with_hx else theirs(xt)
    _backward_all(torch, _flat(out), _flat(out_t), rng)
    np.testing.assert_allclose(
        xa.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=1e-10, atol=1e-12
    )
    if with_hx:
        for h, h_t in zip(hs, hs_t):
            np.testing.assert_allclose(
                h.grad.detach().numpy(), h_t.grad.detach().numpy(), rtol=1e-10, atol=1e-12
            )
    _grads_match(ours, theirs)
    assert repr(ours) == repr(theirs)


LAYER_OPTIONS = [
    dict(),
    dict(num_layers=2),
    dict(num_layers=3, batch_first=True, bias=False),
    dict(bidirectional=True),
    dict(num_layers=2, bidirectional=True, batch_first=True),
    dict(num_layers=2, dropout=0.5),  # compared in eval mode: dropout off
]
LAYERS = (
    [("RNN", kw) for kw in LAYER_OPTIONS]
    + [("RNN", dict(num_layers=2, nonlinearity="relu"))]
    + [("LSTM", kw) for kw in LAYER_OPTIONS[:5]]
    + [("GRU", kw) for kw in LAYER_OPTIONS[:5]]
)


@pytest.mark.parametrize("name,kwargs", LAYERS)
@pytest.mark.parametrize("with_h0", [False, True])
def test_recurrent_layers_match_torch(name, kwargs, with_h0):
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn, name)(3, 4, **kwargs).double()
    ours = getattr(nn, name)(3, 4, **kwargs, dtype=ad.float64)
    _load_from_torch(ours, theirs)
    if kwargs.get("dropout"):
        ours.eval(), theirs.eval()
    states = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 6, 3))  # (L, N) or, batch_first, (N, L)
    xa, xt = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    count = 2 if name == "LSTM" else 1
    shape = (states, 2 if kwargs.get("batch_first") else 6, 4)
    hs, hs_t, hx, hx_t = _states(torch, shape, count, rng)
    out, h_n = ours(xa, hx) if with_h0 else ours(xa)
    out_t, h_n_t = theirs(xt, hx_t) if with_h0 else theirs(xt)
    _backward_all(torch, [out, *_flat(h_n)], [out_t, *_flat(h_n_t)], rng)
    np.testing.assert_allclose(
        xa.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=1e-10, atol=1e-12
    )
    if with_h0:
        for h, h_t in zip(hs, hs_t):
            np.testing.assert_allclose(
                h.grad.detach().numpy(), h_t.grad.detach().numpy(), rtol=1e-10, atol=1e-12
            )
    _grads_match(ours, theirs)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_unbatched_layers_match_torch(name):
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn, name)(3, 4, num_layers=2).double()
    ours = getattr(nn, name)(3, 4, num_layers=2, dtype=ad.float64)
    _load_from_torch(ours, theirs)
    x = np.random.default_rng(7).standard_normal((5, 3))
    out, h = ours(ad.tensor(x))
    out_t, h_t = theirs(torch.tensor(x))
    assert out.shape == (5, 4)
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-10)
    for a, b in zip(_flat(h), _flat(h_t)):
        assert a.shape == (2, 4)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10)


def test_recurrent_gradients_match_finite_differences():
    ad.manual_seed(1)
    rng = np.random.default_rng(8)
    x = ad.tensor(rng.standard_normal((4, 2, 2)), requires_grad=True)
    h0 = ad.tensor(rng.standard_normal((4, 2, 3)), requires_grad=True)
    c0 = ad.tensor(rng.standard_normal((4, 2, 3)), requires_grad=True)
    rnn = nn.RNN(2, 3, num_layers=2, bidirectional=True, dtype=ad.float64)
    assert_gradients_match(lambda a, h: rnn(a, h)[0], x, h0)
    assert_gradients_match(lambda a, h: rnn(a, h)[1], x, h0)
    lstm = nn.LSTM(2, 3, num_layers=2, bidirectional=True, dtype=ad.float64)
    assert_gradients_match(lambda a, h, c: lstm(a, (h, c))[0], x, h0, c0)
    assert_gradients_match(lambda a, h, c: lstm(a, (h, c))[1][1], x, h0, c0)
    gru = nn.GRU(2, 3, num_layers=2, bidirectional=True, dtype=ad.float64)
    assert_gradients_match(lambda a, h: gru(a, h)[0], x, h0)
    xc = ad.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    hc = ad.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    for cell in (nn.RNNCell(2, 3, dtype=ad.float64), nn.GRUCell(2, 3, dtype=ad.float64)):
        assert ad.gradcheck(lambda a, h, cell=cell: cell(a, h), (xc, hc))
    lstm_cell = nn.LSTMCell(2, 3, dtype=ad.float64)
    assert ad.gradcheck(lambda a, h: lstm_cell(a, (h, h))[0], (xc, hc))


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_recurrent_init_is_torchs_uniform_and_names(name):
    torch = pytest.importorskip("torch")
    ad.manual_seed(2)
    ours = getattr(nn, name)(30, 50, num_layers=2, bidirectional=True)
    theirs = getattr(torch.nn, name)(30, 50, num_layers=2, bidirectional=True)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    bound = 1 / np.sqrt(50)
    for (key, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert p.shape == tuple(q.shape) and p.dtype == np.float32, key
        v = p.detach().numpy()
        assert v.min() >= -bound and v.max() <= bound and v.std() > 0.8 * bound / np.sqrt(3)


def test_recurrent_errors():
    rnn = nn.RNN(3, 4)
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size"):
        rnn(ad.zeros(5, 2, 2))
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D"):
        rnn(ad.zeros(3))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 2, 4\), got \(2, 4\)"):
        rnn(ad.zeros(5, 2, 3), ad.zeros(2, 4))
    with pytest.raises(TypeError, match=r"expected hx as a tuple \(h_0, c_0\)"):
        nn.LSTM(3, 4)(ad.zeros(5, 2, 3), (ad.zeros(1, 2, 4),))
    with pytest.raises(
        TypeError, match="RNN: input dtype torch.float64 differs from the parameters' dtype"
    ):
        rnn(ad.zeros(5, 2, 3, dtype=ad.float64))
    with pytest.raises(TypeError, match="LSTMCell: input dtype torch.float64"):
        nn.LSTMCell(3, 4)(ad.zeros(2, 3, dtype=ad.float64))
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="hidden_size must be a positive int"):
        nn.RNNCell(3, 0)
    with pytest.raises(ValueError, match="proj_size is not supported"):
        nn.LSTM(3, 4, proj_size=2)
    with pytest.raises(RuntimeError, match="GRUCell: Expected hidden size"):
        nn.GRUCell(3, 4)(ad.zeros(2, 3), ad.zeros(2, 5))
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.RNN(3, 4, num_layers=2, dropout=0.2)


def test_a_character_rnn_trains_like_torch():
    """Embedding -> LSTM -> Linear, five Adam steps: the parameters stay equal to torch's."""
    torch = pytest.importorskip("torch")

    def model(lib, dtype):
        class CharModel(lib.Module):
            def __init__(self):
                super().__init__()
                self.embed = lib.Embedding(6, 4, **dtype)
                self.lstm = lib.LSTM(4, 5, batch_first=True, **dtype)
                self.head = lib.Linear(5, 6, **dtype)

            def forward(self, idx):
                out, _ = self.lstm(self.embed(idx))
                return self.head(out[:, -1])

        return CharModel()

    theirs = model(torch.nn, dict(dtype=torch.float64))
    ours = model(nn, dict(dtype=ad.float64))
    _load_from_torch(ours, theirs)
    opt, opt_t = nn.optim.Adam(ours.parameters(), 0.02), torch.optim.Adam(theirs.parameters(), 0.02)
    rng = np.random.default_rng(10)
    idx, y = rng.integers(0, 6, (4, 7)), rng.integers(0, 6, 4)
    for _ in range(5):
        opt.zero_grad(), opt_t.zero_grad()
        F.cross_entropy(ours(ad.tensor(idx)), ad.tensor(y)).backward()
        torch.nn.functional.cross_entropy(theirs(torch.tensor(idx)), torch.tensor(y)).backward()
        opt.step(), opt_t.step()
    for (k, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
        np.testing.assert_allclose(a, b.detach().numpy(), rtol=1e-8, atol=1e-11, err_msg=k)
