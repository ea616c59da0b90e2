"""The torch surface tutorials reach for: dtypes, devices, creation, results, save/load,
autograd.functional (the op table covers each op's values and gradients)."""

import io
import pickle

import numpy as np
import pytest

import autodiff as ad
import nn


def _torch():
    return pytest.importorskip("torch")


def test_dtype_aliases_and_promotion_as_torch():
    assert ad.float is ad.float32 and ad.double is ad.float64 and ad.long is ad.int64
    assert ad.int is ad.int32 and ad.half is ad.float16 and ad.bool == np.bool_
    x = ad.ones(2)
    assert x.pow(ad.tensor([2, 3])).dtype == ad.float32  # an int exponent keeps float32
    assert (x ** ad.tensor([2, 3])).dtype == ad.float32
    assert x.type() == "torch.FloatTensor" and x.long().type() == "torch.LongTensor"
    assert (
        x.type(ad.float64).dtype == ad.float64 and x.type("torch.DoubleTensor").dtype == ad.float64
    )
    assert ad.zeros(2, dtype="float64").dtype == ad.float64
    assert x.half().dtype == ad.float16 and x.int().dtype == ad.int32 and x.bool().dtype == ad.bool


def test_devices_are_cpu_and_others_are_refused_clearly():
    assert ad.device("cpu") == "cpu" and repr(ad.device("cpu")) == "device(type='cpu')"
    x = ad.ones(2, device="cpu")
    assert x.device == ad.device("cpu") and x.to("cpu") is x and x.cpu() is x
    assert x.to(ad.device("cpu"), ad.float64).dtype == ad.float64
    assert x.to(ad.ones(1, dtype=ad.float64)).dtype == ad.float64
    assert not ad.cuda.is_available() and ad.cuda.device_count() == 0
    assert not ad.backends.mps.is_available()
    for call in (lambda: ad.zeros(2, device="cuda"), lambda: x.to("cuda:0"), lambda: x.cuda()):
        with pytest.raises(RuntimeError, match="not available.*CPU"):
            call()
    with pytest.raises(RuntimeError, match="not available"):
        ad.set_default_device("cuda")
    ad.set_default_device("cpu")
    model = nn.Linear(2, 2)
    weight = model.weight
    assert model.to("cpu").double() is model and model.weight is weight
    assert weight.dtype == ad.float64
    with pytest.raises(RuntimeError, match="not available"):
        model.to("cuda")


def test_creation_functions_match_torch():
    torch = _torch()
    np.testing.assert_allclose(
        ad.linspace(-1, 2, 7).detach().numpy(), torch.linspace(-1, 2, 7).detach().numpy()
    )
    np.testing.assert_allclose(
        ad.logspace(0, 2, 5).detach().numpy(), torch.logspace(0, 2, 5).detach().numpy(), rtol=1e-6
    )
    assert ad.arange(5).dtype == ad.int64 and ad.arange(0.0, 1.0, 0.25).dtype == ad.float32
    assert ad.full((2, 3), 7).dtype == ad.int64 and ad.full((2,), 1.5).dtype == ad.float32
    assert ad.empty(2, 3).shape == (2, 3) and ad.full_like(
        ad.ones(2), 3.0
    ).detach().numpy().tolist() == [
        3,
        3,
    ]


def test_random_draws_follow_manual_seed_and_generators():
    ad.manual_seed(3)
    first = (ad.randint(0, 10, (5,)), ad.randperm(6), ad.normal(0.0, 2.0, (4,)), ad.rand(3))
    ad.manual_seed(3)
    second = (ad.randint(0, 10, (5,)), ad.randperm(6), ad.normal(0.0, 2.0, (4,)), ad.rand(3))
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert first[0].dtype == ad.int64 and sorted(first[1].tolist()) == list(range(6))
    assert ad.randint(5, (2, 2)).shape == (2, 2)  # randint(high, size)
    g1, g2 = ad.Generator().manual_seed(1), ad.Generator().manual_seed(1)
    np.testing.assert_array_equal(
        ad.rand(4, generator=g1).detach().numpy(), ad.rand(4, generator=g2).detach().numpy()
    )
    with pytest.raises(ValueError, match="high"):
        ad.randint(3, 3, (2,))


def test_as_tensor_shares_memory_like_torch():
    a = np.arange(3.0)
    t = ad.as_tensor(a)
    a[0] = 9.0
    assert t.detach().numpy()[0] == 9.0
    assert ad.as_tensor(t) is t
    assert ad.as_tensor([1, 2]).dtype == ad.int64


