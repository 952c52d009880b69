"""Predict single images of any size (labeled frames, stills), each preprocessed alone."""
import os
from collections.abc import Sequence
from typing import Union

import cv2
import numpy as np
import torch
from torch import nn

from .predictor import VideoInference

Image = Union[str, os.PathLike, np.ndarray]


def read_image(path: Union[str, os.PathLike]) -> np.ndarray:
    """An image file as ``(H, W, 3)`` uint8 RGB.

    Raises:
        FileNotFoundError: The file is missing or not an image.
    """
    bgr = cv2.imread(os.fspath(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(f'cannot read image {os.fspath(path)!r}')
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _as_frame(image: Image) -> np.ndarray:
    """An image file or array as a checked ``(H, W, 3)`` uint8 RGB array."""
    frame = read_image(image) if isinstance(image, (str, os.PathLike)) else np.asarray(image)
    if frame.ndim != 3 or frame.shape[-1] != 3 or frame.dtype != np.uint8:
        raise ValueError(f'images must be (H, W, 3) uint8 RGB, got {frame.dtype} {frame.shape}')
    return frame


def predict_frames(model: nn.Module, images: Union[Sequence[Image], np.ndarray],
                   batch_size: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Predict single images of any size.

    Args:
        model: A model from ``posekit.apis.init_model`` (or
            :func:`~posekit.inference.model.prepare_for_inference`).
        images: ``(H, W, 3)`` uint8 RGB frames (a list, or an ``(N, H, W, 3)`` array) or
            image file paths; sizes may differ.
        batch_size: Images per model call.

    Returns:
        ``keypoints (N, K, 2)`` in each image's pixels and ``confidences (N, K)`` (NaN for
        models without confidences), float64.
    """
    step = VideoInference(model, batch_size)
    keypoints, confidences = [], []
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            frames, matrices = model.frame_pipeline.batch(
                _as_frame(image) for image in images[start:start + batch_size])
            outputs = step.predict_batch(frames, matrices)
            keypoints.append(outputs['keypoints_pred'].double().cpu().numpy())
            conf = outputs.get('confidences')
            confidences.append(conf.double().cpu().numpy() if conf is not None
                               else np.full(keypoints[-1].shape[:2], np.nan))
    k = model.head.num_keypoints
    if not keypoints:
        return np.zeros((0, k, 2)), np.zeros((0, k))
    return np.concatenate(keypoints), np.concatenate(confidences)
