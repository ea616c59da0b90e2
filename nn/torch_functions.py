"""torch's top-level forms of nn's functions, with torch's own signatures: torch.dropout(x, p,
train), torch.batch_norm(input, weight, bias, running_mean, running_var, ...), torch.embedding
(weight, indices), reductions as torch's enum (0 'none', 1 'mean', 2 'sum'), ... The engine
cannot import nn, so `autodiff run` shows these as torch.X beside autodiff's names
(autodiff_cli/run.py). Each is nn.functional's op: the same kernel, node and checks."""

import math

import autodiff as ad

from .activation import prelu, selu, selu_
from .activation_hard import rrelu as _rrelu
from .activation_hard import threshold, threshold_
from .activation_more import celu, celu_
from .conv import conv1d, conv2d
from .conv3d import conv3d, conv_transpose3d
from .conv_transpose import conv_transpose1d, conv_transpose2d
from .distance import cosine_similarity, pairwise_distance, pdist
from .dropout import _check_p, _feature_dropout
from .dropout import alpha_dropout as _alpha_dropout
from .dropout import dropout as _dropout
from .dropout import feature_alpha_dropout as _feature_alpha_dropout
from .embedding import embedding as _embedding
from .embedding_bag import embedding_bag as _embedding_bag
from .grid_sampling import affine_grid as _affine_grid
from .grid_sampling import grid_sample as _grid_sample
from .linear import bilinear
from .linear import linear as _linear
from .loss import binary_cross_entropy_with_logits as _bce_with_logits
from .loss import kl_div as _kl_div
from .loss_ctc import ctc_loss as _ctc_loss
from .loss_margin import cosine_embedding_loss as _cosine_embedding_loss
from .loss_margin import hinge_embedding_loss as _hinge_embedding_loss
from .loss_margin import margin_ranking_loss as _margin_ranking_loss
from .loss_margin import triplet_margin_loss as _triplet_margin_loss
from .loss_regression import poisson_nll_loss as _poisson_nll_loss
from .normalization import batch_norm as _batch_norm
from .normalization import group_norm as _group_norm
from .normalization import layer_norm as _layer_norm
from .normalization_more import instance_norm as _instance_norm
from .normalization_more import rms_norm
from .padding import pad as _pad
from .pooling import max_pool2d as _max_pool2d
from .pooling1d import adaptive_avg_pool1d, avg_pool1d
from .pooling1d import max_pool1d as _max_pool1d
from .pooling1d import max_pool1d_with_indices as _max_pool1d_with_indices
from .pooling3d import max_pool3d as _max_pool3d
from .pooling_indices import adaptive_max_pool1d as _adaptive_max_pool1d
from .rnn import activation, gru_step, lstm_step, over_flat_weights, rnn_step
from .upsampling import channel_shuffle, pixel_shuffle, pixel_unshuffle
from .utils.rnn import PackedSequence
from .utils.weight_norm import norm_except_dim

_REDUCTIONS = ("none", "mean", "sum")  # torch's at::Reduction enum, in its order


def _reduction(value, op: str) -> str:
    if isinstance(value, bool) or value not in range(3):
        raise TypeError(
            f"{op}: argument 'reduction' must be torch's enum int, 0 (none), 1 (mean) or 2 (sum), "
            f"not {value!r}. torch.nn.functional.{op} takes the names ('mean', ...)."
        )
    return _REDUCTIONS[value]


# --- dropout: (input, p, train), train required --------------------------------------------------
def dropout(input, p: float, train: bool):
    return _dropout(input, p, train)


def dropout_(input, p: float, train: bool):
    return _dropout(input, p, train, inplace=True)


def alpha_dropout(input, p: float, train: bool):
    return _alpha_dropout(input, p, train)


def alpha_dropout_(input, p: float, train: bool):
    return _alpha_dropout(input, p, train, inplace=True)


def feature_dropout(input, p: float, train: bool):
    """Whole channels (dim 1) dropped, one draw per (sample, channel), as torch."""
    _check_p("feature_dropout", p)
    return _feature_dropout(input, p, train, inplace=False)


def feature_dropout_(input, p: float, train: bool):
    _check_p("feature_dropout_", p)
    return _feature_dropout(input, p, train, inplace=True)


