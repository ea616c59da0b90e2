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
    assert x.type() == "autodiff.FloatTensor" and x.long().type() == "autodiff.LongTensor"
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
    np.testing.assert_allclose(ad.linspace(-1, 2, 7).numpy(), torch.linspace(-1, 2, 7).numpy())
    np.testing.assert_allclose(
        ad.logspace(0, 2, 5).numpy(), torch.logspace(0, 2, 5).numpy(), rtol=1e-6
    )
    assert ad.arange(5).dtype == ad.int64 and ad.arange(0.0, 1.0, 0.25).dtype == ad.float32
    assert ad.full((2, 3), 7).dtype == ad.int64 and ad.full((2,), 1.5).dtype == ad.float32
    assert ad.empty(2, 3).shape == (2, 3) and ad.full_like(ad.ones(2), 3.0).numpy().tolist() == [
        3,
        3,
    ]


def test_random_draws_follow_manual_seed_and_generators():
    ad.manual_seed(3)
    first = (ad.randint(0, 10, (5,)), ad.randperm(6), ad.normal(0.0, 2.0, (4,)), ad.rand(3))
    ad.manual_seed(3)
    second = (ad.randint(0, 10, (5,)), ad.randperm(6), ad.normal(0.0, 2.0, (4,)), ad.rand(3))
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert first[0].dtype == ad.int64 and sorted(first[1].tolist()) == list(range(6))
    assert ad.randint(5, (2, 2)).shape == (2, 2)  # randint(high, size)
    g1, g2 = ad.Generator().manual_seed(1), ad.Generator().manual_seed(1)
    np.testing.assert_array_equal(
        ad.rand(4, generator=g1).numpy(), ad.rand(4, generator=g2).numpy()
    )
    with pytest.raises(ValueError, match="high"):
        ad.randint(3, 3, (2,))


def test_as_tensor_shares_memory_like_torch():
    a = np.arange(3.0)
    t = ad.as_tensor(a)
    a[0] = 9.0
    assert t.numpy()[0] == 9.0
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
        np.testing.assert_array_equal(back["model"][k].numpy(), v.numpy())
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
    with pytest.raises(TypeError, match="state_dict"):
        ad.save(nn.Linear(2, 2), tmp_path / "model.pt")
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
    np.testing.assert_allclose(F.jacobian(g, ours_x).numpy(), TF.jacobian(g, torch_x).numpy())
    np.testing.assert_allclose(F.hessian(f, ours_x).numpy(), TF.hessian(f, torch_x).numpy())
    for ours, theirs in ((F.vjp, TF.vjp), (F.jvp, TF.jvp)):
        a, b = ours(g, ours_x, ours_v), theirs(g, torch_x, torch_v)
        np.testing.assert_allclose(a[1].numpy(), b[1].numpy())
    for ours, theirs in ((F.hvp, TF.hvp), (F.vhp, TF.vhp)):
        a, b = ours(f, ours_x, ours_v), theirs(f, torch_x, torch_v)
        np.testing.assert_allclose(a[0].numpy(), b[0].numpy())
        np.testing.assert_allclose(a[1].numpy(), b[1].numpy())


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
