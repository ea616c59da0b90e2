"""Max, average and adaptive average pooling against torch (hypothesis-drawn windows, ties,
odd sizes, padding, ceil_mode), finite differences, second order, modules and errors."""

import warnings

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import autodiff as ad
import nn
import nn.functional as F
from autodiff.testing import assert_gradients_match
from nn.sliding import output_size


@st.composite
def pool_cases(draw, dilation=True):
    """A valid pooling window and an input; values are rounded half the time to make ties."""
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilation else (1, 1)
    span = [d * (k - 1) + 1 for k, d in zip(kernel, dil)]
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)  # torch's limit
    size = [max(1, s - 2 * p + draw(st.integers(0, 5))) for s, p in zip(span, padding)]
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((draw(st.integers(1, 2)), draw(st.integers(1, 3)), *size))
    if draw(st.booleans()):
        x = np.round(x)  # many equal values: the arg-max convention must match torch
    opts = dict(kernel_size=kernel, stride=stride, padding=padding,
                ceil_mode=draw(st.booleans()))  # fmt: skip
    if dilation:
        opts["dilation"] = dil
    return x, opts


def _compare(torch, ours, theirs, x, opts, node):
    xa, xt = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, out_t = ours(xa, **opts), theirs(xt, **opts)
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-12, atol=1e-14)
    g = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(ad.tensor(g))
    out_t.backward(torch.tensor(g))
    np.testing.assert_allclose(
        xa.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=1e-12, atol=1e-14
    )
    assert out.grad_fn.name() == type(out_t.grad_fn).__name__ == node


def _every_window_meets_the_input(shape, opts) -> bool:
    """torch 2.13 corrupts memory in max_pool2d's backward when a dilated window holds only
    padding (its arg-max index is invalid), so the oracle is asked only about other cases."""
    k, s, p, d = (opts[n] for n in ("kernel_size", "stride", "padding", "dilation"))
    out = output_size("max_pool2d", shape[2:], k, s, (p[0], p[0], p[1], p[1]), d,
                      opts["ceil_mode"])  # fmt: skip
    return all(any(0 <= o * s[a] - p[a] + t * d[a] < shape[2 + a] for t in range(k[a]))
               for a in (0, 1) for o in range(out[a]))  # fmt: skip


@given(pool_cases())
def test_max_pool2d_matches_torch_including_ties(case):
    torch = pytest.importorskip("torch")
    x, opts = case
    assume(_every_window_meets_the_input(x.shape, opts))
    _compare(torch, F.max_pool2d, torch.nn.functional.max_pool2d, x, opts,
             "MaxPool2DWithIndicesBackward0")  # fmt: skip


def _with_nans(draw, x):
    """x with NaN in some cells (a window may hold several), or unchanged."""
    if draw(st.booleans()):
        rng = np.random.default_rng(draw(st.integers(0, 2**16)))
        x = np.where(rng.random(x.shape) < 0.2, np.nan, x)
    return x


@st.composite
def two_by_two_cases(draw):
    """Input to the common 2x2, stride-2 window (its own fast path): even and odd sizes, float32
    or float64, ReLU-like zeros or rounded values (ties), NaN in some cells."""
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)),
             draw(st.integers(2, 9)), draw(st.integers(2, 9)))  # fmt: skip
    x = rng.standard_normal(shape)
    x = draw(st.sampled_from([x, np.maximum(x, 0), np.round(x)]))
    return _with_nans(draw, x).astype(draw(st.sampled_from([np.float32, np.float64])))


def _torch_indices(indices, shape, opts) -> np.ndarray:
    """Our arg-max (the tap k of each window, row-major) as torch's return_indices: the flat
    position in the unpadded (H, W) plane."""
    k, s = opts["kernel_size"], opts["stride"]
    p, d = opts.get("padding", (0, 0)), opts.get("dilation", (1, 1))
    oh, ow = np.indices(indices.shape[2:])
    i, j = np.divmod(indices.astype(np.int64), k[1])
    rows = oh * s[0] - p[0] + i * d[0]
    return rows * shape[3] + ow * s[1] - p[1] + j * d[1]


def _compare_arg_max(torch, x, opts, spoiled=False):
    """Values (NaN where torch has NaN), the chosen cells (torch's return_indices) and the
    gradient of max_pool2d against torch's; spoiled: NaN and inf in the upstream gradient,
    which reach only their window's arg-max (torch's), not its other cells."""
    xa, xt = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = F.max_pool2d(xa, **opts)
    out_t, indices_t = torch.nn.functional.max_pool2d(xt, **opts, return_indices=True)
    np.testing.assert_array_equal(
        out.detach().numpy(), out_t.detach().numpy()
    )  # NaN equals NaN here
    (indices,) = out.grad_fn.saved_tensors
    np.testing.assert_array_equal(_torch_indices(np.asarray(indices), x.shape, opts),
                                  indices_t.detach().numpy())  # fmt: skip
    g = np.random.default_rng(0).standard_normal(out.shape).astype(x.dtype)
    if spoiled:
        g.flat[::3], g.flat[1::4] = np.nan, -np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # and no NumPy warning on the way
        out.backward(ad.tensor(g))
    out_t.backward(torch.tensor(g))
    # overlapping windows add in another order than torch's: equal to rounding
    np.testing.assert_allclose(
        xa.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=1e-12, atol=1e-14
    )


