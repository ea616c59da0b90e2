"""The optimizers added for PyTorch programs (Adadelta, Adamax, NAdam, RAdam) and torch's
options of all of them: trajectories against torch, state_dict round trips (ours and torch's),
defaults, and the refusal of non-finite, negative or non-number hyperparameters.
(Schedulers: test_torch_schedulers.py.)"""

import importlib
import inspect
import types
from pathlib import Path

import numpy as np
import pytest

import autodiff as ad
import nn

# every optimizer nn.optim exports, read from its __all__ (a new one joins every test below)
NAMES = [
    n
    for n in nn.optim.__all__
    if inspect.isclass(c := getattr(nn.optim, n))
    and issubclass(c, nn.optim.Optimizer)
    and c is not nn.optim.Optimizer
]
# the optimizers the generic step loop below cannot drive, and the test that compares each
OWN_TESTS = {
    "LBFGS": "step(closure) evaluates the loss itself: tests/nn/test_torch_lbfgs.py",
    "SparseAdam": "torch's takes sparse gradients only: tests/nn/test_torch_sparse_adam.py",
}
STEPPED = [n for n in NAMES if n not in OWN_TESTS]


def _options(name) -> set:
    return set(inspect.signature(getattr(nn.optim, name)).parameters)


# options for the runs with each optimizer's defaults, where a default barely moves in 30 steps
DEFAULTS = {"SGD": dict(lr=0.1, momentum=0.9)}
# option variants beyond the defaults (test_optim.py: SGD, Adagrad, RMSprop, Adam, AdamW)
VARIANTS = [
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=1e-2)),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=1e-2)),
    ("NAdam", dict(lr=0.01, momentum_decay=1e-2, weight_decay=1e-2)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=1e-2)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adamax", dict(lr=0.01, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adam", dict(lr=0.01, weight_decay=1.0)),  # a decay of exactly 1 still decays
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.02), maximize=True)),
    ("ASGD", dict(lr=0.05, lambd=1e-2, alpha=0.5, t0=5, weight_decay=1e-2)),  # averages from 6
    ("Adafactor", dict(lr=0.05, beta2_decay=-0.5, eps=(1e-20, 1e-2), d=1.5, weight_decay=0.1)),
    ("Adafactor", dict(lr=0.05, maximize=True)),
    ("Muon", dict(lr=0.02, momentum=0.9, nesterov=False, adjust_lr_fn="match_rms_adamw")),
    ("Muon", dict(lr=0.02, adjust_lr_fn="original", ns_coefficients=(2.0, -1.5, 0.5), ns_steps=3)),
]
OPTIMIZERS = [(n, DEFAULTS.get(n, {})) for n in STEPPED] + VARIANTS
IDS = [f"{n}-{i}" for i, (n, _) in enumerate(OPTIMIZERS)]


# optimizers for some parameters only, as torch's own are (Muon: 2-D matrices, not biases)
ONLY = {"Muon": lambda p: p.ndim == 2}


def _optimizer(lib, name, model, **kwargs):
    """lib.optim's optimizer `name` over the parameters of model it takes (ONLY), with kwargs."""
    params = [p for p in model.parameters() if ONLY.get(name, lambda _: True)(p)]
    return getattr(lib.optim, name)(params, **kwargs)


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((16, 5)), rng.integers(0, 3, 16)


def _pair(torch):
    ad.manual_seed(0)
    ours = nn.Sequential(
        nn.Linear(5, 8, dtype=ad.float64), nn.Tanh(), nn.Linear(8, 3, dtype=ad.float64)
    )
    theirs = torch.nn.Sequential(
        torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)
    ).double()
    theirs.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in ours.state_dict().items()})
    return ours, theirs


def _steps(torch, ours, theirs, opt, opt_t, n):
    x, y = _data()
    for _ in range(n):
        opt.zero_grad()
        nn.functional.cross_entropy(ours(ad.tensor(x)), ad.tensor(y)).backward()
        opt.step()
        opt_t.zero_grad()
        torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y)).backward()
        opt_t.step()