def feature_alpha_dropout(input, p: float, train: bool):
    """Alpha dropout of whole channels (dim 1), as F.feature_alpha_dropout."""
    return _feature_alpha_dropout(input, p, train)


def feature_alpha_dropout_(input, p: float, train: bool):
    return _feature_alpha_dropout(input, p, train, inplace=True)


# --- normalization: torch's argument order ---------------------------------------------------------
def batch_norm(input, weight, bias, running_mean, running_var, training: bool, momentum: float,
               eps: float, cudnn_enabled: bool = True):  # fmt: skip
    return _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats: bool,
                  momentum: float, eps: float, cudnn_enabled: bool = True):  # fmt: skip
    return _instance_norm(
        input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps
    )


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
    return _layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups: int, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    return _group_norm(input, num_groups, weight, bias, eps)


# --- layers and activations ------------------------------------------------------------------------
def embedding(weight, indices, padding_idx: int = -1, scale_grad_by_freq=False, sparse=False):
    """torch.embedding: the table first, padding_idx -1 for none (F.embedding's None)."""
    padding_idx = None if padding_idx == -1 else padding_idx
    return _embedding(indices, weight, padding_idx, scale_grad_by_freq=scale_grad_by_freq)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    _default_generator_only("rrelu", generator)
    return _rrelu(input, lower, upper, training)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    _default_generator_only("rrelu_", generator)
    return _rrelu(input, lower, upper, training, inplace=True)


def _default_generator_only(op: str, generator) -> None:
    if generator is not None:
        raise NotImplementedError(
            f"{op}: generator= is not supported; its slopes come from the default generator. "
            "Seed it with torch.manual_seed(...)."
        )


def constant_pad_nd(input, pad, value=0):
    return _pad(input, pad, "constant", value)


# --- pooling: no return_indices (torch's top level has none); adaptive max returns both ------
def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return _max_pool1d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return _max_pool2d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return _max_pool3d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """(values, indices), as torch's top-level form."""
    return _max_pool1d_with_indices(
        input, kernel_size, stride or None, padding, dilation, ceil_mode
    )


def adaptive_max_pool1d(input, output_size):
    """(values, indices), as torch's top-level form always returns."""
    return _adaptive_max_pool1d(input, output_size, return_indices=True)


# --- losses: reduction as torch's enum int ---------------------------------------------------------
def kl_div(input, target, reduction: int = 1, *, log_target: bool = False):
    return _kl_div(input, target, reduction=_reduction(reduction, "kl_div"), log_target=log_target)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=1):
    reduction = _reduction(reduction, "binary_cross_entropy_with_logits")
    return _bce_with_logits(input, target, weight, reduction=reduction, pos_weight=pos_weight)


def poisson_nll_loss(input, target, log_input: bool, full: bool, eps: float, reduction: int):
    reduction = _reduction(reduction, "poisson_nll_loss")
    return _poisson_nll_loss(input, target, log_input, full, eps=eps, reduction=reduction)


def margin_ranking_loss(input1, input2, target, margin: float = 0.0, reduction: int = 1):
    reduction = _reduction(reduction, "margin_ranking_loss")
    return _margin_ranking_loss(input1, input2, target, margin, reduction=reduction)


def hinge_embedding_loss(input, target, margin: float = 1.0, reduction: int = 1):
    reduction = _reduction(reduction, "hinge_embedding_loss")
    return _hinge_embedding_loss(input, target, margin, reduction=reduction)


def cosine_embedding_loss(input1, input2, target, margin: float = 0.0, reduction: int = 1):
    reduction = _reduction(reduction, "cosine_embedding_loss")
    return _cosine_embedding_loss(input1, input2, target, margin, reduction=reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        reduction=1):  # fmt: skip
    reduction = _reduction(reduction, "triplet_margin_loss")
    return _triplet_margin_loss(
        anchor, positive, negative, margin, p, eps, swap, reduction=reduction
    )


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=1,
             zero_infinity=False):  # fmt: skip
    reduction = _reduction(reduction, "ctc_loss")
    return _ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, reduction,
                     zero_infinity)  # fmt: skip


