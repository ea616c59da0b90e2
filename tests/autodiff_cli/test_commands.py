"""The `autodiff` command's train, evaluate and demo (training part)."""

import json

import numpy as np
import pytest

import autodiff as ad
import autodiff_cli as cli
import nn
from autodiff_cli import recipes
from autodiff_cli import train as commands
from nn import data

REAL = data.find_fashion_mnist() is not None


def _help(capsys, *argv):
    with pytest.raises(SystemExit) as exit_:
        cli.main([*argv, "--help"])
    assert exit_.value.code == 0
    return capsys.readouterr().out


def test_train_help_documents_every_option(capsys):
    text = _help(capsys, "train")
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices["train"]
    for action in sub._actions:
        if action.option_strings and action.dest != "help":
            assert action.help, f"{action.option_strings} has no help"
            assert action.option_strings[-1] in text
    for word in ("--model", "--dataset", "--optimizer", "--init", "--normalize", "--subset"):
        assert word in text


def test_every_optimizer_of_nn_optim_is_offered_and_takes_a_step():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices["train"]
    offered = next(a for a in sub._actions if a.dest == "optimizer").choices
    exported = {n.lower() for n in nn.optim.__all__ if n[0].isupper()}
    # LBFGS needs a closure, Muon takes 2-D parameters only
    assert set(offered) == exported - {"optimizer", "lbfgs", "muon"}
    for name in offered:
        model = nn.Linear(2, 1)
        config = {"optimizer": name, "lr": 0.01, "weight_decay": 0.0, "momentum": 0.9}
        optimizer = recipes.make_optimizer(config, model.parameters())
        assert type(optimizer).__name__.lower() == name
        before = model.weight.detach().numpy().copy()
        model(ad.ones(3, 2)).sum().backward()
        optimizer.step()
        assert not np.array_equal(before, model.weight.detach().numpy()), name
        config["weight_decay"] = 0.1
        if "weight_decay" not in optimizer.defaults:  # Rprop: refused, as its own test shows
            continue
        assert recipes.make_optimizer(config, model.parameters()).defaults["weight_decay"] == 0.1


def test_a_weight_decay_the_optimizer_does_not_have_is_refused(monkeypatch):
    class Plain(nn.optim.SGD):  # an optimizer without weight decay, as torch's Rprop
        def __init__(self, params, lr=0.01, momentum=0.0):
            super().__init__(params, lr=lr, momentum=momentum)

    monkeypatch.setitem(recipes.OPTIMIZERS, "plain", Plain)
    config = {"optimizer": "plain", "lr": 0.01, "weight_decay": 0.0, "momentum": 0.9}
    assert isinstance(recipes.make_optimizer(config, nn.Linear(2, 1).parameters()), Plain)
    with pytest.raises(ValueError, match="--weight-decay: the plain optimizer has no weight"):
        recipes.make_optimizer({**config, "weight_decay": 0.1}, nn.Linear(2, 1).parameters())


