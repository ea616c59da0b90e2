"""torch.memory_format: contiguous_format, channels_last(_3d) and preserve_format, against
torch: the strides of contiguous(), clone(), to(), Module.to(), empty() and the *_like
functions (whose seeded draws fill memory in the result's order, as torch's), is_contiguous,
the refusals, gradients through a layout change, and ad.compile's replay of one."""

import pickle

import numpy as np
import pytest

import autodiff as ad
import nn

X = np.arange(120.0, dtype=np.float32).reshape(2, 3, 4, 5)


def _pair(torch, view):
    """The same view of X in both libraries."""
    return view(ad.tensor(X), ad), view(torch.tensor(X), torch)


VIEWS = {
    "contiguous": lambda t, lib: t,
    "channels_last": lambda t, lib: t.contiguous(memory_format=lib.channels_last),
    "transposed": lambda t, lib: t.transpose(1, 3),
    "strided": lambda t, lib: t.transpose(1, 3)[:, :, ::2],
    "size_one": lambda t, lib: t[:1, :, :1].contiguous(memory_format=lib.channels_last),
}
FORMATS = ["contiguous_format", "channels_last", "preserve_format"]


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_strides_and_contiguity_as_torch(view):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch, VIEWS[view])
    assert ours.stride() == theirs.stride()
    for name in FORMATS:
        assert ours.is_contiguous(memory_format=getattr(ad, name)) == theirs.is_contiguous(
            memory_format=getattr(torch, name)
        ), name
    for name in FORMATS:
        o, t = (
            ours.clone(memory_format=getattr(ad, name)),
            theirs.clone(memory_format=getattr(torch, name)),
        )
        assert o.stride() == t.stride() and np.array_equal(o.numpy(), t.numpy()), name
    assert ours.clone().stride() == theirs.clone().stride()  # preserve_format by default
    for name in ("contiguous_format", "channels_last"):
        o = ours.contiguous(memory_format=getattr(ad, name))
        t = theirs.contiguous(memory_format=getattr(torch, name))
        assert o.stride() == t.stride() and np.array_equal(o.numpy(), t.numpy())
        assert (o is ours) == (t is theirs)  # already laid out so: the tensor itself
        o, t = (
            ours.to(memory_format=getattr(ad, name)),
            theirs.to(memory_format=getattr(torch, name)),
        )
        assert o.stride() == t.stride()


@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like", "full_like",
                                  "rand_like", "randn_like", "randint_like"])  # fmt: skip
@pytest.mark.parametrize("view", sorted(VIEWS))
def test_like_functions_preserve_the_layout_and_draw_along_memory_as_torch(name, view):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch, VIEWS[view])
    extra = (10,) if name == "randint_like" else (2.5,) if name == "full_like" else ()
    for fmt in (None, "contiguous_format", "channels_last"):
        kwargs = {} if fmt is None else {"memory_format": getattr(ad, fmt)}
        their_kwargs = {} if fmt is None else {"memory_format": getattr(torch, fmt)}
        ad.manual_seed(5)
        torch.manual_seed(5)
        o = getattr(ad, name)(ours, *extra, **kwargs)
        t = getattr(torch, name)(theirs, *extra, **their_kwargs)
        assert o.stride() == t.stride(), fmt
        if name != "empty_like":  # torch's is uninitialised
            np.testing.assert_array_equal(o.numpy(), t.numpy())


