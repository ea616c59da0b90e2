"""ad.compile on nn training steps: 100 compiled steps equal 100 eager ones, bit for bit."""

import numpy as np
import pytest

import autodiff as ad
import nn


def _mlp(dropout=0.0, batchnorm=False):
    ad.manual_seed(0)
    layers = [nn.Linear(6, 16)]
    if batchnorm:
        layers.append(nn.BatchNorm1d(16))
    layers += [nn.Tanh(), nn.Dropout(dropout), nn.Linear(16, 3)]
    return nn.Sequential(*layers)


def _data(n=12, seed=1):
    rng = np.random.default_rng(seed)
    return ad.tensor(rng.standard_normal((n, 6)), dtype=ad.float32), ad.tensor(
        rng.integers(0, 3, n)
    )


def _train(model, make_opt, steps, compiled, schedule=False, x=None, y=None):
    x, y = _data() if x is None else (x, y)
    opt = make_opt(model.parameters())
    sched = nn.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps) if schedule else None
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    run = ad.compile(step) if compiled else step
    ad.manual_seed(7)
    losses = []
    for _ in range(steps):
        losses.append(run().item())
        if sched is not None:
            sched.step()  # outside the compiled step: opt.step() reads the new lr on replay
    return losses, [p.detach().numpy().copy() for p in model.parameters()], run


OPTIMIZERS = {
    "sgd_momentum": lambda p: nn.optim.SGD(p, lr=0.1, momentum=0.9),
    "adam": lambda p: nn.optim.Adam(p, lr=0.01),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("schedule", [False, True])
def test_100_steps_equal_eager(name, schedule):
    eager = _train(_mlp(), OPTIMIZERS[name], 100, False, schedule)
    compiled = _train(_mlp(), OPTIMIZERS[name], 100, True, schedule)
    assert compiled[0] == eager[0]
    for a, b in zip(compiled[1], eager[1]):
        np.testing.assert_array_equal(a, b)
    assert compiled[2].traces == 2  # no .grad on the first call; from the second on, one each
    assert "    opt.step()\n" in compiled[2].code


def test_dropout_with_seed_equals_eager():
    eager = _train(_mlp(dropout=0.3), OPTIMIZERS["sgd_momentum"], 20, False)
    compiled = _train(_mlp(dropout=0.3), OPTIMIZERS["sgd_momentum"], 20, True)
    assert compiled[0] == eager[0]
    for a, b in zip(compiled[1], eager[1]):
        np.testing.assert_array_equal(a, b)


def test_batchnorm_running_stats_and_eval_retrace():
    models = [_mlp(batchnorm=True), _mlp(batchnorm=True)]
    runs = [_train(m, OPTIMIZERS["adam"], 30, c) for m, c in zip(models, (False, True))]
    assert runs[1][0] == runs[0][0]
    for name in ("running_mean", "running_var"):
        np.testing.assert_array_equal(
            getattr(models[1][1], name).detach().numpy(),
            getattr(models[0][1], name).detach().numpy(),
        )
    compiled = runs[1][2]
    assert compiled.traces == 2
    models[1].eval()  # a guard: train/eval modes are part of what a program depends on
    compiled()
    assert compiled.traces == 3


def test_small_cnn_equals_eager():
    def cnn():
        ad.manual_seed(3)
        return nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(4 * 4 * 4, 3),
        )

    rng = np.random.default_rng(5)
    x = ad.tensor(rng.standard_normal((6, 1, 8, 8)), dtype=ad.float32)
    y = ad.tensor(rng.integers(0, 3, 6))
    sgd = lambda p: nn.optim.SGD(p, lr=0.05, momentum=0.9)
    eager = _train(cnn(), sgd, 10, False, x=x, y=y)
    compiled = _train(cnn(), sgd, 10, True, x=x, y=y)
    assert compiled[0] == eager[0]
    for a, b in zip(compiled[1], eager[1]):
        np.testing.assert_array_equal(a, b)


def test_new_batches_as_arguments_equal_eager():
    """Inputs and targets passed per call are read per call (also cross_entropy's target=)."""
    rng = np.random.default_rng(9)
    batches = [
        (
            ad.tensor(rng.standard_normal((12, 6)), dtype=ad.float32),
            ad.tensor(rng.integers(0, 3, 12)),
        )
        for _ in range(5)
    ]
    results = [_batches_losses(batches, compiled) for compiled in (False, True)]
    assert results[1] == results[0]


def _batches_losses(batches, compiled):
    model = _mlp()
    opt, loss_fn = nn.optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss()

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    run = ad.compile(step) if compiled else step
    losses = [run(x, y).item() for x, y in batches * 3]
    if compiled:
        assert run.traces == 2
    return losses
