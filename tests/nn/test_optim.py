"""Optimizers: 50 steps on the same MLP and data as torch.optim give the same parameters;
state_dict round trip; schedulers against torch; clip_grad_norm_; errors."""

import numpy as np
import pytest

import autodiff as ad
import nn

OPTIMIZERS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=1e-2)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=1e-3, initial_accumulator_value=0.1)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=1e-2)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=1e-2, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
]


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
    theirs.load_state_dict(
        {k: torch.tensor(v.detach().numpy()) for k, v in ours.state_dict().items()}
    )
    return ours, theirs


@pytest.mark.parametrize(
    "name,kwargs", OPTIMIZERS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(OPTIMIZERS)]
)
def test_fifty_steps_match_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch)
    opt = getattr(nn.optim, name)(ours.parameters(), **kwargs)
    opt_t = getattr(torch.optim, name)(theirs.parameters(), **kwargs)
    x, y = _data()
    for _ in range(50):
        opt.zero_grad()
        nn.functional.cross_entropy(ours(ad.tensor(x)), ad.tensor(y)).backward()
        opt.step()
        opt_t.zero_grad()
        torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y)).backward()
        opt_t.step()
    for (k, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
        np.testing.assert_allclose(a, b.detach().numpy(), rtol=1e-9, atol=1e-12, err_msg=k)


def test_state_dict_round_trip_continues_identically():
    ad.manual_seed(1)
    x, y = _data()

    def run(model, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            nn.functional.cross_entropy(model(ad.tensor(x).float()), ad.tensor(y)).backward()
            opt.step()

    a = nn.Linear(5, 3)
    b = nn.Linear(5, 3)
    b.load_state_dict(a.state_dict())
    opt_a = nn.optim.Adam(a.parameters(), lr=0.01)
    run(a, opt_a, 3)
    opt_b = nn.optim.Adam(b.parameters(), lr=0.5)
    b.load_state_dict(a.state_dict())
    opt_b.load_state_dict(opt_a.state_dict())
    assert opt_b.param_groups[0]["lr"] == 0.01 and opt_b.state_dict()["state"][0]["step"] == 3
    run(a, opt_a, 2)
    run(b, opt_b, 2)
    np.testing.assert_array_equal(a.weight.detach().numpy(), b.weight.detach().numpy())


def test_param_groups_have_their_own_hyperparameters():
    a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    opt = nn.optim.SGD([{"params": a.parameters()}, {"params": b.parameters(), "lr": 0.5}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    for p in list(a.parameters()) + list(b.parameters()):
        p.grad = ad.ones(*p.shape)
    before_a, before_b = a.weight.detach().numpy().copy(), b.weight.detach().numpy().copy()
    opt.step()
    np.testing.assert_allclose(a.weight.detach().numpy(), before_a - 0.1, rtol=1e-6)
    np.testing.assert_allclose(b.weight.detach().numpy(), before_b - 0.5, rtol=1e-6)
    opt.zero_grad()
    assert a.weight.grad is None
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a.weight]})


def test_step_skips_parameters_without_gradients_and_keeps_dtype():
    m = nn.Linear(3, 2)
    before = m.weight.detach().numpy().copy()
    nn.optim.Adam(m.parameters()).step()
    np.testing.assert_array_equal(m.weight.detach().numpy(), before)
    m.weight.grad = ad.ones(2, 3)
    nn.optim.Adam(m.parameters()).step()
    assert m.weight.dtype == np.float32


def test_optimizer_errors():
    with pytest.raises(ValueError, match="empty parameter list"):
        nn.optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        nn.optim.Adam(nn.ReLU().parameters())
    with pytest.raises(TypeError, match="iterable of Tensors"):
        nn.optim.SGD(nn.Parameter(ad.ones(1)), lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate"):
        nn.optim.SGD(nn.Linear(1, 1).parameters(), lr=-1)
    with pytest.raises(ValueError, match="Nesterov"):
        nn.optim.SGD(nn.Linear(1, 1).parameters(), lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="beta"):
        nn.optim.Adam(nn.Linear(1, 1).parameters(), betas=(0.9, 1.0))


SCHEDULERS = [("StepLR", dict(step_size=3, gamma=0.5)), ("ExponentialLR", dict(gamma=0.9)),
              ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01)),
              ("CosineAnnealingLR", dict(T_max=4))]  # fmt: skip


@pytest.mark.parametrize("name,kwargs", SCHEDULERS)
def test_schedulers_match_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    opt = nn.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    opt_t = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.1)
    sched = getattr(nn.optim.lr_scheduler, name)(opt, **kwargs)
    sched_t = getattr(torch.optim.lr_scheduler, name)(opt_t, **kwargs)
    for _ in range(20):
        assert sched.get_last_lr() == pytest.approx(sched_t.get_last_lr(), rel=1e-12, abs=1e-15)
        opt.step(), opt_t.step()
        sched.step(), sched_t.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(opt_t.param_groups[0]["lr"], abs=1e-15)


def test_clip_grad_norm_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    for norm_type, max_norm in ((2.0, 1.0), (1.0, 2.0), (float("inf"), 0.5), (2.0, 100.0)):
        ours = [nn.Parameter(ad.tensor(g)) for g in grads]
        theirs = [torch.nn.Parameter(torch.tensor(g)) for g in grads]
        for p, g in zip(ours + theirs, grads + grads):
            p.grad = ad.tensor(g.copy()) if isinstance(p, ad.Tensor) else torch.tensor(g.copy())
        total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
        total_t = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
        assert total.item() == pytest.approx(total_t.item(), rel=1e-12)
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(p.grad.detach().numpy(), q.grad.detach().numpy(), rtol=1e-12)
