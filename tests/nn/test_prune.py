"""nn.utils.prune against torch.nn.utils.prune on the same weights: every method's mask (the
random ones under the same seed), iterative pruning through a PruningContainer, global pruning,
the tutorial's custom method, remove(), state dicts both ways, a training step through a
pruned layer, and the refusals with torch's exception types."""

import importlib
import math

import numpy as np
import pytest

import autodiff as ad
import nn
from nn.utils import prune


def _torch_prune():
    torch = pytest.importorskip("torch")
    importlib.import_module("torch.nn.utils.prune")  # a submodule torch does not import itself
    return torch


def _net(space, lib, dtype=np.float32):
    """A conv and a linear layer with the same weights in either library (a numpy draw: no
    ties between magnitudes)."""
    rng = np.random.default_rng(0)
    net = space.Sequential(space.Conv2d(3, 6, 2), space.Flatten(), space.Linear(6 * 4, 5))
    state = {
        k: rng.standard_normal(tuple(v.shape)).astype(dtype) for k, v in net.state_dict().items()
    }
    net.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    return net.double() if dtype == np.float64 else net


def _masks(net) -> dict:
    return {
        k: v.detach().numpy().copy() for k, v in net.state_dict().items() if k.endswith("_mask")
    }


def _both(steps, dtype=np.float32):
    """steps(lib, prune, net) done on our net and on torch's from the same weights and seed:
    (ours, theirs) as (masks, state dict keys, what steps returned)."""
    torch = _torch_prune()
    out = []
    for lib, space in ((ad, nn), (torch, torch.nn)):
        net = _net(space, lib, dtype)
        lib.manual_seed(7)
        extra = steps(lib, space.utils.prune, net)
        out.append((_masks(net), list(net.state_dict()), extra))
    return out


def _assert_same(ours, theirs):
    assert ours[1] == theirs[1]
    assert ours[0].keys() == theirs[0].keys()
    for key in ours[0]:
        np.testing.assert_array_equal(ours[0][key], theirs[0][key], err_msg=key)
    assert ours[2] == theirs[2]


def _scores(lib, shape):
    return lib.tensor(np.random.default_rng(5).standard_normal(shape).astype(np.float32))


METHODS = {
    "identity": lambda lib, p, n: p.identity(n[0], "weight"),
    "random_unstructured_fraction": lambda lib, p, n: p.random_unstructured(n[0], "weight", 0.3),
    "random_unstructured_count": lambda lib, p, n: p.random_unstructured(n[2], "weight", 17),
    "random_unstructured_all": lambda lib, p, n: p.random_unstructured(n[0], "bias", 1.0),
    "l1_unstructured_fraction": lambda lib, p, n: p.l1_unstructured(n[2], "weight", 0.45),
    "l1_unstructured_bias_count": lambda lib, p, n: p.l1_unstructured(n[0], "bias", 3),
    "l1_unstructured_none": lambda lib, p, n: p.l1_unstructured(n[0], "weight", 0),
    "l1_unstructured_scores": lambda lib, p, n: p.l1_unstructured(
        n[2], "weight", 0.5, importance_scores=_scores(lib, (5, 24))
    ),
    "random_structured_dim0": lambda lib, p, n: p.random_structured(n[0], "weight", 0.5, 0),
    "random_structured_dim1": lambda lib, p, n: p.random_structured(n[0], "weight", 2, 1),
    "random_structured_last": lambda lib, p, n: p.random_structured(n[2], "weight", 0.3, -1),
    "ln_structured_l2_dim0": lambda lib, p, n: p.ln_structured(n[0], "weight", 0.5, n=2, dim=0),
    "ln_structured_l1_dim1": lambda lib, p, n: p.ln_structured(n[0], "weight", 1, n=1, dim=1),
    "ln_structured_inf_last": lambda lib, p, n: p.ln_structured(n[0], "weight", 0.5, math.inf, -1),
    "ln_structured_fro": lambda lib, p, n: p.ln_structured(n[2], "weight", 0.4, "fro", 0),
    "ln_structured_minus_inf": lambda lib, p, n: p.ln_structured(n[2], "weight", 3, -math.inf, 1),
    "ln_structured_negative_p": lambda lib, p, n: p.ln_structured(n[2], "weight", 2, -1.5, 0),
    "ln_structured_all": lambda lib, p, n: p.ln_structured(n[2], "weight", 5, 2, 0),
    "ln_structured_scores": lambda lib, p, n: p.ln_structured(
        n[2], "weight", 0.6, 2, 1, importance_scores=_scores(lib, (5, 24))
    ),
    "custom_from_mask": lambda lib, p, n: p.custom_from_mask(
        n[2], "bias", lib.tensor([1.0, 0.0, 1.0, 0.0, 0.0])
    ),
}


