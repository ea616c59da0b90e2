"""torch.lstm, torch.gru, torch.rnn_tanh, torch.rnn_relu (nn/torch_functions.py): whole sequences
over torch's flat weights, padded or packed; outputs, final states and the gradients of the
input, the initial states and every weight against torch's, finite differences in float64,
and torch's errors."""

import itertools

import numpy as np
import pytest

import autodiff as ad
import nn.torch_functions as T

# name -> (gates, states)
KINDS = {"lstm": (4, 2), "gru": (3, 1), "rnn_tanh": (1, 1), "rnn_relu": (1, 1)}
OPTIONS = list(itertools.product((1, 2), (False, True), (False, True), (True, False)))


def _arrays(name, layers, bidirectional, has_biases, rng, size=3, hidden=4, n=2, length=5):
    """x (length, n, size), the initial states and the flat weights, as NumPy arrays."""
    gates, states = KINDS[name]
    directions = 2 if bidirectional else 1
    params = []
    for layer in range(layers):
        width = size if layer == 0 else hidden * directions
        for _ in range(directions):
            params += [rng.standard_normal((gates * hidden, width)) * 0.5]
            params += [rng.standard_normal((gates * hidden, hidden)) * 0.5]
            if has_biases:
                params += [rng.standard_normal(gates * hidden) * 0.5 for _ in range(2)]
    hx = [rng.standard_normal((layers * directions, n, hidden)) for _ in range(states)]
    return rng.standard_normal((length, n, size)), hx, params


def _tensors(lib, x, hx, params, name):
    x = lib.tensor(x, requires_grad=True)
    hx = [lib.tensor(h, requires_grad=True) for h in hx]
    params = [lib.tensor(p, requires_grad=True) for p in params]
    return x, hx, params, (tuple(hx) if KINDS[name][1] == 2 else hx[0])


def _backward(outputs, lib, rng_seed=1):
    rng = np.random.default_rng(rng_seed)
    total = sum((o * lib.tensor(rng.standard_normal(tuple(o.shape)))).sum() for o in outputs)
    total.backward()


@pytest.mark.parametrize("name", list(KINDS))
@pytest.mark.parametrize("layers, bidirectional, batch_first, has_biases", OPTIONS)
def test_sequence_function_matches_torch(name, layers, bidirectional, batch_first, has_biases):
    torch = pytest.importorskip("torch")
    arrays = _arrays(name, layers, bidirectional, has_biases, np.random.default_rng(layers))
    if batch_first:
        arrays = (arrays[0].transpose(1, 0, 2), *arrays[1:])
    results = []
    for lib, fn in ((torch, getattr(torch, name)), (ad, getattr(T, name))):
        x, hx, params, state = _tensors(lib, *arrays, name)
        out = fn(x, state, params, has_biases, layers, 0.0, True, bidirectional, batch_first)
        assert isinstance(out, tuple) and len(out) == 1 + KINDS[name][1]
        _backward(out, lib)
        results.append([t.detach().numpy() for t in (*out, x.grad, *hx)])
        results[-1] += [p.grad.detach().numpy() for p in params]
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", list(KINDS))
def test_packed_form_matches_torch(name):
    """(data, batch_sizes, hx, params, has_biases, num_layers, dropout, train, bidirectional)."""
    torch = pytest.importorskip("torch")
    _, hx, params = _arrays(name, 2, True, True, np.random.default_rng(7), n=3)
    data = np.random.default_rng(8).standard_normal((7, 3))  # lengths 3, 2, 2
    sizes = [3, 3, 1]
    results = []
    for lib, fn in ((torch, getattr(torch, name)), (ad, getattr(T, name))):
        x, h, p, state = _tensors(lib, data, hx, params, name)
        out = fn(x, lib.tensor(sizes), state, p, True, 2, 0.0, True, True)
        _backward(out, lib)
        results.append([t.detach().numpy() for t in (*out, x.grad, *h, *(q.grad for q in p))])
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_dropout_between_layers_draws_torchs_masks():
    torch = pytest.importorskip("torch")
    x, hx, params = _arrays("gru", 3, False, True, np.random.default_rng(3))
    outs = []
    for lib, fn in ((torch, torch.gru), (ad, T.gru)):
        lib.manual_seed(11)
        x_, _, p, h = _tensors(lib, x, hx, params, "gru")
        outs.append([t.detach().numpy() for t in fn(x_, h, p, True, 3, 0.4, True, False, False)])
        lib.manual_seed(11)
        quiet = fn(x_, h, p, True, 3, 0.4, False, False, False)  # train=False: no dropout
        outs[-1] += [t.detach().numpy() for t in quiet]
    for ours, theirs in zip(outs[1], outs[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", list(KINDS))
def test_gradients_match_finite_differences(name):
    x, hx, params = _arrays(name, 2, True, True, np.random.default_rng(4), 2, 2, 2, 3)
    count = len(hx)

    def f(x, *rest):
        state = tuple(rest[:count]) if count == 2 else rest[0]
        return getattr(T, name)(x, state, list(rest[count:]), True, 2, 0.0, True, True, False)

    inputs = [ad.tensor(a, requires_grad=True) for a in (x, *hx, *params)]
    assert ad.gradcheck(f, inputs)


def test_errors_name_the_function_and_what_to_give():
    x, hx, params = _arrays("lstm", 2, False, True, np.random.default_rng(0))
    x, hx, params, state = _tensors(ad, x, hx, params, "lstm")
    with pytest.raises(RuntimeError, match=r"lstm: params must hold 4 tensors .* got 4"):
        T.lstm(x, state, params[:4], True, 2, 0.0, True, False, False)
    with pytest.raises(RuntimeError, match=r"lstm: params must hold 2 tensors .* 4 for"):
        T.lstm(x, state, params, False, 2, 0.0, True, False, False)
    with pytest.raises(TypeError, match=r"lstm\(\): argument 'hx' must be a tuple of two"):
        T.lstm(x, hx[0], params, True, 2, 0.0, True, False, False)
    with pytest.raises(TypeError, match=r"gru\(\): argument 'hx' must be a Tensor"):
        T.gru(x, (hx[0],), params, True, 2, 0.0, True, False, False)
    with pytest.raises(IndexError, match=r"lstm: input must be 3-d"):
        T.lstm(x[:, 0], (hx[0][:, 0], hx[1][:, 0]), params, True, 2, 0.0, True, False, False)


def test_torch_raises_the_same_types():
    torch = pytest.importorskip("torch")
    x, hx, params = _arrays("lstm", 2, False, True, np.random.default_rng(0))
    x, hx, params, state = _tensors(torch, x, hx, params, "lstm")
    with pytest.raises(RuntimeError):
        torch.lstm(x, state, params[:4], True, 2, 0.0, True, False, False)
    with pytest.raises(TypeError):
        torch.lstm(x, hx[0], params, True, 2, 0.0, True, False, False)
    with pytest.raises(IndexError):
        torch.lstm(x[:, 0], (hx[0][:, 0], hx[1][:, 0]), params, True, 2, 0.0, True, False, False)
