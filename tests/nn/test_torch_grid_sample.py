"""F.affine_grid and F.grid_sample (the spatial-transformer tutorial's pair) against torch:
values, gradients to the input, the grid and θ, node names, for every mode (bicubic too),
padding mode and align_corners, float64 central finite differences, torch's warnings and
errors."""

import itertools
import warnings

import numpy as np
import pytest

import autodiff as ad
import nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional
rng = np.random.default_rng

PADDINGS = ["zeros", "border", "reflection"]
SAMPLING = list(itertools.product(["bilinear", "nearest", "bicubic"], PADDINGS, [False, True]))


def _compare(ours_fn, torch_fn, arrays, rtol=1e-10):
    """Value, node name and the gradient of every input under a random upstream."""
    ours = [ad.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, want = ours_fn(*ours), torch_fn(*theirs)
    np.testing.assert_allclose(out.detach().numpy(), want.detach().numpy(), rtol=rtol, atol=1e-12)
    assert out.dtype == want.detach().numpy().dtype
    assert out.grad_fn.name() == want.grad_fn.name()
    upstream = rng(9).standard_normal(tuple(want.shape))
    (out * ad.tensor(upstream.astype(arrays[0].dtype))).sum().backward()
    (want * torch.tensor(upstream.astype(arrays[0].dtype))).sum().backward()
    for a, t in zip(ours, theirs):
        np.testing.assert_allclose(
            a.grad.detach().numpy(), t.grad.detach().numpy(), rtol=rtol * 100, atol=1e-10
        )


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 1, 3), (2, 2, 3, 1), (2, 1, 6, 6)])
def test_affine_grid_matches_torch(size, align_corners):
    theta = rng(0).standard_normal((2, 2, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unit-size grids with align_corners=True warn
        _compare(lambda t: F.affine_grid(t, size, align_corners),
                 lambda t: TF.affine_grid(t, size, align_corners), [theta])  # fmt: skip


def test_affine_grid_float32_and_identity():
    theta = rng(1).standard_normal((3, 2, 3)).astype(np.float32)
    ours = F.affine_grid(ad.tensor(theta), (3, 1, 5, 4), align_corners=False)
    want = TF.affine_grid(torch.tensor(theta), (3, 1, 5, 4), align_corners=False)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours.detach().numpy(), want.detach().numpy(), rtol=1e-6, atol=1e-7)
    identity = ad.tensor(np.array([[[1.0, 0, 0], [0, 1.0, 0]]]))
    image = ad.tensor(rng(2).standard_normal((1, 2, 4, 5)))
    for align in (False, True):  # the identity map reads every pixel at its centre
        grid = F.affine_grid(identity, (1, 2, 4, 5), align_corners=align)
        np.testing.assert_allclose(F.grid_sample(image, grid, align_corners=align).detach().numpy(),
                                   image.detach().numpy(), atol=1e-12)  # fmt: skip


def test_affine_grid_finite_differences_both_orders():
    theta = ad.tensor(rng(3).standard_normal((2, 2, 3)), requires_grad=True)
    assert ad.gradcheck(lambda t: F.affine_grid(t, (2, 1, 3, 4), align_corners=False), theta)
    assert ad.gradgradcheck(lambda t: F.affine_grid(t, (2, 1, 3, 4), True) ** 2, theta)


@pytest.mark.parametrize("mode,padding_mode,align_corners", SAMPLING)
def test_grid_sample_matches_torch(mode, padding_mode, align_corners):
    x = rng(4).standard_normal((2, 3, 4, 5))
    grid = rng(5).uniform(-1.4, 1.4, (2, 3, 6, 2))  # some points outside: the padding counts
    _compare(lambda a, g: F.grid_sample(a, g, mode, padding_mode, align_corners),
             lambda a, g: TF.grid_sample(a, g, mode, padding_mode, align_corners),
             [x, grid])  # fmt: skip


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_finite_differences(padding_mode, align_corners):
    # points away from pixel centres and edges, where the bilinear weights have kinks
    x = ad.tensor(rng(6).standard_normal((1, 2, 3, 4)), requires_grad=True)
    points = rng(7).uniform(-1.3, 1.3, (1, 2, 3, 2))
    grid = ad.tensor(points, requires_grad=True)
    assert ad.gradcheck(lambda a, g: F.grid_sample(a, g, "bilinear", padding_mode, align_corners),
                        (x, grid))  # fmt: skip


@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("seed", [0, 1])
def test_grid_sample_bicubic_far_points_and_float32_match_torch(padding_mode, align_corners,
                                                                 seed):  # fmt: skip
    """Points up to three image widths out (reflection folds them several times; zeros
    reads the pixels within two of an edge), a 1-pixel-high image, and float32."""
    r = rng(20 + seed)
    for shape in [(2, 2, 3, 5), (1, 3, 1, 4)]:
        x, grid = r.standard_normal(shape), r.uniform(-4, 4, (shape[0], 4, 5, 2))
        _compare(lambda a, g: F.grid_sample(a, g, "bicubic", padding_mode, align_corners),
                 lambda a, g: TF.grid_sample(a, g, "bicubic", padding_mode, align_corners),
                 [x, grid])  # fmt: skip
    x32, g32 = x.astype(np.float32), grid.astype(np.float32)
    ours = F.grid_sample(ad.tensor(x32), ad.tensor(g32), "bicubic", padding_mode, align_corners)
    want = TF.grid_sample(torch.tensor(x32), torch.tensor(g32), "bicubic", padding_mode,
                          align_corners)  # fmt: skip
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours.detach().numpy(), want.detach().numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_bicubic_finite_differences(padding_mode, align_corners):
    """Input and grid gradients in float64; the points stay off pixel positions, where the
    padded taps jump."""
    x = ad.tensor(rng(11).standard_normal((1, 2, 4, 3)), requires_grad=True)
    points = rng(12).uniform(-1.6, 1.6, (1, 3, 2, 2))
    grid = ad.tensor(points, requires_grad=True)
    assert ad.gradcheck(lambda a, g: F.grid_sample(a, g, "bicubic", padding_mode, align_corners),
                        (x, grid))  # fmt: skip


def test_grid_sample_bicubic_reads_pixels_exactly_and_past_the_edge():
    """At pixel centres bicubic returns the pixels; just left of the first pixel (zeros) it
    still reads the two pixels inside with their cubic weights (a = -0.75)."""
    x = ad.tensor(np.array([[[[1.0, 2.0, 4.0, 8.0]]]]))
    centres = ad.tensor(np.array([[[[-1.0, 0.0], [-1 / 3, 0.0], [1.0, 0.0]]]]))
    out = F.grid_sample(x, centres, "bicubic", align_corners=True).detach().numpy().ravel()
    np.testing.assert_allclose(out, [1, 2, 8], atol=1e-14)
    point = ad.tensor(np.array([[[[-1 - 0.2 / 3, 0.0]]]]))  # pixel -0.1
    a = -0.75
    near = lambda t: ((a + 2) * t - (a + 3)) * t * t + 1  # noqa: E731
    far = lambda t: ((a * t - 5 * a) * t + 8 * a) * t - 4 * a  # noqa: E731
    # pixels -2, -1 (zeros), 0, 1 at distances 1.9, 0.9, 0.1, 1.1: no renormalising
    want = far(1.9) * 0 + near(0.9) * 0 + near(0.1) * 1 + far(1.1) * 2
    got = F.grid_sample(x, point, "bicubic", "zeros", align_corners=True).item()
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_spatial_transformer_gradient_reaches_theta_as_torchs():
    x = rng(8).standard_normal((2, 1, 6, 6))
    # no sampling point on a pixel centre, where the gradient has a kink: torch's kernel and
    # ours may round a point there to either side
    theta = np.array([[[0.93, -0.21, 0.11], [0.31, 1.13, -0.17]],
                      [[1.21, 0.13, 0.03], [0.07, 0.83, 0.31]]])  # fmt: skip

    def transformer(lib):
        def run(image, t):
            grid = lib.affine_grid(t, image.shape, align_corners=False)
            return lib.grid_sample(image, grid, align_corners=False)

        return run

    _compare(transformer(F), transformer(TF), [x, theta], rtol=1e-9)


def test_grid_sample_nearest_rounds_half_to_even_and_grid_gets_zero_gradient():
    x = ad.tensor(np.arange(6.0).reshape(1, 1, 1, 6))
    # align_corners=True: x = -0.6 is pixel 1, 0 is pixel 2.5 (rounds to even: 2, not 3),
    # -0.2 is pixel 2, 1 is pixel 5
    points = [[-0.6, 0.0], [0.0, 0.0], [-0.2, 0.0], [1.0, 0.0]]
    grid = ad.tensor(np.array([[points]]), requires_grad=True)
    out = F.grid_sample(x, grid, "nearest", align_corners=True)
    want = TF.grid_sample(torch.tensor(x.detach().numpy()), torch.tensor(grid.detach().numpy()), "nearest",
                          align_corners=True)  # fmt: skip
    np.testing.assert_array_equal(out.detach().numpy(), want.detach().numpy())
    np.testing.assert_array_equal(out.detach().numpy().ravel(), [1, 2, 2, 5])
    out.sum().backward()
    np.testing.assert_array_equal(grid.grad.detach().numpy(), 0)


def test_grid_sample_double_backward_is_refused_as_torch():
    x = ad.tensor(rng(9).standard_normal((1, 1, 3, 3)), requires_grad=True)
    grid = ad.tensor(rng(10).uniform(-1, 1, (1, 2, 2, 2)), requires_grad=True)
    (g,) = ad.grad(F.grid_sample(x, grid, align_corners=False).sum(), [grid], create_graph=True)
    with pytest.raises(RuntimeError, match="not implemented"):
        g.sum().backward()


def test_align_corners_left_out_warns_as_torch():
    theta = ad.tensor(np.eye(2, 3)[None])
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        grid = F.affine_grid(theta, (1, 1, 2, 2))
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.grid_sample(ad.ones(1, 1, 2, 2, dtype=ad.float64), grid)


@pytest.mark.parametrize("call,kind,match", [
    (lambda L, t: L.affine_grid(t.ones(1, 3, 3), (1, 1, 2, 2), False), ValueError, "Nx2x3"),
    (lambda L, t: L.affine_grid(t.ones(1, 2, 3, dtype=t.int64), (1, 1, 2, 2), False), TypeError,
     "floating point"),
    (lambda L, t: L.affine_grid(t.ones(1, 2, 3), (1, 1, 0, 2), False), ValueError,
     "non-zero, positive"),
    (lambda L, t: L.grid_sample(t.ones(1, 1, 3, 3), t.ones(2, 2, 2, 2), align_corners=False),
     ValueError, "same batch size"),
    (lambda L, t: L.grid_sample(t.ones(1, 1, 3, 3), t.ones(1, 2, 2, 3), align_corners=False),
     ValueError, "size 2 in last dimension"),
    (lambda L, t: L.grid_sample(t.ones(1, 1, 3, 3), t.ones(1, 2, 2, 2), "cubic", align_corners=False),
     ValueError, "expected mode"),
    (lambda L, t: L.grid_sample(t.ones(1, 1, 3, 3), t.ones(1, 2, 2, 2), padding_mode="wrap",
                                align_corners=False), ValueError, "expected padding_mode"),
])  # fmt: skip
def test_errors_are_torchs(call, kind, match):
    with pytest.raises(kind, match=match):
        call(F, ad)
    with pytest.raises((ValueError, RuntimeError, TypeError, NotImplementedError)):
        call(TF, torch)
