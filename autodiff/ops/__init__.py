"""Every built-in op's public function, one family per file."""

from .activation import log_softmax, relu, sigmoid, softmax, tanh
from .arithmetic import add, div, mul, neg, pow, rsub, sub
from .elementwise import abs, clamp, compare, exp, log, maximum, minimum, sign, sqrt, where
from .indexing import getitem
from .linalg import matmul
from .reduction import argmax, argmin, logsumexp, max, mean, min, sum, var
from .shape import (
    cat,
    clone,
    expand,
    flatten,
    permute,
    reshape,
    squeeze,
    stack,
    to_dtype,
    transpose,
    unsqueeze,
    view,
)
