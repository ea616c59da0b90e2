"""conv_transpose3d and ConvTranspose3d (and LazyConv3d/LazyConvTranspose3d's shapes: see
test_torch_lazy.py) against torch: hypothesis-drawn configurations in float64 (values, every
gradient, node name), finite differences and second order, double backward against torch,
seeded initialisation, state dicts, reprs, torch.conv_transpose3d, and the errors."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autodiff as ad
import nn
import nn.functional as F
import nn.torch_functions as T
from autodiff.testing import assert_gradients_match


@st.composite
def cases(draw):
    """A valid transposed 3-d convolution with float64 data: (x, w, b, options)."""
    groups = draw(st.integers(1, 2))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(3))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(3))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(3))
    size = tuple(draw(st.integers(1, 4)) for _ in range(3))
    # torch's rule: each output_padding below its stride or its dilation
    extra = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    padding = tuple(
        min(draw(st.integers(0, 2)), ((n - 1) * s + d * (k - 1) + e) // 2)
        for n, s, d, k, e in zip(size, stride, dilation, kernel, extra)
    )  # an output of at least one cell
    opts = dict(stride=stride, padding=padding, output_padding=extra, groups=groups,
                dilation=dilation)  # fmt: skip
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((draw(st.integers(1, 2)), cin, *size))
    b = rng.standard_normal(cout) if draw(st.booleans()) else None
    return x, rng.standard_normal((cin, cout // groups, *kernel)), b, opts


@given(case=cases())
def test_conv_transpose3d_matches_torch(case):
    torch = pytest.importorskip("torch")
    x, w, b, opts = case
    ours = [ad.tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
    out, out_t = (
        F.conv_transpose3d(*ours, **opts),
        torch.nn.functional.conv_transpose3d(*theirs, **opts),
    )
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert out.grad_fn.name() == out_t.grad_fn.name() == "ConvolutionBackward0"
    g = np.random.default_rng(1).standard_normal(out_t.shape)
    out.backward(ad.tensor(g))
    out_t.backward(torch.tensor(g))
    for a, t in zip(ours, theirs):
        if a is not None:
            np.testing.assert_allclose(
                a.grad.detach().numpy(), t.grad.detach().numpy(), rtol=1e-10, atol=1e-12
            )


OPTS = dict(stride=(2, 1, 2), padding=(1, 0, 1), output_padding=(1, 0, 0), groups=2)


def test_finite_differences_second_order_and_double_backward():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((1, 4, 2, 3, 2)), rng.standard_normal((4, 1, 2, 2, 3)), None
    b = rng.standard_normal(2)
    xa, wa, ba = (ad.tensor(a, requires_grad=True) for a in (x, w, b))
    fn = lambda x, w, b: F.conv_transpose3d(x, w, b, **OPTS)  # noqa: E731
    assert_gradients_match(fn, xa, wa, ba)
    assert ad.gradgradcheck(fn, (xa, wa, ba))
    xa, wa = ad.tensor(x, requires_grad=True), ad.tensor(w, requires_grad=True)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    (gx,) = ad.grad((F.conv_transpose3d(xa, wa, **OPTS) ** 2).sum(), xa, create_graph=True)
    (gx * gx).sum().backward()
    out_t = torch.nn.functional.conv_transpose3d(xt, wt, **OPTS)
    (gxt,) = torch.autograd.grad((out_t**2).sum(), xt, create_graph=True)
    (gxt * gxt).sum().backward()
    np.testing.assert_allclose(
        wa.grad.detach().numpy(), wt.grad.detach().numpy(), rtol=1e-10, atol=1e-12
    )
    np.testing.assert_allclose(
        xa.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=1e-10, atol=1e-12
    )


LAYERS = [
    ((3, 4, 3), dict(stride=2, padding=1, output_padding=1)),
    ((4, 6, (2, 3, 2)), dict(groups=2, dilation=(1, 2, 1), bias=False)),
    ((2, 2, 3), dict(stride=(1, 2, 3), output_padding=(0, 1, 2), dilation=(1, 1, 3))),
]


@pytest.mark.parametrize("args,kwargs", LAYERS, ids=str)
def test_layer_seeded_init_repr_state_dict_and_values_match_torch(args, kwargs):
    torch = pytest.importorskip("torch")
    torch.manual_seed(7)
    ad.manual_seed(7)
    theirs, ours = torch.nn.ConvTranspose3d(*args, **kwargs), nn.ConvTranspose3d(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():  # torch's draws, bit for bit
        np.testing.assert_array_equal(
            ours.state_dict()[key].detach().numpy(), value.detach().numpy(), key
        )
    x = np.random.default_rng(0).standard_normal((2, args[0], 3, 2, 4)).astype(np.float32)
    for batch in (x, x[0]):  # a batch and one unbatched sample
        out, out_t = ours(ad.tensor(batch)), theirs(torch.tensor(batch))
        assert out.shape == tuple(out_t.shape)
        np.testing.assert_allclose(
            out.detach().numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-5
        )
    assert T.conv_transpose3d is F.conv_transpose3d and T.conv3d is F.conv3d


def test_errors_as_torch():
    torch = pytest.importorskip("torch")
    x, w = np.ones((1, 2, 3, 3, 3)), np.ones((2, 2, 2, 2, 2))
    cases = [
        (x, np.ones((3, 2, 2, 2, 2)), {}),  # input channels are not dim 0 of the weight
        (x, w, dict(output_padding=2, stride=2)),  # output_padding not below stride/dilation
        (x, w, dict(padding=4)),  # an empty output
        (np.ones((2, 3, 3)), w, {}),  # a 3-d input
        (x, w, dict(groups=3)),  # groups not dividing the channels
    ]
    for inp, weight, opts in cases:
        with pytest.raises(RuntimeError):
            torch.nn.functional.conv_transpose3d(torch.tensor(inp), torch.tensor(weight), **opts)
        with pytest.raises(RuntimeError, match="conv_transpose3d"):
            F.conv_transpose3d(ad.tensor(inp), ad.tensor(weight), **opts)
    with pytest.raises(ValueError, match="output_size= is not supported"):
        nn.ConvTranspose3d(2, 2, 2)(ad.tensor(x), output_size=(4, 4, 4))
