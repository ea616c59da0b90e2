"""Attention: F.scaled_dot_product_attention, F.multi_head_attention_forward and
nn.MultiheadAttention, composed of tensor ops in torch's order (its math path), with torch's
parameter names, shapes, initialisation and mask conventions.

Masks: a float mask is added to the attention scores. A boolean mask means "may attend" in
scaled_dot_product_attention (True keeps) but "is masked out" in MultiheadAttention's
attn_mask and key_padding_mask (True blocks), as in torch.
"""

import math
import warnings

import numpy as np

import autodiff as ad
from autodiff.errors import ShapeError, user_stacklevel

from . import init
from .dropout import dropout
from .linear import NonDynamicallyQuantizableLinear, linear
from .module import Module, Parameter, factory_dtype
from .sdpa_backends import check_backend


def _blocked(mask, dtype, blocked_value: bool):
    """A boolean mask as the float mask to add: −inf where mask == blocked_value, else 0."""
    if mask is None or mask.dtype != np.bool_:
        return mask
    if blocked_value:
        return ad.zeros(mask.shape, dtype=dtype).masked_fill(mask, float("-inf"))
    return ad.full(mask.shape, float("-inf"), dtype=dtype).masked_fill(mask, 0.0)


def canonical_mask(mask, name: str, dtype, other=None, other_name: str = ""):
    """torch's reading of an attention mask: bool (True blocks) or floating (added to the
    scores), any other dtype refused with torch's AssertionError; torch's deprecation warning
    where it and `other`, the mask it is combined with, differ in dtype. A bool mask comes back
    as the float mask to add (−inf where True) in the queries' dtype."""
    if mask is None:
        return None
    if mask.dtype != ad.bool and not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {name} are supported")
    if other is not None and other.dtype != mask.dtype:
        warnings.warn(
            f"Support for mismatched {name} and {other_name} is deprecated. Use same type for "
            "both instead.",
            stacklevel=user_stacklevel(),
        )
    return _blocked(mask, dtype, blocked_value=True)


def causal_mask(size: int, dtype=None, target: int | None = None):
    """(target, size) float mask: −inf above the diagonal (a position sees itself and the past)."""
    rows = size if target is None else target
    full = ad.full((rows, size), float("-inf"), dtype=dtype or ad.get_default_dtype())
    return ad.triu(full, diagonal=1)


@ad.amp.cast_inputs("lower")
def scaled_dot_product_attention(
    query,
    key,
    value,
    attn_mask=None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale=None,
    enable_gqa: bool = False,
):
    """softmax(q·kᵀ·scale + mask)·v over the last two dims; scale defaults to 1/√E."""
    op = "scaled_dot_product_attention"
    check_backend()
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise ShapeError(f"{op}: query, key and value need at least 2 dims (..., L, E)")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ShapeError(
            f"{op}: query {tuple(query.shape)}, key {tuple(key.shape)} and value "
            f"{tuple(value.shape)} do not fit: need (..., L, E), (..., S, E) and (..., S, Ev)."
        )
    if is_causal and attn_mask is not None:
        raise ValueError(f"{op}: give attn_mask or is_causal=True, not both")
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        repeats = query.shape[-3] // key.shape[-3]
        key, value = _repeat_heads(key, repeats), _repeat_heads(value, repeats)
    length, source = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    if query.dtype == ad.bfloat16 and attn_mask is None and dropout_p == 0.0:
        return _flash_bfloat16(query, key, value, scale, is_causal)
    scores = query @ key.transpose(-2, -1) * scale
    if is_causal:
        scores = scores + causal_mask(source, query.dtype, target=length)
    if attn_mask is None:
        weights = scores.softmax(-1)
    else:  # torch's safe softmax: a query that may attend to nothing gets zero weights, not NaN
        scores = scores + _blocked(attn_mask, query.dtype, blocked_value=False)
        nothing = (scores == float("-inf")).all(-1, keepdim=True)
        weights = scores.masked_fill(nothing, 0.0).softmax(-1).masked_fill(nothing, 0.0)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    return weights @ value


def _flash_bfloat16(query, key, value, scale: float, is_causal: bool):
    """bfloat16 attention as torch's CPU flash-attention kernel computes it (one key block,
    keys up to 512 long): q·kᵀ, the causal mask, the scale, the row max, exp and its row sum
    in float32; the exponentials rounded to bfloat16 for the product with v (float32
    accumulation), which is divided by the sum in float32 and rounded. Composing the ops in
    bfloat16 would round four more times and pick other values."""
    if key.shape[-2] > 512:
        raise NotImplementedError(
            "scaled_dot_product_attention: bfloat16 keys longer than 512 (torch's CPU kernel "
            "works in 512-key blocks there, with an online softmax not written here); give "
            "float32 inputs."
        )
    q, k, v = query.float(), key.float(), value.float()
    scores = q @ k.transpose(-2, -1)
    if is_causal:
        scores = scores + causal_mask(key.shape[-2], ad.float32, target=query.shape[-2])
    scores = scores * scale
    top = scores.detach().amax(-1, keepdim=True)
    top = top.masked_fill(top == float("-inf"), 0.0)  # a row that sees nothing: zeros
    weights = (scores - top).exp()
    total = weights.sum(-1, keepdim=True)
    mixed = weights.bfloat16().float() @ v
    return (mixed * total.reciprocal()).bfloat16()


