"""Batch normalisation (1d over (N, C) or (N, C, L), 2d over (N, C, H, W)) and layer
normalisation over the trailing dims: one Function each, as torch's native kernels."""

import math

import numpy as np

import autodiff as ad
from autodiff.autograd.graph import increment_version
from autodiff.errors import DtypeError, ShapeError

from .module import Module, Parameter, factory_dtype


def _reduce_dims(ndim: int) -> tuple:
    return (0,) + tuple(range(2, ndim))  # every dim but the channel dim 1


def _values_per_channel(shape: tuple) -> int:
    return math.prod(shape[:1] + shape[2:])


def _per_channel(array: np.ndarray, ndim: int) -> np.ndarray:
    return array.reshape((1, -1) + (1,) * (ndim - 2))


class NativeBatchNorm(ad.Function):
    """(x − mean)/sqrt(var + eps)·w + b per channel; batch statistics or given running ones."""

    node_name = "NativeBatchNormBackward0"
    symbol = "BN"
    array_backward = True

    @staticmethod
    def forward(ctx, input, weight, bias, running_mean, running_var, training, momentum, eps):
        dims = _reduce_dims(input.ndim)
        n = _values_per_channel(input.shape)
        if training and n == 0:  # an empty batch: an empty result, running statistics kept
            mean, var = np.zeros(input.shape[1], input.dtype), np.ones(input.shape[1], input.dtype)
        elif training:
            mean = input.mean(axis=dims)
            var = input.var(axis=dims)  # biased: normalisation uses the population variance
            if running_mean is not None:
                running_mean *= 1 - momentum
                running_mean += momentum * mean
                running_var *= 1 - momentum
                running_var += momentum * var * (n / max(n - 1, 1))  # unbiased, as torch
        else:
            mean, var = running_mean, running_var
        invstd = (1.0 / np.sqrt(var + eps)).astype(input.dtype)
        xhat = (input - _per_channel(mean, input.ndim)) * _per_channel(invstd, input.ndim)
        ctx.save_for_backward(input, weight, xhat, invstd)
        out = xhat
        if weight is not None:
            out = out * _per_channel(weight, input.ndim)
        if bias is not None:
            out = out + _per_channel(bias, input.ndim)
        return out.astype(input.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        input, weight, xhat, invstd = ctx.saved_tensors
        opts = ctx.options
        dims = _reduce_dims(input.ndim)
        if _values_per_channel(input.shape) == 0:  # an empty batch: zeros, and no mean of nothing
            zeros, need = grad.sum(axis=dims), ctx.needs_input_grad
            return (
                grad * 0 if need[0] else None,
                zeros if need[1] else None,
                zeros if need[2] else None,
            )
        shape = (1, -1) + (1,) * (input.ndim - 2)
        if opts["training"] and ad.is_grad_enabled():
            # create_graph: rebuild the statistics from x so second derivatives see them
            centered = input - input.mean(axis=dims, keepdims=True)
            invstd = _inverse_sqrt(
                (centered * centered).mean(axis=dims, keepdims=True) + opts["eps"]
            )
            xhat = centered * invstd
        else:
            invstd = invstd.reshape(shape)
        need = ctx.needs_input_grad
        grad_weight = (grad * xhat).sum(axis=dims) if need[1] else None
        grad_bias = grad.sum(axis=dims) if need[2] else None
        if not need[0]:
            return None, grad_weight, grad_bias
        scale = invstd if weight is None else invstd * weight.reshape(shape)
        if not opts["training"]:
            return grad * scale, grad_weight, grad_bias
        # dL/dx = w·invstd·(g − mean(g) − x̂·mean(g·x̂)) over the reduced dims
        g_mean = grad.mean(axis=dims, keepdims=True)
        gx_mean = (grad * xhat).mean(axis=dims, keepdims=True)
        return scale * (grad - g_mean - xhat * gx_mean), grad_weight, grad_bias


def batch_norm(
    input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
):
    """Normalise per channel (dim 1); in training also update the running statistics in place."""
    if training and _values_per_channel(input.shape) == 1:  # an empty batch is fine, as torch
        raise ValueError(
            f"batch_norm: Expected more than 1 value per channel when training, got input size "
            f"{tuple(input.shape)}. Use a batch of at least 2 or call .eval()."
        )
    if not training and running_mean is None:
        training = True  # no running statistics: always use the batch's, as torch does
    out = NativeBatchNorm.apply(
        input,
        weight,
        bias,
        running_mean=running_mean,
        running_var=running_var,
        training=training,
        momentum=momentum,
        eps=eps,
    )
    if training:
        for stats in (running_mean, running_var):
            if isinstance(stats, ad.Tensor):
                increment_version(stats)  # updated in place by forward
    return out


class _BatchNorm(Module):
    _ndims = ()
    _version = 2  # torch's: the state dict has num_batches_tracked

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum=0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
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
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """Running mean 0, variance 1, no batches counted (swa_utils.update_bn starts here)."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def _check_input(self, input) -> None:
        name = type(self).__name__
        if input.ndim not in self._ndims:
            raise ValueError(
                f"{name}: expected {' or '.join(f'{d}D' for d in self._ndims)} input "
                f"(got {input.ndim}D input of shape {tuple(input.shape)})"
            )
        if input.shape[1] != self.num_features:
            raise ShapeError(
                f"{name}: input has {input.shape[1]} channels in dim 1 but num_features="
                f"{self.num_features} (input shape {tuple(input.shape)})"
            )

    def forward(self, input):
        self._check_input(input)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked)
        use_batch = self.training or self.running_mean is None
        track = self.training and self.track_running_stats
        return batch_norm(
            input,
            self.running_mean if track or not use_batch else None,
            self.running_var if track or not use_batch else None,
            self.weight,
            self.bias,
            use_batch,
            momentum,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L): statistics per feature C."""

    _ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W): statistics per channel, over N, H and W."""

    _ndims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch norm over (N, C, D, H, W): statistics per channel, over N, D, H and W."""

    _ndims = (5,)


