"""Crop-zoom prediction of single images, and its errors on labeled frames in frame pixels.

A labeled frame has no neighbours to smooth a box over, so each image gets its own box: the
extent of stage 1's confident keypoints (every keypoint when none is confident), padded and
brought to the stage-2 aspect as in training (``CropAroundKeypoints``). ``tools/test.py``
reports these errors for a two-stage config beside stage 2's errors on crops around the
labels (docs/two_stage.md).
"""
import os.path as osp
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from posekit.datasets.io import write_csv_atomic
from posekit.datasets.transforms.crop import Window, box_size, crop_image, crop_matrix, \
    crop_window
from posekit.datasets.crop_boxes import confident_extents
from .images import _as_frame, predict_frames
from .metrics import pixel_errors
from .predictor import VideoInference
from .two_stage import TwoStageModel


def image_windows(keypoints: np.ndarray, confidences: np.ndarray, pair: TwoStageModel
                  ) -> list[Window]:
    """One crop window per image from its stage-1 keypoints.

    Args:
        keypoints: ``(N, K, 2)`` stage-1 keypoints, image pixels.
        confidences: ``(N, K)`` (NaN without).
        pair: Gives the box options and stage 2's input aspect.

    Returns:
        ``N`` windows ``(left, top, width, height)``; an image without any finite keypoint
        gets a window of ``min_size`` at its origin.
    """
    options = pair.box_options
    width, height = pair.stage2.input_size
    confident = confident_extents(keypoints, confidences, options.min_confidence)
    every = confident_extents(keypoints, confidences, -np.inf)
    windows = []
    for i in range(len(keypoints)):
        centre, extent = (confident if np.isfinite(confident[0][i]).all() else every)
        centre, extent = centre[i], extent[i]
        if not np.isfinite(centre).all():
            centre, extent = np.zeros(2), np.zeros(2)
        size = box_size(extent, options.padding, width / height, options.min_size)
        windows.append(crop_window(centre, size))
    return windows


def predict_frames_two_stage(pair: TwoStageModel, images: Sequence, batch_size: int = 16
                             ) -> tuple[np.ndarray, np.ndarray]:
    """Predict single images with both stages.

    Args:
        pair: The :class:`~posekit.inference.two_stage.TwoStageModel` (stage 2 without
            context frames).
        images: ``(H, W, 3)`` uint8 RGB images or image paths; sizes may differ.
        batch_size: Images per model call.

    Returns:
        ``keypoints (N, K, 2)`` in each image's pixels and ``confidences (N, K)``, stage 2's.
    """
    frames = [_as_frame(image) for image in images]
    first, first_conf = predict_frames(pair.stage1, frames, batch_size)
    windows = image_windows(first, first_conf, pair)
    step = VideoInference(pair.stage2, batch_size)
    keypoints, confidences = [], []
    with torch.inference_mode():
        for start in range(0, len(frames), batch_size):
            chunk = range(start, min(start + batch_size, len(frames)))
            inputs, input_from_crop = pair.stage2.frame_pipeline.batch(
                crop_image(frames[i], windows[i]) for i in chunk)
            from_frame = torch.from_numpy(np.stack([crop_matrix(windows[i]) for i in chunk]))
            outputs = step.predict_batch(inputs, input_from_crop @ from_frame)
            keypoints.append(outputs['keypoints_pred'].double().cpu().numpy())
            conf = outputs.get('confidences')
            confidences.append(conf.double().cpu().numpy() if conf is not None
                               else np.full(keypoints[-1].shape[:2], np.nan))
    k = pair.stage2.head.num_keypoints
    if not keypoints:
        return np.zeros((0, k, 2)), np.zeros((0, k))
    return np.concatenate(keypoints), np.concatenate(confidences)


def evaluate_two_stage_frames(pair: TwoStageModel, items: Sequence[dict], out_dir: str,
                              batch_size: int = 16) -> dict[str, float]:
    """Two-stage pixel errors on labeled frames, in frame pixels, per split.

    Writes ``two_stage_pixel_error.csv`` (one row per labeled frame, one column per keypoint,
    a final ``set`` column) into ``out_dir``.

    Args:
        pair: The two stages.
        items: The labeled frames: dicts with ``img_path``, ``image`` (row name),
            ``keypoints (K, 2)`` frame px and ``set`` (a ``LabeledFramesDataset``'s
            ``data_list``).
        out_dir: Output folder.
        batch_size: Images per model call.

    Returns:
        ``two_stage/pixel_error_<set>`` (mean over labeled keypoints) for every set present.
    """
    keypoints, _ = predict_frames_two_stage(pair, [item['img_path'] for item in items],
                                            batch_size)
    labels = np.stack([item['keypoints'] for item in items]) if items else keypoints
    errors = pd.DataFrame(pixel_errors(keypoints, labels),
                          index=[item['image'] for item in items],
                          columns=pair.dataset_meta['keypoint_names'])
    errors['set'] = [item['set'] for item in items]
    write_csv_atomic(errors, osp.join(out_dir, 'two_stage_pixel_error.csv'))
    metrics = {}
    for name, group in errors.groupby('set', sort=False):
        values = group.drop(columns='set').to_numpy(float)
        metrics[f'two_stage/pixel_error_{name}'] = float(np.nanmean(values))
    return metrics
