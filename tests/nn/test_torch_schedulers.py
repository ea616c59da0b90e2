"""Learning-rate schedulers against torch: every scheduler's rates (and cycled momentum) over
20 steps with SGD and Adam, closed forms, SequentialLR, fractional warm restarts,
ReduceLROnPlateau on a metric with a plateau, state_dict round trips, and the errors."""

import math
import warnings

import numpy as np
import pytest

import autodiff as ad
import nn

# --- schedulers ---------------------------------------------------------------------------
SCHEDULERS = [
    ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.5)),
    ("LambdaLR", dict(lr_lambda=lambda e: 0.95**e)),
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=0.5, end_factor=0.1, total_iters=8)),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=21)),
    ("OneCycleLR", dict(max_lr=[0.5], epochs=3, steps_per_epoch=7, anneal_strategy="linear")),
    ("OneCycleLR", dict(max_lr=0.3, total_steps=21, three_phase=True, pct_start=0.25)),
    ("ConstantLR", dict()),
    ("ConstantLR", dict(factor=0.5, total_iters=3)),
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.9 if e % 2 else 1.05)),
    ("PolynomialLR", dict(total_iters=12, power=2.0)),
    ("PolynomialLR", dict()),
    ("CosineAnnealingWarmRestarts", dict(T_0=3)),
    ("CosineAnnealingWarmRestarts", dict(T_0=2, T_mult=2, eta_min=0.001)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3)),
    (
        "CyclicLR",
        dict(base_lr=0.01, max_lr=0.1, step_size_up=2, step_size_down=4, mode="triangular2"),
    ),
    ("CyclicLR", dict(base_lr=[0.01], max_lr=0.2, step_size_up=3, mode="exp_range", gamma=0.9)),
    (
        "CyclicLR",
        dict(
            base_lr=0.01,
            max_lr=0.1,
            step_size_up=2,
            scale_fn=lambda x: 0.5**x,
            scale_mode="iterations",
            cycle_momentum=False,
        ),
    ),
]


@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
@pytest.mark.parametrize("name,kwargs", SCHEDULERS)
def test_schedulers_match_torch(opt_name, name, kwargs):
    torch = pytest.importorskip("torch")
    opt = getattr(nn.optim, opt_name)(nn.Linear(2, 2).parameters(), lr=0.1)
    opt_t = getattr(torch.optim, opt_name)(torch.nn.Linear(2, 2).parameters(), lr=0.1)
    sched = getattr(nn.optim.lr_scheduler, name)(opt, **kwargs)
    sched_t = getattr(torch.optim.lr_scheduler, name)(opt_t, **kwargs)
    key = "betas" if opt_name == "Adam" else "momentum"
    seen = set()
    with warnings.catch_warnings(record=True) as stepping:
        warnings.simplefilter("always")
        for _ in range(20):
            assert sched.get_last_lr() == pytest.approx(sched_t.get_last_lr(), rel=1e-12)
            assert opt.param_groups[0][key] == pytest.approx(opt_t.param_groups[0][key], rel=1e-12)
            seen.add(round(sched.get_last_lr()[0], 12))
            opt.step(), opt_t.step()
            sched.step(), sched_t.step()
    assert not [w for w in stepping if "get_last_lr" in str(w.message)]  # step() asks quietly
    assert len(seen) >= 2  # the schedule did change the rate
    assert list(sched.state_dict()) == list(sched_t.state_dict())  # torch's names and order
    if name != "OneCycleLR":  # whose get_lr past its last step raises (tested below)
        with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`") as ours:
            lrs = sched.get_lr()  # the next step's rates, from the user: torch's note
        with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`") as theirs:
            lrs_t = sched_t.get_lr()
        assert len(ours) == len(theirs) == 1
        assert lrs == pytest.approx(lrs_t, rel=1e-12, abs=1e-15)