@pytest.mark.parametrize("name", list(METHODS))
def test_each_method_gives_torch_mask(name):
    ours, theirs = _both(lambda lib, p, net: METHODS[name](lib, p, net) and None)
    _assert_same(ours, theirs)
    assert len(ours[0]) == 1


def test_random_methods_in_float64_draw_torch_numbers():
    def steps(lib, p, net):
        p.random_unstructured(net[0], "weight", 0.5)
        p.random_structured(net[2], "weight", 0.5, 0)
        return str(net[0].weight_mask.dtype)

    _assert_same(*_both(steps, np.float64))


def _iterate(lib, p, net):
    """The tutorial's iterative pruning of one weight, then structured before unstructured:
    each method acts on what the earlier ones left."""
    conv, fc = net[0], net[2]
    p.random_unstructured(conv, "weight", 0.3)
    p.l1_unstructured(conv, "weight", 10)
    p.ln_structured(conv, "weight", 0.5, n=2, dim=0)
    p.random_structured(conv, "weight", 1, dim=1)
    p.ln_structured(fc, "weight", 2, n=1, dim=1)
    p.random_structured(fc, "weight", 0.5, dim=0)
    p.l1_unstructured(fc, "weight", 0.5)
    p.random_unstructured(fc, "weight", 7)
    p.custom_from_mask(fc, "weight", lib.ones(5, 24))
    hooks = [h for h in conv._forward_pre_hooks.values()]
    container = hooks[0]
    kinds = [type(m).__name__ for m in container]
    return (len(hooks), type(container).__name__, kinds, len(container), container._tensor_name)


def test_iterative_pruning_as_torch():
    ours, theirs = _both(_iterate)
    _assert_same(ours, theirs)
    assert ours[2][2] == [
        "RandomUnstructured",
        "L1Unstructured",
        "LnStructured",
        "RandomStructured",
    ]
    conv_mask = ours[0]["0.weight_mask"]
    assert (conv_mask.sum(axis=(1, 2, 3)) == 0).sum() >= 3  # half the filters, whole


def _global(lib, p, net):
    conv, fc = net[0], net[2]
    p.l1_unstructured(fc, "weight", 0.25)  # a mask the global pruning must respect
    pairs = ((conv, "weight"), (fc, "weight"), (conv, "bias"))
    p.global_unstructured(pairs, pruning_method=p.L1Unstructured, amount=0.2)
    p.global_unstructured(
        [(conv, "weight"), (fc, "weight")],
        p.L1Unstructured,
        importance_scores={(conv, "weight"): _scores(lib, (6, 3, 2, 2))},
        amount=30,
    )
    p.global_unstructured(pairs, pruning_method=p.RandomUnstructured, amount=0.1)
    sparsity = [float((m.weight == 0).sum()) / m.weight.nelement() for m in (conv, fc)]
    return sparsity, [type(h).__name__ for h in fc._forward_pre_hooks.values()]


def test_global_unstructured_as_torch():
    ours, theirs = _both(_global)
    _assert_same(ours, theirs)
    masks = ours[0]
    before = 30 + 30  # fc's 25% of 120, then 20% of 222 entries, then 30 more
    assert sum((m == 0).sum() for m in masks.values()) >= before


def _foobar(p):
    """The tutorial's custom method (prune every other entry), on either library's base."""

    class FooBarPruningMethod(p.BasePruningMethod):
        PRUNING_TYPE = "unstructured"

        def compute_mask(self, t, default_mask):
            mask = default_mask.clone()
            mask.view(-1)[::2] = 0
            return mask

    return FooBarPruningMethod