def test_named_results_format_and_axis_alias():
    x = ad.tensor([[1.0, 5.0], [4.0, 2.0]])
    result = x.max(dim=1)
    assert result.values.tolist() == [5.0, 4.0] and result.indices.tolist() == [1, 0]
    values, indices = x.min(1)
    assert values.tolist() == [1.0, 2.0] and indices.tolist() == [0, 1]
    assert x.mean(axis=0).tolist() == [2.5, 3.5] and x.sum(axis=1).tolist() == [6.0, 6.0]
    assert x.sort(dim=1, descending=True).values.tolist() == [[5.0, 1.0], [4.0, 2.0]]
    assert x.topk(1, dim=0).indices.tolist() == [[1, 0]]
    assert f"{x.sum():.3f}" == "12.000" and x.size(1) == 2 and x.numel() == 4 and x.dim() == 2
    assert ad.allclose(x, x + 1e-9) and not ad.allclose(x, x + 1) and ad.equal(x, x * 1)


def test_save_and_load_round_trip_nested_state_without_pickle(tmp_path):
    model = nn.Linear(3, 2)
    opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(ad.ones(4, 3)).sum().backward()
    opt.step()
    obj = {"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 3, "tag": (None, 1.5)}
    path = tmp_path / "ckpt.pt"
    ad.save(obj, path)
    back = ad.load(path, map_location="cpu")
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(back["model"][k].detach().numpy(), v.detach().numpy())
    assert back["epoch"] == 3 and back["tag"] == (None, 1.5)
    assert back["optim"]["param_groups"][0]["lr"] == 0.1
    buffer = io.BytesIO()
    ad.save(ad.tensor([1.0, 2.0], requires_grad=True), buffer)
    buffer.seek(0)
    loaded = ad.load(buffer)
    assert loaded.requires_grad and loaded.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("dtype", [ad.float32, ad.float64, ad.int64, ad.bool])
def test_save_and_load_keep_a_0d_tensor_0d(tmp_path, dtype):
    value = ad.tensor(1, dtype=dtype)
    ad.save({"t": value, "a": np.asarray(value)}, tmp_path / "x.pt")
    back = ad.load(tmp_path / "x.pt")
    assert back["t"].shape == back["a"].shape == () and back["t"].dtype == dtype
    assert back["t"].item() == value.item()


def test_a_loaded_adam_state_continues_the_step_count(tmp_path):
    model = nn.Linear(1, 1)
    opt = nn.optim.Adam(model.parameters())
    for _ in range(2):
        model(ad.ones(2, 1)).sum().backward()
        opt.step()
    ad.save(opt.state_dict(), tmp_path / "opt.pt")
    resumed = nn.optim.Adam(model.parameters())
    resumed.load_state_dict(ad.load(tmp_path / "opt.pt"))
    resumed.step()
    assert resumed.state[model.weight]["step"].shape == ()
    assert resumed.state[model.weight]["step"].item() == 3.0


def test_save_refuses_what_it_cannot_store_and_load_refuses_pickles(tmp_path):
    with pytest.raises(TypeError, match=r"is a SGD, .*Save model.state_dict\(\) instead"):
        ad.save(nn.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1), tmp_path / "opt.pt")
    assert not list(tmp_path.iterdir())  # nothing written
    marker = tmp_path / "ran"
    evil = tmp_path / "evil.pt"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    evil.write_bytes(pickle.dumps(Payload()))
    with pytest.raises(ValueError, match="not a file written by ad.save"):
        ad.load(evil)
    assert not marker.exists()


def test_autograd_functional_matches_torch():
    torch = _torch()
    x0 = np.array([0.3, -0.7, 1.1])
    v0 = np.array([1.0, 0.5, -2.0])

    def f(x):
        return (x.tanh() * x.sin()).sum() + (x**3).sum()

    def g(x):
        return x.tanh() * 2 + x.exp()

    ours_x, torch_x = ad.tensor(x0), torch.tensor(x0)
    ours_v, torch_v = ad.tensor(v0), torch.tensor(v0)
    F, TF = ad.autograd.functional, torch.autograd.functional
    np.testing.assert_allclose(
        F.jacobian(g, ours_x).detach().numpy(), TF.jacobian(g, torch_x).detach().numpy()
    )
    np.testing.assert_allclose(
        F.hessian(f, ours_x).detach().numpy(), TF.hessian(f, torch_x).detach().numpy()
    )
    for ours, theirs in ((F.vjp, TF.vjp), (F.jvp, TF.jvp)):
        a, b = ours(g, ours_x, ours_v), theirs(g, torch_x, torch_v)
        np.testing.assert_allclose(a[1].detach().numpy(), b[1].detach().numpy())
    for ours, theirs in ((F.hvp, TF.hvp), (F.vhp, TF.vhp)):
        a, b = ours(f, ours_x, ours_v), theirs(f, torch_x, torch_v)
        np.testing.assert_allclose(a[0].detach().numpy(), b[0].detach().numpy())
        np.testing.assert_allclose(a[1].detach().numpy(), b[1].detach().numpy())


