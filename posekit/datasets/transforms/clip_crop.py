"""Crop unlabeled clips around a first stage's predictions (semi-supervised crop-zoom stage 2).

A stage-2 model sees crops, so the unsupervised losses must see the same: each clip of
``VideoClipDataset`` is cut at the crop boxes that the first stage's predictions of its video
give (``posekit.datasets.crop_boxes``, the same boxes as two-stage prediction). A clip gets
one window for all its frames — the box of its frames' smoothed centres, widened by their
spread — so ``input_from_frame`` stays one matrix per clip and the losses, which compare
keypoints in frame pixels, see no motion the crop would add (docs/two_stage.md).
"""
import os.path as osp
from typing import ClassVar

import numpy as np
from mmcv.transforms import BaseTransform

from posekit.datasets.crop_boxes import BoxOptions, VideoBoxes, video_boxes
from posekit.datasets.io import read_dlc_csv
from posekit.registry import TRANSFORMS
from .crop import apply_crop, box_size, crop_window


def read_boxes(path: str, options: BoxOptions, aspect: float) -> VideoBoxes:
    """The crop boxes of a video from its first-stage predictions CSV.

    Args:
        path: A ``tools/predict.py`` predictions CSV (DLC format with likelihoods, one row
            per frame).
        options: How boxes are made.
        aspect: Box width / height.

    Returns:
        One box per row of the file.
    """
    table = read_dlc_csv(path)
    confidences = table.likelihood if table.likelihood is not None \
        else np.full(table.keypoints.shape[:2], np.nan)
    return video_boxes(table.keypoints, confidences, options, aspect)


@TRANSFORMS.register_module()
class CropClipToBoxes(BaseTransform):
    """Crop a clip of ``VideoClipDataset`` around its first-stage boxes.

    The predictions of video ``<folder>/<stem>.mp4`` are ``predictions/<stem>.csv`` (the
    ``video_preds`` folder of ``tools/predict.py`` run with the stage-1 model on the unlabeled
    videos; their stems must differ). The clip's window is centred between the extreme
    smoothed box centres of its frames and is the video's box size plus their spread, brought
    back to ``aspect``.

    Args:
        predictions: Folder of the first stage's predictions CSVs.
        aspect: Box width / height, the stage-2 input's. Defaults to 1.
        **box_options: :class:`~posekit.datasets.crop_boxes.BoxOptions` fields (``padding``,
            ``min_confidence``, ``smooth_frames``, ``size_quantile``, ``min_size``); use the
            values two-stage prediction uses.
    """

    #: Pipeline stage: a crop from predictions (inference crops with the stage-1 model).
    stage: ClassVar[str] = 'crop'

    def __init__(self, predictions: str, aspect: float = 1.0, **box_options) -> None:
        if aspect <= 0:
            raise ValueError(f'CropClipToBoxes: aspect must be positive, got {aspect}')
        self.predictions = predictions
        self.aspect = float(aspect)
        self.options = BoxOptions(**box_options)
        self._boxes: dict[str, VideoBoxes] = {}

    def boxes(self, video: str) -> VideoBoxes:
        """A video's boxes, read once per process.

        Raises:
            FileNotFoundError: The video has no predictions CSV.
        """
        if video not in self._boxes:
            stem = osp.splitext(osp.basename(video))[0]
            path = osp.join(self.predictions, f'{stem}.csv')
            if not osp.isfile(path):
                raise FileNotFoundError(
                    f'CropClipToBoxes: no stage-1 predictions {path} for video {video} '
                    '(predict the unlabeled videos with the stage-1 model first)')
            self._boxes[video] = read_boxes(path, self.options, self.aspect)
        return self._boxes[video]

    def transform(self, results: dict) -> dict:
        """Crop the clip ``img (T, H, W, 3)`` and compose ``input_from_frame``.

        Args:
            results: Holds ``img``, ``input_from_frame``, ``video`` and ``frame_indices``.

        Returns:
            ``results`` cropped.

        Raises:
            ValueError: The predictions have fewer rows than the clip's last frame needs.
        """
        boxes, frames = self.boxes(results['video']), np.asarray(results['frame_indices'])
        if frames.max() >= len(boxes.centres):
            raise ValueError(f'CropClipToBoxes: the stage-1 predictions of '
                             f"{results['video']} have {len(boxes.centres)} rows, the clip "
                             f'needs frame {frames.max()}')
        centres = boxes.centres[frames]
        low, high = centres.min(axis=0), centres.max(axis=0)
        size = box_size(boxes.size + (high - low), 0., self.aspect, 1.)
        return apply_crop(results, crop_window((low + high) / 2, size))

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(predictions={self.predictions!r}, '
                f'aspect={self.aspect}, options={self.options})')
