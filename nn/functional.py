"""The functional forms of nn (import as F): re-exports only; each op lives with its family."""

from .activation import elu, elu_, gelu, leaky_relu, leaky_relu_, log_softmax, prelu, relu, relu_
from .activation import selu, selu_, sigmoid, silu, softmax, softplus, tanh
from .activation_hard import hardshrink, hardsigmoid, hardswish, hardtanh, hardtanh_, relu6
from .activation_hard import rrelu, rrelu_, softshrink, threshold, threshold_
from .activation_more import celu, celu_, glu, gumbel_softmax, logsigmoid, mish, softmin
from .activation_more import softsign, tanhshrink
from .dropout import alpha_dropout, dropout, dropout1d, dropout2d, dropout3d, feature_alpha_dropout
from .linear import bilinear, linear
from .loss import binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, kl_div
from .loss import nll_loss, one_hot
from .loss_regression import gaussian_nll_loss, huber_loss, l1_loss, mse_loss, smooth_l1_loss
from .loss_regression import poisson_nll_loss
from .loss_margin import cosine_embedding_loss, hinge_embedding_loss, margin_ranking_loss
from .loss_margin import multi_margin_loss, multilabel_soft_margin_loss, soft_margin_loss
from .loss_margin import multilabel_margin_loss, triplet_margin_loss
from .loss_margin import triplet_margin_with_distance_loss
from .loss_ctc import ctc_loss
from .normalization import batch_norm, group_norm, layer_norm
from .normalization_more import instance_norm, local_response_norm, rms_norm
from .embedding import embedding
from .embedding_bag import embedding_bag
from .conv import conv1d, conv2d
from .conv3d import conv3d, conv_transpose3d
from .conv_transpose import conv_transpose1d, conv_transpose2d
from .fold import fold, unfold
from .attention import multi_head_attention_forward, scaled_dot_product_attention
from .distance import cosine_similarity, normalize, pairwise_distance, pdist
from .grid_sampling import affine_grid, grid_sample
from .padding import pad
from .pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d, max_pool2d_with_indices
from .pooling_indices import adaptive_max_pool1d, adaptive_max_pool1d_with_indices
from .pooling_indices import adaptive_max_pool2d, adaptive_max_pool2d_with_indices
from .pooling_indices import max_unpool1d, max_unpool2d, max_unpool3d
from .pooling_indices import adaptive_max_pool3d, adaptive_max_pool3d_with_indices
from .pooling1d import adaptive_avg_pool1d, avg_pool1d, max_pool1d, max_pool1d_with_indices
from .pooling_lp import lp_pool1d, lp_pool2d, lp_pool3d
from .pooling_fractional import fractional_max_pool2d, fractional_max_pool2d_with_indices
from .pooling_fractional import fractional_max_pool3d, fractional_max_pool3d_with_indices
from .pooling3d import adaptive_avg_pool3d, avg_pool3d, max_pool3d, max_pool3d_with_indices
from .upsampling import channel_shuffle, interpolate, pixel_shuffle, pixel_unshuffle, upsample
from .upsampling import upsample_bilinear, upsample_nearest