def test_autograd_names_inference_mode_and_variable():
    assert ad.autograd.grad is ad.grad and ad.autograd.Function is ad.Function
    x = ad.autograd.Variable(ad.tensor([2.0]), requires_grad=True)
    (g,) = ad.autograd.grad((x * x).sum(), x)
    assert g.tolist() == [4.0]
    with ad.inference_mode():
        assert not ad.is_grad_enabled()
    assert ad.is_grad_enabled()

    @ad.inference_mode()
    def predict(t):
        return t * 2

    assert not predict(x).requires_grad


def test_backward_takes_a_list_gradient_and_checks_its_shape():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).backward(gradient=[1.0, 0.5])
    assert x.grad.tolist() == [3.0, 1.5]
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\) but the output has shape"):
        (x * 3).backward(gradient=[1.0, 2.0, 3.0])


def test_backward_of_several_tensors_needs_one_gradient_each():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="got 1 tensors and 2 gradients"):
        ad.backward([(x * 2).sum()], [ad.tensor(1.0), ad.tensor(1.0)])


# --- issue 22: the tensor surface learners' programs reach for ---------------------------
def test_new_tensors_take_this_tensors_dtype_as_torch():
    torch = _torch()
    for ours, theirs in ((ad.ones(2, dtype=ad.float64), torch.ones(2, dtype=torch.float64)),
                         (ad.arange(3), torch.arange(3))):  # fmt: skip
        for name, args in [("new_zeros", ((2, 3),)), ("new_ones", (2, 3)), ("new_empty", ([2],)),
                           ("new_full", ((2,), 7)), ("new_tensor", ([1, 2.5],))]:  # fmt: skip
            a, t = getattr(ours, name)(*args), getattr(theirs, name)(*args)
            assert str(a.dtype) == str(t.dtype) and tuple(a.shape) == tuple(t.shape)
            if name != "new_empty":
                np.testing.assert_array_equal(a.detach().numpy(), t.detach().numpy())
    x = ad.ones(2).new_zeros(3, dtype=ad.int32, requires_grad=False)
    assert x.dtype == ad.int32 and not x.requires_grad
    assert ad.ones(2).new_ones(2, requires_grad=True).requires_grad
    with pytest.raises(ValueError, match="new_zeros: sizes must be non-negative"):
        ad.ones(2).new_zeros(-1)


def test_a_tensors_facts_and_values_read_out_as_torchs():
    torch = _torch()
    values = [[1.5, -2.0, 0.25], [3.0, 0.0, -1.0]]
    for dtype in ("float32", "float64", "int64", "bool"):
        x, t = ad.tensor(values, dtype=dtype), torch.tensor(values, dtype=getattr(torch, dtype))
        assert (x.dim(), x.ndim, x.numel(), x.nelement()) == (t.dim(), t.ndim, t.numel(), 6)
        assert x.element_size() == t.element_size() and x.type() == t.type()
        assert x.is_floating_point() == t.is_floating_point() and x.is_cuda is t.is_cuda is False
        accelerators = ("is_mps", "is_xpu", "is_ipu", "is_maia", "is_mtia", "is_vulkan", "is_xla")
        flags = {n for n in dir(t) if n.startswith("is_") and type(getattr(t, n)) is bool}
        assert flags >= {*accelerators, "is_sparse_csr"}  # every bool flag torch has, these too
        assert {n: getattr(x, n) for n in flags} == {n: getattr(t, n) for n in flags}
        assert tuple(x.shape) == tuple(t.shape) and x.size(1) == t.size(1) == 3
        assert str(x.dtype) == str(t.dtype) and str(x.device) == str(t.device)
        assert str(x.layout) == str(t.layout) == "torch.strided" and x.layout is ad.strided
        assert x.tolist() == t.tolist() and x[1, 0].item() == t[1, 0].item()
        np.testing.assert_array_equal(x.detach().numpy(), t.detach().numpy())


