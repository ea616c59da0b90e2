"""AdaptiveLogSoftmaxWithLoss against torch on the same weights and inputs: forward's output
and loss, every gradient, log_prob, predict (shortlist rows, cluster rows, both), one unbatched
example, parameters/state_dict keys, seeded initial weights and the repr; float64 gradcheck;
the errors with torch's types."""

import numpy as np
import pytest

import autodiff as ad
import nn

CONFIGS = [
    dict(in_features=8, n_classes=20, cutoffs=[4, 10, 15], div_value=2.0, head_bias=True),
    dict(in_features=16, n_classes=10, cutoffs=[3]),
    dict(in_features=6, n_classes=9, cutoffs=(2, 8), div_value=1.5),
]


def _pair(torch, config, dtype=np.float32):
    torch.manual_seed(0)  # torch draws the weights: the same ones whatever ran before
    theirs = torch.nn.AdaptiveLogSoftmaxWithLoss(**config)
    if dtype == np.float64:
        theirs = theirs.double()
    ours = nn.AdaptiveLogSoftmaxWithLoss(
        **config, dtype=ad.float64 if dtype == np.float64 else None
    )
    ours.load_state_dict({k: ad.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


def _data(config, n=9, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, config["in_features"])).astype(dtype)
    y = rng.integers(0, config["n_classes"], n)
    y[:2] = [0, config["n_classes"] - 1]  # the first class and the last cluster's last
    return x, y


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_forward_and_gradients_follow_torch(config):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch, config)
    x, y = _data(config)
    xo, xt = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, out_t = ours(xo, ad.tensor(y)), theirs(xt, torch.tensor(y))
    assert type(out).__name__ == "_ASMoutput" and out._fields == ("output", "loss")
    np.testing.assert_allclose(
        out.output.detach().numpy(), out_t.output.detach(), rtol=1e-5, atol=1e-6
    )
    assert out.loss.item() == pytest.approx(out_t.loss.item(), rel=1e-6)
    upstream = np.random.default_rng(1).standard_normal(len(y)).astype(np.float32)
    (out.loss + (out.output * ad.tensor(upstream)).sum()).backward()
    (out_t.loss + (out_t.output * torch.tensor(upstream)).sum()).backward()
    np.testing.assert_allclose(
        xo.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=1e-4, atol=1e-6
    )
    named_t = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        if named_t[name].grad is None:  # a cluster no target fell in: no gradient, as torch
            assert p.grad is None, name
            continue
        np.testing.assert_allclose(
            p.grad.detach().numpy(),
            named_t[name].grad.detach().numpy(),
            rtol=1e-4,
            atol=1e-6,
            err_msg=name,
        )


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_log_prob_and_predict_follow_torch(config):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch, config)
    x, _ = _data(config, n=12, seed=2)
    x[:, 0] = np.abs(x[:, 0]) + 0.5  # so that a head weight on feature 0 moves every row
    log_prob = ours.log_prob(ad.tensor(x))
    np.testing.assert_allclose(
        log_prob.detach().numpy(), theirs.log_prob(torch.tensor(x)).detach(), rtol=1e-5, atol=1e-6
    )
    assert log_prob.shape == (12, config["n_classes"])
    np.testing.assert_allclose(np.exp(log_prob.detach().numpy()).sum(1), 1.0, rtol=1e-5)
    shortlist = config["cutoffs"][0]
    # head biases that send some rows, then every row, to the clusters: predict's three paths
    paths = set()
    for push in (-50.0, 51.0, 49.0):  # cumulative: every row in the head, some, none
        with ad.no_grad():
            ours.head.weight.detach().numpy()[shortlist:, 0] += push
        with torch.no_grad():
            theirs.head.weight[shortlist:, 0] += push
        predicted, expected = ours.predict(ad.tensor(x)), theirs.predict(torch.tensor(x))
        np.testing.assert_array_equal(predicted.detach().numpy(), expected.detach().numpy())
        assert predicted.dtype == ad.long
        np.testing.assert_array_equal(predicted.detach().numpy(), log_prob_argmax(ours, x))
        paths.add(tuple(np.unique(predicted.detach().numpy() >= shortlist)))
    assert paths == {(False,), (False, True), (True,)}


