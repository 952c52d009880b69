"""Gaussian heatmaps: Lightning Pose's targets, soft-argmax decoding and window confidence."""
from collections.abc import Sequence
from typing import Union

import numpy as np
import torch
from torch import Tensor

from posekit.registry import KEYPOINT_CODECS
from .base import BaseKeypointCodec
from .soft_argmax import confidence_radius, soft_argmax, window_confidence

Coords = Union[Tensor, np.ndarray]


def gaussian_heatmaps(centres: Tensor, height: int, width: int, sigma: float) -> Tensor:
    """Normalised Gaussian maps, each summing to 1 (also when the border truncates it).

    Separable, each axis shifted so its peak is 1 before normalising: no underflowed sums
    for a small sigma or a centre far off the map.

    Args:
        centres: ``(..., 2)`` ``(x, y)`` in heatmap pixels (pixel centres on integers).
        height: Map height ``h``.
        width: Map width ``w``.
        sigma: Standard deviation in heatmap pixels.

    Returns:
        ``(..., h, w)`` maps in the dtype of ``centres``.
    """
    def axis(coords: Tensor, size: int) -> Tensor:
        d2 = (torch.arange(size, dtype=coords.dtype, device=coords.device)
              - coords.unsqueeze(-1)) ** 2
        g = torch.exp(-(d2 - d2.amin(-1, keepdim=True)) / (2 * sigma ** 2))
        return g / g.sum(-1, keepdim=True)

    gx, gy = axis(centres[..., 0], width), axis(centres[..., 1], height)
    return gy.unsqueeze(-1) * gx.unsqueeze(-2)


@KEYPOINT_CODECS.register_module()
class HeatmapCodec(BaseKeypointCodec):
    """One Gaussian heatmap per keypoint at ``input_size / stride``, decoded by soft-argmax.

    Pixel convention (both grids have pixel centres on integers): input pixel ``x`` is
    heatmap pixel ``(x + 0.5) / stride - 0.5``. A target is a Gaussian of std ``sigma``
    heatmap pixels normalised to sum to 1 (Lightning Pose's convention); an unlabeled (NaN)
    keypoint gets an all-zero map (``nan_target='zero'``) or a uniform one (``'uniform'``).
    Decoding is a max-normalised high-temperature soft-argmax on bicubically upsampled maps
    (:func:`~posekit.codecs.soft_argmax.soft_argmax`), and the confidence is the map's mass
    within ``floor(2 sigma)`` heatmap pixels of the keypoint (a 5×5 window at sigma 1.25).

    Args:
        input_size: ``(W, H)`` of the model input, each divisible by ``stride``.
        stride: Input pixels per heatmap pixel: 2, 4 or 8.
        sigma: Gaussian std in heatmap pixels.
        temperature: Soft-argmax temperature.
        nan_target: ``'zero'`` or ``'uniform'``.
    """

    target_keys = ('heatmaps',)

    def __init__(self, input_size: Sequence[int], stride: int = 4, sigma: float = 1.25,
                 temperature: float = 20., nan_target: str = 'zero'):
        super().__init__(input_size)
        if stride not in (2, 4, 8):
            raise ValueError(f'HeatmapCodec: stride must be 2, 4 or 8, got {stride!r}')
        if any(v % stride for v in self.input_size):
            raise ValueError(f'HeatmapCodec: input_size {self.input_size} is not divisible by '
                             f'stride {stride}')
        if not sigma > 0:
            raise ValueError(f'HeatmapCodec: sigma must be positive, got {sigma}')
        if nan_target not in ('zero', 'uniform'):
            raise ValueError(f"HeatmapCodec: nan_target must be 'zero' or 'uniform', got "
                             f'{nan_target!r}')
        self.stride = int(stride)
        self.sigma = float(sigma)
        self.temperature = float(temperature)
        self.nan_target = nan_target

    @property
    def heatmap_size(self) -> tuple[int, int]:
        """``(w, h)`` of a heatmap."""
        return self.input_size[0] // self.stride, self.input_size[1] // self.stride

    def to_heatmap(self, coords: Coords) -> Coords:
        """Input-pixel coordinates → heatmap-pixel coordinates."""
        return (coords + 0.5) / self.stride - 0.5

    def to_input(self, coords: Coords) -> Coords:
        """Heatmap-pixel coordinates → input-pixel coordinates."""
        return (coords + 0.5) * self.stride - 0.5

    def render(self, keypoints: Tensor) -> Tensor:
        """Gaussian maps centred on keypoints (a NaN keypoint gives a NaN map).

        Args:
            keypoints: ``(..., 2)`` input pixels.

        Returns:
            ``(..., h, w)`` maps, each summing to 1.
        """
        w, h = self.heatmap_size
        return gaussian_heatmaps(self.to_heatmap(keypoints), h, w, self.sigma)

    def encode(self, keypoints: np.ndarray) -> dict[str, np.ndarray]:
        """Heatmap targets of one sample.

        Args:
            keypoints: ``(K, 2)`` input pixels, NaN where unlabeled.

        Returns:
            ``heatmaps``: ``(K, h, w)`` float32.
        """
        keypoints = torch.as_tensor(np.asarray(keypoints, np.float64))
        labeled = ~keypoints.isnan().any(-1)
        w, h = self.heatmap_size
        fill = 1. / (h * w) if self.nan_target == 'uniform' else 0.
        heatmaps = torch.full((len(keypoints), h, w), fill, dtype=torch.float64)
        heatmaps[labeled] = self.render(keypoints[labeled])
        return dict(heatmaps=heatmaps.float().numpy())

    def decode(self, heatmaps: Tensor) -> tuple[Tensor, Tensor]:
        """Keypoints and confidences from heatmaps (differentiable in the keypoints).

        Args:
            heatmaps: ``(N, K, h, w)`` maps, each summing to 1.

        Returns:
            ``(keypoints (N, K, 2) in input pixels, confidences (N, K))``.
        """
        keypoints = soft_argmax(heatmaps, self.stride, self.temperature)
        conf = window_confidence(heatmaps, self.to_heatmap(keypoints.detach()),
                                 confidence_radius(self.sigma))
        return keypoints, conf

    def to_config(self) -> dict:
        return dict(super().to_config(), stride=self.stride, sigma=self.sigma,
                    temperature=self.temperature, nan_target=self.nan_target)