def test_contiguity_as_torch():
    torch = _torch()
    x, t = ad.arange(6.0).reshape(2, 3), torch.arange(6.0).reshape(2, 3)
    assert x.is_contiguous() and x.contiguous() is x
    assert x.t().is_contiguous() == t.t().is_contiguous() is False
    assert x[:, :1].is_contiguous() == t[:, :1].is_contiguous()
    leaf = ad.arange(6.0).reshape(2, 3).requires_grad_()
    y = leaf.t().contiguous()
    assert y.is_contiguous() and y.grad_fn.name() == "CloneBackward0"
    np.testing.assert_array_equal(
        y.view(-1).detach().numpy(), t.t().contiguous().view(-1).detach().numpy()
    )
    assert x.nelement() == 6 and ad.numel(x) == 6 and ad.is_tensor(x) and not ad.is_tensor(1)


def test_nonzero_argwhere_where_and_masked_select_as_torch():
    torch = _torch()
    data = np.array([[0, 3, 0], [1, 0, 2]])
    a, t = ad.tensor(data), torch.from_numpy(data)
    np.testing.assert_array_equal(a.nonzero().detach().numpy(), t.nonzero().detach().numpy())
    np.testing.assert_array_equal(
        ad.argwhere(a).detach().numpy(), torch.argwhere(t).detach().numpy()
    )
    for ours, theirs in zip(a.nonzero(as_tuple=True), t.nonzero(as_tuple=True)):
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    for ours, theirs in zip(ad.where(a > 1), torch.where(t > 1)):
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    assert repr(ad.nonzero(ad.tensor(5))) == repr(torch.nonzero(torch.tensor(5)))
    assert repr(ad.where(ad.tensor(3))) == repr(torch.where(torch.tensor(3)))
    np.testing.assert_array_equal(
        ad.masked_select(a, a > 0).detach().numpy(), torch.masked_select(t, t > 0).detach().numpy()
    )
    with pytest.raises(TypeError, match="masked_select: mask must be a bool"):
        a.masked_select(a)
    with pytest.raises(TypeError, match="where: give both"):
        ad.where(a > 1, a)


def test_zero_d_integer_tensors_are_indices():
    torch = _torch()
    data = np.arange(10)
    i, j = ad.tensor(2), torch.tensor(2)
    np.testing.assert_array_equal(data[i : i + 3], data[j : j + 3])
    assert [0, 1, 2, 3][ad.tensor([3])] == 3 and list(range(ad.tensor(2))) == [0, 1]
    blocks = ad.stack([ad.arange(10)[k : k + 3] for k in ad.tensor([1, 4])])
    assert blocks.tolist() == [[1, 2, 3], [4, 5, 6]]
    for bad in (ad.tensor(2.0), ad.tensor([1, 2])):
        with pytest.raises(TypeError, match="only integer tensors of a single element"):
            [0, 1, 2][bad]


def test_clip_diag_trace_kron_cross_histc_as_torch():
    torch = _torch()
    x = np.arange(-3.0, 3.0).reshape(2, 3)
    a, t = ad.tensor(x), torch.from_numpy(x)
    pairs = [
        (a.clip(-1, 1), t.clip(-1, 1)),
        (ad.clip(a, max=0.5), torch.clip(t, max=0.5)),
        (a.diag(), t.diag()),
        (ad.diag(ad.tensor([1.0, 2.0]), -1), torch.diag(torch.tensor([1.0, 2.0]), -1)),
        (a.diagonal(1), t.diagonal(1)),
        (a.trace(), t.trace()),
        (ad.kron(a, ad.eye(2, dtype=ad.float64)), torch.kron(t, torch.eye(2, dtype=t.dtype))),
        (ad.cross(a, a.flip(1), dim=1), torch.cross(t, t.flip(1), dim=1)),
        (a.histc(3, -1, 1), t.histc(3, -1, 1)),
        (ad.outer(a[0], a[1]), torch.outer(t[0], t[1])),
    ]
    for ours, theirs in pairs:
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy())
    b = a.clone()
    b.clip_(-1, 1)
    np.testing.assert_array_equal(b.detach().numpy(), t.clip(-1, 1).detach().numpy())
    with pytest.raises(ValueError, match="cross: no dim of size 3"):
        ad.cross(ad.ones(2, 2), ad.ones(2, 2))