def test_empty_module_to_and_the_refusals_as_torch():
    torch = pytest.importorskip("torch")
    o, t = (
        ad.empty(2, 3, 4, 5, memory_format=ad.channels_last),
        torch.empty(2, 3, 4, 5, memory_format=torch.channels_last),
    )
    assert o.stride() == t.stride()
    o = ad.empty(2, 3, 4, 5, 6, memory_format=ad.channels_last_3d)
    assert o.stride() == torch.empty(2, 3, 4, 5, 6, memory_format=torch.channels_last_3d).stride()
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3), torch.nn.Flatten(), torch.nn.Linear(8, 2)
    )
    ours = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(8, 2))
    before = list(ours.parameters())
    assert ours.to(memory_format=ad.channels_last) is ours
    theirs.to(memory_format=torch.channels_last)
    assert [p.stride() for p in ours.parameters()] == [p.stride() for p in theirs.parameters()]
    assert all(a is b for a, b in zip(before, ours.parameters()))  # in place, as torch
    for lib in (ad, torch):
        with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last"):
            lib.ones(3, 4).contiguous(memory_format=lib.channels_last)
        with pytest.raises(RuntimeError, match="preserve memory format is unsupported"):
            lib.ones(3, 4).t().contiguous(memory_format=lib.preserve_format)
        square = lib.ones(3, 4)  # already contiguous: returned as it is
        assert square.contiguous(memory_format=lib.preserve_format) is square
        with pytest.raises(TypeError, match="memory_format"):
            lib.ones(3, 4).contiguous(memory_format=3)
    assert repr(ad.channels_last) == repr(torch.channels_last) == "torch.channels_last"
    assert pickle.loads(pickle.dumps(ad.channels_last)) is ad.channels_last


def test_gradients_flow_through_a_layout_change_eager_and_compiled():
    """contiguous(channels_last) is a copy in the graph (CloneBackward0): the gradient is the
    upstream one; a compiled step replays the layout change and gives eager's numbers."""
    conv = nn.Conv2d(3, 4, 3)
    x = ad.tensor(X, requires_grad=True)

    def step():
        x.grad = None
        y = conv(x.contiguous(memory_format=ad.channels_last)) * 2
        y.sum().backward()
        return y

    eager = step()
    assert eager.grad_fn is not None and x.grad is not None
    eager_grad = x.grad.numpy().copy()
    plain = conv(ad.tensor(X, requires_grad=True))
    np.testing.assert_allclose(eager.detach().numpy(), plain.detach().numpy() * 2, rtol=1e-6)
    cl = ad.tensor(X, requires_grad=True).contiguous(memory_format=ad.channels_last)
    assert cl.grad_fn.name() == "CloneBackward0" and cl.stride() == (60, 1, 15, 3)
    compiled = ad.compile(step)
    for _ in range(3):
        replayed = compiled()
        np.testing.assert_array_equal(replayed.detach().numpy(), eager.detach().numpy())
        np.testing.assert_array_equal(x.grad.numpy(), eager_grad)


@pytest.mark.parametrize("method", ["float", "double", "half", "long", "int", "short", "char",
                                    "byte", "bool", "bfloat16", "cpu"])  # fmt: skip
def test_conversions_take_memory_format_as_torch(method):
    torch = pytest.importorskip("torch")
    for fmt in ("channels_last", "contiguous_format", "preserve_format"):
        ours, theirs = _pair(torch, VIEWS["transposed"])
        o = getattr(ours, method)(memory_format=getattr(ad, fmt))
        t = getattr(theirs, method)(memory_format=getattr(torch, fmt))
        assert o.stride() == t.stride() and str(o.dtype) == str(t.dtype), fmt


def test_resize_with_a_memory_format_reads_the_storage_in_that_order_as_torch():
    torch = pytest.importorskip("torch")
    for lib in (ad, torch):
        same = lib.arange(24.0).reshape(1, 2, 3, 4).clone()  # not a view: its own storage
        same.resize_(1, 2, 3, 4, memory_format=lib.channels_last)
        grown = lib.arange(6.0)
        grown.resize_(1, 2, 3, 1, memory_format=lib.channels_last)
        as_other = lib.arange(24.0).reshape(1, 2, 3, 4).clone()
        as_other.resize_as_(lib.zeros(1, 2, 3, 4), memory_format=lib.channels_last)
        seen = [(t.stride(), t.flatten().tolist()) for t in (same, grown, as_other)]
        if lib is ad:
            ours = seen
    assert ours == seen


LEAVES = {**VIEWS, "expanded": lambda t, lib: t[:, :1].expand(2, 3, 4, 5)}


