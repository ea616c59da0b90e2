"""torch's values and gradients at NaN, Inf and zero-size inputs (the edges a random test rarely
draws): losses at an infinite input, max with a NaN, activations at NaN, empty batches and
dims, a length-0 sequence, and anomaly mode blaming the op that made a NaN."""

import warnings

import numpy as np
import pytest

import autodiff as ad
import nn
import nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional
NAN, INF = float("nan"), float("inf")
EDGES = [NAN, 1.0, -1.0, 0.0, INF, -INF, 2.0, 0.3]


def _both(ours, theirs, values, target=None):
    """Forward values and input gradients of ours and torch's on the same float64 data,
    with a non-uniform upstream gradient."""
    values = np.asarray(values, dtype=np.float64)
    up = np.arange(1.0, values.size + 1)
    x, tx = ad.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    args = () if target is None else (ad.tensor(target),)
    targs = () if target is None else (torch.tensor(target),)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        y, ty = ours(x, *args), theirs(tx, *targs)
        (y * ad.tensor(up[: y.numel()].reshape(y.shape))).sum().backward()
    (ty * torch.tensor(up[: ty.numel()].reshape(ty.shape))).sum().backward()
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    return x.grad.detach().numpy(), tx.grad.detach().numpy()


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (lambda x, t: F.huber_loss(x, t), lambda x, t: TF.huber_loss(x, t)),
        (lambda x, t: F.huber_loss(x, t, delta=2.0), lambda x, t: TF.huber_loss(x, t, delta=2.0)),
        (lambda x, t: F.smooth_l1_loss(x, t), lambda x, t: TF.smooth_l1_loss(x, t)),
        (lambda x, t: F.smooth_l1_loss(x, t, beta=0.5),
         lambda x, t: TF.smooth_l1_loss(x, t, beta=0.5)),
        (lambda x, t: F.smooth_l1_loss(x, t, beta=0.0),
         lambda x, t: TF.smooth_l1_loss(x, t, beta=0.0)),
        (lambda x, t: F.l1_loss(x, t), lambda x, t: TF.l1_loss(x, t)),
    ],
    ids=["huber", "huber-delta2", "smooth_l1", "smooth_l1-beta0.5", "smooth_l1-beta0", "l1"],
)  # fmt: skip
def test_losses_at_infinite_and_nan_inputs_match_torch(ours, theirs):
    grad, expected = _both(
        lambda x, t: ours(x, t).reshape(1), lambda x, t: theirs(x, t).reshape(1),
        EDGES, np.full(len(EDGES), 0.5),
    )  # fmt: skip
    np.testing.assert_allclose(grad, expected, rtol=1e-12, equal_nan=True)


def test_the_issues_huber_case():
    x = ad.tensor([INF, 0.3], requires_grad=True)
    F.huber_loss(x, ad.tensor([0.5, 0.0])).backward()
    assert x.grad.tolist() == [0.5, pytest.approx(0.15)]


@pytest.mark.parametrize("values", [[0.0, NAN, 1.0], [NAN, 2.0, NAN], [1.0, 3.0, 3.0]], ids=str)
@pytest.mark.parametrize("op", ["max", "min"])
def test_max_and_min_send_the_gradient_where_torch_does(values, op):
    grad, expected = _both(lambda x: getattr(x, op)(), lambda x: getattr(x, op)(), values)
    np.testing.assert_array_equal(grad, expected)
    grad, expected = _both(
        lambda x: getattr(x.reshape(1, 3), op)(1)[0], lambda x: getattr(x.reshape(1, 3), op)(1)[0],
        values,
    )  # fmt: skip
    np.testing.assert_array_equal(grad, expected)


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (ad.relu, torch.relu),
        (ad.abs, torch.abs),
        (F.elu, TF.elu),
        (F.selu, TF.selu),
        (F.leaky_relu, TF.leaky_relu),
        (lambda x: F.elu(x, alpha=0.5), lambda x: TF.elu(x, alpha=0.5)),
        (lambda x: x.clamp(-0.5, 1.5), lambda x: x.clamp(-0.5, 1.5)),
    ],
    ids=["relu", "abs", "elu", "selu", "leaky_relu", "elu-alpha", "clamp"],
)
def test_activations_at_nan_and_inf_follow_torchs_conventions(ours, theirs):
    grad, _ = _both(ours, theirs, EDGES)
    # torch's own answer at NaN depends on its kernel: elu's backward gives 1 on its scalar
    # path, and from 8 values on NaN with AVX2 (1 on the machine this test was written on);
    # so torch is asked one value at a time, the path every CPU takes
    expected = [_both(ours, theirs, [v])[1][0] * k for k, v in enumerate(EDGES, 1)]  # 1·k
    np.testing.assert_allclose(grad, expected, rtol=1e-15)


