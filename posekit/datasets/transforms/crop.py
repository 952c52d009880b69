"""Crops around the animal: the box geometry shared by stage-2 training and two-stage inference.

A crop is an integer pixel window ``(left, top, width, height)`` of the frame: crop pixel
``(i, j)`` is frame pixel ``(left + i, top + j)``, so a coordinate maps by a pure translation
``x -> x - left`` (no resampling, no blur) and zeros pad where the window leaves the frame.
:class:`CropAroundKeypoints` cuts it around a sample's labels for training; the two-stage
predictor (``posekit.inference.two_stage``) cuts it around the first stage's keypoints, then
both hand the crop to the same image steps (``Resize`` …), so stage 2 sees the same kind of
input in training and prediction (docs/two_stage.md).
"""
from typing import ClassVar, Optional

import numpy as np
from mmcv.transforms import BaseTransform

from posekit.registry import TRANSFORMS
from .frames import map_frames
from .geometric import update_geometry

Window = tuple[int, int, int, int]


def keypoint_extent(keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centre and size of the axis-aligned extent of the finite keypoints.

    Args:
        keypoints: ``(K, 2)`` pixels, NaN rows ignored.

    Returns:
        ``centre (2,)`` (the extent's midpoint) and ``size (2,)`` (``max - min``), float64;
        both NaN when no keypoint is finite.
    """
    finite = np.isfinite(keypoints).all(axis=1)
    if not finite.any():
        return np.full(2, np.nan), np.full(2, np.nan)
    low, high = keypoints[finite].min(axis=0), keypoints[finite].max(axis=0)
    return (low + high) / 2, high - low


def box_size(extent: np.ndarray, padding: float, aspect: float, min_size: float
             ) -> np.ndarray:
    """The box that holds an extent with padding, at a fixed aspect ratio.

    Args:
        extent: ``(2,)`` width and height to hold.
        padding: Added on each side, as a fraction of the larger side
            (``side = (1 + 2 padding) * max``).
        aspect: Box width / height (the stage-2 input's).
        min_size: Smallest box height, in pixels.

    Returns:
        ``(2,)`` box ``(width, height)``: height ``max(extent_h, extent_w / aspect)``
        times ``1 + 2 padding``, at least ``min_size``; width ``aspect * height``.
    """
    height = max(extent[1], extent[0] / aspect) * (1 + 2 * padding)
    height = max(height, min_size)
    return np.array([aspect * height, height])


def crop_window(centre: np.ndarray, size: np.ndarray) -> Window:
    """The integer window of a box: ``size`` rounded, centred on ``centre`` to within 0.5 px.

    Args:
        centre: ``(2,)`` box centre in frame pixels.
        size: ``(2,)`` box ``(width, height)`` in pixels.

    Returns:
        ``(left, top, width, height)`` ints; ``width, height >= 1``.
    """
    width, height = (max(int(round(s)), 1) for s in size)
    # the window's centre, in frame coordinates, is left + (width - 1) / 2
    left = int(np.floor(centre[0] - (width - 1) / 2 + 0.5))
    top = int(np.floor(centre[1] - (height - 1) / 2 + 0.5))
    return left, top, width, height


def crop_matrix(window: Window) -> np.ndarray:
    """The ``(3, 3)`` float64 affine from frame to crop pixels (a translation)."""
    left, top = window[:2]
    return np.array([[1., 0., -left], [0., 1., -top], [0., 0., 1.]])


def crop_image(img: np.ndarray, window: Window) -> np.ndarray:
    """Cut a window out of an image, zeros where it leaves the image.

    Args:
        img: ``(H, W, C)`` or ``(H, W)`` image.
        window: ``(left, top, width, height)``.

    Returns:
        ``(height, width, ...)`` image of ``img``'s dtype.
    """
    left, top, width, height = window
    out = np.zeros((height, width) + img.shape[2:], img.dtype)
    x0, y0 = max(left, 0), max(top, 0)
    x1, y1 = min(left + width, img.shape[1]), min(top + height, img.shape[0])
    if x1 > x0 and y1 > y0:
        out[y0 - top:y1 - top, x0 - left:x1 - left] = img[y0:y1, x0:x1]
    return out


def apply_crop(results: dict, window: Window) -> dict:
    """Crop ``results['img']`` (every frame of a stack alike) and map its geometry.

    Args:
        results: Holds ``img``, ``input_from_frame`` and optionally ``keypoints``.
        window: The crop, in the current image's pixels.

    Returns:
        ``results`` with the crop as ``img``; keypoints outside it are NaN.
    """
    img = map_frames(lambda frame: crop_image(frame, window), results['img'])
    return update_geometry(results, crop_matrix(window), img)


@TRANSFORMS.register_module()
class CropAroundKeypoints(BaseTransform):
    """Crop the image around the labeled keypoints (stage 2 of the crop-zoom pipeline).

    The box holds the finite keypoints' extent plus ``padding`` on each side, at the aspect
    ratio ``aspect`` (or is ``fixed_size``), centred on the extent's midpoint. In training,
    ``centre_jitter`` moves the centre by up to that fraction of the box per axis and
    ``scale_jitter`` scales the box by a factor in ``[1 - s, 1 + s]`` (uniform draws; use 0 for
    validation and test). Keypoints left outside the crop become NaN. A sample without any
    finite keypoint is not cropped. ``input_from_frame`` records the crop, so predictions map
    back to frame pixels.

    Inference skips this step (``stage = 'crop'``): the two-stage predictor crops around the
    first stage's keypoints instead (``posekit.inference.two_stage``).

    Args:
        padding: Margin on each side as a fraction of the larger extent side. Defaults to 0.25.
        aspect: Box width / height, the stage-2 input's. Defaults to 1 (square).
        min_size: Smallest box height in pixels. Defaults to 16.
        fixed_size: ``(W, H)`` box in frame pixels for every sample, replacing ``padding``,
            ``aspect`` and ``min_size``. Defaults to None.
        centre_jitter: Largest centre shift per axis, as a fraction of the box side.
            Defaults to 0.
        scale_jitter: Largest relative change of the box size. Defaults to 0.
    """

    #: Pipeline stage: a crop from the labels (inference crops around stage 1's keypoints).
    stage: ClassVar[str] = 'crop'

    def __init__(self, padding: float = 0.25, aspect: float = 1.0, min_size: float = 16.,
                 fixed_size: Optional[tuple[int, int]] = None, centre_jitter: float = 0.,
                 scale_jitter: float = 0.) -> None:
        if padding < 0 or aspect <= 0 or min_size < 1:
            raise ValueError('CropAroundKeypoints: padding must be >= 0, aspect > 0 and '
                             f'min_size >= 1, got {padding}, {aspect}, {min_size}')
        if not 0 <= centre_jitter <= 0.5 or not 0 <= scale_jitter < 1:
            raise ValueError('CropAroundKeypoints: centre_jitter must be in [0, 0.5] and '
                             f'scale_jitter in [0, 1), got {centre_jitter}, {scale_jitter}')
        if fixed_size is not None and min(fixed_size) < 1:
            raise ValueError(f'CropAroundKeypoints: fixed_size must be positive, got '
                             f'{fixed_size}')
        self.padding, self.aspect, self.min_size = float(padding), float(aspect), float(min_size)
        self.fixed_size = None if fixed_size is None else np.asarray(fixed_size, float)
        self.centre_jitter, self.scale_jitter = float(centre_jitter), float(scale_jitter)

    def box(self, keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The box around ``(K, 2)`` keypoints before jitter: ``centre (2,)``, ``size (2,)``."""
        centre, extent = keypoint_extent(keypoints)
        size = self.fixed_size if self.fixed_size is not None else \
            box_size(extent, self.padding, self.aspect, self.min_size)
        return centre, size

    def transform(self, results: dict) -> dict:
        """Crop ``img`` around ``keypoints`` and map ``keypoints`` and ``input_from_frame``.

        Args:
            results: Holds ``img``, ``keypoints (K, 2)`` and ``input_from_frame``.

        Returns:
            ``results`` cropped (unchanged when no keypoint is labeled).
        """
        centre, size = self.box(results['keypoints'].astype(np.float64))
        if not np.isfinite(centre).all():
            return results
        if self.scale_jitter:
            size = size * np.random.uniform(1 - self.scale_jitter, 1 + self.scale_jitter)
        if self.centre_jitter:
            centre = centre + np.random.uniform(-self.centre_jitter, self.centre_jitter,
                                                2) * size
        return apply_crop(results, crop_window(centre, size))

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(padding={self.padding}, aspect={self.aspect}, '
                f'min_size={self.min_size}, fixed_size={self.fixed_size}, '
                f'centre_jitter={self.centre_jitter}, scale_jitter={self.scale_jitter})')


__all__ = ['CropAroundKeypoints', 'apply_crop', 'box_size', 'crop_image', 'crop_matrix',
           'crop_window', 'keypoint_extent']