# --- one recurrent step: torch.lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None), ... -------
def _cell(op: str, step, gates: int, states: int, act, input, hx, w_ih, w_hh, b_ih, b_hh):
    """nn's cells' step on a (batch, input_size) input, with torch's checks of the weights."""
    if input.ndim != 2:
        raise IndexError(f"{op}: input must be 2-d (batch, input_size), got shape "
                         f"{tuple(input.shape)}; unsqueeze(0) a single sample.")  # fmt: skip
    if states == 2:
        if not isinstance(hx, tuple | list):
            raise TypeError(f"{op}(): argument 'hx' (position 2) must be tuple of Tensors (h, c), "
                            f"not {type(hx).__name__}")  # fmt: skip
        if len(hx) != 2:
            raise RuntimeError(f"{op} expects two hidden states (h, c), got {len(hx)}")
        state = tuple(hx)
    else:
        state = (hx,)
    hidden = state[0].shape[-1]
    for name, w in (("weight_ih", w_ih), ("weight_hh", w_hh)):
        if w.shape[0] != gates * hidden:
            raise RuntimeError(f"{op}: {name} first dim must be {gates} * hidden_size = "
                               f"{gates * hidden}, but got {w.shape[0]}")  # fmt: skip
    if input.shape[1] != w_ih.shape[1]:
        raise RuntimeError(f"{op}: input has inconsistent input_size: got {input.shape[1]} "
                           f"expected {w_ih.shape[1]}")  # fmt: skip
    out = step(act, _linear(input, w_ih, b_ih), state, w_hh, b_hh)
    return out if states == 2 else out[0]


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step, as nn.LSTMCell's: returns (h', c')."""
    return _cell("lstm_cell", lstm_step, 4, 2, None, input, hx, w_ih, w_hh, b_ih, b_hh)


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step, as nn.GRUCell's: returns h'."""
    return _cell("gru_cell", gru_step, 3, 1, None, input, hx, w_ih, w_hh, b_ih, b_hh)


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh), as nn.RNNCell's."""
    tanh = activation("tanh", "rnn_tanh_cell")
    return _cell("rnn_tanh_cell", rnn_step, 1, 1, tanh, input, hx, w_ih, w_hh, b_ih, b_hh)


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """h' = relu(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh), as nn.RNNCell(nonlinearity='relu')'s."""
    relu = activation("relu", "rnn_relu_cell")
    return _cell("rnn_relu_cell", rnn_step, 1, 1, relu, input, hx, w_ih, w_hh, b_ih, b_hh)


# --- torch.convolution: one entry for every convolution, told apart by weight's dims -------------
_CONVOLUTIONS = {1: (conv1d, conv_transpose1d), 2: (conv2d, conv_transpose2d),
                 3: (conv3d, conv_transpose3d)}  # fmt: skip


def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding,
                groups):  # fmt: skip
    """conv1d/2d/3d or, transposed, conv_transpose1d/2d/3d, by weight's spatial dims."""
    if weight.ndim - 2 not in _CONVOLUTIONS:
        raise RuntimeError(f"convolution: weight must be 3-d, 4-d or 5-d (out, in/groups, "
                           f"*kernel), got shape {tuple(weight.shape)}")  # fmt: skip
    forward, transpose = _CONVOLUTIONS[weight.ndim - 2]
    if transposed:
        return transpose(input, weight, bias, stride, padding, output_padding, groups, dilation)
    if any(output_padding if isinstance(output_padding, list | tuple) else (output_padding,)):
        raise RuntimeError(f"convolution: output_padding {output_padding} is only for a "
                           "transposed convolution (transposed=True); give zeros")  # fmt: skip
    return forward(input, weight, bias, stride, padding, dilation, groups)


# --- grid sampling with torch's enums: interpolation 0 bilinear, 1 nearest, 2 bicubic; padding
# 0 zeros, 1 border, 2 reflection ------------------------------------------------------------------
_INTERPOLATIONS = ("bilinear", "nearest", "bicubic")
_PADDINGS = ("zeros", "border", "reflection")


def _enum(value, names: tuple, what: str, op: str) -> str:
    if isinstance(value, bool) or value not in range(len(names)):
        choices = ", ".join(f"{i} ({n})" for i, n in enumerate(names))
        raise RuntimeError(f"{op}: {what} must be torch's enum int, one of {choices}, not "
                           f"{value!r}. torch.nn.functional.grid_sample takes the names.")  # fmt: skip
    return names[value]


