"""torch.topk's order among equal values (its CPU kernel's unstable libstdc++ selection and
sort, autodiff/ops/stl_sort.py), on rows full of ties, NaNs, both selection paths
(partial_sort when k * 64 <= n, else nth_element then sort), largest and smallest, sorted or
not: the indices equal torch's."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff as ad


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(1, 300),
    k_fraction=st.floats(0, 1),
    levels=st.integers(1, 9),
    nans=st.integers(0, 3),
    largest=st.booleans(),
    sorted_=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_topk_indices_equal_torchs_among_ties(n, k_fraction, levels, nans, largest, sorted_, seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    values = rng.integers(0, levels, n).astype(np.float32)
    values[rng.integers(0, n, nans)] = np.nan
    k = max(1, min(n, round(k_fraction * n)))
    if seed % 2:  # half the draws take the partial_sort path where the row allows it
        k = max(1, n // 64) if n >= 64 else k
    ours = ad.topk(ad.tensor(values), k, largest=largest, sorted=sorted_)
    theirs = torch.topk(torch.tensor(values), k, largest=largest, sorted=sorted_)
    np.testing.assert_array_equal(ours.indices.detach().numpy(), theirs.indices.detach().numpy())
    np.testing.assert_array_equal(ours.values.detach().numpy(), theirs.values.detach().numpy())


def test_topk_ties_along_a_middle_dim_and_k_zero():
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(1).integers(0, 3, (2, 70, 3)).astype(np.float32)
    for k in (0, 1, 5, 70):
        ours = ad.topk(ad.tensor(values), k, dim=1)
        theirs = torch.topk(torch.tensor(values), k, dim=1)
        np.testing.assert_array_equal(
            ours.indices.detach().numpy(), theirs.indices.detach().numpy()
        )


@pytest.mark.parametrize("n", [64, 128, 192, 640])
def test_topk_ties_at_the_partial_sort_boundary(n):
    """k * 64 == n: torch's kernel still takes partial_sort (its test is <=)."""
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(n).integers(0, 2, (8, n)).astype(np.float32)
    for largest in (True, False):
        ours = ad.topk(ad.tensor(values), n // 64, largest=largest)
        theirs = torch.topk(torch.tensor(values), n // 64, largest=largest)
        np.testing.assert_array_equal(
            ours.indices.detach().numpy(), theirs.indices.detach().numpy()
        )


@settings(max_examples=150, deadline=None)
@given(
    rows=st.integers(1, 5),
    n=st.integers(1, 200),
    k_fraction=st.floats(0, 1),
    copies=st.integers(0, 3),
    nans=st.integers(0, 2),
    largest=st.booleans(),
    sorted_=st.booleans(),
    dtype=st.sampled_from([np.float32, np.float64, np.int64]),
    seed=st.integers(0, 2**16),
)
def test_topk_of_rows_mostly_distinct_equals_torchs(
    rows, n, k_fraction, copies, nans, largest, sorted_, dtype, seed
):
    """Several rows at once: distinct rows take one vectorised selection, a row where a copied
    value (a tie) or NaNs reach the top k takes torch's tie order; all equal torch's."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    values = np.stack([rng.permutation(n) for _ in range(rows)]).astype(np.float64)
    for _ in range(copies):  # a tie, often among the largest or smallest
        r, i, j = rng.integers(0, rows), rng.integers(0, n), rng.integers(0, n)
        values[r, i] = values[r, j]
    if dtype != np.int64:
        for _ in range(nans):
            values[rng.integers(0, rows), rng.integers(0, n)] = np.nan
    values = values.astype(dtype)
    k = max(1, min(n, round(k_fraction * n)))
    ours = ad.topk(ad.tensor(values), k, largest=largest, sorted=sorted_)
    theirs = torch.topk(torch.tensor(values), k, largest=largest, sorted=sorted_)
    np.testing.assert_array_equal(ours.indices.detach().numpy(), theirs.indices.detach().numpy())
    np.testing.assert_array_equal(ours.values.detach().numpy(), theirs.values.detach().numpy())
