"""nn.utils.parametrizations (orthogonal, spectral_norm, weight_norm) and the hook-based
nn.utils.spectral_norm against torch on the same initial weights and seeds: the parametrized
weights, the power iteration's u and v after steps in train and eval mode, gradients of the
originals, SGD steps, state dict keys and the refusals."""

import inspect

import numpy as np
import pytest

import autodiff as ad
import nn
from nn.utils import parametrizations as PZ


def _spaces(torch):
    return [(ad, nn, nn.optim), (torch, torch.nn, torch.optim)]


def _twin(space, torch, make, seed=0):
    """make(space) with the values torch's make(torch.nn) gets for this seed; both random
    generators seeded again afterwards, so the next draws (u, v) are the same."""
    torch.manual_seed(seed)
    theirs = make(torch.nn)
    if space is not torch.nn:
        ours = make(nn)
        ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
        theirs = ours
    torch.manual_seed(seed + 1)
    ad.manual_seed(seed + 1)
    return theirs


def _np(t):
    return t.detach().numpy().copy()


def _input(lib, shape):
    return lib.tensor(np.random.default_rng(3).standard_normal(shape).astype(np.float32))


def _compare(ours, theirs, rtol=1e-4, atol=1e-5):
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if isinstance(a, np.ndarray):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=str(i))
        else:
            assert a == b, i


# --- orthogonal -----------------------------------------------------------------------------
ORTHO = [
    ((4, 4), None, True),
    ((4, 4), "cayley", True),
    ((4, 4), "householder", True),
    ((5, 3), None, True),  # householder by default, random columns complete the base
    ((3, 5), None, True),
    ((5, 3), "matrix_exp", True),
    ((3, 5), "cayley", True),
    ((2, 4, 3), None, True),  # a batch of matrices
    ((5, 3), "householder", False),
    ((3, 5), "householder", False),
    ((4, 4), "matrix_exp", False),
    ((4, 4), "cayley", False),
]


def _orthogonal(lib, space, optim, torch, shape, orthogonal_map, trivial):
    """The parametrized weight, the gradient of the original and the weight after SGD steps."""

    def make(s):
        layer = s.Linear(shape[-1], shape[-2])
        if len(shape) == 3:
            layer.weight = s.Parameter(layer.weight.detach().expand(*shape).clone())
        return layer

    layer = _twin(space, torch, make)
    (torch.nn.utils.parametrizations if lib is torch else PZ).orthogonal(
        layer, orthogonal_map=orthogonal_map, use_trivialization=trivial
    )
    out = [list(layer.state_dict()), _np(layer.weight)]
    original = layer.parametrizations.weight.original
    opt = optim.SGD([original], lr=0.05)
    x = _input(lib, (2, shape[-1]))
    for _ in range(3):
        opt.zero_grad()
        (lib.matmul(layer.weight, x.T) ** 2).sum().backward()  # a batch of weights too
        out.append(original.grad.detach().numpy().copy())
        opt.step()
    out.append(_np(layer.weight))
    return out


@pytest.mark.parametrize("shape, orthogonal_map, trivial", ORTHO, ids=str)
def test_orthogonal_as_torch(shape, orthogonal_map, trivial):
    torch = pytest.importorskip("torch")
    ours, theirs = (_orthogonal(*s, torch, shape, orthogonal_map, trivial) for s in _spaces(torch))
    _compare(ours, theirs)
    for W in (ours[1], ours[-1]):  # orthogonal columns (or rows), before and after the steps
        tall = W if shape[-2] >= shape[-1] else np.swapaxes(W, -1, -2)
        gram = np.swapaxes(tall, -1, -2) @ tall
        np.testing.assert_allclose(
            gram, np.broadcast_to(np.eye(min(shape[-2:])), gram.shape), atol=1e-5
        )


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
def test_orthogonal_assignment_as_torch(orthogonal_map):
    torch = pytest.importorskip("torch")
    shape = (5, 3) if orthogonal_map == "householder" else (4, 4)
    target = np.random.default_rng(4).standard_normal(shape).astype(np.float32)
    results = []
    for lib, space, _ in _spaces(torch):
        layer = _twin(space, torch, lambda s: s.Linear(shape[1], shape[0]))
        (torch.nn.utils.parametrizations if lib is torch else PZ).orthogonal(
            layer, orthogonal_map=orthogonal_map
        )
        lib.manual_seed(9)
        layer.weight = lib.tensor(target)  # not orthogonal: its QR's Q is taken
        results.append([_np(layer.weight), _np(layer.parametrizations.weight.original)])
        q = _np(layer.weight)
        layer.weight = lib.tensor(q)  # orthogonal already: kept as it is
        results[-1].append(_np(layer.weight))
    _compare(*results)
    np.testing.assert_allclose(results[0][2], results[0][0], atol=1e-5)


