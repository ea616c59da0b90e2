"""torch.optim.swa_utils against torch: AveragedModel (the SWA mean, EMA, avg_fn/multi_avg_fn,
use_buffers) after the same updates of the same weights, its state_dict keys; SWALR's rates for
both strategies, several groups and anneal_epochs=0, its state_dict; update_bn's statistics;
and the errors, with torch's types."""

import numpy as np
import pytest

import autodiff as ad
import nn
from nn.optim import swa_utils


def _pair(torch):
    """The same small model in both libraries: Linear, BatchNorm1d, Linear, same weights."""
    ad.manual_seed(0)
    ours = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    theirs = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(), torch.nn.Linear(4, 2)
    )
    theirs.load_state_dict(
        {k: torch.tensor(v.detach().numpy()) for k, v in ours.state_dict().items()}
    )
    return ours, theirs


def _perturb(torch, ours, theirs, k: int, rng) -> None:
    """Move both models to new weights (the same ones) and run a batch through (BN's stats)."""
    x = rng.standard_normal((5, 3)).astype(np.float32)
    with ad.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters()):
            step = rng.standard_normal(p.shape).astype(np.float32) * 0.1 * (k + 1)
            p.copy_(p + ad.tensor(step))
            q.data.add_(torch.from_numpy(step))
    ours.train()(ad.tensor(x))
    theirs.train()(torch.tensor(x))


def _assert_same_state(ours, theirs) -> None:
    """Same keys, dtypes and values up to float32 rounding (BatchNorm's running variance and
    lerp's two forms may differ from torch's in the last bits)."""
    mine, expected = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(expected)
    for key, value in expected.items():
        got = mine[key].detach().numpy()
        assert got.dtype == value.detach().numpy().dtype, key
        np.testing.assert_allclose(got, value.detach().numpy(), rtol=1e-5, atol=1e-6, err_msg=key)


def _averagers(torch, name):
    """(ours, torch's) keyword arguments of one averaging flavour."""
    tsu = torch.optim.swa_utils
    return {
        "swa": ({}, {}),
        "ema_multi": (
            dict(multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.9)),
            dict(multi_avg_fn=tsu.get_ema_multi_avg_fn(0.9)),
        ),
        "swa_multi": (
            dict(multi_avg_fn=swa_utils.get_swa_multi_avg_fn()),
            dict(multi_avg_fn=tsu.get_swa_multi_avg_fn()),
        ),
        "ema": (
            dict(avg_fn=swa_utils.get_ema_avg_fn(0.8)),
            dict(avg_fn=tsu.get_ema_avg_fn(0.8)),
        ),
        "swa_fn": (dict(avg_fn=swa_utils.get_swa_avg_fn()), dict(avg_fn=tsu.get_swa_avg_fn())),
        "ema_buffers": (
            dict(multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.7), use_buffers=True),
            dict(multi_avg_fn=tsu.get_ema_multi_avg_fn(0.7), use_buffers=True),
        ),
        "swa_buffers": (dict(use_buffers=True), dict(use_buffers=True)),
        "custom": (
            dict(avg_fn=lambda a, m, n: 0.25 * a + 0.75 * m + n),
            dict(avg_fn=lambda a, m, n: 0.25 * a + 0.75 * m + n),
        ),
    }[name]


