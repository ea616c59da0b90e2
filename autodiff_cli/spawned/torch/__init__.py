"""`import torch` in a process that multiprocessing spawned from an `autodiff run` program.

`autodiff run` maps torch inside its own process only; a 'spawn' or 'forkserver' child starts a
fresh interpreter with its parent's sys.path, which leads here (run.install puts this folder on
it). So the child maps torch (and torchvision) to the project exactly as its parent did, and
then this module is replaced by the mapped torch.
"""

from autodiff_cli import run

run.prepare_process()
