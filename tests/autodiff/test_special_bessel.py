"""torch.special's Bessel functions (ops/bessel.py) and airy_ai (ops/airy_zeta.py) against
torch.special on hypothesis-drawn float32 and float64 inputs: values, dtypes (integers promote
to float32), nan, ±inf, 0 and the negative half-line, and torch's non_differentiable results
(no grad_fn, no gradient).

J and Y oscillate: near their zeros a value's relative error says little (both sides cancel
differently), so they are compared within a few eps of their envelope max(|f|, min(1, 1/√|x|));
Ai likewise below 2.09 (envelope min(1, |x|^(−1/4)): for 0 < x < 2.09 its series cancels,
c₁ f − c₂ g, and both sides lose the same digits differently); I, K and Ai past 2.09 within a
few ulps of the value: I₀ and I₁ within 2 (equal in float64), K within 8 (torch's compiler
fuses multiply-adds in places that are not all reproduced here)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff as ad

OSCILLATING = ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1"]
GROWING = [
    "modified_bessel_i0",
    "modified_bessel_i1",
    "modified_bessel_k0",
    "modified_bessel_k1",
    "scaled_modified_bessel_k0",
    "scaled_modified_bessel_k1",
    "spherical_bessel_j0",
]
NAMES = OSCILLATING + GROWING + ["airy_ai"]
# tighter where the kernels reproduce torch's arithmetic, its fused multiply-adds included
ULPS = {"modified_bessel_i0": 2, "modified_bessel_i1": 2, "spherical_bessel_j0": 2}
ULPS.update({name: 8 for name in GROWING if "_k" in name})
SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-6, 1e-40, 2.0, 5.0, 8.0, -2.0, -5.0, -8.0]
SPECIAL += [0.5, -0.5, 700.0, 1e30, -1e30, 2.4048255576957729, 3.8317059702075123]
SPECIAL += [103.9, 104.5]  # Ai past torch's cutoff at 103.892: 0, where float64 has subnormals
# each approximation's pieces: J, Y break at 5, I at 8, K at 2; the tiny-x form of J₀ below 1e-5
BREAKS = [1e-5, 0.5, 2.0, 5.0, 8.0, 2.09, 8.3203353, 103.892]  # Ai's at 2.09, 8.32, 103.892


def test_every_bessel_name_is_checked():
    from autodiff.ops import bessel

    assert sorted(NAMES) == sorted(bessel.__all__ + ["airy_ai"])


def _values(draw_floats):
    return st.lists(draw_floats, min_size=1, max_size=40)


def _compare(name, x, dtype):
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.special, name)(torch.tensor(x)).detach().numpy()
    x = x.astype(theirs.dtype)  # integers: compared as the float32 they become
    ours = getattr(ad.special, name)(ad.tensor(x)).detach().numpy()
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    infinite = np.isinf(theirs)
    np.testing.assert_array_equal(ours[infinite], theirs[infinite])
    finite = np.isfinite(theirs)
    assert np.isfinite(ours[finite]).all()
    ours, theirs = ours[finite].astype(np.float64), theirs[finite].astype(np.float64)
    eps = np.finfo(dtype).eps
    if name in OSCILLATING:
        with np.errstate(divide="ignore"):  # 1/√0 = inf: the envelope is 1 there
            envelope = np.minimum(1.0, 1.0 / np.sqrt(np.abs(x[finite].astype(np.float64))))
        scale = np.maximum(np.abs(theirs), envelope)
    elif name == "airy_ai":
        with np.errstate(divide="ignore"):
            envelope = np.minimum(1.0, np.abs(x[finite].astype(np.float64)) ** -0.25)
        scale = np.maximum(np.abs(theirs), np.where(x[finite] < 2.09, envelope, 0.0))
        scale = np.maximum(scale, np.finfo(dtype).tiny)
    else:
        scale = np.maximum(np.abs(theirs), np.finfo(dtype).tiny)
    assert (np.abs(ours - theirs) <= ULPS.get(name, 16) * eps * scale).all(), (name, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=40, deadline=None)
@given(
    values=_values(st.floats(-40, 40) | st.sampled_from(SPECIAL) | st.floats(-1e6, 1e6)),
    near_break=st.lists(st.sampled_from(BREAKS), max_size=4),
    nudge=st.floats(-1e-3, 1e-3),
)
def test_values_as_torch(name, dtype, values, near_break, nudge):
    x = np.array(values + [b + nudge for b in near_break] + [-b - nudge for b in near_break])
    _compare(name, x.astype(dtype), dtype)


@pytest.mark.parametrize("name", NAMES)
def test_a_dense_grid_as_torch(name):
    """Every piece of every approximation, densely: hypothesis's draws cluster at the ends."""
    grid = np.concatenate([np.linspace(-12, 12, 4801), np.geomspace(1e-8, 800, 2000)])
    for dtype in (np.float32, np.float64):
        _compare(name, grid.astype(dtype), dtype)


@pytest.mark.parametrize("name", NAMES)
def test_integers_promote_and_no_gradient_as_torch(name):
    torch = pytest.importorskip("torch")
    for lib in (torch, ad):
        out = getattr(lib.special, name)(lib.tensor([1, 2, 7]))
        assert out.dtype == lib.float32
        ours = getattr(lib.special, name)(lib.tensor([[1.5, 3.0]], requires_grad=True))
        assert not ours.requires_grad and ours.grad_fn is None and ours.shape == (1, 2)
        with pytest.raises(RuntimeError, match="does not require grad"):
            ours.sum().backward()
    _compare(name, np.array([1, 2, 7]), np.float32)


@pytest.mark.parametrize("name", NAMES)
def test_bad_inputs_raise_as_torch(name):
    torch = pytest.importorskip("torch")
    for lib in (torch, ad):
        with pytest.raises(NotImplementedError):
            getattr(lib.special, name)(lib.tensor([1.0], dtype=lib.float16))
        with pytest.raises(TypeError):
            getattr(lib.special, name)(1.5)