# Muon rounds its update to bfloat16 (as torch does), where a last-bit difference in the model's
# gradients can flip a rounding: within 1e-5 after 30 steps of 1e-3 (one flip moves ~4e-6).
# Given the same gradients, its steps are torch's bit for bit (test_muon_steps_bit_for_bit).
TOLERANCE = {"Muon": dict(rtol=0, atol=1e-5)}


def _assert_same(ours, theirs, name=None):
    tolerance = TOLERANCE.get(name, dict(rtol=1e-9, atol=1e-12))
    for (k, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
        np.testing.assert_allclose(a, b.detach().numpy(), **tolerance, err_msg=k)


@pytest.mark.parametrize("name,kwargs", OPTIMIZERS, ids=IDS)
def test_thirty_steps_match_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch)
    opt = _optimizer(nn, name, ours, **kwargs)
    opt_t = _optimizer(torch, name, theirs, **kwargs)
    before = ours[0].weight.detach().numpy().copy()
    _steps(torch, ours, theirs, opt, opt_t, 30)
    assert not np.allclose(before, ours[0].weight.detach().numpy())  # the parameters did move
    _assert_same(ours, theirs, name)
    state, state_t = opt.state_dict()["state"][0], opt_t.state_dict()["state"][0]
    assert sorted(state) == sorted(state_t)
    for key, value in state_t.items():
        np.testing.assert_allclose(
            np.asarray(state[key]), value.detach().numpy(), rtol=1e-6, err_msg=key
        )


@pytest.mark.parametrize("name,kwargs", OPTIMIZERS[::2], ids=IDS[::2])
def test_state_dict_round_trip_continues_like_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch)
    opt = _optimizer(nn, name, ours, **kwargs)
    opt_t = _optimizer(torch, name, theirs, **kwargs)
    _steps(torch, ours, theirs, opt, opt_t, 5)
    resumed = _optimizer(nn, name, ours, lr=0.123)
    resumed.load_state_dict(opt.state_dict())
    assert resumed.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    _steps(torch, ours, theirs, resumed, opt_t, 5)
    _assert_same(ours, theirs, name)


def _numpy_state(state_dict):
    """torch's optimizer state_dict with NumPy values (tensors become arrays)."""
    return {
        "state": {
            i: {k: v.detach().numpy() if hasattr(v, "numpy") else v for k, v in s.items()}
            for i, s in state_dict["state"].items()
        },
        "param_groups": state_dict["param_groups"],
    }


ALL_NAMES = [(n, DEFAULTS.get(n, {})) for n in STEPPED]


def test_every_optimizer_is_stepped_against_torch_or_names_its_own_test():
    assert {n for n, _ in OPTIMIZERS} == set(STEPPED) and len(STEPPED) >= 9
    for name, reason in OWN_TESTS.items():
        assert name in NAMES, f"OWN_TESTS names {name}, which nn.optim no longer exports"
        test = Path(__file__).parents[2] / reason.rsplit(": ", 1)[1]
        assert f"torch.optim.{name}" in test.read_text(), f"{test} does not compare {name}"


@pytest.mark.parametrize("name,kwargs", ALL_NAMES)
def test_a_torch_optimizer_state_dict_loads_and_continues_like_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch)
    opt_t = _optimizer(torch, name, theirs, **kwargs)
    scratch = _optimizer(nn, name, ours, **kwargs)
    _steps(torch, ours, theirs, scratch, opt_t, 4)  # both models move, torch's state grows
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    opt = _optimizer(nn, name, ours, **kwargs)
    opt.load_state_dict(_numpy_state(opt_t.state_dict()))
    _steps(torch, ours, theirs, opt, opt_t, 4)
    _assert_same(ours, theirs, name)


