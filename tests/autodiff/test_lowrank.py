"""torch.svd_lowrank / torch.pca_lowrank against torch with the same seed: the random
projection is torch's draw (ad.randn), so the singular values are torch's to rounding; the
singular vectors are torch's up to the sign of each column (ad.linalg.svd picks its signs
otherwise than torch's LAPACK call), so they are compared as subspaces with their signs."""

import numpy as np
import pytest

import autodiff as ad

RNG = np.random.default_rng(3)
TALL, WIDE = RNG.standard_normal((9, 5)), RNG.standard_normal((2, 4, 7))


def _same_up_to_signs(ours, theirs):
    """Each column equal to torch's, or to its negative."""
    a, b = ours.detach().numpy(), theirs.detach().numpy()
    signs = np.sign((a * b).sum(-2, keepdims=True))
    np.testing.assert_allclose(a * signs, b, atol=1e-10)


CASES = {
    "tall": lambda lib, A: lib.svd_lowrank(A, q=3),
    "wide, batched, no power steps": lambda lib, A: lib.svd_lowrank(A.mT, q=4, niter=0),
    "with M": lambda lib, A: lib.svd_lowrank(A, q=2, niter=1, M=A[:1] * 0.5),
    "pca": lambda lib, A: lib.pca_lowrank(A),
    "pca, wide, not centered": lambda lib, A: lib.pca_lowrank(A.mT, q=2, center=False),
}


@pytest.mark.parametrize("name", CASES)
def test_lowrank_matches_torch_with_the_same_seed(name):
    torch = pytest.importorskip("torch")
    values = WIDE.transpose(0, 2, 1) if "batched" in name else TALL
    results = []
    for lib in (ad, torch):
        lib.manual_seed(11)
        A = lib.tensor(values, requires_grad=True)
        U, S, V = CASES[name](lib, A)
        (S * lib.arange(1.0, S.shape[-1] + 1, dtype=lib.float64)).sum().backward()
        results.append((U, S, V, A.grad))
    (U, S, V, grad), (Ut, St, Vt, gradt) = results
    assert U.shape == Ut.shape and V.shape == Vt.shape and S.shape == St.shape
    np.testing.assert_allclose(S.detach().numpy(), St.detach().numpy(), rtol=1e-10)
    _same_up_to_signs(U, Ut)
    _same_up_to_signs(V, Vt)
    np.testing.assert_allclose(grad.detach().numpy(), gradt.detach().numpy(), atol=1e-9)


def test_a_full_rank_q_reconstructs_the_matrix():
    ad.manual_seed(0)
    A = ad.tensor(TALL)
    U, S, V = ad.svd_lowrank(A, q=5)
    np.testing.assert_allclose((U * S) @ V.mT, TALL, atol=1e-10)


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.pca_lowrank(lib.ones(3, 4), q=5),
        lambda lib: lib.pca_lowrank(lib.ones(3, 4), q=-1),
        lambda lib: lib.pca_lowrank(lib.ones(3, 4), niter=-1),
    ],
)
def test_lowrank_refusals_as_torch(call):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError) as theirs:
        call(torch)
    with pytest.raises(ValueError) as ours:
        call(ad)
    assert str(ours.value) == str(theirs.value)