def test_an_empty_batch_and_zero_channels_in_batch_norm_match_torch():
    for features, shape in ((4, (0, 4)), (0, (3, 0)), (2, (0, 2, 5))):
        ours, theirs = nn.BatchNorm1d(features), torch.nn.BatchNorm1d(features)
        x = ad.zeros(*shape, requires_grad=True)
        y = ours(x)
        y.sum().backward()
        assert y.shape == shape and x.grad.shape == shape
        if features:  # torch's own BatchNorm1d(0) fails with an IndexError; ours is empty
            theirs(torch.zeros(shape))
        else:
            theirs.num_batches_tracked += 1
        for (key, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
            np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy(), err_msg=key)
        assert ours.weight.grad.tolist() == [0.0] * features
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        nn.BatchNorm1d(3)(ad.zeros(1, 3))


def test_an_empty_batch_warns_of_nothing_and_sends_each_gradient_where_it_is_needed():
    layer = nn.BatchNorm1d(3)
    layer.weight.requires_grad_(False)  # needs: input and bias, not weight
    x = ad.zeros(0, 3, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no mean of an empty slice, forward or backward
        layer(x).sum().backward()
        assert x.grad.shape == (0, 3) and layer.weight.grad is None
        assert layer.bias.grad.tolist() == [0.0, 0.0, 0.0]
        layer.eval()  # running statistics, not the empty batch's zeros and ones
        layer.running_mean.fill_(2.0)
        out = layer(ad.full((2, 3), 4.0))
    np.testing.assert_allclose(
        out.detach().numpy(), np.full((2, 3), 2.0 / np.sqrt(1 + 1e-5)), rtol=1e-6
    )
    only_weight = nn.BatchNorm1d(3)  # needs: the weight alone (a constant batch, no bias)
    only_weight.bias.requires_grad_(False)
    only_weight(ad.zeros(0, 3)).sum().backward()
    assert only_weight.weight.grad.tolist() == [0.0, 0.0, 0.0] and only_weight.bias.grad is None


def test_flatten_and_softmax_of_zero_size_inputs_are_empty_as_in_torch():
    assert nn.Flatten()(ad.zeros(0, 2, 3)).shape == (0, 6)
    assert ad.zeros(0, 2, 3).flatten().shape == (0,)
    assert ad.zeros(2, 0, 3).flatten(1).shape == (2, 0)
    for dim in (0, 1):
        for module in (nn.Softmax(dim), nn.LogSoftmax(dim)):
            x = ad.zeros(2, 0, requires_grad=True)
            y = module(x)
            y.sum().backward()
            assert y.shape == (2, 0) and x.grad.shape == (2, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divide-by-zero noise either
        assert ad.zeros(2, 0).logsumexp(1).tolist() == [-INF, -INF]
        assert ad.zeros(0, 3).logsumexp(0).tolist() == torch.zeros(0, 3).logsumexp(0).tolist()


@pytest.mark.parametrize("layer", ["RNN", "LSTM", "GRU"])
def test_a_length_zero_sequence_is_a_clear_error_as_in_torch(layer):
    with pytest.raises(RuntimeError, match="Expected sequence length to be larger than 0"):
        getattr(torch.nn, layer)(2, 3)(torch.zeros(0, 1, 2))
    for shape, options in (((0, 1, 2), {}), ((1, 0, 2), {"batch_first": True}), ((0, 2), {})):
        with pytest.raises(RuntimeError, match="Expected sequence length to be larger than 0"):
            getattr(nn, layer)(2, 3, **options)(ad.zeros(*shape))
    assert nn.rnn.unstack(ad.zeros(0, 2)) == []


def test_anomaly_blames_the_op_that_made_a_nan_not_a_later_reshape():
    x = ad.tensor([1.0, -1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        y = x.log()  # made before detect_anomaly was entered
        with ad.detect_anomaly():
            with pytest.raises(RuntimeError, match="values reach view .* made by LogBackward0"):
                y.reshape(2, 1)
            with pytest.raises(RuntimeError, match=r"log \(forward\) produced nan"):
                x.log().reshape(2, 1)
            data = ad.tensor([NAN, 1.0], requires_grad=True)
            with pytest.raises(RuntimeError, match="reach view .* given as data"):
                data.reshape(2, 1)


def test_anomaly_checks_ops_that_record_no_graph_too():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with ad.detect_anomaly(), pytest.raises(RuntimeError, match=r"log \(forward\) produced"):
            ad.tensor([-1.0]).log()  # requires no grad: no node, still checked


def test_flatten_of_middle_dims_including_empty_ones():
    assert ad.zeros(2, 3, 4, 5).flatten(1, 2).shape == (2, 12, 5)
    assert ad.zeros(0, 3, 4, 5).flatten(1, 2).shape == (0, 12, 5)
    assert ad.zeros(2, 0, 4).flatten(0, 1).shape == torch.zeros(2, 0, 4).flatten(0, 1).shape


@pytest.mark.parametrize("loss", ["nll_loss", "cross_entropy"])
def test_a_batch_with_every_target_ignored_gives_nan_and_zero_gradients_as_torch(loss):
    values = np.random.default_rng(0).standard_normal((2, 3))
    x, tx = ad.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division by zero on the way
        out = getattr(F, loss)(x, ad.tensor([-100, -100]))
        out.backward()
    expected = getattr(TF, loss)(tx, torch.tensor([-100, -100]))
    expected.backward()
    assert np.isnan(out.item()) and np.isnan(expected.item())
    np.testing.assert_array_equal(
        x.grad.detach().numpy(), tx.grad.detach().numpy()
    )  # zeros, not nan


def test_nll_with_one_class_and_an_ignored_target_matches_torch():
    values = np.array([[0.5], [-1.0], [2.0]])
    x, tx = ad.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    out = F.nll_loss(x, ad.tensor([0, -100, 0]), weight=ad.tensor([2.0], dtype=ad.float64))
    expected = TF.nll_loss(tx, torch.tensor([0, -100, 0]), weight=torch.tensor([2.0]).double())
    out.backward(), expected.backward()
    assert out.item() == pytest.approx(expected.item())
    np.testing.assert_allclose(x.grad.detach().numpy(), tx.grad.detach().numpy())


def test_batch_norm_in_eval_on_one_sample_sends_torchs_gradients():
    values = np.array([[0.5, -1.0, 2.0]])
    ours, theirs = nn.BatchNorm1d(3).double().eval(), torch.nn.BatchNorm1d(3).double().eval()
    x, tx = ad.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    (ours(x) * ad.tensor([[1.0, 2.0, 3.0]])).sum().backward()
    (theirs(tx) * torch.tensor([[1.0, 2.0, 3.0]])).sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), tx.grad.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(
        ours.weight.grad.detach().numpy(), theirs.weight.grad.detach().numpy(), rtol=1e-6
    )


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (ad.relu, torch.relu),
        (lambda x: x.clamp(-1, 1), lambda x: x.clamp(-1, 1)),
        (lambda x: ad.where(x > 0, x, -x), lambda x: torch.where(x > 0, x, -x)),
        (lambda x: x.masked_fill(x < 0, 0.0), lambda x: x.masked_fill(x < 0, 0.0)),
        (F.hardtanh, TF.hardtanh),
        (F.relu6, TF.relu6),
        (lambda x: F.threshold(x, 1.0, 0.0), lambda x: TF.threshold(x, 1.0, 0.0)),
        (F.hardsigmoid, TF.hardsigmoid),
        (lambda x: F.hardshrink(x, 1.0), lambda x: TF.hardshrink(x, 1.0)),
        (lambda x: F.softshrink(x, 1.0), lambda x: TF.softshrink(x, 1.0)),
    ],
    ids=["relu", "clamp", "where", "masked_fill", "hardtanh", "relu6", "threshold",
         "hardsigmoid", "hardshrink", "softshrink"],
)  # fmt: skip
def test_a_nan_or_inf_gradient_stops_where_the_op_passes_none(ours, theirs):
    """Where an op's gradient is 0 (relu below 0, clamp outside its bounds, where's other
    branch) a NaN or inf gradient arriving there gives 0, as torch's masked backward (not
    NaN, as multiplying by a 0/1 mask would)."""
    values = np.array([-2.0, 0.5, 3.0, 1.5, -0.5, 0.0])
    upstream = np.array([NAN, 1.0, INF, NAN, -INF, NAN])
    x, tx = ad.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # and no NumPy warning on the way
        ours(x).backward(ad.tensor(upstream))
    theirs(tx).backward(torch.tensor(upstream))
    np.testing.assert_array_equal(x.grad.detach().numpy(), tx.grad.detach().numpy())
