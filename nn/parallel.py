"""torch.nn.parallel on a machine without GPUs: DataParallel runs its module as is (torch's
behaviour when no GPU is visible); DistributedDataParallel needs a process group, which a
single CPU process never has, so making one is torch's clear error."""

from .module import Module

__all__ = ["DataParallel", "DistributedDataParallel"]


class DataParallel(Module):
    """Wraps module (state dict keys gain 'module.'); with no GPU, forward is the module's."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        self.device_ids = []
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


class DistributedDataParallel(Module):
    """Refused: it needs torch.distributed.init_process_group, which autodiff lacks."""

    def __init__(self, module, *args, **kwargs):
        raise ValueError(
            "DistributedDataParallel: default process group has not been initialized, please "
            "make sure to call init_process_group. autodiff runs one process: use the model "
            "itself (nanoGPT does when RANK is not set)."
        )