def test_histc_counts_as_torch():
    torch = _torch()
    rng = np.random.default_rng(1)
    for _ in range(100):
        x = (rng.standard_normal(rng.integers(1, 50)) * rng.choice([1, 10, 1e-3])).astype(
            np.float32
        )
        bins = int(rng.integers(1, 20))
        low, high = (0, 0) if rng.random() < 0.3 else sorted(rng.standard_normal(2))
        ours = ad.histc(ad.tensor(x), bins, low, high).detach().numpy()
        np.testing.assert_array_equal(
            ours, torch.histc(torch.tensor(x), bins, low, high).detach().numpy()
        )
    for data in ([2.0, 2.0], [1.0, 1.0, 3.0]):
        np.testing.assert_array_equal(ad.histc(ad.tensor(data), 4).detach().numpy(),
                                      torch.histc(torch.tensor(data), 4).detach().numpy())  # fmt: skip


def test_linspace_is_torchs_bit_for_bit():
    torch = _torch()
    rng = np.random.default_rng(3)
    for _ in range(300):
        start, end = rng.standard_normal(2) * rng.choice([1, 10, 1e-3, 1e5])
        steps = int(rng.integers(0, 300))
        for ours, theirs in ((ad.float32, torch.float32), (ad.float64, torch.float64)):
            np.testing.assert_array_equal(
                ad.linspace(start, end, steps, dtype=ours).detach().numpy(),
                torch.linspace(start, end, steps, dtype=theirs).detach().numpy(),
            )
    assert ad.linspace(3.0, 5.0, 1).tolist() == [3.0]
    assert ad.linspace(0, 10, 6, dtype=ad.int64).tolist() == [0, 2, 4, 6, 8, 10]


def test_histogram_as_torch():
    torch = _torch()
    rng = np.random.default_rng(2)
    for _ in range(100):
        dtype = rng.choice([np.float32, np.float64])
        x = (rng.standard_normal(rng.integers(1, 300)) * rng.choice([1, 10, 1e-3])).astype(dtype)
        bins, density = int(rng.integers(1, 40)), bool(rng.random() < 0.5)
        given = None if rng.random() < 0.5 else tuple(sorted(rng.standard_normal(2)))
        w = rng.random(x.shape).astype(dtype) if rng.random() < 0.3 else None
        ours = ad.histogram(
            ad.tensor(x), bins, range=given, weight=None if w is None else ad.tensor(w),
            density=density,
        )  # fmt: skip
        theirs = torch.histogram(
            torch.tensor(x), bins, range=given, weight=None if w is None else torch.tensor(w),
            density=density,
        )  # fmt: skip
        np.testing.assert_array_equal(
            ours.bin_edges.detach().numpy(), theirs.bin_edges.detach().numpy()
        )
        if w is None:  # counts are exact; weighted sums differ in the order of addition
            np.testing.assert_array_equal(ours.hist.detach().numpy(), theirs.hist.detach().numpy())
        else:
            np.testing.assert_allclose(
                ours.hist.detach().numpy(), theirs.hist.detach().numpy(), rtol=1e-5
            )
        assert ours.hist.dtype == ours.bin_edges.dtype == x.dtype
    edges = ad.tensor([-1.0, 0.0, 0.5, 2.0])
    x = ad.tensor([-1.0, -0.5, 0.0, 0.5, 2.0, 3.0, float("nan")])  # edges, outside, NaN
    ours = x.histogram(edges)
    theirs = torch.histogram(torch.tensor(x.detach().numpy()), torch.tensor(edges.detach().numpy()))
    np.testing.assert_array_equal(
        ours.hist.detach().numpy(), theirs.hist.detach().numpy()
    )  # [2, 1, 2]
    assert ours.bin_edges.tolist() == edges.tolist() and ours.bin_edges is not edges
    for data in ([2.0, 2.0, 2.0], []):  # one value: [v - 0.5, v + 0.5]; empty: [0, 1]
        ours, theirs = ad.histogram(ad.tensor(data), 4), torch.histogram(torch.tensor(data), 4)
        np.testing.assert_array_equal(
            ours.bin_edges.detach().numpy(), theirs.bin_edges.detach().numpy()
        )
        np.testing.assert_array_equal(ours.hist.detach().numpy(), theirs.hist.detach().numpy())
    assert repr(ad.histogram(ad.tensor([1.0, 2.0]), 2)) == repr(
        torch.histogram(torch.tensor([1.0, 2.0]), 2)
    )