def _repeat_heads(x, repeats: int):
    """Each head (dim −3) repeated `repeats` times in place: grouped-query attention's keys."""
    *lead, heads, length, width = x.shape
    wide = x.unsqueeze(-3).expand(*lead, heads, repeats, length, width)
    return wide.reshape(*lead, heads * repeats, length, width)


def _projections(query, key, value, weight, bias, separate):
    """q, k, v: one packed projection (weight (3E, E)) or three separate ones (kdim/vdim)."""
    if separate is not None:
        biases = (None,) * 3 if bias is None else bias.chunk(3)
        return tuple(linear(x, w, b) for x, w, b in zip((query, key, value), separate, biases))
    if query is key and key is value:  # self-attention: one matmul for all three
        return linear(query, weight, bias).chunk(3, dim=-1)
    weights = weight.chunk(3)
    biases = (None,) * 3 if bias is None else bias.chunk(3)
    return tuple(linear(x, w, b) for x, w, b in zip((query, key, value), weights, biases))


def _check_mha(query, key, value, embed_dim, num_heads, key_padding_mask) -> bool:
    batched = query.ndim == 3
    if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
        raise ValueError(
            "multi_head_attention_forward: query, key and value must all be 2-D (L, E) or "
            f"3-D (L, N, E), got {tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}"
        )
    if query.shape[-1] != embed_dim:
        raise ValueError(
            f"multi_head_attention_forward: was expecting embedding dimension of {embed_dim}, "
            f"but got {query.shape[-1]} (query {tuple(query.shape)})"
        )
    if key.shape[:-1] != value.shape[:-1]:
        raise ValueError(
            f"multi_head_attention_forward: key shape {tuple(key.shape)} does not match value "
            f"shape {tuple(value.shape)} (all but the last dim must agree)"
        )
    if key_padding_mask is not None:
        expected = (key.shape[1], key.shape[0]) if batched else (key.shape[0],)
        if tuple(key_padding_mask.shape) != expected:
            raise ValueError(
                f"multi_head_attention_forward: expected key_padding_mask of shape {expected} "
                f"(batch, source length), got {tuple(key_padding_mask.shape)}"
            )
    return batched


