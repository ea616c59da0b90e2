"""Every Module nn exports, against torch's class of the same name: the state_dict's names and
shapes, then, with torch's (perturbed) parameters loaded, the outputs, the gradients of every
float input and parameter, and the state after the step (running statistics) in float64. The
list is read from nn's exports: a new layer joins this test, or says below why it cannot."""

import inspect
from pathlib import Path

import numpy as np
import pytest

import autodiff as ad
import nn

rng = np.random.default_rng


def _x(*shape, seed=0):
    return rng(seed).standard_normal(shape)


def _probs(*shape, seed=1):
    return rng(seed).uniform(0.1, 0.9, shape)


def _labels(n, classes, seed=2):
    return rng(seed).integers(0, classes, n)


def _log_probs(*shape):
    x = _x(*shape)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def _pooled_with_indices():
    """max_pool2d(2) of a (2, 3, 4, 4) batch, values and flat indices, made with NumPy."""
    x = _x(2, 3, 4, 4)
    windows = x.reshape(2, 3, 2, 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(2, 3, 2, 2, 4)
    tap = windows.argmax(-1)
    rows, cols = np.arange(2)[:, None] * 2 + tap // 2, np.arange(2) * 2 + tap % 2
    return windows.max(-1), rows * 4 + cols


def _pooled_1d_with_indices():
    """max_pool1d(2) of a (2, 3, 8) batch, values and positions along L, made with NumPy."""
    pairs = _x(2, 3, 8).reshape(2, 3, 4, 2)
    return pairs.max(-1), np.arange(4) * 2 + pairs.argmax(-1)


ACTIVATION = (_x(2, 3, 4),)
VOLUME = (_x(2, 3, 3, 4, 5),)
# name -> (make(L): the module from L = nn or torch.nn, inputs: NumPy arrays, float ones get
# gradients); activations take torch's non-default options where they have them
CASES = {
    "AdaptiveAvgPool1d": (lambda L: L.AdaptiveAvgPool1d(3), (_x(2, 3, 7),)),
    "AdaptiveAvgPool2d": (lambda L: L.AdaptiveAvgPool2d((2, 3)), (_x(2, 3, 5, 7),)),
    "AdaptiveAvgPool3d": (lambda L: L.AdaptiveAvgPool3d((2, None, 3)), VOLUME),
    "AvgPool3d": (lambda L: L.AvgPool3d(3, stride=2, padding=1, ceil_mode=True), VOLUME),
    "MaxPool3d": (lambda L: L.MaxPool3d(2, stride=1, dilation=(1, 2, 2)), VOLUME),
    "AvgPool1d": (lambda L: L.AvgPool1d(3, stride=2, padding=1), (_x(2, 3, 8),)),
    "AvgPool2d": (lambda L: L.AvgPool2d(2, stride=1, padding=1), (_x(2, 3, 4, 5),)),
    "BCELoss": (lambda L: L.BCELoss(), (_probs(4, 3), _probs(4, 3, seed=5))),
    "BCEWithLogitsLoss": (
        lambda L: L.BCEWithLogitsLoss(reduction="sum"),
        (_x(4, 3), _probs(4, 3)),
    ),
    "BatchNorm1d": (lambda L: L.BatchNorm1d(3, momentum=0.3), (_x(5, 3),)),
    "BatchNorm2d": (lambda L: L.BatchNorm2d(3), (_x(4, 3, 2, 2),)),
    "BatchNorm3d": (lambda L: L.BatchNorm3d(3, momentum=None), VOLUME),
    # torch's CELU backward rounds 1/alpha to float32: an alpha whose inverse is exact
    "CELU": (lambda L: L.CELU(alpha=0.5), ACTIVATION),
    "Conv1d": (lambda L: L.Conv1d(3, 4, 3, padding=1, stride=2), (_x(2, 3, 7),)),
    "Conv3d": (lambda L: L.Conv3d(3, 4, (2, 3, 2), padding=1, stride=(1, 2, 1)), VOLUME),
    "ConvTranspose3d": (
        lambda L: L.ConvTranspose3d(3, 4, (2, 3, 2), padding=1, stride=2, output_padding=1),
        VOLUME,
    ),
    "Conv2d": (lambda L: L.Conv2d(3, 4, 3, padding=1, groups=1, dilation=2), (_x(2, 3, 6, 5),)),
    "ConvTranspose1d": (lambda L: L.ConvTranspose1d(3, 2, 3, stride=2), (_x(2, 3, 5),)),
    "ConvTranspose2d": (
        lambda L: L.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1),
        (_x(2, 3, 3, 4),),
    ),
    "CosineSimilarity": (lambda L: L.CosineSimilarity(dim=1), (_x(4, 5), _x(4, 5, seed=3))),
    "CrossEntropyLoss": (
        lambda L: L.CrossEntropyLoss(label_smoothing=0.1),
        (_x(4, 5), _labels(4, 5)),
    ),
    "DataParallel": (lambda L: L.DataParallel(L.Linear(5, 3)), (_x(2, 5),)),
    "Dropout": (lambda L: L.Dropout(0.3), ACTIVATION),  # the same mask: torch's generator
    "Dropout1d": (lambda L: L.Dropout1d(0.3), ACTIVATION),
    "Dropout2d": (lambda L: L.Dropout2d(0.3), (_x(2, 3, 4, 4),)),
    "Dropout3d": (lambda L: L.Dropout3d(0.3), (_x(2, 3, 2, 2, 2),)),
    "ELU": (lambda L: L.ELU(alpha=0.5), ACTIVATION),
    "Embedding": (lambda L: L.Embedding(10, 4, padding_idx=1), (_labels(6, 10).reshape(2, 3),)),
    "Flatten": (lambda L: L.Flatten(), (_x(2, 3, 4),)),
    "GELU": (lambda L: L.GELU(approximate="tanh"), ACTIVATION),
    "GLU": (lambda L: L.GLU(dim=1), (_x(2, 4, 3),)),
    "GRU": (lambda L: L.GRU(5, 4, num_layers=2, batch_first=True), (_x(2, 3, 5),)),
    "GRUCell": (lambda L: L.GRUCell(5, 4), (_x(2, 5),)),
    "GaussianNLLLoss": (
        lambda L: L.GaussianNLLLoss(),
        (_x(4, 3), _x(4, 3, seed=3), _probs(4, 3)),
    ),
    "GroupNorm": (lambda L: L.GroupNorm(2, 4), (_x(2, 4, 3),)),
    "Hardshrink": (lambda L: L.Hardshrink(0.3), ACTIVATION),
    "Hardsigmoid": (lambda L: L.Hardsigmoid(), ACTIVATION),
    "Hardswish": (lambda L: L.Hardswish(), ACTIVATION),
    "Hardtanh": (lambda L: L.Hardtanh(-0.5, 0.7), ACTIVATION),
    "HuberLoss": (lambda L: L.HuberLoss(delta=0.5), (_x(4, 3), _x(4, 3, seed=3))),
    "Identity": (lambda L: L.Identity(), ACTIVATION),
    "KLDivLoss": (
        lambda L: L.KLDivLoss(reduction="batchmean"),
        (_log_probs(4, 3), _probs(4, 3)),
    ),
    "L1Loss": (lambda L: L.L1Loss(), (_x(4, 3), _x(4, 3, seed=3))),
    "LSTM": (lambda L: L.LSTM(5, 4, bidirectional=True), (_x(3, 2, 5),)),
    "LSTMCell": (lambda L: L.LSTMCell(5, 4), (_x(2, 5),)),
    "LayerNorm": (lambda L: L.LayerNorm(4), (_x(2, 3, 4),)),
    "LeakyReLU": (lambda L: L.LeakyReLU(0.1), ACTIVATION),
    "Linear": (lambda L: L.Linear(5, 3), (_x(2, 5),)),
    "LogSigmoid": (lambda L: L.LogSigmoid(), ACTIVATION),
    "LogSoftmax": (lambda L: L.LogSoftmax(dim=1), ACTIVATION),
    "MSELoss": (lambda L: L.MSELoss(reduction="sum"), (_x(4, 3), _x(4, 3, seed=3))),
    "MaxPool1d": (lambda L: L.MaxPool1d(3, stride=2, padding=1), (_x(2, 3, 8),)),
    "MaxPool2d": (lambda L: L.MaxPool2d(2, ceil_mode=True), (_x(2, 3, 5, 5),)),
    "Mish": (lambda L: L.Mish(), ACTIVATION),
    "MultiheadAttention": (
        lambda L: L.MultiheadAttention(8, 2, batch_first=True),
        (_x(2, 3, 8), _x(2, 4, 8, seed=3), _x(2, 4, 8, seed=4)),
    ),
    "NLLLoss": (lambda L: L.NLLLoss(), (_log_probs(4, 5), _labels(4, 5))),
    "NonDynamicallyQuantizableLinear": (
        lambda L: (L if L is nn else L.modules.linear).NonDynamicallyQuantizableLinear(5, 3),
        (_x(2, 5),),
    ),
    "PReLU": (lambda L: L.PReLU(3), ACTIVATION),
    "PairwiseDistance": (lambda L: L.PairwiseDistance(p=3), (_x(4, 5), _x(4, 5, seed=3))),
    "RNN": (lambda L: L.RNN(5, 4, nonlinearity="relu"), (_x(3, 2, 5),)),
    "RNNCell": (lambda L: L.RNNCell(5, 4), (_x(2, 5),)),
    "ReLU": (lambda L: L.ReLU(), ACTIVATION),
    "ReLU6": (lambda L: L.ReLU6(), (_x(2, 3, 4) * 4,)),
    "SELU": (lambda L: L.SELU(), ACTIVATION),
    "SiLU": (lambda L: L.SiLU(), ACTIVATION),
    "Sequential": (lambda L: L.Sequential(L.Linear(5, 4), L.Tanh(), L.Linear(4, 2)), (_x(2, 5),)),
    "Sigmoid": (lambda L: L.Sigmoid(), ACTIVATION),
    "SmoothL1Loss": (lambda L: L.SmoothL1Loss(beta=0.5), (_x(4, 3), _x(4, 3, seed=3))),
    "Softmax": (lambda L: L.Softmax(dim=-1), ACTIVATION),
    "Softmin": (lambda L: L.Softmin(dim=1), ACTIVATION),
    "Softplus": (lambda L: L.Softplus(beta=2.0, threshold=3.0), ACTIVATION),
    "Softshrink": (lambda L: L.Softshrink(0.3), ACTIVATION),
    "Softsign": (lambda L: L.Softsign(), ACTIVATION),
    "Tanh": (lambda L: L.Tanh(), ACTIVATION),
    "Tanhshrink": (lambda L: L.Tanhshrink(), ACTIVATION),
    "Threshold": (lambda L: L.Threshold(0.1, 20.0), ACTIVATION),
    "Transformer": (
        lambda L: L.Transformer(8, 2, 1, 1, dim_feedforward=16, dropout=0.0, batch_first=True),
        (_x(2, 3, 8), _x(2, 4, 8, seed=3)),
    ),
    "TransformerDecoder": (
        lambda L: L.TransformerDecoder(
            L.TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=True), num_layers=2
        ),
        (_x(2, 3, 8), _x(2, 4, 8, seed=3)),
    ),
    "TransformerDecoderLayer": (
        lambda L: L.TransformerDecoderLayer(8, 2, 16, dropout=0.0, norm_first=True),
        (_x(3, 2, 8), _x(4, 2, 8, seed=3)),
    ),
    "TransformerEncoder": (
        lambda L: L.TransformerEncoder(
            L.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True),
            num_layers=2,
            enable_nested_tensor=False,
        ),
        (_x(2, 3, 8),),
    ),
    "TransformerEncoderLayer": (
        lambda L: L.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation="gelu"),
        (_x(3, 2, 8),),
    ),
    "Unflatten": (lambda L: L.Unflatten(1, (2, 3)), (_x(4, 6),)),
    "Upsample": (lambda L: L.Upsample(scale_factor=2, mode="bilinear"), (_x(1, 2, 3, 3),)),
    "UpsamplingBilinear2d": (lambda L: L.UpsamplingBilinear2d(scale_factor=2), (_x(1, 2, 3, 3),)),
    "UpsamplingNearest2d": (lambda L: L.UpsamplingNearest2d(size=(5, 4)), (_x(1, 2, 3, 3),)),
    "CosineEmbeddingLoss": (
        lambda L: L.CosineEmbeddingLoss(margin=0.1),
        (_x(4, 3), _x(4, 3, seed=3), np.array([1.0, -1.0, -1.0, 1.0])),
    ),
    "HingeEmbeddingLoss": (
        lambda L: L.HingeEmbeddingLoss(margin=0.5),
        (_x(4, 3), np.sign(_x(4, 3, seed=3))),
    ),
    "MarginRankingLoss": (
        lambda L: L.MarginRankingLoss(margin=0.2, reduction="sum"),
        (_x(5), _x(5, seed=3), np.sign(_x(5, seed=4))),
    ),
    "MultiLabelSoftMarginLoss": (
        lambda L: L.MultiLabelSoftMarginLoss(),
        (_x(4, 3), (_probs(4, 3) > 0.5).astype(float)),
    ),
    "MultiMarginLoss": (lambda L: L.MultiMarginLoss(p=2, margin=0.8), (_x(4, 5), _labels(4, 5))),
    "PoissonNLLLoss": (lambda L: L.PoissonNLLLoss(full=True), (_x(4, 3), _probs(4, 3) * 4)),
    "TripletMarginLoss": (
        lambda L: L.TripletMarginLoss(margin=0.5, swap=True),
        (_x(4, 3), _x(4, 3, seed=3), _x(4, 3, seed=4)),
    ),
    "CTCLoss": (
        lambda L: L.CTCLoss(),
        (
            _log_probs(7, 3, 5),
            np.array([[1, 2, 2], [3, 1, 0], [4, 4, 0]]),
            np.array([7, 5, 6]),
            np.array([3, 2, 2]),
        ),
    ),
    "EmbeddingBag": (lambda L: L.EmbeddingBag(10, 4, mode="max"), (_labels(6, 10).reshape(2, 3),)),
    "AdaptiveMaxPool1d": (lambda L: L.AdaptiveMaxPool1d(3), (_x(2, 3, 7),)),
    "AdaptiveMaxPool2d": (lambda L: L.AdaptiveMaxPool2d((2, 3), True), (_x(2, 3, 5, 7),)),
    "AdaptiveMaxPool3d": (lambda L: L.AdaptiveMaxPool3d((2, None, 3)), VOLUME),
    "AlphaDropout": (lambda L: L.AlphaDropout(0.3), ACTIVATION),  # torch's generator
    "Bilinear": (lambda L: L.Bilinear(3, 4, 2), (_x(5, 3), _x(5, 4, seed=3))),
    "CircularPad1d": (lambda L: L.CircularPad1d((2, 1)), ACTIVATION),
    "CircularPad2d": (lambda L: L.CircularPad2d(1), (_x(2, 3, 4, 5),)),
    "ConstantPad1d": (lambda L: L.ConstantPad1d(2, 0.5), ACTIVATION),
    "ConstantPad2d": (lambda L: L.ConstantPad2d((1, 0, 2, 1), -1.0), (_x(2, 3, 4, 5),)),
    "Fold": (lambda L: L.Fold((4, 5), 2, padding=1), (_x(2, 12, 30),)),
    "InstanceNorm1d": (
        lambda L: L.InstanceNorm1d(3, affine=True, track_running_stats=True),
        (_x(2, 3, 5),),
    ),
    "InstanceNorm2d": (lambda L: L.InstanceNorm2d(3), (_x(2, 3, 4, 4),)),
    "InstanceNorm3d": (
        lambda L: L.InstanceNorm3d(3, affine=True, track_running_stats=True),
        VOLUME,
    ),
    "LocalResponseNorm": (lambda L: L.LocalResponseNorm(3, alpha=0.1), (_x(2, 5, 3, 3),)),
    "MaxUnpool1d": (lambda L: L.MaxUnpool1d(2), _pooled_1d_with_indices()),
    "MaxUnpool2d": (lambda L: L.MaxUnpool2d(2), _pooled_with_indices()),
    "PixelShuffle": (lambda L: L.PixelShuffle(2), (_x(2, 8, 3, 3),)),
    "PixelUnshuffle": (lambda L: L.PixelUnshuffle(2), (_x(2, 2, 4, 6),)),
    "RMSNorm": (lambda L: L.RMSNorm(4), (_x(2, 3, 4),)),
    "RReLU": (lambda L: L.RReLU(0.2, 0.4), ACTIVATION),  # training: torch's draws
    "ReflectionPad1d": (lambda L: L.ReflectionPad1d((3, 1)), ACTIVATION),
    "ReflectionPad2d": (lambda L: L.ReflectionPad2d((1, 2, 0, 3)), (_x(2, 3, 4, 5),)),
    "ReplicationPad1d": (lambda L: L.ReplicationPad1d(2), ACTIVATION),
    "ReplicationPad2d": (lambda L: L.ReplicationPad2d((2, 0, 1, 1)), (_x(2, 3, 4, 5),)),
    "Softmax2d": (lambda L: L.Softmax2d(), (_x(2, 3, 4, 5),)),
    "Unfold": (lambda L: L.Unfold((2, 3), stride=(1, 2)), (_x(2, 3, 4, 5),)),
    "ZeroPad1d": (lambda L: L.ZeroPad1d((1, 2)), ACTIVATION),
    "ZeroPad2d": (lambda L: L.ZeroPad2d(1), (_x(2, 3, 4, 5),)),
    "LPPool1d": (lambda L: L.LPPool1d(3, 2, stride=1), (np.abs(_x(2, 3, 7)) + 0.1,)),
    "LPPool2d": (lambda L: L.LPPool2d(1.5, (2, 3), ceil_mode=True), (np.abs(_x(2, 3, 5, 7)),)),
    "LPPool3d": (lambda L: L.LPPool3d(2, (2, 1, 2), stride=1), (np.abs(VOLUME[0]) + 0.1,)),
    "ChannelShuffle": (lambda L: L.ChannelShuffle(3), (_x(2, 6, 2, 3),)),
    "FeatureAlphaDropout": (lambda L: L.FeatureAlphaDropout(0.4), (_x(4, 5, 3, 2),)),
    "MultiLabelMarginLoss": (
        lambda L: L.MultiLabelMarginLoss(reduction="sum"),
        (
            _x(4, 5),
            np.array([[3, 0, -1, 1, 2], [0, 1, 2, 3, 4], [1, 1, -1, 2, 0], [-1, 0, 1, 2, 3]]),
        ),
    ),
    "TripletMarginWithDistanceLoss": (
        lambda L: L.TripletMarginWithDistanceLoss(
            distance_function=lambda a, b: 1 - L.functional.cosine_similarity(a, b), swap=True
        ),
        (_x(4, 3), _x(4, 3, seed=3), _x(4, 3, seed=4)),
    ),
    "NLLLoss2d": (
        lambda L: L.NLLLoss2d(),
        (_x(2, 5, 3, 4), _labels(2 * 3 * 4, 5).reshape(2, 3, 4)),  # scores of 5 classes per pixel
    ),
    "ZeroPad3d": (lambda L: L.ZeroPad3d((1, 0, 2, 1, 0, 2)), VOLUME),
    "ConstantPad3d": (lambda L: L.ConstantPad3d(1, 0.5), VOLUME),
    "ReflectionPad3d": (lambda L: L.ReflectionPad3d((1, 2, 0, 3, 2, 1)), VOLUME),
    "ReplicationPad3d": (lambda L: L.ReplicationPad3d((2, 0, 1, 1, 0, 3)), VOLUME),
    "CircularPad3d": (lambda L: L.CircularPad3d((1, 2, 1, 0, 2, 1)), VOLUME),
}
# Modules nn exports that this test cannot drive, and the test that compares each with torch
OWN_TESTS = {
    "Module": "the base class: tests/nn/test_module.py",
    "ModuleDict": "a container with no forward: tests/nn/test_torch_layers.py",
    "ModuleList": "a container with no forward: tests/nn/test_module.py",
    "ParameterDict": "a container with no forward: tests/nn/test_torch_layers.py",
    "ParameterList": "a container with no forward: tests/nn/test_torch_layers.py",
    "ConcatBlock": "our own block, no torch class: tests/nn/test_blocks.py",
    "ResidualBlock": "our own block, no torch class: tests/nn/test_blocks.py",
    "FractionalMaxPool2d": "random windows: tests/nn/test_torch_pooling_fractional.py",
    "FractionalMaxPool3d": "random windows: tests/nn/test_torch_pooling_fractional.py",
    "MaxUnpool3d": "takes max_pool3d's indices: tests/nn/test_torch_pooling3d_indices.py",
    "RNNBase": "the base of RNN, LSTM and GRU: tests/nn/test_torch_rnn_bases.py",
    "RNNCellBase": "the base of the cells, no forward: tests/nn/test_torch_rnn_bases.py",
    "AdaptiveLogSoftmaxWithLoss": "forward takes a target and gives (output, loss): "
    "tests/nn/test_torch_adaptive.py",
    "SoftMarginLoss": "its target takes no gradient (torch refuses a target that requires "
    "grad): tests/nn/test_torch_losses_margin.py",
    "LazyLinear": "its parameters have no shape before the first call: "
    "tests/nn/test_torch_layers_extra.py",
    "LazyConv1d": "its parameters have no shape before the first call: tests/nn/test_torch_lazy.py",
    "LazyConv2d": "its parameters have no shape before the first call: tests/nn/test_torch_lazy.py",
    "LazyConvTranspose1d": "its parameters have no shape before the first call: tests/nn/test_torch_lazy.py",
    "LazyConvTranspose2d": "its parameters have no shape before the first call: tests/nn/test_torch_lazy.py",
    "LazyBatchNorm1d": "its parameters have no shape before the first call: tests/nn/test_torch_lazy.py",
    "LazyBatchNorm2d": "its parameters have no shape before the first call: tests/nn/test_torch_lazy.py",
    "LazyInstanceNorm1d": "its parameters have no shape before the first call: tests/nn/test_torch_lazy.py",
    "LazyInstanceNorm2d": "its parameters have no shape before the first call: tests/nn/test_torch_lazy.py",
    "LazyConv3d": "its parameters have no shape before the first call: tests/nn/test_torch_lazy.py",
    "LazyConvTranspose3d": "its parameters have no shape before the first call: tests/nn/test_torch_lazy.py",
    "LazyBatchNorm3d": "its parameters have no shape before the first call: tests/nn/test_torch_lazy.py",
    "LazyInstanceNorm3d": "its parameters have no shape before the first call: tests/nn/test_torch_lazy.py",
}


