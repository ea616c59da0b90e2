"""Module: registration, dotted names, traversal, train/eval, zero_grad, hooks, apply, repr,
containers."""

import numpy as np
import pytest

import autodiff as ad
import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.bn = nn.BatchNorm1d(4)
        self.scale = nn.Parameter(ad.ones(1))
        self.register_buffer("count", np.zeros(1))
        self.not_registered = ad.ones(2)

    def forward(self, x):
        return self.bn(self.fc(x)) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.heads = nn.ModuleList([nn.Linear(4, 2), nn.Linear(4, 1)])
        self.act = nn.ReLU()

    def forward(self, x):
        h = self.act(self.block(x))
        return [head(h) for head in self.heads]


def _torch_net(torch):
    class TBlock(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(3, 4)
            self.bn = torch.nn.BatchNorm1d(4)
            self.scale = torch.nn.Parameter(torch.ones(1))
            self.register_buffer("count", torch.zeros(1))

    class TNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.block = TBlock()
            self.heads = torch.nn.ModuleList([torch.nn.Linear(4, 2), torch.nn.Linear(4, 1)])
            self.act = torch.nn.ReLU()

    return TNet()


def test_names_match_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = Net(), _torch_net(torch)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert {k: v.shape for k, v in ours.state_dict().items()} == {
        k: tuple(v.shape) for k, v in theirs.state_dict().items()}  # fmt: skip
    assert repr(ours).replace("Block", "TBlock").replace("Net(", "TNet(") == repr(theirs)


def test_registration_rules():
    m = Block()
    assert "not_registered" not in dict(m.named_parameters())
    assert isinstance(m.scale, nn.Parameter) and m.scale.requires_grad
    m.scale = nn.Parameter(ad.zeros(2))
    assert m.scale.shape == (2,) and len(list(m.parameters())) == 5
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'scale'"):
        m.scale = ad.ones(2)
    m.scale = None
    assert "scale" not in dict(m.named_parameters())
    del m.fc
    assert [n for n, _ in m.named_children()] == ["bn"]
    shared = nn.Linear(2, 2)
    twice = nn.Sequential(shared, shared)
    assert len(list(twice.parameters())) == 2  # a shared layer counts once, as torch

    class Forgot(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Forgot()
    with pytest.raises(AttributeError, match="has no attribute 'missing'"):
        _ = m.missing


def test_parameter_wraps_and_shares_memory():
    t = ad.ones(3)
    p = nn.Parameter(t)
    assert p.requires_grad and p.is_leaf and p.detach().numpy() is t.detach().numpy()
    assert nn.Parameter(np.arange(3)).dtype == ad.get_default_dtype()
    assert not nn.Parameter(ad.ones(2), requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter containing:")
    for dtype in (ad.bfloat16, ad.float16, ad.float64, ad.complex64):  # kept, as torch
        assert nn.Parameter(ad.ones(2).to(dtype)).dtype == dtype


def test_train_eval_zero_grad_apply():
    m = Net()
    assert m.training and m.block.bn.training
    assert m.eval() is m and not m.block.bn.training and not m.heads[1].training
    m.train()
    assert all(mod.training for mod in m.modules())
    out = m(ad.randn(5, 3))
    (out[0].sum() + out[1].sum()).backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen[-1] == "Net" and seen.index("Linear") < seen.index("Block")


def test_forward_hook_sees_inputs_and_output_and_can_be_removed():
    m = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    log = []
    handle = m[1].register_forward_hook(lambda mod, inp, out: log.append((inp[0].shape, out)))
    out = m(ad.randn(4, 2))
    assert log[0][0] == (4, 3) and log[0][1] is out
    handle.remove()
    m(ad.randn(4, 2))
    assert len(log) == 1
    m[0].register_forward_hook(lambda mod, inp, out: out * 0)
    assert np.all(m(ad.randn(4, 2)).detach().numpy() == 0)


def test_sequential_and_module_list():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    seq = nn.Sequential(*layers)
    assert len(seq) == 3 and seq[0] is layers[0] and seq[-1] is layers[2]
    assert list(seq) == layers and isinstance(seq[1:], nn.Sequential) and len(seq[1:]) == 2
    x = ad.randn(4, 2)
    np.testing.assert_array_equal(
        seq(x).detach().numpy(), layers[2](layers[1](layers[0](x))).detach().numpy()
    )
    with pytest.raises(IndexError, match="index 3 is out of range"):
        seq[3]
    seq.append(nn.Sigmoid())
    assert len(seq) == 4 and [n for n, _ in seq.named_children()] == ["0", "1", "2", "3"]
    ml = nn.ModuleList(layers[:1])
    ml.append(layers[2])
    ml.extend([nn.Tanh()])
    assert len(ml) == 3 and ml[1] is layers[2]
    assert [n for n, _ in ml.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_custom_module_without_forward_errors():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(ad.ones(1))
