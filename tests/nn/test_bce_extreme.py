"""BCE-with-logits at extreme logits (±100, ±1e4): finite, equal to torch and to the exact
formula (1 − t)x + log(1 + e^−x) (pos_weight p: (1 − t)x + (1 + (p − 1)t) log(1 + e^−x))
evaluated in 50-digit arithmetic, value and gradient."""

import numpy as np
import pytest

import autodiff as ad
import nn.functional as F

torch = pytest.importorskip("torch")
mpmath = pytest.importorskip("mpmath")
mpmath.mp.dps = 50

LOGITS = [-1e4, -100.0, -30.0, -1.0, 0.0, 1.0, 30.0, 100.0, 1e4]
TARGETS = [0.0, 0.3, 1.0]


def _exact(x: float, t: float, p: float) -> tuple:
    """(loss, d loss / dx) in 50 digits."""
    x, t, p = (mpmath.mpf(float(v)) for v in (x, t, p))
    weight = 1 + (p - 1) * t
    loss = (1 - t) * x + weight * mpmath.log1p(mpmath.exp(-x))
    grad = (1 - t) - weight / (1 + mpmath.exp(x))
    return float(loss), float(grad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("pos_weight", [None, 3.0])
def test_bce_with_logits_at_extreme_logits(dtype, pos_weight):
    x, t = np.meshgrid(np.array(LOGITS, dtype), np.array(TARGETS, dtype), indexing="ij")
    x, t = x.ravel(), t.ravel()
    pw = None if pos_weight is None else np.full(1, pos_weight, dtype)
    ours_x = ad.tensor(x, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(ours_x, ad.tensor(t), reduction="none", pos_weight=pw)
    loss.sum().backward()
    theirs_x = torch.tensor(x, requires_grad=True)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        theirs_x,
        torch.tensor(t),
        reduction="none",
        pos_weight=None if pw is None else torch.tensor(pw),
    )
    expected.sum().backward()
    value, grad = loss.detach().numpy(), ours_x.grad.detach().numpy()
    assert value.dtype == dtype and np.isfinite(value).all() and np.isfinite(grad).all()
    exact = np.array([_exact(a, b, pos_weight or 1.0) for a, b in zip(x, t)])
    eps, tiny = np.finfo(dtype).eps, np.finfo(dtype).tiny
    # values: within a few ulps of the terms (1 − t)x and log(1 + e^−x) summed, as torch (both
    # lose e.g. the 3.7e-44 of x = −100, t = 0 to −100 + 100); gradients: a few ulps of 1
    scale = 4 * eps * (np.abs(x) + 1) * (pos_weight or 1)
    assert (np.abs(value - exact[:, 0]) <= scale + tiny).all()
    assert (np.abs(value - expected.detach().numpy()) <= scale + tiny).all()
    np.testing.assert_allclose(grad, exact[:, 1], rtol=0, atol=4 * eps * (pos_weight or 1))
    np.testing.assert_allclose(grad, theirs_x.grad.detach().numpy(), rtol=0, atol=4 * eps)
    saturated = np.abs(x) >= 100  # there the loss is |x|·(1 − t or t·p) to the last digit
    np.testing.assert_allclose(value[saturated & (t == 0.3)], exact[saturated & (t == 0.3), 0])


def test_the_mean_over_extreme_logits_is_finite_and_exact():
    x = ad.tensor([1e4, -1e4, 100.0, -100.0], dtype=ad.float64, requires_grad=True)
    t = ad.tensor([0.0, 1.0, 1.0, 0.0], dtype=ad.float64)
    loss = F.binary_cross_entropy_with_logits(x, t)
    loss.backward()
    assert loss.item() == pytest.approx((1e4 + 1e4 + 2 * np.log1p(np.exp(-100.0))) / 4, rel=1e-15)
    expected = [0.25, -0.25, -np.exp(-100.0) / 4, np.exp(-100.0) / 4]
    np.testing.assert_allclose(x.grad.detach().numpy(), expected, rtol=1e-15, atol=1e-16)