@pytest.mark.parametrize("name,kwargs", ALL_NAMES)
def test_the_state_holds_what_torchs_holds(name, kwargs):
    """optimizer.state[p]: the same keys, each a Tensor of torch's shape and dtype (the step
    count a 0-d float32 tensor), that state_dict copies rather than shares."""
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch)
    opt = _optimizer(nn, name, ours, **kwargs)
    opt_t = _optimizer(torch, name, theirs, **kwargs)
    _steps(torch, ours, theirs, opt, opt_t, 3)
    state, state_t = opt.state[ours[0].weight], opt_t.state[theirs[0].weight]
    assert sorted(state) == sorted(state_t)
    for key, value in state_t.items():
        assert isinstance(state[key], ad.Tensor), key
        assert state[key].shape == tuple(value.shape), key
        assert str(state[key].dtype) == str(value.dtype), key
    if "step" in state_t:
        assert state["step"].item() == state_t["step"].item() == 3.0
    saved = opt.state_dict()["state"][0]
    key = sorted(k for k in state if k != "step")[0]
    saved[key].detach().numpy()[...] = 7.0
    assert not np.any(state[key].detach().numpy() == 7.0)


@pytest.mark.parametrize("name", NAMES)
def test_defaults_are_torchs(name):
    torch = pytest.importorskip("torch")
    ours = getattr(nn.optim, name)([nn.Parameter(ad.zeros(1, 1))]).defaults
    theirs = getattr(torch.optim, name)([torch.zeros(1, 1, requires_grad=True)]).defaults
    assert list(ours.items()) == list(theirs.items())  # in torch's order, as groups print


def test_a_users_optimizer_keeps_the_order_of_its_defaults_as_torch():
    """Our optimizers order their defaults as torch's; a user's subclass keeps its dict's."""
    torch = pytest.importorskip("torch")

    def mine(base, param):
        class Mine(base):
            def __init__(self, params, lr=0.1, momentum=0.9):
                super().__init__(params, dict(momentum=momentum, lr=lr, dampening=0))

        return list(Mine([param]).defaults)

    ours = mine(nn.optim.Optimizer, nn.Parameter(ad.zeros(1)))
    assert ours == mine(torch.optim.Optimizer, torch.zeros(1, requires_grad=True))
    assert ours == ["momentum", "lr", "dampening"]


def test_torchs_implementation_switches_are_accepted_and_change_nothing():
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch)
    opt = nn.optim.AdamW(ours.parameters(), lr=0.01, foreach=True, fused=False, capturable=True)
    opt_t = torch.optim.AdamW(theirs.parameters(), lr=0.01, foreach=False)
    _steps(torch, ours, theirs, opt, opt_t, 5)
    _assert_same(ours, theirs)
    with pytest.raises(ValueError, match="SGD: differentiable=True is not supported"):
        nn.optim.SGD(ours.parameters(), differentiable=True)
    decoupled = nn.optim.Adam(ours.parameters(), decoupled_weight_decay=True, weight_decay=0.1)
    assert decoupled.defaults["decoupled_weight_decay"] is True


BAD = [
    ("lr", float("nan"), ValueError, "finite"),
    ("lr", float("inf"), ValueError, "finite"),
    ("lr", -0.1, ValueError, ">= 0"),
    ("lr", "0.1", TypeError, "real number"),
    ("lr", None, TypeError, "real number"),
    ("weight_decay", float("nan"), ValueError, "weight_decay"),
    ("weight_decay", -1.0, ValueError, "weight_decay"),
    ("eps", float("inf"), ValueError, "epsilon"),
    ("eps", -1e-8, ValueError, "epsilon"),
]


@pytest.mark.parametrize("name", STEPPED)
@pytest.mark.parametrize("key,value,error,match", BAD, ids=[f"{b[0]}={b[1]!r}" for b in BAD])
def test_every_optimizer_refuses_bad_hyperparameters(name, key, value, error, match):
    if key not in _options(name):  # an option it does not have (SGD's eps): its own test
        pytest.skip(f"{name} has no {key}")
    with pytest.raises(error, match=match) as info:
        getattr(nn.optim, name)(nn.Linear(2, 1).parameters(), **{key: value})
    assert name in str(info.value) and repr(value)[:4].strip("'") in str(info.value)


@pytest.mark.parametrize("name", [n for n in NAMES if "betas" in _options(n)])
@pytest.mark.parametrize("betas", [(1.0, 0.9), (0.9, -0.1), (0.9, float("nan")), (0.9,), "ab"])
def test_betas_outside_unit_interval_are_refused(name, betas):
    with pytest.raises((ValueError, TypeError), match=f"{name}.*beta"):
        getattr(nn.optim, name)(nn.Linear(2, 1).parameters(), betas=betas)