@pytest.mark.parametrize(
    "flavour",
    ["swa", "ema_multi", "swa_multi", "ema", "swa_fn", "ema_buffers", "swa_buffers", "custom"],
)
def test_averaged_model_follows_torch(flavour):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch)
    kw_ours, kw_theirs = _averagers(torch, flavour)
    avg = swa_utils.AveragedModel(ours, **kw_ours)
    avg_t = torch.optim.swa_utils.AveragedModel(theirs, **kw_theirs)
    _assert_same_state(avg, avg_t)  # before any update: the copy, n_averaged 0
    rng = np.random.default_rng(0)
    for k in range(4):
        _perturb(torch, ours, theirs, k, rng)
        avg.update_parameters(ours)
        avg_t.update_parameters(theirs)
        _assert_same_state(avg, avg_t)
    assert int(avg.n_averaged) == 4 and avg.n_averaged.dtype == ad.long
    assert avg.module is not ours and avg.module[0].weight is not ours[0].weight
    x = rng.standard_normal((2, 3)).astype(np.float32)
    out = avg.eval()(ad.tensor(x))
    np.testing.assert_allclose(
        out.detach().numpy(), avg_t.eval()(torch.tensor(x)).detach(), rtol=1e-5
    )


def test_averaged_model_loads_torch_state_dict_and_keeps_gradients_off_the_model():
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch)
    avg_t = torch.optim.swa_utils.AveragedModel(theirs)
    avg_t.update_parameters(theirs)
    avg = swa_utils.AveragedModel(ours)
    avg.load_state_dict({k: ad.tensor(v.detach().numpy()) for k, v in avg_t.state_dict().items()})
    assert int(avg.n_averaged) == 1
    _perturb(torch, ours, theirs, 0, np.random.default_rng(1))
    ours.zero_grad()
    avg.update_parameters(ours)
    assert all(p.grad is None for p in avg.parameters())
    assert avg.module[0].weight.requires_grad


def test_swa_multi_avg_fn_refuses_integer_buffers_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch)
    avg = swa_utils.AveragedModel(
        ours, multi_avg_fn=swa_utils.get_swa_multi_avg_fn(), use_buffers=True
    )
    avg_t = torch.optim.swa_utils.AveragedModel(
        theirs, multi_avg_fn=torch.optim.swa_utils.get_swa_multi_avg_fn(), use_buffers=True
    )
    for model, averaged in ((ours, avg), (theirs, avg_t)):
        averaged.update_parameters(model)
    with pytest.raises(RuntimeError):
        avg_t.update_parameters(theirs)
    with pytest.raises(RuntimeError, match="integer"):
        avg.update_parameters(ours)


def test_averaged_model_errors():
    model = nn.Linear(2, 2)
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        swa_utils.AveragedModel(
            model, avg_fn=swa_utils.get_swa_avg_fn(), multi_avg_fn=swa_utils.get_swa_multi_avg_fn()
        )
    for make in (swa_utils.get_ema_avg_fn, swa_utils.get_ema_multi_avg_fn):
        with pytest.raises(ValueError, match="Invalid decay value 1.5"):
            make(1.5)
        with pytest.raises(ValueError, match="Invalid decay value -0.1"):
            make(-0.1)
    avg = swa_utils.AveragedModel(nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)))
    with pytest.raises(ValueError):  # buffers of a different model: zip(strict=True), as torch
        avg.update_parameters(nn.Sequential(nn.Linear(2, 2)))


# --- SWALR -----------------------------------------------------------------------------------
SWALR_CASES = [
    dict(swa_lr=0.05),
    dict(swa_lr=0.05, anneal_epochs=3, anneal_strategy="linear"),
    dict(swa_lr=[0.2, 0.01], anneal_epochs=4),
    dict(swa_lr=0.3, anneal_epochs=0),
    dict(swa_lr=0.02, anneal_epochs=1, anneal_strategy="linear"),
]


def _optimizers(torch):
    """SGD with two groups in both libraries (lr 0.1 and 0.5)."""
    w = [nn.Parameter(ad.zeros(2)), nn.Parameter(ad.zeros(2))]
    wt = [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2))]
    groups = lambda ps: [{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.5}]  # noqa: E731
    return nn.optim.SGD(groups(w), lr=0.1), torch.optim.SGD(groups(wt), lr=0.1)


