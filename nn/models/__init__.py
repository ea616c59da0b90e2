"""The seeds' models: linear, logistic and softmax regression, MLP, the Fashion-MNIST CNN,
a VGG-style network and a small residual network."""

from ._build import ACTIVATIONS, INITS, initialize
from .cnn import VGG, FashionCNN, conv_block, vgg_block
from .linear_models import LinearRegression, LogisticRegression, SoftmaxRegression
from .mlp import MLP
from .residual import ResNet

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "MLP",
    "VGG",
    "FashionCNN",
    "LinearRegression",
    "LogisticRegression",
    "ResNet",
    "SoftmaxRegression",
    "conv_block",
    "initialize",
    "vgg_block",
]