def test_histogram_has_no_gradient_and_says_what_is_wrong():
    x = ad.randn(50, requires_grad=True)
    hist, edges = ad.histogram(x.tanh(), density=True)  # the lecture's call, then .detach()
    assert not hist.requires_grad and not edges.requires_grad and hist.shape == (100,)
    with pytest.raises(ValueError, match="histogram: bin edges must be a 1-d tensor"):
        ad.histogram(x, ad.tensor([1.0]))
    with pytest.raises(TypeError, match="histogram: bin edges must have input's dtype"):
        ad.histogram(x, ad.tensor([0.0, 1.0], dtype=ad.float64))
    with pytest.raises(ValueError, match="range= applies to a number of bins"):
        ad.histogram(x, ad.tensor([0.0, 1.0]), range=(0.0, 1.0))
    with pytest.raises(ValueError, match=r"histogram: the range \[.*\] is not finite"):
        ad.histogram(ad.tensor([1.0, float("inf")]))


def test_unbind_and_select_as_torch():
    torch = _torch()
    x = np.arange(24.0).reshape(2, 3, 4)
    a, t = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours, theirs = ad.cat(ad.unbind(a, 1), 1), torch.cat(torch.unbind(t, 1), 1)
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    g = np.random.default_rng(0).standard_normal(ours.shape)
    ours.backward(ad.tensor(g))
    theirs.backward(torch.from_numpy(g))
    np.testing.assert_array_equal(a.grad.detach().numpy(), t.grad.detach().numpy())
    assert a.select(0, -1).shape == (3, 4) and len(a.unbind(2)) == 4


