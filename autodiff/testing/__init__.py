"""torch.testing's names (assert_close, make_tensor: comparison.py), and the project's
property-based gradient checks for users' test suites (properties.py: arrays,
assert_gradients_match, gradient_test, ...), which need hypothesis and load on first use, so
that torch.testing works without it."""

import importlib

from .comparison import assert_close
from .make import make_tensor

__all__ = ["assert_close", "make_tensor"]


def __getattr__(name: str):
    if name.startswith("_") or name == "properties":
        raise AttributeError(f"module 'autodiff.testing' has no attribute {name!r}")
    properties = importlib.import_module(".properties", __name__)  # imports hypothesis
    try:
        return getattr(properties, name)
    except AttributeError:
        raise AttributeError(f"module 'autodiff.testing' has no attribute {name!r}") from None
