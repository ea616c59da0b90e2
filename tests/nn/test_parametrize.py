"""nn.utils.parametrize against torch: the Parametrizations Tutorial's Symmetric, Skew with
MatrixExponential or CayleyMap (outputs, gradients of `original`, SGD steps), right_inverse with
one and several tensors, stacking, cached(), reprs, state dicts both ways, removal, the
generated class and torch's errors."""

import copy
import inspect

import numpy as np
import pytest

import autodiff as ad
import nn
from nn.utils import parametrize as P


def _classes(lib, space):
    """The tutorial's parametrizations written against lib (autodiff or torch)."""

    class Symmetric(space.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

        def right_inverse(self, A):
            return A.triu()

    class Skew(space.Module):
        def forward(self, X):
            A = X.triu(1)
            return A - A.transpose(-1, -2)

    class MatrixExponential(space.Module):
        def forward(self, X):
            return lib.matrix_exp(X)

    class CayleyMap(space.Module):
        def __init__(self, n):
            super().__init__()
            self.register_buffer("Id", lib.eye(n))

        def forward(self, X):
            return lib.linalg.solve(self.Id - X, self.Id + X)

    class Scale(space.Module):  # stacked last: has a right_inverse
        def forward(self, X):
            return 2.0 * X

        def right_inverse(self, X):
            return X / 2.0

    class RightMul(space.Module):  # does not commute with Symmetric: the order shows
        def __init__(self):
            super().__init__()
            self.M = lib.tensor([[1.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 2.0]])
            self.M_inv = lib.tensor([[1.0, -1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.5]])

        def forward(self, X):
            return X @ self.M

        def right_inverse(self, X):
            return X @ self.M_inv

    class ExpSplit(space.Module):  # W = a * exp(b), stored as two tensors
        def forward(self, a, b):
            return a * b.exp()

        def right_inverse(self, W):
            return W, lib.zeros_like(W)

    return dict(
        Symmetric=Symmetric,
        Skew=Skew,
        MatrixExponential=MatrixExponential,
        CayleyMap=lambda: CayleyMap(3),
        Scale=Scale,
        RightMul=RightMul,
        ExpSplit=ExpSplit,
    )


def _spaces(torch):
    return [(ad, nn, P, nn.optim), (torch, torch.nn, torch.nn.utils.parametrize, torch.optim)]


def _linear(space, torch, seed=0, n=3):
    """A Linear(n, n) with torch's initial values for this seed in both libraries."""
    torch.manual_seed(seed)
    twin = torch.nn.Linear(n, n)
    if space is torch.nn:
        return twin
    layer = nn.Linear(n, n)
    layer.load_state_dict({k: v.detach().numpy() for k, v in twin.state_dict().items()})
    return layer


def _np(t):
    return t.detach().numpy().copy()


def _train(lib, space, P_, optim, torch, names, steps=3):
    """A Linear(3, 3) with the named parametrizations stacked on its weight: its repr, keys,
    weight, outputs, gradient of each original and the weight after SGD steps."""
    classes = _classes(lib, space)
    layer = _linear(space, torch)
    for name in names:
        P_.register_parametrization(layer, "weight", classes[name]())
    x = lib.tensor(np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32))
    opt = optim.SGD(layer.parameters(), lr=0.1)
    out = {"repr": repr(layer), "keys": list(layer.state_dict()), "weight": _np(layer.weight)}
    out["params"] = [n for n, _ in layer.named_parameters()]
    for step in range(steps):
        opt.zero_grad()
        y = layer(x)
        (y * y).sum().backward()
        out[f"y{step}"] = _np(y)
        for n, p in layer.named_parameters():
            out[f"grad{step}{n}"] = p.grad.detach().numpy().copy()
        opt.step()
    out["stepped"] = _np(layer.weight)
    return out


def _same(ours: dict, theirs: dict, rtol=1e-5, atol=1e-5):
    assert ours.keys() == theirs.keys()
    for key, a in ours.items():
        b = theirs[key]
        if isinstance(a, np.ndarray):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=key)
        else:
            assert a == b, key


STACKS = [
    ["Symmetric"],
    ["Skew", "MatrixExponential"],
    ["Skew", "CayleyMap"],
    ["Symmetric", "Scale"],
    ["Symmetric", "RightMul"],
    ["RightMul", "Symmetric"],
    ["ExpSplit"],
    ["ExpSplit", "RightMul", "Symmetric"],
]


