"""Animal-centred crop boxes of a video from the first stage's keypoints (docs/two_stage.md).

Per frame, the box holds the keypoints the first stage is confident about (confidence at
least ``min_confidence``; every finite keypoint for models without confidences): its centre
is the midpoint of their extent, as in stage-2 training (``CropAroundKeypoints``). Frames
without a confident keypoint take the centre interpolated between their neighbours (when no
frame has one, a warning is logged and every keypoint counts); the
centres are then smoothed over time with a centred moving average. The box size is fixed per
video: the ``size_quantile`` of the per-frame extents, padded and brought to the stage-2
input's aspect ratio (:func:`~posekit.datasets.transforms.crop.box_size`).
"""
import logging
from dataclasses import dataclass

import numpy as np
from mmengine.logging import print_log

from posekit.datasets.transforms.crop import Window, box_size, crop_window, keypoint_extent


@dataclass(frozen=True)
class BoxOptions:
    """How a video's crop boxes are made.

    Attributes:
        padding: Margin on each side, as a fraction of the larger extent side.
        min_confidence: Keypoints below this stage-1 confidence do not count.
        smooth_frames: Width of the centred moving average of the box centres (frames, odd;
            1: no smoothing).
        size_quantile: Quantile of the per-frame extents that sets the video's box size.
        min_size: Smallest box height in pixels.
    """

    padding: float = 0.25
    min_confidence: float = 0.2
    smooth_frames: int = 9
    size_quantile: float = 0.95
    min_size: float = 16.

    def __post_init__(self):
        if self.smooth_frames < 1 or self.smooth_frames % 2 == 0:
            raise ValueError(f'crop_box.smooth_frames must be a positive odd number of '
                             f'frames, got {self.smooth_frames}')
        if not 0 <= self.size_quantile <= 1:
            raise ValueError(f'crop_box.size_quantile must be in [0, 1], got '
                             f'{self.size_quantile}')
        if self.padding < 0 or self.min_size < 1:
            raise ValueError(f'crop_box.padding must be >= 0 and min_size >= 1, got '
                             f'{self.padding}, {self.min_size}')


@dataclass
class VideoBoxes:
    """The crop boxes of a video's frames.

    Attributes:
        centres: ``(T, 2)`` smoothed box centres, frame pixels.
        size: ``(2,)`` box ``(width, height)`` shared by every frame.
    """

    centres: np.ndarray
    size: np.ndarray

    def window(self, t: int) -> Window:
        """Frame ``t``'s integer crop window ``(left, top, width, height)``."""
        return crop_window(self.centres[t], self.size)


def confident_extents(keypoints: np.ndarray, confidences: np.ndarray, min_confidence: float
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Centre and size of each frame's confident keypoints.

    Args:
        keypoints: ``(T, K, 2)`` frame pixels.
        confidences: ``(T, K)``; all NaN for models without confidences (every finite
            keypoint counts).
        min_confidence: Keypoints below it are left out.

    Returns:
        ``centres (T, 2)`` and ``sizes (T, 2)``, NaN for frames without a confident keypoint.
    """
    keep = confidences >= min_confidence if np.isfinite(confidences).any() \
        else np.ones(confidences.shape, bool)
    masked = np.where(keep[..., None], keypoints, np.nan)
    centres, sizes = zip(*(keypoint_extent(frame) for frame in masked)) if len(masked) \
        else ((), ())
    return np.reshape(centres, (-1, 2)), np.reshape(sizes, (-1, 2))


def fill_gaps(track: np.ndarray) -> np.ndarray:
    """Linearly interpolate the NaN rows of a ``(T, D)`` track (ends hold the nearest value).

    Args:
        track: ``(T, D)`` values, NaN rows missing.

    Returns:
        ``(T, D)`` float64 without NaN.


    Raises:
        ValueError: No row is finite.
    """
    finite = np.isfinite(track).all(axis=1)
    if not finite.any():
        raise ValueError('no frame has a stage-1 keypoint to centre a crop box on (the '
                         'first stage predicted none)')
    t = np.arange(len(track))
    return np.stack([np.interp(t, t[finite], track[finite, d]) for d in range(track.shape[1])],
                    axis=1)


def smooth_track(track: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average of a ``(T, D)`` track over ``width`` frames (odd).

    The track's first and last rows are repeated beyond its ends, so a constant track stays
    constant and a short video is still smoothed.

    Returns:
        ``(T, D)`` float64.
    """
    half = width // 2
    padded = np.concatenate([np.repeat(track[:1], half, 0), track,
                             np.repeat(track[-1:], half, 0)])
    sums = np.cumsum(np.concatenate([np.zeros((1, track.shape[1])), padded]), axis=0)
    return (sums[width:] - sums[:-width]) / width


def video_boxes(keypoints: np.ndarray, confidences: np.ndarray, options: BoxOptions,
                aspect: float) -> VideoBoxes:
    """The crop boxes of a video from its stage-1 predictions.

    Args:
        keypoints: ``(T, K, 2)`` stage-1 keypoints, frame pixels.
        confidences: ``(T, K)`` stage-1 confidences (NaN without).
        options: Padding, confidence threshold, smoothing and size quantile.
        aspect: Box width / height (the stage-2 input's).

    Returns:
        The :class:`VideoBoxes`.

    Raises:
        ValueError: No frame has a finite keypoint.
    """
    centres, sizes = confident_extents(keypoints, confidences, options.min_confidence)
    if len(centres) and np.isnan(centres).all() and np.isfinite(keypoints).any():
        print_log(f'stage 1 reaches confidence {options.min_confidence} on no keypoint of any '
                  f'frame (highest {np.nanmax(confidences):.3f}): crop boxes from all its '
                  'keypoints', logger='current', level=logging.WARNING)
        centres, sizes = confident_extents(keypoints, confidences, -np.inf)
    centres = smooth_track(fill_gaps(centres), options.smooth_frames)
    extent = np.nanquantile(sizes, options.size_quantile, axis=0)
    return VideoBoxes(centres, box_size(extent, options.padding, aspect, options.min_size))
