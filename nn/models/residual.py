"""A small residual CNN (the seeds' skip connections) built from nn.ResidualBlock."""

from ..activation import ReLU
from ..blocks import ResidualBlock
from ..container import Sequential
from ..conv import Conv2d
from ..linear import Flatten, Linear
from ..module import Module
from ..normalization import BatchNorm2d
from ..pooling import AdaptiveAvgPool2d, MaxPool2d
from ._build import initialize


class ResNet(Module):
    """Stem conv-BN-ReLU (then 2x2 max pooling with stem_pool, as ResNet's stem, for a quarter
    of the work), stages of nn.ResidualBlock (the first of each later stage halves the
    resolution), global average pooling and one Linear classifier."""

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 10,
        channels=(16, 32, 64),
        blocks_per_stage: int = 1,
        stem_pool: bool = False,
        init: str = "he",
    ):
        super().__init__()
        c0 = channels[0]
        stem = [Conv2d(in_channels, c0, 3, padding=1, bias=False), BatchNorm2d(c0), ReLU()]
        self.stem = Sequential(*stem, *([MaxPool2d(2)] if stem_pool else []))
        stages, c_in = [], c0
        for i, c_out in enumerate(channels):
            for j in range(blocks_per_stage):
                stride = 2 if i > 0 and j == 0 else 1
                stages.append(ResidualBlock(c_in, c_out, stride=stride))
                c_in = c_out
        self.stages = Sequential(*stages)
        self.pool = AdaptiveAvgPool2d(1)
        self.flatten = Flatten()
        self.fc = Linear(c_in, num_classes)
        initialize(self, init)

    def forward(self, x):
        if x.ndim == 3:  # (N, H, W) grey images: add the channel axis
            x = x.unsqueeze(1)
        return self.fc(self.flatten(self.pool(self.stages(self.stem(x)))))
