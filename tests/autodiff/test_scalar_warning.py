"""float() of a tensor that requires grad warns as torch 2.13 does, once a process; .item(),
int(), bool() and formatting do not; the library's own loops never set it off."""

import sys
import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.tensor  # noqa: F401  (the module, not ad.tensor the function)
import nn

tensor_module = sys.modules["autodiff.tensor"]

MESSAGE = (
    "Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
    "Consider using tensor.detach() first."
)


def test_float_of_a_tensor_that_requires_grad_warns_once(monkeypatch):
    monkeypatch.setattr(tensor_module, "_warned_float", [])
    t = ad.tensor(1.5, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert t.item() == 1.5 and int(t) == 1 and bool(t) and f"{t:.2f}" == "1.50"
        assert float(ad.tensor(2.0)) == 2.0  # no grad: nothing to say
        with ad.no_grad():
            assert float(t) == 1.5  # grad mode off: torch says nothing either
    with pytest.warns(UserWarning) as caught:
        assert float(t * 2) == 3.0  # a non-leaf too
    assert [str(w.message) for w in caught] == [MESSAGE]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        float(t)  # once a process, as torch's TORCH_WARN_ONCE


def test_fit_does_not_set_it_off(monkeypatch):
    monkeypatch.setattr(tensor_module, "_warned_float", [])
    ad.manual_seed(0)
    x = ad.tensor(np.random.default_rng(0).standard_normal((32, 3)).astype(np.float32))
    y = ad.tensor(np.random.default_rng(1).integers(0, 2, 32))
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    loader = nn.data.DataLoader(nn.data.TensorDataset(x, y), batch_size=8)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        nn.fit(model, loader, epochs=1, optimizer=nn.optim.SGD(model.parameters(), lr=0.1))
    assert tensor_module._warned_float == []


def test_lbfgs_does_not_set_it_off(monkeypatch):
    """torch's LBFGS reads the closure's loss with float() inside its no_grad step: silent."""
    monkeypatch.setattr(tensor_module, "_warned_float", [])
    w = ad.tensor([1.0, -2.0], requires_grad=True)
    opt = nn.optim.LBFGS([w])

    def closure():
        opt.zero_grad()
        loss = (w**2).sum()
        loss.backward()
        return loss

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        opt.step(closure)
    assert tensor_module._warned_float == []
