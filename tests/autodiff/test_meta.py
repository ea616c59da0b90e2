"""The 'meta' device: tensors with shape, dtype, strides and requires_grad but no data, as
torch's; every check below runs the same calls on torch."""

import copy

import numpy as np
import pytest

import autodiff as ad
import nn


def _outcome(fn):
    """What a call gives: its repr, or (exception type name, message)."""
    try:
        return repr(fn())
    except Exception as e:  # noqa: BLE001 (the exception is the outcome compared)
        return type(e).__name__, str(e)


def _both(torch, make):
    """make(lib) with lib = autodiff, then torch: the two outcomes."""
    return _outcome(lambda: make(ad)), _outcome(lambda: make(torch))


CREATIONS = {
    "empty": lambda lib: lib.empty(3, 2, device="meta"),
    "zeros_int": lambda lib: lib.zeros(2, dtype=lib.int64, device="meta"),
    "ones_double": lambda lib: lib.ones(2, 1, dtype=lib.float64, device="meta"),
    "randn_grad": lambda lib: lib.randn(2, 3, device="meta", requires_grad=True),
    "scalar": lambda lib: lib.tensor(3.0, device="meta"),
    "to_meta": lambda lib: lib.ones(2, 2).to("meta"),
    "to_meta_device": lambda lib: lib.ones(4).to(lib.device("meta")),
    "empty_0": lambda lib: lib.empty(0, device="meta"),
    "bool": lambda lib: lib.zeros(2, dtype=lib.bool, device="meta"),
}


@pytest.mark.parametrize("name", CREATIONS)
def test_creation_and_repr_match_torch(name):
    torch = pytest.importorskip("torch")
    ours, theirs = _both(torch, CREATIONS[name])
    assert ours == theirs


def _meta(lib):
    return lib.empty(3, 2, device="meta")


FACTS = {
    "device": lambda lib: _meta(lib).device,
    "is_meta": lambda lib: _meta(lib).is_meta,
    "is_meta_cpu": lambda lib: lib.ones(1).is_meta,
    "stride": lambda lib: _meta(lib).stride(),
    "shape": lambda lib: tuple(_meta(lib).shape),
    "numel": lambda lib: _meta(lib).numel(),
    "dtype": lambda lib: str(_meta(lib).dtype),
    "contiguous": lambda lib: _meta(lib).is_contiguous(),
    "str": lambda lib: str(_meta(lib)),
    "item": lambda lib: _meta(lib).sum().item(),
    "tolist": lambda lib: _meta(lib).tolist(),
    "numpy": lambda lib: _meta(lib).numpy(),
    "asarray": lambda lib: np.asarray(_meta(lib)),
    "float": lambda lib: float(_meta(lib).sum()),
    "bool_": lambda lib: bool(_meta(lib).sum()),
    "index": lambda lib: [1, 2][lib.zeros((), dtype=lib.int64, device="meta")],
    "cpu": lambda lib: _meta(lib).cpu(),
    "to_cpu": lambda lib: _meta(lib).to("cpu"),
    "get_device": lambda lib: _meta(lib).get_device(),
}


@pytest.mark.parametrize("name", FACTS)
def test_facts_and_refused_reads_match_torch(name):
    torch = pytest.importorskip("torch")
    ours, theirs = _both(torch, FACTS[name])
    if isinstance(theirs, tuple):  # the same exception type; torch's words where we say them
        assert ours[0] == theirs[0], (ours, theirs)
        assert theirs[1] in ours[1] or name in ("index",), (ours, theirs)
    else:
        assert ours == theirs


OPS = {
    "mul": lambda lib: _meta(lib) * 2,
    "add_meta": lambda lib: _meta(lib) + _meta(lib),
    "matmul": lambda lib: _meta(lib) @ lib.empty(2, 5, device="meta"),
    "sum": lambda lib: _meta(lib).sum(0),
    "t": lambda lib: _meta(lib).t(),
    "index": lambda lib: _meta(lib)[1:],
    "reshape": lambda lib: _meta(lib).reshape(6),
    "to_double": lambda lib: _meta(lib).double(),
    "argmax": lambda lib: _meta(lib).argmax(1),
    "compare": lambda lib: _meta(lib) > 0,
    "scalar_tensor": lambda lib: _meta(lib) * lib.tensor(2.0),  # a 0-d CPU tensor is allowed
    "relu": lambda lib: lib.nn.functional.relu(_meta(lib)),
    "linear": lambda lib: lib.nn.Linear(2, 4, device="meta")(_meta(lib)),
    "grad": lambda lib: lib.randn(3, device="meta", requires_grad=True).exp(),
    "no_grad": lambda lib: _no_grad_exp(lib),
    "inplace": lambda lib: _meta(lib).mul_(3).add_(1),
    "detach": lambda lib: lib.randn(3, device="meta", requires_grad=True).detach(),
}


