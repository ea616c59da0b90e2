"""How torch's float32 matrix product rounds on this CPU (an experiment, not part of the engine).

torch's x86 wheels multiply float32 matrices with MKL's sgemm, whose order of additions differs
from OpenBLAS's (NumPy's): our products equal torch's in only part of the elements (9 % for a
128x784 @ 784x10 layer), so a model's printed loss differs from torch's in the last digits
even where every other op is torch's. This script measures a candidate for MKL's order:

- each element is one chain of fused multiply-adds over k, in order (c = fma(a_k, b_k, c)),
- over blocks of k: K <= 192 one block; 192 < K <= 384 two halves of K // 2 (and a block of
  one for odd K); beyond, blocks of 192 and the rest; each block's chain starts from zero and
  the blocks' sums are added in order,
- for at least 4 rows and 12 columns in the result; fewer rows or columns take another
  kernel (not found yet),
- with a bias (F.linear, addmm): the result starts as the bias and each block's sum is added
  to it in turn; transposed operands (the backward's g.T @ x and g @ W) chain the same way.

It prints, per shape, the share of torch's elements that NumPy's product and the candidate give
(on the AVX-512 machine of 2026-12-08: the candidate 100 % wherever rows >= 4 and columns >= 12,
for K from 1 to 1001, with and without a bias, operands transposed or not). Reproducing it
costs one pass per k (K sequential fused steps) where sgemm makes one call: 15-40x the time.
Usage: python tools/torch_matmul_order.py (needs torch==2.13.0).
"""

import numpy as np

from autodiff.cpu_math import fma32

SHAPES = [(32, 6, 100), (32, 100, 27), (64, 64, 64), (32, 193, 27), (32, 300, 27), (128, 784, 32)]
SHAPES += [(128, 784, 10), (3, 100, 27), (32, 100, 8)]  # outside the chain's regime


def blocks(k: int, size: int = 192) -> list:
    if k <= size:
        return [k]
    if k <= 2 * size:
        return [k // 2, k // 2] + [1] * (k % 2)
    return [size] * (k // size) + [k % size] * (k % size > 0)


def chained(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    total, start = None, 0
    for size in blocks(a.shape[1]):
        part = np.zeros((a.shape[0], b.shape[1]), np.float32)
        for k in range(start, start + size):
            part = fma32(a[:, k : k + 1], b[k : k + 1, :], part)
        total, start = part if total is None else total + part, start + size
    return total


def main() -> None:
    import torch

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    print("rows, K, columns | NumPy's product | fma chains in MKL's blocks")
    for m, k, n in SHAPES:
        a, b = (rng.standard_normal(s).astype(np.float32) for s in ((m, k), (k, n)))
        theirs = (torch.from_numpy(a) @ torch.from_numpy(b)).numpy()
        print(
            f"{m}, {k}, {n} | {np.mean(a @ b == theirs):.1%} | {np.mean(chained(a, b) == theirs):.1%}"
        )


if __name__ == "__main__":
    main()
