"""Mixed-precision inference: which dtype a device runs at, and the autocast around a model.

``amp=True`` means bf16 autocast with channels-last weights and inputs on CPUs with native
bf16 instructions (AVX512-BF16 or AMX, :func:`~posekit.hardware.cpu_supports_bf16`), bf16
on CUDA GPUs that support it and fp16 on older ones. On a CPU without bf16 the model runs in
float32 (with a warning): emulated bf16 is slower than float32. Keypoint decoding always
runs in float32 (the codec's soft-argmax and confidences turn autocast off and cast the
heatmaps up). :func:`set_amp` runs only the backbone under autocast: the head, the decoding
and the map to frame pixels (coordinates of hundreds of pixels, which bf16 would round to
whole pixels) stay in float32. The backbone holds nearly all of the computation.
"""
import logging
from typing import Any, Optional

import torch
from mmengine.logging import print_log
from torch import Tensor, nn

from posekit.hardware import cpu_supports_bf16


def amp_dtype(device: torch.device) -> Optional[torch.dtype]:
    """The autocast dtype of ``--amp`` on a device, or None where it would not pay off.

    Args:
        device: Where the model runs.

    Returns:
        ``torch.bfloat16`` (CUDA with bf16, CPUs with native bf16), ``torch.float16`` (older
        CUDA GPUs) or None (CPUs without native bf16; a warning is logged).
    """
    if device.type == 'cuda':
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.type == 'cpu' and cpu_supports_bf16():
        return torch.bfloat16
    print_log(f'--amp: no native bf16 on {device.type}; predicting in float32',
              logger='current', level=logging.WARNING)
    return None


class _BackboneAutocast:
    """Forward hooks running a backbone under autocast and handing on float32 features."""

    def __init__(self, device_type: str, dtype: torch.dtype):
        self.device_type, self.dtype = device_type, dtype
        self._contexts: list[torch.autocast] = []

    def enter(self, module: nn.Module, args: tuple) -> None:
        context = torch.autocast(self.device_type, dtype=self.dtype)
        context.__enter__()
        self._contexts.append(context)

    def exit(self, module: nn.Module, args: tuple, output: Any) -> Any:
        self._contexts.pop().__exit__(None, None, None)
        if isinstance(output, Tensor):
            return output.float()
        return type(output)(x.float() if isinstance(x, Tensor) else x for x in output)


def set_amp(model: nn.Module, enabled: bool, dtype: Optional[torch.dtype] = None
            ) -> nn.Module:
    """Run a model's backbone under bf16/fp16 autocast (see the module docstring), or not.

    Sets ``model.amp_dtype`` (None when disabled, or when the device has no fast low
    precision). When enabled, the weights and the normalised inputs go to channels-last
    memory format and forward hooks wrap ``model.backbone`` in autocast; its features leave
    it in float32, so the head and everything after it run in float32. Disabling removes the
    hooks (the memory format stays: float32 runs in either).

    Args:
        model: A ``PoseTracker`` on its device (``.to(device)`` afterwards keeps the hooks
            but not the dtype choice: call again after moving it).
        enabled: Mixed precision on or off.
        dtype: ``torch.bfloat16`` or ``torch.float16`` instead of the device's choice
            (:func:`amp_dtype`).

    Returns:
        The same model.
    """
    for handle in getattr(model, '_amp_hooks', ()):
        handle.remove()
    model._amp_hooks = []
    device = next(model.parameters()).device
    model.amp_dtype = (dtype or amp_dtype(device)) if enabled else None
    if model.amp_dtype is not None:
        model.to(memory_format=torch.channels_last)
        model.data_preprocessor.channels_last = True
        hooks = _BackboneAutocast(device.type, model.amp_dtype)
        model._amp_hooks = [model.backbone.register_forward_pre_hook(hooks.enter),
                            model.backbone.register_forward_hook(hooks.exit, always_call=True)]
    return model
