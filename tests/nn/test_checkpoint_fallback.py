"""Checkpoints survive one bad file: the previous checkpoint is kept until the new one has been
read back, and loading (fit(resume=True), load_checkpoint, read_checkpoint) falls back to it,
saying so with a CheckpointWarning; a resumed run from the fallback still ends bitwise equal."""

import json

import numpy as np
import pytest
from test_train import _donut_run, _without_time

import nn
from nn import checkpoint, models
from nn.checkpoint import CheckpointWarning, load_checkpoint, read_checkpoint, save_checkpoint


def _truncate(path):
    path.write_bytes(path.read_bytes()[:100])


@pytest.mark.parametrize("damaged", ["model-0003.npz", "optimizer-0003.npz", "checkpoint.json"])
def test_a_damaged_latest_checkpoint_falls_back_to_the_previous_one(tmp_path, damaged):
    straight, model_a, _ = _donut_run(epochs=5, checkpoint_dir=tmp_path / "a")
    _donut_run(epochs=3, checkpoint_dir=tmp_path / "b")
    _truncate(tmp_path / "b" / damaged)
    said = r"latest checkpoint cannot be read \(.*" + damaged + r".*\); .* of epoch 2"
    with pytest.warns(CheckpointWarning, match=said):
        resumed, model_b, _ = _donut_run(epochs=5, checkpoint_dir=tmp_path / "b", resume=True)
    assert _without_time(straight) == _without_time(resumed)  # epochs 3 to 5 trained again
    for a, b in zip(model_a.parameters(), model_b.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert read_checkpoint(tmp_path / "b")["epoch"] == 5
    assert sorted(p.name for p in (tmp_path / "b").glob("*.npz")) == [
        "model-0004.npz", "model-0005.npz", "optimizer-0004.npz", "optimizer-0005.npz"]  # fmt: skip


def test_read_checkpoint_falls_back_only_when_the_json_is_damaged(tmp_path):
    _donut_run(epochs=3, checkpoint_dir=tmp_path)
    _truncate(tmp_path / "model-0003.npz")
    assert read_checkpoint(tmp_path)["epoch"] == 3  # the record itself reads
    (tmp_path / "checkpoint.json").write_text("{not json")
    with pytest.warns(CheckpointWarning, match="checkpoint.json is not valid JSON"):
        assert read_checkpoint(tmp_path)["epoch"] == 2


def test_only_the_latest_and_the_previous_checkpoint_are_kept(tmp_path):
    _donut_run(epochs=4, checkpoint_dir=tmp_path)
    previous = json.loads((tmp_path / "checkpoint-previous.json").read_text())
    assert previous["epoch"] == 3 and previous["model_file"] == "model-0003.npz"
    assert sorted(p.name for p in tmp_path.glob("*.npz")) == [
        "model-0003.npz", "model-0004.npz", "optimizer-0003.npz", "optimizer-0004.npz"]  # fmt: skip


def test_when_both_are_damaged_the_error_names_both(tmp_path):
    _donut_run(epochs=2, checkpoint_dir=tmp_path)
    _truncate(tmp_path / "model-0002.npz")
    _truncate(tmp_path / "model-0001.npz")
    fresh = models.MLP((2, 16, 16, 3))
    with pytest.raises(ValueError, match=r"neither the latest nor the previous .*0002.*0001"):
        load_checkpoint(tmp_path, fresh)


def test_a_first_checkpoint_that_cannot_be_read_is_an_error_naming_the_file(tmp_path):
    _donut_run(epochs=1, checkpoint_dir=tmp_path)
    _truncate(tmp_path / "model-0001.npz")
    with pytest.raises(ValueError, match=r"model-0001.npz' is not a readable .npz"):
        load_checkpoint(tmp_path, models.MLP((2, 16, 16, 3)))


def test_a_checkpoint_that_does_not_read_back_is_removed_and_the_old_one_kept(
    tmp_path, monkeypatch
):
    model = nn.Linear(2, 2)
    save_checkpoint(tmp_path, model, epoch=1)
    before = (tmp_path / "checkpoint.json").read_text()
    real = checkpoint.load

    def flipped(path):
        state = real(path)
        return {k: v + 1 for k, v in state.items()}  # a disk that returns other bytes

    monkeypatch.setattr(checkpoint, "load", flipped)
    with pytest.raises(OSError, match=r"model-0002.npz does not read back as written"):
        save_checkpoint(tmp_path, model, epoch=2)
    monkeypatch.undo()
    assert (tmp_path / "checkpoint.json").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "checkpoint.json", "model-0001.npz", "optimizer-0001.npz"]  # fmt: skip
    assert read_checkpoint(tmp_path)["epoch"] == 1