def _sequential(lib, opt, nested: bool):
    sched = lib.optim.lr_scheduler
    warmup = sched.LinearLR(opt, start_factor=0.1, total_iters=4)
    if nested:  # a nested SequentialLR can only come first: torch cannot restart one
        warmup = sched.SequentialLR(opt, [warmup, sched.ConstantLR(opt, 0.5, 2)], [4])
    cosine = sched.CosineAnnealingLR(opt, T_max=6)
    return sched.SequentialLR(opt, [warmup, cosine], milestones=[7 if nested else 4])


@pytest.mark.filterwarnings("ignore:Detected call of")  # torch warns for nested ones
@pytest.mark.parametrize("nested", [False, True])
def test_sequential_lr_matches_torch(nested):
    torch = pytest.importorskip("torch")
    opt = nn.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    opt_t = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.1)
    sched, sched_t = _sequential(nn, opt, nested), _sequential(torch, opt_t, nested)
    rates = []
    for _ in range(20):
        assert sched.get_last_lr() == pytest.approx(sched_t.get_last_lr(), rel=1e-12, abs=1e-15)
        assert opt.param_groups[0]["lr"] == pytest.approx(opt_t.param_groups[0]["lr"], abs=1e-15)
        rates.append(sched.get_last_lr()[0])
        opt.step(), opt_t.step()
        sched.step(), sched_t.step()
    assert rates[0] == pytest.approx(0.01) and max(rates) == pytest.approx(0.1)
    state = sched.state_dict()
    assert len(state["_schedulers"]) == 2
    with pytest.raises(ValueError, match="one more than the number of milestone"):
        nn.optim.lr_scheduler.SequentialLR(opt, [nn.optim.lr_scheduler.StepLR(opt, 2)], [1])


def test_scheduler_closed_form_and_state_dict_match_torch():
    torch = pytest.importorskip("torch")
    opt = nn.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    opt_t = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.1)
    sched = nn.optim.lr_scheduler.MultiStepLR(opt, [2, 4])
    sched_t = torch.optim.lr_scheduler.MultiStepLR(opt_t, [2, 4])
    with pytest.warns(UserWarning):
        sched_t.step(5)
    sched.step(5)
    assert sched.get_last_lr() == pytest.approx(sched_t.get_last_lr(), rel=1e-12)
    linear = nn.optim.lr_scheduler.LinearLR(opt, total_iters=4)
    for _ in range(2):
        linear.step()
    again = nn.optim.lr_scheduler.LinearLR(nn.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1))
    again.load_state_dict(linear.state_dict())
    assert again.last_epoch == 2 and again.total_iters == 4


@pytest.mark.parametrize("T_mult", [1, 2, 3])
def test_warm_restarts_at_fractional_epochs_match_torch(T_mult):
    torch = pytest.importorskip("torch")
    opt = nn.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    opt_t = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.1)
    sched = nn.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=T_mult)
    sched_t = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt_t, T_0=2, T_mult=T_mult)
    for epoch in np.arange(0, 12, 0.25):
        opt.step(), opt_t.step()
        sched.step(float(epoch))
        sched_t.step(float(epoch))
        assert sched.get_last_lr() == pytest.approx(sched_t.get_last_lr(), rel=1e-12, abs=1e-15)
        assert (sched.T_i, sched.last_epoch) == (sched_t.T_i, sched_t.last_epoch)
    with pytest.raises(ValueError, match="Expected integer T_mult >= 1"):
        nn.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=0)
    with pytest.raises(ValueError, match="non-negative epoch"):
        sched.step(-1)


def test_lambda_lr_state_dict_keeps_callable_objects():
    class Warmup:
        def __init__(self):
            self.scale = 2.0

        def __call__(self, epoch):
            return self.scale * epoch

    opt = nn.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    fn = Warmup()
    sched = nn.optim.lr_scheduler.LambdaLR(opt, [fn])
    fn.scale = 3.0
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{"scale": 3.0}]
    other = Warmup()
    nn.optim.lr_scheduler.LambdaLR(opt, other).load_state_dict(state)
    assert other.scale == 3.0
    assert nn.optim.lr_scheduler.LambdaLR(opt, lambda e: 1).state_dict()["lr_lambdas"] == [None]