def test_custom_method_as_torch():
    def steps(lib, p, net):
        method = _foobar(p)
        method.apply(net[2], "bias")
        method.apply(net[0], "bias")
        p.l1_unstructured(net[0], "bias", 1)  # the container hands it the odd entries only
        method.apply(net[0], "bias")
        return [float(v) for v in net[2].bias.detach()], p.is_pruned(net)

    ours, theirs = _both(steps)
    _assert_same(ours, theirs)
    np.testing.assert_array_equal(ours[0]["2.bias_mask"], [0, 1, 0, 1, 0])


def test_remove_makes_pruning_permanent_as_torch():
    def steps(lib, p, net):
        conv = net[0]
        weight = conv.weight
        p.random_unstructured(conv, "weight", 0.3)
        p.l1_unstructured(conv, "weight", 0.2)
        orig = conv.weight_orig
        p.remove(conv, "weight")
        names = [n for n, _ in conv.named_parameters()]
        same = conv.weight is orig and orig is weight  # the one Parameter, an optimizer's too
        zeros = int((conv.weight == 0).sum())
        return names, same, zeros, p.is_pruned(net), len(conv._forward_pre_hooks)

    ours, theirs = _both(steps)
    _assert_same(ours, theirs)
    assert ours[2][:2] == (["bias", "weight"], True) and ours[2][2] > 0


def test_state_dict_loads_into_torch_and_back():
    torch = _torch_prune()
    ours, theirs = _net(nn, ad), _net(torch.nn, torch)
    prune.ln_structured(ours[0], "weight", 0.5, 2, 0)
    prune.random_unstructured(ours[2], "weight", 0.4)
    prune.l1_unstructured(ours[2], "bias", 2)
    for module, name in ((theirs[0], "weight"), (theirs[2], "weight"), (theirs[2], "bias")):
        torch.nn.utils.prune.identity(module, name)
    theirs.load_state_dict(
        {k: torch.tensor(v.detach().numpy()) for k, v in ours.state_dict().items()}
    )
    x = np.random.default_rng(1).standard_normal((2, 3, 3, 3)).astype(np.float32)
    expected = ours(ad.tensor(x)).detach().numpy()
    np.testing.assert_allclose(theirs(torch.tensor(x)).detach().numpy(), expected, atol=1e-6)
    back = _net(nn, ad)
    for module, name in ((back[0], "weight"), (back[2], "weight"), (back[2], "bias")):
        prune.identity(module, name)
    back.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert list(back.state_dict()) == list(theirs.state_dict())
    np.testing.assert_allclose(back(ad.tensor(x)).detach().numpy(), expected, atol=1e-6)


def _train(lib, space, torch):
    """A pruned net's output, the gradients of the _orig parameters after backward, and the
    output after one SGD step (the pre-hook recomputes the pruned weight)."""
    net = _net(space, lib)
    p = space.utils.prune
    lib.manual_seed(2)
    p.random_unstructured(net[0], "weight", 0.5)
    p.ln_structured(net[2], "weight", 0.4, 2, 0)
    opt = (nn.optim if lib is ad else torch.optim).SGD(net.parameters(), lr=0.1)
    x = lib.tensor(np.random.default_rng(3).standard_normal((4, 3, 3, 3)).astype(np.float32))
    out = net(x)
    (out * out).sum().backward()
    grads = {n: q.grad.detach().numpy().copy() for n, q in net.named_parameters()}
    opt.step()
    return out.detach().numpy(), grads, net(x).detach().numpy(), _masks(net)


def test_training_step_through_pruned_layers_as_torch():
    torch = _torch_prune()
    ours, theirs = _train(ad, nn, torch), _train(torch, torch.nn, torch)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-5, atol=1e-5)
    assert (
        ours[1].keys() == theirs[1].keys() == {"0.bias", "0.weight_orig", "2.bias", "2.weight_orig"}
    )
    for key in ours[1]:
        np.testing.assert_allclose(ours[1][key], theirs[1][key], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-4, atol=1e-4)
    for key in ("0.weight", "2.weight"):  # the pruned entries get no gradient
        assert (ours[1][key + "_orig"][ours[3][key + "_mask"] == 0] == 0).all()