def test_evaluate_help(capsys):
    assert "checkpoint" in _help(capsys, "evaluate")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--model", "transformer"], "invalid choice: 'transformer'"),
        (["train", "--epochs", "0"], "must be an int >= 1, got 0"),
        (["train", "--lr", "fast"], "must be a finite number > 0, got 'fast'"),
        (["train", "--hidden", "12,x"], "comma-separated ints"),
        (["train", "--normalize", "l2"], "invalid choice"),
    ],
)
def test_bad_options_give_a_clear_error(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_semantic_errors_are_reported_not_raised(capsys, tmp_path):
    code = cli.main(["train", "--model", "cnn", "--dataset", "iris", "--quiet",
                     "--out", str(tmp_path)])  # fmt: skip
    assert code == 2
    assert "needs image data" in capsys.readouterr().err
    code = cli.main(["train", "--dataset", "advertising", "--model", "linear", "--quiet",
                     "--out", str(tmp_path)])  # fmt: skip
    assert code == 2 and "--csv" in capsys.readouterr().err
    assert cli.main(["evaluate", str(tmp_path / "missing")]) == 2
    assert "config.json" in capsys.readouterr().err


def test_train_then_evaluate_iris(capsys, tmp_path):
    out = tmp_path / "iris"
    argv = ["train", "--model", "softmax", "--dataset", "iris", "--epochs", "60", "--lr", "0.1",
            "--normalize", "channel-zscore", "--batch-size", "16", "--optimizer", "sgd",
            "--val-fraction", "0", "--quiet", "--out", str(out)]  # fmt: skip
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    assert "test accuracy" in printed
    names = {p.name for p in out.iterdir()}
    assert {"checkpoint.json", "config.json", "history.json", "model-0060.npz"} <= names
    assert {"curves.png", "gradient_flow.png"} <= names
    history = json.loads((out / "history.json").read_text())
    assert len(history["train_loss"]) == 60 and history["test_acc"] >= 0.85
    assert cli.main(["evaluate", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"test accuracy {history['test_acc']:.4f}" in printed
    assert "SoftmaxRegression after 60 epochs" in printed


def test_train_resume_extends_a_run(capsys, tmp_path):
    base = ["train", "--model", "mlp", "--hidden", "8", "--dataset", "donut", "--quiet",
            "--out", str(tmp_path)]  # fmt: skip
    assert cli.main([*base, "--epochs", "2"]) == 0
    assert cli.main([*base, "--epochs", "4", "--resume"]) == 0
    capsys.readouterr()
    history = json.loads((tmp_path / "history.json").read_text())
    assert len(history["train_loss"]) == 4


def test_regression_and_logistic_runs(capsys, tmp_path):
    assert cli.main(["train", "--model", "linear", "--dataset", "regression", "--epochs", "30",
                     "--optimizer", "sgd", "--lr", "0.1", "--normalize", "channel-zscore",
                     "--quiet", "--out", str(tmp_path / "lin")]) == 0  # fmt: skip
    assert "test loss" in capsys.readouterr().out
    assert cli.main(["train", "--model", "logistic", "--dataset", "iris2", "--epochs", "20",
                     "--quiet", "--lr", "0.05", "--out", str(tmp_path / "log")]) == 0  # fmt: skip
    history = json.loads((tmp_path / "log" / "history.json").read_text())
    assert history["test_acc"] == 1.0


@pytest.mark.skipif(not REAL, reason="real Fashion-MNIST not installed")
def test_train_fashion_mnist_subset(capsys, tmp_path):
    argv = ["train", "--model", "mlp", "--dataset", "fashion-mnist", "--epochs", "3",
            "--subset", "4000", "--hidden", "64", "--quiet", "--out", str(tmp_path)]  # fmt: skip
    assert cli.main(argv) == 0
    history = json.loads((tmp_path / "history.json").read_text())
    assert history["test_acc"] >= 0.7
    assert cli.main(["evaluate", str(tmp_path / "checkpoint.json")]) == 0
    assert "10000 samples" in capsys.readouterr().out


@pytest.mark.skipif(not REAL, reason="real Fashion-MNIST not installed")
def test_demo_quick(capsys, tmp_path):
    result = commands.demo(tmp_path, quick=True)
    out = tmp_path / "mlp-fashion-mnist"
    assert {"checkpoint.json", "history.json", "curves.png", "gradient_flow.png"} <= {
        p.name for p in out.iterdir()}  # fmt: skip
    assert result["test_acc"] >= 0.8
    assert "test accuracy" in capsys.readouterr().out


def test_demo_falls_back_without_fashion_mnist(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(commands.data, "find_fashion_mnist", lambda root=None: None)
    result = commands.demo(tmp_path, quick=True)
    assert "donut" in capsys.readouterr().out
    assert result["test_acc"] > 0.9


def test_demo_writes_the_exercise_graphs(tmp_path, capsys):
    """The whole `autodiff demo --quick`: exercises, graph files and the trained model."""
    assert cli.main(["demo", "--quick", "--out", str(tmp_path / "out")]) == 0
    graphs = tmp_path / "out" / "graphs"
    names = {p.name for p in graphs.iterdir()}
    assert {"add_mul.txt", "sigmoid_neuron_fused.txt", "sigmoid_neuron_gates.txt"} <= names
    assert "df/dx = -4" in capsys.readouterr().out


def test_threads_option_sets_the_blas_threads(monkeypatch, tmp_path, capsys):
    chosen = []
    monkeypatch.setattr(commands, "set_threads", lambda n: chosen.append(n) or n or 1)
    argv = ["train", "--dataset", "xor", "--model", "mlp", "--hidden", "4", "--epochs", "1"]
    assert cli.main([*argv, "--threads", "1", "--out", str(tmp_path / "r")]) == 0
    assert chosen == [1] and "BLAS threads: 1" in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:
        cli.main([*argv, "--threads", "0", "--out", str(tmp_path / "r2")])
    assert refused.value.code == 2
