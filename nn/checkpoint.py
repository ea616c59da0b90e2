"""Checkpoint folders: model-EPOCH.npz and optimizer-EPOCH.npz (written with nn.save) and
checkpoint.json, which names them. The JSON is replaced atomically last, after the new files
have been read back, so a crash at any moment leaves a complete checkpoint in force; the one
before it stays too (checkpoint-previous.json and its files), and loading falls back to it,
saying so, when a file of the latest cannot be read.
"""

import json
import warnings
from pathlib import Path

import numpy as np

import autodiff as ad

from .data.sampler import generator_state, restore_generator
from .serialization import load, save, write_atomic

CHECKPOINT = "checkpoint.json"
PREVIOUS = "checkpoint-previous.json"  # the checkpoint before, kept until the next is verified


def _encode(obj, arrays: dict):
    """obj as JSON-friendly values; arrays and tensors go to `arrays`, replaced by references."""
    if isinstance(obj, ad.Tensor | np.ndarray):
        key = f"a{len(arrays)}"
        arrays[key] = np.array(obj.numpy(force=True) if isinstance(obj, ad.Tensor) else obj)
        return {"__array__": key}
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            return {k: _encode(v, arrays) for k, v in obj.items()}
        return {"__items__": [[_encode(k, arrays), _encode(v, arrays)] for k, v in obj.items()]}
    if isinstance(obj, list | tuple):
        return [_encode(v, arrays) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def _decode(obj, arrays):
    if isinstance(obj, dict):
        if "__array__" in obj:
            return ad.tensor(arrays[obj["__array__"]])
        if "__items__" in obj:
            return {_decode(k, arrays): _decode(v, arrays) for k, v in obj["__items__"]}
        return {k: _decode(v, arrays) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v, arrays) for v in obj]
    return obj


def _write_json(path: Path, obj) -> None:
    write_atomic(path, json.dumps(obj, indent=1, allow_nan=True))


def _state(obj):
    return obj.state_dict() if obj is not None and hasattr(obj, "state_dict") else None


class CheckpointWarning(UserWarning):
    """The latest checkpoint could not be read and the previous one is used instead."""