PLATEAU = [
    dict(),
    dict(mode="max", factor=0.5, patience=1, threshold=0.1, threshold_mode="abs", cooldown=2),
    dict(factor=0.2, patience=0, cooldown=1, min_lr=0.005),
    dict(patience=2, threshold=0.05),
]


@pytest.mark.parametrize("kwargs", PLATEAU)
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    opt = nn.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    opt_t = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.1)
    sched = nn.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    sched_t = torch.optim.lr_scheduler.ReduceLROnPlateau(opt_t, **kwargs)
    metrics = np.random.default_rng(5).standard_normal(40).cumsum() * 0.1
    metrics[10:25] = metrics[10]  # a plateau
    for m in metrics:
        sched.step(m)
        sched_t.step(m)
        assert sched.get_last_lr() == pytest.approx(sched_t.get_last_lr(), rel=1e-12)
        assert (sched.best, sched.num_bad_epochs) == (sched_t.best, sched_t.num_bad_epochs)
    assert opt.param_groups[0]["lr"] < 0.1  # it did reduce
    resumed = nn.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    resumed.load_state_dict(sched.state_dict())
    assert resumed.num_bad_epochs == sched.num_bad_epochs and resumed.best == sched.best


def test_scheduler_errors():
    opt = nn.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    lr_scheduler = nn.optim.lr_scheduler
    with pytest.raises(TypeError, match=r"needs the metric.*step\(val_loss\)"):
        lr_scheduler.ReduceLROnPlateau(opt).step()
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode 'low' is unknown"):
        lr_scheduler.ReduceLROnPlateau(opt, mode="low")
    with pytest.raises(ValueError, match="total_steps OR"):
        lr_scheduler.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        one = lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3)
        for _ in range(4):
            one.step()
    with pytest.raises(ValueError, match="support momentum"):
        lr_scheduler.OneCycleLR(nn.optim.Adagrad(nn.Linear(2, 2).parameters()), 0.1, 10)
    with pytest.raises(ValueError, match="CyclicLR: mode 'saw' is invalid"):
        lr_scheduler.CyclicLR(opt, 0.01, 0.1, mode="saw")
    with pytest.raises(ValueError, match="CyclicLR: optimizer Adagrad must support momentum"):
        lr_scheduler.CyclicLR(nn.optim.Adagrad(nn.Linear(2, 2).parameters()), 0.01, 0.1)
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        lr_scheduler.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match=r"LambdaLR: the schedule gave param_groups\[0\] .* nan"):
        lr_scheduler.LambdaLR(opt, lambda e: float("nan"))
    with pytest.raises(ValueError, match="StepLR: the schedule gave .* inf at epoch 2"):
        step = lr_scheduler.StepLR(opt, 2, gamma=float("inf"))
        for _ in range(2):
            step.step()
    with pytest.raises(ValueError, match="Expected 1 lr_lambdas"):
        lr_scheduler.LambdaLR(opt, [math.exp, math.exp])


def _chained(lib, opt, with_optimizer: bool):
    sched = lib.optim.lr_scheduler
    parts = [
        sched.LinearLR(opt, start_factor=0.2, total_iters=4),
        sched.ExponentialLR(opt, gamma=0.9),
        sched.MultiStepLR(opt, milestones=[6, 11], gamma=0.5),
    ]
    return sched.ChainedScheduler(parts, opt) if with_optimizer else sched.ChainedScheduler(parts)


