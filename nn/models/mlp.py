"""The multi-layer perceptron of the seeds: Flatten, then Linear [BatchNorm] activation [Dropout]."""

import itertools

from ..container import Sequential
from ..dropout import Dropout
from ..linear import Flatten, Linear
from ..normalization import BatchNorm1d
from ._build import activation, initialize


class MLP(Sequential):
    """MLP((784, 256, 128, 10), activation='relu', init='he'): logits from the last Linear."""

    def __init__(
        self,
        sizes,
        activation: str = "relu",
        init: str = "default",
        batchnorm: bool = False,
        dropout: float = 0.0,
    ):
        sizes = tuple(int(s) for s in sizes)
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(
                f"MLP: sizes needs at least an input and an output size, all "
                f"positive, got {sizes}. E.g. (784, 256, 10)."
            )
        if not 0 <= dropout < 1:
            raise ValueError(f"MLP: dropout must be in [0, 1), got {dropout}.")
        super().__init__(*_layers(sizes, activation, batchnorm, dropout))
        self.sizes, self.activation_name = sizes, activation
        initialize(self, init, activation)


def _layers(sizes, act: str, batchnorm: bool, dropout: float) -> list:
    layers = [Flatten()]
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(Linear(fan_in, fan_out))
        if i == len(sizes) - 2:
            break
        if batchnorm:
            layers.append(BatchNorm1d(fan_out))
        layers.append(activation(act))
        if dropout:
            layers.append(Dropout(dropout))
    return layers
