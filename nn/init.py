"""Weight initialisation, in place, as torch.nn.init: the same draws in the same order, so after
the same seed the weights are torch's, bit for bit (generator= as in torch, else the library's).

The variance arguments of the seeds, for a layer with n inputs (fan_in = n):
- tanh, Var(w) = 1/n (LeCun/Xavier for fan_in = fan_out):
  ``kaiming_normal_(w, nonlinearity="linear")`` (std = 1/sqrt(n)), or
  ``xavier_normal_(w)`` when fan_in = fan_out = n (std = sqrt(2/(n + n))).
- sigmoid, Var(w) = 16/n (sigmoid'(0) = 1/4, so the gain is 4):
  ``xavier_normal_(w, gain=4.0)`` when fan_in = fan_out = n, or ``normal_(w, 0, 4 / sqrt(n))``.
- ReLU, Var(w) = 2/n (He): ``kaiming_normal_(w, nonlinearity="relu")`` (gain sqrt(2)).
The uniform variants draw from U(-b, b) with b = sqrt(3)·std, which has the same variance.
"""

import math

import numpy as np

import autodiff as ad

_LINEAR = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended std multiplier for a nonlinearity (torch's table)."""
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: negative_slope {slope!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4  # torch's value: keeps the input-to-output variance of SELU nets
    raise ValueError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r}. Use one of linear, "
        "conv1d/2d/3d, sigmoid, tanh, relu, leaky_relu, selu."
    )


def _calculate_fan_in_and_fan_out(tensor) -> tuple:
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError(
            f"init: fan in and fan out can not be computed for a tensor with fewer than 2 "
            f"dimensions (shape {tuple(shape)}). Use uniform_ or normal_ for biases."
        )
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _fan(tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"init: mode {mode!r} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor, values: np.ndarray):
    """Write values into the tensor in place (outside the graph), keeping its dtype."""
    with ad.no_grad():
        tensor.copy_(values)
    return tensor


def uniform_(tensor, a: float = 0.0, b: float = 1.0, generator=None):
    """Fill with draws from U(a, b)."""
    with ad.no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor, mean: float = 0.0, std: float = 1.0, generator=None):
    """Fill with draws from N(mean, std²)."""
    with ad.no_grad():
        return tensor.normal_(mean, std, generator=generator)


def constant_(tensor, val: float):
    """Fill with val."""
    return _fill(tensor, val)


def zeros_(tensor):
    """Fill with 0."""
    return _fill(tensor, 0)


def ones_(tensor):
    """Fill with 1."""
    return _fill(tensor, 1)


# the bounds are computed in torch's order of operations: a last-bit difference in a bound
# would change the float32 weights


def xavier_uniform_(tensor, gain: float = 1.0, generator=None):
    """U(-b, b), b = gain·sqrt(6 / (fan_in + fan_out)): Var = gain²·2 / (fan_in + fan_out)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain: float = 1.0, generator=None):
    """N(0, std²), std = gain·sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(
    tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None
):
    """U(-b, b), b = sqrt(3)·gain / sqrt(fan): Var = gain² / fan (He: 2/n for relu)."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None
):
    """N(0, gain² / fan): with nonlinearity='relu' Var = 2/n, with 'linear' Var = 1/n."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)


def default_layer_init_(weight, bias=None) -> None:
    """torch's default for Linear and Conv2d: kaiming_uniform_(a=√5), i.e. U(±1/√fan_in), for
    the weight, and U(±1/√fan_in) for the bias."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in = _calculate_fan_in_and_fan_out(weight)[0]
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        uniform_(bias, -bound, bound)