def test_orthogonal_gradcheck_float64():
    for orthogonal_map in ("matrix_exp", "cayley", "householder"):
        shape = (4, 3) if orthogonal_map == "householder" else (3, 3)
        layer = nn.Linear(shape[1], shape[0]).double()
        PZ.orthogonal(layer, orthogonal_map=orthogonal_map)
        orth = layer.parametrizations.weight[0]
        X = ad.randn(*shape, dtype=ad.float64) * 0.3
        eye = ad.eye(*shape, dtype=ad.float64)
        X = X * (1 - eye) - 1.5 * eye  # householder's int() of the diagonal: -1 on either side
        assert ad.autograd.gradcheck(orth, (X.requires_grad_(),))


def _orthogonal_errors(lib, space, PZ_):
    def run(f):
        try:
            f()
        except Exception as error:  # noqa: BLE001 - the type is what is compared
            return type(error).__name__
        return None

    def assign():
        layer = PZ_.orthogonal(space.Linear(3, 3), "weight", "cayley", use_trivialization=False)
        layer.weight = lib.eye(3)

    def wrong_shape():
        layer = PZ_.orthogonal(space.Linear(3, 3))
        layer.weight = lib.eye(4)

    return {
        "vector": run(lambda: PZ_.orthogonal(space.Linear(3, 3), "bias")),
        "unknown name": run(lambda: PZ_.orthogonal(space.Linear(3, 3), "nope")),
        "unknown map": run(lambda: PZ_.orthogonal(space.Linear(3, 3), orthogonal_map="qr")),
        "assign without base": run(assign),
        "wrong shape": run(wrong_shape),
    }


def test_orthogonal_errors_as_torch():
    torch = pytest.importorskip("torch")
    ours = _orthogonal_errors(ad, nn, PZ)
    assert ours == _orthogonal_errors(torch, torch.nn, torch.nn.utils.parametrizations)
    assert ours["assign without base"] == "NotImplementedError"


# --- spectral_norm ------------------------------------------------------------------------
SPECTRAL = [
    ("linear", lambda s: s.Linear(5, 4), (3, 5), {}),
    ("wide", lambda s: s.Linear(40, 30), (3, 40), {}),  # 15 first steps do not converge
    ("conv", lambda s: s.Conv2d(8, 30, 3), (2, 8, 5, 5), {}),
    ("conv dim 1", lambda s: s.Conv2d(8, 30, 3), (2, 8, 5, 5), {"dim": 1}),
    ("transposed", lambda s: s.ConvTranspose2d(6, 9, 3), (2, 6, 4, 4), {}),
    ("iterations", lambda s: s.Linear(40, 30), (3, 40), {"n_power_iterations": 3, "eps": 1e-3}),
    ("negative dim", lambda s: s.Linear(40, 30), (3, 40), {"dim": -1}),
]


def _spectral(lib, space, optim, torch, make, shape, kwargs, new_api: bool):
    """u, v, the output and gradient after train steps and an eval call, and the keys."""
    layer = _twin(space, torch, make)
    if new_api:
        api = torch.nn.utils.parametrizations if lib is torch else PZ
        api.spectral_norm(layer, **kwargs)
        sn = layer.parametrizations.weight[0]
        buffers, original = (lambda: [_np(sn._u), _np(sn._v)]), layer.parametrizations.weight
        original = original.original
    else:
        space.utils.spectral_norm(layer, **kwargs)
        buffers, original = (lambda: [_np(layer.weight_u), _np(layer.weight_v)]), layer.weight_orig
    out = [list(layer.state_dict()), *buffers()]
    opt = optim.SGD([original], lr=0.01)
    x = _input(lib, shape)
    for _ in range(3):
        opt.zero_grad()
        y = layer(x)
        (y * y).sum().backward()
        out += [_np(y), original.grad.detach().numpy().copy(), *buffers()]
        opt.step()
    layer.eval()
    before = buffers()
    y = layer(x)
    out += [_np(y), *buffers()]
    _compare(before, buffers(), rtol=0, atol=0)  # eval does not move u, v
    return out


