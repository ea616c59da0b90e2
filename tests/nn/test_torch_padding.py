"""F.pad's modes and the padding Modules, pixel (un)shuffle, Softmax2d and nn.Buffer
against torch: values, gradients, recorded graphs, finite differences, second order, reprs,
state dicts and errors."""

import numpy as np
import pytest
from torch_twin import compare, node_tree

import autodiff as ad
import nn
import nn.functional as F

PADS = [
    ((2, 3, 5), (1, 2)),
    ((3, 5), (2, 0)),
    ((2, 3, 5), (-1, 3)),
    ((2, 3, 4, 5), (2, 1, 1, 3)),
    ((3, 4, 5), (0, -2, 3, 1)),
    ((1, 2, 3, 4, 5), (1, 1, 2, 0, 1, 2)),
]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", PADS)
def test_pad_modes_match_torch(mode, shape, pad):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal(shape)
    compare(
        torch,
        lambda a: F.pad(a, pad, mode=mode),
        lambda a: torch.nn.functional.pad(a, pad, mode=mode),
        x,
    )


def test_constant_pad_keeps_value_and_takes_none():
    torch = pytest.importorskip("torch")
    x = np.arange(6.0).reshape(2, 3)
    for value in (None, 2.5):
        ours = F.pad(ad.tensor(x), (1, 2), value=value)
        theirs = torch.nn.functional.pad(torch.tensor(x), (1, 2), value=value)
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


def test_reflect_and_replicate_put_the_edges_where_torch_does():
    row = ad.tensor([[1.0, 2.0, 3.0]])
    assert F.pad(row, (2, 2), mode="reflect").tolist() == [[3, 2, 1, 2, 3, 2, 1]]
    assert F.pad(row, (2, 1), mode="replicate").tolist() == [[1, 1, 1, 2, 3, 3]]
    assert F.pad(row, (2, 3), mode="circular").tolist() == [[2, 3, 1, 2, 3, 1, 2, 3]]


MODULES = [
    ("ZeroPad1d", (2,), (2, 3, 4)),
    ("ZeroPad2d", ((1, 2, 0, 3),), (2, 3, 4)),
    ("ConstantPad1d", ((1, 3), 2.5), (3, 4)),
    ("ConstantPad2d", (1, -1.0), (1, 2, 3, 4)),
    ("ReflectionPad1d", (2,), (2, 3, 4)),
    ("ReflectionPad2d", ((1, 0, 2, 1),), (3, 4, 5)),
    ("ReplicationPad1d", ((3, 1),), (3, 4)),
    ("ReplicationPad2d", (2,), (1, 2, 3, 4)),
    ("CircularPad1d", (3,), (2, 3, 4)),
    ("CircularPad2d", ((1, 2, 2, 0),), (1, 2, 3, 4)),
]


@pytest.mark.parametrize("name,args,shape", MODULES)
def test_padding_modules_match_torch(name, args, shape):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs) and ours.padding == theirs.padding
    assert list(ours.state_dict()) == list(theirs.state_dict()) == []
    x = np.random.default_rng(3).standard_normal(shape)
    compare(torch, ours, theirs, x, second_order=False)


def test_pad_errors_match_torch():
    torch = pytest.importorskip("torch")
    x = ad.zeros(1, 1, 3, 3)
    xt = torch.zeros(1, 1, 3, 3)
    cases = [
        (dict(pad=(1, 1), mode="reflect"), RuntimeError, "Padding size 2 is not supported"),
        (dict(pad=(3, 3, 0, 0), mode="reflect"), RuntimeError, "should be less than"),
        (dict(pad=(4, 0, 0, 0), mode="circular"), RuntimeError, "wrapping around more than once"),
        (dict(pad=(1,)), RuntimeError, "divisible by 2"),
        (dict(pad=(1,) * 10), RuntimeError, "less than or equal to two times"),
        (dict(pad=(1, 1), mode="foo"), RuntimeError, "Unrecognised padding mode"),
        (dict(pad=(1, 1, 1, 1), mode="reflect", value=2), RuntimeError, "doesn't take in value"),
    ]
    for kwargs, error, message in cases:
        with pytest.raises(error, match=message):
            F.pad(x, **kwargs)
        with pytest.raises(error):
            torch.nn.functional.pad(xt, **kwargs)
    assert F.pad(x, (1, 1, 1, 1), mode="reflect", value=0).shape == (1, 1, 5, 5)
    with pytest.raises(ValueError, match=r"CircularPad1d: expected 2D or 3D input \(got 1D"):
        nn.CircularPad1d(1)(ad.zeros(4))
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        torch.nn.CircularPad1d(1)(torch.zeros(4))


