"""RMS normalisation (modern small GPTs), instance normalisation and local response
normalisation: each composed of existing ops, as torch composes it, so the recorded nodes are
torch's and the gradients (second derivatives too) come from the ops."""

import math
import warnings

import numpy as np

import autodiff as ad
from autodiff.errors import ShapeError

from .module import Module, Parameter, factory_dtype
from .normalization import _normalized_shape, batch_norm
from .padding import pad
from .pooling import avg_pool2d


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x²) + eps) · w over the trailing normalized_shape dims; eps defaults to
    the machine epsilon of x's dtype, as torch."""
    if isinstance(normalized_shape, (int, np.integer)):
        raise TypeError(
            f"rms_norm(): argument 'normalized_shape' must be a tuple of ints, not int "
            f"({normalized_shape}). Write ({normalized_shape},)."
        )
    shape = _normalized_shape(normalized_shape)
    if input.ndim < len(shape) or tuple(input.shape[input.ndim - len(shape) :]) != shape:
        raise ShapeError(
            f"rms_norm: Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size {tuple(input.shape)}"
        )
    if weight is not None and tuple(weight.shape) != shape:
        raise ShapeError(
            f"rms_norm: weight of shape {tuple(weight.shape)} must have the normalized_shape "
            f"{shape}"
        )
    if eps is None:
        eps = float(np.finfo(input.dtype).eps)
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    out = input * (input.pow(2).mean(dims, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight


class RMSNorm(Module):
    """Scales each sample by the root mean square over its last len(normalized_shape) dims,
    then by a learned weight (ones at first)."""

    def __init__(
        self, normalized_shape, eps=None, elementwise_affine: bool = True, device=None, dtype=None
    ):
        super().__init__()
        self.normalized_shape = _normalized_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        dtype = factory_dtype(device, dtype, "RMSNorm")
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            with ad.no_grad():
                self.weight.fill_(1.0)

    def forward(self, input):
        return rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


def instance_norm(
    input,
    running_mean=None,
    running_var=None,
    weight=None,
    bias=None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
):
    """Normalise each channel of each sample over its positions: batch norm of the input seen
    as one sample of N·C channels, as torch computes it (the running statistics, if given,
    move toward the mean over the batch of the per-sample statistics)."""
    if input.ndim < 2:
        raise ShapeError(
            f"instance_norm: expected an input of at least 2 dims (N, C, ...), got shape "
            f"{tuple(input.shape)}"
        )
    if use_input_stats and math.prod(input.shape[2:]) <= 1:
        raise ValueError(
            f"instance_norm: Expected more than 1 spatial element when training, got input "
            f"size {list(input.shape)}"
        )
    n, c = input.shape[:2]
    stats = [None if s is None else s.repeat(n) for s in (running_mean, running_var)]
    out = batch_norm(
        input.reshape(1, n * c, *input.shape[2:]),
        *stats,
        None if weight is None else weight.repeat(n),
        None if bias is None else bias.repeat(n),
        use_input_stats,
        momentum,
        eps,
    )
    with ad.no_grad():
        for kept, repeated in zip((running_mean, running_var), stats):
            if kept is not None and use_input_stats:
                kept.copy_(repeated.reshape(n, c).mean(0))
    return out.reshape(input.shape)


class _InstanceNorm(Module):
    _spatial = 1  # the dims after (N, C)
    _version = 2  # torch's

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum=0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = factory_dtype(device, dtype, type(self).__name__)
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        if affine and bias:
            self.bias = Parameter(np.zeros(num_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def forward(self, input):
        unbatched = self._spatial + 1
        if input.ndim not in (unbatched, unbatched + 1):
            raise ShapeError(
                f"{type(self).__name__}: expected {unbatched}D or {unbatched + 1}D input "
                f"(got {input.ndim}D input of shape {tuple(input.shape)})"
            )
        channels = input.ndim - unbatched
        if input.shape[channels] != self.num_features:
            if self.affine:
                raise ShapeError(
                    f"{type(self).__name__}: expected input's size at dim={channels} to match "
                    f"num_features ({self.num_features}), but got: {input.shape[channels]}."
                )
            warnings.warn(
                f"input's size at dim={channels} does not match num_features. You can silence "
                "this warning by not passing in num_features, which is not used because "
                "affine=False",
                stacklevel=2,
            )
        if input.ndim == unbatched:
            return self._normalize(input.unsqueeze(0)).squeeze(0)
        return self._normalize(input)

    def _normalize(self, input):
        return instance_norm(
            input,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            0.0 if self.momentum is None else self.momentum,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class InstanceNorm1d(_InstanceNorm):
    """Instance norm over (N, C, L) or (C, L): each channel of each sample over its length."""


class InstanceNorm2d(_InstanceNorm):
    """Instance norm over (N, C, H, W) or (C, H, W): each channel of each sample over H, W."""

    _spatial = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance norm over (N, C, D, H, W) or (C, D, H, W): each channel of each sample over its
    volume."""

    _spatial = 3


class DepthWindowMean(ad.Function):
    """avg_pool3d with a (size, 1, 1) kernel and stride 1 over (N, 1, D, H, W): the mean of
    every `size` neighbours along D (local_response_norm's sum over channels)."""

    node_name = "AvgPool3DBackward0"
    symbol = "avgpool"
    array_backward = True

    @staticmethod
    def forward(ctx, input, size):
        depth = input.shape[2] - size + 1
        out = input[:, :, :depth].copy()
        for k in range(1, size):
            out += input[:, :, k : k + depth]
        return out / size

    @staticmethod
    def backward(ctx, grad):
        return DepthWindowSpread.apply(grad, size=ctx.options["size"])


class DepthWindowSpread(ad.Function):
    """DepthWindowMean's input gradient: each window's gradient / size to its cells."""

    node_name = "AvgPool3DBackwardBackward0"
    symbol = "avgpoolᵀ"
    array_backward = True

    @staticmethod
    def forward(ctx, grad, size):
        depth = grad.shape[2]
        out = np.zeros(grad.shape[:2] + (depth + size - 1,) + grad.shape[3:], grad.dtype)
        share = grad / size
        for k in range(size):
            out[:, :, k : k + depth] += share
        return out

    @staticmethod
    def backward(ctx, gg):
        return DepthWindowMean.apply(gg, size=ctx.options["size"])


def local_response_norm(input, size: int, alpha: float = 1e-4, beta: float = 0.75, k=1.0):
    """x / (k + α·mean of x² over `size` neighbouring channels)^β (AlexNet's normalisation),
    composed as torch composes it."""
    if input.ndim < 3:
        raise ShapeError(
            f"local_response_norm: Expected 3D or higher dimensionality input (got {input.ndim} "
            f"dimensions, shape {tuple(input.shape)})"
        )
    if input.numel() == 0:
        return input
    div = input.mul(input)
    before, after = size // 2, (size - 1) // 2
    if input.ndim == 3:
        div = pad(div.unsqueeze(1), (0, 0, before, after))
        div = avg_pool2d(div, (size, 1), stride=1).squeeze(1)
    else:
        sizes = input.shape
        div = div.view(sizes[0], 1, sizes[1], sizes[2], -1)
        div = pad(div, (0, 0, 0, 0, before, after))
        div = DepthWindowMean.apply(div, size=int(size)).squeeze(1).view(sizes)
    div = div.mul(alpha).add(k).pow(beta)
    return input / div


class LocalResponseNorm(Module):
    """Normalises each value by its neighbours across channels (AlexNet)."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
