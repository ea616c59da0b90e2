"""nn: layers, losses, initialisation and optimizers on the autodiff engine, with PyTorch's names.

Each family lives in its own file; this file only lists the public names, one import per line
so that adding a family is adding lines.
"""

from .module import Buffer, Module, Parameter
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .linear import Bilinear, Flatten, Identity, LazyLinear, Linear
from .linear import NonDynamicallyQuantizableLinear, Unflatten
from .activation import ELU, GELU, LeakyReLU, LogSoftmax, PReLU, ReLU, SELU, Sigmoid, SiLU, Softmax
from .activation import Softplus, Tanh
from .activation_hard import Hardshrink, Hardsigmoid, Hardswish, Hardtanh, ReLU6, Softshrink
from .activation_hard import RReLU, Threshold
from .activation_more import CELU, GLU, LogSigmoid, Mish, Softmax2d, Softmin, Softsign
from .activation_more import Tanhshrink
from .dropout import AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d, FeatureAlphaDropout
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, GroupNorm, LayerNorm
from .normalization_more import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, LocalResponseNorm
from .normalization_more import RMSNorm
from .embedding import Embedding
from .embedding_bag import EmbeddingBag
from .rnn import GRU, LSTM, RNN, RNNBase
from .rnn_cell import GRUCell, LSTMCell, RNNCell, RNNCellBase
from .conv import Conv1d, Conv2d
from .conv3d import Conv3d
from .conv_transpose import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .lazy import LazyBatchNorm1d, LazyBatchNorm2d, LazyConv1d, LazyConv2d, LazyConvTranspose1d
from .lazy import LazyConvTranspose2d, LazyInstanceNorm1d, LazyInstanceNorm2d
from .lazy import LazyBatchNorm3d, LazyConv3d, LazyConvTranspose3d, LazyInstanceNorm3d
from .fold import Fold, Unfold
from .attention import MultiheadAttention
from .transformer import Transformer, TransformerDecoder, TransformerDecoderLayer
from .transformer import TransformerEncoder, TransformerEncoderLayer
from .distance import CosineSimilarity, PairwiseDistance
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .pooling1d import AdaptiveAvgPool1d, AvgPool1d, MaxPool1d
from .pooling_lp import LPPool1d, LPPool2d, LPPool3d
from .pooling_fractional import FractionalMaxPool2d, FractionalMaxPool3d
from .pooling3d import AdaptiveAvgPool3d, AvgPool3d, MaxPool3d
from .pooling_indices import AdaptiveMaxPool1d, AdaptiveMaxPool2d, MaxUnpool1d, MaxUnpool2d
from .pooling_indices import AdaptiveMaxPool3d, MaxUnpool3d
from .upsampling import PixelShuffle, PixelUnshuffle, Upsample, UpsamplingBilinear2d
from .upsampling import ChannelShuffle, UpsamplingNearest2d
from .padding import CircularPad1d, CircularPad2d, ConstantPad1d, ConstantPad2d
from .padding import ReflectionPad1d, ReflectionPad2d, ReplicationPad1d, ReplicationPad2d
from .padding import ZeroPad1d, ZeroPad2d
from .padding import CircularPad3d, ConstantPad3d, ReflectionPad3d, ReplicationPad3d, ZeroPad3d
from .blocks import ConcatBlock, ResidualBlock
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, KLDivLoss, NLLLoss, NLLLoss2d
from .loss_regression import GaussianNLLLoss, HuberLoss, L1Loss, MSELoss, SmoothL1Loss
from .loss_regression import PoissonNLLLoss
from .loss_margin import CosineEmbeddingLoss, HingeEmbeddingLoss, MarginRankingLoss
from .loss_margin import MultiLabelSoftMarginLoss, MultiMarginLoss, SoftMarginLoss
from .loss_margin import MultiLabelMarginLoss, TripletMarginLoss, TripletMarginWithDistanceLoss
from .loss_ctc import CTCLoss
from .adaptive import AdaptiveLogSoftmaxWithLoss
from .serialization import load, save
from .parallel import DataParallel

from . import functional
from . import torch_functions
from . import func
from . import init
from . import optim
from . import utils
from . import data
from . import models
from . import parallel
from .train import evaluate, fit