def test_other_hyperparameters_are_checked():
    params = nn.Linear(2, 1).parameters
    with pytest.raises(ValueError, match="SGD: Invalid momentum value: nan"):
        nn.optim.SGD(params(), lr=0.1, momentum=float("nan"))
    with pytest.raises(ValueError, match="SGD: Invalid dampening"):
        nn.optim.SGD(params(), lr=0.1, momentum=0.9, dampening=float("inf"))
    with pytest.raises(ValueError, match="RMSprop: Invalid momentum value: -1"):
        nn.optim.RMSprop(params(), momentum=-1)
    with pytest.raises(ValueError, match="Adadelta: Invalid rho"):
        nn.optim.Adadelta(params(), rho=1.5)
    with pytest.raises(ValueError, match="NAdam: Invalid momentum_decay"):
        nn.optim.NAdam(params(), momentum_decay=-1)
    with pytest.raises(ValueError, match="Adam: Invalid learning rate value: nan"):
        nn.optim.Adam([{"params": params(), "lr": float("nan")}])
    with pytest.raises(ValueError, match="SGD: Invalid momentum value: inf"):
        nn.optim.SGD([{"params": params(), "momentum": float("inf")}], lr=0.1)
    with pytest.raises(ValueError, match="NAdam: Invalid beta parameter at index 0"):
        nn.optim.NAdam([{"params": params(), "betas": (1.5, 0.9)}])


def test_loading_a_state_dict_with_a_bad_hyperparameter_changes_nothing():
    opt = nn.optim.Adam(nn.Linear(2, 1).parameters(), lr=0.01)
    state = opt.state_dict()
    state["param_groups"][0]["lr"] = float("nan")
    with pytest.raises(ValueError, match="Adam: Invalid learning rate value: nan"):
        opt.load_state_dict(state)
    assert opt.param_groups[0]["lr"] == 0.01


def test_a_one_element_tensor_lr_steps_like_a_float():
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch)
    opt = nn.optim.SGD(ours.parameters(), lr=ad.tensor(0.1), momentum=0.9)
    opt_t = torch.optim.SGD(theirs.parameters(), lr=torch.tensor(0.1), momentum=0.9)
    assert isinstance(opt.param_groups[0]["lr"], float)
    _steps(torch, ours, theirs, opt, opt_t, 3)
    _assert_same(ours, theirs)


