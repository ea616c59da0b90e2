"""torch.distributions: families of distributions built from differentiable tensor ops (one
file per family or a few related ones), kl_divergence's registry of closed forms, and the
constraints validate_args checks. Draws come from the library's generator as torch's do."""

from . import constraints
from .beta import Beta, Dirichlet
from .categorical import Bernoulli, Categorical
from .distribution import Distribution, ExponentialFamily
from .gamma import Chi2, Gamma, Poisson
from .independent import Independent
from .kl import kl_divergence, register_kl
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .uniform import Exponential, Laplace, Uniform

__all__ = [
    "Bernoulli",
    "Beta",
    "Categorical",
    "Chi2",
    "Dirichlet",
    "Distribution",
    "Exponential",
    "ExponentialFamily",
    "Gamma",
    "Independent",
    "Laplace",
    "MultivariateNormal",
    "Normal",
    "Poisson",
    "Uniform",
    "constraints",
    "kl_divergence",
    "register_kl",
]
