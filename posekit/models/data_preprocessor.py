"""Moves batches to the model's device and normalises images there."""
from collections.abc import Sequence
from typing import Any

import torch
from mmengine.model import BaseDataPreprocessor
from torch import Tensor

from posekit.registry import MODELS


@MODELS.register_module()
class PoseDataPreprocessor(BaseDataPreprocessor):
    """Cast a collated batch to the model's device and normalise its uint8 images.

    Handles ``inputs`` (labeled frames, ``(N, 3, H, W)``, or frame stacks of context models,
    ``(N, F, 3, H, W)``) and, when present, ``unlabeled['inputs']`` (a video clip,
    ``(T, 3, H, W)``) the same way.

    Args:
        mean: Per-channel mean subtracted from 0-255 RGB values (ImageNet's by default).
        std: Per-channel std the values are divided by.
        channels_last: Return 4-D images in channels-last memory format (faster convolutions
            on CPUs with AVX-512 and on tensor cores); frame stacks stay contiguous.
    """

    def __init__(self, mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375), channels_last: bool = False):
        super().__init__()
        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1),
                             persistent=False)
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1),
                             persistent=False)
        self.channels_last = channels_last

    def normalize(self, images: Tensor) -> Tensor:
        """``(N, 3, H, W)`` or ``(N, F, 3, H, W)`` uint8 → float32 ``(images - mean) / std``."""
        images = (images.float() - self.mean) / self.std
        if self.channels_last and images.dim() == 4:
            images = images.contiguous(memory_format=torch.channels_last)
        return images

    def forward(self, data: dict, training: bool = False) -> dict[str, Any]:
        """Cast ``data`` to the device and normalise its images.

        Args:
            data: A collated batch ``dict(inputs=..., data_samples=..., [unlabeled=...])``.
            training: Unused; kept for mmengine's interface.

        Returns:
            The same structure with float, normalised images on the device.
        """
        data = self.cast_data(data)
        data['inputs'] = self.normalize(data['inputs'])
        if data.get('unlabeled') is not None:
            data['unlabeled']['inputs'] = self.normalize(data['unlabeled']['inputs'])
        return data
