"""EmbeddingBag: the sum, mean or max of the embeddings of each bag of indices, as
torch.nn.EmbeddingBag and F.embedding_bag.

Bags come as a 2-D batch of equal-length bags, or as a flat 1-D list of indices with the offset
where each bag starts. One Function (torch's EmbeddingBagBackward0) reduces; the table's
gradient is another (each entry's gradient added onto its row), whose own backward is a
gather, so second derivatives work.
"""

import numpy as np

import autodiff as ad
from autodiff.errors import ArgumentError, ShapeError

from .embedding import _indices, _padding_idx, _renorm_, _Table

_MODES = ("sum", "mean", "max")


def _layout(indices, offsets, include_last_offset, mode, padding_idx, scale_grad_by_freq, dtype):
    """Per entry its bag, the number of bags, and per entry its factor in the bag's value (0
    for padding, 1/size in a mean) and in the table's gradient (that, divided by the index's
    frequency with scale_grad_by_freq)."""
    ends = np.append(offsets[1:], len(indices)) if not include_last_offset else offsets[1:]
    starts = offsets[:-1] if include_last_offset else offsets
    if len(offsets) and (
        offsets[0] != 0 or (np.diff(offsets) < 0).any() or ends[-1] > len(indices)
    ):
        raise ArgumentError(
            f"embedding_bag: offsets must start at 0, never decrease and stay within the "
            f"{len(indices)} indices, got {offsets.tolist()[:8]}"
        )
    bags = np.repeat(np.arange(len(starts)), ends - starts)
    kept = np.ones(len(indices), bool) if padding_idx is None else indices != padding_idx
    value = kept.astype(dtype)
    if mode == "mean":
        value /= np.maximum(np.bincount(bags[kept], minlength=len(starts)), 1)[bags]
    grad_factor = value / np.bincount(indices)[indices] if scale_grad_by_freq else value
    return bags, len(starts), value, grad_factor


class EmbeddingBagReduce(ad.Function):
    """out[b] = the sum, mean or max of weight[indices[k]]·w_k over the entries k of bag b."""

    node_name = "EmbeddingBagBackward0"
    symbol = "bag"

    @staticmethod
    def forward(ctx, weight, per_sample_weights, indices, offsets, **layout):
        bags, count, value, _ = _layout(indices, offsets, dtype=weight.dtype, **layout)
        rows = weight[indices]
        out = np.zeros((count, weight.shape[1]), dtype=weight.dtype)
        if layout["mode"] == "max":
            best = np.full(out.shape, -1)  # the entry holding each maximum; -1: an empty bag
            for k in np.flatnonzero(value):  # entries in order: the first maximum stays
                better = (best[bags[k]] < 0) | (rows[k] > out[bags[k]])
                out[bags[k]] = np.where(better, rows[k], out[bags[k]])
                best[bags[k]] = np.where(better, k, best[bags[k]])
            ctx.save_for_backward(best)
            return out
        factor = value if per_sample_weights is None else value * per_sample_weights
        np.add.at(out, bags, rows * factor[:, None])
        ctx.save_for_backward(weight, per_sample_weights)
        return out

    @staticmethod
    def backward(ctx, grad):
        opts = dict(ctx.options)
        indices, offsets = opts.pop("indices"), opts.pop("offsets")
        bags, _, value, grad_factor = _layout(indices, offsets, dtype=grad.dtype, **opts)
        where = dict(indices=indices, bags=bags, rows=ctx.input_meta[0][0][0])
        if opts["mode"] == "max":
            (best,) = ctx.saved_tensors
            best = best.numpy(force=True) if isinstance(best, ad.Tensor) else best
            return BagScatter.apply(grad, best=best, factor=None, **where), None
        weight, psw = ctx.saved_tensors
        need = ctx.needs_input_grad
        grad_weight = grad_psw = None
        if need[0]:  # the weights as constants: no second derivative through them
            factor = grad_factor if psw is None else grad_factor * np.asarray(psw.detach())
            grad_weight = BagScatter.apply(grad, best=None, factor=factor, **where)
        if need[1]:
            grad_psw = (grad[bags] * weight[indices]).sum(1) * value
        return grad_weight, grad_psw