@pytest.mark.parametrize("nesterov", [True, False])
@pytest.mark.parametrize("shape", [(8, 5), (3, 8), (6, 6)])
def test_muon_steps_bit_for_bit_on_the_same_gradients(shape, nesterov):
    """The same gradients: Muon's bfloat16 Newton-Schulz and its steps are torch's exactly."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    start = rng.standard_normal(shape)
    ours, theirs = nn.Parameter(ad.tensor(start)), torch.tensor(start, requires_grad=True)
    kwargs = dict(lr=0.02, nesterov=nesterov, weight_decay=0.05)
    opt, opt_t = nn.optim.Muon([ours], **kwargs), torch.optim.Muon([theirs], **kwargs)
    for _ in range(6):
        grad = rng.standard_normal(shape)
        ours.grad, theirs.grad = ad.tensor(grad), torch.tensor(grad)
        opt.step()
        opt_t.step()
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    buf, buf_t = opt.state[ours]["momentum_buffer"], opt_t.state[theirs]["momentum_buffer"]
    np.testing.assert_array_equal(buf.detach().numpy(), buf_t.detach().numpy())
    assert not np.array_equal(ours.detach().numpy(), start)


def test_muon_refuses_what_torch_refuses():
    torch = pytest.importorskip("torch")
    cases = [
        (dict(), [(5,)], "only 2-D parameters.*\\(5,\\).*AdamW"),
        (dict(adjust_lr_fn="rms"), [(2, 2)], "Adjust learning rate function 'rms'"),
        (dict(ns_coefficients=(1.0, 2.0)), [(2, 2)], "ns_coefficients must be 3 numbers"),
        (dict(ns_steps=100), [(2, 2)], "ns_steps must be an int in \\[0, 100\\)"),
        (dict(momentum=-0.1), [(2, 2)], "Invalid momentum value: -0.1"),
    ]
    for kwargs, shapes, message in cases:
        with pytest.raises(ValueError, match="Muon: " + message):
            nn.optim.Muon([nn.Parameter(ad.zeros(*s)) for s in shapes], **kwargs)
        theirs = [torch.zeros(*s, requires_grad=True) for s in shapes]
        with pytest.raises(ValueError):  # torch refuses too: at construction or at the step
            opt = torch.optim.Muon(theirs, **kwargs)
            for p in theirs:
                p.grad = torch.ones_like(p)
            opt.step()


def test_adafactor_and_rprop_refuse_what_torch_refuses():
    torch = pytest.importorskip("torch")
    cases = [
        ("Adafactor", dict(beta2_decay=0.5), "beta2_decay should be <= 0 but is: 0.5"),
        ("Adafactor", dict(d=0.5), "Clipping threshold d should be >= 1 but is: 0.5"),
        ("Adafactor", dict(eps=(-1.0, 1e-3)), "Invalid epsilon1 value: -1.0"),
        ("Adafactor", dict(eps=(None, -1.0)), "Invalid epsilon2 value: -1.0"),
        ("Rprop", dict(etas=(1.5, 1.2)), "Invalid eta values: 1.5, 1.2"),
        ("Rprop", dict(etas=(0.5, 0.9)), "Invalid eta values: 0.5, 0.9"),
        ("ASGD", dict(weight_decay=-1.0), "Invalid weight_decay value: -1.0"),
    ]
    for name, kwargs, message in cases:
        with pytest.raises(ValueError, match=f"{name}: {message}"):
            getattr(nn.optim, name)([nn.Parameter(ad.zeros(2, 2))], **kwargs)
        with pytest.raises(ValueError):
            getattr(torch.optim, name)([torch.zeros(2, 2, requires_grad=True)], **kwargs)


def test_adafactor_keeps_a_row_and_a_column_factor_of_a_matrix_as_torch():
    """A (2, 3, 4) parameter: factors over the last two dims, (2, 3, 1) and (2, 1, 4)."""
    torch = pytest.importorskip("torch")
    start = np.random.default_rng(1).standard_normal((2, 3, 4))
    ours, theirs = nn.Parameter(ad.tensor(start)), torch.tensor(start, requires_grad=True)
    opt, opt_t = nn.optim.Adafactor([ours], lr=0.1), torch.optim.Adafactor([theirs], lr=0.1)
    for step in range(4):
        grad = np.random.default_rng(step).standard_normal((2, 3, 4))
        ours.grad, theirs.grad = ad.tensor(grad), torch.tensor(grad)
        opt.step()
        opt_t.step()
    for key in ("row_var", "col_var"):
        assert opt.state[ours][key].shape == tuple(opt_t.state[theirs][key].shape)
        np.testing.assert_allclose(
            opt.state[ours][key].detach().numpy(),
            opt_t.state[theirs][key].detach().numpy(),
            rtol=1e-12,
        )
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)


def _step_hook_calls(lib, optim, parameter, make):
    """What step pre- and post-hooks see over three steps (the post-hook removed after one)."""
    p = parameter(lib.tensor([1.0, -2.0]))
    opt, calls = make(optim, p), []
    opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", len(args), kwargs)))
    post = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", o is opt)))

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    for i in range(3):
        opt.step(closure)
        if i == 0:
            post.remove()
    return calls, p.tolist()


@pytest.mark.parametrize(
    "make",
    [lambda optim, p: optim.SGD([p], lr=0.1), lambda optim, p: optim.LBFGS([p], max_iter=2)],
    ids=["SGD", "LBFGS"],
)
def test_step_hooks_as_torch(make):
    torch = pytest.importorskip("torch")
    ours = _step_hook_calls(ad, nn.optim, nn.Parameter, make)
    theirs = _step_hook_calls(torch, torch.optim, torch.nn.Parameter, make)
    assert ours[0] == theirs[0] == [("pre", 2, {}), ("post", True), ("pre", 2, {}), ("pre", 2, {})]
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6, atol=1e-6)  # LBFGS: near 0


def _global_step_hook_calls(lib, optim_module, optim):
    """The order of global and per-optimizer step hooks over two steps, the global pre-hook's
    replaced arguments reaching step(), and nothing once the handles are removed."""
    p = lib.nn.Parameter(lib.tensor([1.0, -2.0]))
    opt, calls = optim.SGD([p], lr=0.1), []
    p.grad = lib.tensor([1.0, 1.0])

    def global_pre(o, args, kwargs):
        calls.append(("global pre", o is opt))
        return args, {"closure": lambda: calls.append("closure") or 0.0}

    handles = [
        optim_module.register_optimizer_step_pre_hook(global_pre),
        optim_module.register_optimizer_step_post_hook(lambda o, a, k: calls.append("global post")),
        opt.register_step_pre_hook(lambda o, a, k: calls.append(("pre", sorted(k)))),
        opt.register_step_post_hook(lambda o, a, k: calls.append("post")),
    ]
    opt.step()
    for handle in handles:
        handle.remove()
    opt.step()
    return calls, p.tolist()


def test_global_step_hooks_as_torch():
    torch = pytest.importorskip("torch")
    ours = _global_step_hook_calls(
        types.SimpleNamespace(nn=nn, tensor=ad.tensor), nn.optim.optimizer, nn.optim
    )
    optimizer_module = importlib.import_module("torch.optim.optimizer")
    theirs = _global_step_hook_calls(torch, optimizer_module, torch.optim)
    assert ours == theirs
    assert ours[0] == [("global pre", True), ("pre", ["closure"]), "closure", "post", "global post"]


def _state_dict_hook_calls(lib, optim):
    """What the optimizer's state-dict and load hooks see and change, with prepend."""
    p = lib.nn.Parameter(lib.tensor([1.0, -2.0]))
    opt, calls = optim.Adam([p], lr=0.1), []
    p.grad = lib.tensor([0.5, 0.5])
    opt.step()

    def add_note(o, state_dict):
        calls.append(("post", sorted(state_dict)))
        return {**state_dict, "note": 1}

    opt.register_state_dict_pre_hook(lambda o: calls.append("pre"))
    opt.register_state_dict_post_hook(add_note)
    opt.register_state_dict_pre_hook(lambda o: calls.append("pre first"), prepend=True)
    saved = opt.state_dict()

    def halve_lr(o, state_dict):
        calls.append(("load pre", sorted(state_dict)))
        groups = [{**g, "lr": g["lr"] / 2} for g in state_dict["param_groups"]]
        return {**state_dict, "param_groups": groups}

    def drop_note(o, state_dict):
        state_dict.pop("note")  # the copy: the caller's dict keeps it

    opt.register_load_state_dict_pre_hook(halve_lr)
    opt.register_load_state_dict_pre_hook(drop_note, prepend=True)
    handle = opt.register_load_state_dict_post_hook(lambda o: calls.append("load post"))
    opt.load_state_dict(saved)
    handle.remove()
    opt.load_state_dict(saved)
    return calls, sorted(saved), opt.param_groups[0]["lr"]


