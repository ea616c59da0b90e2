"""Skip connections: residual (add) and concat blocks against torch and finite differences."""

import numpy as np
import pytest

import autodiff as ad
import nn
from autodiff.testing import assert_gradients_match


def _double(block):
    for p in block.parameters():
        p.data = p.detach().numpy().astype(np.float64)
    for _, buf in block.named_buffers():
        buf.data = buf.detach().numpy().astype(np.float64)
    return block


@pytest.mark.parametrize("in_c, out_c, stride", [(3, 3, 1), (2, 4, 2), (3, 5, 1)])
def test_residual_block_matches_torch_forward_and_gradients(in_c, out_c, stride):
    torch = pytest.importorskip("torch")
    ad.manual_seed(0)
    ours = _double(nn.ResidualBlock(in_c, out_c, stride=stride))
    body = torch.nn.Sequential(
        torch.nn.Conv2d(in_c, out_c, 3, stride, 1, bias=False), torch.nn.BatchNorm2d(out_c),
        torch.nn.ReLU(), torch.nn.Conv2d(out_c, out_c, 3, 1, 1, bias=False),
        torch.nn.BatchNorm2d(out_c)).double()  # fmt: skip
    short = torch.nn.Sequential()
    if stride != 1 or in_c != out_c:
        short = torch.nn.Sequential(torch.nn.Conv2d(in_c, out_c, 1, stride, bias=False),
                                    torch.nn.BatchNorm2d(out_c)).double()  # fmt: skip
    theirs = torch.nn.ModuleDict({"body": body, "shortcut": short})
    theirs.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in
                            ours.state_dict().items()})  # fmt: skip
    x = np.random.default_rng(1).standard_normal((2, in_c, 6, 5))
    xa, xt = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, out_t = ours(xa), torch.relu(body(xt) + short(xt))
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    out.sum().backward()
    out_t.sum().backward()
    np.testing.assert_allclose(
        xa.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=1e-9, atol=1e-12
    )
    grads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(
            p.grad.detach().numpy(), grads[name].grad.detach().numpy(), rtol=1e-9, atol=1e-12
        )
    assert out.grad_fn.name() == "ReluBackward0"
    assert out.grad_fn.next_functions[0][0].name() == "AddBackward0"


def test_identity_shortcut_carries_the_gradient_past_a_zeroed_body():
    block = _double(nn.ResidualBlock(2, 2)).eval()
    for p in block.body.parameters():
        p.data[...] = 0.0  # F(x) = 0: the block is relu(x), so dL/dx = 1 where x > 0
    x = ad.tensor(np.random.default_rng(2).standard_normal((1, 2, 4, 4)), requires_grad=True)
    block(x).sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), (x.detach().numpy() > 0).astype(float))
    assert len(block.shortcut) == 0


@pytest.mark.parametrize("make", [lambda: nn.ResidualBlock(2, 3, stride=2),
                                  lambda: nn.ConcatBlock(2, 3)])  # fmt: skip
def test_blocks_pass_finite_differences_in_training_mode(make):
    ad.manual_seed(3)
    block = _double(make())
    x = ad.tensor(np.random.default_rng(3).standard_normal((3, 2, 5, 5)), requires_grad=True)
    params = list(block.parameters())
    assert_gradients_match(lambda x, *ps: block(x), x, *params)


def test_concat_block_keeps_its_input_and_appends_growth_channels():
    block = nn.ConcatBlock(3, growth=4)
    x = ad.randn(2, 3, 5, 5, requires_grad=True)
    out = block(x)
    assert out.shape == (2, 7, 5, 5) and block.out_channels == 7
    np.testing.assert_array_equal(out.detach().numpy()[:, :3], x.detach().numpy())
    assert out.grad_fn.name() == "CatBackward0"
    out[:, :3].sum().backward()  # only the kept channels: dL/dx is exactly one
    np.testing.assert_array_equal(x.grad.detach().numpy(), 1.0)
