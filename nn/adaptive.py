"""AdaptiveLogSoftmaxWithLoss (Grave et al., efficient softmax approximation for GPUs): a head
softmax over the frequent classes plus one entry per cluster of rarer classes, each cluster
its own smaller softmax behind a low-rank projection. torch's layout (head, tail.i.0/1), its
forward (output, loss), log_prob and predict."""

from collections import namedtuple

import numpy as np

import autodiff as ad

from .activation import log_softmax
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module, factory_dtype

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])  # torch's name for forward's result


class AdaptiveLogSoftmaxWithLoss(Module):
    """Classes [0, cutoffs[0]) live in the head; cluster i holds [cutoffs[i], cutoffs[i+1])
    behind a projection to in_features // div_value**(i+1) features. forward(input, target)
    gives each target's log-probability and the mean negative log-likelihood."""

    def __init__(
        self,
        in_features: int,
        n_classes: int,
        cutoffs,
        div_value: float = 4.0,
        head_bias: bool = False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (
            cutoffs != sorted(cutoffs)
            or min(cutoffs) <= 0
            or max(cutoffs) > n_classes - 1
            or len(set(cutoffs)) != len(cutoffs)
            or any(int(c) != c for c in cutoffs)
        ):
            raise ValueError(
                "cutoffs should be a sequence of unique, positive integers sorted in an "
                "increasing order, where each value is between 1 and n_classes-1 (got "
                f"cutoffs={cutoffs}, n_classes={n_classes})"
            )
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        factory = dict(dtype=factory_dtype(device, dtype, "AdaptiveLogSoftmaxWithLoss"))
        self.head = Linear(in_features, self.head_size, bias=head_bias, **factory)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hidden = int(in_features // (div_value ** (i + 1)))
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(
                Sequential(
                    Linear(in_features, hidden, bias=False, **factory),
                    Linear(hidden, size, bias=False, **factory),
                )
            )

    def reset_parameters(self) -> None:
        self.head.reset_parameters()
        for i2h, h2o in self.tail:
            i2h.reset_parameters()
            h2o.reset_parameters()

    def forward(self, input_, target_):
        """(output, loss): output[n] = log p(target[n] | input[n]), loss = −mean(output). A 1-D
        input with a 0-d target is one example (output 0-d)."""
        input, target = _batched(input_, target_)
        classes = target.numpy(force=True)
        _check_targets(classes, self.n_classes)
        head_logprob = log_softmax(self.head(input), dim=1)
        # the head's entry: the class itself in the shortlist, else its cluster's entry
        cluster = np.searchsorted(self.cutoffs, classes, side="right")  # 0: the shortlist
        head_index = np.where(cluster == 0, classes, self.shortlist_size + cluster - 1)
        output = head_logprob.gather(1, ad.tensor(head_index[:, None])).squeeze(1)
        for i in range(1, self.n_clusters + 1):
            rows = np.flatnonzero(cluster == i)
            if rows.size == 0:
                continue
            rows_t = ad.tensor(rows)
            relative = ad.tensor(classes[rows, None] - self.cutoffs[i - 1])
            cluster_logprob = log_softmax(self.tail[i - 1](input.index_select(0, rows_t)), dim=1)
            output = output.index_add(0, rows_t, cluster_logprob.gather(1, relative).squeeze(1))
        loss = (-output).mean()
        if target_.ndim == 0:
            output = output.squeeze(0)
        return _ASMoutput(output, loss)

    def _get_full_log_prob(self, input, head_output):
        """log p(c | input) of every class: the head's for the shortlist, a cluster's own
        log-softmax plus the head's log-probability of that cluster for the rest."""
        head_logprob = log_softmax(head_output, dim=1)
        parts = [head_logprob[:, : self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster_logprob = log_softmax(self.tail[i](input), dim=1)
            entry = self.shortlist_size + i
            parts.append(cluster_logprob + head_logprob[:, entry : entry + 1])
        return ad.cat(parts, dim=1)

    def log_prob(self, input):
        """Log-probabilities of all n_classes for each row of a (N, in_features) input."""
        _check_matrix("log_prob", input, self.in_features)
        return self._get_full_log_prob(input, self.head(input))

    def predict(self, input):
        """The most probable class of each row: the head's argmax where it is a shortlist
        class, else the full distribution's argmax (computed only for those rows)."""
        _check_matrix("predict", input, self.in_features)
        head_output = self.head(input)
        output = ad.argmax(head_output, dim=1)
        outside = (output >= self.shortlist_size).numpy(force=True)
        if not outside.any():
            return output
        if outside.all():
            return ad.argmax(self._get_full_log_prob(input, head_output), dim=1)
        rows = ad.tensor(np.flatnonzero(outside))
        log_prob = self._get_full_log_prob(input[rows], head_output[rows])
        result = output.numpy(force=True).copy()
        result[outside] = ad.argmax(log_prob, dim=1).numpy(force=True)
        return ad.tensor(result)


def _batched(input, target) -> tuple:
    """(input, target) as a batch, checked as torch checks them."""
    if target.ndim == 1:
        if input.shape[0] != target.shape[0]:
            raise RuntimeError(
                "AdaptiveLogSoftmaxWithLoss: Input and target should have the same size in the "
                f"batch dimension (input {tuple(input.shape)}, target {tuple(target.shape)})."
            )
        if input.ndim != 2:
            raise RuntimeError(
                "AdaptiveLogSoftmaxWithLoss: 1D target tensor expects 2D input tensors, but "
                f"found inputs with size {tuple(input.shape)}"
            )
        return input, target
    if target.ndim == 0:
        if input.ndim != 1:
            raise RuntimeError(
                "AdaptiveLogSoftmaxWithLoss: 0D target tensor expects 1D input tensors, but "
                f"found inputs with size {tuple(input.shape)}"
            )
        return input.unsqueeze(0), target.unsqueeze(0)
    raise RuntimeError(
        "AdaptiveLogSoftmaxWithLoss: 0D or 1D target tensor expected, multi-target not "
        f"supported (got target of shape {tuple(target.shape)})"
    )


def _check_targets(classes: np.ndarray, n_classes: int) -> None:
    if classes.dtype.kind not in "iu":
        raise RuntimeError(
            f"AdaptiveLogSoftmaxWithLoss: target must hold class indices (an integer tensor), "
            f"got dtype {classes.dtype}. Pass target.long()."
        )
    if classes.size and (classes.min() < 0 or classes.max() >= n_classes):
        raise RuntimeError(
            f"Target values should be in [0, {n_classes - 1}], but values in range "
            f"[{classes.min()}, {classes.max()}] were found. "
        )


def _check_matrix(name: str, input, in_features: int) -> None:
    if input.ndim != 2 or input.shape[1] != in_features:
        raise RuntimeError(
            f"AdaptiveLogSoftmaxWithLoss.{name}: expected input of shape (N, {in_features}), "
            f"got {tuple(input.shape)}"
        )
