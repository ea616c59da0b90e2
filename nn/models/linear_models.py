"""The seeds' first models: linear, logistic and softmax regression (one Linear layer each)."""

from ..linear import Flatten, Linear
from ..module import Module
from ._build import initialize


class LinearRegression(Module):
    """y = x Wᵀ + b; with out_features=1 the output is (N,), matching MSELoss targets (N,)."""

    def __init__(self, in_features: int, out_features: int = 1, init: str = "zeros"):
        super().__init__()
        self.linear = Linear(in_features, out_features)
        initialize(self, init)

    def forward(self, x):
        out = self.linear(x)
        return out.squeeze(-1) if self.linear.out_features == 1 else out


class LogisticRegression(Module):
    """Binary classifier: returns the logit (N,); use nn.BCEWithLogitsLoss, p = sigmoid(logit)."""

    def __init__(self, in_features: int, init: str = "zeros"):
        super().__init__()
        self.linear = Linear(in_features, 1)
        initialize(self, init)

    def forward(self, x):
        return self.linear(x).squeeze(-1)


class SoftmaxRegression(Module):
    """Multi-class linear classifier: flattens its input, returns logits (N, num_classes)."""

    def __init__(self, in_features: int, num_classes: int, init: str = "zeros"):
        super().__init__()
        self.flatten = Flatten()
        self.linear = Linear(in_features, num_classes)
        initialize(self, init)

    def forward(self, x):
        return self.linear(self.flatten(x))