@pytest.mark.parametrize("names", STACKS, ids=["+".join(s) for s in STACKS])
def test_tutorial_parametrizations_train_as_torch(names):
    torch = pytest.importorskip("torch")
    ours, theirs = (_train(*s, torch, names) for s in _spaces(torch))
    _same(ours, theirs, rtol=1e-4, atol=1e-5)
    assert ours["repr"].startswith("ParametrizedLinear(\n  in_features=3, out_features=3")


def test_the_parametrized_weight_has_its_shape_and_gradients_reach_the_original():
    torch = pytest.importorskip("torch")
    layer = _linear(nn, torch)
    classes = _classes(ad, nn)
    P.register_parametrization(layer, "weight", classes["Skew"]())
    P.register_parametrization(layer, "weight", classes["MatrixExponential"]())
    W = layer.weight.detach().numpy()
    np.testing.assert_allclose(W @ W.T, np.eye(3), atol=1e-5)  # exp of skew: orthogonal
    assert layer.weight is not layer.weight  # recomputed on each access
    x = ad.tensor(np.random.default_rng(0).standard_normal((2, 3)))
    original = layer.parametrizations.weight.original.detach().double().requires_grad_()

    def f(o):
        return ad.matrix_exp(o.triu(1) - o.triu(1).mT) @ x.T

    assert ad.autograd.gradcheck(f, (original,))


def test_parametrized_buffer_stays_a_buffer():
    torch = pytest.importorskip("torch")
    results = []
    for lib, space, P_, _ in _spaces(torch):
        bn = space.BatchNorm1d(3)
        with lib.no_grad():
            bn.running_mean.add_(lib.arange(3.0))
        P_.register_parametrization(bn, "running_mean", _classes(lib, space)["Scale"]())
        results.append(
            (list(bn.state_dict()), [n for n, _ in bn.named_buffers()], _np(bn.running_mean))
        )
        assert not any("running_mean" in n for n, _ in bn.named_parameters())
    assert results[0][:2] == results[1][:2]
    np.testing.assert_allclose(results[0][2], results[1][2])


def test_assignment_goes_through_right_inverse_as_torch():
    torch = pytest.importorskip("torch")
    target = np.random.default_rng(2).standard_normal((3, 3)).astype(np.float32)
    target = target + target.T
    results = []
    for lib, space, P_, _ in _spaces(torch):
        classes = _classes(lib, space)
        layer = _linear(space, torch)
        P_.register_parametrization(layer, "weight", classes["Symmetric"]())
        P_.register_parametrization(layer, "weight", classes["Scale"]())
        original = layer.parametrizations.weight.original
        layer.weight = lib.tensor(target)
        assert layer.parametrizations.weight.original is original  # the same object, new data
        ordered = _linear(space, torch)  # right_inverse runs last-registered first
        P_.register_parametrization(ordered, "weight", classes["Symmetric"]())
        P_.register_parametrization(ordered, "weight", classes["RightMul"]())
        ordered.weight = lib.tensor(target)
        split = _linear(space, torch)
        P_.register_parametrization(split, "weight", classes["ExpSplit"]())
        split.weight = lib.tensor(target)
        results.append([_np(layer.weight), _np(original), _np(split.weight)])
        results[-1] += [_np(split.parametrizations.weight.original1), _np(ordered.weight)]
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(results[0][0], target, rtol=1e-6)


def test_cached_computes_once_per_block():
    calls = []

    class Counted(nn.Module):
        def forward(self, X):
            calls.append(1)
            return X * 1.0

    layer = P.register_parametrization(nn.Linear(2, 2), "weight", Counted())
    calls.clear()
    with P.cached():
        first = layer.weight
        with P.cached():  # nested: the same cache until the outermost block ends
            assert layer.weight is first
        assert layer.weight is first
        layer(ad.ones(1, 2))
    assert len(calls) == 1
    assert layer.weight is not first and len(calls) == 2


def test_cached_keeps_each_tensor_apart():
    torch = pytest.importorskip("torch")
    scale = _classes(ad, nn)["Scale"]
    layer = _linear(nn, torch)
    P.register_parametrization(layer, "weight", scale())
    P.register_parametrization(layer, "bias", scale())
    x = ad.ones(2, 3)
    expected = layer(x).detach().numpy()
    with P.cached():
        np.testing.assert_array_equal(layer(x).detach().numpy(), expected)
        assert layer.weight.shape == (3, 3) and layer.bias.shape == (3,)


