"""Convolutional models: the seeds' Fashion-MNIST CNN, a VGG-style net, a small residual net."""

from ..activation import ReLU
from ..container import Sequential
from ..conv import Conv2d
from ..dropout import Dropout
from ..linear import Flatten, Linear
from ..module import Module
from ..normalization import BatchNorm2d
from ..pooling import MaxPool2d
from ._build import activation as make_activation
from ._build import initialize


def conv_block(
    in_channels: int,
    out_channels: int,
    act: str = "relu",
    batchnorm: bool = False,
    pool: bool = True,
) -> Sequential:
    """3x3 'same' convolution [BatchNorm], activation, then 2x2 max pooling."""
    layers = [Conv2d(in_channels, out_channels, 3, padding=1, bias=not batchnorm)]
    if batchnorm:
        layers.append(BatchNorm2d(out_channels))
    layers.append(make_activation(act))
    if pool:
        layers.append(MaxPool2d(2))
    return Sequential(*layers)


class FashionCNN(Module):
    """The seeds' all-convolutional Fashion-MNIST model: no fully connected layer.

    Three padded 3x3 conv + 2x2 max-pool blocks take 28x28 to 14, 7 and 3; a 3x3 convolution
    without padding takes 3x3 to 1x1; a 1x1 convolution gives the class logits (N, C, 1, 1),
    which are flattened to (N, C).
    """

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 10,
        channels=(32, 64, 128),
        activation: str = "relu",
        batchnorm: bool = False,
        dropout: float = 0.0,
        init: str = "he",
    ):
        super().__init__()
        c1, c2, c3 = channels
        self.features = Sequential(
            conv_block(in_channels, c1, activation, batchnorm),
            conv_block(c1, c2, activation, batchnorm),
            conv_block(c2, c3, activation, batchnorm),
        )
        self.head = Sequential(
            Conv2d(c3, c3, 3),  # 3x3 -> 1x1: each output sees the whole feature map
            make_activation(activation),
            *([Dropout(dropout)] if dropout else []),
            Conv2d(c3, num_classes, 1),  # the 1x1 convolution acts as the classifier
            Flatten(),
        )
        initialize(self, init, activation)

    def forward(self, x):
        if x.ndim == 3:  # (N, 28, 28) images: add the channel axis
            x = x.unsqueeze(1)
        return self.head(self.features(x))


class VGG(Module):
    """A VGG-style network of blocks for 32x32 input: five blocks halve 32 to 1, then a classifier.

    arch lists (number of convolutions, channels) per block; the seeds' VGG16-like net for
    CIFAR-10 doubles the channels per block as VGG-16 does, scaled down.
    """

    def __init__(
        self,
        arch=((1, 16), (1, 32), (2, 64), (2, 128), (2, 128)),
        in_channels: int = 3,
        num_classes: int = 10,
        hidden: int = 256,
        dropout: float = 0.5,
        batchnorm: bool = False,
        init: str = "he",
    ):
        super().__init__()
        blocks, c_in = [], in_channels
        for num_convs, c_out in arch:
            blocks.append(vgg_block(num_convs, c_in, c_out, batchnorm))
            c_in = c_out
        self.features = Sequential(*blocks)
        self.classifier = Sequential(
            Flatten(),
            Linear(c_in, hidden),
            ReLU(),
            Dropout(dropout),
            Linear(hidden, num_classes),
        )
        self.input_size = 2 ** len(arch)
        initialize(self, init)

    def forward(self, x):
        if x.ndim != 4 or x.shape[-1] != self.input_size or x.shape[-2] != self.input_size:
            raise ValueError(
                f"VGG: expected input (N, C, {self.input_size}, {self.input_size}) "
                f"for {len(self.features)} blocks, got {tuple(x.shape)}. Resize or pad "
                "the images (Fashion-MNIST: pad 28 to 32)."
            )
        return self.classifier(self.features(x))


def vgg_block(num_convs: int, in_channels: int, out_channels: int, batchnorm: bool = False):
    """num_convs padded 3x3 convolutions with ReLU, then 2x2 max pooling."""
    layers = []
    for i in range(num_convs):
        layers.append(
            Conv2d(
                in_channels if i == 0 else out_channels,
                out_channels,
                3,
                padding=1,
                bias=not batchnorm,
            )
        )
        if batchnorm:
            layers.append(BatchNorm2d(out_channels))
        layers.append(ReLU())
    layers.append(MaxPool2d(2))
    return Sequential(*layers)
