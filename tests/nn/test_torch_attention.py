"""scaled_dot_product_attention, MultiheadAttention and the Transformer layers against torch:
state dict names, values and every gradient (inputs and parameters) over masks, batch_first,
norm_first, activations and biases; initialisation, reprs, finite differences, errors."""

import warnings

import numpy as np
import pytest

import autodiff as ad
import nn
import nn.functional as F
from autodiff.testing import assert_gradients_match


def _load(ours, theirs):
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict(state)


def _close(a, b, rtol=1e-10):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, atol=1e-12)


SDPA = [
    dict(),
    dict(is_causal=True),
    dict(attn_mask="float"),
    dict(attn_mask="bool"),
    dict(scale=0.3),
]


@pytest.mark.parametrize("kwargs", SDPA, ids=lambda k: "-".join(k) or "plain")
def test_scaled_dot_product_attention_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal(s) for s in [(2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)])
    mask = {"float": rng.standard_normal((4, 6)), "bool": rng.random((2, 1, 4, 6)) > 0.3}
    mask["bool"][..., 0] = True  # every query may attend somewhere
    ka = {n: (ad.tensor(mask[x]) if x in mask else x) for n, x in kwargs.items()}
    kt = {n: (torch.tensor(mask[x]) if x in mask else x) for n, x in kwargs.items()}
    ours = [ad.tensor(a, requires_grad=True) for a in (q, k, v)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    out = F.scaled_dot_product_attention(*ours, **ka)
    out_t = torch.nn.functional.scaled_dot_product_attention(*theirs, **kt)
    _close(out, out_t)
    g = rng.standard_normal(out.shape)
    out.backward(ad.tensor(g))
    out_t.backward(torch.tensor(g))
    for a, t in zip(ours, theirs):
        _close(a.grad, t.grad)
    small = [ad.tensor(a[:1, :1], requires_grad=True) for a in (q, k, v)]
    assert_gradients_match(lambda *t: F.scaled_dot_product_attention(*t, **ka), *small)


# the engine's softmax of a row of only −inf warns (NumPy's inf − inf) where torch is silent
@pytest.mark.filterwarnings("ignore:invalid value encountered in subtract")
def test_a_query_that_may_attend_to_nothing_is_torchs():
    """SDPA gives such a query zero output and zero gradients (torch's safe softmax); the
    need_weights path of MultiheadAttention gives NaN, as torch's does."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    q = rng.standard_normal((1, 2, 3, 4))
    allowed = np.array([[True, True, False], [False, False, False], [True, False, True]])
    qa, qt = ad.tensor(q, requires_grad=True), torch.tensor(q, requires_grad=True)
    out = F.scaled_dot_product_attention(qa, qa, qa, attn_mask=ad.tensor(allowed))
    out_t = torch.nn.functional.scaled_dot_product_attention(qt, qt, qt,
                                                             attn_mask=torch.tensor(allowed))  # fmt: skip
    _close(out, out_t)
    assert (out.detach().numpy()[:, :, 1] == 0).all()
    out.sum().backward()
    out_t.sum().backward()
    _close(qa.grad, qt.grad)
    theirs = torch.nn.MultiheadAttention(4, 2).double()
    ours = nn.MultiheadAttention(4, 2, dtype=ad.float64)
    _load(ours, theirs)
    x, padding = rng.standard_normal((3, 2, 4)), np.array([[True] * 3, [False, True, False]])
    for need_weights in (True, False):
        a = ours(
            *[ad.tensor(x)] * 3, key_padding_mask=ad.tensor(padding), need_weights=need_weights
        )
        t = theirs(*[torch.tensor(x)] * 3, key_padding_mask=torch.tensor(padding),
                   need_weights=need_weights)  # fmt: skip
        np.testing.assert_allclose(
            a[0].detach().numpy(), t[0].detach().numpy(), rtol=1e-10, atol=1e-12
        )


def test_grouped_query_attention_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    q, k, v = (rng.standard_normal(s) for s in [(2, 4, 3, 2), (2, 2, 5, 2), (2, 2, 5, 3)])
    ours = [ad.tensor(a, requires_grad=True) for a in (q, k, v)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    out = F.scaled_dot_product_attention(*ours, enable_gqa=True)
    out_t = torch.nn.functional.scaled_dot_product_attention(*theirs, enable_gqa=True)
    _close(out, out_t)
    out.sum().backward()
    out_t.sum().backward()
    for a, t in zip(ours, theirs):
        _close(a.grad, t.grad)


def test_scaled_dot_product_attention_dropout_and_errors():
    ad.manual_seed(0)
    q = ad.randn(1, 1, 64, 8)
    plain = F.scaled_dot_product_attention(q, q, q)
    dropped = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    assert not np.allclose(plain.detach().numpy(), dropped.detach().numpy())
    ad.manual_seed(0)
    q2 = ad.randn(1, 1, 64, 8)
    np.testing.assert_array_equal(F.scaled_dot_product_attention(q2, q2, q2, dropout_p=0.5).detach().numpy(),
                                  dropped.detach().numpy())  # fmt: skip
    with pytest.raises(ValueError, match="give attn_mask or is_causal=True, not both"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=ad.zeros(64, 64), is_causal=True)
    with pytest.raises(ValueError, match=r"query \(1, 1, 64, 8\), key \(1, 1, 64, 5\)"):
        F.scaled_dot_product_attention(q, ad.zeros(1, 1, 64, 5), q)


MHA = [
    dict(),
    dict(batch_first=True),
    dict(add_bias_kv=True, add_zero_attn=True),
    dict(kdim=3, vdim=5),
    dict(bias=False),
]
CALLS = [
    dict(),
    dict(need_weights=False),
    dict(average_attn_weights=False),
    dict(attn_mask="causal"),
    dict(key_padding_mask="padding"),
    dict(attn_mask="bool", need_weights=False),
    dict(attn_mask="causal", is_causal=True, need_weights=False),
    dict(attn_mask="per_head", key_padding_mask="padding"),
    dict(attn_mask="per_head", need_weights=False),
]


def _masks(rng, length, source, batch):
    padding = rng.random((batch, source)) < 0.3
    blocked = rng.random((length, source)) < 0.3
    padding[:, 0] = blocked[:, 0] = False  # every query keeps a key
    return {"causal": np.triu(np.full((length, source), -np.inf), 1), "padding": padding,
            "bool": blocked, "per_head": rng.standard_normal((batch * 2, length, source))}  # fmt: skip


@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")  # torch's note
@pytest.mark.parametrize("config", MHA, ids=lambda k: "-".join(k) or "plain")
@pytest.mark.parametrize("call", CALLS, ids=lambda k: "-".join(k) or "default")
def test_multihead_attention_matches_torch(config, call):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    theirs = torch.nn.MultiheadAttention(8, 2, **config).double()
    ours = nn.MultiheadAttention(8, 2, **config, dtype=ad.float64)
    _load(ours, theirs)
    length, batch = 4, 3
    cross = "kdim" in config
    source = 6 if cross else length
    dims = [8, config.get("kdim", 8), config.get("vdim", 8)]
    lead = [(batch, n) if config.get("batch_first") else (n, batch) for n in (length, source)]
    shapes = [(*lead[0], dims[0]), (*lead[1], dims[1]), (*lead[1], dims[2])]
    arrays = [rng.standard_normal(s) for s in (shapes if cross else shapes[:1])]
    xa = [ad.tensor(a, requires_grad=True) for a in arrays]
    xt = [torch.tensor(a, requires_grad=True) for a in arrays]
    masks = _masks(rng, length, source, batch)
    ka = {n: ad.tensor(masks[v]) if v in masks else v for n, v in call.items()}
    kt = {n: torch.tensor(masks[v]) if v in masks else v for n, v in call.items()}
    args_a, args_t = (xa, xt) if cross else (xa * 3, xt * 3)  # self-attention: one tensor
    out, weights = ours(*args_a, **ka)
    out_t, weights_t = theirs(*args_t, **kt)
    _close(out, out_t)
    assert (weights is None) == (weights_t is None)
    if weights is not None:
        _close(weights, weights_t)
    g = rng.standard_normal(out.shape)
    out.backward(ad.tensor(g))
    out_t.backward(torch.tensor(g))
    for a, t in zip(xa, xt):
        _close(a.grad, t.grad)
    for p, pt in zip(ours.parameters(), theirs.parameters()):
        _close(p.grad, pt.grad)


def test_multihead_attention_init_repr_and_errors():
    torch = pytest.importorskip("torch")
    ad.manual_seed(0)
    ours, theirs = (
        nn.MultiheadAttention(16, 4, add_bias_kv=True),
        torch.nn.MultiheadAttention(16, 4, add_bias_kv=True),
    )
    assert repr(ours) == repr(theirs)
    assert type(ours.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    bound = np.sqrt(6 / (16 + 48))  # xavier_uniform_ of the (3E, E) in-projection
    w = ours.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert (ours.in_proj_bias.detach().numpy() == 0).all() and (
        ours.out_proj.bias.detach().numpy() == 0
    ).all()
    with pytest.raises(ValueError, match=r"embed_dim \(10\) must be a positive multiple"):
        nn.MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="was expecting embedding dimension of 16, but got 8"):
        ours(ad.zeros(3, 2, 8), ad.zeros(3, 2, 8), ad.zeros(3, 2, 8))
    with pytest.raises(ValueError, match=r"expected key_padding_mask of shape \(2, 3\)"):
        x = ad.zeros(3, 2, 16)
        ours(x, x, x, key_padding_mask=ad.zeros(3, 2, dtype=ad.bool))
    unbatched = ad.randn(5, 16)
    out, weights = ours(unbatched, unbatched, unbatched)
    assert out.shape == (5, 16) and weights.shape == (5, 6)


LAYER_CONFIGS = [
    dict(),
    dict(norm_first=True),
    dict(batch_first=True, activation="gelu"),
    dict(bias=False, layer_norm_eps=1e-3),
]


def _run_layer(torch, cls, config, with_masks):
    rng = np.random.default_rng(2)
    build = dict(dropout=0.0, **config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's nested-tensor notes
        if cls == "Transformer":
            theirs = torch.nn.Transformer(8, 2, 2, 2, 16, **build).double()
            ours = nn.Transformer(8, 2, 2, 2, 16, **build, dtype=ad.float64)
        else:
            theirs = getattr(torch.nn, cls)(8, 2, 16, **build).double()
            ours = getattr(nn, cls)(8, 2, 16, **build, dtype=ad.float64)
    _load(ours, theirs)
    src, tgt = rng.standard_normal((5, 3, 8)), rng.standard_normal((4, 3, 8))
    if config.get("batch_first"):
        src, tgt = src.transpose(1, 0, 2).copy(), tgt.transpose(1, 0, 2).copy()
    causal = np.triu(np.full((4, 4), -np.inf), 1)
    padding = rng.random((3, 5)) < 0.3
    padding[:, 0] = False
    xa = [ad.tensor(src, requires_grad=True), ad.tensor(tgt, requires_grad=True)]
    xt = [torch.tensor(src, requires_grad=True), torch.tensor(tgt, requires_grad=True)]

    def call(module, lib, x):
        masks = {}
        if with_masks and cls == "TransformerEncoderLayer":
            masks = dict(src_key_padding_mask=lib.tensor(padding))
        elif with_masks:
            masks = dict(tgt_mask=lib.tensor(causal), memory_key_padding_mask=lib.tensor(padding))
        if cls == "TransformerEncoderLayer":
            return module(x[0], **masks)
        if cls == "TransformerDecoderLayer":
            return module(x[1], x[0], **masks)
        return module(x[0], x[1], **masks)

    out, out_t = call(ours, ad, xa), call(theirs, torch, xt)
    _close(out, out_t)
    g = rng.standard_normal(out.shape)
    out.backward(ad.tensor(g))
    out_t.backward(torch.tensor(g))
    for a, t in zip(xa, xt):
        if t.grad is not None:
            _close(a.grad, t.grad)
    for p, pt in zip(ours.parameters(), theirs.parameters()):
        _close(p.grad, pt.grad)
    return ours, theirs


@pytest.mark.parametrize("config", LAYER_CONFIGS, ids=lambda k: "-".join(k) or "plain")
@pytest.mark.parametrize(
    "cls", ["TransformerEncoderLayer", "TransformerDecoderLayer", "Transformer"]
)
def test_transformer_layers_match_torch(cls, config):
    torch = pytest.importorskip("torch")
    ours, theirs = _run_layer(torch, cls, config, with_masks=cls != "Transformer")
    if cls != "Transformer":
        assert repr(ours) == repr(theirs)


def test_transformer_without_masks_and_eval_mode_match_torch():
    torch = pytest.importorskip("torch")
    _run_layer(torch, "Transformer", {}, with_masks=False)
    ours, theirs = _run_layer(torch, "TransformerEncoderLayer", {}, with_masks=False)
    ours.eval()
    theirs.eval()
    x = np.random.default_rng(3).standard_normal((5, 2, 8))
    _close(ours(ad.tensor(x)), theirs(torch.tensor(x)))


def test_encoder_stack_clones_the_layer_and_mask_helper():
    torch = pytest.importorskip("torch")
    ad.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, activation=nn.GELU())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # why no nested path (tested below)
        stack = nn.TransformerEncoder(layer, 3, norm=nn.LayerNorm(8))
        model = nn.Transformer(8, 2, 1, 1, 16)
        ref = torch.nn.TransformerEncoder(
            torch.nn.TransformerEncoderLayer(8, 2, 16, activation=torch.nn.GELU()), 3,
            norm=torch.nn.LayerNorm(8),
        )  # fmt: skip
    assert list(stack.state_dict()) == list(ref.state_dict())
    first, second = stack.layers[0].linear1.weight, stack.layers[1].linear1.weight
    assert (
        first is not second and (first.detach().numpy() == second.detach().numpy()).all()
    )  # deep copies
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    np.testing.assert_array_equal(
        mask.detach().numpy(),
        torch.nn.Transformer.generate_square_subsequent_mask(4).detach().numpy(),
    )
    for p in model.parameters():  # torch resets every matrix to Xavier-uniform
        if p.ndim > 1:
            bound = np.sqrt(6 / sum(p.shape[:2]))
            assert np.abs(p.detach().numpy()).max() <= bound
    with pytest.raises(ValueError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    with pytest.raises(ValueError, match=r"feature number of src \(3, 2, 6\)"):
        model(ad.zeros(3, 2, 6), ad.zeros(3, 2, 8))


def _warnings_of(fn, *args, **kwargs) -> tuple:
    """(fn's result, the messages of the warnings it gave)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn(*args, **kwargs)
    return result, [str(w.message) for w in caught]


def _encoder(torch_nn, batch_first: bool, mask_check: bool):
    """A 2-layer batch_first encoder with a final norm, from nn or torch.nn, in float64."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # why torch takes no nested path (tested below)
        layer = torch_nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=batch_first)
        encoder = torch_nn.TransformerEncoder(
            layer, 2, norm=torch_nn.LayerNorm(8), mask_check=mask_check
        )
    return encoder.double()


@pytest.mark.parametrize(
    "config",
    [
        dict(),
        dict(batch_first=False),
        dict(norm_first=True),
        dict(norm_first=True, batch_first=False, nhead=1),  # torch names the first reason
        dict(bias=False),
        dict(activation="sigmoid"),
        dict(nhead=1),
    ],
    ids=lambda k: "-".join(k) or "plain",
)
def test_transformer_encoder_says_why_torch_takes_no_nested_path(config):
    torch = pytest.importorskip("torch")
    if config.get("activation") == "sigmoid":
        config = dict(activation={"ours": ad.sigmoid, "torch": torch.sigmoid})
    for nested in (True, False):
        said = []
        for lib, key in ((nn, "ours"), (torch.nn, "torch")):
            options = {k: v[key] if isinstance(v, dict) else v for k, v in config.items()}
            heads = options.pop("nhead", 2)
            layer = (nn if lib is nn else torch.nn).TransformerEncoderLayer(
                8, heads, 16, **{"batch_first": True, **options}
            )
            encoder = lib.TransformerEncoder
            said.append(_warnings_of(encoder, layer, 2, enable_nested_tensor=nested)[1])
        assert said[0] == said[1]
        assert bool(said[0]) == (nested and bool(config))


def test_attention_masks_are_checked_as_torch_checks_them():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(4).standard_normal((3, 2, 8))
    blocked = np.array([[False, False, True], [False, True, True]])
    causal = np.triu(np.full((3, 3), -np.inf), 1)
    ad.manual_seed(0)
    ours, theirs = nn.MultiheadAttention(8, 2), torch.nn.MultiheadAttention(8, 2).double()
    _load(ours, theirs)
    ours = ours.double()
    said, outs = [], []
    for lib, module in ((ad, ours), (torch, theirs)):
        t = lib.tensor(x)
        masks = dict(attn_mask=lib.tensor(causal), key_padding_mask=lib.tensor(blocked))
        (out, _), message = _warnings_of(module, t, t, t, **masks)
        said.append(message)
        outs.append(out)
        with pytest.raises(AssertionError, match="only bool and floating types of key_padding"):
            module(t, t, t, key_padding_mask=lib.tensor(blocked.astype(np.int64)))
    assert (
        said[0]
        == said[1]
        == [
            "Support for mismatched key_padding_mask and attn_mask is deprecated. Use same type "
            "for both instead."
        ]
    )
    _close(outs[0], outs[1])


NESTED_CASES = {  # torch's conditions for its nested path, each changed once
    "eval-no-grad": dict(),
    "training": dict(train=True),
    "grad-enabled": dict(grad=True),
    "input-requires-grad": dict(grad=True, frozen=True),  # parameters frozen, the input not
    "fast-path-off": dict(fast_path=False),
    "with-mask": dict(mask=True),
    "not-batch-first": dict(batch_first=False),
    "padding-not-at-end": dict(padding=[[True, False, False, False], [False, True, False, True]]),
    "unchecked-padding": dict(
        padding=[[True, False, False, False], [False, True, False, True]], mask_check=False
    ),
    "a-row-all-padding": dict(padding=[[False] * 4, [True] * 4]),
}


NESTED = {"eval-no-grad", "unchecked-padding", "a-row-all-padding"}  # where torch takes it


@pytest.mark.parametrize("name", NESTED_CASES)
def test_transformer_encoder_zeros_padding_where_torch_does(name):
    torch = pytest.importorskip("torch")
    case = NESTED_CASES[name]
    padding = np.array(
        case.get("padding", [[False, False, False, True], [False, False, True, True]])
    )
    x = np.random.default_rng(5).standard_normal((2, 4, 8))
    batch_first = case.get("batch_first", True)
    if not batch_first:
        x = x.transpose(1, 0, 2).copy()
    theirs = _encoder(torch.nn, batch_first, case.get("mask_check", True))
    ours = _encoder(nn, batch_first, case.get("mask_check", True))
    _load(ours, theirs)
    results = []
    for lib, module in ((ad, ours), (torch, theirs)):
        module.train(case.get("train", False))
        module.requires_grad_(not case.get("frozen", False))
        lib.backends.mha.set_fastpath_enabled(case.get("fast_path", True))
        mask = lib.zeros(4, 4, dtype=lib.float64) if case.get("mask") else None
        try:
            with lib.set_grad_enabled(case.get("grad", False)), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch's notes on nested tensors, mixed masks
                src = lib.tensor(x, requires_grad=case.get("frozen", False))
                results.append(module(src, mask, lib.tensor(padding)))
        finally:
            lib.backends.mha.set_fastpath_enabled(True)
    _close(results[0], results[1])
    # the nested path runs each sequence's first (unpadded count) tokens, zeros after them,
    # which the final norm turns into its bias
    past_count = np.arange(4) >= (~padding).sum(1, keepdims=True)
    rows = results[0].detach().numpy()[past_count if batch_first else past_count.T]
    assert (rows == ours.norm.bias.numpy()).all() == (name in NESTED)