@pytest.mark.parametrize("new_api", [True, False], ids=["parametrizations", "hook"])
@pytest.mark.parametrize("name, make, shape, kwargs", SPECTRAL, ids=[s[0] for s in SPECTRAL])
def test_spectral_norm_as_torch(name, make, shape, kwargs, new_api):
    torch = pytest.importorskip("torch")
    if kwargs.get("dim", 0) < 0 and not new_api:
        with pytest.raises(RuntimeError):  # torch's hook permutes with -1 and fails
            torch.nn.utils.spectral_norm(make(torch.nn), **kwargs)
        with pytest.raises(RuntimeError):
            nn.utils.spectral_norm(make(nn), **kwargs)
        return
    ours, theirs = (_spectral(*s, torch, make, shape, kwargs, new_api) for s in _spaces(torch))
    _compare(ours, theirs, rtol=2e-4, atol=2e-5)


def test_spectral_norm_divides_by_the_largest_singular_value():
    layer = PZ.spectral_norm(nn.Linear(6, 4), n_power_iterations=50)
    layer(ad.ones(1, 6))
    original = layer.parametrizations.weight.original.detach().numpy()
    sigma = np.linalg.svd(original, compute_uv=False)[0]
    np.testing.assert_allclose(layer.weight.detach().numpy(), original / sigma, rtol=1e-4)
    assert np.linalg.svd(layer.weight.detach().numpy(), compute_uv=False)[0] == pytest.approx(
        1.0, rel=1e-4
    )


def test_spectral_norm_of_a_vector_normalizes_it_as_torch():
    torch = pytest.importorskip("torch")
    results = []
    for lib, space, _ in _spaces(torch):
        layer = _twin(space, torch, lambda s: s.Linear(3, 5))
        api = torch.nn.utils.parametrizations if lib is torch else PZ
        api.spectral_norm(layer, "bias")
        results.append([_np(layer.bias), list(layer.state_dict())])
    _compare(*results)


def test_spectral_norm_remove_as_torch():
    torch = pytest.importorskip("torch")
    results = []
    for lib, space, _ in _spaces(torch):
        for new_api in (True, False):
            layer = _twin(space, torch, lambda s: s.Linear(40, 30))
            if new_api:
                api = torch.nn.utils.parametrizations if lib is torch else PZ
                api.spectral_norm(layer)
                layer(_input(lib, (2, 40)))
                space.utils.parametrize.remove_parametrizations(layer, "weight")
            else:
                space.utils.spectral_norm(layer)
                layer(_input(lib, (2, 40)))
                space.utils.remove_spectral_norm(layer)
            results += [_np(layer.weight), list(layer.state_dict()), repr(layer)]
    _compare(results[:6], results[6:])


def _spectral_errors(lib, space):
    def run(f):
        try:
            f()
        except Exception as error:  # noqa: BLE001 - the type is what is compared
            return type(error).__name__
        return None

    api = space.utils.parametrizations

    def twice():
        layer = space.utils.spectral_norm(space.Linear(3, 3))
        space.utils.spectral_norm(layer)

    return {
        "iterations": run(lambda: api.spectral_norm(space.Linear(3, 3), n_power_iterations=0)),
        "dim": run(lambda: api.spectral_norm(space.Linear(3, 3), dim=2)),
        "name": run(lambda: api.spectral_norm(space.Linear(3, 3), "nope")),
        "hook iterations": run(
            lambda: space.utils.spectral_norm(space.Linear(3, 3), n_power_iterations=0)
        ),
        "hook twice": run(twice),
        "hook name": run(lambda: space.utils.spectral_norm(space.Linear(3, 3), "nope")),
        "remove missing": run(lambda: space.utils.remove_spectral_norm(space.Linear(3, 3))),
    }


