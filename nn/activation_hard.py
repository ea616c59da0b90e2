"""The hard (piecewise) activations: hardtanh, relu6, hardsigmoid, hardswish, softshrink,
hardshrink and threshold; fused kernels, F forms and modules, as torch.

A piecewise-linear kernel saves its slope: backward is grad·slope, and its second derivative is
zero, which is right away from the kinks. Kink conventions (the slope at a kink) are torch's.
"""

import warnings

import numpy as np

import autodiff as ad
from autodiff.errors import ArgumentError
from autodiff.ops.elementwise import masked
from autodiff.ops.inplace import apply_

from .activation import write_in_place
from .module import Module


class _PiecewiseLinear(ad.Function):
    """Backward multiplies by the slope that forward saved; where the slope is 0 the gradient
    is 0, a NaN or inf one too (grad · 0 would be NaN), as torch's masked backward."""

    array_backward = True

    @staticmethod
    def backward(ctx, grad):
        (slope,) = ctx.saved_tensors
        return masked(grad, slope != 0) * slope


def _slope(ctx, mask: np.ndarray, input: np.ndarray, value=1.0):
    ctx.save_for_backward(np.where(mask, value, 0.0).astype(input.dtype))


def _inplace(flag: bool) -> str:
    return ", inplace=True" if flag else ""


class _Inplace(Module):
    """An activation whose only option is inplace."""

    _fn = None

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return type(self)._fn(input, self.inplace)


class ClampBetween(_PiecewiseLinear):
    node_name = "HardtanhBackward0"
    symbol = "hardtanh"

    @staticmethod
    def forward(ctx, input, min_val, max_val):
        _slope(ctx, (input > min_val) & (input < max_val), input)  # 0 at the bounds, as torch
        return np.clip(input, min_val, max_val).astype(input.dtype, copy=False)


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
    """x clipped to [min_val, max_val]."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val {min_val} must not be above max_val {max_val}")
    if inplace:
        return apply_(input, "hardtanh_", hardtanh, min_val, max_val)  # torch: Backward0 still
    return ClampBetween.apply(input, min_val=min_val, max_val=max_val)


def hardtanh_(input, min_val: float = -1.0, max_val: float = 1.0):
    """hardtanh written into input."""
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace: bool = False):
    """min(max(x, 0), 6): hardtanh between 0 and 6, as torch records it."""
    return hardtanh(input, 0.0, 6.0, inplace)


def _renamed(old: str, new: str) -> None:
    warnings.warn(
        f"keyword argument `{old}` is deprecated and renamed to `{new}`",
        FutureWarning,
        stacklevel=3,
    )


class Hardtanh(Module):
    """x clipped to [min_val, max_val]."""

    def __init__(
        self,
        min_val: float = -1.0,
        max_val: float = 1.0,
        inplace: bool = False,
        min_value=None,
        max_value=None,
    ):
        super().__init__()
        if min_value is not None:  # torch's deprecated spellings
            _renamed("min_value", "min_val")
            min_val = min_value
        if max_value is not None:
            _renamed("max_value", "max_val")
            max_val = max_value
        if max_val <= min_val:
            raise ValueError(
                f"Hardtanh: max_val ({max_val}) must be greater than min_val ({min_val})"
            )
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input):
        return hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace(self.inplace)}"


class ReLU6(Hardtanh):
    """min(max(x, 0), 6)."""

    def __init__(self, inplace: bool = False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LinearSigmoid(_PiecewiseLinear):
    node_name = "HardsigmoidBackward0"
    symbol = "hardsigmoid"

    @staticmethod
    def forward(ctx, input):
        # torch's backward multiplies by 1.0f/6.0f, the float32 sixth, also for float64
        _slope(ctx, (input > -3) & (input < 3), input, float(np.float32(1) / np.float32(6)))
        return np.clip(input / 6.0 + 0.5, 0.0, 1.0).astype(input.dtype, copy=False)


def hardsigmoid(input, inplace: bool = False):
    """0 below −3, 1 above 3, x/6 + 1/2 between."""
    if inplace:
        return apply_(input, "hardsigmoid_", hardsigmoid)
    return LinearSigmoid.apply(input)


class Hardsigmoid(_Inplace):
    """0 below −3, 1 above 3, x/6 + 1/2 between."""

    _fn = staticmethod(hardsigmoid)


class ClippedSwish(ad.Function):
    node_name = "HardswishBackward0"
    symbol = "hardswish"

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return (input * np.clip(input + 3.0, 0.0, 6.0) / 6.0).astype(input.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        x = input.numpy(force=True)
        # x/3 + 1/2 inside (−3, 3), 0 at and below −3, 1 at and above 3 (torch's kinks)
        middle = grad * (input * (1.0 / 3.0) + 0.5)
        return ad.where(x <= -3, 0.0, ad.where(x < 3, middle, grad))


def hardswish(input, inplace: bool = False):
    """x·hardsigmoid(x) (MobileNetV3)."""
    if inplace:
        return apply_(input, "hardswish_", hardswish)
    return ClippedSwish.apply(input)


class Hardswish(_Inplace):
    """x·hardsigmoid(x)."""

    _fn = staticmethod(hardswish)


def _check_lambda(op: str, lambd) -> None:
    if not lambd >= 0:
        raise ArgumentError(f"{op}: lambda must be greater or equal to 0, but found to be {lambd}.")


class SoftThreshold(_PiecewiseLinear):
    node_name = "SoftshrinkBackward0"
    symbol = "softshrink"

    @staticmethod
    def forward(ctx, input, lambd):
        outside = (input < -lambd) | (input > lambd)
        _slope(ctx, outside, input)
        return np.where(outside, input - np.sign(input) * lambd, 0.0).astype(input.dtype)


def softshrink(input, lambd: float = 0.5):
    """x − λ above λ, x + λ below −λ, 0 between."""
    _check_lambda("softshrink", lambd)
    return SoftThreshold.apply(input, lambd=lambd)


class Softshrink(Module):
    """x − λ above λ, x + λ below −λ, 0 between."""

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return softshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


def hardshrink(input, lambd: float = 0.5):
    """x where |x| > λ, else 0 (the engine's op: torch has it as a Tensor method too)."""
    return ad.hardshrink(input, lambd)


class Hardshrink(Softshrink):
    """x where |x| > λ, else 0."""

    def forward(self, input):
        return hardshrink(input, self.lambd)


class ThresholdReplace(_PiecewiseLinear):
    node_name = "ThresholdBackward0"
    symbol = "threshold"

    @staticmethod
    def forward(ctx, input, threshold, value):
        above = input > threshold
        _slope(ctx, above, input)
        return np.where(above, input, value).astype(input.dtype)


def _threshold(input, threshold, value):
    return ThresholdReplace.apply(input, threshold=threshold, value=value)


def threshold(input, threshold: float, value: float, inplace: bool = False):
    """x where x > threshold, else value."""
    if inplace:
        return write_in_place(input, "threshold_", _threshold, threshold, value)
    return _threshold(input, threshold, value)


def threshold_(input, threshold: float, value: float):
    """threshold written into input."""
    return write_in_place(input, "threshold_", _threshold, threshold, value)


class Threshold(Module):
    """x where x > threshold, else value."""

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):
        return threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}{_inplace(self.inplace)}"