def test_state_dict_round_trips_both_ways():
    torch = pytest.importorskip("torch")
    built = []
    for seed, (lib, space, P_, _) in zip((3, 4), _spaces(torch)):
        classes = _classes(lib, space)
        layer = _linear(space, torch, seed)
        P_.register_parametrization(layer, "weight", classes["Skew"]())
        P_.register_parametrization(layer, "weight", classes["CayleyMap"]())
        built.append(layer)
    ours, theirs = built
    theirs_state = {k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()}
    ours_state = {k: v.detach().numpy().copy() for k, v in ours.state_dict().items()}
    assert list(ours_state) == list(theirs_state)
    ours.load_state_dict(theirs_state)  # torch's dict into ours
    np.testing.assert_allclose(_np(ours.weight), _np(theirs.weight), rtol=1e-5, atol=1e-6)
    fresh = _linear(torch.nn, torch, 5)
    P_ = torch.nn.utils.parametrize
    classes = _classes(torch, torch.nn)
    P_.register_parametrization(fresh, "weight", classes["Skew"]())
    P_.register_parametrization(fresh, "weight", classes["CayleyMap"]())
    fresh.load_state_dict({k: torch.tensor(v) for k, v in ours_state.items()})  # ours into torch
    for key, value in fresh.state_dict().items():
        np.testing.assert_array_equal(value.detach().numpy(), ours_state[key])


@pytest.mark.parametrize("leave", [True, False])
@pytest.mark.parametrize("names", [["Symmetric", "Scale"], ["ExpSplit"]])
def test_remove_parametrizations_as_torch(names, leave):
    torch = pytest.importorskip("torch")
    results = []
    for lib, space, P_, _ in _spaces(torch):
        classes = _classes(lib, space)
        layer = _linear(space, torch)
        for name in names:
            P_.register_parametrization(layer, "weight", classes[name]())
        original = layer.parametrizations.weight[0]  # a parametrization module
        if names == ["ExpSplit"] and not leave:
            with pytest.raises(ValueError, match="Cannot leave unparametrized"):
                P_.remove_parametrizations(layer, "weight", leave_parametrized=False)
            results.append(None)
            continue
        P_.remove_parametrizations(layer, "weight", leave_parametrized=leave)
        assert type(layer).__name__ == "Linear" and not P_.is_parametrized(layer)
        assert not hasattr(layer, "parametrizations") and original is not None
        weight = layer.weight
        results.append((repr(layer), list(layer.state_dict()), _np(weight), type(weight).__name__))
    if results[0] is not None:
        assert results[0][:2] == results[1][:2] and results[0][3] == results[1][3] == "Parameter"
        np.testing.assert_allclose(results[0][2], results[1][2], rtol=1e-6)


def test_remove_one_of_two_keeps_the_class():
    torch = pytest.importorskip("torch")
    reprs = []
    for lib, space, P_, _ in _spaces(torch):
        classes = _classes(lib, space)
        layer = _linear(space, torch)
        P_.register_parametrization(layer, "weight", classes["Symmetric"]())
        P_.register_parametrization(layer, "bias", classes["Scale"]())
        assert P_.is_parametrized(layer) and P_.is_parametrized(layer, "bias")
        assert not P_.is_parametrized(layer, "other")
        P_.remove_parametrizations(layer, "weight")
        assert P_.type_before_parametrizations(layer) is space.Linear
        reprs.append((repr(layer), list(layer.state_dict()), type(layer).__name__))
        P_.remove_parametrizations(layer, "bias")
        assert P_.type_before_parametrizations(layer) is type(layer) is space.Linear
    assert reprs[0] == reprs[1]
    assert reprs[0][2] == "ParametrizedLinear"


def test_transfer_parametrizations_and_params_as_torch():
    torch = pytest.importorskip("torch")
    results = []
    for lib, space, P_, _ in _spaces(torch):
        classes = _classes(lib, space)
        source = _linear(space, torch, 6)
        P_.register_parametrization(source, "weight", classes["Symmetric"]())
        P_.register_parametrization(source, "weight", classes["Scale"]())
        target = _linear(space, torch, 7)
        P_.transfer_parametrizations_and_params(source, target)
        assert target.parametrizations.weight.original is source.parametrizations.weight.original
        assert P_.transfer_parametrizations_and_params(space.Linear(2, 2), target) is target
        results.append((repr(target), list(target.state_dict()), _np(target.weight)))
    assert results[0][:2] == results[1][:2]
    np.testing.assert_allclose(results[0][2], results[1][2], rtol=1e-6)