@given(two_by_two_cases(), st.booleans())
def test_max_pool2d_2x2_picks_torchs_cells_with_ties_and_nan(x, spoiled):
    torch = pytest.importorskip("torch")
    _compare_arg_max(torch, x, dict(kernel_size=(2, 2), stride=(2, 2)), spoiled)


@given(st.data())
def test_max_pool2d_any_window_picks_torchs_cells_with_ties_and_nan(data):
    torch = pytest.importorskip("torch")
    x, opts = data.draw(pool_cases())
    assume(_every_window_meets_the_input(x.shape, opts))
    _compare_arg_max(torch, _with_nans(data.draw, x), opts, data.draw(st.booleans()))


@given(pool_cases(dilation=False), st.booleans())
def test_avg_pool2d_matches_torch(case, count_include_pad):
    torch = pytest.importorskip("torch")
    x, opts = case
    opts["count_include_pad"] = count_include_pad
    _compare(torch, F.avg_pool2d, torch.nn.functional.avg_pool2d, x, opts, "AvgPool2DBackward0")


@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 4), st.integers(1, 4))
def test_adaptive_avg_pool2d_matches_torch(h, w, oh, ow):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(h * 10 + w).standard_normal((2, 3, h, w))
    node = "MeanBackward1" if (oh, ow) == (1, 1) else "AdaptiveAvgPool2DBackward0"
    _compare(torch, F.adaptive_avg_pool2d, torch.nn.functional.adaptive_avg_pool2d, x,
             dict(output_size=(oh, ow)), node)  # fmt: skip


def test_max_pool_ties_go_to_the_first_maximum_in_window_order():
    x = ad.tensor(np.array([[[[1.0, 3.0, 0.0, 0.0], [3.0, 3.0, 0.0, 0.0]]]]), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy()[0, 0], [[0, 1, 1, 0], [0, 0, 0, 0]])


def test_max_pool_padding_never_wins_and_nan_propagates():
    x = -np.ones((1, 1, 3, 3)) * 5
    out = F.max_pool2d(ad.tensor(x), 3, stride=1, padding=1)
    np.testing.assert_array_equal(out.detach().numpy(), -5)
    x[0, 0, 1, 2] = np.nan
    assert np.isnan(F.max_pool2d(ad.tensor(x), 2, stride=1).detach().numpy()[0, 0, :, 1]).all()


@pytest.mark.parametrize("fn", [
    lambda x: F.max_pool2d(x, 3, stride=2, padding=1),
    lambda x: F.max_pool2d(x, (2, 3), stride=1, dilation=(2, 1)),
    lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False),
    lambda x: F.avg_pool2d(x, 2, ceil_mode=True),
    lambda x: F.adaptive_avg_pool2d(x, (2, 3)),
    lambda x: F.adaptive_avg_pool2d(x, 1),
])  # fmt: skip
def test_pooling_finite_differences_and_second_order(fn):
    # distinct values: the max must not switch windows under the finite-difference step
    x = np.random.default_rng(1).permutation(50)[: 2 * 25].reshape(1, 2, 5, 5) / 7.0
    xa = ad.tensor(x, requires_grad=True)
    assert_gradients_match(fn, xa)
    assert ad.gradgradcheck(lambda t: fn(t) ** 2, (xa,))


def test_max_pool_double_backward_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(2).standard_normal((2, 2, 5, 6))
    xa, xt = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (g,) = ad.grad((F.max_pool2d(xa, 3, 2, 1) ** 3).sum(), xa, create_graph=True)
    (gt,) = torch.autograd.grad((torch.nn.functional.max_pool2d(xt, 3, 2, 1) ** 3).sum(), xt,
                                create_graph=True)  # fmt: skip
    (g * g).sum().backward()
    (gt * gt).sum().backward()
    np.testing.assert_allclose(xa.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=1e-12)


def test_modules_match_torch_and_default_stride_is_the_kernel():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).standard_normal((2, 3, 9, 7)).astype(np.float32)
    pairs = [(nn.MaxPool2d(3), torch.nn.MaxPool2d(3)),
             (nn.AvgPool2d(3, 2, 1), torch.nn.AvgPool2d(3, 2, 1)),
             (nn.AvgPool2d(2, count_include_pad=False, padding=1),
              torch.nn.AvgPool2d(2, count_include_pad=False, padding=1)),
             (nn.AdaptiveAvgPool2d(1), torch.nn.AdaptiveAvgPool2d(1)),
             (nn.AdaptiveAvgPool2d((3, None)), torch.nn.AdaptiveAvgPool2d((3, None)))]  # fmt: skip
    for ours, theirs in pairs:
        out = ours(ad.tensor(x))
        np.testing.assert_allclose(
            out.detach().numpy(), theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6
        )
        assert out.dtype == np.float32 and list(ours.parameters()) == []
    assert repr(nn.MaxPool2d(2)) == repr(torch.nn.MaxPool2d(2))


def test_pooling_errors_are_clear():
    x = ad.tensor(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match=r"max_pool2d: expected a 4-D input.*\(4, 4\)"):
        F.max_pool2d(ad.tensor(np.zeros((4, 4))), 2)
    with pytest.raises(ValueError, match="padding .* at most half"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match=r"avg_pool2d: output size would be 0x0.*input 4x4"):
        F.avg_pool2d(x, 5, stride=1)
    with pytest.raises(ValueError, match=r"^AvgPool2d\(kernel_size=8.*output size would be"):
        nn.AvgPool2d(8)(x)
    with pytest.raises(ValueError, match="adaptive_avg_pool2d: output_size must be positive"):
        F.adaptive_avg_pool2d(x, 0)
