"""Inference entry points: load a trained model, predict images and videos, write outputs.

```python
from posekit.apis import init_model, predict_frames, predict_video
model = init_model('configs/heatmap.py', 'work_dirs/heatmap')    # best checkpoint of a dir
df = predict_video(model, 'data/toy/videos_test/session3.mp4')   # DLC table, frame pixels
keypoints, confidences = predict_frames(model, ['frame.png'])    # (N, K, 2), (N, K)
```
"""
import copy
import os
import os.path as osp
from collections.abc import Sequence
from typing import Union

import cv2
import numpy as np
import pandas as pd
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from posekit.datasets.io import write_csv_atomic
from posekit.datasets.transforms.geometric import resize_image
from posekit.engine.hooks.predict_videos import (VideoOutputs, evaluate_test_videos,
                                                 evaluate_video, write_video_outputs)
from posekit.engine.video_inference import (VideoInference, VideoPrediction, predict_video,
                                            prepare_for_inference)
from posekit.evaluation.video_metrics import pca_error_tables, temporal_norm
from posekit.models.trackers import CheckpointMismatchError, PoseTracker
from posekit.registry import MODELS
from posekit.visualization import plot_calibration, plot_pixel_error_boxes
from .config import fill_num_keypoints, label_keypoint_names, load_config, prepare_data, \
    resolve_checkpoint
from .device import resolve_device

__all__ = ['init_model', 'predict_frames', 'predict_video', 'temporal_norm',
           'pca_error_tables', 'write_video_outputs', 'evaluate_video', 'evaluate_test_videos',
           'write_test_outputs', 'prepare_for_inference', 'VideoInference', 'VideoOutputs',
           'VideoPrediction']

Image = Union[str, os.PathLike, np.ndarray]


def _dataset_meta(cfg: Config, checkpoint: dict) -> dict:
    """Keypoint names and scorer from a checkpoint, else from the config's label file.

    Fills ``cfg.model.head.num_keypoints`` when it is None.
    """
    meta = (checkpoint.get('meta') or {}).get('dataset_meta') or {}
    if not meta.get('keypoint_names'):
        prepare_data(cfg)
        fill_num_keypoints(cfg)
        return dict(keypoint_names=label_keypoint_names(cfg))
    names = list(meta['keypoint_names'])
    head = cfg.model.head
    if head.get('num_keypoints') is None:
        head.num_keypoints = len(names)
    elif head.num_keypoints != len(names):
        raise CheckpointMismatchError(
            f'the checkpoint was trained for {len(names)} keypoints ({names}); the config\'s '
            f'head predicts {head.num_keypoints}')
    return meta


def init_model(config: Union[str, Config], checkpoint: str, device: str = 'cpu'
               ) -> PoseTracker:
    """Build a model from its config and load trained weights for inference.

    The keypoint names (and count) come from the checkpoint's ``meta['dataset_meta']``, so
    no label file is needed; older checkpoints without it fall back to the config's labels.

    Args:
        config: A config file or a loaded ``Config`` (not modified).
        checkpoint: A checkpoint file, or a work dir (its best, else last, checkpoint).
        device: Where to put the model, e.g. ``'cpu'`` or ``'cuda:0'``.

    Returns:
        The model in eval mode on ``device``, with ``cfg``, ``dataset_meta``
        (``keypoint_names``, ``num_keypoints``, ``scorer``) and ``input_size`` ``(W, H)``
        (the test pipeline's ``Resize``) attributes.

    Raises:
        FileNotFoundError: No checkpoint at ``checkpoint``.
        CheckpointMismatchError: The checkpoint's tensors or keypoints do not fit the config.
        ValueError: The config's test pipeline has no ``Resize`` step.
    """
    cfg = load_config(config) if isinstance(config, (str, os.PathLike)) \
        else copy.deepcopy(config)
    path = resolve_checkpoint(checkpoint)
    state = torch.load(path, map_location='cpu', weights_only=True)
    dataset_meta = _dataset_meta(cfg, state)
    init_default_scope(cfg.get('default_scope', 'posekit'))
    model = MODELS.build(cfg.model)
    try:
        model.load_state_dict(state.get('state_dict', state), strict=True)
    except CheckpointMismatchError as error:
        raise CheckpointMismatchError(f'{path}: {error}') from None
    except RuntimeError as error:
        reason = ' '.join(str(error).split())  # torch's message spans several lines
        raise CheckpointMismatchError(f'{path} does not fit the model built from the config: '
                                      f'{reason}') from None
    prepare_for_inference(model, cfg, dataset_meta)
    return model.to(resolve_device(device))


