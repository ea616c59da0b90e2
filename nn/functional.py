"""The functional forms of nn (import as F): re-exports only; each op lives with its family."""

from .activation import elu, gelu, leaky_relu, log_softmax, prelu, relu, relu_, selu, sigmoid, silu
from .activation import softmax, softplus, tanh
from .dropout import dropout
from .linear import linear
from .loss import binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, l1_loss
from .loss import mse_loss, nll_loss, one_hot
from .loss_more import gaussian_nll_loss, huber_loss, kl_div, smooth_l1_loss
from .normalization import batch_norm, layer_norm
from .embedding import embedding
from .conv import conv2d, pad
from .pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
