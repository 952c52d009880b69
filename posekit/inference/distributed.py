"""Processes started by torchrun for prediction: one device each, results gathered.

CPU ranks use gloo and make no CUDA call; each takes an equal share of the machine's cores:
it is pinned to its own ``cores // LOCAL_WORLD_SIZE`` cores (at least one) and runs as many
torch threads (overriding torchrun's ``OMP_NUM_THREADS=1``), so decoding goes between model
calls unless a rank has cores to spare (``posekit.inference.prefetch.spare_cpu``). CUDA
ranks use nccl, one GPU per local rank. The process group waits up to a week at a
collective, since ranks finish their videos at different times.
"""
import datetime
import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

#: How long a rank waits at a collective for the others.
TIMEOUT = datetime.timedelta(days=7)


@dataclass(frozen=True)
class RankInfo:
    """This process's place in the run.

    Attributes:
        rank: Global rank.
        world_size: Number of processes.
        device: The device this rank predicts on, e.g. ``'cpu'`` or ``'cuda:1'``.
    """

    rank: int
    world_size: int
    device: str


def pin_to_share(local_rank: int, local_world: int) -> int:
    """Pin this process to its share of the cores it may run on; returns the share's size.

    Args:
        local_rank: This process's rank on the machine.
        local_world: Processes on the machine.

    Returns:
        ``max(1, cores // local_world)``; without ``sched_setaffinity`` nothing is pinned.
    """
    if not hasattr(os, 'sched_setaffinity'):
        return max(1, (os.cpu_count() or 1) // local_world)
    cores = sorted(os.sched_getaffinity(0))
    size = max(1, len(cores) // local_world)
    first = (local_rank * size) % len(cores)
    os.sched_setaffinity(0, cores[first:first + size])
    return size


def init_ranks(launcher: str, device: str) -> RankInfo:
    """Join torchrun's process group (``launcher='pytorch'``) or run alone (``'none'``).

    Args:
        launcher: ``'none'`` or ``'pytorch'``.
        device: ``'cpu'`` or ``'cuda'`` (with the launcher, each rank takes GPU
            ``LOCAL_RANK``).

    Returns:
        The :class:`RankInfo`.

    Raises:
        ValueError: ``'pytorch'`` outside torchrun (no ``RANK`` / ``WORLD_SIZE``).
    """
    if launcher == 'none':
        return RankInfo(0, 1, device)
    if 'RANK' not in os.environ or 'WORLD_SIZE' not in os.environ:
        raise ValueError('--launcher pytorch needs torchrun (RANK and WORLD_SIZE are not set)')
    local_rank = int(os.environ.get('LOCAL_RANK', 0))
    if device.startswith('cuda'):
        device = f'cuda:{local_rank}'
        torch.cuda.set_device(device)
        backend = 'nccl'
    else:
        local_world = int(os.environ.get('LOCAL_WORLD_SIZE', os.environ['WORLD_SIZE']))
        torch.set_num_threads(pin_to_share(local_rank, local_world))
        backend = 'gloo'
    dist.init_process_group(backend, timeout=TIMEOUT)
    return RankInfo(dist.get_rank(), dist.get_world_size(), device)


def share(obj: Any, info: RankInfo) -> Any:
    """Rank 0's ``obj`` on every rank (``obj`` itself when alone)."""
    if info.world_size == 1:
        return obj
    box = [obj if info.rank == 0 else None]
    dist.broadcast_object_list(box, src=0, device=torch.device(info.device))
    return box[0]


def gather(items: list, info: RankInfo) -> list:
    """Every rank's ``items``, concatenated in rank order, on every rank."""
    if info.world_size == 1:
        return list(items)
    boxes: list = [None] * info.world_size
    dist.all_gather_object(boxes, items)
    return [item for box in boxes for item in box]


def finish(info: RankInfo) -> None:
    """Leave the process group."""
    if dist.is_initialized():
        dist.destroy_process_group()
