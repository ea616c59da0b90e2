"""nn.RNNBase and nn.RNNCellBase as torch has them: the bases of the recurrent layers and cells
(isinstance, the class hierarchy, mode), built directly with torch's arguments (state_dict keys
and shapes), RNNBase(mode, ...) against torch's layer of that mode, the cells' base without a
forward, and the errors."""

import numpy as np
import pytest

import autodiff as ad
import nn

LAYERS = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("GRU", {})]


@pytest.mark.parametrize("name,kwargs", LAYERS, ids=str)
def test_layers_derive_from_rnn_base_with_torchs_mode(name, kwargs):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(3, 4, **kwargs), getattr(torch.nn, name)(3, 4, **kwargs)
    assert isinstance(ours, nn.RNNBase) and isinstance(ours, nn.Module)
    assert not isinstance(ours, nn.RNNCellBase)
    assert ours.mode == theirs.mode
    assert [c.__name__ for c in type(ours).__mro__[:2]] == [
        c.__name__ for c in type(theirs).__mro__[:2]
    ]


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_derive_from_rnn_cell_base(name):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(3, 4), getattr(torch.nn, name)(3, 4)
    assert isinstance(ours, nn.RNNCellBase) and not isinstance(ours, nn.RNNBase)
    assert isinstance(theirs, torch.nn.RNNCellBase)
    assert [c.__name__ for c in type(ours).__mro__[:2]] == [
        c.__name__ for c in type(theirs).__mro__[:2]
    ]


@pytest.mark.parametrize("mode,layer", [("RNN_TANH", "RNN"), ("RNN_RELU", "RNN"),
                                        ("LSTM", "LSTM"), ("GRU", "GRU")])  # fmt: skip
def test_rnn_base_built_directly_has_torchs_parameters_and_runs_its_mode(mode, layer):
    torch = pytest.importorskip("torch")
    kwargs = dict(num_layers=2, bidirectional=True, batch_first=True)
    ours, theirs = nn.RNNBase(mode, 3, 4, **kwargs), torch.nn.RNNBase(mode, 3, 4, **kwargs)
    state_t = theirs.state_dict()
    assert list(ours.state_dict()) == list(state_t)
    for key, value in state_t.items():
        assert tuple(ours.state_dict()[key].shape) == tuple(value.shape), key
    assert repr(ours) == repr(theirs) and ours.mode == mode
    # torch's base has no forward: its layer of the same mode on the same weights
    extra = {"nonlinearity": "relu"} if mode == "RNN_RELU" else {}
    reference = getattr(torch.nn, layer)(3, 4, **kwargs, **extra)
    reference.load_state_dict(state_t)
    ours.load_state_dict({k: ad.tensor(v.detach().numpy()) for k, v in state_t.items()})
    x = np.random.default_rng(0).standard_normal((2, 5, 3)).astype(np.float32)
    out, _ = ours(ad.tensor(x))
    out_t, _ = reference(torch.tensor(x))
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_rnn_cell_base_built_directly_has_torchs_parameters_and_no_forward():
    torch = pytest.importorskip("torch")
    for bias in (True, False):
        ours, theirs = nn.RNNCellBase(3, 4, bias, 2), torch.nn.RNNCellBase(3, 4, bias, 2)
        assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {
            k: tuple(v.shape) for k, v in theirs.state_dict().items()
        }
        assert repr(ours) == repr(theirs)
    with pytest.raises(NotImplementedError):
        theirs(torch.zeros(2, 3))
    with pytest.raises(NotImplementedError, match="RNNCellBase"):
        ours(ad.zeros(2, 3))


def test_errors_and_a_saved_layer_keeps_its_mode(tmp_path):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match="Unrecognized RNN mode: LSTMX"):
        torch.nn.RNNBase("LSTMX", 3, 4)
    with pytest.raises(ValueError, match="Unrecognized RNN mode: LSTMX"):
        nn.RNNBase("LSTMX", 3, 4)
    layer = nn.RNN(3, 4, nonlinearity="relu")
    ad.save(layer, tmp_path / "rnn.pt")
    loaded = ad.load(tmp_path / "rnn.pt", weights_only=False)
    assert loaded.mode == "RNN_RELU" and isinstance(loaded, nn.RNNBase)
    x = ad.tensor(np.linspace(-1, 1, 15, dtype=np.float32).reshape(5, 3))
    np.testing.assert_array_equal(loaded(x)[0].detach().numpy(), layer(x)[0].detach().numpy())