def test_spectral_norm_errors_as_torch():
    torch = pytest.importorskip("torch")
    assert _spectral_errors(ad, nn) == _spectral_errors(torch, torch.nn)


# --- weight_norm ----------------------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, None, -1])
def test_weight_norm_as_torch(dim):
    torch = pytest.importorskip("torch")
    results = []
    for lib, space, optim in _spaces(torch):
        layer = _twin(space, torch, lambda s: s.Conv2d(2, 3, 3))
        (torch.nn.utils.parametrizations if lib is torch else PZ).weight_norm(layer, dim=dim)
        g = layer.parametrizations.weight.original0
        v = layer.parametrizations.weight.original1
        out = [list(layer.state_dict()), repr(layer), _np(g), _np(layer.weight)]
        opt = optim.SGD(layer.parameters(), lr=0.1)
        x = _input(lib, (2, 2, 5, 5))
        for _ in range(2):
            opt.zero_grad()
            (layer(x) ** 2).sum().backward()
            out += [g.grad.detach().numpy().copy(), v.grad.detach().numpy().copy()]
            opt.step()
        out.append(_np(layer.weight))
        space.utils.parametrize.remove_parametrizations(layer, "weight")
        out += [_np(layer.weight), list(layer.state_dict())]
        results.append(out)
    _compare(*results)


def test_signatures_as_torch():
    torch = pytest.importorskip("torch")
    pairs = [(torch.nn.utils.parametrizations, PZ, PZ.__all__)]
    pairs.append((torch.nn.utils, nn.utils, ["spectral_norm", "remove_spectral_norm"]))
    for theirs, ours, names in pairs:
        for name in names:
            t = inspect.signature(getattr(theirs, name)).parameters.values()
            o = inspect.signature(getattr(ours, name)).parameters.values()
            assert [(p.name, p.kind, p.default) for p in o] == [
                (p.name, p.kind, p.default) for p in t
            ], name
    assert sorted(PZ.__all__) == sorted(torch.nn.utils.parametrizations.__all__)


def test_spectral_norm_and_weight_norm_gradcheck_float64():
    layer = PZ.spectral_norm(nn.Linear(4, 3)).double().eval()  # eval: u, v stay put
    sn = layer.parametrizations.weight[0]
    W = ad.randn(3, 4, dtype=ad.float64, requires_grad=True)
    assert ad.autograd.gradcheck(sn, (W,))
    wn = PZ.weight_norm(nn.Linear(4, 3), dim=1).parametrizations.weight[0]
    g = ad.rand(1, 4, dtype=ad.float64, requires_grad=True)
    assert ad.autograd.gradcheck(wn, (g, W))


def test_parametrized_module_changes_dtype():
    layer = PZ.orthogonal(nn.Linear(3, 3)).double()
    out = layer(ad.ones(1, 3, dtype=ad.float64))
    assert layer.weight.dtype == out.dtype == ad.float64


def _old_weight_norm_into_new(lib, space):
    """A deprecated weight_norm layer's state dict (weight_g, weight_v) loaded into a layer
    with the parametrization: the keys torch's load pre-hook renames, and equal outputs."""
    import warnings

    lib.manual_seed(0)
    old, new = space.Linear(3, 2), space.Linear(3, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        space.utils.weight_norm(old)
    space.utils.parametrizations.weight_norm(new)
    checkpoint = old.state_dict()
    result = new.load_state_dict(checkpoint)
    x = lib.ones(1, 3)
    return (list(checkpoint), list(result.missing_keys), list(result.unexpected_keys),
            (new(x) - old(x)).abs().max().item())  # fmt: skip


def test_an_old_weight_norm_state_dict_loads_into_the_parametrization_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _old_weight_norm_into_new(ad, nn), _old_weight_norm_into_new(torch, torch.nn)
    assert ours == theirs
    assert ours[0] == ["bias", "weight_g", "weight_v"] and ours[3] < 1e-6
