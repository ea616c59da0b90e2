"""`autodiff run SCRIPT [ARGS...]`: an unmodified PyTorch script on this engine.

Inside that process only, `import torch` (and torch.nn, torch.nn.functional, torch.optim,
torch.autograd, torch.utils.data, ...) resolves to the project: torch to autodiff, torch.nn to
nn, torch.utils.data to nn.data; torchvision's datasets and transforms that the tutorials' first
pages use, and its utils' make_grid / save_image, resolve to autodiff_cli/torchvision_shim. A
name the project does not have fails with a message that says so, never with a silent stand-in.
"""

import argparse
import importlib.abc
import runpy
import sys
import traceback
import types
from pathlib import Path

import autodiff
import autodiff.checkpointing
import nn
from autodiff.threads import short_blas_spin
from autodiff_cli import torchvision_shim
from nn.heap import keep_freed_memory

# torch's module -> the project's
MODULES = {
    "torch": autodiff,
    "torch.autograd": autodiff.autograd,
    "torch.autograd.forward_ad": autodiff.autograd.forward_ad,
    "torch.autograd.functional": autodiff.autograd.functional,
    "torch.autograd.graph": autodiff.autograd.graph,
    "torch.autograd.function": autodiff.autograd.function,
    "torch.autograd.profiler": autodiff.autograd.profiler,
    "torch.profiler": autodiff.profiler,
    "torch.compiler": autodiff.compiler,
    "torch.utils.benchmark": autodiff.benchmark,
    "torch.nn.attention": nn.sdpa_backends,
    "torch.fft": autodiff.fft,
    "torch.linalg": autodiff.linalg,
    "torch.special": autodiff.special,
    "torch.distributions": autodiff.distributions,
    "torch.amp": autodiff.amp,
    "torch.cuda": autodiff.cuda,
    "torch.cuda.amp": autodiff.amp,
    "torch.cpu": autodiff.cpu,
    "torch.cpu.amp": autodiff.cpu.amp,
    "torch.backends": autodiff.backends,
    "torch.backends.cuda": autodiff.backends.cuda,
    "torch.backends.cudnn": autodiff.backends.cudnn,
    "torch.backends.mps": autodiff.backends.mps,
    "torch.backends.mha": autodiff.backends.mha,
    "torch.distributed": autodiff.distributed,
    "torch.jit": autodiff.jit,
    "torch.multiprocessing": autodiff.multiprocessing,
    "torch.onnx": autodiff.onnx,
    "torch.serialization": autodiff.serialization,
    "torch.nn": nn,
    "torch.nn.functional": nn.functional,
    "torch.nn.init": nn.init,
    "torch.nn.utils": nn.utils,
    "torch.nn.parallel": nn.parallel,
    "torch.nn.modules": nn,
    "torch.nn.utils.rnn": nn.utils.rnn,
    "torch.optim": nn.optim,
    "torch.optim.lr_scheduler": nn.optim.lr_scheduler,
    "torch.optim.optimizer": nn.optim.optimizer,
    "torch.optim.swa_utils": nn.optim.swa_utils,
    "torch.utils.data": nn.data,
    "torch.utils.checkpoint": autodiff.checkpointing,
    "torch.random": autodiff.random,
    "torch.testing": autodiff.testing,
    "torch.func": autodiff.func,
    "torch.nn.utils.stateless": nn.utils.stateless,
    "torch.nn.utils.prune": nn.utils.prune,
    "torch.nn.utils.parametrize": nn.utils.parametrize,
    "torch.nn.utils.parametrizations": nn.utils.parametrizations,
    # the part of torchvision the tutorials' first pages use (autodiff_cli/torchvision_shim)
    "torchvision": torchvision_shim,
    "torchvision.datasets": torchvision_shim.datasets,
    "torchvision.transforms": torchvision_shim.transforms,
    "torchvision.transforms.functional": torchvision_shim.functional,
    "torchvision.utils": torchvision_shim.utils,
    "torchvision.models": torchvision_shim.models,
    "torchvision.models.resnet": torchvision_shim.models,
}
# the files torch splits these packages into: programs import classes from them
for _file in (
    "activation",
    "adaptive",
    "batchnorm",
    "channelshuffle",
    "container",
    "conv",
    "distance",
    "dropout",
    "flatten",
    "fold",
    "instancenorm",
    "lazy",
    "linear",
    "loss",
    "module",
    "normalization",
    "padding",
    "pixelshuffle",
    "pooling",
    "rnn",
    "sparse",
    "transformer",
    "upsampling",
):
    MODULES[f"torch.nn.modules.{_file}"] = nn
for _file in ("dataloader", "dataset", "distributed", "sampler"):
    MODULES[f"torch.utils.data.{_file}"] = nn.data
MODULES["torch.distributions.constraints"] = autodiff.distributions.constraints
MODULES["torch.distributions.constraint_registry"] = autodiff.distributions.constraint_registry
MODULES["torch.distributions.transforms"] = autodiff.distributions.transforms
MODULES["torch.distributions.relaxed_bernoulli"] = autodiff.distributions.relaxed
MODULES["torch.distributions.relaxed_categorical"] = autodiff.distributions.relaxed
for _file in (
    "bernoulli",
    "beta",
    "binomial",
    "categorical",
    "chi2",
    "continuous_bernoulli",
    "dirichlet",
    "distribution",
    "exponential",
    "fishersnedecor",
    "gamma",
    "generalized_pareto",
    "geometric",
    "half_cauchy",
    "half_normal",
    "independent",
    "inverse_gamma",
    "kl",
    "kumaraswamy",
    "laplace",
    "lkj_cholesky",
    "log_normal",
    "logistic_normal",
    "lowrank_multivariate_normal",
    "mixture_same_family",
    "multinomial",
    "multivariate_normal",
    "negative_binomial",
    "normal",
    "one_hot_categorical",
    "pareto",
    "poisson",
    "studentT",
    "transformed_distribution",
    "uniform",
    "von_mises",
    "weibull",
    "wishart",
):
    MODULES[f"torch.distributions.{_file}"] = autodiff.distributions
