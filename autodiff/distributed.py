"""torch.distributed on one CPU process: importable so training scripts load, with nothing to
join. Asking about the (absent) process group is torch's error without one; starting one is
a clear error, since autodiff runs a single process."""

_NO_GROUP = (
    "Default process group has not been initialized, please make sure to call "
    "init_process_group. (autodiff runs one process: run the script without torchrun, so "
    "that it takes its single-process path.)"
)


def is_available() -> bool:
    """False: autodiff has no communication backend."""
    return False


def is_initialized() -> bool:
    return False


def is_torchelastic_launched() -> bool:
    return False


def init_process_group(backend=None, *args, **kwargs) -> None:
    raise RuntimeError(
        f"torch.distributed.init_process_group({backend!r}): autodiff runs one process on the "
        "CPU and has no distributed backend. Run the script without torchrun (nanoGPT: "
        "`python train.py`, so RANK is not set)."
    )


def destroy_process_group(group=None) -> None:
    raise ValueError(_NO_GROUP)


def get_rank(group=None) -> int:
    raise ValueError(_NO_GROUP)


def get_world_size(group=None) -> int:
    raise ValueError(_NO_GROUP)


def barrier(group=None, *args, **kwargs) -> None:
    raise ValueError(_NO_GROUP)


def all_reduce(tensor, op=None, group=None, async_op=False) -> None:
    raise ValueError(_NO_GROUP)


def broadcast(tensor, src=0, group=None, async_op=False) -> None:
    raise ValueError(_NO_GROUP)


class ReduceOp:
    """The reduction names all_reduce takes."""

    SUM, PRODUCT, MIN, MAX, AVG = "sum", "product", "min", "max", "avg"
