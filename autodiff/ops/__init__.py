"""Every built-in op, one family per file; each family's __all__ lists its public functions."""

from . import (
    activation,
    arithmetic,
    comparison,
    decomposition,
    elementwise,
    indexing,
    inplace,
    linalg,
    math,
    matrix,
    pointwise,
    rearrange,
    reduction,
    sampling,
    shape,
    statistics,
)
from .activation import *
from .arithmetic import *
from .comparison import *
from .decomposition import *
from .elementwise import *
from .indexing import *
from .linalg import *
from .math import *
from .matrix import *
from .pointwise import *
from .rearrange import *
from .reduction import *
from .sampling import *
from .shape import *
from .statistics import *

# used by Tensor's methods and operators, not exported at the top level
from .arithmetic import rsub
from .comparison import compare
from .indexing import getitem
from .shape import to_dtype

__all__ = [
    *activation.__all__,
    *arithmetic.__all__,
    *comparison.__all__,
    *decomposition.__all__,
    *elementwise.__all__,
    *indexing.__all__,
    *linalg.__all__,
    *math.__all__,
    *matrix.__all__,
    *pointwise.__all__,
    *rearrange.__all__,
    *reduction.__all__,
    *sampling.__all__,
    *shape.__all__,
    *statistics.__all__,
]
