"""Helpers the models share: activation and initialisation by name."""

import nn

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
        "relu": nn.ReLU,
        "leaky_relu": nn.LeakyReLU,
        "elu": nn.ELU,
        "selu": nn.SELU,
        "gelu": nn.GELU,
        "silu": nn.SiLU,
        "swish": nn.SiLU,
        "sigmoid": nn.Sigmoid,
        "tanh": nn.Tanh,
        "softplus": nn.Softplus,
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
    layers = tuple(getattr(nn, n) for n in ("Linear", "Conv2d") if hasattr(nn, n))
    for module in model.modules():
        if not isinstance(module, layers):
            continue
        if init == "he":
            nonlinearity = "leaky_relu" if act == "leaky_relu" else "relu"
            nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity=nonlinearity)
        elif init == "xavier":
            gain = nn.init.calculate_gain(act) if act in ("tanh", "sigmoid") else 1.0
            nn.init.xavier_uniform_(module.weight, gain=gain)
        else:
            nn.init.zeros_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    return model
