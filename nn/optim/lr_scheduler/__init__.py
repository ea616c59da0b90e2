"""torch.optim.lr_scheduler: learning-rate schedules with torch's recursive forms, one file per
family (base, decay, lambdas, sequential, cyclic, plateau).

Call `scheduler.step()` once per epoch after `optimizer.step()` (OneCycleLR and CyclicLR: once
per batch; ReduceLROnPlateau: `step(val_loss)`); `get_last_lr()` gives the rates.
"""

from .base import LRScheduler
from .cyclic import CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
from .decay import ConstantLR, CosineAnnealingLR, ExponentialLR, LinearLR, MultiStepLR
from .decay import PolynomialLR, StepLR
from .lambdas import LambdaLR, MultiplicativeLR
from .plateau import ReduceLROnPlateau
from .sequential import ChainedScheduler, SequentialLR

__all__ = [
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
]