def test_gradcheck_through_the_mask():
    layer = nn.Linear(4, 3).double()
    prune.l1_unstructured(layer, "weight", 5)
    x = ad.tensor(np.random.default_rng(0).standard_normal((2, 4)), requires_grad=True)
    assert ad.gradcheck(lambda x, w: (layer(x), layer.weight_orig)[0], (x, layer.weight_orig))
    mask = layer.weight_mask
    assert ad.gradcheck(lambda w: prune.CustomFromMask(mask).prune(w), (layer.weight_orig,))


def test_prune_method_on_a_tensor_as_torch():
    torch = _torch_prune()
    w = np.random.default_rng(4).standard_normal((4, 5)).astype(np.float32)
    s = np.random.default_rng(5).standard_normal((4, 5)).astype(np.float32)
    for lib, p in ((ad, prune), (torch, torch.nn.utils.prune)):
        a = p.LnStructured(2, n=1, dim=1).prune(lib.tensor(w), importance_scores=lib.tensor(s))
        b = p.L1Unstructured(0.5).prune(lib.tensor(w), default_mask=lib.tensor(s > 0) * 1.0)
        if lib is ad:
            ours = a.detach().numpy(), b.detach().numpy()
        else:
            np.testing.assert_array_equal(ours[0], a.detach().numpy())
            np.testing.assert_array_equal(ours[1], b.detach().numpy())


def _error(call, *args):
    try:
        call(*args)
    except Exception as error:
        return type(error).__name__, str(error)
    return None


ERRORS = [
    ("amount_str", lambda lib, p, n: p.l1_unstructured(n[0], "weight", "0.2")),
    ("amount_above_one", lambda lib, p, n: p.random_unstructured(n[0], "weight", 1.5)),
    ("amount_negative_int", lambda lib, p, n: p.l1_unstructured(n[0], "weight", -1)),
    ("amount_negative_float", lambda lib, p, n: p.ln_structured(n[0], "weight", -0.1, 2, 0)),
    ("amount_too_many", lambda lib, p, n: p.l1_unstructured(n[0], "bias", 7)),
    ("channels_too_many", lambda lib, p, n: p.random_structured(n[0], "weight", 7, 0)),
    ("structured_1d", lambda lib, p, n: p.ln_structured(n[0], "bias", 0.5, 2, 0)),
    ("dim_too_big", lambda lib, p, n: p.random_structured(n[0], "weight", 0.5, 4)),
    (
        "scores_shape",
        lambda lib, p, n: p.l1_unstructured(n[0], "weight", 1, importance_scores=lib.ones(3)),
    ),
    ("remove_unpruned", lambda lib, p, n: p.remove(n[0], "weight")),
    ("global_not_iterable", lambda lib, p, n: p.global_unstructured(5, p.L1Unstructured)),
    (
        "global_scores_list",
        lambda lib, p, n: p.global_unstructured(
            [(n[0], "weight")], p.L1Unstructured, importance_scores=[1], amount=1
        ),
    ),
    (
        "global_structured",
        lambda lib, p, n: p.global_unstructured([(n[0], "weight")], p.RandomStructured, amount=0.5),
    ),
    (
        "custom_mask_shape",
        lambda lib, p, n: p.custom_from_mask(n[0], "bias", lib.ones(2)),
    ),
    ("abstract", lambda lib, p, n: p.BasePruningMethod()),
    (
        "container_type",
        lambda lib, p, n: p.PruningContainer(p.Identity.apply(n[0], "bias")).add_pruning_method(3),
    ),
]


@pytest.mark.parametrize("name, call", ERRORS, ids=[e[0] for e in ERRORS])
def test_refusals_as_torch(name, call):
    torch = _torch_prune()
    got = []
    for lib, space in ((ad, nn), (torch, torch.nn)):
        net = _net(space, lib)
        lib.manual_seed(0)
        got.append(_error(call, lib, space.utils.prune, net))
        params = [n for n, _ in net.named_parameters()]
        got.append((params, space.utils.prune.is_pruned(net)))  # a failed prune leaves no trace
    ours, _, theirs, _ = got
    assert ours is not None and theirs is not None
    assert ours[0] == theirs[0], (ours, theirs)
    assert got[1] == got[3]
    gist = theirs[1].replace("torch.nn.utils.prune", "nn.utils.prune").split(" of module ")[0]
    assert ours[1].split(" of module ")[0][:40] == gist[:40], (ours, theirs)