def test_linalg_results_and_errors_as_torch():
    torch = _torch()
    m = np.array([[4.0, 1.0], [1.0, 3.0]])
    a, t = ad.tensor(m), torch.from_numpy(m)
    sign, logabs = ad.linalg.slogdet(a)
    assert sign.item() == 1.0 and np.isclose(logabs.item(), np.log(11.0))
    Q, R = ad.linalg.qr(a)
    np.testing.assert_allclose((Q @ R).detach().numpy(), m)
    U, S, Vh = ad.linalg.svd(a)
    np.testing.assert_allclose(S.detach().numpy(), torch.linalg.svd(t).S.detach().numpy())
    U, S, V = ad.svd(a)
    np.testing.assert_allclose((U * S) @ V.T.detach().numpy(), m)
    for ord in (None, "fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf):
        np.testing.assert_allclose(
            ad.linalg.norm(a, ord).detach().numpy(), torch.linalg.norm(t, ord).detach().numpy()
        )
    for ord in (2, 1, 0, np.inf, -np.inf, 3):
        v = ad.tensor([0.0, -2.0, 1.0])
        expected = torch.linalg.vector_norm(torch.tensor([0.0, -2.0, 1.0]), ord)
        np.testing.assert_allclose(
            ad.linalg.vector_norm(v, ord).detach().numpy(), expected.detach().numpy()
        )
    np.testing.assert_allclose(ad.linalg.matrix_power(a, -2).detach().numpy(),
                               torch.linalg.matrix_power(t, -2).detach().numpy())  # fmt: skip
    np.testing.assert_allclose(
        ad.linalg.multi_dot([a, a, a]).detach().numpy(), (t @ t @ t).detach().numpy()
    )
    b = np.array([1.0, 2.0])
    np.testing.assert_allclose(ad.linalg.solve(a, ad.tensor(b)).detach().numpy(),
                               torch.linalg.solve(t, torch.from_numpy(b)).detach().numpy())  # fmt: skip
    with pytest.raises(TypeError, match="linalg.solve: A and B must have one dtype"):
        ad.linalg.solve(a, ad.ones(2))
    np.testing.assert_allclose(ad.linalg.cholesky(a, upper=True).detach().numpy(),
                               torch.linalg.cholesky(t, upper=True).detach().numpy())  # fmt: skip
    with pytest.raises(RuntimeError, match="linalg.inv: Singular matrix"):
        ad.linalg.inv(ad.zeros(2, 2))
    with pytest.raises(ValueError, match=r"linalg.det: expects square matrices.*\(2, 3\)"):
        ad.linalg.det(ad.zeros(2, 3))
    with pytest.raises(TypeError, match="einsum: operands must have one dtype"):
        ad.einsum("i,i", ad.ones(2), ad.ones(2, dtype=ad.float64))
    with pytest.raises(ValueError, match="einsum: the term 'ij'"):
        ad.einsum("ij->", ad.ones(2))


@pytest.mark.parametrize("m", [[[1.0, 2.0], [2.0, 4.0]], [[1.0, 0.0], [0.0, 0.0]]])
def test_det_of_a_singular_matrix_has_the_cofactor_gradient(m):
    """d det / dA is the cofactor matrix, also where det = 0 (torch 2.13 returns zeros
    there; finite differences agree with the cofactors)."""
    a = ad.tensor(m, dtype=ad.float64, requires_grad=True)
    ad.linalg.det(a).backward()
    numeric = np.zeros((2, 2))
    for index in np.ndindex(2, 2):
        step = np.zeros((2, 2))
        step[index] = 1e-6
        up, down = np.linalg.det(np.array(m) + step), np.linalg.det(np.array(m) - step)
        numeric[index] = (up - down) / 2e-6
    np.testing.assert_allclose(a.grad.detach().numpy(), numeric, atol=1e-8)


def test_svd_gradient_of_full_matrices_is_refused_as_torch():
    a = ad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    U, S, Vh = ad.linalg.svd(a)  # full_matrices=True, as torch
    S.sum().backward()  # the singular values' gradient is defined
    with pytest.raises(RuntimeError, match="full_matrices=False"):
        Vh.sum().backward()


def test_distributions_match_torch():
    torch = _torch()
    D, TD = ad.distributions, torch.distributions
    value = np.array([0.3, -1.2])
    normal, t_normal = (
        D.Normal(ad.tensor([0.5, 0.0]), 2.0),
        TD.Normal(torch.tensor([0.5, 0.0]), 2.0),
    )
    for name in ("log_prob", "cdf"):
        ours = getattr(normal, name)(ad.tensor(value))
        theirs = getattr(t_normal, name)(torch.tensor(value))
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(
        normal.entropy().detach().numpy(), t_normal.entropy().detach().numpy(), rtol=1e-6
    )
    assert repr(D.Normal(0.0, 1.0)) == repr(TD.Normal(0.0, 1.0))
    assert repr(normal) == repr(t_normal)
    probs = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]], np.float32)
    for kwargs in ({"probs": probs}, {"logits": np.log(probs) + 1.0}):
        cat = D.Categorical(**{k: ad.tensor(v) for k, v in kwargs.items()})
        t_cat = TD.Categorical(**{k: torch.tensor(v) for k, v in kwargs.items()})
        idx = np.array([2, 0])
        np.testing.assert_allclose(cat.log_prob(ad.tensor(idx)).detach().numpy(),
                                   t_cat.log_prob(torch.tensor(idx)).detach().numpy(), rtol=1e-6)  # fmt: skip
        np.testing.assert_allclose(
            cat.entropy().detach().numpy(), t_cat.entropy().detach().numpy(), rtol=1e-6
        )
        np.testing.assert_allclose(
            cat.probs.detach().numpy(), t_cat.probs.detach().numpy(), rtol=1e-6
        )
    p = np.array([0.1, 0.7], np.float32)
    for kwargs in ({"probs": p}, {"logits": np.array([-2.0, 3.0], np.float32)}):
        b = D.Bernoulli(**{k: ad.tensor(v) for k, v in kwargs.items()})
        t_b = TD.Bernoulli(**{k: torch.tensor(v) for k, v in kwargs.items()})
        for name in ("mean", "variance", "entropy"):
            ours = getattr(b, name)() if name == "entropy" else getattr(b, name)
            theirs = getattr(t_b, name)() if name == "entropy" else getattr(t_b, name)
            np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-5)
        v = np.array([1.0, 0.0], np.float32)
        np.testing.assert_allclose(b.log_prob(ad.tensor(v)).detach().numpy(),
                                   t_b.log_prob(torch.tensor(v)).detach().numpy(), rtol=1e-5)  # fmt: skip
    logits = [0.0, float("-inf"), 1.0]  # a category that never happens: 0 · -inf is 0 here
    ours = D.Categorical(logits=ad.tensor(logits)).entropy()
    np.testing.assert_allclose(
        ours.detach().numpy(), TD.Categorical(logits=torch.tensor(logits)).entropy()
    )
    with pytest.raises(ValueError, match="scale"):
        D.Normal(0.0, -1.0)
    with pytest.raises(ValueError, match="either `probs` or `logits`"):
        D.Categorical()
    with pytest.raises(ValueError, match="value"):
        D.Categorical(ad.tensor([0.5, 0.5])).log_prob(ad.tensor(3))
    with pytest.raises(NotImplementedError, match="rsample"):
        D.Bernoulli(0.5).rsample()