def test_saving_the_same_epoch_again_keeps_an_older_previous(tmp_path):
    model = nn.Linear(2, 2)
    for epoch in (1, 2, 2):
        save_checkpoint(tmp_path, model, epoch=epoch)
    previous = json.loads((tmp_path / "checkpoint-previous.json").read_text())
    assert previous["epoch"] == 1 and (tmp_path / "model-0001.npz").exists()


def test_a_failed_save_of_the_same_epoch_keeps_the_files_in_force(tmp_path, monkeypatch):
    model = nn.Linear(2, 2)
    save_checkpoint(tmp_path, model, epoch=1)

    def full(state, path):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(checkpoint, "save", full)
    with pytest.raises(OSError, match="No space left"):
        save_checkpoint(tmp_path, model, epoch=1)
    monkeypatch.undo()
    assert (tmp_path / "model-0001.npz").exists()  # still the checkpoint in force
    load_checkpoint(tmp_path, nn.Linear(2, 2))


def test_a_save_that_fails_before_its_files_exist_raises_its_own_error(tmp_path, monkeypatch):
    model = nn.Linear(2, 2)
    save_checkpoint(tmp_path, model, epoch=1)

    def full(state, path):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(checkpoint, "save", full)  # nothing of epoch 2 is written
    with pytest.raises(OSError, match="No space left") as caught:
        save_checkpoint(tmp_path, model, epoch=2)
    assert not isinstance(caught.value, FileNotFoundError)  # not the clean-up's
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "checkpoint.json", "model-0001.npz", "optimizer-0001.npz"]  # fmt: skip


def test_the_scheduler_and_a_lone_previous_checkpoint_are_restored(tmp_path):
    model = nn.Linear(2, 2)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    sched = nn.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for epoch in (1, 2):
        opt.step(), sched.step()
        save_checkpoint(tmp_path, model, opt, sched, epoch=epoch)
    fresh_opt = nn.optim.SGD(model.parameters(), lr=0.1)
    fresh = nn.optim.lr_scheduler.StepLR(fresh_opt, step_size=1, gamma=0.5)
    load_checkpoint(tmp_path, model, fresh_opt, fresh)
    assert fresh.last_epoch == 2 and fresh.get_last_lr() == pytest.approx([0.025])
    (tmp_path / "checkpoint.json").unlink()  # only the previous one is left
    assert checkpoint.checkpoint_exists(tmp_path)
    with pytest.warns(CheckpointWarning, match="of epoch 1"):
        assert read_checkpoint(tmp_path)["epoch"] == 1


def test_save_returns_the_record_and_keeps_nan_metrics(tmp_path):
    history = {"val_loss": [float("nan")], "train_loss": [0.5]}  # no validation: nan
    path = save_checkpoint(tmp_path, nn.Linear(2, 2), epoch=1, history=history)
    assert path == tmp_path / "checkpoint.json"
    assert np.isnan(read_checkpoint(tmp_path)["history"]["val_loss"][0])
    with pytest.raises(FileNotFoundError, match=r"checkpoint: .*checkpoint.json not found\. Give"):
        read_checkpoint(tmp_path / "elsewhere")
