"""torch's summation order (autodiff/cascade.py): x.sum() and x.mean() over every element,
and nll_loss's reductions, give torch's bits on hypothesis-drawn sizes, layouts, magnitudes
and ignored targets (torch on one thread: with more, it splits sums of 32,768 or more
elements between them)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff as ad
import nn
from autodiff import cascade


@pytest.fixture(scope="module")
def torch1():
    """torch on one thread (restored afterwards)."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(threads)


def _bits(a) -> bytes:
    return np.asarray(a).tobytes()


sizes = st.one_of(st.integers(0, 600), st.sampled_from([4095, 4096, 4097, 65536, 70001]))


@settings(max_examples=60, deadline=None)
@given(
    sizes,
    st.sampled_from([np.float32, np.float64]),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["flat", "fortran", "transposed", "apart"]),
)
def test_full_sums_and_means_are_torchs_bits(torch1, n, dtype, seed, layout):
    x = np.random.default_rng(seed).standard_normal(n).astype(dtype)
    if layout == "apart":  # magnitudes far apart: the order shows in more bits
        x = x * dtype(1e-4) + dtype(1e3)
    elif layout != "flat" and n % 3 == 0 and n:
        x = x.reshape(3, -1)
        x = np.asfortranarray(x) if layout == "fortran" else x.T
    theirs = torch1.from_numpy(x.copy(order="K"))
    assert _bits(cascade.full_sum(x)) == _bits(theirs.sum().numpy())
    ours = ad.tensor(x)
    assert _bits(ours.sum().numpy()) == _bits(theirs.sum().numpy())
    if n:
        assert _bits(ours.mean().numpy()) == _bits(theirs.mean().numpy())
        keep = ours.sum(tuple(range(x.ndim)), keepdim=True).numpy()
        tkeep = theirs.sum(tuple(range(x.ndim)), keepdim=True).numpy()
        assert keep.shape == tkeep.shape and _bits(keep) == _bits(tkeep)
        assert _bits(ours.sum(dtype=ad.float64).numpy()) == _bits(
            theirs.sum(dtype=torch1.float64).numpy()
        )
        if x.ndim == 2:  # over one dim of two: NumPy's order still (not torch's, not yet)
            assert _bits(ours.sum(0).numpy()) == _bits(np.add.reduce(x, axis=0))


def test_the_order_without_torch():
    """Pinned facts of torch's order (each also checked against torch where it is installed):
    five float32 values are added x0, x4, x1, x2, x3 (the scalar loop's four sums side by
    side), so 2⁻²⁴ four times and a 1 give 1; NumPy's running order gives 1 + 2⁻²²; sums
    are never -0; other dtypes and layouts keep NumPy's sum."""
    tiny = np.float32(2.0**-24)
    x = np.array([tiny, tiny, tiny, tiny, 1.0], np.float32)
    assert cascade.full_sum(x) == 1.0 and np.add.accumulate(x)[-1] == 1 + 2.0**-22
    assert not np.signbit(cascade.full_sum(-np.zeros(9, np.float32)))
    assert cascade.full_sum(np.arange(10)) == 45  # integers: NumPy's
    strided = np.arange(12.0)[::2]
    assert cascade.full_sum(strided) == 30.0
    torch = pytest.importorskip("torch")
    assert torch.from_numpy(x).sum().item() == 1.0


@settings(max_examples=60, deadline=None)
@given(
    st.one_of(st.integers(1, 300), st.sampled_from([4096, 4097, 5000])),
    st.integers(0, 2**32 - 1),
    st.sampled_from([0.0, 0.3, 0.95]),
    st.booleans(),
    st.sampled_from(["mean", "sum"]),
)
def test_nll_loss_reductions_are_torchs_bits(torch1, n, seed, ignored, weighted, reduction):
    rng = np.random.default_rng(seed)
    logp = np.log(rng.dirichlet(np.ones(5), n)).astype(np.float32)
    target = rng.integers(0, 5, n)
    target[rng.random(n) < ignored] = -100
    weight = rng.random(5).astype(np.float32) if weighted else None
    ours = nn.functional.nll_loss(
        ad.tensor(logp), ad.tensor(target), None if weight is None else ad.tensor(weight),
        reduction=reduction,
    )  # fmt: skip
    theirs = torch1.nn.functional.nll_loss(
        torch1.tensor(logp), torch1.tensor(target),
        None if weight is None else torch1.tensor(weight), reduction=reduction,
    )  # fmt: skip
    assert _bits(ours.detach().numpy()) == _bits(theirs.detach().numpy())


