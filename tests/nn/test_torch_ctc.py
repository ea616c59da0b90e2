"""F.ctc_loss and nn.CTCLoss against torch: padded and concatenated targets, repeated labels,
another blank, every reduction, an impossible alignment (inf, or 0 with zero_infinity), one
unbatched sample; values, gradients through log_softmax, recorded graphs, finite
differences, errors."""

import numpy as np
import pytest
from torch_twin import compare

import autodiff as ad
import nn
import nn.functional as F

LOGITS = np.random.default_rng(0).standard_normal((7, 3, 5))
PADDED = np.array([[1, 2, 2, 4], [3, 1, 0, 0], [4, 4, 4, 0]])
INPUT_LENGTHS, TARGET_LENGTHS = [7, 5, 7], [4, 2, 3]


def _twins(torch, targets, reduction="mean", blank=0, zero_infinity=False, lengths=None):
    il, tl = lengths or (INPUT_LENGTHS, TARGET_LENGTHS)
    kwargs = dict(blank=blank, reduction=reduction, zero_infinity=zero_infinity)

    def ours(x):
        return F.ctc_loss(x.log_softmax(2), ad.tensor(targets), il, tl, **kwargs)

    def theirs(x):
        return torch.nn.functional.ctc_loss(
            x.log_softmax(2), torch.tensor(targets), torch.tensor(il), torch.tensor(tl), **kwargs
        )

    return ours, theirs


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("concatenated", [False, True])
def test_ctc_loss_matches_torch(reduction, concatenated):
    torch = pytest.importorskip("torch")
    targets = (
        np.concatenate([r[:n] for r, n in zip(PADDED, TARGET_LENGTHS)]) if concatenated else PADDED
    )
    ours, theirs = _twins(torch, targets, reduction)
    compare(torch, ours, theirs, LOGITS, second_order=False)


def test_ctc_loss_with_another_blank_matches_torch():
    torch = pytest.importorskip("torch")
    targets = np.array([[0, 1, 1, 3], [3, 0, 2, 2], [1, 1, 1, 2]])
    ours, theirs = _twins(torch, targets, "none", blank=4)
    compare(torch, ours, theirs, LOGITS, second_order=False)


@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_loss_of_an_impossible_alignment_as_torch(zero_infinity):
    torch = pytest.importorskip("torch")
    # 3 frames cannot hold the 3 labels 4, 4, 4: they need a blank between equal labels
    ours, theirs = _twins(
        torch, PADDED, "none", zero_infinity=zero_infinity, lengths=([7, 5, 3], TARGET_LENGTHS)
    )
    xa, xt = ad.tensor(LOGITS, requires_grad=True), torch.tensor(LOGITS, requires_grad=True)
    out, out_t = ours(xa), theirs(xt)
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-10)
    assert np.isinf(out.detach().numpy()[2]) != zero_infinity
    if zero_infinity:
        out.sum().backward()
        out_t.sum().backward()
        np.testing.assert_allclose(
            xa.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=1e-10, atol=1e-12
        )


def test_ctc_loss_of_one_unbatched_sample_and_the_module_as_torch():
    torch = pytest.importorskip("torch")
    x = LOGITS[:, 0]
    for reduction in ("mean", "sum"):
        ours = F.ctc_loss(
            ad.tensor(x).log_softmax(1), ad.tensor(PADDED[0]), 7, 4, reduction=reduction
        )
        theirs = torch.nn.functional.ctc_loss(
            torch.tensor(x).log_softmax(1), torch.tensor(PADDED[0]), torch.tensor(7), torch.tensor(4),
            reduction=reduction,
        )  # fmt: skip
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    assert repr(nn.CTCLoss(blank=2, zero_infinity=True)) == repr(torch.nn.CTCLoss(blank=2))
    module = nn.CTCLoss(reduction="sum")
    out = module(ad.tensor(LOGITS).log_softmax(2), ad.tensor(PADDED), INPUT_LENGTHS, TARGET_LENGTHS)
    out_t = torch.nn.CTCLoss(reduction="sum")(
        torch.tensor(LOGITS).log_softmax(2), torch.tensor(PADDED), INPUT_LENGTHS, TARGET_LENGTHS
    )
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-12)


def test_ctc_loss_errors():
    lp = ad.tensor(LOGITS).log_softmax(2)
    with pytest.raises(ValueError, match="input_lengths must be of size batch_size"):
        F.ctc_loss(lp, ad.tensor(PADDED), [7, 7], TARGET_LENGTHS)
    with pytest.raises(ValueError, match="Expected input_lengths to have value at most 7"):
        F.ctc_loss(lp, ad.tensor(PADDED), [8, 7, 7], TARGET_LENGTHS)
    with pytest.raises(ValueError, match="size at least 5 at dimension 1"):
        F.ctc_loss(lp, ad.tensor(PADDED), INPUT_LENGTHS, [5, 2, 3])
    with pytest.raises(ValueError, match="blank must be in label range"):
        F.ctc_loss(lp, ad.tensor(PADDED), INPUT_LENGTHS, TARGET_LENGTHS, blank=5)
    x = ad.tensor(LOGITS, requires_grad=True)
    loss = F.ctc_loss(x.log_softmax(2), ad.tensor(PADDED), INPUT_LENGTHS, TARGET_LENGTHS)
    with pytest.raises(RuntimeError, match="derivative of its backward is not implemented"):
        ad.grad(loss, x, create_graph=True)