@pytest.mark.parametrize("shape,r", [((1, 8, 2, 3), 2), ((2, 3, 18, 1, 2), 3), ((9, 2, 2), 3)])
def test_pixel_shuffle_and_unshuffle_match_torch(shape, r):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(4).standard_normal(shape)
    compare(
        torch, lambda a: F.pixel_shuffle(a, r), lambda a: torch.nn.functional.pixel_shuffle(a, r), x
    )
    y = np.asarray(torch.nn.functional.pixel_shuffle(torch.tensor(x), r))
    tu = torch.nn.functional.pixel_unshuffle
    compare(torch, lambda a: F.pixel_unshuffle(a, r), lambda a: tu(a, r), y)
    ours, theirs = nn.PixelShuffle(r), torch.nn.PixelShuffle(r)
    assert repr(ours) == repr(theirs) and repr(nn.PixelUnshuffle(r)) == repr(
        torch.nn.PixelUnshuffle(r)
    )
    np.testing.assert_array_equal(nn.PixelUnshuffle(r)(ours(ad.tensor(x))).detach().numpy(), x)


def test_pixel_shuffle_errors():
    with pytest.raises(ValueError, match=r"input.size\(-3\)=5 is not divisible by 4"):
        F.pixel_shuffle(ad.zeros(1, 5, 2, 2), 2)
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        F.pixel_shuffle(ad.zeros(4, 2), 2)
    with pytest.raises(ValueError, match="positive upscale_factor, but got 0"):
        F.pixel_shuffle(ad.zeros(1, 4, 2, 2), 0)
    with pytest.raises(
        ValueError, match=r"width to be divisible by downscale_factor.*size\(-1\)=3"
    ):
        F.pixel_unshuffle(ad.zeros(1, 1, 2, 3), 2)
    with pytest.raises(ValueError, match=r"height to be divisible.*size\(-2\)=3"):
        F.pixel_unshuffle(ad.zeros(1, 1, 3, 2), 2)


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (3, 2, 4)])
def test_softmax2d_matches_torch(shape):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(5).standard_normal(shape)
    compare(torch, nn.Softmax2d(), torch.nn.Softmax2d(), x)
    assert repr(nn.Softmax2d()) == repr(torch.nn.Softmax2d())
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D"):
        nn.Softmax2d()(ad.zeros(2, 3))


def test_buffer_registers_on_assignment_as_torch():
    torch = pytest.importorskip("torch")
    for lib, t in ((nn, ad), (torch.nn, torch)):
        m = lib.Module()
        m.kept = lib.Buffer(t.ones(2))
        m.scratch = lib.Buffer(t.zeros(3), persistent=False)
        assert list(m.state_dict()) == ["kept"]
        assert sorted(dict(m.named_buffers())) == ["kept", "scratch"]
        assert isinstance(m.kept, lib.Buffer) and m.scratch.persistent is False
        m.scratch = lib.Buffer(t.zeros(3))  # now persistent
        assert list(m.state_dict()) == ["kept", "scratch"]
        m.plain = 3
        with pytest.raises(KeyError, match="attribute 'plain' already exists"):
            m.plain = lib.Buffer(t.ones(1))
        m.p = lib.Parameter(t.ones(1))
        with pytest.raises(TypeError):
            m.p = lib.Buffer(t.ones(1))
        source = t.ones(2, requires_grad=True)
        assert lib.Buffer(source).requires_grad and lib.Buffer().shape == (0,)
    shared = ad.zeros(2)
    buffer = nn.Buffer(shared)
    shared.add_(1)
    assert buffer.tolist() == [1.0, 1.0]  # shares memory, as torch's detach()
    with pytest.raises(TypeError, match="Buffer: expected a Tensor, got list"):
        nn.Buffer([1.0])


def test_node_tree_tells_graphs_apart_and_reads_torchs_scalar_overloads():
    torch = pytest.importorskip("torch")
    a = ad.tensor([1.0, 2.0], requires_grad=True)
    mul = ("MulBackward0", ("AccumulateGrad",), (None,))
    assert node_tree((a * 2).exp().grad_fn) == ("ExpBackward0", mul)
    assert node_tree((a * 2).exp().grad_fn) != node_tree((a + 2).exp().grad_fn)
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    theirs = torch.nn.functional.rms_norm(t, (2,)).grad_fn  # its C++ composite adds eps: x + ε
    add = theirs.next_functions[1][0].next_functions[0][0]
    assert node_tree(add) == (
        "AddBackward1",
        ("MeanBackward1", ("PowBackward0", ("AccumulateGrad",))),
    )
    ours = F.rms_norm(a, (2,)).grad_fn
    assert node_tree(theirs, from_torch=True) == node_tree(ours)
    assert node_tree(theirs, from_torch=True) != node_tree(
        (a * (a.pow(2).mean() - 1).rsqrt()).grad_fn
    )
