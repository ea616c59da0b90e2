"""torch's functions removed in torch 1.9 that older tutorials still call (torch.solve,
torch.lstsq, torch.eig, torch.symeig): torch 2 keeps the names, and calling one raises a
RuntimeError that shows its torch.linalg replacement. So do these."""

_REMOVED = "This function was deprecated since version 1.9 and is now removed. "


def solve(*args, **kwargs):
    raise RuntimeError(
        _REMOVED + "`torch.solve` is deprecated in favor of `torch.linalg.solve`, which has its "
        "arguments reversed and does not return the LU factorization: "
        "X = torch.solve(B, A).solution should be replaced with X = torch.linalg.solve(A, B)."
    )


def lstsq(*args, **kwargs):
    raise RuntimeError(
        _REMOVED + "`torch.lstsq` is deprecated in favor of `torch.linalg.lstsq`, which has its "
        "arguments reversed and does not return the QR decomposition: "
        "X = torch.lstsq(B, A).solution[:A.size(1)] should be replaced with "
        "X = torch.linalg.lstsq(A, B).solution."
    )


def eig(*args, **kwargs):
    raise RuntimeError(
        _REMOVED + "Its replacement, `torch.linalg.eig`, returns complex tensors, which autodiff "
        "does not have; for a symmetric matrix, L, V = torch.linalg.eigh(A) (eigenvalues "
        "only: torch.linalg.eigvalsh(A))."
    )


def symeig(input=None, eigenvectors=False, upper=True, **kwargs):
    uplo = "U" if upper else "L"
    raise RuntimeError(
        _REMOVED + "The default behavior has changed from using the upper triangular portion "
        "of the matrix by default to using the lower triangular portion. "
        f"L, _ = torch.symeig(A, upper={upper}) should be replaced with "
        f"L = torch.linalg.eigvalsh(A, UPLO='{uplo}'), and L, V = torch.symeig(A, "
        f"eigenvectors=True, upper={upper}) with L, V = torch.linalg.eigh(A, UPLO='{uplo}')."
    )


__all__ = ["eig", "lstsq", "solve", "symeig"]
