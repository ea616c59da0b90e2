"""Schedulers' closed forms (step(epoch)) and resuming with last_epoch, against torch at and
around every boundary of each schedule: one before, on and after each step, milestone,
total_iters and T_max, and past the end."""

import warnings

import pytest

import nn

torch = pytest.importorskip("torch")

# (name, kwargs, the epochs where the schedule changes its rule)
CLOSED_FORMS = [
    ("StepLR", dict(step_size=3, gamma=0.5), [3, 6, 9]),
    ("ExponentialLR", dict(gamma=0.8), [1]),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.5), [2, 5, 9]),
    ("CosineAnnealingLR", dict(T_max=4, eta_min=0.01), [4, 8, 12]),
    ("ConstantLR", dict(factor=0.5, total_iters=3), [3]),
    ("PolynomialLR", dict(total_iters=4, power=2.0), [4]),
    ("LinearLR", dict(start_factor=0.25, end_factor=0.75, total_iters=4), [4]),
]


def _around(boundaries) -> list:
    """Epochs 0 and 1, each boundary and its neighbours, and past the last one."""
    epochs = {0, 1, boundaries[-1] + 5}
    for b in boundaries:
        epochs.update((b - 1, b, b + 1))
    return sorted(e for e in epochs if e >= 0)


def _pair(name, kwargs, last_epoch=-1):
    opt = nn.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    opt_t = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.1)
    if last_epoch != -1:  # resuming: torch needs the rate the schedule started from
        opt.param_groups[0]["initial_lr"] = opt_t.param_groups[0]["initial_lr"] = 0.1
    ours = getattr(nn.optim.lr_scheduler, name)(opt, last_epoch=last_epoch, **kwargs)
    theirs = getattr(torch.optim.lr_scheduler, name)(opt_t, last_epoch=last_epoch, **kwargs)
    return ours, theirs


def _same(ours, theirs, where):
    assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12, abs=1e-15), where
    assert ours.optimizer.param_groups[0]["lr"] == pytest.approx(
        theirs.optimizer.param_groups[0]["lr"], rel=1e-12, abs=1e-15
    ), where


@pytest.mark.parametrize("name, kwargs, boundaries", CLOSED_FORMS, ids=[c[0] for c in CLOSED_FORMS])
def test_step_with_an_epoch_uses_the_closed_form_at_every_boundary(name, kwargs, boundaries):
    ours, theirs = _pair(name, kwargs)
    for epoch in _around(boundaries) + _around(boundaries)[::-1]:  # forwards, then back
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch deprecates step(epoch)
            theirs.step(epoch)
        ours.step(epoch)
        _same(ours, theirs, f"step({epoch})")
        assert ours.last_epoch == theirs.last_epoch == epoch


RESUMABLE = CLOSED_FORMS + [
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.9 if e % 2 else 1.05), [1, 2]),
    ("LambdaLR", dict(lr_lambda=lambda e: 0.95**e), [1]),
    ("CosineAnnealingWarmRestarts", dict(T_0=2, T_mult=2, eta_min=0.001), [2, 6]),
]


@pytest.mark.parametrize("name, kwargs, boundaries", RESUMABLE, ids=[c[0] for c in RESUMABLE])
@pytest.mark.filterwarnings("ignore:Detected call of:UserWarning")  # torch: no optimizer step here
def test_resuming_with_last_epoch_continues_as_torch(name, kwargs, boundaries):
    for start in _around(boundaries):
        ours, theirs = _pair(name, kwargs, last_epoch=start)
        _same(ours, theirs, f"built at last_epoch={start}")
        for k in range(1, 4):
            ours.step(), theirs.step()
            _same(ours, theirs, f"resumed at {start}, then {k} steps")


@pytest.mark.parametrize("name, kwargs, boundaries", CLOSED_FORMS, ids=[c[0] for c in CLOSED_FORMS])
def test_built_with_torchs_defaults_they_run_as_torch(name, kwargs, boundaries):
    opt = nn.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    opt_t = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.1)
    ours = getattr(nn.optim.lr_scheduler, name)(opt, **kwargs)  # last_epoch left out
    theirs = getattr(torch.optim.lr_scheduler, name)(opt_t, **kwargs)
    assert ours.last_epoch == theirs.last_epoch == 0
    for k in range(boundaries[-1] + 2):
        _same(ours, theirs, f"step {k}")
        opt.step(), opt_t.step()
        ours.step(), theirs.step()


class _Decay:
    """A callable object: its attributes travel in the state dict (a lambda's cannot)."""

    def __init__(self, rate):
        self.rate = rate

    def __call__(self, epoch):
        return self.rate**epoch


def _build(lib, kind, rate):
    model = nn.Linear(2, 2) if lib is nn else torch.nn.Linear(2, 2)
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    schedulers = lib.optim.lr_scheduler
    if kind == "SequentialLR":
        first = schedulers.ConstantLR(opt, factor=0.5, total_iters=2)
        then = schedulers.ExponentialLR(opt, gamma=rate)
        return schedulers.SequentialLR(opt, [first, then], milestones=[2])
    return schedulers.LambdaLR(opt, [lambda e: 0.9**e, _Decay(rate)][kind == "object"])


@pytest.mark.parametrize("kind", ["lambda", "object", "SequentialLR"])
def test_a_state_dict_resumes_the_schedule_as_torch(kind):
    runs = {}
    for lib in (nn, torch):
        first = _build(lib, kind, 0.8)
        for _ in range(3):
            first.optimizer.step(), first.step()
        resumed = _build(lib, kind, 0.5)  # another rate: the state dict must bring 0.8 back
        resumed.load_state_dict(first.state_dict())
        rates = []
        for _ in range(3):
            resumed.optimizer.step(), resumed.step()
            rates.append(resumed.get_last_lr()[0])
        runs[lib.__name__] = rates
    assert runs["nn"] == pytest.approx(runs["torch"], rel=1e-12)


def test_sequential_lr_without_schedulers_is_refused_as_torch():
    for lib, params in ((nn, nn.Linear(2, 2).parameters()), (torch, [torch.zeros(1)])):
        opt = lib.optim.SGD(params, lr=0.1)
        with pytest.raises(ValueError, match="at least one scheduler"):
            lib.optim.lr_scheduler.SequentialLR(opt, [], milestones=[])
