"""Lazy layers: convolutions and norms whose input channels are read from their first input,
as torch's LazyConv*/LazyBatchNorm*/LazyInstanceNorm*. Until then their parameters and
running statistics are empty placeholders; the first call gives them their shapes (the same
Parameter objects, so an optimizer built earlier keeps them) and torch's initialisation, and
the layer becomes the ordinary class (LazyConv2d -> Conv2d), as in torch."""

import numpy as np

import autodiff as ad
from autodiff.errors import ShapeError

from .conv import Conv1d, Conv2d
from .conv3d import Conv3d
from .conv_transpose import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .normalization_more import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d


class _Lazy:
    """The mixin: the first forward infers the channels and gives the parameters their shapes
    and first values (`_materialize`), becomes `cls_to_become`, then runs its forward."""

    cls_to_become = None

    def reset_parameters(self) -> None:
        """Nothing to initialise before the first input gives the shapes (torch skips it too)."""

    def _input_channels(self, input, spatial: int) -> int:
        """dim 1 of a batch, dim 0 of one unbatched sample, as torch reads in_channels."""
        if input.ndim not in (spatial + 1, spatial + 2):
            raise ShapeError(
                f"{type(self).__name__}: Expected {spatial + 1}D or {spatial + 2}D input (got "
                f"{input.ndim}D input of shape {tuple(input.shape)})"
            )
        return input.shape[0 if input.ndim == spatial + 1 else 1]

    def forward(self, input, *args, **kwargs):
        with ad.no_grad():
            self._materialize(input)
        self.__class__ = self.cls_to_become
        return self.forward(input, *args, **kwargs)


def _empty(module, names) -> None:
    """Each named parameter or buffer that exists becomes an empty placeholder."""
    for name in names:
        if getattr(module, name) is not None:
            getattr(module, name).data = np.empty(0, getattr(module, name).dtype)


class _LazyConv(_Lazy):
    def _lazy_init(self, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                   padding_mode, device, dtype, **transposed) -> None:  # fmt: skip
        # built as the real layer with one input channel per group, then emptied: no draws
        self.cls_to_become.__init__(
            self, groups, out_channels, kernel_size, stride=stride, padding=padding,
            dilation=dilation, groups=groups, bias=bias, padding_mode=padding_mode,
            device=device, dtype=dtype, **transposed,
        )  # fmt: skip
        self.in_channels = 0
        _empty(self, ("weight", "bias"))

    def _materialize(self, input) -> None:
        channels = self._input_channels(input, self._dims)
        if channels % self.groups:
            raise ShapeError(
                f"{type(self).__name__}: in_channels must be divisible by groups ({channels} "
                f"input channels, groups={self.groups}). Check the previous layer."
            )
        self.in_channels, out, dtype = channels, self.out_channels, self.weight.dtype
        if self._transposed:  # torch's layouts: (in, out/groups, *k) for a transposed conv
            shape = (channels, out // self.groups) + self.kernel_size
        else:
            shape = (out, channels // self.groups) + self.kernel_size
        self.weight.data = np.empty(shape, dtype)
        if self.bias is not None:
            self.bias.data = np.empty(out, dtype)
        self.cls_to_become.reset_parameters(self)  # torch's draws, now that fan_in is known


class LazyConv1d(_LazyConv, Conv1d):
    """Conv1d whose in_channels is read from its first input."""

    cls_to_become = Conv1d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None,
                 dtype=None):  # fmt: skip
        self._lazy_init(out_channels, kernel_size, stride, padding, dilation, groups, bias,
                        padding_mode, device, dtype)  # fmt: skip


class LazyConv2d(_LazyConv, Conv2d):
    """Conv2d whose in_channels is read from its first input."""

    cls_to_become = Conv2d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None,
                 dtype=None):  # fmt: skip
        self._lazy_init(out_channels, kernel_size, stride, padding, dilation, groups, bias,
                        padding_mode, device, dtype)  # fmt: skip


class LazyConv3d(_LazyConv, Conv3d):
    """Conv3d whose in_channels is read from its first input."""

    cls_to_become = Conv3d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None,
                 dtype=None):  # fmt: skip
        self._lazy_init(out_channels, kernel_size, stride, padding, dilation, groups, bias,
                        padding_mode, device, dtype)  # fmt: skip


class LazyConvTranspose1d(_LazyConv, ConvTranspose1d):
    """ConvTranspose1d whose in_channels is read from its first input."""

    cls_to_become = ConvTranspose1d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros",
                 device=None, dtype=None):  # fmt: skip
        self._lazy_init(out_channels, kernel_size, stride, padding, dilation, groups, bias,
                        padding_mode, device, dtype, output_padding=output_padding)  # fmt: skip


class LazyConvTranspose2d(_LazyConv, ConvTranspose2d):
    """ConvTranspose2d whose in_channels is read from its first input."""

    cls_to_become = ConvTranspose2d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros",
                 device=None, dtype=None):  # fmt: skip
        self._lazy_init(out_channels, kernel_size, stride, padding, dilation, groups, bias,
                        padding_mode, device, dtype, output_padding=output_padding)  # fmt: skip


class LazyConvTranspose3d(_LazyConv, ConvTranspose3d):
    """ConvTranspose3d whose in_channels is read from its first input."""

    cls_to_become = ConvTranspose3d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros",
                 device=None, dtype=None):  # fmt: skip
        self._lazy_init(out_channels, kernel_size, stride, padding, dilation, groups, bias,
                        padding_mode, device, dtype, output_padding=output_padding)  # fmt: skip


_STATE = (("weight", np.ones), ("bias", np.zeros), ("running_mean", np.zeros),
          ("running_var", np.ones))  # fmt: skip


class _LazyNorm(_Lazy):
    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):  # fmt: skip
        self.cls_to_become.__init__(
            self, 0, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )

    def _materialize(self, input) -> None:
        self.num_features = self._channels(input)
        for name, fill in _STATE:  # torch's fresh values: affine 1 and 0, statistics 0 and 1
            if getattr(self, name) is not None:
                getattr(self, name).data = fill(self.num_features, getattr(self, name).dtype)


class _LazyBatchNorm(_LazyNorm):
    def _channels(self, input) -> int:
        if input.ndim not in self._ndims:
            raise ShapeError(
                f"{type(self).__name__}: expected {' or '.join(f'{d}D' for d in self._ndims)} "
                f"input (got {input.ndim}D input of shape {tuple(input.shape)})"
            )
        return input.shape[1]


class LazyBatchNorm1d(_LazyBatchNorm, BatchNorm1d):
    """BatchNorm1d whose num_features is read from its first input."""

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyBatchNorm, BatchNorm2d):
    """BatchNorm2d whose num_features is read from its first input."""

    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyBatchNorm, BatchNorm3d):
    """BatchNorm3d whose num_features is read from its first input."""

    cls_to_become = BatchNorm3d


class _LazyInstanceNorm(_LazyNorm):
    """(torch's lazy instance norms default to affine=True, track_running_stats=True, unlike
    InstanceNorm1d/2d)"""

    def _channels(self, input) -> int:
        return self._input_channels(input, self._spatial)


class LazyInstanceNorm1d(_LazyInstanceNorm, InstanceNorm1d):
    """InstanceNorm1d whose num_features is read from its first input."""

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyInstanceNorm, InstanceNorm2d):
    """InstanceNorm2d whose num_features is read from its first input."""

    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyInstanceNorm, InstanceNorm3d):
    """InstanceNorm3d whose num_features is read from its first input."""

    cls_to_become = InstanceNorm3d