def _normalized_shape(normalized_shape) -> tuple:
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not shape or not all(isinstance(n, int) and n > 0 for n in shape):
        raise ValueError(
            f"LayerNorm: normalized_shape must be a positive int or a non-empty tuple of them, "
            f"got {normalized_shape!r}"
        )
    return shape


class NativeLayerNorm(ad.Function):
    """(x − mean)/sqrt(var + eps)·w + b with the statistics of each sample over `dims`."""

    node_name = "NativeLayerNormBackward0"
    symbol = "LN"
    array_backward = True

    @staticmethod
    def forward(ctx, input, weight, bias, dims, eps):
        centered = input - input.mean(axis=dims, keepdims=True)
        invstd = _inverse_sqrt((centered * centered).mean(axis=dims, keepdims=True) + eps)  # biased
        xhat = centered * invstd
        ctx.save_for_backward(input, weight, xhat, invstd)
        out = xhat if weight is None else xhat * weight
        return out if bias is None else out + bias

    @staticmethod
    def backward(ctx, grad):
        input, weight, xhat, invstd = ctx.saved_tensors
        dims, eps = ctx.options["dims"], ctx.options["eps"]
        if ad.is_grad_enabled():
            # create_graph: rebuild the statistics from x so second derivatives see them
            centered = input - input.mean(axis=dims, keepdims=True)
            invstd = _inverse_sqrt((centered * centered).mean(axis=dims, keepdims=True) + eps)
            xhat = centered * invstd
        need = ctx.needs_input_grad
        samples = tuple(range(input.ndim - len(dims)))  # the dims weight and bias repeat over
        grad_weight = (grad * xhat).sum(axis=samples) if need[1] else None
        grad_bias = grad.sum(axis=samples) if need[2] else None
        if not need[0]:
            return None, grad_weight, grad_bias
        g = grad if weight is None else grad * weight
        # dL/dx = invstd·(g − mean(g) − x̂·mean(g·x̂)) over the normalised dims
        g_mean = g.mean(axis=dims, keepdims=True)
        gx_mean = (g * xhat).mean(axis=dims, keepdims=True)
        return invstd * (g - g_mean - xhat * gx_mean), grad_weight, grad_bias


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5):
    """(x − mean)/sqrt(var + eps)·w + b with statistics over the trailing normalized_shape dims."""
    shape = _normalized_shape(normalized_shape)
    if tuple(input.shape[input.ndim - len(shape) :]) != shape or input.ndim < len(shape):
        raise ShapeError(
            f"layer_norm: Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size {tuple(input.shape)}"
        )
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and param.dtype != input.dtype:
            raise DtypeError(
                f"layer_norm: input dtype {input.dtype} differs from the {name}'s dtype "
                f"{param.dtype}. Convert the input (e.g. x.float()) or the layer."
            )
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    return NativeLayerNorm.apply(input, weight, bias, dims=dims, eps=eps)