def test_distribution_samples_have_the_right_shape_law_and_gradient():
    ad.manual_seed(0)
    loc = ad.tensor(1.0, requires_grad=True)
    normal = ad.distributions.Normal(loc, ad.tensor(2.0))
    x = normal.rsample((20000,))
    assert x.shape == (20000,) and abs(x.mean().item() - 1.0) < 0.05
    assert abs(x.std().item() - 2.0) < 0.05 and x.requires_grad
    x.mean().backward()
    assert loc.grad.item() == pytest.approx(1.0)
    assert not normal.sample((3,)).requires_grad
    cat = ad.distributions.Categorical(ad.tensor([0.2, 0.0, 0.8]))
    draws = cat.sample((10000,))
    assert draws.dtype is ad.int64 and draws.shape == (10000,)
    counts = np.bincount(draws.detach().numpy(), minlength=3) / 10000
    np.testing.assert_allclose(counts, [0.2, 0.0, 0.8], atol=0.02)
    batch = ad.distributions.Categorical(logits=ad.zeros(4, 5)).sample((2,))
    assert batch.shape == (2, 4) and int(batch.max()) < 5
    bern = ad.distributions.Bernoulli(ad.tensor([0.0, 1.0, 0.3])).sample((5000,))
    assert bern.shape == (5000, 3) and set(np.unique(bern.detach().numpy())) <= {0.0, 1.0}
    assert bern[:, 0].sum().item() == 0 and bern[:, 1].sum().item() == 5000
    assert abs(bern[:, 2].mean().item() - 0.3) < 0.03


def test_amp_is_what_torch_does_without_a_gpu():
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scaler = ad.cuda.amp.GradScaler()
        with ad.autocast("cuda"):
            pass
    assert len(caught) == 2 and not scaler.is_enabled() and scaler.get_scale() == 1.0
    assert scaler.state_dict() == {} and scaler.scale(ad.ones(1)).item() == 1.0
    with ad.amp.autocast("cpu"):
        assert ad.is_autocast_enabled("cpu")
    with ad.amp.autocast("cpu", enabled=False):
        assert not ad.is_autocast_enabled("cpu")
    w = nn.Parameter(ad.tensor([1.0, -1.0]))
    opt = nn.optim.SGD([w], lr=0.5)
    scaler = ad.amp.GradScaler("cpu", init_scale=4.0, growth_interval=1)
    scaler.scale((w * w).sum()).backward()
    assert w.grad.tolist() == [8.0, -8.0]
    scaler.step(opt)
    scaler.update()
    assert w.tolist() == [0.0, 0.0] and scaler.get_scale() == 8.0  # stepped, then grew
    w.grad = ad.tensor([float("inf"), 0.0])
    scaler.step(opt)
    scaler.update()
    assert w.tolist() == [0.0, 0.0] and scaler.get_scale() == 4.0  # skipped, then shrank


def test_distributed_onnx_and_dataparallel_as_torch_on_one_cpu():
    assert not ad.distributed.is_available() and not ad.distributed.is_initialized()
    with pytest.raises(RuntimeError, match="init_process_group.*one process"):
        ad.distributed.init_process_group("nccl")
    with pytest.raises(ValueError, match="process group has not been initialized"):
        ad.distributed.get_rank()
    with pytest.raises(ValueError, match="process group has not been initialized"):
        nn.parallel.DistributedDataParallel(nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="onnx.export: autodiff cannot export"):
        ad.onnx.export(nn.Linear(2, 2), ad.ones(1, 2), "model.onnx")
    model = nn.DataParallel(nn.Linear(2, 2))
    assert list(model.state_dict()) == ["module.weight", "module.bias"]
    assert model(ad.ones(1, 2)).shape == (1, 2)
    assert ad.backends.cuda.matmul.allow_tf32 is False and not ad.cuda.is_bf16_supported()
    with ad.serialization.safe_globals([nn.Linear]):
        assert nn.Linear in ad.serialization.get_safe_globals()
    assert nn.Linear not in ad.serialization.get_safe_globals()


def test_layouts_print_and_pickle_as_torchs():
    torch = _torch()
    for name in ("strided", "sparse_coo", "sparse_csr", "jagged"):
        ours = getattr(ad, name)
        assert repr(ours) == repr(getattr(torch, name)) and pickle.loads(pickle.dumps(ours)) is ours
    assert ad.zeros(2, 3).t().layout is ad.strided  # a view too: strides, not a new layout
