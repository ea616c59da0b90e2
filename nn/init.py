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
import warnings

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


def _normal_cdf(x: float) -> float:
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def trunc_normal_(
    tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0, generator=None
):
    """N(mean, std²) restricted to [a, b]: torch's rejection sampling, draw for draw."""
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
            "The distribution of values may be incorrect.",
            stacklevel=2,
        )
    with ad.no_grad():
        if _normal_cdf((b - mean) / std) - _normal_cdf((a - mean) / std) > 0.3:
            _redraw_normal_outside(tensor, mean, std, a, b, generator)
        else:
            _accept_uniform_under_density(tensor, mean, std, a, b, generator)
    return tensor


def _redraw_normal_outside(tensor, mean, std, a, b, generator) -> None:
    """Most of the normal lies in [a, b]: draw it and redraw whatever falls outside."""
    low, high = tensor.new_tensor(a).item(), tensor.new_tensor(b).item()  # the bounds as stored
    result = tensor.normal_(mean, std, generator=generator)
    while (outside := (result < low) | (result > high)).any():
        redrawn = ad.empty_like(result).normal_(mean, std, generator=generator)
        result = ad.where(outside, redrawn, result)
    if result is not tensor:
        tensor.copy_(result)


def _excess_log_density_(x, mean, std, log_peak):
    """log N(x) − log N(mode), in place: a uniform draw is kept where log U < this."""
    return x.sub_(mean).div_(std).pow_(2).mul_(-0.5).sub_(log_peak)


def _accept_uniform_under_density(tensor, mean, std, a, b, generator) -> None:
    """A narrow window of the normal: uniform draws on [a, b] kept with probability
    N(x) / N(mode) (rejection sampling), pending ones redrawn."""
    mode = max(a, min(mean, b))
    log_peak = -0.5 * ((mode - mean) / std) ** 2
    candidates, accept = ad.empty_like(tensor), ad.empty_like(tensor)
    tensor.uniform_(a, b, generator=generator)
    candidates.copy_(tensor)
    _excess_log_density_(candidates, mean, std, log_peak)
    pending = accept.uniform_(generator=generator).log_().gt(candidates)
    result = tensor
    while pending.any():
        candidates.uniform_(a, b, generator=generator)
        result = ad.where(pending, candidates, result)
        _excess_log_density_(candidates, mean, std, log_peak)
        accepted = accept.uniform_(generator=generator).log_().gt(candidates)
        pending = ad.where(pending, accepted, pending)
    if result is not tensor:
        tensor.copy_(result)


def eye_(tensor):
    """Fill a 2-d tensor with the identity matrix (ones on the main diagonal)."""
    if tensor.ndim != 2:
        raise ValueError(
            f"eye_: only tensors with 2 dimensions are supported (shape {tuple(tensor.shape)}). "
            "Pass a weight matrix, e.g. a Linear layer's."
        )
    return _fill(tensor, ad.eye(*tensor.shape, dtype=tensor.dtype))


def dirac_(tensor, groups: int = 1):
    """Fill a 3-, 4- or 5-d convolution weight with the Dirac delta: each of the first
    min(out/groups, in) channels of a group passes its input channel through unchanged."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(
            f"dirac_: only tensors with 3, 4, or 5 dimensions are supported "
            f"(shape {tuple(tensor.shape)}). Pass a Conv1d/2d/3d weight."
        )
    if tensor.shape[0] % groups != 0:
        raise ValueError(
            f"dirac_: dim 0 must be divisible by groups ({tensor.shape[0]} channels, "
            f"groups={groups}). Use a groups that divides the output channels."
        )
    per_group = tensor.shape[0] // groups
    centre = tuple(size // 2 for size in tensor.shape[2:])
    with ad.no_grad():
        tensor.zero_()
        for g in range(groups):
            for d in range(min(per_group, tensor.shape[1])):
                tensor[(g * per_group + d, d) + centre] = 1
    return tensor


def orthogonal_(tensor, gain: float = 1, generator=None):
    """Fill with a (semi-)orthogonal matrix, trailing dims flattened: Q of the QR factorisation
    of a normal draw, its columns' signs fixed by R's diagonal (uniform over rotations)."""
    if tensor.ndim < 2:
        raise ValueError(
            f"orthogonal_: only tensors with 2 or more dimensions are supported "
            f"(shape {tuple(tensor.shape)}). Pass a weight matrix."
        )
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    with ad.no_grad():
        flattened = tensor.new_empty((rows, cols)).normal_(0, 1, generator=generator)
        if rows < cols:
            flattened.t_()
        q, r = ad.linalg.qr(flattened)
        q *= ad.diag(r, 0).sign()
        if rows < cols:
            q.t_()
        tensor.view_as(q).copy_(q)
        tensor.mul_(gain)
    return tensor


def _deprecated(init_):
    """torch's old name of an initialiser (without the trailing underscore): warns, then fills."""
    old = init_.__name__[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(
            f"`nn.init.{old}` is now deprecated in favor of `nn.init.{init_.__name__}`.",
            FutureWarning,
            stacklevel=2,
        )
        return init_(*args, **kwargs)

    deprecated_init.__name__ = deprecated_init.__qualname__ = old
    deprecated_init.__doc__ = f"Deprecated: use nn.init.{init_.__name__}."
    return deprecated_init


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
