"""A small residual CNN (the seeds' skip connections) built from nn.ResidualBlock."""

import nn

from ._build import initialize


class ResNet(nn.Module):
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
        stem = [nn.Conv2d(in_channels, c0, 3, padding=1, bias=False), nn.BatchNorm2d(c0), nn.ReLU()]
        self.stem = nn.Sequential(*stem, *([nn.MaxPool2d(2)] if stem_pool else []))
        stages, c_in = [], c0
        for i, c_out in enumerate(channels):
            for j in range(blocks_per_stage):
                stride = 2 if i > 0 and j == 0 else 1
                stages.append(nn.ResidualBlock(c_in, c_out, stride=stride))
                c_in = c_out
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(c_in, num_classes)
        initialize(self, init)

    def forward(self, x):
        if x.ndim == 3:  # (N, H, W) grey images: add the channel axis
            x = x.unsqueeze(1)
        return self.fc(self.flatten(self.pool(self.stages(self.stem(x)))))
