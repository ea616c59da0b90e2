"""torch's top-level forms of nn's functions (nn/torch_functions.py: torch.conv2d,
torch.dropout(x, p, train), torch.batch_norm's argument order, reductions as torch's enum
ints): values, gradients and recorded graphs against torch on float64 data, their errors,
and `autodiff run` finding them as torch.X."""

import numpy as np
import pytest
from torch_twin import _ENGINE_NAMES

import autodiff as ad
import nn.torch_functions as T
from autodiff_cli.run import TorchModule

torch = pytest.importorskip("torch")
OURS = TorchModule("torch", ad)  # torch.X as `autodiff run` resolves it

R = np.random.default_rng(5)


def _a(*shape):
    return R.standard_normal(shape)


def _target(lib, values):
    return lib.tensor(np.asarray(values, dtype=np.float64))


# (name, call(lib, *tensors), arrays): lib is nn.torch_functions or torch
CASES = [
    ("conv1d", lambda L, x, w, b: L.conv1d(x, w, b, 1, 1), (_a(2, 3, 6), _a(4, 3, 3), _a(4))),
    ("conv2d", lambda L, x, w: L.conv2d(x, w, None, 2, 1, 1, 1), (_a(1, 2, 5, 5), _a(3, 2, 3, 3))),
    ("conv_transpose1d", lambda L, x, w: L.conv_transpose1d(x, w, None, 2), (_a(1, 2, 4),
                                                                            _a(2, 3, 3))),
    ("conv_transpose2d", lambda L, x, w: L.conv_transpose2d(x, w), (_a(1, 2, 3, 3),
                                                                   _a(2, 1, 2, 2))),
    ("conv3d", lambda L, x, w: L.conv3d(x, w, None, 1, 1, 1, 1), (_a(1, 2, 3, 3, 3),
                                                                 _a(3, 2, 2, 2, 2))),
    ("conv_transpose3d", lambda L, x, w: L.conv_transpose3d(x, w, None, 2, 0, 1),
     (_a(1, 2, 2, 3, 2), _a(2, 1, 2, 2, 2))),
    ("convolution", lambda L, x, w, b: L.convolution(x, w, b, [2, 1], [1, 0], [1, 2], False,
                                                     [0, 0], 1), (_a(1, 2, 5, 6), _a(3, 2, 3, 2),
                                                                  _a(3))),
    ("convolution transposed", lambda L, x, w: L.convolution(x, w, None, [2], [1], [1], True,
                                                             [1], 2), (_a(2, 4, 5), _a(4, 1, 3))),
    ("convolution 3d", lambda L, x, w: L.convolution(x, w, None, [1, 1, 1], [0, 1, 0],
                                                     [1, 1, 1], False, [0, 0, 0], 1),
     (_a(1, 2, 3, 3, 3), _a(2, 2, 2, 2, 2))),
    ("norm_except_dim", lambda L, v: L.norm_except_dim(v, 2, 1), (_a(3, 4, 2),)),
    ("channel_shuffle", lambda L, x: L.channel_shuffle(x, 2), (_a(2, 6, 3),)),
    ("channel_shuffle 4d", lambda L, x: L.channel_shuffle(x, 3), (_a(1, 6, 2, 2),)),
    ("grid_sampler", lambda L, x, g: L.grid_sampler(x, g, 0, 1, False),
     (_a(2, 3, 4, 5), R.uniform(-1.2, 1.2, (2, 3, 2, 2)))),
    ("grid_sampler bicubic", lambda L, x, g: L.grid_sampler(x, g, 2, 2, True),
     (_a(1, 2, 4, 4), R.uniform(-1.1, 1.1, (1, 2, 3, 2)))),
    ("grid_sampler_2d", lambda L, x, g: L.grid_sampler_2d(x, g, 1, 0, True),
     (_a(1, 2, 4, 4), R.uniform(-0.9, 0.9, (1, 2, 3, 2)))),
    ("affine_grid_generator", lambda L, t: L.affine_grid_generator(t, [2, 3, 4, 5], False),
     (_a(2, 2, 3),)),
    ("max_pool1d", lambda L, x: L.max_pool1d(x, 2), (_a(2, 3, 6),)),
    ("max_pool1d stride", lambda L, x: L.max_pool1d(x, 3, 1, 1), (_a(2, 3, 6),)),
    ("max_pool2d", lambda L, x: L.max_pool2d(x, 2, 1, 1), (_a(1, 2, 4, 4),)),
    ("max_pool3d", lambda L, x: L.max_pool3d(x, 2, 1, 1), (_a(1, 2, 3, 4, 3),)),
    ("max_pool1d_with_indices", lambda L, x: L.max_pool1d_with_indices(x, 3, 2, 1)[0],
     (_a(2, 3, 7),)),
    ("avg_pool1d", lambda L, x: L.avg_pool1d(x, 3, 2, 1), (_a(2, 3, 7),)),
    ("adaptive_avg_pool1d", lambda L, x: L.adaptive_avg_pool1d(x, 3), (_a(2, 3, 7),)),
    ("adaptive_max_pool1d", lambda L, x: L.adaptive_max_pool1d(x, 3)[0], (_a(2, 3, 7),)),
    ("pixel_shuffle", lambda L, x: L.pixel_shuffle(x, 2), (_a(1, 8, 2, 3),)),
    ("pixel_unshuffle", lambda L, x: L.pixel_unshuffle(x, 2), (_a(1, 2, 4, 2),)),
    ("batch_norm", lambda L, x, w, b: L.batch_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
     (_a(4, 3), _a(3), _a(3))),
    ("instance_norm", lambda L, x, w, b: L.instance_norm(x, w, b, None, None, True, 0.1, 1e-5,
                                                         False), (_a(2, 3, 5), _a(3), _a(3))),
    ("layer_norm", lambda L, x, w: L.layer_norm(x, (4,), w, None, 1e-5, True), (_a(3, 4), _a(4))),
    ("group_norm", lambda L, x: L.group_norm(x, 2, None, None, 1e-5, True), (_a(2, 4, 3),)),
    ("rms_norm", lambda L, x, w: L.rms_norm(x, [4], w), (_a(3, 4), _a(4))),
    ("embedding", lambda L, w: L.embedding(w, L.tensor([[0, 3], [3, 1]]), 1), (_a(4, 2),)),
    ("embedding no padding", lambda L, w: L.embedding(w, L.tensor([3, 0, 3])), (_a(4, 2),)),
    ("embedding_bag", lambda L, w, p: L.embedding_bag(w, L.tensor([1, 2, 0, 3, 3]),
                                                      L.tensor([0, 2]), False, 0, False, p)[0],
     (_a(4, 3), _a(5))),
    ("embedding_bag mean", lambda L, w: L.embedding_bag(w, L.tensor([1, 2, 0, 3, 3]),
                                                        L.tensor([0, 2, 2]), True, 1, False, None,
                                                        False, 3)[0], (_a(4, 3),)),
    ("embedding_bag max", lambda L, w: L.embedding_bag(w, L.tensor([1, 2, 0, 3, 1]),
                                                       L.tensor([0, 1, 5]), False, 2, False, None,
                                                       True)[0], (_a(4, 3),)),
    ("bilinear", lambda L, x, y, w, b: L.bilinear(x, y, w, b), (_a(3, 2), _a(3, 4), _a(5, 2, 4),
                                                                 _a(5))),
    ("celu", lambda L, x: L.celu(x, 0.7), (_a(3, 4),)),
    ("selu", lambda L, x: L.selu(x), (_a(3, 4),)),
    ("prelu", lambda L, x, w: L.prelu(x, w), (_a(2, 3, 4), np.array([0.25, -0.5, 0.1]))),
    ("rrelu", lambda L, x: L.rrelu(x, 0.1, 0.3, False), (_a(3, 4),)),
    ("threshold", lambda L, x: L.threshold(x, 0.1, -2.0), (_a(3, 4),)),
    ("constant_pad_nd", lambda L, x: L.constant_pad_nd(x, (1, 2, 0, -1), 0.5), (_a(2, 3, 4),)),
    ("pdist", lambda L, x: L.pdist(x, 1.5), (_a(4, 3),)),
    ("cosine_similarity", lambda L, x, y: L.cosine_similarity(x, y, 0), (_a(3, 4), _a(3, 4))),
    ("pairwise_distance", lambda L, x, y: L.pairwise_distance(x, y, 3.0, 1e-6, True),
     (_a(3, 4), _a(3, 4))),
    ("kl_div", lambda L, x, t: L.kl_div(x, t, 2, log_target=True), (_a(3, 4), _a(3, 4))),
    ("binary_cross_entropy_with_logits", lambda L, x, t: L.binary_cross_entropy_with_logits(
        x, t, None, L.tensor([1.0, 2.0, 0.5, 1.5], dtype=L.float64), 0),
     (_a(3, 4), R.uniform(size=(3, 4)))),
    ("poisson_nll_loss", lambda L, x, t: L.poisson_nll_loss(x, t, True, True, 1e-8, 1),
     (_a(3, 4), R.uniform(1, 3, size=(3, 4)))),
    ("margin_ranking_loss", lambda L, x, y: L.margin_ranking_loss(x, y, _target(L, [1, -1, 1]),
                                                                  0.2, 2), (_a(3), _a(3))),
    ("hinge_embedding_loss", lambda L, x: L.hinge_embedding_loss(
        x, _target(L, [[1, -1], [-1, 1]]), 0.5, 0), (_a(2, 2),)),
    ("cosine_embedding_loss", lambda L, x, y: L.cosine_embedding_loss(
        x, y, _target(L, [1, -1, -1]), 0.1, 1), (_a(3, 4), _a(3, 4))),
    ("triplet_margin_loss", lambda L, a, p, n: L.triplet_margin_loss(a, p, n, 1.0, 2, 1e-6, True,
                                                                     2), (_a(3, 4),) * 3),
    ("ctc_loss", lambda L, x: L.ctc_loss(x.log_softmax(2), L.tensor([[1, 2], [2, 2]]),
                                         [5, 4], [2, 2], 0, 1, False), (_a(5, 2, 3),)),
    ("lstm_cell h", lambda L, x, h, c, wi, wh, bi, bh: L.lstm_cell(x, (h, c), wi, wh, bi, bh)[0],
     (_a(3, 4), _a(3, 2), _a(3, 2), _a(8, 4), _a(8, 2), _a(8), _a(8))),
    ("lstm_cell c", lambda L, x, h, c, wi, wh: L.lstm_cell(x, [h, c], wi, wh)[1],
     (_a(3, 4), _a(3, 2), _a(3, 2), _a(8, 4), _a(8, 2))),
    ("gru_cell", lambda L, x, h, wi, wh, bi, bh: L.gru_cell(x, h, wi, wh, bi, bh),
     (_a(3, 4), _a(3, 2), _a(6, 4), _a(6, 2), _a(6), _a(6))),
    ("gru_cell without b_hh", lambda L, x, h, wi, wh, bi: L.gru_cell(x, h, wi, wh, b_ih=bi),
     (_a(3, 4), _a(3, 2), _a(6, 4), _a(6, 2), _a(6))),
    ("rnn_tanh_cell", lambda L, x, h, wi, wh, bi, bh: L.rnn_tanh_cell(x, h, wi, wh, bi, bh),
     (_a(3, 4), _a(3, 2), _a(2, 4), _a(2, 2), _a(2), _a(2))),
    ("rnn_relu_cell", lambda L, x, h, wi, wh: L.rnn_relu_cell(x, h, wi, wh),
     (_a(3, 4), _a(3, 2), _a(2, 4), _a(2, 2))),
]  # fmt: skip


