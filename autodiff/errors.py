"""The exceptions bad input raises where PyTorch raises RuntimeError.

PyTorch reports most bad arguments (shapes that do not fit, a dtype an op cannot take, a size
out of range) as RuntimeError; Python's own habit, and this project's before it followed
torch, is ValueError or TypeError. Each class below is both, so `except RuntimeError` written
for torch and `except ValueError` / `except TypeError` written for us catch the same error.
Also where NumPy's floating-point warnings from our own lines go (below).
"""

import pickle
import sys
import warnings


class ArgumentError(ValueError, RuntimeError):
    """A value an op refuses (a negative size, a step of 0, an unknown option)."""


class ShapeError(ArgumentError):
    """Shapes that do not fit together (matmul, broadcasting, reshape, a layer's input)."""


class DtypeError(TypeError, RuntimeError):
    """A dtype an op cannot take (an integer tensor that asks for gradients, a float index)."""


class IndexOutOfRangeError(IndexError, RuntimeError):
    """An index or dim past the end where torch says RuntimeError (gather) or IndexError."""


class WeightsOnlyError(ValueError, pickle.UnpicklingError):
    """A file that holds a class or function load may not rebuild (weights_only): torch raises
    pickle.UnpicklingError there; a ValueError, as every refusal of a file here is."""


class LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: a matrix a factorisation or solve cannot take (singular, not
    positive-definite); a RuntimeError, as torch's is and as ours was before it had a name."""


# NumPy reports an overflow, an invalid value or a division by zero inside a ufunc as a
# RuntimeWarning attributed to the Python line that called it; for an op that line is ours
# (exp of 1000, inf · 0 in a backward), a warning torch never gives: its ops make inf and NaN
# silently, and detect_anomaly finds them. So those warnings are ignored when a line of this
# project's packages raised them; a user's own NumPy calls still warn as before. (A
# warnings.catch_warnings block around the import, as pytest's collection, drops the filter
# with its own when it ends: there the warnings show as they did before.)
warnings.filterwarnings(
    "ignore",
    r"(overflow|invalid value|divide by zero|underflow) encountered",
    RuntimeWarning,
    r"(autodiff|nn|viz)(\.|$)",
)

_PACKAGES = ("autodiff", "nn", "viz")


def user_stacklevel() -> int:
    """warnings.warn's stacklevel that names the first caller outside this project's packages
    (a warning about the user's call points at the user's line, however many of our frames,
    such as autocast's wrapper, lie between)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] in _PACKAGES:
        frame, level = frame.f_back, level + 1
    return level
