"""SparseAdam: Adam's moments and step applied only where the gradient has entries (torch's
masked Adam, made for nn.Embedding(sparse=True)'s row gradients).

Gradients here are dense arrays (the engine has no sparse layout, and nn.Embedding refuses
sparse=True), where torch's SparseAdam refuses a dense gradient with a RuntimeError. This one
takes the dense gradient and updates the rows (slices along dim 0) where it has a nonzero
entry: an embedding's rows that were looked up, as torch's sparse gradient lists them. It
differs from torch only for a row that was looked up but got an exactly-zero gradient, which
torch's sparse gradient still lists (its moments decay, its weights move) and this one skips.
"""

import math

import numpy as np

from .optimizer import Optimizer


class SparseAdam(Optimizer):
    """For the rows r the gradient touches: m_r ← lerp(m_r, g_r, 1 − β₁), v_r ← lerp(v_r, g_r²,
    1 − β₂), p_r ← p_r − lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) · m_r / (√v_r + eps); other rows keep their
    moments and weights. The step count t counts every step the parameter had a gradient."""

    def __init__(
        self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, maximize=False
    ):
        defaults = dict(lr=lr, betas=betas, eps=eps, maximize=maximize)
        super().__init__(params, defaults, ("lr", "eps", "betas"))

    def _check_options(self, defaults: dict) -> None:
        if not 0.0 < defaults["lr"]:
            raise ValueError(f"SparseAdam: Invalid learning rate: {defaults['lr']}. Use lr > 0.")
        if not 0.0 < defaults["eps"]:
            raise ValueError(f"SparseAdam: Invalid epsilon value: {defaults['eps']}. Use eps > 0.")

    def _update(self, param, grad, group, state) -> None:
        if not state:
            state["step"] = 0  # a plain int, as torch's SparseAdam keeps it
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
        state["step"] = step = int(state["step"]) + 1
        rows = _touched_rows(grad)
        if rows is None:
            return
        beta1, beta2 = group["betas"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        g, m_old, v_old = grad[rows], m[rows], v[rows]
        m_new = m_old + (g - m_old) * (1 - beta1)
        v_new = v_old + (g * g - v_old) * (1 - beta2)
        m[rows], v[rows] = m_new, v_new
        step_size = group["lr"] * math.sqrt(1 - beta2**step) / (1 - beta1**step)
        param[rows] -= step_size * (m_new / (np.sqrt(v_new) + group["eps"]))


def _touched_rows(grad: np.ndarray):
    """Index of the rows (along dim 0) with a nonzero gradient entry; a 0-d gradient is one
    entry. None when there is none: torch skips a gradient with no values."""
    if grad.ndim == 0:
        return () if grad != 0 else None
    nonzero = np.any(grad.reshape(grad.shape[0], -1) != 0, axis=1)
    rows = np.flatnonzero(nonzero)
    return rows if rows.size else None