def read_image(path: Union[str, os.PathLike]) -> np.ndarray:
    """An image file as ``(H, W, 3)`` uint8 RGB.

    Raises:
        FileNotFoundError: The file is missing or not an image.
    """
    bgr = cv2.imread(os.fspath(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(f'cannot read image {os.fspath(path)!r}')
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def predict_frames(model: PoseTracker, images: Union[Sequence[Image], np.ndarray],
                   batch_size: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Predict single images of any size.

    Args:
        model: A model from :func:`init_model`.
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
            frames, matrices = [], []
            for image in images[start:start + batch_size]:
                image = read_image(image) if isinstance(image, (str, os.PathLike)) \
                    else np.asarray(image)
                if image.ndim != 3 or image.shape[-1] != 3 or image.dtype != np.uint8:
                    raise ValueError(f'images must be (H, W, 3) uint8 RGB, got {image.dtype} '
                                     f'{image.shape}')
                resized, matrix = resize_image(image, model.input_size)
                frames.append(resized)
                matrices.append(matrix)
            batch = torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2).contiguous()
            outputs = step.predict_batch(batch, torch.from_numpy(np.stack(matrices)))
            keypoints.append(outputs['keypoints_pred'].double().cpu().numpy())
            conf = outputs.get('confidences')
            confidences.append(conf.double().cpu().numpy() if conf is not None
                               else np.full(keypoints[-1].shape[:2], np.nan))
    k = model.head.num_keypoints
    if not keypoints:
        return np.zeros((0, k, 2)), np.zeros((0, k))
    return np.concatenate(keypoints), np.concatenate(confidences)


def write_test_outputs(model: PoseTracker, out_dir: str, prefix: str = 'predictions'
                       ) -> list[str]:
    """Labeled-frame outputs derived from ``tools/test.py``'s ``{prefix}.csv``.

    Writes ``{prefix}_pca_singleview_error.csv`` / ``{prefix}_pca_multiview_error.csv``
    (per labeled frame and keypoint, frame px, NaN outside the loss's keypoints, final
    ``set`` column, index as ``{prefix}.csv``) for the model's fitted PCA losses, and the
    pictures ``{prefix}_pixel_error.png`` (error per keypoint and split) and
    ``{prefix}_calibration.png`` (error against confidence; models with confidences).

    Args:
        model: The tested model (its PCA losses carry the fitted buffers).
        out_dir: The folder holding ``{prefix}.csv`` and ``{prefix}_pixel_error.csv``.
        prefix: The ``PredictionsWriter``'s prefix.

    Returns:
        The files written.
    """
    predictions = pd.read_csv(osp.join(out_dir, f'{prefix}.csv'), header=[0, 1, 2],
                              index_col=0)
    last = predictions.columns[-1]
    sets = predictions.pop(last).tolist() if last[0] == 'set' else ['unknown'] * len(predictions)
    written = []
    for key, table in pca_error_tables(model, predictions).items():
        table['set'] = sets
        path = osp.join(out_dir, f'{prefix}_{key}.csv')
        write_csv_atomic(table, path)
        written.append(path)
    errors_path = osp.join(out_dir, f'{prefix}_pixel_error.csv')
    if osp.isfile(errors_path):
        errors = pd.read_csv(errors_path, index_col=0)
        written.append(plot_pixel_error_boxes(
            errors, osp.join(out_dir, f'{prefix}_pixel_error.png')))
        calibration = plot_calibration(predictions, errors,
                                       osp.join(out_dir, f'{prefix}_calibration.png'))
        if calibration:
            written.append(calibration)
    return written
