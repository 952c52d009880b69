"""Distributed training that runs anywhere: ``gloo`` on CPUs, ``nccl`` on CUDA GPUs.

mmengine's ``init_dist`` always calls ``torch.cuda.set_device`` and its default model
wrapper passes ``device_ids=[LOCAL_RANK]``, so distributed training dies on a machine
without GPUs. :func:`setup_distributed` (called when a config is prepared, before the
Runner exists) picks the backend from the hardware, writes it into
``env_cfg.dist_cfg.backend``, starts the ``gloo`` process group itself on CPUs (the Runner
then finds it started and skips ``init_dist``) and selects :class:`DeviceAgnosticDDP`,
which passes ``device_ids`` only for CUDA modules.

Launch with torchrun (``tools/dist_train.sh``; README "Distributed training"), on one or
several machines; under SLURM, ``srun`` starts one torchrun per node.
"""
from datetime import timedelta

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.dist import barrier, get_rank
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS


def dist_backend() -> str:
    """``'nccl'`` when CUDA is available, else ``'gloo'``."""
    return 'nccl' if torch.cuda.is_available() else 'gloo'


@MODEL_WRAPPERS.register_module()
class DeviceAgnosticDDP(MMDistributedDataParallel):
    """mmengine's ``MMDistributedDataParallel`` for CUDA and CPU modules alike.

    Args:
        module: The model.
        device_ids: Kept for CUDA modules (the Runner passes ``[LOCAL_RANK]``), dropped for
            CPU modules, which torch's DDP refuses to give device ids.
        **kwargs: Passed to ``MMDistributedDataParallel``.
    """

    def __init__(self, module: torch.nn.Module, device_ids=None, **kwargs):
        on_cuda = any(p.is_cuda for p in module.parameters())
        super().__init__(module=module, device_ids=device_ids if on_cuda else None, **kwargs)


def setup_distributed(cfg: Config) -> None:
    """Prepare ``cfg`` for ``cfg.launcher`` and start the CPU process group.

    Does nothing for ``launcher='none'``. Otherwise sets ``env_cfg.dist_cfg.backend`` to
    :func:`dist_backend`, selects :class:`DeviceAgnosticDDP` unless the config names a
    ``model_wrapper_cfg`` (with ``find_unused_parameters`` on unless the config turns it
    off: e.g. ``EfficientNetLite0`` keeps its pretrained classifier, which no forward
    uses), and on CPUs starts the ``gloo`` group from torchrun's
    environment (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``).

    Args:
        cfg: The config, ``cfg.launcher`` set.

    Raises:
        ValueError: A launcher other than ``pytorch`` on a machine without CUDA.
    """
    launcher = cfg.get('launcher', 'none')
    if launcher == 'none':
        return
    backend = dist_backend()
    cfg.env_cfg = dict(cfg.get('env_cfg') or {})
    cfg.env_cfg['dist_cfg'] = dict(cfg.env_cfg.get('dist_cfg') or {}, backend=backend)
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(
            type='DeviceAgnosticDDP', broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', True))
    if backend == 'gloo' and not torch_dist.is_initialized():
        if launcher != 'pytorch':
            raise ValueError(f'--launcher {launcher} needs CUDA; on CPUs start the processes '
                             'with torchrun (tools/dist_train.sh, --launcher pytorch)')
        timeout = cfg.env_cfg['dist_cfg'].get('timeout', 1800)
        torch_dist.init_process_group(backend='gloo', timeout=timedelta(seconds=timeout))


def on_main_process_first(cfg: Config, prepare) -> None:
    """Run ``prepare(cfg)`` on rank 0, then (after a barrier) on the other ranks.

    For preparations that write files (e.g. generating the toy data): the other ranks find
    them complete.

    Args:
        cfg: The config.
        prepare: A callable taking ``cfg``.
    """
    if get_rank() == 0:
        prepare(cfg)
    barrier()
    if get_rank() != 0:
        prepare(cfg)
