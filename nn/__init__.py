"""nn: layers, losses, initialisation and optimizers on the autodiff engine, with PyTorch's names.

Each family lives in its own file; this file only lists the public names, one import per line
so that adding a family is adding lines.
"""

from .module import Module, Parameter
from .container import ModuleList, Sequential

from . import functional
