"""Checkpoint folders: model-EPOCH.npz and optimizer-EPOCH.npz (written with nn.save) and
checkpoint.json, which names them. The JSON is replaced atomically last, so a crash at any
moment leaves the previous complete checkpoint in force.
"""

import json
from pathlib import Path

import numpy as np

import autodiff as ad

from .data.sampler import generator_state, restore_generator
from .serialization import load, save, write_atomic

CHECKPOINT = "checkpoint.json"


def _encode(obj, arrays: dict):
    """obj as JSON-friendly values; arrays and tensors go to `arrays`, replaced by references."""
    if isinstance(obj, ad.Tensor | np.ndarray):
        key = f"a{len(arrays)}"
        arrays[key] = np.array(obj.numpy() if isinstance(obj, ad.Tensor) else obj)
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
    """Write a complete checkpoint into folder (atomically); returns checkpoint.json's path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model_file, optim_file = f"model-{epoch:04d}.npz", f"optimizer-{epoch:04d}.npz"
    save(model.state_dict(), folder / model_file)
    arrays = {}
    meta = {
        "optimizer": _encode(_state(optimizer), arrays),
        "scheduler": _encode(_state(scheduler), arrays),
    }
    save(arrays, folder / optim_file)
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
    _write_json(folder / CHECKPOINT, meta)
    for old in list(folder.glob("model-*.npz")) + list(folder.glob("optimizer-*.npz")):
        if old.name not in (model_file, optim_file):
            old.unlink(missing_ok=True)
    return folder / CHECKPOINT


_REQUIRED = ("epoch", "model_file", "optimizer_file", "optimizer", "scheduler", "rng", "loaders")


def checkpoint_exists(folder) -> bool:
    """True when folder holds a checkpoint.json."""
    return (Path(folder) / CHECKPOINT).is_file()


def read_checkpoint(folder) -> dict:
    """The checkpoint's JSON record (epoch, history, file names, extra)."""
    path = Path(folder)
    path = path if path.name == CHECKPOINT else path / CHECKPOINT
    if not path.is_file():
        raise FileNotFoundError(
            f"checkpoint: {path} not found. Give a folder written by fit "
            "with checkpoint_dir=... (or its checkpoint.json)."
        )
    try:
        record = json.loads(path.read_text())
    except ValueError as e:  # JSONDecodeError, or bytes that are not UTF-8
        raise ValueError(f"checkpoint: {path} is not valid JSON ({e}). Train again.") from None
    missing = [k for k in _REQUIRED if not isinstance(record, dict) or k not in record]
    if missing:
        raise ValueError(
            f"checkpoint: {path} lacks {', '.join(missing)}; it was not written by "
            "save_checkpoint (or was edited). Train again."
        )
    record["folder"] = str(path.parent)
    return record


def load_checkpoint(folder, model, optimizer=None, scheduler=None, loaders=()) -> dict:
    """Restore model (and optimizer, scheduler, loaders, random state) in place; returns the record."""
    record = read_checkpoint(folder)
    base = Path(record["folder"])
    model.load_state_dict(load(base / record["model_file"]))
    arrays = load(base / record["optimizer_file"])
    arrays = {k: (v.numpy() if isinstance(v, ad.Tensor) else v) for k, v in arrays.items()}
    if optimizer is not None and record["optimizer"] is not None:
        optimizer.load_state_dict(_decode(record["optimizer"], arrays))
    if scheduler is not None and record["scheduler"] is not None:
        scheduler.load_state_dict(_decode(record["scheduler"], arrays))
    for loader, state in zip(loaders, record["loaders"], strict=False):
        if loader is not None and state is not None and hasattr(loader, "load_state_dict"):
            loader.load_state_dict(state)
    restore_generator(ad.random.generator(), record["rng"])
    return record