class BagScatter(ad.Function):
    """The table's gradient: each entry's bag gradient times its factor added onto its row
    (max: each maximum's gradient onto the row that held it)."""

    node_name = "EmbeddingBagBackwardBackward0"
    symbol = "bagᵀ"

    @staticmethod
    def forward(ctx, grad, indices, bags, rows, best, factor):
        out = np.zeros((rows, grad.shape[1]), dtype=grad.dtype)
        if best is not None:
            held = best >= 0
            columns = np.broadcast_to(np.arange(grad.shape[1]), best.shape)
            np.add.at(out, (indices[best[held]], columns[held]), grad[held])
        else:
            np.add.at(out, indices, grad[bags] * factor[:, None].astype(grad.dtype))
        return out

    @staticmethod
    def backward(ctx, gg):
        opts = ctx.options
        best, indices = opts["best"], opts["indices"]
        if best is not None:  # each maximum's gradient reads its row back
            columns = np.broadcast_to(np.arange(gg.shape[1]), best.shape)
            return gg[indices[np.maximum(best, 0)], columns] * (best >= 0)
        bags = opts["bags"]
        members = np.zeros((ctx.input_meta[0][0][0], len(bags)), dtype=gg.dtype)
        members[bags, np.arange(len(bags))] = opts["factor"]
        return ad.from_numpy(members) @ gg[indices]


def _flat(input, offsets, per_sample_weights) -> tuple:
    """The indices as one list with the offsets where bags start (a 2-D input: equal bags)."""
    if input.ndim == 2:
        if offsets is not None:
            raise ShapeError(
                "embedding_bag: if input is 2D, then offsets has to be None, as input is "
                "treated is a mini-batch of fixed length sequences. However, found offsets of "
                f"type {type(offsets).__name__}"
            )
        length = input.shape[1]
        offsets = ad.arange(0, input.numel(), max(length, 1), dtype=ad.int64)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
        return input.reshape(-1), offsets, per_sample_weights
    if input.ndim != 1:
        raise ShapeError(
            f"embedding_bag: input has to be 1D or 2D Tensor, but got Tensor of dimension "
            f"{input.ndim}"
        )
    if offsets is None or offsets.ndim != 1:
        raise ShapeError(
            f"embedding_bag: offsets has to be a 1D Tensor but got "
            f"{None if offsets is None else f'a {offsets.ndim}D one'}"
        )
    return input, offsets, per_sample_weights


def embedding_bag(
    input,
    weight,
    offsets=None,
    max_norm=None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights=None,
    include_last_offset: bool = False,
    padding_idx=None,
):
    """The sum, mean or max of the rows of weight that each bag of indices picks: input
    (B, N) is B bags of N indices; a 1-D input is split into bags at offsets."""
    if mode not in _MODES:
        raise ArgumentError(f"embedding_bag: mode has to be one of sum, mean or max, got {mode!r}")
    if sparse:
        raise ArgumentError("embedding_bag: sparse=True is not supported; use sparse=False")
    if per_sample_weights is not None and mode != "sum":
        raise ArgumentError(
            f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}')."
        )
    if weight.ndim != 2:
        raise ShapeError(f"embedding_bag: weight must be 2-D, got shape {tuple(weight.shape)}")
    input = input if isinstance(input, ad.Tensor) else ad.as_tensor(np.asarray(input))
    indices, offsets, per_sample_weights = _flat(input, offsets, per_sample_weights)
    if per_sample_weights is not None and tuple(per_sample_weights.shape) != tuple(indices.shape):
        raise ShapeError(
            f"embedding_bag: per_sample_weights of shape {tuple(per_sample_weights.shape)} must "
            f"have the input's shape {tuple(input.shape)}"
        )
    indices = _indices(indices, weight.shape[0])
    if max_norm is not None:
        with ad.no_grad():
            _renorm_(weight, indices.numpy(force=True), max_norm, norm_type)
    return EmbeddingBagReduce.apply(
        weight,
        per_sample_weights,
        indices=indices,
        offsets=offsets.long(),
        include_last_offset=bool(include_last_offset),
        mode=mode,
        padding_idx=_padding_idx(padding_idx, weight.shape[0]),
        scale_grad_by_freq=bool(scale_grad_by_freq) and mode != "max",
    )


class EmbeddingBag(_Table):
    """A table of num_embeddings vectors (N(0, 1) at first); each call sums, averages or takes
    the maximum of the vectors of each bag of indices."""

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        max_norm=None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        _weight=None,
        include_last_offset: bool = False,
        padding_idx=None,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.mode, self.sparse = scale_grad_by_freq, mode, sparse
        self.include_last_offset = include_last_offset
        self.padding_idx = _padding_idx(padding_idx, num_embeddings)
        self._set_table("EmbeddingBag", _weight, device, dtype)

    def forward(self, input, offsets=None, per_sample_weights=None):
        return embedding_bag(
            input,
            self.weight,
            offsets,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.mode,
            self.sparse,
            per_sample_weights,
            self.include_last_offset,
            self.padding_idx,
        )

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            text += ", scale_grad_by_freq=True"
        text += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        return text