@pytest.mark.parametrize("name, call, arrays", CASES, ids=[c[0] for c in CASES])
def test_top_level_form_matches_torch(name, call, arrays):
    """Values, the top node and every input's gradient under a random upstream gradient (the
    graph below, finite differences and second order are nn.functional's tests)."""
    ours = [ad.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, out_t = call(OURS, *ours), call(torch, *theirs)
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-7, atol=1e-10)
    top = type(out_t.grad_fn).__name__
    assert out.grad_fn.name() == _ENGINE_NAMES.get(top, top)
    g = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(ad.tensor(g))
    out_t.backward(torch.tensor(g))
    for a, t in zip(ours, theirs):
        np.testing.assert_allclose(
            a.grad.detach().numpy(), t.grad.detach().numpy(), rtol=1e-7, atol=1e-10
        )


def test_every_function_has_a_case_and_is_torchs_name():
    tested = {c[0].split()[0] for c in CASES} | {
        "dropout",
        "dropout_",
        "alpha_dropout",
        "alpha_dropout_",
    }
    tested |= {"feature_dropout", "feature_dropout_", "celu_", "selu_", "rrelu_", "threshold_"}
    tested |= {"feature_alpha_dropout", "feature_alpha_dropout_"}
    tested |= {"lstm", "gru", "rnn_tanh", "rnn_relu"}  # test_torch_rnn_functions.py
    assert tested == set(T.__all__)
    assert all(callable(getattr(torch, n)) for n in T.__all__)