@pytest.mark.parametrize("view", sorted(LEAVES))
def test_a_leafs_gradient_has_the_leafs_layout_as_torch(view):
    """torch's layout contract for AccumulateGrad: .grad takes the leaf's strides where the
    leaf is dense (channels_last, transposed), else row-major ones (a strided or expanded
    leaf); a second backward adds in place; ad.compile's replays give the same layout."""
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch, LEAVES[view])
    ours, theirs = ours.detach().requires_grad_(), theirs.detach().requires_grad_()
    weights = np.arange(ours.numel(), dtype=np.float32).reshape(ours.shape)
    for _ in range(2):
        (ours * ad.tensor(weights)).sum().backward()
        (theirs * torch.tensor(weights)).sum().backward()
        assert ours.grad.stride() == theirs.grad.stride()
        np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())
    step = ad.compile(lambda: (ours * ad.tensor(weights)).sum().backward())
    for _ in range(3):  # traced, then replayed
        ours.grad = None
        step()
        assert ours.grad.stride() == theirs.grad.stride()
        np.testing.assert_array_equal(ours.grad.numpy(), weights)


CNN_OPS = {
    "conv2d": lambda F, x, w: F.conv2d(x, w, padding=1),
    "conv2d_groups": lambda F, x, w: F.conv2d(x, w[:3, :1], padding=1, groups=3),
    "conv2d_strided": lambda F, x, w: F.conv2d(x, w, stride=2),
    "conv2d_one_channel": lambda F, x, w: F.conv2d(x[:, :1], w[:, :1]),  # a per-sample product
    "max_pool2d": lambda F, x, w: F.max_pool2d(x, 2),
    "max_pool2d_3_2": lambda F, x, w: F.max_pool2d(x, 3, 2, 1),
    "max_pool2d_indices": lambda F, x, w: F.max_pool2d(x, 2, return_indices=True)[1],
    "avg_pool2d": lambda F, x, w: F.avg_pool2d(x, 2),
    "adaptive_avg_pool2d": lambda F, x, w: F.adaptive_avg_pool2d(x, (3, 2)),
    "relu": lambda F, x, w: F.relu(x),
    "batch_norm": lambda F, x, w: F.batch_norm(x, None, None, training=True),
    "dropout": lambda F, x, w: F.dropout(x, 0.5),
}


@pytest.mark.parametrize("op", sorted(CNN_OPS))
@pytest.mark.parametrize("layouts", ["cl_input", "cl_weight", "both", "neither"])
def test_a_cnns_ops_keep_channels_last_as_torch(op, layouts):
    """torch's CPU convolution gives a channels_last output where the input or the weight is
    channels_last; pooling, batch norm, ReLU and dropout (its seeded mask drawn along memory)
    follow the input. The same values and layouts here."""
    torch = pytest.importorskip("torch")
    w0 = np.linspace(-1, 1, 4 * 3 * 3 * 3, dtype=np.float32).reshape(4, 3, 3, 3)
    results = []
    for lib in (ad, torch):
        F = nn.functional if lib is ad else torch.nn.functional
        x, w = lib.tensor(X[:, :, :4, :4].copy()), lib.tensor(w0)
        if layouts in ("cl_input", "both"):
            x = x.contiguous(memory_format=lib.channels_last)
        if layouts in ("cl_weight", "both"):
            w = w.contiguous(memory_format=lib.channels_last)
        lib.manual_seed(3)
        out = CNN_OPS[op](F, x, w)
        results.append((out.is_contiguous(memory_format=lib.channels_last), out.stride(), out))
    (ours_last, ours_strides, ours), (theirs_last, theirs_strides, theirs) = results
    assert ours_last == theirs_last and ours_strides == theirs_strides
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-5)


def test_a_0d_leafs_gradient_is_an_array_that_accumulates():
    """A 0-d gradient can come out of NumPy as a scalar; .grad is a 0-d array all the same,
    so a second backward adds into it in place."""
    x = ad.tensor(2.0, requires_grad=True)
    for _ in range(2):
        (ad.frac(x) * x).backward()
    assert type(x.grad.numpy()) is np.ndarray and x.grad.item() == 4.0
