"""Helpers the models share: activation and initialisation by name."""

from ..activation import ELU, GELU, SELU, LeakyReLU, ReLU, Sigmoid, SiLU, Softplus, Tanh
from ..conv import Conv2d
from ..init import calculate_gain, kaiming_normal_, xavier_uniform_, zeros_
from ..linear import Linear

ACTIVATIONS = (
    "relu",
    "leaky_relu",
    "elu",
    "selu",
    "gelu",
    "silu",
    "swish",
    "sigmoid",
    "tanh",
    "softplus",
)
INITS = ("default", "he", "xavier", "zeros")


def activation(name: str):
    """A new activation module from its name ('relu', 'tanh', 'silu', ...)."""
    table = {
        "relu": ReLU,
        "leaky_relu": LeakyReLU,
        "elu": ELU,
        "selu": SELU,
        "gelu": GELU,
        "silu": SiLU,
        "swish": SiLU,
        "sigmoid": Sigmoid,
        "tanh": Tanh,
        "softplus": Softplus,
    }
    if name not in table:
        raise ValueError(f"activation: unknown name {name!r}. Use one of {ACTIVATIONS}.")
    return table[name]()


def initialize(model, init: str = "default", act: str = "relu"):
    """Re-initialise every Linear/Conv2d weight: He (fan-in, for ReLU), Xavier, zeros or default.

    Biases start at zero for 'he', 'xavier' and 'zeros'; 'default' keeps PyTorch's.
    """
    if init not in INITS:
        raise ValueError(f"initialize: unknown init {init!r}. Use one of {INITS}.")
    if init == "default":
        return model
    for module in model.modules():
        if not isinstance(module, Linear | Conv2d):
            continue
        if init == "he":
            nonlinearity = "leaky_relu" if act == "leaky_relu" else "relu"
            kaiming_normal_(module.weight, mode="fan_in", nonlinearity=nonlinearity)
        elif init == "xavier":
            gain = calculate_gain(act) if act in ("tanh", "sigmoid") else 1.0
            xavier_uniform_(module.weight, gain=gain)
        else:
            zeros_(module.weight)
        if module.bias is not None:
            zeros_(module.bias)
    return model
