"""Embedding: rows of a weight table looked up by integer indices (padding_idx, max_norm,
scale_grad_by_freq, from_pretrained), as torch.nn.Embedding and F.embedding."""

import numpy as np

import autodiff as ad
from autodiff.errors import ArgumentError, DtypeError, ShapeError
from autodiff.ops.comparison import discrete

from . import init
from .module import Module, Parameter, factory_dtype


class Lookup(ad.Function):
    """weight[indices], one row per index (torch's embedding). Its gradient adds each row's
    gradient into its table row (TableGrad); scaled=True also scales the rows as TableGrad
    does (TableGrad's own gradient)."""

    node_name = "EmbeddingBackward0"
    symbol = "embedding"

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq, scaled=False):
        rows = weight[indices]
        scale = _row_scale(indices, weight.shape[0], padding_idx, scale_grad_by_freq, rows.dtype)
        return rows * scale if scaled and scale is not None else rows

    @staticmethod
    def backward(ctx, grad):
        (rows, _), _ = ctx.input_meta[0]
        options = {k: v for k, v in ctx.options.items() if k != "scaled"}
        return TableGrad.apply(grad, rows=rows, **options)


class TableGrad(ad.Function):
    """The table's gradient (torch's embedding_dense_backward): each row's gradient added into
    its table row, none into padding_idx, divided by the index's count with
    scale_grad_by_freq. Computed from the indices inside the op, so that ad.compile replays it
    for each call's indices. Linear in grad: its gradient is the scaled lookup."""

    node_name = "EmbeddingDenseBackwardBackward0"
    symbol = "embeddingᵀ"

    @staticmethod
    def forward(ctx, grad, indices, rows, padding_idx, scale_grad_by_freq):
        dim = grad.shape[-1]
        scale = _row_scale(indices, rows, padding_idx, scale_grad_by_freq, grad.dtype)
        out = np.zeros((rows, dim), grad.dtype)
        np.add.at(
            out, indices.reshape(-1), (grad if scale is None else grad * scale).reshape(-1, dim)
        )
        return out

    @staticmethod
    def backward(ctx, gg):
        o = ctx.options
        return Lookup.apply(
            gg,
            indices=o["indices"],
            padding_idx=o["padding_idx"],
            scale_grad_by_freq=o["scale_grad_by_freq"],
            scaled=True,
        )


def _row_scale(indices: np.ndarray, rows: int, padding_idx, by_freq: bool, dtype):
    """Per looked-up row (shape indices.shape + (1,)): 0 at padding_idx, 1/count of its index
    with scale_grad_by_freq, else 1; None where every row's is 1."""
    if padding_idx is None and not by_freq:
        return None
    scale = np.ones(indices.shape + (1,), dtype)
    if by_freq:
        scale /= np.bincount(indices.ravel(), minlength=rows)[indices][..., None]
    if padding_idx is not None:
        scale[indices == padding_idx] = 0
    return scale


def _indices(input, num_embeddings: int):
    """The indices as an int64 tensor, checked against the table on every call (an op)."""
    idx = input if isinstance(input, ad.Tensor) else ad.as_tensor(np.asarray(input))
    if idx.dtype.kind not in "iu":
        raise DtypeError(
            f"embedding: indices must be integers (int64 or int32), got dtype {idx.dtype}. "
            "Use .long() on the index tensor."
        )
    return discrete(_checked, idx, num_embeddings=num_embeddings)


def _checked(idx: np.ndarray, num_embeddings: int) -> np.ndarray:
    if idx.size and (idx.min() < 0 or idx.max() >= num_embeddings):
        bad = int(idx.min()) if idx.min() < 0 else int(idx.max())
        raise IndexError(
            f"embedding: index {bad} out of range for a table of {num_embeddings} rows "
            f"(valid: 0..{num_embeddings - 1})"
        )
    return idx.astype(np.int64, copy=False)