@pytest.mark.parametrize("with_optimizer", [False, True])
def test_chained_scheduler_matches_torch(with_optimizer):
    torch = pytest.importorskip("torch")
    groups = [dict(lr=0.1), dict(lr=0.03)]
    opt = nn.optim.SGD([dict(params=nn.Linear(2, 2).parameters(), **g) for g in groups])
    opt_t = torch.optim.SGD([dict(params=torch.nn.Linear(2, 2).parameters(), **g) for g in groups])
    sched, sched_t = _chained(nn, opt, with_optimizer), _chained(torch, opt_t, with_optimizer)
    for _ in range(15):
        assert sched.get_last_lr() == pytest.approx(sched_t.get_last_lr(), rel=1e-12, abs=1e-15)
        assert [g["lr"] for g in opt.param_groups] == pytest.approx(
            [g["lr"] for g in opt_t.param_groups], rel=1e-12
        )
        opt.step(), opt_t.step()
        sched.step(), sched_t.step()
    assert sched.get_last_lr()[0] < 0.01  # warmed up, then decayed
    state, opt_state = sched.state_dict(), opt.state_dict()
    assert len(state["_schedulers"]) == 3 and "optimizer" not in state
    resumed = _chained(nn, opt, with_optimizer)  # building it rewrites the rates, as torch's
    resumed.load_state_dict(state)
    opt.load_state_dict(opt_state)  # a resume restores both
    assert [s.last_epoch for s in resumed._schedulers] == [15, 15, 15]
    resumed.step(), sched_t.step()
    assert resumed.get_last_lr() == pytest.approx(sched_t.get_last_lr(), rel=1e-12)


def test_chained_scheduler_refuses_what_torch_refuses():
    torch = pytest.importorskip("torch")
    for lib, linear in ((nn, nn.Linear), (torch, torch.nn.Linear)):
        sched = lib.optim.lr_scheduler
        opt = lib.optim.SGD(linear(2, 2).parameters(), lr=0.1)
        other = lib.optim.SGD(linear(2, 2).parameters(), lr=0.1)
        with pytest.raises(ValueError, match="ChainedScheduler expects at least one scheduler"):
            sched.ChainedScheduler([])
        with pytest.raises(ValueError, match="ChainedScheduler does not support .?ReduceLROnPlat"):
            sched.ChainedScheduler([sched.StepLR(opt, 2), sched.ReduceLROnPlateau(opt)])
        with pytest.raises(ValueError, match="ChainedScheduler expects all schedulers to belong"):
            sched.ChainedScheduler([sched.StepLR(opt, 2), sched.StepLR(other, 2)])
        with pytest.raises(TypeError, match="ChainedScheduler.* at index 1"):
            sched.ChainedScheduler([sched.StepLR(opt, 2), object()])


@pytest.mark.parametrize(
    "make",
    [
        lambda L, o: L.StepLR(o, 2),
        lambda L, o: L.CosineAnnealingLR(o, 3),
        lambda L, o: L.LambdaLR(o, lambda e: 0.5**e),
        lambda L, o: L.CosineAnnealingWarmRestarts(o, 2),
        lambda L, o: L.CyclicLR(o, 0.01, 0.1),
    ],
)
def test_state_dict_keys_and_get_lr_warning_as_torch(make):
    """torch's state_dict has its _get_lr_called_within_step flag (set while step() computes
    the rates); get_lr called by the user warns to use get_last_lr(), not inside step()."""
    torch = pytest.importorskip("torch")
    states, warned = [], []
    for lib in (nn, torch):
        opt = lib.optim.SGD([lib.nn.Parameter(lib.ones(1))] if lib is torch else
                            [nn.Parameter(ad.ones(1))], lr=0.1, momentum=0.9)  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            sched = make(lib.optim.lr_scheduler, opt)
            opt.step()
            sched.step()
        states.append(sched.state_dict())
        with pytest.warns(UserWarning) as record:
            sched.get_lr()
        warned.append([str(w.message) for w in record])
    assert sorted(states[0]) == sorted(states[1])
    assert states[0]["_get_lr_called_within_step"] is False
    assert warned[0] == warned[1]
