"""conv2d, F.pad and nn.Conv2d: torch as oracle over hypothesis-drawn configurations, finite
differences, second order, the seeds' edge filters, 1×1 convolution as a per-pixel Linear,
initialisation and the error messages (including the seeds' VGG size trap)."""

import math

import numpy as np
import pytest
from conv_layouts import LAYOUTS, layout
from hypothesis import given
from hypothesis import strategies as st

import autodiff as ad
import nn
import nn.functional as F
from autodiff.testing import assert_gradients_match
from nn import conv as conv_module


@st.composite
def conv_cases(draw):
    """A random valid conv2d configuration with float64 data (asymmetric padding sometimes)."""
    groups = draw(st.integers(1, 3))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 3))
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    if draw(st.booleans()):
        padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
        total = (2 * padding[0], 2 * padding[1])
    else:  # (left, right, top, bottom), as F.pad
        padding = tuple(draw(st.integers(0, 2)) for _ in range(4))
        total = (padding[2] + padding[3], padding[0] + padding[1])
    span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    size = [max(s - t, 0) + draw(st.integers(0, 4)) for s, t in zip(span, total)]
    size = [max(s, 1) for s in size]
    batch = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, cin, *size))
    w = rng.standard_normal((cout, cin // groups, *kernel))
    b = rng.standard_normal(cout) if draw(st.booleans()) else None
    return x, w, b, dict(stride=stride, padding=padding, dilation=dilation, groups=groups)


def _torch_conv(torch, x, w, b, opts):
    """torch's conv2d; a (left, right, top, bottom) padding goes through F.pad first."""
    opts = dict(opts)
    if len(opts["padding"]) == 4:
        x = torch.nn.functional.pad(x, opts["padding"])
        opts["padding"] = 0
    return torch.nn.functional.conv2d(x, w, b, **opts)


@pytest.mark.parametrize("columns", sorted(LAYOUTS))
@given(case=conv_cases())
def test_conv2d_forward_and_gradients_match_torch(columns, case):
    torch = pytest.importorskip("torch")
    x, w, b, opts = case
    ours = [ad.tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
    out_t = _torch_conv(torch, *theirs, opts)
    g = np.random.default_rng(1).standard_normal(out_t.shape)
    with layout(columns):
        out = F.conv2d(*ours, **opts)
        out.backward(ad.tensor(g))
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    out_t.backward(torch.tensor(g))
    for a, t in zip(ours, theirs):
        if a is not None:
            np.testing.assert_allclose(
                a.grad.detach().numpy(), t.grad.detach().numpy(), rtol=1e-10, atol=1e-12
            )
    assert out.grad_fn.name() == type(out_t.grad_fn).__name__ == "ConvolutionBackward0"


@pytest.mark.parametrize("columns", sorted(LAYOUTS))
@pytest.mark.parametrize("opts", [
    dict(), dict(padding=1), dict(stride=2, padding=(1, 0)), dict(dilation=2, padding=1),
    dict(groups=2, stride=(1, 2)), dict(padding=(0, 1, 2, 0)),
])  # fmt: skip
def test_conv2d_finite_differences(opts, columns):
    rng = np.random.default_rng(0)
    x = ad.tensor(rng.standard_normal((2, 2, 4, 5)), requires_grad=True)
    w = ad.tensor(rng.standard_normal((2, 2 // opts.get("groups", 1), 3, 2)), requires_grad=True)
    b = ad.tensor(rng.standard_normal(2), requires_grad=True)
    with layout(columns):
        assert_gradients_match(lambda x, w, b: F.conv2d(x, w, b, **opts), x, w, b)


@pytest.mark.parametrize("columns", sorted(LAYOUTS))
@pytest.mark.parametrize("opts", [dict(padding=1), dict(stride=2, dilation=(1, 2), groups=2)])
def test_conv2d_second_order(opts, columns):
    rng = np.random.default_rng(2)
    x = ad.tensor(rng.standard_normal((1, 2, 5, 5)), requires_grad=True)
    w = ad.tensor(rng.standard_normal((2, 2 // opts.get("groups", 1), 2, 2)), requires_grad=True)
    b = ad.tensor(rng.standard_normal(2), requires_grad=True)
    with layout(columns):
        assert ad.gradgradcheck(lambda x, w, b: F.conv2d(x, w, b, **opts), (x, w, b))


def test_the_layout_follows_the_terms_per_output_value():
    """A first layer (3x3 over 1 channel: 9 terms) multiplies per sample, a deeper one (3x3 over
    32 channels: 288 terms) over the batch; both agree with each other to rounding."""
    rng = np.random.default_rng(10)
    assert conv_module._per_sample((32, 1, 3, 3)) and not conv_module._per_sample((64, 32, 3, 3))
    x, w = rng.standard_normal((3, 8, 6, 5)), rng.standard_normal((4, 8, 3, 3))
    results = []
    for columns in sorted(LAYOUTS):
        xa, wa = ad.tensor(x, requires_grad=True), ad.tensor(w, requires_grad=True)
        with layout(columns):
            out = F.conv2d(xa, wa, padding=1)
            (out * out).sum().backward()
        results.append((out.detach().numpy(), xa.grad.detach().numpy(), wa.grad.detach().numpy()))
    for ours, other in zip(*results):
        np.testing.assert_allclose(ours, other, rtol=1e-12, atol=1e-12)


def test_conv2d_double_backward_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 2, 6, 5)), rng.standard_normal((3, 2, 3, 3))
    xa, wa = ad.tensor(x, requires_grad=True), ad.tensor(w, requires_grad=True)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    (gx,) = ad.grad((F.conv2d(xa, wa, stride=2, padding=1) ** 2).sum(), xa, create_graph=True)
    (gxt,) = torch.autograd.grad((torch.nn.functional.conv2d(xt, wt, stride=2, padding=1) ** 2)
                                 .sum(), xt, create_graph=True)  # fmt: skip
    assert gx.grad_fn.name() == type(gxt.grad_fn).__name__ == "ConvolutionBackwardBackward0"
    (gx * gx).sum().backward()
    (gxt * gxt).sum().backward()
    np.testing.assert_allclose(wa.grad.detach().numpy(), wt.grad.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(
        xa.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=1e-10, atol=1e-12
    )


def test_next_functions_match_torch_without_bias():
    x = ad.tensor(np.ones((1, 1, 3, 3)), requires_grad=True)
    w = ad.tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    edges = F.conv2d(x, w).grad_fn.next_functions
    assert [type(n).__name__ if n else None for n, _ in edges] == [
        "AccumulateGrad", "AccumulateGrad", None]  # fmt: skip


# the seeds' edge filters (cv-journey, section 7)
FILTERS = {
    "sobel": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "roberts": [[1, 0], [0, -1]],
    "laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "scharr": [[-3, 0, 3], [-10, 0, 10], [-3, 0, 3]],
    "prewitt": [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
}


def _cross_correlate(image, kernel):
    """The textbook double loop: out[i, j] = Σ image[i + u, j + v] · kernel[u, v]."""
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i : i + kh, j : j + kw] * kernel)
    return out


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_seed_filters_equal_direct_cross_correlation(name):
    kernel = np.array(FILTERS[name], dtype=np.float64)
    image = np.random.default_rng(4).random((9, 11)) * 255
    out = F.conv2d(ad.tensor(image[None, None]), ad.tensor(kernel[None, None]))
    np.testing.assert_allclose(
        out.detach().numpy()[0, 0], _cross_correlate(image, kernel), rtol=1e-12
    )
    vertical_edge = np.repeat(np.r_[np.zeros(4), np.ones(4)][None], 6, axis=0)
    if name in ("sobel", "scharr", "prewitt"):  # they respond only where the edge is
        response = F.conv2d(ad.tensor(vertical_edge[None, None]), ad.tensor(kernel[None, None]))
        assert set(np.nonzero(response.detach().numpy()[0, 0])[1]) == {2, 3}


def test_1x1_convolution_is_a_per_pixel_linear_layer():
    ad.manual_seed(0)
    rng = np.random.default_rng(5)
    conv, linear = nn.Conv2d(4, 3, 1, dtype=ad.float64), nn.Linear(4, 3, dtype=ad.float64)
    linear.weight.data[...] = conv.weight.detach().numpy()[:, :, 0, 0]
    linear.bias.data[...] = conv.bias.detach().numpy()
    x = rng.standard_normal((2, 4, 3, 5))
    xc, xl = ad.tensor(x, requires_grad=True), ad.tensor(x, requires_grad=True)
    out_c = conv(xc)
    out_l = linear(xl.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
    np.testing.assert_allclose(out_c.detach().numpy(), out_l.detach().numpy(), rtol=1e-12)
    g = ad.tensor(rng.standard_normal(out_c.shape))
    out_c.backward(g)
    out_l.backward(g)
    np.testing.assert_allclose(xc.grad.detach().numpy(), xl.grad.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(conv.weight.grad.numpy()[:, :, 0, 0], linear.weight.grad.numpy(),
                               rtol=1e-12)  # fmt: skip
    np.testing.assert_allclose(
        conv.bias.grad.detach().numpy(), linear.bias.grad.detach().numpy(), rtol=1e-12
    )


@pytest.mark.filterwarnings("ignore:Using padding=.same.")
def test_padding_same_matches_torch_for_even_kernels():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x, w = rng.standard_normal((1, 2, 5, 6)), rng.standard_normal((3, 2, 4, 2))
    out = F.conv2d(ad.tensor(x), ad.tensor(w), padding="same", dilation=(1, 2))
    ref = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), padding="same",
                                     dilation=(1, 2))  # fmt: skip
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-12)
    assert out.shape == x.shape[:1] + (3,) + x.shape[2:]


def test_conv2d_module_parameters_init_and_state_dict_match_torch():
    torch = pytest.importorskip("torch")
    ad.manual_seed(0)
    conv = nn.Conv2d(4, 6, (3, 2), stride=2, padding=1, groups=2)
    assert conv.weight.shape == (6, 2, 3, 2) and conv.bias.shape == (6,)
    assert conv.weight.dtype == ad.get_default_dtype() == np.float32
    bound = 1 / math.sqrt(2 * 3 * 2)  # kaiming_uniform_(a=√5) gives U(±1/√fan_in)
    assert (
        np.abs(conv.weight.detach().numpy()).max() <= bound
        and np.abs(conv.bias.detach().numpy()).max() <= bound
    )
    assert (
        np.abs(conv.weight.detach().numpy()).max() > 0.8 * bound
    )  # spread over the range, not tiny
    ref = torch.nn.Conv2d(4, 6, (3, 2), stride=2, padding=1, groups=2)
    ref.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in conv.state_dict().items()})
    x = np.random.default_rng(7).standard_normal((2, 4, 7, 6)).astype(np.float32)
    np.testing.assert_allclose(conv(ad.tensor(x)).detach().numpy(), ref(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)  # fmt: skip
    assert repr(conv) == repr(ref)
    no_bias = nn.Conv2d(1, 2, 3, bias=False)
    assert no_bias.bias is None and [n for n, _ in no_bias.named_parameters()] == ["weight"]


def test_conv2d_module_follows_default_dtype():
    ad.set_default_dtype(ad.float64)
    try:
        assert nn.Conv2d(1, 1, 1).weight.dtype == np.float64
    finally:
        ad.set_default_dtype(ad.float32)


def test_errors_name_the_op_and_the_shapes():
    w = ad.tensor(np.zeros((4, 3, 3, 3)))
    with pytest.raises(ValueError, match=r"conv2d: expected a 3-D .* or 4-D .*\(8, 8\)"):
        F.conv2d(ad.tensor(np.zeros((8, 8))), w)
    with pytest.raises(ValueError, match="expected input with 3 channels, got 2 channels"):
        F.conv2d(ad.tensor(np.zeros((1, 2, 8, 8))), w)
    with pytest.raises(ValueError, match=r"kernel.*larger than the padded input 2x2"):
        F.conv2d(ad.tensor(np.zeros((1, 3, 2, 2))), w)
    with pytest.raises(TypeError, match="dtypes differ"):
        F.conv2d(ad.tensor(np.zeros((1, 3, 4, 4), np.float32)), w)
    with pytest.raises(ValueError, match="groups"):
        F.conv2d(ad.tensor(np.zeros((1, 3, 4, 4))), w, groups=2)
    with pytest.raises(ValueError, match=r"Conv2d\(3, 4.*expected input with 3 channels"):
        nn.Conv2d(3, 4, 3)(ad.tensor(np.zeros((1, 1, 8, 8), np.float32)))


def test_vgg_trap_fails_naming_the_layer_and_sizes():
    """The seed's VGG16-like net on 28×28: 28 → 14 → 7 → 3 → 1 → 0 after five 2×2 pools."""
    blocks = []
    for cin, cout in [(1, 4), (4, 4), (4, 4), (4, 4), (4, 4)]:
        blocks += [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
    model = nn.Sequential(*blocks)
    with pytest.raises(ValueError) as info:
        model(ad.tensor(np.zeros((1, 1, 28, 28), np.float32)))
    message = str(info.value)
    assert message.startswith("MaxPool2d(kernel_size=2")
    assert "output size would be 0x0" in message and "input 1x1" in message
    assert model[:12](ad.tensor(np.zeros((1, 1, 28, 28), np.float32))).shape == (1, 4, 1, 1)


def test_pad_matches_torch_with_negative_pads_and_gradients():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(8).standard_normal((2, 3, 4, 5))
    for pads in [(1, 2), (1, -1, 2, 0), (0, 0, -2, 1, 1, 1)]:
        xa, xt = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, out_t = F.pad(xa, pads, value=0.5), torch.nn.functional.pad(xt, pads, value=0.5)
        np.testing.assert_array_equal(out.detach().numpy(), out_t.detach().numpy())
        g = np.random.default_rng(9).standard_normal(out.shape)
        out.backward(ad.tensor(g))
        out_t.backward(torch.tensor(g))
        np.testing.assert_array_equal(xa.grad.detach().numpy(), xt.grad.detach().numpy())
        assert out.grad_fn.name() == type(out_t.grad_fn).__name__ == "ConstantPadNdBackward0"
    small = ad.tensor(x[:1, :1, :3, :3], requires_grad=True)
    assert ad.gradgradcheck(lambda t: F.pad(t, (1, -1, 0, 2)) ** 2, (small,))
    with pytest.raises(ValueError, match="pad: Padding length must be divisible by 2"):
        F.pad(xa, (1, 2, 3))
    with pytest.raises(ValueError, match="Padding size 2 is not supported for 4D"):
        F.pad(xa, (1, 1), mode="reflect")
