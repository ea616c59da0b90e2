"""Every built-in op, one family per file; each family's __all__ lists its public functions."""

from . import (
    activation,
    arithmetic,
    bessel_gamma,
    factored,
    comparison,
    complexes,
    copies,
    decomposition,
    elementwise,
    floats,
    householder,
    indexing,
    inplace,
    ldl,
    linalg,
    triangular,
    math,
    matrix,
    methods,
    pointwise,
    rearrange,
    reduction,
    sampling,
    search,
    shape,
    special,
    splitting,
    quantiles,
    spectral,
    statistics,
    strided,
    updates,
)
from .activation import *
from .arithmetic import *
from .bessel_gamma import *
from .factored import *
from .comparison import *
from .complexes import *
from .copies import *
from .decomposition import *
from .elementwise import *
from .floats import *
from .householder import *
from .indexing import *
from .ldl import *
from .linalg import *
from .triangular import *
from .math import *
from .matrix import *
from .methods import *
from .pointwise import *
from .rearrange import *
from .reduction import *
from .sampling import *
from .search import *
from .shape import *
from .special import *
from .splitting import *
from .quantiles import *
from .spectral import *
from .statistics import *
from .strided import *
from .updates import *

# used by Tensor's methods and operators, not exported at the top level
from .comparison import compare, compare_as_self
from .indexing import getitem
from .shape import to_dtype
from .splitting import sum_to_size, unfold
from .updates import fill_diagonal

__all__ = [
    *activation.__all__,
    *arithmetic.__all__,
    *bessel_gamma.__all__,
    *factored.__all__,
    *comparison.__all__,
    *complexes.__all__,
    *copies.__all__,
    *decomposition.__all__,
    *elementwise.__all__,
    *floats.__all__,
    *householder.__all__,
    *indexing.__all__,
    *ldl.__all__,
    *linalg.__all__,
    *triangular.__all__,
    *math.__all__,
    *matrix.__all__,
    *methods.__all__,
    *pointwise.__all__,
    *rearrange.__all__,
    *reduction.__all__,
    *sampling.__all__,
    *search.__all__,
    *shape.__all__,
    *special.__all__,
    *splitting.__all__,
    *quantiles.__all__,
    *spectral.__all__,
    *statistics.__all__,
    *strided.__all__,
    *updates.__all__,
]