def test_parametrization_takes_the_module_training_mode():
    layer = nn.Linear(2, 2).eval()
    scale = _classes(ad, nn)["Scale"]()
    P.register_parametrization(layer, "weight", scale)
    assert scale.training is False


def test_deepcopy_works_and_saving_the_whole_module_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    layer = _linear(nn, torch)
    P.register_parametrization(layer, "weight", _classes(ad, nn)["Symmetric"]())
    twin = copy.deepcopy(layer)
    assert type(twin) is type(layer) and twin.parametrizations is not layer.parametrizations
    np.testing.assert_array_equal(_np(twin.weight), _np(layer.weight))
    with pytest.raises(RuntimeError, match="only supported through state_dict"):
        ad.save(layer, tmp_path / "m.pt")
    t_layer = torch.nn.Linear(3, 3)
    torch.nn.utils.parametrize.register_parametrization(
        t_layer, "weight", _classes(torch, torch.nn)["Symmetric"]()
    )
    with pytest.raises(RuntimeError, match="only supported through state_dict"):
        torch.save(t_layer, tmp_path / "t.pt")


def _errors(lib, space, P_):
    """The exception type of each misuse."""
    classes = _classes(lib, space)

    class Shrink(space.Module):
        def forward(self, X):
            return X[:1]

    class Half(space.Module):
        def forward(self, X):
            return X.double()

    class NotATensor(space.Module):
        def forward(self, X):
            return X

        def right_inverse(self, X):
            return 3

    class DoubleInverse(space.Module):
        def forward(self, X):
            return X

        def right_inverse(self, X):
            return X.double()

    def run(f):
        try:
            f()
        except Exception as error:  # noqa: BLE001 - the type is what is compared
            return type(error).__name__
        return None

    def layer():
        return space.Linear(3, 3)

    stacked = P_.register_parametrization(layer(), "weight", classes["Skew"]())
    return {
        "unknown name": run(lambda: P_.register_parametrization(layer(), "nope", Shrink())),
        "shape": run(lambda: P_.register_parametrization(layer(), "weight", Shrink())),
        "dtype": run(lambda: P_.register_parametrization(layer(), "weight", Half())),
        "stacked shape": run(lambda: P_.register_parametrization(stacked, "weight", Shrink())),
        "unsafe shape": run(
            lambda: P_.register_parametrization(layer(), "weight", Shrink(), unsafe=True)
        ),
        "inverse dtype": run(
            lambda: P_.register_parametrization(layer(), "weight", DoubleInverse())
        ),
        "not a tensor": run(lambda: P_.register_parametrization(layer(), "weight", NotATensor())),
        "no right_inverse": run(lambda: setattr(stacked, "weight", lib.zeros(3, 3))),
        "remove unknown": run(lambda: P_.remove_parametrizations(layer(), "weight")),
        "parameter assigned": run(
            lambda: setattr(stacked, "weight", space.Parameter(lib.zeros(3, 3)))
        ),
    }


def test_errors_have_torch_types():
    torch = pytest.importorskip("torch")
    ours = _errors(ad, nn, P)
    theirs = _errors(torch, torch.nn, torch.nn.utils.parametrize)
    assert ours == theirs
    assert ours["shape"] == "ValueError" and ours["unsafe shape"] is None


def test_shape_error_message_names_the_shapes():
    class Shrink(nn.Module):
        def forward(self, X):
            return X[:1]

    with pytest.raises(ValueError, match=r"unparametrized shape: torch.Size\(\[3, 3\]\)"):
        P.register_parametrization(nn.Linear(3, 3), "weight", Shrink())
    with pytest.raises(TypeError, match="must be an nn.Module"):
        P.register_parametrization(nn.Linear(3, 3), "weight", lambda x: x)


def test_signatures_as_torch():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.utils.parametrize
    assert sorted(P.__all__) == sorted(theirs.__all__)
    for name in P.__all__:
        t, o = getattr(theirs, name), getattr(P, name)
        if inspect.isclass(t):
            t, o = t.__init__, o.__init__
        t_params = [(p.name, p.kind, p.default) for p in inspect.signature(t).parameters.values()]
        o_params = [(p.name, p.kind, p.default) for p in inspect.signature(o).parameters.values()]
        assert o_params == t_params, name