def save_checkpoint(
    folder,
    model,
    optimizer=None,
    scheduler=None,
    loaders=(),
    epoch: int = 0,
    history=None,
    early_stopping=None,
    extra=None,
) -> Path:
    """Write a complete checkpoint into folder and verify it; returns checkpoint.json's path.
    The checkpoint it replaces is kept (checkpoint-previous.json and its files) until this
    one has been read back, so one bad file never loses a run."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model_file, optim_file = f"model-{epoch:04d}.npz", f"optimizer-{epoch:04d}.npz"
    arrays = {}
    meta = {
        "optimizer": _encode(_state(optimizer), arrays),
        "scheduler": _encode(_state(scheduler), arrays),
    }
    _save_verified({model_file: model.state_dict(), optim_file: arrays}, folder)
    meta.update(
        epoch=epoch,
        model_file=model_file,
        optimizer_file=optim_file,
        rng=generator_state(ad.random.generator()),
        loaders=[_state(loader) for loader in loaders],
        history=history,
        early_stopping=_state(early_stopping),
        extra=extra or {},
    )
    kept = _readable(folder / CHECKPOINT)
    if kept is not None and kept["model_file"] == model_file:  # the same epoch saved again
        kept = _readable(folder / PREVIOUS)
    if kept is not None:
        _write_json(folder / PREVIOUS, kept)
    _write_json(folder / CHECKPOINT, meta)
    _remove_unnamed(folder, [meta, kept])
    return folder / CHECKPOINT


def _save_verified(files: dict, folder: Path) -> None:
    """Write each {name: state} with nn.save and read it back; on any difference remove the
    new files and raise, so the checkpoint in force stays the previous one (a file of the
    same name, the same epoch saved again, is left to the fallback)."""
    new = [name for name in files if not (folder / name).exists()]
    try:
        for name, state in files.items():
            save(state, folder / name)
        for name, state in files.items():
            back = load(folder / name)
            for key, value in state.items():
                a = value.numpy(force=True) if isinstance(value, ad.Tensor) else np.asarray(value)
                b = back.get(str(key))
                if (
                    b is None
                    or a.dtype != b.dtype
                    or a.shape != b.shape
                    or a.tobytes() != b.tobytes()
                ):
                    raise OSError(
                        f"checkpoint: {folder / name} does not read back as written "
                        f"({key!r} differs). The previous checkpoint is kept; check "
                        "the disk."
                    )
    except BaseException:
        for name in new:
            (folder / name).unlink(missing_ok=True)
        raise


def _remove_unnamed(folder: Path, records) -> None:
    named = {r[k] for r in records if r is not None for k in ("model_file", "optimizer_file")}
    for old in list(folder.glob("model-*.npz")) + list(folder.glob("optimizer-*.npz")):
        if old.name not in named:
            old.unlink(missing_ok=True)


_REQUIRED = ("epoch", "model_file", "optimizer_file", "optimizer", "scheduler", "rng", "loaders")


def checkpoint_exists(folder) -> bool:
    """True when folder holds a checkpoint.json (or the previous one)."""
    folder = Path(folder)
    return (folder / CHECKPOINT).is_file() or (folder / PREVIOUS).is_file()


def _record(path: Path) -> dict:
    """The JSON record at path, checked, else an error that names the file."""
    if not path.is_file():
        raise FileNotFoundError(
            f"checkpoint: {path} not found. Give a folder written by fit "
            "with checkpoint_dir=... (or its checkpoint.json)."
        )
    try:
        record = json.loads(path.read_text())
    except ValueError as e:  # JSONDecodeError, or bytes that are not UTF-8
        raise ValueError(f"checkpoint: {path} is not valid JSON ({e}).") from None
    missing = [k for k in _REQUIRED if not isinstance(record, dict) or k not in record]
    if missing:
        raise ValueError(
            f"checkpoint: {path} lacks {', '.join(missing)}; it was not written by "
            "save_checkpoint (or was edited)."
        )
    record["folder"] = str(path.parent)
    return record


def _readable(path: Path):
    try:
        record = _record(path)
    except (OSError, ValueError):
        return None
    record.pop("folder")
    return record


def _candidates(folder) -> list:
    """[(path, record or the error reading it)] for the latest checkpoint, then the previous."""
    path = Path(folder)
    base = path.parent if path.name == CHECKPOINT else path
    out = []
    for candidate in (base / CHECKPOINT, base / PREVIOUS):
        try:
            out.append((candidate, _record(candidate)))
        except (OSError, ValueError) as e:
            out.append((candidate, e))
    return out


def read_checkpoint(folder) -> dict:
    """The checkpoint's JSON record (epoch, history, file names, extra): the latest, or the
    previous one (with a CheckpointWarning) when the latest cannot be read."""
    return _first(folder, lambda record: None)[0]


def load_checkpoint(folder, model, optimizer=None, scheduler=None, loaders=()) -> dict:
    """Restore model (and optimizer, scheduler, loaders, random state) in place from the latest
    checkpoint, or from the previous one (with a CheckpointWarning) when a file of the latest
    cannot be read; returns the record used."""
    record, (state, arrays) = _first(folder, _read_files)
    model.load_state_dict(state)
    if optimizer is not None and record["optimizer"] is not None:
        optimizer.load_state_dict(_decode(record["optimizer"], arrays))
    if scheduler is not None and record["scheduler"] is not None:
        scheduler.load_state_dict(_decode(record["scheduler"], arrays))
    for loader, state in zip(loaders, record["loaders"], strict=False):
        if loader is not None and state is not None and hasattr(loader, "load_state_dict"):
            loader.load_state_dict(state)
    restore_generator(ad.random.generator(), record["rng"])
    return record


def _read_files(record) -> tuple:
    base = Path(record["folder"])
    arrays = load(base / record["optimizer_file"])
    arrays = {
        k: (v.numpy(force=True) if isinstance(v, ad.Tensor) else v) for k, v in arrays.items()
    }
    return load(base / record["model_file"]), arrays


def _first(folder, read) -> tuple:
    """(record, read(record)) of the first checkpoint that reads, latest first; says so when
    it is not the latest; else a ValueError naming what is wrong with each."""
    failures = []
    for path, record in _candidates(folder):
        if isinstance(record, Exception):
            if not isinstance(record, FileNotFoundError) or not failures:
                failures.append(record)
            continue
        try:
            value = read(record)
        except (OSError, ValueError) as e:
            failures.append(e)
            continue
        if failures:
            warnings.warn(
                f"the latest checkpoint cannot be read ({failures[0]}); using the previous "
                f"one, of epoch {record['epoch']} ({path}).",
                CheckpointWarning,
                stacklevel=3,
            )
        return record, value
    if len(failures) == 1:
        raise failures[0]
    raise ValueError(
        f"checkpoint: neither the latest nor the previous checkpoint can be read: "
        f"{failures[0]} / {failures[1]} Train again."
    )
