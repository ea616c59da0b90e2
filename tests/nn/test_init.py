"""nn.init: empirical variance of each initialiser against its formula, torch's gain table, the
seeds' Var(w) = 1/n (tanh), 16/n (sigmoid), 2/n (ReLU), and reproducibility via manual_seed."""

import math

import numpy as np
import pytest

import autodiff as ad
import nn
from nn import init

FAN_OUT, FAN_IN = 400, 300


def _w():
    return nn.Parameter(np.empty((FAN_OUT, FAN_IN), dtype=np.float64))


@pytest.mark.parametrize("fill,variance", [
    (lambda w: init.uniform_(w, -2.0, 1.0), 9 / 12),
    (lambda w: init.normal_(w, 1.0, 0.5), 0.25),
    (lambda w: init.xavier_uniform_(w), 2 / (FAN_IN + FAN_OUT)),
    (lambda w: init.xavier_normal_(w, gain=2.0), 4 * 2 / (FAN_IN + FAN_OUT)),
    (lambda w: init.kaiming_uniform_(w, nonlinearity="relu"), 2 / FAN_IN),
    (lambda w: init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu"), 2 / FAN_OUT),
    (lambda w: init.kaiming_uniform_(w, a=math.sqrt(5)), 1 / (3 * FAN_IN)),
    (lambda w: init.kaiming_normal_(w, a=0.2, nonlinearity="leaky_relu"), 2 / (1.04 * FAN_IN)),
])  # fmt: skip
def test_empirical_variance_matches_formula(fill, variance):
    ad.manual_seed(0)
    w = fill(_w())
    # 120,000 draws: the sample variance is within ~1% of the true one
    np.testing.assert_allclose(w.detach().numpy().var(), variance, rtol=0.03)


def test_seeds_variances_tanh_sigmoid_relu():
    n = 500
    ad.manual_seed(1)
    square = nn.Parameter(np.empty((n, n)))
    linear = init.kaiming_normal_(square, nonlinearity="linear").detach().numpy()
    np.testing.assert_allclose(linear.var(), 1 / n, rtol=0.02)
    np.testing.assert_allclose(init.xavier_normal_(square).detach().numpy().var(), 1 / n, rtol=0.02)
    np.testing.assert_allclose(
        init.xavier_normal_(square, gain=4.0).detach().numpy().var(), 16 / n, rtol=0.02
    )
    relu = init.kaiming_normal_(square, nonlinearity="relu").detach().numpy()
    np.testing.assert_allclose(relu.var(), 2 / n, rtol=0.02)


def test_constant_fills_and_in_place():
    w = _w()
    assert init.zeros_(w) is w and np.all(w.detach().numpy() == 0)
    assert np.all(init.ones_(w).detach().numpy() == 1)
    assert np.all(init.constant_(w, 0.3).detach().numpy() == 0.3)
    f32 = nn.Parameter(np.empty((3, 3), dtype=np.float32))
    assert init.normal_(f32).dtype == np.float32


def test_calculate_gain_matches_torch():
    torch = pytest.importorskip("torch")
    for name, param in [
        ("linear", None),
        ("conv2d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("selu", None),
    ]:
        assert init.calculate_gain(name, param) == pytest.approx(
            torch.nn.init.calculate_gain(name, param), rel=1e-15)  # fmt: skip
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swish")


def test_conv_shaped_fans_and_errors():
    w = nn.Parameter(np.empty((64, 16, 3, 3)))
    ad.manual_seed(2)
    init.kaiming_normal_(w, nonlinearity="relu")
    np.testing.assert_allclose(w.detach().numpy().var(), 2 / (16 * 9), rtol=0.05)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(nn.Parameter(np.empty(5)))
    with pytest.raises(ValueError, match="fan_in, fan_out"):
        init.kaiming_normal_(w, mode="fan_avg")


def test_manual_seed_makes_init_reproducible():
    ad.manual_seed(3)
    a = init.normal_(_w()).detach().numpy().copy()
    ad.manual_seed(3)
    np.testing.assert_array_equal(init.normal_(_w()).detach().numpy(), a)