@pytest.mark.parametrize("kwargs", SWALR_CASES, ids=str)
def test_swalr_rates_follow_torch(kwargs):
    torch = pytest.importorskip("torch")
    opt, opt_t = _optimizers(torch)
    sched = swa_utils.SWALR(opt, **kwargs)
    sched_t = torch.optim.swa_utils.SWALR(opt_t, **kwargs)
    assert sched.get_last_lr() == pytest.approx(sched_t.get_last_lr(), rel=1e-12)
    for epoch in range(12):
        if epoch == 5:  # a change made between steps carries through torch's recursion
            for g, gt in zip(opt.param_groups, opt_t.param_groups):
                g["lr"] = gt["lr"] = g["lr"] * 1.5
        opt.step()
        opt_t.step()
        sched.step()
        sched_t.step()
        assert sched.get_last_lr() == pytest.approx(sched_t.get_last_lr(), rel=1e-12), epoch
        assert [g["swa_lr"] for g in opt.param_groups] == [g["swa_lr"] for g in opt_t.param_groups]


def test_swalr_state_dict_round_trip_keeps_the_strategy():
    torch = pytest.importorskip("torch")
    opt, opt_t = _optimizers(torch)
    sched = swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=5, anneal_strategy="linear")
    sched_t = torch.optim.swa_utils.SWALR(
        opt_t, swa_lr=0.05, anneal_epochs=5, anneal_strategy="linear"
    )
    for _ in range(2):
        opt_t.step()
        sched.step()
        sched_t.step()
    state, state_t = sched.state_dict(), sched_t.state_dict()
    assert "optimizer" not in state and "anneal_func" not in state
    assert state["_anneal_strategy"] == state_t["_anneal_strategy"] == "linear"
    assert state["anneal_epochs"] == 5 and state["_step_count"] == state_t["_step_count"]
    other = swa_utils.SWALR(opt, swa_lr=0.05, anneal_strategy="cos")
    other.load_state_dict(state)
    assert other.anneal_func(0.25) == 0.25  # linear again
    other.step()
    opt_t.step()
    sched_t.step()
    assert other.get_last_lr() == pytest.approx(sched_t.get_last_lr(), rel=1e-12)


def test_swalr_errors():
    opt = nn.optim.SGD([nn.Parameter(ad.zeros(2))], lr=0.1)
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear'"):
        swa_utils.SWALR(opt, swa_lr=0.1, anneal_strategy="step")
    for bad in (-1, 2.5):
        with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0"):
            swa_utils.SWALR(opt, swa_lr=0.1, anneal_epochs=bad)
    with pytest.raises(ValueError):
        swa_utils.SWALR(opt, swa_lr=[0.1, 0.2])


# --- update_bn -------------------------------------------------------------------------------
@pytest.mark.parametrize("batches", ["tensors", "pairs"])
def test_update_bn_recomputes_statistics_as_torch(batches):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch)
    ours[1].momentum = theirs[1].momentum = 0.3
    rng = np.random.default_rng(2)
    data = [rng.standard_normal((4, 3)).astype(np.float32) for _ in range(3)]
    _perturb(torch, ours, theirs, 0, rng)  # stale statistics that update_bn must forget
    ours.eval()
    theirs.eval()

    def loader(lib):
        tensors = [lib.tensor(x) for x in data]
        return tensors if batches == "tensors" else [(t, lib.tensor([0])) for t in tensors]

    swa_utils.update_bn(loader(ad), ours)
    torch.optim.swa_utils.update_bn(loader(torch), theirs)
    _assert_same_state(ours, theirs)
    assert not ours.training and ours[1].momentum == 0.3
    assert int(ours[1].num_batches_tracked) == 3
    assert ours[0].weight.grad is None


def test_update_bn_without_batch_norm_leaves_the_model_alone():
    model = nn.Sequential(nn.Linear(2, 2)).eval()
    called = []

    def loader():
        called.append(1)
        yield ad.zeros(1, 2)

    swa_utils.update_bn(loader(), model)  # nothing to update: not even one pass, as torch
    assert called == [] and not model.training
