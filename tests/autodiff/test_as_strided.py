"""torch.as_strided / Tensor.as_strided(_) / as_strided_scatter against torch: values, strides,
storage sharing, AsStridedBackward0's gradient (overlapping windows add; an overlapping input
shares them), writes through a view in and outside the graph, and the refusals."""

import numpy as np
import pytest

import autodiff as ad

VALUES = np.random.default_rng(0).standard_normal(24)


def _both(torch, make, values=VALUES):
    """make(lib, leaf) for autodiff and torch on the same float64 values."""
    ours = ad.tensor(values, requires_grad=True)
    theirs = torch.tensor(values, requires_grad=True)
    return (ours, make(ad, ours)), (theirs, make(torch, theirs))


def _same(ours, theirs):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)


# (name, make): each reads the storage of a leaf's copy through some view first
CASES = {
    "windows of a row (im2col)": lambda lib, x: (x * 1).as_strided((4, 3), (5, 1)),
    "2-d patches": lambda lib, x: (x * 1).reshape(4, 6).as_strided((3, 4, 2, 2), (6, 1, 6, 1)),
    "from an offset": lambda lib, x: lib.as_strided(x * 1, (2, 3), (1, 4), 5),
    "a view's default offset": lambda lib, x: (x * 1)[7:].as_strided((2, 2), (3, 1)),
    "outside the view it is called on": lambda lib, x: (x * 1)[10:].as_strided((2, 3), (1, 2), 0),
    "of a transposed view": lambda lib, x: (x * 1).reshape(4, 6).t().as_strided((3, 3), (2, 6)),
    "zero strides (a broadcast)": lambda lib, x: (x * 1).as_strided((3, 4), (0, 2), 1),
    "of an overlapping input": lambda lib, x: (x[:5] * 1).expand(3, 5).as_strided((2, 2), (1, 2)),
    "a scalar": lambda lib, x: (x * 1).as_strided((), (), 3),
    "nothing": lambda lib, x: (x * 1).as_strided((0, 3), (7, 7), 100),
}


@pytest.mark.parametrize("name", CASES)
def test_values_strides_and_gradients_match_torch(name):
    torch = pytest.importorskip("torch")
    (x, ours), (tx, theirs) = _both(torch, CASES[name])
    _same(ours, theirs)
    assert ours.stride() == theirs.stride()
    if ours.numel():  # an empty view keeps no offset here
        assert ours.storage_offset() == theirs.storage_offset()
    assert ours.grad_fn.name() == theirs.grad_fn.name() == "AsStridedBackward0"
    weight = np.arange(ours.numel(), dtype=np.float64).reshape(ours.shape) + 1
    (ours * ad.tensor(weight)).sum().backward()
    (theirs * torch.tensor(weight)).sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), tx.grad.detach().numpy(), rtol=1e-12)


def test_the_view_shares_the_storage_both_ways():
    x = ad.arange(10.0)
    v = x.as_strided((3, 3), (2, 1), 1)
    assert v._base is x and v.data_ptr() == x.data_ptr() + x.itemsize
    x[3] = 100.0
    assert v[1, 0].item() == 100.0 and v[0, 2].item() == 100.0
    w = x[2:].as_strided((2, 2), (4, 1))  # no overlap: writeable
    version = x._version[0]
    w[1, 1] = -1.0
    assert x[7].item() == -1.0 and x._version[0] == version + 1


def test_gradcheck_and_gradgradcheck_float64():
    x = ad.tensor(VALUES[:12], requires_grad=True)
    windows = lambda t: (t * t).as_strided((4, 3), (2, 1), 1)  # noqa: E731
    assert ad.gradcheck(windows, (x,))
    assert ad.gradgradcheck(windows, (x,))
    shared = lambda t: t.expand(2, 12).as_strided((3, 2), (1, 3))  # noqa: E731
    assert ad.gradcheck(shared, (x,))


def test_an_overlapping_view_refuses_writes_with_torchs_error():
    x = ad.arange(10.0)
    windows = x.as_strided((3, 3), (1, 1))
    with pytest.raises(RuntimeError, match="more than one element .* single memory location"):
        windows.add_(1.0)
    with pytest.raises(RuntimeError, match="as_strided"):
        windows[0, 0] = 5.0
    assert x.tolist() == list(range(10))