def log_prob_argmax(module, x):
    return module.log_prob(ad.tensor(x)).detach().numpy().argmax(1)


def test_one_unbatched_example_and_a_batch_of_one():
    torch = pytest.importorskip("torch")
    config = CONFIGS[0]
    ours, theirs = _pair(torch, config)
    x = _data(config, n=2)[0][:1]
    for target in (3, 17):
        out = ours(ad.tensor(x[0]), ad.tensor(target))
        out_t = theirs(torch.tensor(x[0]), torch.tensor(target))
        assert out.output.shape == () and out.loss.shape == ()
        assert out.output.item() == pytest.approx(out_t.output.item(), rel=1e-6)
        batch = ours(ad.tensor(x), ad.tensor([target]))
        assert batch.output.shape == (1,)
        assert batch.loss.item() == pytest.approx(out_t.loss.item(), rel=1e-6)


def test_seeded_weights_state_dict_keys_and_repr_are_torchs():
    torch = pytest.importorskip("torch")
    config = CONFIGS[0]
    torch.manual_seed(3)
    ad.manual_seed(3)
    theirs, ours = (
        torch.nn.AdaptiveLogSoftmaxWithLoss(**config),
        nn.AdaptiveLogSoftmaxWithLoss(**config),
    )
    state, state_t = ours.state_dict(), theirs.state_dict()
    assert list(state) == list(state_t)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    for key, value in state_t.items():
        assert tuple(state[key].shape) == tuple(value.shape), key
        np.testing.assert_allclose(
            state[key].detach().numpy(), value.detach().numpy(), rtol=1e-6, err_msg=key
        )
    assert repr(ours) == repr(theirs)
    for name in ("in_features", "n_classes", "cutoffs", "div_value", "head_bias",
                 "shortlist_size", "n_clusters", "head_size"):  # fmt: skip
        assert getattr(ours, name) == getattr(theirs, name), name
    before = ours.head.weight.detach().numpy().copy()
    ours.reset_parameters()
    assert not np.allclose(ours.head.weight.detach().numpy(), before)


def test_gradcheck_in_float64():
    torch = pytest.importorskip("torch")
    config = CONFIGS[2]
    ours, _ = _pair(torch, config, np.float64)
    x, y = _data(config, n=6, dtype=np.float64)
    target = ad.tensor(y)
    assert ad.gradcheck(lambda inp: ours(inp, target).output, (ad.tensor(x, requires_grad=True),))
    assert ad.gradcheck(lambda inp: ours.log_prob(inp), (ad.tensor(x, requires_grad=True),))


def test_errors_as_torch():
    torch = pytest.importorskip("torch")
    for cutoffs in ([], [5, 3], [0, 3], [3, 10], [3, 3], [2.5]):
        with pytest.raises(ValueError):
            torch.nn.AdaptiveLogSoftmaxWithLoss(4, 10, cutoffs)
        with pytest.raises(ValueError, match="cutoffs"):
            nn.AdaptiveLogSoftmaxWithLoss(4, 10, cutoffs)
    ours, theirs = _pair(torch, CONFIGS[1])
    x, _ = _data(CONFIGS[1], n=3)
    cases = [
        (x, [1, 2]),  # batch sizes differ
        (x[0], [1]),  # 1-d target, 1-d input
        (x, 1),  # 0-d target, 2-d input
        (x, [[1, 2, 3]]),  # 2-d target
        (x, [1, 10, 2]),  # a class past the last
        (x, [1, -1, 2]),  # a negative class
    ]
    for inp, target in cases:
        with pytest.raises(RuntimeError):
            theirs(torch.tensor(inp), torch.tensor(target))
        with pytest.raises(RuntimeError):
            ours(ad.tensor(inp), ad.tensor(target))
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 9\]"):
        ours(ad.tensor(x), ad.tensor([1, 10, 2]))
