"""The project's packages installed beside the engine (nn, viz), found without importing them.

`nn` and `viz` are common names: a learner's own nn.py in the working folder (micrograd-style
projects have one) comes first on sys.path and hides the library, and `import nn.functional`
then fails with "'nn' is not a package". `import autodiff` looks where `import nn` would go and
warns, naming the file, before that happens. The engine imports neither package.
"""

import importlib.util
import warnings
from pathlib import Path

NAMES = ("nn", "viz")
HOME = Path(__file__).resolve().parent.parent  # the folder that holds autodiff/ and them


class ShadowedPackageWarning(UserWarning):
    """A module of the user's has one of the names of the project's packages."""


def check() -> None:
    """Warn for each of NAMES that `import` would find somewhere other than beside autodiff."""
    for name in NAMES:
        ours = HOME / name / "__init__.py"
        found = _origin(name)
        if ours.is_file() and found is not None and found != ours:
            warnings.warn(_message(name, found, ours.parent), ShadowedPackageWarning, stacklevel=2)


def _origin(name: str) -> Path | None:
    """The file `import name` would run (its spec, if imported), the folder of a namespace
    package, or None if nothing is found. A folder without __init__.py only wins where the
    library is not on sys.path itself: an editable install, whose finder Python asks last."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):  # ValueError: a module in sys.modules without a spec
        return None
    if spec is not None and spec.has_location and spec.origin is not None:
        return Path(spec.origin).resolve()
    folders = list(spec.submodule_search_locations or ()) if spec is not None else []
    return Path(folders[0]).resolve() if folders else None


def _message(name: str, found: Path, ours: Path) -> str:
    shown = found.parent if found.name == "__init__.py" else found
    return (
        f"`import {name}` will load {shown}, not the {name} library installed with autodiff "
        f"({ours}): a file or folder of yours named {name} comes first on the import path. "
        f"Rename it (e.g. to my{name}) and delete its __pycache__ to use the library's {name}. "
        "If you mean to use only your own, call warnings.filterwarnings('ignore', "
        f"message='`import {name}`') before importing autodiff."
    )


ELSEWHERE = {  # torch's packages that are the project's own packages here
    "nn": "torch.nn is the package nn here (import nn; import nn.functional as F)",
    "optim": "torch.optim is nn.optim here (from nn import optim)",
    "utils": "torch.utils.data is nn.data here (from nn import data)",
}


def elsewhere(name: str) -> str | None:
    """For `import autodiff as torch`: where torch.<name> is in this project, or None."""
    if name not in ELSEWHERE:
        return None
    return (
        f"module 'autodiff' has no attribute {name!r}: {ELSEWHERE[name]}. `autodiff run "
        "script.py` runs a PyTorch script unchanged, with torch.nn, torch.optim and "
        "torch.utils.data mapped"
    )  # no final period: Python may append ". Did you mean: ...?"
