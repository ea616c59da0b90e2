"""F.interpolate(antialias=True), bilinear and bicubic, against torch: values, node names and
gradients over hypothesis-drawn sizes and scale factors in float32 and float64, fixed cases
(down- and upsampling, align_corners, size, scale_factor, recompute_scale_factor), finite
differences, torch's errors, and the two places where torch's forward and backward disagree."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff as ad
import nn.functional as F

MODES = ["bilinear", "bicubic"]


def _torch_grad_comparable(shape, out_shape, kwargs) -> bool:
    """torch's backward is the adjoint of its forward except along an axis whose size a
    scale_factor other than 1 left unchanged: its forward copies that axis, its backward
    uses the scale's filter (see test_unchanged_axis_with_a_scale_factor_is_copied)."""
    factors = kwargs.get("scale_factor")
    if factors is None or kwargs.get("recompute_scale_factor"):
        return True
    factors = factors if isinstance(factors, tuple) else (factors, factors)
    return all(n != o or f == 1 for n, o, f in zip(shape[2:], out_shape[2:], factors))


def _check(torch, x: np.ndarray, kwargs, rtol: float, atol: float) -> None:
    """Values, node name and (where torch's is the adjoint) the gradient against torch.
    An output of width 1 is compared with torch's on the transposed image: torch's forward
    gives every row the first row's value there (its backward is right)."""
    xa, xt = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = F.interpolate(xa, antialias=True, **kwargs)
    want = torch.nn.functional.interpolate(xt, antialias=True, **kwargs)
    assert out.shape == tuple(want.shape) and out.dtype == want.detach().numpy().dtype
    assert out.grad_fn.name() == want.grad_fn.name()
    values = want.detach().numpy()
    if want.shape[-1] == 1 and want.shape[-2] != x.shape[-2]:
        swapped = dict(kwargs)
        for key in ("size", "scale_factor"):
            if isinstance(kwargs.get(key), tuple):
                swapped[key] = kwargs[key][::-1]
        flipped = torch.tensor(x.swapaxes(2, 3))
        values = torch.nn.functional.interpolate(flipped, antialias=True, **swapped)
        values = values.detach().numpy().swapaxes(2, 3)
    np.testing.assert_allclose(out.detach().numpy(), values, rtol=rtol, atol=atol)
    upstream = np.random.default_rng(1).standard_normal(out.shape).astype(x.dtype)
    out.backward(ad.tensor(upstream))
    want.backward(torch.tensor(upstream))
    if _torch_grad_comparable(x.shape, out.shape, kwargs):
        np.testing.assert_allclose(
            xa.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=rtol, atol=atol
        )


CASES = [
    ((2, 3, 8, 8), dict(scale_factor=0.5)),  # 2x down: a tent 2 inputs wide each side
    ((1, 2, 9, 12), dict(scale_factor=1 / 3)),
    ((1, 2, 7, 10), dict(size=(3, 4))),  # non-integer factors
    ((1, 2, 7, 10), dict(size=(3, 4), align_corners=True)),
    ((1, 1, 5, 6), dict(size=(9, 11))),  # upsampling: the plain filter, edge rows renormalised
    ((1, 1, 5, 6), dict(size=(9, 11), align_corners=True)),
    ((1, 2, 6, 9), dict(size=(10, 4))),  # up along H, down along W
    ((1, 1, 10, 10), dict(scale_factor=0.37)),
    ((1, 1, 10, 10), dict(scale_factor=0.37, recompute_scale_factor=True)),
    ((1, 1, 9, 7), dict(scale_factor=(0.45, 1.8), align_corners=True)),
    ((1, 1, 6, 6), dict(size=(1, 3))),  # one output row: the filter over the whole column
    ((1, 1, 1, 6), dict(size=(3, 2))),  # one input row
    ((1, 1, 4, 5), dict(size=(4, 2))),  # H unchanged
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape,kwargs", CASES)
def test_interpolate_antialias_matches_torch(shape, kwargs, mode):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal(shape)
    _check(torch, x, dict(kwargs, mode=mode), rtol=1e-10, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    height=st.integers(1, 11),
    width=st.integers(1, 11),
    mode=st.sampled_from(MODES),
    align_corners=st.booleans(),
    double=st.booleans(),
    by_size=st.booleans(),
    out=st.tuples(st.integers(1, 14), st.integers(1, 14)),
    factors=st.tuples(st.floats(0.15, 3.0), st.floats(0.15, 3.0)),
    recompute=st.sampled_from([None, False, True]),
)
def test_interpolate_antialias_drawn_sizes_match_torch(
    height, width, mode, align_corners, double, by_size, out, factors, recompute
):
    torch = pytest.importorskip("torch")
    if not by_size and min(int(height * factors[0]), int(width * factors[1])) < 1:
        return  # torch refuses an empty output, as we do (test_errors_match_torch)
    dtype = np.float64 if double else np.float32
    x = np.random.default_rng(height * 16 + width).standard_normal((2, 2, height, width))
    kwargs = dict(mode=mode, align_corners=align_corners)
    if by_size:
        kwargs["size"] = out
    else:
        kwargs.update(scale_factor=factors, recompute_scale_factor=recompute)
    tol = (1e-10, 1e-12) if double else (1e-4, 1e-5)
    _check(torch, x.astype(dtype), kwargs, *tol)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "kwargs",
    [dict(size=(2, 3)), dict(size=(7, 4), align_corners=True), dict(scale_factor=(0.6, 1.7))],
)
def test_interpolate_antialias_finite_differences(mode, kwargs):
    x = ad.tensor(np.random.default_rng(2).standard_normal((1, 2, 5, 6)), requires_grad=True)
    assert ad.gradcheck(lambda a: F.interpolate(a, mode=mode, antialias=True, **kwargs), (x,))
    assert ad.gradgradcheck(lambda a: F.interpolate(a, mode=mode, antialias=True, **kwargs), (x,))


