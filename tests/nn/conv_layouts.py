"""Both column layouts of the convolution kernels, forced: one row per output position of the
batch ("rows"), or one matrix per sample ("per_sample"). The kernels pick by the number of terms
per output value, so small test cases would otherwise only reach the per-sample layout."""

import contextlib

from nn import conv as conv_module

LAYOUTS = {"rows": 0, "per_sample": 10**9}


@contextlib.contextmanager
def layout(name):
    saved, conv_module._FEW_TERMS = conv_module._FEW_TERMS, LAYOUTS[name]
    try:
        yield
    finally:
        conv_module._FEW_TERMS = saved