def _exported_modules() -> set:
    return {
        n
        for n in dir(nn)
        if not n.startswith("_")
        and inspect.isclass(c := getattr(nn, n))
        and issubclass(c, nn.Module)
    }


def test_every_module_nn_exports_is_compared_with_torch_or_names_its_test():
    exported = _exported_modules()
    missing = sorted(exported - set(CASES) - set(OWN_TESTS))
    assert not missing, (
        f"no torch comparison for {missing}: add a case to CASES in {__name__}.py, or the test "
        "that compares it to OWN_TESTS"
    )
    assert not (set(CASES) | set(OWN_TESTS)) - exported, "a case names a Module nn lacks"
    for name, reason in OWN_TESTS.items():
        path = Path(__file__).parents[2] / reason.rsplit(": ", 1)[1]
        assert name in path.read_text(), f"{path} does not use {name}"


def _outputs(out) -> list:
    """The tensors of a module's output, flattened out of tuples (RNNs: output, state)."""
    if isinstance(out, tuple | list):
        return [t for o in out for t in _outputs(o)]
    return [] if out is None else [out]


@pytest.mark.parametrize("name", sorted(CASES))
def test_module_matches_torch(name):
    torch = pytest.importorskip("torch")
    make, arrays = CASES[name]
    theirs = make(torch.nn).double()
    ad.manual_seed(0)
    ours = make(nn).double()
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in theirs.parameters():  # off torch's ones and zeros (norms), same values
            p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype) * 0.5)
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == [
        (k, v.shape) for k, v in state.items()
    ]
    ours.load_state_dict(state)

    floats = [np.issubdtype(a.dtype, np.floating) for a in arrays]
    ours_in = [ad.tensor(a, requires_grad=f) for a, f in zip(arrays, floats)]
    theirs_in = [torch.tensor(a, requires_grad=bool(f)) for a, f in zip(arrays, floats)]
    ad.manual_seed(0)
    torch.manual_seed(0)
    outs, outs_t = _outputs(ours(*ours_in)), _outputs(theirs(*theirs_in))
    assert len(outs) == len(outs_t)
    for o, t in zip(outs, outs_t):
        np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-9, atol=1e-12)
    upstream = [rng(7 + i).standard_normal(t.shape) for i, t in enumerate(outs_t)]
    sum(((o * ad.tensor(u)).sum() for o, u in zip(outs, upstream) if o.requires_grad)).backward()
    sum((t * torch.tensor(u)).sum() for t, u in zip(outs_t, upstream) if t.requires_grad).backward()

    for i, (a, t) in enumerate(zip(ours_in, theirs_in)):
        if floats[i]:
            got = np.zeros(a.shape) if a.grad is None else a.grad.detach().numpy()
            want = np.zeros(a.shape) if t.grad is None else t.grad.detach().numpy()
            np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-11, err_msg=f"input {i}")
    grads = dict(ours.named_parameters())
    for key, p in theirs.named_parameters():
        got = grads[key].grad
        got = np.zeros(p.shape) if got is None else got.detach().numpy()
        want = np.zeros(p.shape) if p.grad is None else p.grad.detach().numpy()
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-11, err_msg=key)
    for (key, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
        np.testing.assert_allclose(np.asarray(a), b.detach().numpy(), rtol=1e-10, err_msg=key)