def _padding_idx(padding_idx, num_embeddings: int):
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(
            f"Embedding: padding_idx {padding_idx} must be within num_embeddings ({num_embeddings})"
        )
    return padding_idx % num_embeddings


def _renorm_(weight, idx: np.ndarray, max_norm: float, norm_type: float) -> None:
    """Rescale, in place and outside the graph, the looked-up rows whose norm exceeds max_norm
    (NumPy on the values: inside ad.compile a read it refuses)."""
    table = weight.numpy(force=True)
    rows = np.unique(idx)
    norms = np.linalg.norm(table[rows], ord=norm_type, axis=1)
    big = rows[norms > max_norm]
    if big.size:
        scale = (max_norm / (norms[norms > max_norm] + 1e-7)).astype(table.dtype)
        with ad.no_grad():  # an in-place write the engine sees (version counters)
            weight[big] = ad.from_numpy(table[big] * scale[:, None])


def embedding(
    input,
    weight,
    padding_idx=None,
    max_norm=None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
):
    """weight[input]: one row of weight (num_embeddings, embedding_dim) per index."""
    if sparse:
        raise ValueError(
            "embedding: sparse=True is not supported (gradients are dense arrays here); "
            "use sparse=False, which gives the same values."
        )
    if weight.ndim != 2:
        raise ShapeError(f"embedding: weight must be 2-D, got shape {tuple(weight.shape)}")
    n = weight.shape[0]
    idx = _indices(input, n)
    padding_idx = _padding_idx(padding_idx, n)
    if max_norm is not None:
        if not max_norm > 0 or not np.isfinite(max_norm):
            raise ValueError(f"embedding: max_norm must be a finite number > 0, got {max_norm}")
        with ad.no_grad():
            _renorm_(weight, idx.numpy(force=True), max_norm, norm_type)
    return Lookup.apply(
        weight, indices=idx, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq
    )


class _Table(Module):
    """What Embedding and EmbeddingBag share: the (num_embeddings, embedding_dim) weight, N(0, 1)
    at first with the padding row zeroed, or a given one."""

    def _set_table(self, op: str, given, device, dtype, freeze: bool = False) -> None:
        shape, dtype = (self.num_embeddings, self.embedding_dim), factory_dtype(device, dtype, op)
        if given is None:
            self.weight = Parameter(np.empty(shape, dtype=dtype))
            self.reset_parameters()
            return
        if tuple(given.shape) != shape:
            raise ValueError(
                f"{op}: Shape of weight {tuple(given.shape)} does not match "
                f"num_embeddings and embedding_dim {shape}"
            )
        self.weight = Parameter(given, requires_grad=not freeze)

    def reset_parameters(self) -> None:
        """N(0, 1), with the padding row zeroed, as torch."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with ad.no_grad():
                self.weight[self.padding_idx] = 0


class Embedding(_Table):
    """A lookup table of num_embeddings vectors of size embedding_dim, initialised N(0, 1)."""

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx=None,
        max_norm=None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight=None,
        _freeze: bool = False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        for name, value in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ArgumentError(f"Embedding: {name} must be a non-negative int, got {value!r}")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = _padding_idx(padding_idx, num_embeddings)
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        self._set_table("Embedding", _weight, device, dtype, _freeze)

    def forward(self, input):
        return embedding(
            input,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
        )

    @classmethod
    def from_pretrained(
        cls,
        embeddings,
        freeze: bool = True,
        padding_idx=None,
        max_norm=None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> "Embedding":
        """An Embedding whose table is embeddings (2-D), frozen unless freeze=False."""
        if embeddings.ndim != 2:
            raise ValueError(
                f"Embedding.from_pretrained: Embeddings parameter is expected to be 2-dimensional, "
                f"got shape {tuple(embeddings.shape)}"
            )
        rows, cols = embeddings.shape
        return cls(
            rows,
            cols,
            padding_idx,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            sparse,
            _weight=embeddings,
            _freeze=freeze,
        )

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            text += ", scale_grad_by_freq=True"
        if self.sparse:
            text += ", sparse=True"
        return text
