"""The training loop: fit (metrics, clipping, gradient-norm history, early stopping, checkpoints,
resume) and evaluate.

    history = nn.fit(model, train_loader, val_loader, epochs=10,
                     optimizer=nn.Adam(model.parameters(), lr=1e-3),
                     loss_fn=nn.CrossEntropyLoss(), checkpoint_dir="runs/mlp")
"""

import math
import time

import numpy as np

import autodiff as ad

from .checkpoint import checkpoint_exists, load_checkpoint, save_checkpoint
from .heap import keep_freed_memory
from .loss import CrossEntropyLoss
from .optim.adam import Adam
from .threads import default_threads, set_threads, threads  # noqa: F401 (nn.train's names)
from .utils.clip_grad import clip_grad_norm_

HISTORY_KEYS = ("train_loss", "train_acc", "val_loss", "val_acc", "lr", "epoch_time")


class EarlyStopping:
    """Stop when `monitor` ('val_loss', 'val_acc', 'train_loss') has not improved for patience epochs."""

    def __init__(self, patience: int = 5, min_delta: float = 0.0, monitor: str = "val_loss"):
        if monitor not in HISTORY_KEYS[:4]:
            raise ValueError(f"EarlyStopping: unknown monitor {monitor!r}. Use {HISTORY_KEYS[:4]}.")
        self.patience, self.min_delta, self.monitor = patience, min_delta, monitor
        self.best, self.bad_epochs = None, 0

    def step(self, history: dict) -> bool:
        """Record the last epoch; True when training should stop."""
        value = history[self.monitor][-1]
        sign = 1 if "loss" in self.monitor else -1  # losses fall, accuracies rise
        if self.best is None or sign * (self.best - value) > self.min_delta:
            self.best, self.bad_epochs = value, 0
        else:
            self.bad_epochs += 1
        return self.bad_epochs >= self.patience

    def state_dict(self) -> dict:
        return {"best": self.best, "bad_epochs": self.bad_epochs}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.bad_epochs = state["best"], state["bad_epochs"]


def _target(out, y):
    """Class indices stay int64 for cross-entropy; binary labels and regression targets take the
    output's float dtype and shape."""
    if out.ndim == y.ndim + 1 and out.shape[-1] > 1:
        return y
    if out.shape != y.shape:
        y = y.reshape(*out.shape)
    return y.to(out.dtype) if y.dtype != out.dtype else y


def _correct(out: np.ndarray, y: np.ndarray):
    """Number of right predictions, or None for regression (float targets)."""
    if y.dtype.kind == "f":
        return None
    if out.ndim == y.ndim + 1 and out.shape[-1] > 1:
        return int((out.argmax(-1) == y).sum())
    return int(((out.reshape(y.shape) > 0) == y).sum())  # binary: a logit above 0 means class 1


class _Meter:
    """Sample-weighted running loss and accuracy."""

    def __init__(self):
        self.loss = self.correct = self.n = 0
        self.classify = True

    def add(self, loss: float, correct, n: int) -> None:
        self.loss += loss * n
        self.n += n
        if correct is None:
            self.classify = False
        else:
            self.correct += correct

    def result(self) -> tuple:
        if self.n == 0:
            return math.nan, math.nan
        return self.loss / self.n, (self.correct / self.n if self.classify else math.nan)


def evaluate(model, loader, loss_fn=None) -> tuple:
    """(mean loss, accuracy) of model over loader, in eval mode and without a graph."""
    loss_fn = loss_fn or CrossEntropyLoss()
    was_training, meter = model.training, _Meter()
    model.eval()
    try:
        with ad.no_grad():
            for x, y in loader:
                out = model(x)
                loss = loss_fn(out, _target(out, y))
                meter.add(
                    float(loss.item()), _correct(out.numpy(force=True), y.numpy(force=True)), len(y)
                )
    finally:
        model.train(was_training)
    return meter.result()


def _layer_weights(model) -> list:
    """(layer name, weight) for every parameter named *weight with 2+ dims: the gradient-flow layers."""
    return [
        (name.rsplit(".", 1)[0] if "." in name else name, p)
        for name, p in model.named_parameters()
        if name.endswith("weight") and p.ndim > 1
    ]


def _grad_norms(layers) -> list:
    return [
        float(np.sqrt(np.sum(np.square(p.grad.numpy(force=True), dtype=np.float64))))
        if p.grad is not None
        else 0.0
        for _, p in layers
    ]


def _clip_gradients(parameters, max_norm: float) -> float:
    """Scale all gradients so their joint L2 norm is at most max_norm; returns the norm before."""
    return float(clip_grad_norm_(parameters, max_norm))


def _lr(optimizer) -> float:
    groups = getattr(optimizer, "param_groups", None)
    return float(groups[0]["lr"]) if groups else math.nan


def _progress(loader, enabled: bool, desc: str):
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=len(loader), desc=desc, leave=False, unit="batch", dynamic_ncols=True)


