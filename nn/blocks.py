"""Skip connections (the seeds' ResNet and DenseNet ideas): nothing special in the engine, an
add or a channel concatenation is one more graph node."""

import autodiff as ad

from .activation import ReLU
from .container import Sequential
from .conv import Conv2d
from .module import Module
from .normalization import BatchNorm2d


def _conv_bn(in_channels: int, out_channels: int, kernel: int, stride: int = 1) -> list:
    """A bias-free 'same' convolution (BatchNorm's shift makes a bias redundant) and BatchNorm."""
    conv = Conv2d(in_channels, out_channels, kernel, stride=stride, padding=kernel // 2, bias=False)
    return [conv, BatchNorm2d(out_channels)]


class ResidualBlock(Module):
    """relu(F(x) + shortcut(x)) with F = conv3x3-BN-ReLU-conv3x3-BN (He et al.).

    The shortcut is the identity when shapes match, else a strided 1x1 convolution with
    BatchNorm, so the sum's gradient reaches x through both paths unchanged in kind.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1):
        super().__init__()
        self.body = Sequential(
            *_conv_bn(in_channels, out_channels, 3, stride),
            ReLU(),
            *_conv_bn(out_channels, out_channels, 3),
        )
        reshaped = stride != 1 or in_channels != out_channels
        self.shortcut = Sequential(
            *_conv_bn(in_channels, out_channels, 1, stride) if reshaped else []
        )
        self.relu = ReLU()

    def forward(self, x):
        return self.relu(self.body(x) + self.shortcut(x))


class ConcatBlock(Module):
    """cat([x, conv3x3-BN-ReLU(x)], dim=1): a DenseNet-style skip that keeps x's channels
    and appends `growth` new ones."""

    def __init__(self, in_channels: int, growth: int):
        super().__init__()
        self.body = Sequential(*_conv_bn(in_channels, growth, 3), ReLU())
        self.out_channels = in_channels + growth

    def forward(self, x):
        return ad.cat([x, self.body(x)], dim=1)
