"""torch.special's orthogonal polynomials (ops/polynomials.py) against torch on hypothesis-drawn
x and n: float32 and float64, n as an integer or a float tensor (torch truncates it; nan, inf
and huge n give 0), broadcasting, numbers on either side, torch's special cases (|x| = 1, the
shifted forms' 0 and 1, n < 0, 0 and 1, Hermite's nan past 128 / 512), large n on the
trigonometric path, dtypes, and no gradient. Within 4 eps of max(|value|, 1): torch's compiled
loops fuse multiply-adds, reproduced here, so most values are equal bit for bit."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff.ops import polynomials

NAMES = polynomials.__all__
# torch's loop leaves its result uninitialized for x = nan, n >= 2: these give nan here
UNINITIALIZED = set(NAMES) - {
    "chebyshev_polynomial_t",
    "hermite_polynomial_h",
    "hermite_polynomial_he",
}
X_SPECIAL = [1.0, -1.0, 0.0, -0.0, 0.5, np.nan, np.inf, -np.inf, 1e-9, 1 - 1e-7, 2.0]
N_SPECIAL = [np.nan, np.inf, -np.inf, 1e30, -1e30, 2.5, -0.5, 128.0, 129.0, 512.0, 513.0]
N_SPECIAL += [2.7, -0.7, 3.999, 8.6]  # truncated toward 0, not rounded


def _compare(name, x, n, dtype):
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.special, name)(torch.tensor(x), torch.tensor(n)).detach().numpy()
    ours = getattr(ad.special, name)(ad.tensor(x), ad.tensor(n)).detach().numpy()
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    x, n = np.broadcast_arrays(x, n)
    if name in UNINITIALIZED:
        undefined = np.isnan(x) & (n.astype(np.float64) >= 2) & (n.astype(np.float64) < 2**62)
        assert np.isnan(ours[undefined]).all()
        ours, theirs = ours[~undefined], theirs[~undefined]
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(ours, theirs, rtol=4 * eps, atol=4 * eps)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=30, deadline=None)
@given(
    xs=st.lists(st.floats(-1.5, 1.5) | st.floats(-6, 6) | st.sampled_from(X_SPECIAL), max_size=8),
    ns=st.lists(st.integers(-3, 45), min_size=1, max_size=8),
    float_n=st.booleans(),
    n_special=st.lists(st.sampled_from(N_SPECIAL), max_size=3),
)
def test_values_as_torch(name, dtype, xs, ns, float_n, n_special):
    x = np.array(xs + [0.3, -0.7], dtype=dtype)[:, None]  # every x with every n: broadcasting
    n = np.array(ns + (n_special if float_n else []), dtype=dtype if float_n else np.int64)
    _compare(name, x, n, dtype)


@pytest.mark.parametrize("name", NAMES)
def test_large_degrees_and_the_ends_as_torch(name):
    grid = np.concatenate([np.linspace(-1, 1, 401), [-1.5, 1.5, 0.0, 1.0, -1.0, 0.5]])
    for dtype in (np.float32, np.float64):
        x = grid.astype(dtype)[:, None]
        _compare(name, x, np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 300, 1000]), dtype)
    if "chebyshev" in name:  # inside the interval: the trigonometric form, no loop
        inside = np.array([0.3, 0.75, -0.2], dtype=np.float64)
        _compare(name, inside, np.array([10**6, 10**9 + 1, 2**40]), np.float64)


@pytest.mark.parametrize("name", NAMES)
def test_numbers_dtypes_and_no_gradient_as_torch(name):
    torch = pytest.importorskip("torch")
    cases = [
        lambda lib: (lib.tensor([0.25, 2.0]), 3),
        lambda lib: (0.25, lib.tensor([2, 3])),
        lambda lib: (lib.tensor([1, 2]), lib.tensor([3, 2])),
        lambda lib: (lib.tensor([0.25], dtype=lib.float64), lib.tensor([3.0])),
        lambda lib: (lib.tensor([0.25]), lib.tensor([True, False])),
    ]
    for case in cases:
        theirs = getattr(torch.special, name)(*case(torch))
        ours = getattr(ad.special, name)(*case(ad))
        assert str(ours.dtype) == str(theirs.dtype)
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    for lib in (torch, ad):
        x = lib.tensor([0.25, 0.5], requires_grad=True)
        out = getattr(lib.special, name)(x, lib.tensor([2.0, 3.0], requires_grad=True))
        assert not out.requires_grad and out.grad_fn is None
        with pytest.raises(RuntimeError, match="does not require grad"):
            out.sum().backward()
        with pytest.raises(NotImplementedError):
            getattr(lib.special, name)(lib.tensor([0.5], dtype=lib.float16), lib.tensor([2]))
        with pytest.raises(TypeError):
            getattr(lib.special, name)(0.5, 2)


def test_every_polynomial_torch_special_has():
    torch = pytest.importorskip("torch")
    listed = [
        "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
        "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
        "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
        "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
        "laguerre_polynomial_l", "legendre_polynomial_p",
    ]  # fmt: skip
    assert sorted(NAMES) == sorted(listed)
    assert sorted(n for n in dir(torch.special) if "polynomial" in n) == sorted(listed)