def grid_sampler(input, grid, interpolation_mode: int, padding_mode: int, align_corners: bool):
    """F.grid_sample(input, grid, mode, padding_mode, align_corners) with torch's enum ints."""
    mode = _enum(interpolation_mode, _INTERPOLATIONS, "interpolation_mode", "grid_sampler")
    padding = _enum(padding_mode, _PADDINGS, "padding_mode", "grid_sampler")
    return _grid_sample(input, grid, mode, padding, align_corners)


def grid_sampler_2d(input, grid, interpolation_mode: int, padding_mode: int, align_corners: bool):
    """grid_sampler on (N, C, H, W) input."""
    if input.ndim != 4:
        raise RuntimeError(f"grid_sampler_2d: input must be 4-d (N, C, H, W), got shape "
                           f"{tuple(input.shape)}")  # fmt: skip
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


def affine_grid_generator(theta, size, align_corners: bool):
    """F.affine_grid(theta, size, align_corners), align_corners required."""
    return _affine_grid(theta, list(size), align_corners)


# --- torch.embedding_bag(weight, indices, offsets, ...): F.embedding_bag's bags, with the index
# tensors torch's CPU kernel returns beside them ------------------------------------------------
_BAG_MODES = ("sum", "mean", "max")  # torch's enum, in its order


def embedding_bag(
    weight,
    indices,
    offsets,
    scale_grad_by_freq=False,
    mode=0,
    sparse=False,
    per_sample_weights=None,
    include_last_offset=False,
    padding_idx=None,
):
    """(output, offset2bag, bag_size, max_indices). output is F.embedding_bag's (mode: 0 sum,
    1 mean, 2 max); beside it, as torch's CPU kernel gives them: each index's bag (empty where
    that kernel's fast path for sums skips it: sum, no padding_idx, a float32 table), each
    bag's count of non-padding indices (sum: a zero per offset), and the row of each maximum
    (max; mean: the counts again; sum: zeros). padding_idx=-1 is the last row, None none.
    The extras are tensor ops, so ad.compile replays them."""
    if isinstance(mode, bool) or mode not in range(3):
        raise RuntimeError(f"embedding_bag: `mode` must be sum, mean, or max: torch's enum int "
                           f"0, 1 or 2, got {mode!r}")  # fmt: skip
    if not isinstance(offsets, ad.Tensor):
        raise TypeError(f"embedding_bag(): argument 'offsets' (position 3) must be Tensor, not "
                        f"{type(offsets).__name__}")  # fmt: skip
    indices = indices.reshape(-1) if indices.ndim == 2 else indices  # torch reads 2-D as flat
    output = _embedding_bag(indices, weight, offsets, None, 2, scale_grad_by_freq,
                            _BAG_MODES[mode], sparse, per_sample_weights, include_last_offset,
                            padding_idx)  # fmt: skip
    idx, offsets = indices.long(), offsets.long()
    starts = offsets[:-1] if include_last_offset else offsets
    bag_of = ad.searchsorted(starts, ad.arange(idx.shape[0]), right=True) - 1
    kept = idx != (-1 if padding_idx is None else padding_idx % weight.shape[0])
    counts = ad.zeros(starts.shape[0], dtype=ad.int64).scatter_add(0, bag_of, kept.long())
    if mode == 0:
        counts = most = ad.zeros(offsets.shape[0], dtype=ad.int64)  # one per offset given
    elif mode == 1:
        most = counts.clone()
    else:
        most = _rows_of_maxima(weight.detach(), idx, bag_of, kept, starts.shape[0])
    fast_sum = mode == 0 and padding_idx is None and weight.dtype == ad.float32
    return output, bag_of[:0] if fast_sum else bag_of, counts, most


def _rows_of_maxima(table, idx, bag_of, kept, bags: int):
    """(bags, D): per bag and column, the row of its first maximum (0 for an empty bag)."""
    n, d = idx.shape[0], table.shape[1]
    if n == 0:
        return ad.zeros(bags, d, dtype=ad.int64)
    rows = table[idx].masked_fill(~kept[:, None], -math.inf)  # padding is never a maximum
    bag = bag_of[:, None].expand(n, d)
    best = ad.full((bags, d), -math.inf, dtype=table.dtype).scatter_reduce(0, bag, rows, "amax")
    entry = ad.where((rows == best.gather(0, bag)) & kept[:, None], ad.arange(n)[:, None], n)
    first = ad.full((bags, d), n, dtype=ad.int64).scatter_reduce(0, bag, entry, "amin")
    return ad.where(first < n, idx[first.clamp(max=n - 1)], 0)