def test_state_dict_hooks_as_torch():
    torch = pytest.importorskip("torch")
    ours = _state_dict_hook_calls(types.SimpleNamespace(nn=nn, tensor=ad.tensor), nn.optim)
    theirs = _state_dict_hook_calls(torch, torch.optim)
    assert ours == theirs
    assert ours[0][:3] == ["pre first", "pre", ("post", ["param_groups", "state"])]
    assert ours[1] == ["note", "param_groups", "state"] and ours[2] == 0.05


def test_step_hooks_run_in_compiled_replays():
    p = nn.Parameter(ad.tensor([1.0, -2.0]))
    opt, calls = nn.optim.SGD([p], lr=0.1), []
    opt.register_step_post_hook(lambda o, args, kwargs: calls.append(p.tolist()))

    @ad.compile
    def step():
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()

    for _ in range(4):
        step()
    assert len(calls) == 4 and calls[-1] == pytest.approx([1.0 * 0.8**4, -2.0 * 0.8**4])


def _clipped(lib, space, norm_type):
    """torch.nn.utils' clipping functions on the same gradients: their results and the grads."""
    grads = [np.array([3.0, -4.0]), np.array([[1.0, 2.0], [0.5, -0.5]])]
    params = [space.Parameter(lib.tensor(np.zeros_like(g))) for g in grads]
    for p, g in zip(params, grads):
        p.grad = lib.tensor(g)
    utils = space.utils
    total = utils.get_total_norm([p.grad for p in params], norm_type, foreach=False)
    utils.clip_grads_with_norm_(params, 2.0, total)
    again = utils.clip_grad_norm_(iter(params), 1.0, norm_type, foreach=None)  # an iterator
    with pytest.warns(FutureWarning, match="`torch.nn.utils.clip_grad_norm` is now deprecated"):
        utils.clip_grad_norm(params, 0.5, norm_type)
    return [total.item(), again.item()] + [p.grad.tolist() for p in params]


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_clipping_functions_as_torch(norm_type):
    torch = pytest.importorskip("torch")
    ours, theirs = _clipped(ad, nn, norm_type), _clipped(torch, torch.nn, norm_type)
    np.testing.assert_allclose(ours[:2], theirs[:2], rtol=1e-12)
    for a, b in zip(ours[2:], theirs[2:]):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def _named_groups(lib, space, optim):
    """An optimizer given named_parameters(), in two groups: its state dict's groups after a
    step, and the parameters."""
    model = space.Sequential(space.Linear(3, 2), space.Linear(2, 1))
    with lib.no_grad():
        for k, p in enumerate(model.parameters()):
            p.copy_(lib.tensor(np.linspace(-1, 1, p.numel()).reshape(tuple(p.shape)) + k))
    first, second = list(model[0].named_parameters()), list(model[1].named_parameters())
    opt = optim.SGD([{"params": first}, {"params": second, "lr": 0.5}], lr=0.1)
    model(lib.ones(4, 3)).sum().backward()
    opt.step()
    groups = [(g["param_names"], g["params"], g["lr"]) for g in opt.state_dict()["param_groups"]]
    return groups, [p.detach().numpy().copy() for p in model.parameters()]