def test_every_short_size_and_a_long_sum_are_torchs(torch1):
    """Each size below five vectors (the fixed short orders and the first side-by-side rows),
    and 3 M float32 elements, enough rows for the cascade's top level to take 22 sums."""
    rng = np.random.default_rng(5)
    for dtype in (np.float32, np.float64):
        for n in range(41):
            x = (rng.standard_normal(n) * 10.0 ** rng.integers(-4, 5, n)).astype(dtype)
            assert _bits(cascade.full_sum(x)) == _bits(torch1.from_numpy(x).sum().numpy()), n
    x = rng.standard_normal(3_000_000).astype(np.float32)
    assert _bits(cascade.full_sum(x)) == _bits(torch1.from_numpy(x).sum().numpy())


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("loss", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_the_losses_reductions_are_torchs(torch1, loss, reduction):
    rng = np.random.default_rng(len(loss))
    for n in (0, 1, 7, 40, 333):  # none (torch: nan and 0, no warning), then magnitudes apart
        x, y = (rng.standard_normal((2, n, 3)) * 10.0 ** rng.integers(-3, 4, (2, n, 3))).astype(
            np.float32
        )
        ours = getattr(nn.functional, loss)(ad.tensor(x), ad.tensor(y), reduction=reduction)
        theirs = getattr(torch1.nn.functional, loss)(
            torch1.tensor(x), torch1.tensor(y), reduction=reduction
        )
        assert _bits(ours.numpy()) == _bits(theirs.numpy()), n
    half = ad.tensor(np.arange(6, dtype=np.float16)), ad.zeros(6, dtype=ad.float16)
    ours = getattr(nn.functional, loss)(*half, reduction=reduction)  # float16: NumPy's order
    theirs = getattr(torch1.nn.functional, loss)(
        torch1.arange(6, dtype=torch1.float16), torch1.zeros(6, dtype=torch1.float16),
        reduction=reduction,
    )  # fmt: skip
    assert ours.dtype == ad.float16 and ours.item() == theirs.item()


def test_a_zero_loss_is_positive_zero(torch1):
    """Log-probabilities of exactly 0: each loss is -0.0, and torch's running sums, which start
    at +0, give +0."""
    for n, reduction in [(5, "mean"), (5, "sum"), (20, "mean"), (20, "sum")]:
        logp, target = np.zeros((n, 3), np.float32), np.arange(n) % 3
        ours = nn.functional.nll_loss(ad.tensor(logp), ad.tensor(target), reduction=reduction)
        theirs = torch1.nn.functional.nll_loss(
            torch1.tensor(logp), torch1.tensor(target), reduction=reduction
        )
        assert _bits(ours.numpy()) == _bits(theirs.numpy()) == _bits(np.float32(0.0))


def test_every_target_ignored_is_torchs(torch1):
    logp, target = np.log(np.full((3, 4), 0.25, np.float32)), np.full(3, -100)
    for reduction in ("mean", "sum"):
        ours = nn.functional.nll_loss(ad.tensor(logp), ad.tensor(target), reduction=reduction)
        theirs = torch1.nn.functional.nll_loss(
            torch1.tensor(logp), torch1.tensor(target), reduction=reduction
        )
        assert _bits(ours.numpy()) == _bits(theirs.numpy())  # -nan (0/0) and +0


def test_nll_loss_over_positions_is_torchs(torch1):
    """(N, C, H, W) log-probabilities: torch's nll_loss2d sums over samples then positions,
    in the same cascade."""
    rng = np.random.default_rng(3)
    logp = np.log(rng.dirichlet(np.ones(4), (6, 7, 9))).transpose(0, 3, 1, 2).astype(np.float32)
    target = rng.integers(0, 4, (6, 7, 9))
    target[0, 0, 0] = target[2, 3, 4] = -100
    ours = nn.functional.nll_loss(ad.tensor(logp), ad.tensor(target))
    theirs = torch1.nn.functional.nll_loss(torch1.tensor(logp), torch1.tensor(target))
    assert _bits(ours.numpy()) == _bits(theirs.numpy())