@pytest.mark.parametrize(
    "name", ["dropout", "alpha_dropout", "feature_dropout", "feature_alpha_dropout"]
)
@pytest.mark.parametrize("inplace", [False, True])
def test_dropout_forms_draw_torchs_masks(name, inplace):
    x = _a(4, 3, 5).astype(np.float32)
    name = name + "_" if inplace else name
    ad.manual_seed(3)
    torch.manual_seed(3)
    ours, theirs = ad.tensor(x), torch.tensor(x)
    out, out_t = getattr(T, name)(ours, 0.4, True), getattr(torch, name)(theirs, 0.4, True)
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-6)
    assert (out is ours) == (out_t is theirs) == inplace
    assert getattr(T, name)(ours, 0.4, False) is ours  # not training: the input itself


@pytest.mark.parametrize("name, args", [("celu_", (0.5,)), ("selu_", ()), ("threshold_", (0.2, 3.0)),
                                        ("rrelu_", (0.1, 0.2, False))])  # fmt: skip
def test_in_place_activations_as_torch(name, args):
    x = _a(3, 4)
    ours, theirs = ad.tensor(x), torch.tensor(x)
    assert getattr(T, name)(ours, *args) is ours and getattr(torch, name)(theirs, *args) is theirs
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)


def test_adaptive_max_pool1d_returns_values_and_int64_indices_as_torch():
    x = _a(2, 3, 7)
    (v, i), (vt, it) = T.adaptive_max_pool1d(ad.tensor(x), 3), torch.adaptive_max_pool1d(
        torch.tensor(x), 3)  # fmt: skip
    assert str(i.dtype) == str(it.dtype) == "torch.int64"
    np.testing.assert_array_equal(v.detach().numpy(), vt.detach().numpy())
    np.testing.assert_array_equal(i.detach().numpy(), it.detach().numpy())


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda L: L.kl_div(L.zeros(2), L.zeros(2), "mean"), TypeError, "enum int.*'mean'"),
        (lambda L: L.hinge_embedding_loss(L.zeros(2), L.ones(2), 1.0, None), TypeError, "enum int"),
        (lambda L: L.max_pool2d(L.zeros(1, 1, 2, 2), 2, return_indices=True), TypeError,
         "return_indices"),
        (lambda L: L.dropout(L.zeros(2), 0.5), TypeError, "train"),
        (lambda L: L.dropout(L.zeros(2), 1.5, True), (ValueError, RuntimeError), "probability"),
        (lambda L: L.feature_dropout(L.zeros(2, 2), -0.5, True), (ValueError, RuntimeError),
         "probability"),
        (lambda L: L.lstm_cell(L.zeros(1, 4), (L.zeros(1, 2),), L.zeros(8, 4), L.zeros(8, 2)),
         RuntimeError, "two hidden states"),
        (lambda L: L.lstm_cell(L.zeros(1, 4), L.zeros(1, 2), L.zeros(8, 4), L.zeros(8, 2)),
         TypeError, "tuple of Tensors"),
        (lambda L: L.rnn_relu_cell(L.zeros(1, 4), L.zeros(1, 5), L.zeros(6, 4), L.zeros(5, 5)),
         RuntimeError, "weight_ih first dim must be 1 \\* hidden_size = 5, but got 6"),
        (lambda L: L.gru_cell(L.zeros(1, 3), L.zeros(1, 2), L.zeros(6, 4), L.zeros(6, 2)),
         RuntimeError, "input_size"),
        (lambda L: L.lstm_cell(L.zeros(4), (L.zeros(2), L.zeros(2)), L.zeros(8, 4), L.zeros(8, 2)),
         IndexError, "2-d"),
        (lambda L: L.convolution(L.zeros(1, 2, 3), L.zeros(2, 2), None, [1], [0], [1], False,
                                 [0], 1), RuntimeError, "weight must be 3-d, 4-d or 5-d"),
        (lambda L: L.grid_sampler_2d(L.zeros(1, 1, 2, 2, 2), L.zeros(1, 1, 1, 1, 3), 0, 0,
                                     False), RuntimeError, "input must be 4-d"),
        (lambda L: L.embedding_bag(L.zeros(3, 2), L.tensor([0, 1]), L.tensor([0]), False, 3),
         RuntimeError, "`mode` must be sum, mean, or max"),
        (lambda L: L.embedding_bag(L.zeros(3, 2), L.tensor([0, 1]), None), TypeError,
         "'offsets' .* must be Tensor, not NoneType"),
        (lambda L: L.embedding_bag(L.zeros(3, 2), L.tensor([0, 1]), L.tensor([0]), False, 1,
                                   False, L.ones(2)), (ValueError, RuntimeError),
         "per_sample_weights .* mode='sum'"),
    ],
)  # fmt: skip
def test_refuses_what_torch_refuses(call, error, words):
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error, match=words):
        call(OURS)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("padding_idx", [None, -1, 2])