class LayerNorm(Module):
    """Normalises each sample over its last len(normalized_shape) dims, then scales and shifts."""

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if not eps >= 0 or not np.isfinite(eps):
            raise ValueError(f"LayerNorm: eps must be a finite number >= 0, got {eps}")
        self.normalized_shape = _normalized_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        dtype = factory_dtype(device, dtype, "LayerNorm")
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        if elementwise_affine and bias:
            self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype))
        else:
            self.register_parameter("bias", None)

    def forward(self, input):
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine="
            f"{self.elementwise_affine}, bias={self.bias is not None}"
        )


class NativeGroupNorm(ad.Function):
    """(x − mean)/sqrt(var + eps) over each group of channels (and all positions) per sample,
    then w·x̂ + b per channel."""

    node_name = "NativeGroupNormBackward0"
    symbol = "GN"
    array_backward = True

    @staticmethod
    def forward(ctx, input, weight, bias, num_groups, eps):
        ctx.save_for_backward(input, weight)
        n, c = input.shape[:2]
        xhat = _group_standardized(input, num_groups, eps).reshape(n, c, -1)
        if weight is not None:
            xhat = xhat * weight[:, None]
        if bias is not None:
            xhat = xhat + bias[:, None]
        return xhat.reshape(input.shape).astype(input.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        input, weight = ctx.saved_tensors
        groups, eps, need = ctx.options["num_groups"], ctx.options["eps"], ctx.needs_input_grad
        n, c = input.shape[:2]
        # recomputed from the input (not saved), so create_graph sees the statistics depend on x
        xhat = _group_standardized(input, groups, eps)
        per_channel = (n, c, -1)
        g = grad.reshape(per_channel)
        grad_weight = (g * xhat.reshape(per_channel)).sum(axis=(0, 2)) if need[1] else None
        grad_bias = g.sum(axis=(0, 2)) if need[2] else None
        if not need[0]:
            return None, grad_weight, grad_bias
        if weight is not None:
            g = g * weight.reshape((1, c, 1))
        g = g.reshape((n, groups, -1))
        centered = input.reshape((n, groups, -1))
        centered = centered - centered.mean(axis=2, keepdims=True)
        invstd = _inverse_sqrt((centered * centered).mean(axis=2, keepdims=True) + eps)
        # dL/dx = invstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) within each group
        g_mean = g.mean(axis=2, keepdims=True)
        gx_mean = (g * xhat).mean(axis=2, keepdims=True)
        grad_input = invstd * (g - g_mean - xhat * gx_mean)
        return grad_input.reshape(input.shape), grad_weight, grad_bias


def _inverse_sqrt(variance):
    """1/sqrt(variance + eps) as torch's normalisation kernels compute it (sqrt, then a
    division); on an array, or on a Tensor under create_graph and ad.compile's trace, whose
    ** -0.5 is the same two roundings (ops.arithmetic._power)."""
    if isinstance(variance, ad.Tensor):
        return variance**-0.5
    return np.reciprocal(np.sqrt(variance))


def _group_standardized(input, groups: int, eps: float):
    """x̂ as (N, G, C/G·positions): each group of each sample to mean 0, variance 1."""
    x = input.reshape((input.shape[0], groups, -1))
    centered = x - x.mean(axis=2, keepdims=True)
    return centered * _inverse_sqrt((centered * centered).mean(axis=2, keepdims=True) + eps)


def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5):
    """Normalise each group of num_groups channel groups per sample, then scale and shift."""
    if input.ndim < 2 or input.shape[1] % num_groups:
        raise ShapeError(
            f"group_norm: Expected number of channels in input to be divisible by num_groups, "
            f"but got input of shape {tuple(input.shape)} and num_groups={num_groups}"
        )
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and tuple(param.shape) != (input.shape[1],):
            raise ShapeError(
                f"group_norm: {name} must have shape ({input.shape[1]},) (one per channel), "
                f"got {tuple(param.shape)}"
            )
    return NativeGroupNorm.apply(input, weight, bias, num_groups=int(num_groups), eps=eps)


class GroupNorm(Module):
    """Group normalisation: channels split into num_groups groups, each normalised per sample."""

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(
                f"GroupNorm: num_channels={num_channels} must be divisible by "
                f"num_groups={num_groups}"
            )
        self.num_groups, self.num_channels, self.eps, self.affine = (
            num_groups,
            num_channels,
            eps,
            affine,
        )
        dtype = factory_dtype(device, dtype, "GroupNorm")
        if affine:
            self.weight = Parameter(np.ones(num_channels, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        if affine and bias:
            self.bias = Parameter(np.zeros(num_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)

    def forward(self, input):
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )
