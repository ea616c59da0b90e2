"""The seeds' scalar exercises with their exact numbers."""

import math

import numpy as np

import autodiff as ad
from autodiff_cli import exercises


def test_add_mul_exercise():
    f, t = exercises.add_mul()
    assert f.item() == -12.0 and t["q"].item() == 3.0
    assert [t[n].grad.item() for n in ("x", "y", "z", "q")] == [-4.0, -4.0, 3.0, -4.0]
    assert f.grad_fn.name() == "MulBackward0"
    (add, _), (acc_z, _) = f.grad_fn.next_functions
    assert add.name() == "AddBackward0" and acc_z.variable is t["z"]


def test_sigmoid_neuron_fused_and_gates_agree():
    s, leaves = exercises.sigmoid_neuron()
    s2, leaves2 = exercises.sigmoid_neuron(fused=False)
    sig = 1 / (1 + math.exp(-1.0))
    assert math.isclose(s.item(), sig, rel_tol=1e-15)
    local = sig * (1 - sig)
    expected = {"w0": -1 * local, "x0": 2 * local, "w1": -2 * local, "x1": -3 * local, "w2": local}
    for name, value in expected.items():
        assert math.isclose(leaves[name].grad.item(), value, rel_tol=1e-12)
        assert math.isclose(leaves2[name].grad.item(), value, rel_tol=1e-12)


def test_sigmoid_derivative_at_14_15():
    x = ad.tensor(14.15, dtype=ad.float64, requires_grad=True)
    x.sigmoid().backward()
    assert f"{x.grad.item():.3e}" == "7.157e-07"


def test_five_saturated_sigmoid_layers_vanish():
    x = ad.tensor(np.array([2.0]), requires_grad=True)
    h = x
    for _ in range(5):
        h = (h * 4.0).sigmoid()
    h.sum().backward()
    assert 0 < x.grad.item() < 1e-6
