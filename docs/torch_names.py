"""Write docs/torch-names.md: the torch names this project supports, read from the code, and
the common ones it knowingly leaves out (each checked to be absent, so the page stays true).

python docs/torch_names.py
"""

import inspect
import types
from pathlib import Path

from autodiff_cli.run import ALSO, MODULES

# names a tutorial or course may reach for that the project does not have (yet)
LEFT_OUT = {
    "torch": ["jit (TorchScript compilation, save/load: script/trace return what they get)",
              "sparse",
              "cuda (only is_available()/device_count() answer False/0)"],
    "torch.nn.functional": ["interpolate(mode='lanczos')"],
}  # fmt: skip


def public_names(module) -> list:
    names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
    keep = []
    for name in names:
        value = getattr(module, name, None)
        if isinstance(value, types.ModuleType) and f"{module.__name__}.{name}" not in str(value):
            continue  # a module imported for internal use
        keep.append(name)
    return sorted(set(keep), key=_order)


def _order(name: str) -> tuple:
    return (name.lower(), name)  # ties (Tensor, tensor) in one order


def _name(target) -> str:
    """A project module's name, or module.Class for torch modules the project answers with a
    class (torch.cuda is autodiff.device.cuda)."""
    if isinstance(target, types.ModuleType):
        return target.__name__
    return f"{target.__module__}.{target.__qualname__}"


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
    total, shown = 0, {}
    for torch_name, module in MODULES.items():
        if id(module) in shown:  # one of the files torch splits a package into
            lines.append(f"| `{torch_name}` | `{_name(module)}` | as `{shown[id(module)]}` |")
            continue
        shown[id(module)] = torch_name
        names = public_names(module)
        project = f"`{_name(module)}`"
        if torch_name in ALSO:  # torch's top-level names that nn provides
            names = sorted(set(names) | set(public_names(ALSO[torch_name])), key=_order)
            project += f" and `{_name(ALSO[torch_name])}`"
        total += len(names)
        listed = ", ".join(f"`{n}`" for n in names)
        lines.append(f"| `{torch_name}` | {project} | {len(names)}: {listed} |")
    lines += ["", f"{total} names in all.", "", "## Knowingly left out", ""]
    for torch_name, names in LEFT_OUT.items():
        module = MODULES[torch_name]
        absent = [n for n in names if not hasattr(module, n.split(" ")[0]) or "(" in n]
        if absent:  # a name built since it was listed drops out of the page
            lines.append(f"- `{torch_name}`: " + ", ".join(f"`{n}`" for n in absent))
    lines += [
        "- devices other than the CPU (`device='cuda'` is a clear error), half-precision "
        "kernels, data-loading worker processes (`num_workers` > 0 loads in the main process, "
        "with a one-time note), `torch.save` of whole modules (pickle).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    out = Path(__file__).with_name("torch-names.md")
    out.write_text(page())
    print(f"wrote {out}")
