"""Gaussian heatmap targets for heatmap heads."""
from typing import ClassVar

import numpy as np
from mmcv.transforms import BaseTransform

from posekit.registry import TRANSFORMS
from .frames import frame_size


@TRANSFORMS.register_module()
class GenerateHeatmapTarget(BaseTransform):
    """Render one normalised Gaussian per keypoint at ``input_size / 2**downsample``.

    A keypoint at image pixel ``x`` sits at heatmap pixel ``(x + 0.5) / 2**downsample - 0.5``
    (pixel centres at integers on both grids). Each map is a Gaussian of standard deviation
    ``sigma`` heatmap pixels, normalised to sum to 1 (Lightning Pose's convention), also when
    the border truncates it.

    Args:
        sigma (float): Gaussian standard deviation in heatmap pixels. Defaults to 1.25.
        downsample (int): The heatmap is ``2**downsample`` times smaller than the image.
            Defaults to 2.
        nan_target (str): Map for an unlabeled (NaN) keypoint: ``'zero'`` (all zeros) or
            ``'uniform'`` (``1 / (h * w)`` everywhere). Defaults to ``'zero'``.
    """

    #: Pipeline stage: a training target from the labels (inference skips it; see the
    #: package docstring).
    stage: ClassVar[str] = 'target'

    def __init__(self, sigma: float = 1.25, downsample: int = 2, nan_target: str = 'zero'
                 ) -> None:
        if not sigma > 0:
            raise ValueError(f'sigma must be positive, got {sigma}')
        if int(downsample) != downsample or downsample < 0:
            raise ValueError(f'downsample must be a non-negative int, got {downsample}')
        if nan_target not in ('zero', 'uniform'):
            raise ValueError(f"nan_target must be 'zero' or 'uniform', got {nan_target!r}")
        self.sigma = float(sigma)
        self.downsample = int(downsample)
        self.nan_target = nan_target

    def transform(self, results: dict) -> dict:
        """Store ``results['heatmaps']``, ``(K, H / 2**d, W / 2**d)`` float32.

        Args:
            results (dict): Holds ``img`` (an image or a frame stack) and ``keypoints``
                ``(K, 2)`` in image pixels (a stack's labels are its centre frame's).

        Returns:
            dict: ``results`` with ``heatmaps``.

        Raises:
            ValueError: The image height or width is not divisible by ``2**downsample``.
        """
        height, width = frame_size(results['img'])
        stride = 2 ** self.downsample
        if height % stride or width % stride:
            raise ValueError(f'image size {width}x{height} (WxH) is not divisible by '
                             f'2**downsample = {stride}')
        h, w = height // stride, width // stride
        centres = (results['keypoints'].astype(np.float64) + 0.5) / stride - 0.5
        labeled = ~np.isnan(centres).any(axis=1)
        # Separable Gaussian, each axis shifted so its peak value is 1: normalising then never
        # divides by an underflowed sum, even for tiny sigma or a keypoint on the border.
        dx2 = (np.arange(w) - centres[labeled, :1]) ** 2
        dy2 = (np.arange(h) - centres[labeled, 1:]) ** 2
        gx = np.exp(-(dx2 - dx2.min(axis=1, keepdims=True)) / (2 * self.sigma ** 2))
        gy = np.exp(-(dy2 - dy2.min(axis=1, keepdims=True)) / (2 * self.sigma ** 2))
        gx /= gx.sum(axis=1, keepdims=True)
        gy /= gy.sum(axis=1, keepdims=True)
        fill = 1. / (h * w) if self.nan_target == 'uniform' else 0.
        heatmaps = np.full((len(centres), h, w), fill, np.float32)
        heatmaps[labeled] = gy[:, :, None] * gx[:, None, :]
        results['heatmaps'] = heatmaps
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(sigma={self.sigma}, downsample={self.downsample}, '
                f'nan_target={self.nan_target!r})')
