"""nn: layers, losses, initialisation and optimizers on the autodiff engine, with PyTorch's names.

Each family lives in its own file; this file only lists the public names, one import per line
so that adding a family is adding lines.
"""

from .module import Module, Parameter
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .linear import Flatten, Identity, Linear, Unflatten
from .activation import ELU, GELU, LeakyReLU, LogSoftmax, PReLU, ReLU, SELU, Sigmoid, SiLU, Softmax
from .activation import Softplus, Tanh
from .dropout import Dropout
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .embedding import Embedding
from .rnn import GRU, LSTM, RNN
from .rnn_cell import GRUCell, LSTMCell, RNNCell
from .conv import Conv2d
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .blocks import ConcatBlock, ResidualBlock
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .loss_more import GaussianNLLLoss, HuberLoss, KLDivLoss, SmoothL1Loss
from .serialization import load, save
from .parallel import DataParallel

from . import functional
from . import init
from . import optim
from . import utils
from . import data
from . import models
from . import parallel
from .train import evaluate, fit
