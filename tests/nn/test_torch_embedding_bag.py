"""F.embedding_bag and nn.EmbeddingBag against torch: every mode, offsets (with and without
the last one), 2-D bags, empty bags, padding_idx, per_sample_weights; values, gradients,
recorded graphs, finite differences, second order, seeded initialisation, errors."""

import numpy as np
import pytest
from torch_twin import compare

import autodiff as ad
import nn
import nn.functional as F

INDICES = np.array([1, 2, 4, 5, 4, 3, 2, 9])
OFFSETS = np.array([0, 4, 4, 6])  # bag 1 is empty
CASES = [
    dict(),
    dict(padding_idx=4),
    dict(include_last_offset=True),
]


def _weight(seed=0):
    return np.random.default_rng(seed).standard_normal((10, 3))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("kwargs", CASES)
def test_embedding_bag_with_offsets_matches_torch(mode, kwargs):
    torch = pytest.importorskip("torch")
    offsets = np.append(OFFSETS, len(INDICES)) if kwargs.get("include_last_offset") else OFFSETS
    compare(
        torch,
        lambda w: F.embedding_bag(ad.tensor(INDICES), w, ad.tensor(offsets), mode=mode, **kwargs),
        lambda w: torch.nn.functional.embedding_bag(
            torch.tensor(INDICES), w, torch.tensor(offsets), mode=mode, **kwargs
        ),
        _weight(),
    )


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_of_a_2d_batch_matches_torch(mode):
    torch = pytest.importorskip("torch")
    bags = INDICES.reshape(2, 4)
    compare(
        torch,
        lambda w: F.embedding_bag(ad.tensor(bags), w, mode=mode),
        lambda w: torch.nn.functional.embedding_bag(torch.tensor(bags), w, mode=mode),
        _weight(1),
    )


@pytest.mark.parametrize("padding_idx", [None, 4])
@pytest.mark.parametrize("bags", [INDICES, INDICES.reshape(2, 4)])
def test_embedding_bag_per_sample_weights_match_torch(bags, padding_idx):
    torch = pytest.importorskip("torch")
    offsets = OFFSETS if bags.ndim == 1 else None

    def run(lib, F_, w, psw):
        return F_.embedding_bag(
            lib.tensor(bags), w, None if offsets is None else lib.tensor(offsets), mode="sum",
            per_sample_weights=psw, padding_idx=padding_idx,
        )  # fmt: skip

    psw = np.random.default_rng(2).random(bags.shape)
    compare(
        torch,
        lambda w, p: run(ad, F, w, p),
        lambda w, p: run(torch, torch.nn.functional, w, p),
        _weight(2),
        psw,
        second_order=False,  # the table's gradient takes the weights as constants
    )


def test_scale_grad_by_freq_divides_by_each_index_frequency_as_embedding_does():
    torch = pytest.importorskip("torch")
    # torch 2.13's embedding_bag kernel pairs frequencies with the wrong rows here (rows 3
    # and 4 swap theirs); ours divides as torch's F.embedding does, its documented meaning
    w = _weight(3)
    bag_of_entry = np.array([0, 0, 0, 0, 2, 2, 3, 3])
    g = np.random.default_rng(4).standard_normal((4, 3))
    a = ad.tensor(w, requires_grad=True)
    out = F.embedding_bag(
        ad.tensor(INDICES), a, ad.tensor(OFFSETS), mode="sum", scale_grad_by_freq=True
    )
    out.backward(ad.tensor(g))
    t = torch.tensor(w, requires_grad=True)
    rows = torch.nn.functional.embedding(torch.tensor(INDICES), t, scale_grad_by_freq=True)
    (rows * torch.tensor(g[bag_of_entry])).sum().backward()
    np.testing.assert_allclose(a.grad.detach().numpy(), t.grad.detach().numpy(), rtol=1e-12)


def test_embedding_bag_module_initialises_as_torch():
    torch = pytest.importorskip("torch")
    for kwargs in (dict(), dict(mode="max", padding_idx=2), dict(mode="sum", max_norm=1.0)):
        ad.manual_seed(3)
        torch.manual_seed(3)
        ours, theirs = nn.EmbeddingBag(10, 3, **kwargs), torch.nn.EmbeddingBag(10, 3, **kwargs)
        assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())
        np.testing.assert_array_equal(ours.weight.detach().numpy(), theirs.weight.detach().numpy())
        out = ours(ad.tensor(INDICES), ad.tensor(OFFSETS))
        out_t = theirs(torch.tensor(INDICES), torch.tensor(OFFSETS))
        np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-6)
        np.testing.assert_allclose(
            ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-6
        )


def test_embedding_bag_errors():
    w = ad.ones(10, 3)
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        F.embedding_bag(ad.tensor([[1, 2]]), w, ad.tensor([0]))
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(ad.tensor([1, 2]), w)
    with pytest.raises(ValueError, match="input has to be 1D or 2D Tensor"):
        F.embedding_bag(ad.zeros(1, 1, 1, dtype=ad.int64), w)
    with pytest.raises(ValueError, match="per_sample_weights is only supported for mode='sum'"):
        F.embedding_bag(ad.tensor([[1, 2]]), w, per_sample_weights=ad.ones(1, 2))
    with pytest.raises(ValueError, match="mode has to be one of sum, mean or max"):
        F.embedding_bag(ad.tensor([[1, 2]]), w, mode="min")
    with pytest.raises(IndexError, match="out of range"):
        F.embedding_bag(ad.tensor([[1, 12]]), w)
    with pytest.raises(ValueError, match="offsets must start at 0"):
        F.embedding_bag(ad.tensor([1, 2]), w, ad.tensor([1]))
