"""Write docs/torch-names.md: the torch names this project supports, read from the code, and
the common ones it knowingly leaves out (each checked to be absent, so the page stays true).

python docs/torch_names.py
"""

import inspect
import types
from pathlib import Path

from autodiff_cli.run import MODULES

# names a tutorial or course may reach for that the project does not have (yet)
LEFT_OUT = {
    "torch": ["jit", "compile", "fft", "linalg", "sparse", "einsum", "cdist", "bucketize", "histc",
              "kron", "autocast", "vmap",
              "cuda (only is_available()/device_count() answer False/0)"],
    "torch.nn": ["Conv1d", "Conv3d", "ConvTranspose2d", "LSTM", "GRU", "Transformer",
                 "MultiheadAttention", "Upsample", "GroupNorm", "InstanceNorm2d", "MaxPool1d",
                 "Bilinear", "PixelShuffle", "CosineSimilarity", "TripletMarginLoss"],
    "torch.nn.functional": ["interpolate", "grid_sample", "conv1d", "conv_transpose2d",
                            "scaled_dot_product_attention", "cosine_similarity", "normalize",
                            "unfold"],
    "torch.optim": ["LBFGS", "SparseAdam", "ASGD", "Rprop"],
    "torch.utils.data": ["IterableDataset", "ConcatDataset", "WeightedRandomSampler",
                         "DistributedSampler"],
}  # fmt: skip


def public_names(module) -> list:
    names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
    keep = []
    for name in names:
        value = getattr(module, name, None)
        if isinstance(value, types.ModuleType) and f"{module.__name__}.{name}" not in str(value):
            continue  # a module imported for internal use
        keep.append(name)
    return sorted(set(keep), key=lambda n: (n.lower(), n))  # ties (Tensor, tensor) in one order


def kind(value) -> str:
    if inspect.isclass(value):
        return "class"
    if isinstance(value, types.ModuleType):
        return "module"
    return "function" if callable(value) else "value"


def page() -> str:
    lines = [
        "# PyTorch names in this project",
        "",
        "Generated from the code by `python docs/torch_names.py`. Under `autodiff run`, "
        "`torch.X` resolves to the project's name in the right-hand column's module.",
        "",
        "| torch module | project module | supported names |",
        "|---|---|---|",
    ]
    total = 0
    for torch_name, module in MODULES.items():
        names = public_names(module)
        total += len(names)
        listed = ", ".join(f"`{n}`" for n in names)
        lines.append(f"| `{torch_name}` | `{module.__name__}` | {len(names)}: {listed} |")
    lines += ["", f"{total} names in all.", "", "## Knowingly left out", ""]
    for torch_name, names in LEFT_OUT.items():
        module = MODULES[torch_name]
        absent = [n for n in names if not hasattr(module, n.split(" ")[0]) or "(" in n]
        lines.append(f"- `{torch_name}`: " + ", ".join(f"`{n}`" for n in absent))
    lines += [
        "- devices other than the CPU (`device='cuda'` is a clear error), half-precision "
        "kernels, multiprocessing data loading (`num_workers` > 0), `torch.save` of whole "
        "modules (pickle).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    out = Path(__file__).with_name("torch-names.md")
    out.write_text(page())
    print(f"wrote {out}")