@pytest.mark.parametrize("include_last_offset", [False, True])
def test_embedding_bag_returns_torchs_index_tensors(dtype, mode, padding_idx, include_last_offset):
    """offset2bag, bag_size and max_indices beside the bags, as torch's CPU kernel gives them
    (an empty bag, a bag of padding, ties in max)."""
    table = np.round(_a(6, 3), 1).astype(dtype)
    table[4] = table[3]  # ties: the first maximum's row
    offsets = [0, 2, 2, 5, 7] if include_last_offset else [0, 2, 2, 5]
    indices = [1, 2, 4, 5, 3, 3, 2]  # rows 4 and 3 tie in the third bag: the first one wins
    results = [
        L.embedding_bag(L.tensor(table), L.tensor(indices), L.tensor(offsets), False, mode, False,
                        None, include_last_offset, padding_idx)
        for L in (OURS, torch)
    ]  # fmt: skip
    for ours, theirs in zip(*results):
        assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype)
        np.testing.assert_allclose(
            ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6
        )  # indices: exactly


def test_norm_except_dim_over_all_dims_matches_torch():
    """dim=-1: one norm of all of v (torch's top node is NormBackward0, ours the vector norm's)."""
    v = _a(3, 4)
    ours, theirs = ad.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
    out, out_t = T.norm_except_dim(ours, 3, -1), torch.norm_except_dim(theirs, 3, -1)
    assert out.shape == tuple(out_t.shape)
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-12)
    out.backward()
    out_t.backward()
    np.testing.assert_allclose(ours.grad.detach().numpy(), theirs.grad.detach().numpy(), rtol=1e-10)


def test_what_torch_lets_pass_unnoticed_is_refused():
    """torch ignores output_padding without transposed and reads an unknown grid_sampler enum
    as some mode; here both are errors."""
    x, w = ad.zeros(1, 1, 3, 3), ad.zeros(1, 1, 1, 1)
    with pytest.raises(RuntimeError, match="output_padding .* only for a transposed"):
        T.convolution(x, w, None, [1, 1], [0, 0], [1, 1], False, [1, 1], 1)
    for enums, words in (((3, 0), "interpolation_mode"), ((0, -1), "padding_mode")):
        with pytest.raises(RuntimeError, match=f"grid_sampler: {words} must be torch's enum"):
            T.grid_sampler(x, ad.zeros(1, 1, 1, 2), *enums, False)


def test_autodiff_run_finds_them_as_torch_names():
    shim = OURS
    assert shim.conv2d is T.conv2d and shim.dropout is T.dropout
    assert shim.relu is ad.relu and shim.FloatTensor is ad.FloatTensor
    assert {"conv2d", "relu", "FloatTensor"} <= set(dir(shim))
    with pytest.raises(AttributeError, match="not supported"):
        shim.no_such_name  # noqa: B018
