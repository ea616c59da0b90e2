"""conv1d, conv_transpose1d/2d and their layers: torch as oracle over hypothesis-drawn
configurations (values, every gradient, node names), finite differences, second order against
torch, each in both column layouts of the kernels; initialisation, state dicts, reprs and
errors."""

import numpy as np
import pytest
from conv_layouts import LAYOUTS, layout
from hypothesis import given
from hypothesis import strategies as st

import autodiff as ad
import nn
import nn.functional as F
from autodiff.testing import assert_gradients_match


@st.composite
def cases(draw, transposed: bool, dims: int):
    """A valid (transposed) convolution with float64 data: (x, w, b, options)."""
    groups = draw(st.integers(1, 2))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    padding = tuple(draw(st.integers(0, 2)) for _ in range(dims))
    size = tuple(draw(st.integers(1, 5)) for _ in range(dims))
    opts = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    if transposed:
        opts["output_padding"] = tuple(draw(st.integers(0, s - 1)) for s in stride)
        out = [
            (n - 1) * s - 2 * p + d * (k - 1) + e + 1
            for n, s, p, d, k, e in zip(
                size, stride, padding, dilation, kernel, opts["output_padding"]
            )
        ]
        if min(out) < 1:
            opts["padding"] = (0,) * dims
        shape_w = (cin, cout // groups, *kernel)
    else:
        span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
        size = tuple(max(n, s - 2 * p) for n, s, p in zip(size, span, padding))
        shape_w = (cout, cin // groups, *kernel)
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((draw(st.integers(1, 2)), cin, *size))
    b = rng.standard_normal(cout) if draw(st.booleans()) else None
    return x, rng.standard_normal(shape_w), b, opts


def _both(torch, name, columns, x, w, b, opts):
    """Our and torch's op on the same data, backward of one random upstream gradient."""
    ours = [ad.tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
    out_t = getattr(torch.nn.functional, name)(*theirs, **opts)
    g = np.random.default_rng(1).standard_normal(out_t.shape)
    with layout(columns):
        out = getattr(F, name)(*ours, **opts)
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
@given(case=cases(transposed=False, dims=1))
def test_conv1d_matches_torch(columns, case):
    _both(pytest.importorskip("torch"), "conv1d", columns, *case)


@pytest.mark.parametrize("columns", sorted(LAYOUTS))
@given(case=cases(transposed=True, dims=1))
def test_conv_transpose1d_matches_torch(columns, case):
    _both(pytest.importorskip("torch"), "conv_transpose1d", columns, *case)


@pytest.mark.parametrize("columns", sorted(LAYOUTS))
@given(case=cases(transposed=True, dims=2))
def test_conv_transpose2d_matches_torch(columns, case):
    _both(pytest.importorskip("torch"), "conv_transpose2d", columns, *case)


OPS = [
    ("conv1d", (2, 4, 7), (6, 2, 3), dict(stride=2, padding=1, dilation=2, groups=2)),
    ("conv_transpose1d", (2, 4, 5), (4, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ("conv_transpose2d", (1, 4, 3, 4), (4, 1, 2, 3), dict(stride=(2, 1), padding=(0, 1), groups=2)),
]


@pytest.mark.parametrize("columns", sorted(LAYOUTS))
@pytest.mark.parametrize("name,xs,ws,opts", OPS, ids=[o[0] for o in OPS])
def test_finite_differences_and_second_order(name, xs, ws, opts, columns):
    rng = np.random.default_rng(0)
    x = ad.tensor(rng.standard_normal(xs), requires_grad=True)
    w = ad.tensor(rng.standard_normal(ws), requires_grad=True)
    cout = ws[0] if name == "conv1d" else ws[1] * opts.get("groups", 1)
    b = ad.tensor(rng.standard_normal(cout), requires_grad=True)
    fn = getattr(F, name)
    with layout(columns):
        assert_gradients_match(lambda x, w, b: fn(x, w, b, **opts), x, w, b)
        assert ad.gradgradcheck(lambda x, w, b: fn(x, w, b, **opts), (x, w, b))


@pytest.mark.parametrize("columns", sorted(LAYOUTS))
@pytest.mark.parametrize("name,xs,ws,opts", OPS, ids=[o[0] for o in OPS])
def test_double_backward_matches_torch(name, xs, ws, opts, columns):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    xa, wa = ad.tensor(x, requires_grad=True), ad.tensor(w, requires_grad=True)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    with layout(columns):
        (gx,) = ad.grad((getattr(F, name)(xa, wa, **opts) ** 2).sum(), xa, create_graph=True)
        (gx * gx).sum().backward()
    out_t = getattr(torch.nn.functional, name)(xt, wt, **opts)
    (gxt,) = torch.autograd.grad((out_t**2).sum(), xt, create_graph=True)
    (gxt * gxt).sum().backward()
    np.testing.assert_allclose(
        wa.grad.detach().numpy(), wt.grad.detach().numpy(), rtol=1e-10, atol=1e-12
    )
    np.testing.assert_allclose(
        xa.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=1e-10, atol=1e-12
    )


LAYERS = [
    ("Conv1d", (4, 6, 3), dict(stride=2, padding=1, groups=2), (2, 4, 9)),
    ("Conv1d", (3, 2, 4), dict(padding="same", dilation=2, bias=False), (2, 3, 8)),
    ("ConvTranspose1d", (4, 6, 3), dict(stride=2, padding=1, output_padding=1), (2, 4, 5)),
    ("ConvTranspose2d", (4, 2, (3, 2)), dict(stride=2, padding=(1, 0), groups=2), (2, 4, 3, 4)),
    ("ConvTranspose2d", (2, 3, 4), dict(stride=2, padding=1, bias=False), (2, 2, 5, 5)),
]


@pytest.mark.parametrize("cls,args,kwargs,shape", LAYERS, ids=[layer[0] for layer in LAYERS])
def test_layers_init_state_dict_values_and_repr_match_torch(cls, args, kwargs, shape):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, cls)(*args, **kwargs), getattr(torch.nn, cls)(*args, **kwargs)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {
        k: tuple(v.shape) for k, v in theirs.state_dict().items()
    }
    fan_in = theirs.weight.shape[1] * int(np.prod(theirs.weight.shape[2:]))
    bound = 1 / np.sqrt(fan_in)  # torch's default: U(±1/√fan_in) for weight and bias
    for p in ours.parameters():
        assert p.dtype == np.float32 and np.abs(p.detach().numpy()).max() <= bound
    assert np.abs(ours.weight.detach().numpy()).max() > 0.6 * bound  # spread over the range
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
    out, out_t = ours(ad.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-5)
    assert repr(ours) == repr(theirs)
    unbatched = ours(ad.tensor(x[0]))  # torch's unbatched (C, *spatial) form
    np.testing.assert_allclose(
        unbatched.detach().numpy(), out.detach().numpy()[0], rtol=1e-6, atol=1e-6
    )


def test_errors_name_the_op_and_shapes():
    with pytest.raises(ValueError, match=r"conv1d: expected input with 4 channels, got 3"):
        F.conv1d(ad.zeros(1, 3, 5), ad.zeros(2, 4, 3))
    with pytest.raises(ValueError, match=r"conv1d: expected a 2-D \(C, L\) or 3-D"):
        F.conv1d(ad.zeros(1, 1, 3, 5), ad.zeros(2, 1, 3))
    with pytest.raises(ValueError, match=r"output_padding \(2,\) must be smaller than the stride"):
        F.conv_transpose1d(ad.zeros(1, 2, 5), ad.zeros(2, 1, 3), stride=2, output_padding=2)
    with pytest.raises(ValueError, match=r"ConvTranspose2d\(2, 3.*expected input with 2 channels"):
        nn.ConvTranspose2d(2, 3, 3)(ad.zeros(1, 5, 4, 4))
    with pytest.raises(ValueError, match="output_size= is not supported"):
        nn.ConvTranspose1d(2, 3, 3)(ad.zeros(1, 2, 4), output_size=[9])
    with pytest.raises(ValueError, match="padding must be ints"):
        nn.ConvTranspose2d(2, 3, 3, padding="same")
