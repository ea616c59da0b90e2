"""nn.utils' BatchNorm folding (torch.nn.utils.fusion) against torch and against the two
layers it replaces."""

import numpy as np
import pytest

import autodiff as ad
import nn


def _pair(torch, make, features):
    """The same layer and eval-mode BatchNorm (1d with features, else 2d over 4 channels) in
    both libraries, torch's values copied into ours: ((ours), (torch's))."""
    torch.manual_seed(0)
    norm = "BatchNorm1d" if features else "BatchNorm2d"
    layer, bn = make(torch.nn), getattr(torch.nn, norm)(features or 4)
    with torch.no_grad():
        bn.running_mean.uniform_(-1, 1), bn.running_var.uniform_(0.5, 2)
        bn.weight.uniform_(0.5, 1.5), bn.bias.uniform_(-1, 1)
    ours = make(nn), getattr(nn, norm)(features or 4)
    for mine, theirs in zip(ours, (layer, bn)):
        mine.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
        mine.eval(), theirs.eval()
    return ours, (layer, bn)


CASES = [
    ("conv", lambda lib: lib.Conv2d(3, 4, 3), None, (2, 3, 6, 6), "fuse_conv_bn_eval"),
    ("conv without bias", lambda lib: lib.Conv2d(3, 4, 3, bias=False), None, (2, 3, 5, 5),
     "fuse_conv_bn_eval"),
    ("linear", lambda lib: lib.Linear(5, 4), 4, (3, 5), "fuse_linear_bn_eval"),
]  # fmt: skip


@pytest.mark.parametrize("name, make, features, shape, fuse", CASES, ids=[c[0] for c in CASES])
def test_fused_layer_computes_both_as_torch(name, make, features, shape, fuse):
    torch = pytest.importorskip("torch")
    (layer, bn), (t_layer, t_bn) = _pair(torch, make, features)
    fused, t_fused = (
        getattr(nn.utils, fuse)(layer, bn),
        getattr(torch.nn.utils, fuse)(t_layer, t_bn),
    )
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    ours = fused(ad.tensor(x)).detach().numpy()
    np.testing.assert_allclose(ours, t_fused(torch.tensor(x)).detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(ours, bn(layer(ad.tensor(x))).detach().numpy(), atol=1e-5)
    assert isinstance(fused.weight, nn.Parameter) and fused.weight.requires_grad
    assert fused is not layer and layer.weight is not fused.weight  # a new layer


def test_fusion_refuses_training_mode_and_mismatched_features():
    conv, bn = nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)
    for training in ((conv, bn), (conv, bn.eval()), (conv.eval(), bn.train())):
        with pytest.raises(AssertionError, match="Fusion only for eval!"):
            nn.utils.fuse_conv_bn_eval(*training)
    linear, bn3 = nn.Linear(5, 4).eval(), nn.BatchNorm1d(3).eval()
    with pytest.raises(AssertionError, match="linear.out_features=4 and bn.num_features=3"):
        nn.utils.fuse_linear_bn_eval(linear, bn3)
    untracked = nn.BatchNorm2d(4, track_running_stats=False).eval()
    with pytest.raises(AssertionError, match="running_mean and bn.running_var must not be None"):
        nn.utils.fuse_conv_bn_eval(conv.eval(), untracked)