# torch's names that nn provides (torch.conv2d, torch.dropout, ..., torch.func.functional_call):
# the engine cannot import nn, so torch.X looks in these after the project module
ALSO = {"torch": nn.torch_functions, "torch.func": nn.func}
# torch's names that the project has in another form first: torch.autograd.Function is the
# torch-style Function (forward on Tensors), not the engine's ad.Function (forward on arrays)
FIRST = {"torch.autograd": types.SimpleNamespace(Function=autodiff.autograd.function.Function)}
UNSUPPORTED = ("torchaudio", "torchtext")
# packages some of whose modules are mapped: any other module of theirs is refused
MAPPED = ("torch", "torchvision")


def unsupported(name: str) -> str:
    return (
        f"{name} is not supported by autodiff yet (`autodiff run` maps torch to this project; "
        "docs/torch-names.md lists every torch name it has)."
    )


_MODULE_DICT = types.ModuleType.__dict__["__dict__"]  # a module's own attributes


class TorchModule(types.ModuleType):
    """torch.X for a project module: its names, then submodules; anything else is refused."""

    def __init__(self, name: str, target):
        super().__init__(name, getattr(target, "__doc__", None))
        first = (FIRST[name],) if name in FIRST else ()
        self._targets = (*first, target, *((ALSO[name],) if name in ALSO else ()))
        # a package, so that `import torch.sparse` or `import torchvision.models` asks the
        # finders (and _Refuse says what is missing) rather than failing with "not a package"
        self.__path__ = []

    def __getattr__(self, attr: str):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        child = sys.modules.get(f"{self.__name__}.{attr}")
        if isinstance(child, TorchModule):
            return child
        for target in self._targets:
            try:
                return getattr(target, attr)
            except AttributeError:
                continue
        raise AttributeError(unsupported(f"{self.__name__}.{attr}"))

    def __dir__(self):
        return sorted(set().union(*map(dir, self._targets)))

    @property
    def __dict__(self):
        """The names the module has, its targets' included, as `vars(torchvision.models)` and
        `models.__dict__` list them (ImageNet scripts build their --arch choices so). A copy:
        set attributes on the module itself."""
        names = {}
        for target in reversed(self._targets):
            public = getattr(target, "__all__", None) or [k for k in vars(target) if k[0] != "_"]
            names.update({k: getattr(target, k) for k in public if hasattr(target, k)})
        return {**names, **_MODULE_DICT.__get__(self)}


class _Refuse(importlib.abc.MetaPathFinder):
    """torch.* and torchvision.* modules the project lacks, torchaudio, ...: a clear
    ImportError."""

    def find_spec(self, name, path=None, target=None):
        if name in MODULES:
            return None
        if name.split(".")[0] in MAPPED or name.startswith(UNSUPPORTED):
            raise ModuleNotFoundError(unsupported(name), name=name)
        return None


SPAWNED = str(Path(__file__).parent / "spawned")


def install() -> None:
    """Make `import torch...` resolve to the project in this process."""
    for name, target in MODULES.items():
        sys.modules[name] = TorchModule(name, target)
    sys.modules["torch"].utils = types.SimpleNamespace(
        data=sys.modules["torch.utils.data"],
        checkpoint=sys.modules["torch.utils.checkpoint"],
        benchmark=sys.modules["torch.utils.benchmark"],
    )
    sys.modules["torch"].__version__ = f"{autodiff.__version__}+autodiff"
    sys.modules["torchvision"].__version__ = torchvision_shim.__version__
    sys.modules["torch.utils"] = sys.modules["torch"].utils  # `import torch.utils.data`
    if not any(isinstance(f, _Refuse) for f in sys.meta_path):
        sys.meta_path.insert(0, _Refuse())
    if SPAWNED not in sys.path:  # what a spawned child imports as torch (spawned/torch)
        sys.path.insert(0, SPAWNED)


def prepare_process() -> None:
    """The mapping and the process settings an `autodiff run` program (and each process it
    spawns) runs with."""
    install()
    keep_freed_memory()  # a training script's steps reuse their pages (README: autodiff run)
    short_blas_spin()  # what runs between its products gets the cores (autodiff.threads)


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "run",
        help="run an unmodified PyTorch script on this engine",
        description="Run SCRIPT with `import torch` resolving to autodiff (torch.nn to nn, "
        "torch.utils.data to nn.data, ...), only inside this process. CPU only.",
    )
    p.add_argument("script", help="a Python file that uses torch (or a folder with __main__.py)")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments given to the script")
    p.set_defaults(run=run_command)
    return p


def run_command(args) -> int:
    script = Path(args.script)
    if script.is_dir() and not (script / "__main__.py").is_file():
        raise FileNotFoundError(2, "A folder without __main__.py", str(script))
    if not script.exists():
        raise FileNotFoundError(2, "No such file", str(script))
    prepare_process()
    sys.argv = [str(script), *args.args]
    # as python does: a folder's own path comes first on sys.path, a file's folder's
    sys.path.insert(0, str(script.resolve() if script.is_dir() else script.resolve().parent))
    try:
        runpy.run_path(str(script), run_name="__main__")
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            return e.code or 0
        print(e.code, file=sys.stderr)  # sys.exit("message"): python prints it, exit status 1
        return 1
    except Exception:  # the script's own error: shown as Python shows it
        traceback.print_exc()
        return 1
    return 0