def test_a_failed_pruning_restores_the_parameter():
    net = _net(nn, ad)
    with pytest.raises(ValueError, match="should be smaller than the number of parameters"):
        prune.l1_unstructured(net[0], "bias", 100)
    assert [n for n, _ in net[0].named_parameters()] == ["weight", "bias"]
    assert not prune.is_pruned(net)


def test_container_of_another_tensor_is_refused():
    first = prune.Identity()
    first._tensor_name = "weight"
    other = prune.Identity()
    other._tensor_name = "bias"
    with pytest.raises(ValueError, match="Can only add pruning methods acting on the parameter"):
        prune.PruningContainer(first).add_pruning_method(other)


def test_signatures_as_torch():
    torch = _torch_prune()
    import inspect

    theirs = torch.nn.utils.prune
    names = [n for n in dir(theirs) if not n.startswith("_") and n not in ("ABC", "abstractmethod")]
    names = [n for n in names if callable(getattr(theirs, n)) and n not in ("Iterable", "numbers")]
    assert len(names) >= 17
    for name in names:
        t, o = getattr(theirs, name), getattr(prune, name)
        pairs = [(t, o)]
        if inspect.isclass(t):
            pairs = [(getattr(t, m), getattr(o, m)) for m in ("__init__", "apply", "compute_mask")]
        for a, b in pairs:
            assert str(inspect.signature(a)) == str(inspect.signature(b)).replace(
                "autodiff", "torch"
            ) or "*args" in str(inspect.signature(a)), name


def test_topk_ties_pick_torch_entries():
    """Among values tied at the k-th place, the entries torch's topk picks (both of its
    selection algorithms: k * 64 <= n and not)."""
    torch = _torch_prune()
    from nn.utils.topk_ties import topk_indices

    rng = np.random.default_rng(0)
    for _ in range(400):
        n = int(rng.choice([1, 3, 4, 7, 20, 65, 200, 700, 1500]))
        values = rng.integers(0, int(rng.integers(1, 5)), n).astype(np.float32)
        top = n + 1 if rng.integers(0, 2) else n // 64 + 1  # half of them by the heap
        k, largest = int(rng.integers(0, top)), bool(rng.integers(0, 2))
        theirs = torch.topk(torch.tensor(values), k, largest=largest).indices.detach().numpy()
        assert sorted(topk_indices(values, k, largest)) == sorted(theirs), (values, k, largest)
    for _ in range(1500):  # the heap's moves among equal children show with more levels
        n = int(rng.integers(64, 300))
        values = rng.integers(0, int(rng.integers(2, 60)), n).astype(np.float32)
        k, largest = int(rng.integers(1, n // 64 + 1)), bool(rng.integers(0, 2))
        theirs = torch.topk(torch.tensor(values), k, largest=largest).indices.detach().numpy()
        assert sorted(topk_indices(values, k, largest)) == sorted(theirs), (values, k, largest)


def _ties(lib, p, net):
    """Pruning where magnitudes tie: again after remove() (the zeros), zero biases, integer
    weights pruned globally, channel norms that are counts (n=0)."""
    conv, fc = net[0], net[2]
    p.l1_unstructured(conv, "weight", 0.3)
    p.remove(conv, "weight")
    p.l1_unstructured(conv, "weight", 0.2)
    with lib.no_grad():
        conv.bias.zero_()
        fc.weight.copy_(lib.tensor(np.arange(120.0).reshape(5, 24) % 3))
        fc.bias.fill_(2.0)
    p.l1_unstructured(conv, "bias", 4)
    p.global_unstructured([(fc, "weight"), (fc, "bias")], p.L1Unstructured, amount=50)
    p.ln_structured(fc, "weight", 6, n=0, dim=1)
    p.ln_structured(conv, "weight", 2, n=0, dim=0)


def test_ties_resolved_as_torch():
    ours, theirs = _both(_ties)
    _assert_same(ours, theirs)