class RandomizedLeakyRectify(ad.Function):
    """x where x > 0, else slope·x: in training a slope drawn per element from U(lower, upper)
    (one float64 draw per non-positive element, in order, as torch's CPU kernel), in eval the
    mean slope (lower + upper)/2."""

    node_name = "RreluWithNoiseBackward0"
    symbol = "RReLU"
    array_backward = True

    @staticmethod
    def forward(ctx, input, lower, upper, training):
        slope = np.ones_like(input)
        negative = input <= 0
        if training:
            # torch: the bounds in the input's dtype, then U(low, high) in float64 with two
            # roundings (no fma), then the slope in the input's dtype
            low, high = (float(input.dtype.type(bound)) for bound in (lower, upper))
            unit = ad.random.uniform((int(negative.sum()),), np.float64)
            slope[negative] = unit * (high - low) + low
        else:
            slope[negative] = (lower + upper) / 2
        ctx.save_for_backward(slope)
        return input * slope

    @staticmethod
    def backward(ctx, grad):
        (slope,) = ctx.saved_tensors
        return grad * slope


def rrelu(
    input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False, inplace=False
):
    """Randomized leaky ReLU: negative inputs scaled by a random slope in [lower, upper) in
    training, by the mean slope otherwise."""
    if not lower <= upper:
        raise ArgumentError(
            f"rrelu: Lower bound should be less than or equal to the upper bound, got lower="
            f"{lower}, upper={upper}"
        )
    if inplace:
        return write_in_place(input, "rrelu_", rrelu, lower, upper, training)
    return RandomizedLeakyRectify.apply(
        input, lower=float(lower), upper=float(upper), training=bool(training)
    )


def rrelu_(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False):
    """rrelu written into input."""
    return rrelu(input, lower, upper, training, inplace=True)


class RReLU(Module):
    """Randomized leaky ReLU (random negative slopes in training, their mean in eval)."""

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False):
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input):
        return rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}" + (
            ", inplace=True" if self.inplace else ""
        )
