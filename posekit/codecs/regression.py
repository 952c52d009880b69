"""Normalised coordinates: what a regression head predicts."""
import numpy as np
import torch
from torch import Tensor

from posekit.registry import KEYPOINT_CODECS
from .base import BaseKeypointCodec


@KEYPOINT_CODECS.register_module()
class RegressionCodec(BaseKeypointCodec):
    """Keypoints as normalised coordinates: -1 and 1 are the input's outer pixel borders.

    Input pixel ``x`` (pixel centres on integers, borders at -0.5 and ``W - 0.5``) is
    ``u = 2 (x + 0.5) / W - 1``; likewise ``y`` with ``H``. The centre of the input is 0.

    Args:
        input_size: ``(W, H)`` of the model input.
    """

    target_keys = ('keypoints_normalised',)

    def _size(self, like: Tensor) -> Tensor:
        return torch.as_tensor(self.input_size, dtype=like.dtype, device=like.device)

    def encode(self, keypoints: np.ndarray) -> dict[str, np.ndarray]:
        """Normalised targets of one sample.

        Args:
            keypoints: ``(K, 2)`` input pixels, NaN where unlabeled.

        Returns:
            ``keypoints_normalised``: ``(K, 2)`` float32, NaN where unlabeled.
        """
        size = np.asarray(self.input_size, np.float64)
        normalised = 2 * (np.asarray(keypoints, np.float64) + 0.5) / size - 1
        return dict(keypoints_normalised=normalised.astype(np.float32))

    def decode(self, normalised: Tensor) -> Tensor:
        """Input-pixel keypoints from normalised ones.

        Args:
            normalised: ``(N, K, 2)``.

        Returns:
            ``(N, K, 2)`` input pixels.
        """
        return (normalised + 1) * self._size(normalised) / 2 - 0.5