def test_filters_are_torchs_triangle_and_a_half_cubic():
    """Rows of the resampling matrix read off the identity: 2x down with the triangle is
    (1, 3, 3, 1)/8 in the middle; the a = -0.5 cubic at 2x down weighs the eight nearest
    inputs, the outer four negative."""
    eye = ad.tensor(np.eye(8)[None, None])
    tent = F.interpolate(eye, size=(4, 8), mode="bilinear", antialias=True).detach().numpy()[0, 0]
    np.testing.assert_allclose(tent[1], [0, 1 / 8, 3 / 8, 3 / 8, 1 / 8, 0, 0, 0], atol=1e-15)
    eye = ad.tensor(np.eye(16)[None, None])
    cubic = F.interpolate(eye, size=(8, 16), mode="bicubic", antialias=True).detach().numpy()[0, 0]
    # row 4's centre is 9 (between inputs 8 and 9), the filter stretched by 2: inputs 5..12
    distance = np.abs(np.arange(5, 13) + 0.5 - 9) / 2
    keys = np.where(distance < 1, (1.5 * distance - 2.5) * distance**2 + 1,
                    ((-0.5 * distance + 2.5) * distance - 4) * distance + 2)  # fmt: skip
    np.testing.assert_allclose(cubic[4, 5:13], keys / keys.sum(), atol=1e-15)
    assert not cubic[4, :5].any() and not cubic[4, 13:].any() and cubic[4, 5] < 0
    np.testing.assert_allclose(cubic.sum(1), 1, atol=1e-14)


def test_output_width_one_is_the_filter_not_torchs_first_row():
    """torch 2.13's forward gives every output row the first input row's value when the
    output is one pixel wide and the height changes; we give the filtered column, which is
    torch's answer on the transposed image and agrees with torch's backward."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).standard_normal((1, 1, 7, 3))
    ours = (
        F.interpolate(ad.tensor(x), size=(9, 1), mode="bilinear", antialias=True).detach().numpy()
    )
    theirs = (
        torch.nn.functional.interpolate(
            torch.tensor(x), size=(9, 1), mode="bilinear", antialias=True
        )
        .detach()
        .numpy()
    )
    assert np.ptp(theirs) == 0 and np.ptp(ours) > 0.1  # torch's constant column
    _check(torch, x, dict(size=(9, 1), mode="bilinear"), rtol=1e-10, atol=1e-12)


def test_unchanged_axis_with_a_scale_factor_is_copied():
    """A scale_factor that leaves an axis's size as it was (5 x 1.1 → 5): torch's forward
    copies that axis, as ours does; torch's backward filters it with the 1/1.1 filter, so
    its gradient is not its forward's. Ours is (finite differences)."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(4).standard_normal((1, 1, 5, 6))
    kwargs = dict(scale_factor=(1.1, 0.5), mode="bicubic", antialias=True)
    ours = F.interpolate(ad.tensor(x), **kwargs).detach().numpy()
    theirs = torch.nn.functional.interpolate(torch.tensor(x), **kwargs).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    # the same as size=(5, 3), which leaves H alone (and has W's step, 6/3 = 1/0.5)
    by_size = F.interpolate(ad.tensor(x), size=(5, 3), mode="bicubic", antialias=True)
    np.testing.assert_allclose(ours, by_size.detach().numpy(), atol=1e-15)
    xa, xt = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    assert ad.gradcheck(lambda a: F.interpolate(a, **kwargs), (xa,))
    F.interpolate(xa, **kwargs).sum().backward()
    torch.nn.functional.interpolate(xt, **kwargs).sum().backward()
    assert not np.allclose(
        xa.grad.detach().numpy(), xt.grad.detach().numpy()
    )  # torch's is not its forward's


@pytest.mark.parametrize(
    "shape,mode", [((1, 1, 4, 4), "nearest"), ((1, 1, 4, 4), "area"), ((1, 1, 4), "linear"),
                   ((1, 1, 4, 4), "nearest-exact"), ((1, 1, 2, 4, 4), "trilinear")]
)  # fmt: skip
def test_antialias_with_other_modes_raises_as_torch(shape, mode):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match="restricted to bilinear, bicubic"):
        F.interpolate(ad.zeros(*shape), size=2, mode=mode, antialias=True)
    with pytest.raises(ValueError, match="restricted to bilinear, bicubic"):
        torch.nn.functional.interpolate(torch.zeros(*shape), size=2, mode=mode, antialias=True)


def test_errors_match_torch():
    torch = pytest.importorskip("torch")
    for lib, t in ((F, ad), (torch.nn.functional, torch)):
        with pytest.raises(RuntimeError):  # an empty output
            lib.interpolate(t.zeros(1, 1, 4, 4), scale_factor=0.1, mode="bilinear",
                            antialias=True)  # fmt: skip
        with pytest.raises(ValueError):  # bicubic takes 4-d input only
            lib.interpolate(t.zeros(1, 1, 4), size=2, mode="bicubic", antialias=True)