def test_named_parameters_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _named_groups(ad, nn, nn.optim), _named_groups(torch, torch.nn, torch.optim)
    assert (
        ours[0]
        == theirs[0]
        == [(["weight", "bias"], [0, 1], 0.1), (["weight", "bias"], [2, 3], 0.5)]
    )
    for a, b in zip(ours[1], theirs[1]):
        np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize("lib_name", ["ours", "torch"])
def test_parameter_lists_refused_as_torch(lib_name):
    torch = pytest.importorskip("torch")
    lib, space, optim = (ad, nn, nn.optim) if lib_name == "ours" else (torch, torch.nn, torch.optim)
    layer = space.Linear(2, 2)
    named, plain = list(layer.named_parameters()), list(layer.parameters())
    with pytest.raises(ValueError, match="Some param names are missing"):
        optim.SGD([named[0], plain[1]], lr=0.1)
    opt = optim.SGD([named[0]], lr=0.1)
    with pytest.raises(ValueError, match="cannot add param group without names"):
        opt.add_param_group({"params": [plain[1]]})
    with pytest.raises(TypeError, match="ordered collections"):  # a group's set (torch takes
        optim.SGD([{"params": set(plain)}], lr=0.1)  # a bare set, as a list)
    w = lib.ones(2, requires_grad=True)
    h = w * 2
    h.retain_grad()  # a non-leaf that keeps its gradient may be optimized, as in torch
    assert optim.SGD([h], lr=0.1).param_groups[0]["params"][0] is h


def test_an_optimizer_prints_as_torchs():
    torch = pytest.importorskip("torch")
    ours = nn.Linear(2, 2)
    theirs = torch.nn.Linear(2, 2)
    for make in (
        lambda lib, m: lib.SGD(
            [{"params": [m.weight]}, {"params": [m.bias], "lr": 0.1}], lr=0.01, momentum=0.9
        ),
        lambda lib, m: lib.Adam(m.parameters(), weight_decay=1e-4),
        lambda lib, m: lib.RMSprop(m.parameters()),
    ):
        assert repr(make(nn.optim, ours)) == repr(make(torch.optim, theirs))