def _train_epoch(model, loader, optimizer, loss_fn, clip, layers, bar) -> tuple:
    model.train()
    meter, norm_sums, steps = _Meter(), np.zeros(len(layers)), 0
    for x, y in loader:
        optimizer.zero_grad()
        out = model(x)
        loss = loss_fn(out, _target(out, y))
        loss.backward()
        if layers:
            norm_sums += _grad_norms(layers)
        if clip is not None:
            _clip_gradients(list(model.parameters()), clip)
        optimizer.step()
        value = float(loss.item())
        if not math.isfinite(value):
            raise RuntimeError(
                f"fit: the training loss became {value} at step {steps}. Lower "
                "the learning rate, normalise the inputs or clip gradients."
            )
        meter.add(value, _correct(out.numpy(force=True), y.numpy(force=True)), len(y))
        steps += 1
        if bar is not None:
            loss_avg, acc = meter.result()
            bar.update(1)
            bar.set_postfix(loss=f"{loss_avg:.4f}", acc=f"{acc:.4f}", refresh=False)
    return meter.result(), norm_sums / max(steps, 1)


def _new_history(layers) -> dict:
    history = {key: [] for key in HISTORY_KEYS}
    history["grad_norms"] = {name: [] for name, _ in layers}
    return history


def _summary(epoch: int, epochs: int, history: dict) -> str:
    parts = [f"epoch {epoch}/{epochs}", f"loss {history['train_loss'][-1]:.4f}"]
    if not math.isnan(history["train_acc"][-1]):
        parts.append(f"acc {history['train_acc'][-1]:.4f}")
    if history["val_loss"] and not math.isnan(history["val_loss"][-1]):
        parts.append(f"val_loss {history['val_loss'][-1]:.4f}")
        if not math.isnan(history["val_acc"][-1]):
            parts.append(f"val_acc {history['val_acc'][-1]:.4f}")
    parts.append(f"{history['epoch_time'][-1]:.1f}s")
    return "  ".join(parts)


def fit(
    model,
    train_loader,
    val_loader=None,
    epochs: int = 1,
    optimizer=None,
    loss_fn=None,
    scheduler=None,
    clip_grad_norm=None,
    early_stopping=None,
    checkpoint_dir=None,
    resume: bool = False,
    progress: bool = True,
    record_grad_norms: bool = True,
    seed=None,
) -> dict:
    """Train model and return its history dict (train/val loss and accuracy, grad_norms, lr, time).

    seed (optional) calls ad.manual_seed first, so the same seed gives a bitwise-equal history.
    With checkpoint_dir a checkpoint is written atomically after every epoch; resume=True
    continues from it (model, optimizer, scheduler, random state, history) exactly.
    BLAS threads: set_threads() (AUTODIFF_THREADS, else the free cores) unless already set.
    The process's heap then keeps freed memory for the next step (nn.heap.keep_freed_memory).
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"fit: epochs must be a non-negative int, got {epochs!r}.")
    if seed is not None:
        ad.manual_seed(seed)
    if threads() is None:  # the caller (e.g. `autodiff train --threads`) may have set it
        set_threads()
    keep_freed_memory()
    optimizer = optimizer or Adam(model.parameters(), lr=1e-3)
    loss_fn = loss_fn or CrossEntropyLoss()
    if isinstance(early_stopping, int):
        early_stopping = EarlyStopping(patience=early_stopping)
    layers = _layer_weights(model) if record_grad_norms else []
    history, start = _new_history(layers), 0
    loaders = [train_loader, val_loader]
    if resume and checkpoint_dir is not None and checkpoint_exists(checkpoint_dir):
        state = load_checkpoint(checkpoint_dir, model, optimizer, scheduler, loaders)
        history, start = state["history"], state["epoch"]
        if early_stopping is not None and state.get("early_stopping"):
            early_stopping.load_state_dict(state["early_stopping"])
    for epoch in range(start, epochs):
        if early_stopping is not None and early_stopping.bad_epochs >= early_stopping.patience:
            break
        history["lr"].append(_lr(optimizer))
        began = time.perf_counter()
        bar = _progress(train_loader, progress, f"epoch {epoch + 1}/{epochs}")
        try:
            (loss, acc), norms = _train_epoch(
                model, train_loader, optimizer, loss_fn, clip_grad_norm, layers, bar
            )
        finally:
            if bar is not None:
                bar.close()
        history["train_loss"].append(loss)
        history["train_acc"].append(acc)
        for (name, _), value in zip(layers, norms, strict=True):
            history["grad_norms"][name].append(float(value))
        val = evaluate(model, val_loader, loss_fn) if val_loader is not None else (math.nan,) * 2
        history["val_loss"].append(val[0])
        history["val_acc"].append(val[1])
        history["epoch_time"].append(time.perf_counter() - began)
        if scheduler is not None:
            scheduler.step()
        stop = early_stopping is not None and early_stopping.step(history)
        if progress:
            print(_summary(epoch + 1, epochs, history), flush=True)
        if checkpoint_dir is not None:
            save_checkpoint(
                checkpoint_dir,
                model,
                optimizer,
                scheduler,
                loaders,
                epoch + 1,
                history,
                early_stopping,
            )
        if stop:
            break
    return history
