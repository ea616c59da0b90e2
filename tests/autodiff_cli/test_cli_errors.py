"""The autodiff command as a user meets it (`python -m cli ...` in a subprocess): every failure
is one clear line on stderr and a non-zero exit, never a traceback; Ctrl-C keeps the last
checkpoint and exits 130; hyper-parameters are refused unless finite; a named data root is
used or refused, never silently replaced."""

import argparse
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from autodiff_cli import train as commands
from nn import data
from nn.data import idx

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
ENV.pop("AUTODIFF_DEBUG", None)
posix_only = pytest.mark.skipif(os.name != "posix", reason="resource limits and signals are POSIX")
DONUT = ["train", "--dataset", "donut", "--model", "mlp", "--hidden", "8", "--quiet"]


def run(*argv, cwd=None, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "autodiff_cli", *map(str, argv)],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=cwd or ROOT,
        timeout=timeout,
    )


def one_line_error(result, code=2, *fragments) -> str:
    """Assert the run failed with exit code, one stderr line, no traceback; returns the line."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


# --- hyper-parameters ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "option, value, rule",
    [
        ("--lr", "nan", "a finite number > 0"),
        ("--lr", "inf", "a finite number > 0"),
        ("--lr", "-0.1", "a finite number > 0"),
        ("--weight-decay", "nan", "a finite number >= 0"),
        ("--momentum", "inf", "a finite number >= 0"),
        ("--clip-grad-norm", "nan", "a finite number > 0"),
        ("--dropout", "nan", "a number in [0, 1)"),
        ("--epochs", "2.5", "an int >= 1"),
    ],
)
def test_non_finite_hyper_parameters_are_refused(option, value, rule, tmp_path):
    result = run(*DONUT, option, value, "--out", tmp_path / "run")
    one_line_error(result, 2, f"argument {option}: must be {rule}", value)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "key, value, problem",
    [
        ("lr", "0.1", "lr (--lr) must be a finite number > 0, got '0.1' (str)"),
        ("lr", float("nan"), "got nan"),
        ("weight_decay", float("inf"), "weight_decay (--weight-decay) must be a finite"),
        ("epochs", True, "epochs (--epochs) must be an int >= 1, got True (bool)"),
        ("batch_size", 0, "batch_size (--batch-size) must be an int >= 1"),
    ],
)
def test_run_training_checks_its_config(key, value, problem, tmp_path):
    config = commands.demo_config(quick=True)
    config.update(dataset="donut", hidden=[4], epochs=1)
    config[key] = value
    with pytest.raises(ValueError, match="train: ") as info:
        commands.run_training(config, tmp_path / "run", progress=False)
    assert problem in str(info.value)
    assert not (tmp_path / "run").exists()


# --- files and folders ---------------------------------------------------------------------
def test_out_is_an_existing_file(tmp_path):
    (tmp_path / "taken").write_text("mine")
    line = one_line_error(run(*DONUT, "--epochs", "1", "--out", tmp_path / "taken"), 2)
    assert "taken: File exists" in line and "choose another path" in line
    assert (tmp_path / "taken").read_text() == "mine"


def test_out_below_a_file(tmp_path):
    (tmp_path / "file").write_text("")
    line = one_line_error(run(*DONUT, "--epochs", "1", "--out", tmp_path / "file" / "run"), 2)
    assert "file/run: Not a directory" in line


def _unwritable(tmp_path) -> Path:
    if os.geteuid() != 0:
        folder = tmp_path / "locked"
        folder.mkdir(mode=0o500)
        return folder / "run"
    if not Path("/sys").is_dir():
        pytest.skip("root and no /sys: nothing here is unwritable")
    return Path("/sys/autodiff-test-run")  # root cannot write there either


def test_out_is_unwritable(tmp_path):
    out = _unwritable(tmp_path)
    line = one_line_error(run(*DONUT, "--epochs", "1", "--out", out), 2)
    assert str(out) in line and ("Permission denied" in line or "not permitted" in line)


def test_graph_steps_pointing_at_a_file(tmp_path):
    (tmp_path / "steps").write_text("")
    result = run("graph", "x*y", "x=2", "y=3", "--steps", tmp_path / "steps")
    one_line_error(result, 2, "steps", "choose another path")


def test_a_corrupt_gzip_data_file_names_the_file(tmp_path):
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        images, labels = idx.FILES[split]
        data.write_idx(tmp_path / f"{images}.gz", rng.integers(0, 255, (4, 28, 28)))
        data.write_idx(tmp_path / f"{labels}.gz", rng.integers(0, 10, 4))
    broken = tmp_path / "train-images-idx3-ubyte.gz"
    body = bytearray(gzip.compress(bytes(broken.read_bytes()[:10]) + bytes(5000)))
    body[12:30] = b"\xff" * 18
    broken.write_bytes(bytes(body))
    result = run("train", "--quiet", "--data-root", tmp_path, "--out", tmp_path / "run")
    one_line_error(result, 2, "train-images-idx3-ubyte.gz", "Re-download")


# --- data roots and models -------------------------------------------------------------------
def test_a_named_data_root_that_lacks_the_files_is_an_error(tmp_path):
    result = run("train", "--quiet", "--data-root", tmp_path / "nowhere", "--out", tmp_path)
    one_line_error(result, 2, "data root", "nowhere does not exist")
    (tmp_path / "half").mkdir()
    result = run("train", "--quiet", "--data-root", tmp_path / "half", "--out", tmp_path)
    one_line_error(result, 2, "half lacks train-images-idx3-ubyte")


def test_logistic_on_multi_class_data_is_refused(tmp_path):
    result = run("train", "--model", "logistic", "--dataset", "iris", "--out", tmp_path / "r")
    one_line_error(result, 2, "logistic is a binary classifier", "iris has 3 classes")


def test_the_class_count_comes_from_the_dataset_not_the_subset(tmp_path, capsys):
    # the donut's first 50 training samples are all class 0: the model must still have 3 outputs
    argv = [*DONUT, "--model", "softmax", "--subset", "50", "--epochs", "1", "--val-fraction", "0"]
    assert commands.train_command(_args([*argv, "--out", str(tmp_path)])) == 0
    record = json.loads((tmp_path / "config.json").read_text())
    assert record["model"]["kwargs"]["num_classes"] == 3
    capsys.readouterr()


def _args(argv):
    import autodiff_cli as cli

    return cli.build_parser().parse_args(argv)


# --- evaluate on damaged run folders --------------------------------------------------------
@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "donut"
    result = run(*DONUT, "--epochs", "1", "--out", out)
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.parametrize(
    "damage, problem",
    [
        (lambda r: r.pop("normalizer"), "lacks the 'normalizer' record"),
        (lambda r: r["model"].update({"class": "Transformer"}), "unknown model class"),
        (lambda r: r["config"].pop("dataset"), "names dataset None"),
        (lambda r: r["model"]["kwargs"].update(bogus=1), "bogus"),
    ],
)
def test_evaluate_on_a_damaged_config(trained, tmp_path, damage, problem):
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in trained.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    record = json.loads((copy / "config.json").read_text())
    damage(record)
    (copy / "config.json").write_text(json.dumps(record))
    one_line_error(run("evaluate", copy), 2, problem)


def test_evaluate_on_a_damaged_checkpoint(trained, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in trained.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    record = json.loads((copy / "checkpoint.json").read_text())
    del record["model_file"]
    (copy / "checkpoint.json").write_text(json.dumps(record))
    one_line_error(run("evaluate", copy), 2, "checkpoint.json lacks model_file")
    (copy / "config.json").write_text("{not json")
    one_line_error(run("evaluate", copy), 2, "config.json is not valid JSON")


def test_evaluate_and_resume_fall_back_to_the_previous_checkpoint_and_say_so(tmp_path):
    out = tmp_path / "run"
    assert run(*DONUT, "--epochs", "2", "--out", out).returncode == 0
    (out / "model-0002.npz").write_bytes(b"damaged")
    result = run("evaluate", out)
    assert result.returncode == 0 and "after 1 epochs" in result.stdout, result.stderr
    note = one_line_error(result, 0, "autodiff evaluate: note: the latest checkpoint cannot")
    assert "model-0002.npz" in note and "using the previous one, of epoch 1" in note
    result = run(*DONUT, "--epochs", "3", "--out", out, "--resume")
    note = one_line_error(result, 0, "autodiff train: note: the latest checkpoint cannot")
    assert "of epoch 1" in note and "test accuracy" in result.stdout
    assert json.loads((out / "checkpoint.json").read_text())["epoch"] == 3


def test_evaluate_works_on_the_undamaged_run(trained):
    result = run("evaluate", trained)
    assert result.returncode == 0 and "test accuracy" in result.stdout, result.stderr


# --- Ctrl-C -------------------------------------------------------------------------------------
def test_ctrl_c_keeps_the_last_checkpoint_and_exits_130(tmp_path):
    out = tmp_path / "run"
    argv = [*DONUT, "--epochs", "100000", "--val-fraction", "0", "--out", out]
    child = subprocess.Popen(
        [sys.executable, "-m", "autodiff_cli", *map(str, argv)],
        env=ENV,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a run started in the background inherits SIGINT ignored: the child gets Ctrl-C as
        # a terminal would deliver it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while not (out / "checkpoint.json").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # a few more epochs, so the interrupt may land inside a save
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert "interrupted; the checkpoint of epoch" in err and str(out.resolve()) in err
    assert not [p for p in out.iterdir() if ".tmp-" in p.name]
    epoch = json.loads((out / "checkpoint.json").read_text())["epoch"]
    assert f"epoch {epoch} is kept" in err
    result = run("evaluate", out)
    assert result.returncode == 0 and f"after {epoch} epochs" in result.stdout, result.stderr


# --- autodiff graph ---------------------------------------------------------------------------
def test_graph_with_a_401_digit_literal(tmp_path):
    result = run("graph", "1" * 401 + " * x", "x=2")
    one_line_error(result, 2, "a number of 401 digits is too large for a float")


def test_graph_of_a_flat_sum_of_300_terms():
    result = run("graph", "+".join(["x"] * 300), "x=2")
    assert result.returncode == 0, result.stderr
    assert "grad 300" in result.stdout


@pytest.mark.parametrize("argv", [["--", "-x*y"], ["-x*y"], ["--text", "-x*y"]])
def test_graph_of_an_expression_starting_with_minus(argv):
    result = run("graph", *argv, "x=2", "y=3")
    assert result.returncode == 0, result.stderr
    assert "−6" in result.stdout or "-6" in result.stdout


def test_graph_error_messages_cut_the_input():
    result = run("graph", "x +* " + "y" * 9000, "x=1")
    line = one_line_error(result, 2, "cannot parse", "...")
    assert len(line) < 400
    result = run("graph", "x + " + "z" * 5000, "x=1")
    line = one_line_error(result, 2, "unknown name")
    assert len(line) < 300


def test_usage_errors_are_one_line(tmp_path):
    one_line_error(run("train", "--model", "transformer"), 2, "invalid choice", "--help")
    one_line_error(run("graph"), 2, "expression", "--help")


def test_a_bug_is_one_line_with_exit_1_and_a_traceback_on_request(monkeypatch, capsys):
    import autodiff_cli as cli

    def broken(args):
        raise AttributeError("'NoneType' object has no attribute 'shape'")

    monkeypatch.delenv("AUTODIFF_DEBUG", raising=False)
    parser = cli.build_parser()
    parser.graph_parser.set_defaults(run=broken)
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    assert cli.main(["graph", "x", "x=1"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: AttributeError" in err
    assert "AUTODIFF_DEBUG=1" in err
    monkeypatch.setenv("AUTODIFF_DEBUG", "1")
    with pytest.raises(AttributeError):
        cli.main(["graph", "x", "x=1"])


def test_a_multi_line_message_is_printed_as_one_line(monkeypatch, capsys):
    import autodiff_cli as cli

    def failing(args):
        raise RuntimeError("Error(s) in loading state_dict for MLP:\n\tsize mismatch for w")

    parser = cli.build_parser()
    parser.graph_parser.set_defaults(run=failing)
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    assert cli.main(["graph", "x", "x=1"]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == "autodiff graph: error: Error(s) in loading state_dict for MLP: size mismatch for w\n"
    )


def test_train_on_a_crafted_cifar_batch_runs_nothing(tmp_path):
    import pickle

    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    batch = {b"data": np.zeros((2, 3072), np.uint8), b"labels": Exploit()}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        (tmp_path / name).write_bytes(pickle.dumps(batch, protocol=2))
    argv = ["train", "--dataset", "cifar10", "--data-root", tmp_path, "--out", tmp_path / "r"]
    one_line_error(run(*argv), 2, "data_batch_1 asks to load", "system", "refused")
    assert not marker.exists()


# --- the command line's own options and `autodiff run` ----------------------------------------
@pytest.mark.parametrize(
    "argv, fragment",
    [
        ([*DONUT, "--out", ""], "argument --out: expected a file or folder name, got ''"),
        ([*DONUT, "--hidden", "1,,2"], "argument --hidden: expected comma-separated ints"),
        ([*DONUT, "--seed", "-1"], "argument --seed: must be an int from 0 to 2**64 - 1"),
        (["evaluate", " "], "argument checkpoint: expected a file or folder name"),
        (["graph", "x", "x=1", "-o", ""], "argument -o/--output: expected a file or folder"),
        (["demo", "--out", ""], "argument --out: expected a file or folder name"),
    ],
)
def test_options_that_would_be_silently_wrong_are_refused_by_name(argv, fragment, tmp_path):
    one_line_error(run(*argv, cwd=tmp_path), 2, fragment)
    assert list(tmp_path.iterdir()) == []  # nothing trained into the current folder


@posix_only
def test_a_file_that_cannot_grow_names_its_path(tmp_path):
    import resource

    def small_files():  # as a full disk: writes fail (EFBIG) without naming the file
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (300, 300))

    out = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, "-m", "autodiff_cli", *DONUT, "--epochs", "1", "--out", str(out)],
        capture_output=True, text=True, env=ENV, cwd=ROOT, timeout=120, preexec_fn=small_files,
    )  # fmt: skip
    line = one_line_error(result, 2, "File too large")
    assert str(out) in line, line
    assert not [p for p in out.iterdir() if ".tmp-" in p.name]


def test_run_prints_the_message_of_sys_exit(tmp_path):
    script = tmp_path / "quit.py"
    script.write_text('import sys, torch\nsys.exit("no data: give --data")\n')
    result = run("run", script)
    assert result.returncode == 1 and result.stderr.strip() == "no data: give --data"
    script.write_text("import sys\nsys.exit(3)\n")
    assert run("run", script).returncode == 3


def test_run_a_folder_with_main_as_python_does(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "helper.py").write_text("VALUE = 41\n")
    (tmp_path / "app" / "__main__.py").write_text(
        "import sys, torch, helper\nprint(helper.VALUE + int(torch.ones(1).item()), sys.argv[1:])\n"
    )
    result = run("run", tmp_path / "app", "x")
    assert result.returncode == 0 and result.stdout.strip() == "42 ['x']", result.stderr
    one_line_error(run("run", tmp_path), 2, "A folder without __main__.py")
    one_line_error(run("run", tmp_path / "missing.py"), 2, "missing.py: No such file")


def test_run_returns_1_for_a_message_and_puts_the_scripts_folder_first(
    tmp_path, monkeypatch, capsys
):
    from autodiff_cli import run as run_cli

    monkeypatch.setattr(run_cli, "install", lambda: None)  # no torch stand-in in this process
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    script = tmp_path / "where.py"
    script.write_text("import sys\nprint(sys.path[0])\nsys.exit('stopped: ' + sys.argv[1])\n")
    code = run_cli.run_command(argparse.Namespace(script=str(script), args=["now"]))
    out, err = capsys.readouterr()
    assert code == 1 and err.strip() == "stopped: now"
    assert out.strip() == str(tmp_path.resolve())  # as python: the script's folder first


def test_run_passes_exit_codes_and_shows_a_scripts_own_error(tmp_path):
    script = tmp_path / "codes.py"
    for body, code in (("sys.exit(0)", 0), ("sys.exit()", 0), ("sys.exit(None)", 0)):
        script.write_text(f"import sys\n{body}\n")
        assert run("run", script).returncode == code, body
    script.write_text("import torch\nraise KeyError('mine')\n")
    result = run("run", script)
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "KeyError: 'mine'" in result.stderr


def test_path_and_seed_options_accept_what_they_should():
    from autodiff_cli import options

    assert options.path("runs/x") == "runs/x" and options.path(" a ") == " a "
    seed = commands._option("seed")
    assert seed("0") == 0 and seed(str(2**64 - 1)) == 2**64 - 1
    for bad in ("-1", str(2**64), "1.5"):
        with pytest.raises(argparse.ArgumentTypeError, match="an int from 0 to 2\\*\\*64 - 1"):
            seed(bad)


def test_notes_print_checkpoint_warnings_every_time_and_leave_others_alone(capsys):
    import warnings

    from nn.checkpoint import CheckpointWarning

    with warnings.catch_warnings(record=True) as others:
        warnings.simplefilter("default")  # once per line, unless notes says always
        with commands.notes("evaluate"):
            for _ in range(2):
                warnings.warn(
                    "the latest checkpoint cannot be read", CheckpointWarning, stacklevel=1
                )
            warnings.warn("something else", UserWarning, stacklevel=1)
    err = capsys.readouterr().err
    assert err.count("autodiff evaluate: note: the latest checkpoint cannot be read") == 2
    assert "something else" not in err and [str(w.message) for w in others] == ["something else"]