# --- whole sequences: torch.lstm(input, hx, params, has_biases, num_layers, dropout, train,
# bidirectional, batch_first), or (data, batch_sizes, hx, params, ...) over packed data ----------
def _sequence(op: str, mode: str, args: tuple):
    """nn's recurrent layers' loop over the flat params (nn.rnn.over_flat_weights). torch's two
    forms are told apart as its argument parser does: params (a sequence of tensors) third,
    or fourth after a packed sequence's data and batch_sizes (that form has no batch_first)."""
    packed = isinstance(args[3], tuple | list)
    if packed:
        data, batch_sizes, hx, params, biases, layers, p, train, bidirectional = args
        batch_first = False
    else:
        input, hx, params, biases, layers, p, train, bidirectional, batch_first = args
    states = 2 if mode == "LSTM" else 1
    if states == 2 and not (isinstance(hx, tuple | list) and len(hx) == 2):
        raise TypeError(f"{op}(): argument 'hx' must be a tuple of two Tensors (h_0, c_0), "
                        f"not {type(hx).__name__}")  # fmt: skip
    if states == 1 and not isinstance(hx, ad.Tensor):
        raise TypeError(f"{op}(): argument 'hx' must be a Tensor (h_0), not {type(hx).__name__}")
    hx = tuple(hx) if states == 2 else hx
    rnn = over_flat_weights(mode, params, biases, layers, p, train, bidirectional, batch_first, op)
    if packed:
        out, h_n = rnn._forward_packed(PackedSequence(data, batch_sizes), hx)
        out = out.data
    else:
        if input.ndim != 3:
            raise IndexError(f"{op}: input must be 3-d (seq_len, batch, input_size), batch "
                             f"first with batch_first, got shape {tuple(input.shape)}; "
                             "unsqueeze(1) an unbatched sequence")  # fmt: skip
        out, h_n = rnn(input, hx)
    return (out, *h_n) if states == 2 else (out, h_n)


def lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    """nn.LSTM's layers over params: returns (output, h_n, c_n). Packed data: (data,
    batch_sizes, hx, params, has_biases, num_layers, dropout, train, bidirectional)."""
    args = (input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)
    return _sequence("lstm", "LSTM", args)


def gru(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    """nn.GRU's layers over params: returns (output, h_n); packed data as lstm's."""
    args = (input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)
    return _sequence("gru", "GRU", args)


def rnn_tanh(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    """nn.RNN's tanh layers over params: returns (output, h_n); packed data as lstm's."""
    args = (input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)
    return _sequence("rnn_tanh", "RNN_TANH", args)


def rnn_relu(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    """nn.RNN(nonlinearity='relu')'s layers over params: (output, h_n); packed as lstm's."""
    args = (input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)
    return _sequence("rnn_relu", "RNN_RELU", args)


__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_max_pool1d",
    "affine_grid_generator",
    "alpha_dropout",
    "alpha_dropout_",
    "avg_pool1d",
    "batch_norm",
    "bilinear",
    "binary_cross_entropy_with_logits",
    "celu",
    "celu_",
    "channel_shuffle",
    "constant_pad_nd",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "convolution",
    "cosine_embedding_loss",
    "cosine_similarity",
    "ctc_loss",
    "dropout",
    "dropout_",
    "embedding",
    "embedding_bag",
    "feature_dropout",
    "feature_dropout_",
    "feature_alpha_dropout",
    "feature_alpha_dropout_",
    "grid_sampler",
    "grid_sampler_2d",
    "group_norm",
    "gru",
    "gru_cell",
    "hinge_embedding_loss",
    "instance_norm",
    "kl_div",
    "layer_norm",
    "lstm",
    "lstm_cell",
    "margin_ranking_loss",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "max_pool1d_with_indices",
    "norm_except_dim",
    "pairwise_distance",
    "pdist",
    "pixel_shuffle",
    "pixel_unshuffle",
    "poisson_nll_loss",
    "prelu",
    "rms_norm",
    "rnn_relu",
    "rnn_relu_cell",
    "rnn_tanh",
    "rnn_tanh_cell",
    "rrelu",
    "rrelu_",
    "selu",
    "selu_",
    "threshold",
    "threshold_",
    "triplet_margin_loss",
]
