"""Inference entry points: load a trained model, predict images and videos, write outputs.

```python
from posekit.apis import init_model, predict_frames, predict_video
model = init_model('configs/heatmap.py', 'work_dirs/heatmap')    # best checkpoint of a dir
df = predict_video(model, 'data/toy/videos_test/session3.mp4')   # DLC table, frame pixels
keypoints, confidences = predict_frames(model, ['frame.png'])    # (N, K, 2), (N, K)
```

Everything but :func:`init_model` lives in ``posekit.inference`` and is re-exported here.
:func:`init_model` stays here: it loads a config file with the helpers of
``posekit.apis.config``, which ``posekit.inference`` (also imported by the training hooks)
does not import.
"""
import copy
import os
from typing import Union

from mmengine.config import Config
from mmengine.registry import init_default_scope

from posekit.inference import (VideoInference, VideoOutputs, VideoPrediction,
                               evaluate_test_videos, evaluate_video, pca_error_tables,
                               predict_frames, predict_video, prepare_for_inference,
                               temporal_norm, write_test_outputs, write_video_outputs)
from posekit.inference.precision import set_amp
from posekit.models.trackers import CheckpointMismatchError, PoseTracker
from posekit.registry import MODELS
from .checkpoints import load_state_dict_strictly, read_checkpoint
from .config import load_config, prepare_data, resolve_checkpoint
from .config_checks import check_model_parts
from .model_info import fill_model_info, label_keypoint_names
from .device import resolve_device

__all__ = ['init_model', 'predict_frames', 'predict_video', 'temporal_norm',
           'pca_error_tables', 'write_video_outputs', 'evaluate_video', 'evaluate_test_videos',
           'write_test_outputs', 'prepare_for_inference', 'VideoInference', 'VideoOutputs',
           'VideoPrediction']


def _dataset_meta(cfg: Config, checkpoint: dict) -> dict:
    """Keypoint names and scorer from a checkpoint, else from the config's label file.

    Fills the model's codec and metainfo (:func:`fill_model_info`).
    """
    meta = (checkpoint.get('meta') or {}).get('dataset_meta') or {}
    if not meta.get('keypoint_names'):
        prepare_data(cfg)
        fill_model_info(cfg)
        return dict(keypoint_names=label_keypoint_names(cfg))
    try:
        fill_model_info(cfg, keypoint_names=meta['keypoint_names'])
    except ValueError as error:
        raise CheckpointMismatchError(str(error)) from None
    return meta


def init_model(config: Union[str, Config], checkpoint: str, device: str = 'cpu',
               amp: bool = False) -> PoseTracker:
    """Build a model from its config and load trained weights for inference.

    The keypoint names (and count) come from the checkpoint's ``meta['dataset_meta']``, so
    no label file is needed; older checkpoints without it fall back to the config's labels.

    Args:
        config: A config file or a loaded ``Config`` (not modified).
        checkpoint: A checkpoint file, or a work dir (its best, else last, checkpoint).
        device: Where to put the model, e.g. ``'cpu'`` or ``'cuda:0'``.
        amp: Predict with a bf16/fp16 backbone in channels-last format where the device
            supports it (``posekit.inference.precision``; ``model.amp_dtype`` says which).

    Returns:
        The model in eval mode on ``device``, prepared by
        :func:`~posekit.inference.model.prepare_for_inference` (``cfg``, ``dataset_meta``,
        ``frame_pipeline`` and ``input_size`` attributes).

    Raises:
        FileNotFoundError: No checkpoint at ``checkpoint``.
        CheckpointFileError: The file is not a readable checkpoint.
        CheckpointMismatchError: The checkpoint's tensors or keypoints do not fit the config
            (the message names the config's head and the checkpoint's head).
        ValueError: The config's test pipeline (``test_dataloader.dataset.pipeline``) does
            not give every frame one input size.
    """
    cfg = load_config(config) if isinstance(config, (str, os.PathLike)) \
        else copy.deepcopy(config)
    check_model_parts(cfg)
    path = resolve_checkpoint(checkpoint)
    state = read_checkpoint(path)
    dataset_meta = _dataset_meta(cfg, state)
    init_default_scope(cfg.get('default_scope', 'posekit'))
    model = MODELS.build(cfg.model)
    load_state_dict_strictly(model, state, path, cfg)
    prepare_for_inference(model, cfg, dataset_meta)
    model.to(resolve_device(device))
    return set_amp(model, True) if amp else model
