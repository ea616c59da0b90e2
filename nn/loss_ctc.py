"""CTC loss (connectionist temporal classification): the negative log-probability of a label
sequence summed over all its alignments to the input frames, by the forward-backward
recursions in log space, as torch's CPU kernel (CtcLossBackward0, and its gradient)."""

import numpy as np

import autodiff as ad
from autodiff.errors import ArgumentError, ShapeError

from .loss import _check_reduction, _Loss

_NEG_INF = -np.inf


def _extended(labels: np.ndarray, blank: int) -> tuple:
    """The labels with a blank before, between and after them, and where a step may skip the
    blank before a label (not between two equal labels)."""
    ext = np.full(2 * len(labels) + 1, blank)
    ext[1::2] = labels
    skip = np.zeros(len(ext), bool)
    skip[3::2] = labels[1:] != labels[:-1]
    return ext, skip


def _logaddexp3(a, b, c):
    top = np.maximum(np.maximum(a, b), c)
    safe = np.where(np.isfinite(top), top, 0)
    with np.errstate(divide="ignore"):
        return safe + np.log(np.exp(a - safe) + np.exp(b - safe) + np.exp(c - safe))


def _shifted(row: np.ndarray, by: int) -> np.ndarray:
    """row moved by `by` places (right, down the label sequence, for by > 0; left for by < 0),
    -inf flowing in."""
    out = np.full_like(row, _NEG_INF)
    if by > 0:
        out[by:] = row[: len(row) - by]
    else:
        out[: len(row) + by] = row[-by:]
    return out


def _sample(lp: np.ndarray, labels: np.ndarray, blank: int) -> tuple:
    """The loss of one sample (lp: (T, C) over its own frames) and torch's gradient of it
    with respect to lp: exp(lp) − exp(log Σ_{s: l'_s = c} α_t(s)·β_t(s) + nll − lp)."""
    ext, skip = _extended(labels, blank)
    frames, length = len(lp), len(ext)
    emit = lp[:, ext]  # (T, L): each frame's log-probability of each extended label
    alpha = np.full((frames, length), _NEG_INF)
    alpha[0, : min(2, length)] = emit[0, : min(2, length)]
    for t in range(1, frames):
        before = alpha[t - 1]
        skipped = np.where(skip, _shifted(before, 2), _NEG_INF)
        alpha[t] = _logaddexp3(before, _shifted(before, 1), skipped) + emit[t]
    beta = np.full((frames, length), _NEG_INF)
    beta[-1, max(length - 2, 0) :] = emit[-1, max(length - 2, 0) :]
    skip_from = np.append(skip[2:], [False, False])  # s may step on to s + 2
    for t in range(frames - 2, -1, -1):
        after = beta[t + 1]
        skipped = np.where(skip_from, _shifted(after, -2), _NEG_INF)
        beta[t] = _logaddexp3(after, _shifted(after, -1), skipped) + emit[t]
    nll = -np.logaddexp.reduce(alpha[-1, max(length - 2, 0) :])
    occupancy = np.full(lp.shape, _NEG_INF)
    for c in np.unique(ext):
        occupancy[:, c] = np.logaddexp.reduce(alpha[:, ext == c] + beta[:, ext == c], axis=1)
    with np.errstate(over="ignore", invalid="ignore"):
        grad = np.exp(lp) - np.exp(occupancy + nll - lp)
    return nll, grad