# the loss after a write through the view: the gradient reaching the base is then a fresh
# array, a broadcast scalar (sum), a transposed one or a slice of a bigger one
LOSSES = {
    "weighted": lambda lib, c, window: (
        (c * lib.arange(12.0, dtype=lib.float64)).sum() + window.sum()
    ),
    "sum": lambda lib, c, window: c.sum(),
    "through a transpose": lambda lib, c, window: (
        c.reshape(3, 4).t() * lib.arange(12.0, dtype=lib.float64).reshape(4, 3)
    ).sum(),
    # c's gradient a slice of cat's at an offset, or every other element of stack's
    "through cat": lambda lib, c, window: (
        lib.cat([lib.zeros(5, dtype=lib.float64), c]) * lib.arange(17.0, dtype=lib.float64)
    ).sum(),
    "through stack": lambda lib, c, window: (
        lib.stack([c.detach(), c], 1) * lib.arange(24.0, dtype=lib.float64).reshape(12, 2)
    ).sum(),
}


@pytest.mark.parametrize("loss", LOSSES)
def test_a_write_through_the_view_in_the_graph_matches_torch(loss):
    torch = pytest.importorskip("torch")

    def run(lib):
        b = lib.tensor(VALUES[:12], requires_grad=True)
        c = b * 2
        window = c.as_strided((2, 3), (4, 1), 2)
        s = lib.tensor([[1.0, 2, 3], [4, 5, 6]], dtype=lib.float64, requires_grad=True)
        window.mul_(s)
        LOSSES[loss](lib, c, window).backward()
        return c, b.grad, s.grad, c.grad_fn.name()

    for ours, theirs in zip(run(ad), run(torch)):
        if isinstance(ours, str):
            assert theirs.endswith(ours)  # torch's is "torch::autograd::CopySlices"
        else:
            np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy())


def test_a_write_to_the_base_remakes_the_views_history():
    torch = pytest.importorskip("torch")

    def run(lib):
        b = lib.tensor(VALUES[:8], requires_grad=True)
        c = b * 1
        view = c.as_strided((3, 2), (2, 1), 1)
        c.mul_(3.0)
        (view * view).sum().backward()
        return view, b.grad

    for ours, theirs in zip(run(ad), run(torch)):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy())


def test_as_strided_in_place_matches_torch():
    torch = pytest.importorskip("torch")

    def run(lib):
        b = lib.tensor(VALUES[:6], requires_grad=True)
        c = b * 1
        same = c.as_strided_((2, 2), (1, 2), 1)
        (c * c).sum().backward()
        return same is c, c, c.stride(), c.grad_fn.name(), b.grad

    ours, theirs = run(ad), run(torch)
    assert ours[0] and theirs[0]
    _same(ours[1], theirs[1])
    assert ours[2:4] == theirs[2:4] == ((1, 2), "AsStridedBackward1")
    np.testing.assert_allclose(ours[4].detach().numpy(), theirs[4].detach().numpy())


SCATTERS = {
    "contiguous": (lambda lib, x: x.reshape(3, 4) * 1, (2, 2), (1, 2), 1),
    "transposed input": (lambda lib, x: (x.reshape(4, 3) * 1).t(), (2, 2), (1, 2), 1),
    "default offset": (lambda lib, x: x.reshape(3, 4)[1:] * 1, (4,), (2,), None),
    "sliced input": (lambda lib, x: x.reshape(3, 4)[:, ::2] * 1, (3,), (2,), 0),
}


@pytest.mark.parametrize("name", SCATTERS)
def test_as_strided_scatter_matches_torch(name):
    """Values and layout as torch's; src's gradient as torch's where torch has one (it
    refuses a non-contiguous input that requires grad). input's gradient is grad with the
    window zeroed, checked by finite differences: torch 2.13's AsStridedScatterBackward0
    returns the opposite (grad kept inside the window only) and fails its own gradcheck."""
    torch = pytest.importorskip("torch")
    make, size, stride, offset = SCATTERS[name]
    src_values = np.arange(float(np.prod(size))).reshape(size) - 2.5
    with torch.no_grad():
        theirs = torch.as_strided_scatter(
            make(torch, torch.tensor(VALUES[:12])), torch.tensor(src_values), size, stride, offset
        )
    x = ad.tensor(VALUES[:12], requires_grad=True)
    src = ad.tensor(src_values, requires_grad=True)
    ours = ad.as_strided_scatter(make(ad, x), src, size, stride, offset)
    _same(ours, theirs)
    assert ours.stride() == theirs.stride()
    assert ours.grad_fn.name() == "AsStridedScatterBackward0"
    weight = np.arange(ours.numel(), dtype=np.float64).reshape(ours.shape) + 1
    (ours * ad.tensor(weight)).sum().backward()
    fn = lambda x, s: make(ad, x).as_strided_scatter(s, size, stride, offset)  # noqa: E731
    assert ad.gradcheck(fn, (ad.tensor(VALUES[:12], requires_grad=True), src))
    if name == "contiguous":
        tx = torch.tensor(VALUES[:12], requires_grad=True)
        tsrc = torch.tensor(src_values, requires_grad=True)
        out = torch.as_strided_scatter(make(torch, tx), tsrc, size, stride, offset)
        (out * torch.tensor(weight)).sum().backward()
        np.testing.assert_allclose(src.grad.detach().numpy(), tsrc.grad.detach().numpy())
        kept = np.where(tx.grad.detach().numpy() == 0, weight.reshape(-1), 0.0)  # torch's, flipped
        np.testing.assert_allclose(x.grad.detach().numpy(), kept)


