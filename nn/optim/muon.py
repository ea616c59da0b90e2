"""Muon (Jordan et al. 2024): momentum whose update is orthogonalised by a Newton-Schulz iteration
run in bfloat16, as torch runs it; for 2-D parameters only."""

import math

import numpy as np

from autodiff.cpu_math import lerp, scaled_add

from .optimizer import Optimizer, check_hyper, check_number

ADJUSTMENTS = (None, "original", "match_rms_adamw")


def bfloat16(x) -> np.ndarray:
    """x rounded to bfloat16 as torch rounds it (to float32 first, then to nearest, ties to even,
    keeping 7 of float32's 23 mantissa bits), held in float32: NumPy has no bfloat16, and torch's
    Newton-Schulz runs in it."""
    bits = np.array(x, np.float32).view(np.uint32)
    bits += np.uint32(0x7FFF) + ((bits >> 16) & np.uint32(1))
    bits &= np.uint32(0xFFFF0000)
    return bits.view(np.float32)


def orthogonalised(update: np.ndarray, group: dict) -> np.ndarray:
    """torch's quintic Newton-Schulz iteration X ← aX + (bA + cA²)X, A = XXᵀ, from X = G/‖G‖, on
    the wide orientation, each product rounded to bfloat16 (accumulated in float32)."""
    a, b, c = group["ns_coefficients"]
    tall = update.shape[0] > update.shape[1]
    x = bfloat16(update.T if tall else update)
    norm = bfloat16(np.linalg.norm(x.astype(np.float64)))
    x = bfloat16(x / max(float(norm), float(bfloat16(group["eps"]))))
    for _ in range(group["ns_steps"]):
        gram = bfloat16(x @ x.T)
        gram = bfloat16(b * gram + c * (gram @ gram))
        x = bfloat16(a * x + gram @ x)
    return x.T if tall else x


def adjusted_lr(lr: float, adjust_lr_fn, shape: tuple) -> float:
    """The step Muon takes for a (rows, cols) matrix: lr·√max(1, rows/cols) (Keller Jordan's
    "original") or 0.2·lr·√max(rows, cols) (Moonshot's "match_rms_adamw", AdamW's RMS)."""
    rows, cols = shape[:2]
    if adjust_lr_fn == "match_rms_adamw":
        return lr * 0.2 * math.sqrt(max(rows, cols))
    return lr * math.sqrt(max(1, rows / cols))


class Muon(Optimizer):
    """B ← μB + (1 − μ)g (lerp); U = NS(lerp(g, B, μ)) with nesterov, else NS(B);
    p ← p(1 − lr·wd) − adjusted_lr·U. Biases, embeddings and other non-2-D parameters belong to
    another optimizer (AdamW), as torch says."""

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        weight_decay: float = 0.1,
        momentum: float = 0.95,
        nesterov: bool = True,
        ns_coefficients=(3.4445, -4.7750, 2.0315),
        eps: float = 1e-7,
        ns_steps: int = 5,
        adjust_lr_fn: str | None = None,
    ):
        defaults = dict(
            lr=lr,
            weight_decay=weight_decay,
            momentum=momentum,
            nesterov=nesterov,
            ns_coefficients=ns_coefficients,
            eps=eps,
            ns_steps=ns_steps,
            adjust_lr_fn=adjust_lr_fn,
        )
        super().__init__(params, defaults, ("lr", "momentum", "weight_decay", "eps"))
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(
                        f"Muon: only 2-D parameters are supported, got one of shape "
                        f"{tuple(p.shape)}. Give biases, embeddings and other parameters to "
                        "another optimizer, e.g. AdamW."
                    )

    def _check_options(self, defaults: dict) -> None:
        if defaults["adjust_lr_fn"] not in ADJUSTMENTS:
            raise ValueError(
                f"Muon: Adjust learning rate function {defaults['adjust_lr_fn']!r} is not "
                "supported. Use None, 'original' or 'match_rms_adamw'."
            )
        coefficients = defaults["ns_coefficients"]
        if not isinstance(coefficients, tuple | list) or len(coefficients) != 3:
            raise ValueError(
                f"Muon: ns_coefficients must be 3 numbers (a, b, c), got {coefficients!r}."
            )
        for value in coefficients:
            check_number("ns_coefficients", value, "Muon")
        steps = defaults["ns_steps"]
        if isinstance(steps, bool) or not isinstance(steps, int) or not 0 <= steps < 100:
            raise ValueError(
                f"Muon: ns_steps must be an int in [0, 100), got {steps!r}. The default is 5."
            )
        check_hyper("ns_steps", steps, "Muon")

    def _update(self, param, grad, group, state) -> None:
        if "momentum_buffer" not in state:
            state["momentum_buffer"] = np.zeros_like(grad)
        buf, momentum = state["momentum_buffer"], group["momentum"]
        lerp(buf, grad, 1 - momentum, out=buf)
        if group["nesterov"]:
            update = lerp(grad, buf, momentum)
        else:
            update = buf
        update = orthogonalised(update, group)
        param *= 1 - group["lr"] * group["weight_decay"]
        step = -adjusted_lr(group["lr"], group["adjust_lr_fn"], param.shape)
        scaled_add(param, update, step, out=param)
