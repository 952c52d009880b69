"""Mixed precision on whatever device runs: bf16 autocast on CPU, bf16/fp16 on CUDA."""
import contextlib
import logging
from typing import Optional

import torch
from mmengine.device import get_device
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper

from posekit.hardware import cpu_supports_bf16
from posekit.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class BF16OptimWrapper(OptimWrapper):
    """An optimizer wrapper whose forward passes run under bf16 autocast.

    bf16 has float32's exponent range, so no loss scaling is needed; this works on CPUs
    with native bf16 support and on CUDA GPUs that have it.
    """

    @contextlib.contextmanager
    def optim_context(self, model: torch.nn.Module):
        device = next(model.parameters()).device.type
        with super().optim_context(model), torch.autocast(device_type=device,
                                                          dtype=torch.bfloat16):
            yield


def amp_optim_wrapper(optim_wrapper: dict, device: Optional[str] = None) -> dict:
    """Turn an optimizer-wrapper config into its mixed-precision version for ``device``.

    Args:
        optim_wrapper: The config's ``optim_wrapper`` dict.
        device: ``'cuda'``, ``'cpu'``, ``'mps'`` or another mmengine device type; None = the
            device mmengine trains on (``mmengine.device.get_device()``: CUDA, else MPS, else
            the CPU).

    Returns:
        A new config: ``BF16OptimWrapper`` where bf16 is native, mmengine's fp16
        ``AmpOptimWrapper`` on older GPUs, or the unchanged config, with one warning, on CPUs
        without bf16 and on other devices (MPS: mmengine's validation loop cannot autocast
        there).
    """
    device = device or get_device()
    cfg = dict(optim_wrapper)
    if device == 'cuda':
        cfg['type'] = 'BF16OptimWrapper' if torch.cuda.is_bf16_supported() else 'AmpOptimWrapper'
    elif device == 'cpu' and cpu_supports_bf16():
        cfg['type'] = 'BF16OptimWrapper'
    else:
        reason = 'this CPU has no native bf16 support' if device == 'cpu' else \
            f"mmengine's validation loop cannot autocast on {device}"
        print_log(f'--amp: {reason}; training in float32', logger='current',
                  level=logging.WARNING)
    return cfg
