"""nn.train: the fit loop's metrics, history, clipping, early stopping, checkpoints, exact resume,
and small real runs that must learn."""

import json
import math

import numpy as np
import pytest

import autodiff as ad
import nn
from nn import data, models
from nn.checkpoint import load_checkpoint, read_checkpoint
from nn.train import EarlyStopping, evaluate, fit


def _donut_run(epochs=4, checkpoint_dir=None, resume=False, dropout=0.1, **kw):
    ad.manual_seed(0)
    X, y = data.donut(60, seed=0)
    model = models.MLP((2, 16, 16, 3), init="he", dropout=dropout)
    opt = nn.optim.Adam(model.parameters(), lr=1e-2)
    train = data.DataLoader(X, y, batch_size=16, shuffle=True, seed=1)
    val = data.DataLoader(X, y, batch_size=64)
    history = fit(
        model,
        train,
        val,
        epochs=epochs,
        optimizer=opt,
        loss_fn=nn.CrossEntropyLoss(),
        checkpoint_dir=checkpoint_dir,
        resume=resume,
        **{"progress": False, **kw},
    )
    return history, model, opt


def _without_time(history):
    return json.dumps({k: v for k, v in history.items() if k != "epoch_time"})


def test_history_has_the_documented_keys():
    history, model, _ = _donut_run(epochs=3)
    for key in ("train_loss", "train_acc", "val_loss", "val_acc", "lr", "epoch_time"):
        assert len(history[key]) == 3, key
    assert set(history["grad_norms"]) == {"1", "4", "7"}  # the three Linear layers of the MLP
    assert all(len(v) == 3 and min(v) > 0 for v in history["grad_norms"].values())
    assert history["lr"] == [1e-2] * 3
    assert history["train_loss"][-1] < history["train_loss"][0]
    # val metrics come from evaluate on the same loader
    loss, acc = evaluate(model, data.DataLoader(*data.donut(60, seed=0), batch_size=64))
    assert math.isclose(loss, history["val_loss"][-1], rel_tol=1e-5)
    assert acc == history["val_acc"][-1]


def test_fit_keeps_freed_memory_for_the_next_step(monkeypatch):
    calls = []
    monkeypatch.setattr(nn.train, "keep_freed_memory", lambda: calls.append(True))
    _donut_run(epochs=1)
    assert calls == [True]  # a setting of the process, made once per fit (nn.heap)


def test_same_seed_same_history_bitwise():
    first, _, _ = _donut_run(epochs=3)
    second, _, _ = _donut_run(epochs=3)
    assert _without_time(first) == _without_time(second)


def test_resume_continues_exactly(tmp_path):
    straight, model_a, _ = _donut_run(epochs=5, checkpoint_dir=tmp_path / "a")
    _donut_run(epochs=2, checkpoint_dir=tmp_path / "b")
    resumed, model_b, _ = _donut_run(epochs=5, checkpoint_dir=tmp_path / "b", resume=True)
    assert _without_time(straight) == _without_time(resumed)
    for (name, a), (_, b) in zip(model_a.state_dict().items(), model_b.state_dict().items(),
                                 strict=True):  # fmt: skip
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=name)


def test_checkpoint_files_and_reload(tmp_path):
    history, model, _ = _donut_run(epochs=3, checkpoint_dir=tmp_path)
    record = read_checkpoint(tmp_path)
    assert record["epoch"] == 3 and record["history"]["train_loss"] == history["train_loss"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "checkpoint-previous.json", "checkpoint.json", "model-0002.npz", "model-0003.npz",
        "optimizer-0002.npz", "optimizer-0003.npz"]  # fmt: skip
    fresh = models.MLP((2, 16, 16, 3), dropout=0.1)
    load_checkpoint(tmp_path, fresh)
    x = ad.randn(5, 2)
    model.eval()
    fresh.eval()
    np.testing.assert_array_equal(model(x).detach().numpy(), fresh(x).detach().numpy())
    with pytest.raises(FileNotFoundError, match="checkpoint"):
        read_checkpoint(tmp_path / "nothing")


def test_no_leftover_temp_files_after_checkpoints(tmp_path):
    _donut_run(epochs=2, checkpoint_dir=tmp_path)
    assert not [p for p in tmp_path.iterdir() if "tmp" in p.name]


def test_gradient_clipping_bounds_the_step():
    ad.manual_seed(0)
    X = np.random.default_rng(0).normal(size=(32, 3)) * 100
    y = X @ np.array([1.0, -2.0, 3.0])
    model = models.LinearRegression(3)
    before = [p.detach().numpy().copy() for p in model.parameters()]
    fit(model, data.DataLoader(X, y, batch_size=32), epochs=1, loss_fn=nn.MSELoss(),
        optimizer=nn.optim.SGD(model.parameters(), lr=1.0), clip_grad_norm=0.5,
        progress=False)  # fmt: skip
    step = np.sqrt(sum(((p.detach().numpy() - b) ** 2).sum() for p, b in zip(model.parameters(), before,
                                                                     strict=True)))  # fmt: skip
    assert step == pytest.approx(0.5, rel=1e-3)  # lr 1 x clipped norm 0.5