def test_as_strided_scatter_casts_src_to_inputs_dtype():
    torch = pytest.importorskip("torch")
    ours = ad.as_strided_scatter(ad.zeros(3, 4), ad.ones(2, 2, dtype=ad.int64), (2, 2), (1, 2))
    theirs = torch.as_strided_scatter(
        torch.zeros(3, 4), torch.ones(2, 2, dtype=torch.int64), (2, 2), (1, 2)
    )
    _same(ours, theirs)


def _error(lib, call):
    try:
        call(lib)
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return type(e)
    return None


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.arange(10.0).as_strided((3, 3), (-1, 1)),
        lambda lib: lib.arange(10.0).as_strided((3, 3), (1, 1), 20),
        lambda lib: lib.arange(10.0).as_strided((3, 3), (1, 1), -1),
        lambda lib: lib.arange(10.0).as_strided((3,), (1, 2)),
        lambda lib: lib.arange(10.0).as_strided((2, 2.0), (1, 1)),
        lambda lib: lib.arange(10.0).as_strided((2, 2), (1, 1), 1.0),
        lambda lib: lib.arange(10.0).as_strided(4, 1),
        lambda lib: lib.arange(10.0)[5:].as_strided((3,), (3,)),
        lambda lib: lib.as_strided_scatter(lib.zeros(3, 4), lib.ones(2), (2, 2), (1, 2)),
        lambda lib: lib.as_strided_scatter(lib.zeros(3, 4), lib.ones(2, 2), (2, 2), (1, 11)),
    ],
)
def test_refusals_raise_torchs_exception_types(call):
    torch = pytest.importorskip("torch")
    theirs = _error(torch, call)
    assert theirs is not None
    assert _error(ad, call) is theirs


def test_messages_say_what_was_given():
    with pytest.raises(RuntimeError, match=r"out of bounds for storage of size 40"):
        ad.arange(10.0).as_strided((3, 3), (1, 1), 20)
    with pytest.raises(RuntimeError, match=r"Negative strides .* \[-1, 1\]"):
        ad.arange(10.0).as_strided((3, 3), (-1, 1))
    with pytest.raises(RuntimeError, match="src size = \\[2\\], slice size = \\[2, 2\\]"):
        ad.as_strided_scatter(ad.zeros(3, 4), ad.ones(2), (2, 2), (1, 2))
    # torch writes one of the values where windows overlap; here that is refused
    with pytest.raises(RuntimeError, match="as_strided_scatter: .* share a memory location"):
        ad.as_strided_scatter(ad.zeros(3, 4), ad.ones(2, 2), (2, 2), (1, 1))


def test_a_view_of_a_storage_not_in_c_order_reads_as_torch_and_refuses_writes():
    """A base whose memory is in Fortran order: the view reads torch's elements, but a write
    through it is refused (CopySlices would lay the gradient out in C order)."""
    torch = pytest.importorskip("torch")
    values = np.asfortranarray(VALUES[:12].reshape(3, 4))
    ours = ad.from_numpy(values.copy(order="F")).as_strided((2, 3), (1, 3), 1)
    theirs = torch.from_numpy(values.copy(order="F")).as_strided((2, 3), (1, 3), 1)
    _same(ours, theirs)
    with pytest.raises(RuntimeError, match="single memory location"):
        ours.mul_(2.0)


def test_compile_refuses_as_strided_inside_the_function():
    """The view's options come from its input's place in its storage, which a replay would
    not read again: ad.compile says so instead of replaying another input's offset."""
    storage = ad.arange(12.0, requires_grad=True)

    @ad.compile
    def step(x):
        y = x.as_strided((2, 2), (1, 1)).sum()
        y.backward()
        return y

    from autodiff.compile import CompileError

    with pytest.raises(CompileError, match="as_strided"):
        step(storage[1:])


def test_torch_as_strided_underscore_is_the_in_place_method():
    torch = pytest.importorskip("torch")
    x, t = ad.arange(6.0), torch.arange(6.0)
    assert ad.as_strided_(x, (2, 2), (1, 2), 1) is x
    assert torch.as_strided_(t, (2, 2), (1, 2), 1) is t
    np.testing.assert_array_equal(x.detach().numpy(), t.detach().numpy())
    assert x.stride() == tuple(t.stride())
