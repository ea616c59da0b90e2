"""The functional forms of nn (import as F): re-exports only; each op lives with its family."""

from autodiff import log_softmax, relu, sigmoid, softmax, tanh