def test_early_stopping():
    stopper = EarlyStopping(patience=2)
    history = {"val_loss": []}
    decisions = []
    for value in [1.0, 0.8, 0.9, 0.85, 0.7]:
        history["val_loss"].append(value)
        decisions.append(stopper.step(history))
    assert decisions == [False, False, False, True, False]
    acc = EarlyStopping(patience=1, monitor="val_acc")
    assert not acc.step({"val_acc": [0.5]}) and acc.step({"val_acc": [0.5, 0.4]})
    with pytest.raises(ValueError, match="monitor"):
        EarlyStopping(monitor="speed")
    history, _, _ = _donut_run(epochs=50, early_stopping=EarlyStopping(patience=1,
                                                                       min_delta=10.0))  # fmt: skip
    assert len(history["train_loss"]) == 2


def test_scheduler_is_stepped_per_epoch():
    ad.manual_seed(0)
    X, y = data.xor()
    model = models.MLP((2, 4, 2))
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    sched = nn.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    history = fit(model, data.DataLoader(X, y, batch_size=4), epochs=3, optimizer=opt,
                  scheduler=sched, progress=False)  # fmt: skip
    assert history["lr"] == pytest.approx([0.1, 0.05, 0.025])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_diverging_loss_is_a_clear_error():
    X = np.array([[1e30, 1e30]], dtype=np.float32)
    model = models.LinearRegression(2, init="default")
    with pytest.raises(RuntimeError, match="learning rate"):
        fit(model, data.DataLoader(X, np.array([1.0])), epochs=1, loss_fn=nn.MSELoss(),
            optimizer=nn.optim.SGD(model.parameters(), lr=1e10), progress=False)  # fmt: skip


def test_fit_argument_errors():
    with pytest.raises(ValueError, match="epochs"):
        fit(models.MLP((2, 2)), data.DataLoader(*data.xor()), epochs=-1, progress=False)


def test_progress_prints_one_line_per_epoch(capsys):
    _donut_run(epochs=2, progress=True)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("epoch")]
    assert len(lines) == 2 and "val_acc" in lines[0]


# --- small runs that must learn ---------------------------------------------------------------


def test_xor_solved_by_an_mlp():
    ad.manual_seed(0)
    X, y = data.xor()
    model = models.MLP((2, 8, 2), activation="tanh", init="xavier")
    loader = data.DataLoader(X, y, batch_size=4)
    fit(model, loader, epochs=300, optimizer=nn.optim.Adam(model.parameters(), lr=0.05),
        progress=False, record_grad_norms=False)  # fmt: skip
    assert evaluate(model, loader)[1] == 1.0


def test_donut_solved_by_an_mlp():
    ad.manual_seed(0)
    X, y = data.donut(100, seed=0)
    Xt, yt = data.donut(100, seed=1)
    model = models.MLP((2, 32, 32, 3), init="he")
    fit(model, data.DataLoader(X, y, batch_size=32, shuffle=True, seed=0), epochs=60,
        optimizer=nn.optim.Adam(model.parameters(), lr=1e-2), progress=False)  # fmt: skip
    assert evaluate(model, data.DataLoader(Xt, yt, batch_size=300))[1] == 1.0


def test_iris_softmax_and_logistic_regression():
    X, y = data.load_iris()
    Xtr, ytr, Xte, yte = data.train_val_split(X, y, 0.2, seed=0)
    Xtr, Xte = data.normalize(Xtr, Xte, method="channel-zscore")
    ad.manual_seed(0)
    model = models.SoftmaxRegression(4, 3)
    fit(model, data.DataLoader(Xtr, ytr, batch_size=16, shuffle=True, seed=0), epochs=100,
        optimizer=nn.optim.SGD(model.parameters(), lr=0.1), progress=False)  # fmt: skip
    assert evaluate(model, data.DataLoader(Xte, yte, batch_size=30))[1] >= 0.9
    X2, y2 = data.load_iris(2)
    logistic = models.LogisticRegression(4)
    loader = data.DataLoader(data.normalize(X2)[0], y2, batch_size=20)
    history = fit(logistic, loader, epochs=50, loss_fn=nn.BCEWithLogitsLoss(),
                  optimizer=nn.optim.SGD(logistic.parameters(), lr=0.1), progress=False)  # fmt: skip
    assert history["train_acc"][-1] == 1.0  # the seeds: iris_2class is linearly separable


def test_linear_regression_recovers_coefficients():
    X, y = data.make_advertising(n=400, seed=0)
    (Xn,) = data.normalize(X, method="channel-zscore")
    ad.manual_seed(0)
    model = models.LinearRegression(3)
    history = fit(model, data.DataLoader(Xn, y, batch_size=400), epochs=300,
                  loss_fn=nn.MSELoss(), optimizer=nn.optim.SGD(model.parameters(), lr=0.1),
                  progress=False)  # fmt: skip
    assert math.isnan(history["train_acc"][0])  # regression: no accuracy
    w = model.linear.weight.detach().numpy()[0] / X.std(axis=0)  # undo the normalisation
    np.testing.assert_allclose(w, data.TRUE_COEF, atol=0.01)


@pytest.mark.skipif(data.find_fashion_mnist() is None, reason="real Fashion-MNIST not installed")
def test_fashion_mnist_subset_learns():
    X, y = data.load_fashion_mnist("train")
    Xt, yt = data.load_fashion_mnist("test")
    Xtr, Xte = data.normalize(X[:5000], Xt[:2000])
    ad.manual_seed(0)
    model = models.MLP((784, 128, 10), init="he")
    fit(model, data.DataLoader(Xtr, y[:5000], batch_size=128, shuffle=True, seed=0), epochs=2,
        optimizer=nn.optim.Adam(model.parameters(), lr=1e-3), progress=False)  # fmt: skip
    assert evaluate(model, data.DataLoader(Xte, yt[:2000], batch_size=1000))[1] >= 0.78
