"""torch.onnx: importable; exporting is a clear error (autodiff has no ONNX exporter)."""


def export(model, args=None, f=None, *rest, **kwargs) -> None:
    raise RuntimeError(
        "torch.onnx.export: autodiff cannot export ONNX models. Save the weights with "
        "torch.save(model.state_dict(), path) and export from real PyTorch."
    )


def is_in_onnx_export() -> bool:
    return False