def multi_head_attention_forward(
    query,
    key,
    value,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight,
    in_proj_bias,
    bias_k,
    bias_v,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight,
    out_proj_bias,
    training: bool = True,
    key_padding_mask=None,
    need_weights: bool = True,
    attn_mask=None,
    use_separate_proj_weight: bool = False,
    q_proj_weight=None,
    k_proj_weight=None,
    v_proj_weight=None,
    static_k=None,
    static_v=None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
):
    """torch's multi-head attention over (L, N, E) inputs (or unbatched (L, E))."""
    if static_k is not None or static_v is not None:
        raise ValueError("multi_head_attention_forward: static_k/static_v are not supported")
    batched = _check_mha(query, key, value, embed_dim_to_check, num_heads, key_padding_mask)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    if is_causal and attn_mask is None:
        raise ValueError(
            "multi_head_attention_forward: Need attn_mask if specifying the is_causal hint. "
            "You may use nn.Transformer.generate_square_subsequent_mask to create it."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # scaled_dot_product_attention builds the causal mask itself
    else:
        is_causal = False
    tgt_len, bsz, embed_dim = query.shape
    separate = (q_proj_weight, k_proj_weight, v_proj_weight) if use_separate_proj_weight else None
    q, k, v = _projections(query, key, value, in_proj_weight, in_proj_bias, separate)
    key_padding_mask = canonical_mask(
        key_padding_mask, "key_padding_mask", q.dtype, attn_mask, "attn_mask"
    )
    masks = [canonical_mask(attn_mask, "attn_mask", q.dtype), key_padding_mask]
    k, v, masks = _with_extra_keys(k, v, masks, bias_k, bias_v, add_zero_attn)
    heads = [_split_heads(t, num_heads) for t in (q, k, v)]  # each (N, H, length, E/H)
    mask = _one_mask(*masks, bsz, num_heads)
    dropout_p = dropout_p if training else 0.0
    out, weights = _attend(*heads, mask, dropout_p, need_weights, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(tgt_len * bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    if weights is not None and average_attn_weights:
        weights = weights.mean(dim=1)
    if not batched:
        out = out.squeeze(1)
        weights = weights.squeeze(0) if weights is not None else None
    return out, weights


def _with_extra_keys(k, v, masks, bias_k, bias_v, add_zero_attn) -> tuple:
    """k and v (S, N, E) with torch's optional extra keys, bias_k/bias_v then a zero key, and
    the masks widened to match."""
    extra = [] if bias_k is None else [(bias_k, bias_v)]
    if add_zero_attn:
        zero = ad.zeros((1, 1, k.shape[-1]), dtype=k.dtype)
        extra.append((zero, ad.zeros((1, 1, v.shape[-1]), dtype=v.dtype)))
    for key, value in extra:
        k = ad.cat([k, key.expand(1, k.shape[1], k.shape[2])])
        v = ad.cat([v, value.expand(1, v.shape[1], v.shape[2])])
        masks = [_one_more_key(m) for m in masks]
    return k, v, masks


def _split_heads(x, num_heads: int):
    """(length, N, E) as (N, heads, length, E/heads)."""
    length, batch, width = x.shape
    return x.reshape(length, batch, num_heads, width // num_heads).permute(1, 2, 0, 3)


def _one_mask(attn_mask, key_padding_mask, batch: int, num_heads: int):
    """The float masks as one, broadcasting over (N, heads, L, S), or None."""
    if attn_mask is not None:  # (L, S), (1, L, S) or (N·heads, L, S)
        length, source = attn_mask.shape[-2:]
        if attn_mask.ndim == 2 or attn_mask.shape[0] == 1:
            attn_mask = attn_mask.reshape(1, 1, length, source)
        else:
            attn_mask = attn_mask.reshape(batch, num_heads, length, source)
    if key_padding_mask is None:
        return attn_mask
    per_key = key_padding_mask.reshape(batch, 1, 1, key_padding_mask.shape[-1])
    return per_key if attn_mask is None else attn_mask + per_key


def _attend(q, k, v, mask, dropout_p: float, need_weights: bool, is_causal: bool) -> tuple:
    """Attention over (N, heads, length, E/heads): (output, the weights if need_weights)."""
    if not need_weights:
        return scaled_dot_product_attention(q, k, v, mask, dropout_p, is_causal), None
    scores = (q * math.sqrt(1.0 / q.shape[-1])) @ k.transpose(-2, -1)
    weights = (scores if mask is None else scores + mask).softmax(-1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    return weights @ v, weights


def _one_more_key(mask):
    """A mask widened by one key column (bias_k or the zero attention), which it does not mask."""
    return (
        None
        if mask is None
        else ad.cat([mask, ad.zeros(mask.shape[:-1] + (1,), dtype=mask.dtype)], -1)
    )


class MultiheadAttention(Module):
    """Multi-head attention with torch's parameters (in_proj_weight (3E, E), in_proj_bias,
    out_proj), initialisation and forward(query, key, value, key_padding_mask=None,
    need_weights=True, attn_mask=None, average_attn_weights=True, is_causal=False)."""

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim=None,
        vdim=None,
        batch_first: bool = False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0 or embed_dim % num_heads:
            raise ValueError(
                f"MultiheadAttention: embed_dim ({embed_dim}) must be a positive multiple of "
                f"num_heads ({num_heads})"
            )
        dtype = factory_dtype(device, dtype, "MultiheadAttention")
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.batch_first, self.head_dim = batch_first, embed_dim // num_heads

        def empty(*shape):
            return Parameter(np.empty(shape, dtype=dtype))

        if self._qkv_same_embed_dim:
            self.in_proj_weight = empty(3 * embed_dim, embed_dim)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = empty(embed_dim, embed_dim)
            self.k_proj_weight = empty(embed_dim, self.kdim)
            self.v_proj_weight = empty(embed_dim, self.vdim)
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = empty(3 * embed_dim)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k, self.bias_v = empty(1, 1, embed_dim), empty(1, 1, embed_dim)
        else:
            self.register_parameter("bias_k", None)
            self.register_parameter("bias_v", None)
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """torch's: Xavier-uniform projections, zero biases, Xavier-normal bias_k/bias_v."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def forward(
        self,
        query,
        key,
        value,
        key_padding_mask=None,
        need_weights: bool = True,
        attn_mask=None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ):
        batch_first = self.batch_first and query.ndim == 3
        if batch_first:
            query, key, value = _time_first(query, key, value)
        out, weights = multi_head_attention_forward(
            query,
            key,
            value,
            self.embed_dim,
            self.num_heads,
            self.in_proj_weight,
            self.in_proj_bias,
            self.bias_k,
            self.bias_v,
            self.add_zero_attn,
            self.dropout,
            self.out_proj.weight,
            self.out_proj.bias,
            training=self.training,
            key_padding_mask=key_padding_mask,
            need_weights=need_weights,
            attn_mask=attn_mask,
            use_separate_proj_weight=not self._qkv_same_embed_dim,
            q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight,
            v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights,
            is_causal=is_causal,
        )
        return (out.transpose(0, 1) if batch_first else out), weights


def _time_first(query, key, value) -> tuple:
    """(N, L, E) inputs as (L, N, E), keeping which of them are the same tensor (self-attention
    is recognised by identity)."""
    q = query.transpose(0, 1)
    k = q if key is query else key.transpose(0, 1)
    v = k if value is key else (q if value is query else value.transpose(0, 1))
    return q, k, v