def _no_grad_exp(lib):
    with lib.no_grad():
        return lib.randn(3, device="meta", requires_grad=True).exp()


@pytest.mark.parametrize("name", OPS)
def test_ops_give_meta_results_of_torchs_shape_and_dtype(name, monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(ad, "nn", nn, raising=False)
    ours, theirs = _both(torch, OPS[name])
    assert "device='meta'" in ours
    theirs = theirs.replace(", grad_fn=<ExpBackward0>", ", requires_grad=True")  # see below
    theirs = theirs.replace(", grad_fn=<AddmmBackward0>", ", requires_grad=True")
    assert ours == theirs
    # the difference: a meta op's result here is a leaf that requires grad (no node)


def test_mixing_meta_with_a_cpu_tensor_raises_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _both(torch, lambda lib: _meta(lib) + lib.ones(3, 2))
    assert ours[0] == theirs[0] == "RuntimeError"
    assert theirs[1] in ours[1]


def test_a_meta_result_never_holds_values():
    t = ad.randn(4, 4, device="meta")
    out = (t @ t).exp().sum()
    assert out.is_meta and type(out._data).__name__ == "MetaArray"
    assert out._data.strides == () and t._data.strides == (0, 0)  # nothing allocated
    with pytest.raises(NotImplementedError, match="meta"):
        np.exp(t._data)  # NumPy itself refuses the array
    with pytest.raises(NotImplementedError, match="backward through a meta tensor"):
        ad.randn(2, device="meta", requires_grad=True).sum().backward()


def test_layers_made_on_meta_and_module_to_and_to_empty_match_torch():
    torch = pytest.importorskip("torch")
    for lib, mod in ((ad, nn), (torch, torch.nn)):
        layer = mod.Linear(3, 2, device="meta")
        positional = mod.Linear(3, 2, True, "meta")
        assert positional.weight.is_meta
        model = mod.Sequential(mod.Linear(3, 4), mod.BatchNorm1d(4))
        weight = model[0].weight
        assert model.to("meta") is model and model[0].weight is not weight  # a new Parameter
        found = [
            repr(layer.weight),
            repr(model[1].running_mean),
            repr(model[1].num_batches_tracked),
        ]
        found.append(_outcome(lambda model=model: model.to("cpu")))
        model[0].weight.grad = lib.ones(4, 3).to("meta")
        assert model.to_empty(device="cpu") is model
        found += [type(model[0].weight).__name__, model[0].weight.requires_grad]
        found += [tuple(model[0].weight.grad.shape), str(model[0].weight.grad.device)]
        found += [
            str(model[0].weight.device),
            tuple(model[0].weight.shape),
            model[0].weight.is_meta,
        ]
        if lib is ad:
            ours = found
        else:
            theirs = found
    assert ours == theirs


def test_deepcopy_to_meta_then_functional_call_under_vmap_matches_torch():
    """torch.func's model-ensembling tutorial: the base model on meta holds no data, the
    stacked parameters do."""
    torch = pytest.importorskip("torch")
    results = []
    for lib, mod in ((ad, nn), (torch, torch.nn)):
        lib.manual_seed(0)
        models = [mod.Sequential(mod.Linear(4, 3), mod.Tanh()) for _ in range(3)]
        x = lib.randn(5, 4)
        func = nn.func if lib is ad else torch.func
        params, buffers = func.stack_module_state(models)
        base = copy.deepcopy(models[0]).to("meta")

        def call(p, b, x, base=base, func=func):
            return func.functional_call(base, (p, b), (x,))

        out = lib.vmap(call, in_dims=(0, 0, None))(params, buffers, x)
        results.append(out.detach().numpy())
        assert base[0].weight.is_meta and not models[0][0].weight.is_meta
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6, atol=1e-6)


def test_an_in_place_op_on_meta_checks_the_shape_as_torch():
    torch = pytest.importorskip("torch")
    for lib in (ad, torch):
        t = lib.empty(3, 2, device="meta")
        assert t.add_(lib.empty(2, device="meta")) is t and t.is_meta
        with pytest.raises(RuntimeError):
            t.add_(lib.empty(4, device="meta"))
        with pytest.raises(RuntimeError):
            t.mul_(lib.empty(2, 3, device="meta"))