class ConnectionistTemporalClassification(ad.Function):
    """The CTC loss of each sample of log_probs (T, N, C) (the targets and lengths as
    options); its gradient is torch's, the one that is right after a log_softmax."""

    node_name = "CtcLossBackward0"
    symbol = "CTC"
    array_backward = True

    @staticmethod
    def forward(ctx, log_probs, targets, input_lengths, target_lengths, blank, zero_infinity):
        lp = log_probs.astype(np.float64)
        losses = np.zeros(lp.shape[1])
        grads = np.zeros(lp.shape)
        start = 0
        for n, (frames, size) in enumerate(zip(input_lengths, target_lengths)):
            if targets.ndim == 2:
                labels = targets[n, :size]
            else:
                labels, start = targets[start : start + size], start + size
            nll, grad = _sample(lp[:frames, n], labels, blank)
            if zero_infinity and np.isinf(nll):
                nll, grad = 0.0, 0.0
            losses[n], grads[:frames, n] = nll, grad
        ctx.save_for_backward(grads.astype(log_probs.dtype))
        return losses.astype(log_probs.dtype)

    @staticmethod
    def backward(ctx, grad):
        if ad.is_grad_enabled():
            raise RuntimeError(
                "ctc_loss: the derivative of its backward is not implemented (as in torch); "
                "take first derivatives only"
            )
        (grads,) = ctx.saved_tensors
        return grads * grad.reshape(1, -1, 1)


def _lengths(values, name: str, batch: int) -> np.ndarray:
    array = values.numpy(force=True) if isinstance(values, ad.Tensor) else np.asarray(values)
    array = array.reshape(-1).astype(np.int64)
    if len(array) != batch:
        raise ShapeError(f"ctc_loss: {name} must be of size batch_size ({batch}), got {len(array)}")
    return array


@ad.amp.cast_inputs("fp32")
def ctc_loss(
    log_probs,
    targets,
    input_lengths,
    target_lengths,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
):
    """CTC loss of log_probs (T, N, C) (log_softmax outputs) against targets (N, S) padded or
    1-D concatenated; 'mean' divides each loss by its target length, then averages."""
    _check_reduction(reduction, "ctc_loss")
    if log_probs.ndim not in (2, 3):
        raise ShapeError(
            f"ctc_loss: log_probs must be (T, N, C) or (T, C), got shape {tuple(log_probs.shape)}"
        )
    if log_probs.ndim == 2:  # one sample
        losses = ctc_loss(
            log_probs.unsqueeze(1), targets.reshape(1, -1), [int(input_lengths)],
            [int(target_lengths)], blank, "none", zero_infinity,
        )  # fmt: skip
        loss = losses.squeeze(0)
        return loss if reduction != "mean" else loss / max(int(target_lengths), 1)
    frames, batch, classes = log_probs.shape
    if not 0 <= blank < classes:
        raise ArgumentError(
            f"ctc_loss: blank must be in label range (0..{classes - 1}), got {blank}"
        )
    lengths_in = _lengths(input_lengths, "input_lengths", batch)
    lengths_out = _lengths(target_lengths, "target_lengths", batch)
    if lengths_in.size and lengths_in.max() > frames:
        raise ArgumentError(
            f"ctc_loss: Expected input_lengths to have value at most {frames}, but got value "
            f"{lengths_in.max()}"
        )
    labels = targets.numpy(force=True) if isinstance(targets, ad.Tensor) else np.asarray(targets)
    needed = lengths_out.max(initial=0) if labels.ndim == 2 else lengths_out.sum()
    if labels.shape[-1] < needed:
        raise ShapeError(
            f"ctc_loss: Expected tensor to have size at least {needed} at dimension "
            f"{labels.ndim - 1}, but got size {labels.shape[-1]} for argument #2 'targets'"
        )
    losses = ConnectionistTemporalClassification.apply(
        log_probs,
        targets=labels.astype(np.int64),
        input_lengths=lengths_in,
        target_lengths=lengths_out,
        blank=int(blank),
        zero_infinity=bool(zero_infinity),
    )
    if reduction == "sum":
        return losses.sum()
    if reduction == "mean":
        divisor = ad.tensor(np.maximum(lengths_out, 1), dtype=log_probs.dtype)
        return (losses / divisor).mean()
    return losses


class CTCLoss(_Loss):
    """Connectionist temporal classification loss."""

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False):
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return ctc_loss(
            log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction,
            self.zero_infinity,
        )  # fmt: skip
