"""Load a crop-zoom (two-stage) model: a stage-2 config that names its stage 1.

A stage-2 config is an ordinary recipe whose pipelines crop around the labels
(``CropAroundKeypoints``) plus two top-level entries read only for prediction
(docs/two_stage.md)::

    stage1 = dict(config='configs/two_stage/toy_small_stage1.py',
                  checkpoint='work_dirs/toy_small_stage1')
    crop_box = dict(min_confidence=0.2, smooth_frames=9, size_quantile=0.95)  # optional

Paths are relative to the current folder, like ``data_root`` and ``work_dirs``. The box's
``padding`` and ``min_size`` default to the ``CropAroundKeypoints`` step's, so stage 2 sees
crops of the size it was trained on.
"""
import copy
import dataclasses
import os
from typing import Union

from mmengine.config import Config
from torch import nn

from posekit.datasets.crop_boxes import BoxOptions
from posekit.inference.two_stage import TwoStageModel
from .config import load_config, resolve_checkpoint
from .inference import init_model

Configish = Union[str, os.PathLike, Config]


def _load(config: Configish) -> Config:
    """A config file loaded, or a copy of a loaded config."""
    return load_config(config) if isinstance(config, (str, os.PathLike)) \
        else copy.deepcopy(config)


def is_two_stage(cfg: Config) -> bool:
    """Whether a config names a first stage (a top-level ``stage1`` entry)."""
    return cfg.get('stage1') is not None


def box_options(cfg: Config) -> BoxOptions:
    """The crop boxes of a stage-2 config: its ``crop_box`` over its crop step's defaults.

    Args:
        cfg: The stage-2 config.

    Returns:
        The :class:`~posekit.datasets.crop_boxes.BoxOptions`.

    Raises:
        ValueError: ``crop_box`` has a key that is not an option (named).
    """
    steps = [*cfg.get('train_dataloader', {}).get('dataset', {}).get('pipeline', []),
             *cfg.get('test_dataloader', {}).get('dataset', {}).get('pipeline', [])]
    crop = next((s for s in steps if s.get('type') == 'CropAroundKeypoints'), {})
    options = {key: crop[key] for key in ('padding', 'min_size') if key in crop}
    options.update(cfg.get('crop_box') or {})
    known = {f.name for f in dataclasses.fields(BoxOptions)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ValueError(f'crop_box: unknown option(s) {unknown}; known: {sorted(known)}')
    return BoxOptions(**options)


def load_stage1(cfg: Config, device: str = 'cpu', amp: bool = False) -> nn.Module:
    """The first stage a stage-2 config names, loaded for inference.

    Args:
        cfg: The stage-2 config, with ``stage1 = dict(config=..., checkpoint=...)``.
        device: Where to put the model.
        amp: bf16/fp16 backbone (see ``posekit.apis.init_model``).

    Returns:
        The stage-1 ``PoseTracker``, prepared for inference.

    Raises:
        ValueError: ``stage1`` lacks ``config`` or ``checkpoint``.
        FileNotFoundError: Its config or checkpoint is missing (the message names it).
    """
    stage1 = cfg.get('stage1')
    missing = [key for key in ('config', 'checkpoint') if not (stage1 or {}).get(key)]
    if not isinstance(stage1, dict) or missing:
        raise ValueError(f"stage1 must be dict(config=..., checkpoint=...) naming the first "
                         f"stage's config and checkpoint; missing: {missing or ['both']}")
    if not os.path.isfile(stage1['config']):
        raise FileNotFoundError(f"stage1.config: no config file {stage1['config']!r} "
                                f'(relative to {os.getcwd()})')
    try:
        checkpoint = resolve_checkpoint(stage1['checkpoint'])
    except FileNotFoundError as error:
        raise FileNotFoundError(f"stage1.checkpoint {stage1['checkpoint']!r}: {error} "
                                f"(train the first stage: tools/train.py {stage1['config']})"
                                ) from None
    return init_model(stage1['config'], checkpoint, device, amp)


def with_stage1(cfg: Config, stage2: nn.Module, device: str = 'cpu', amp: bool = False
                ) -> TwoStageModel:
    """A loaded stage-2 model paired with the first stage its config names.

    Args:
        cfg: The stage-2 config.
        stage2: Stage 2, prepared for inference.
        device: Where to put stage 1.
        amp: bf16/fp16 stage-1 backbone.

    Returns:
        The :class:`~posekit.inference.two_stage.TwoStageModel`.

    Raises:
        ValueError: ``stage1`` lacks ``config`` or ``checkpoint``, or ``crop_box`` is wrong.
        FileNotFoundError: Stage 1's config or checkpoint is missing.
    """
    boxes = box_options(cfg)
    return TwoStageModel(load_stage1(cfg, device, amp), stage2, boxes)


def init_two_stage_model(config: Configish, checkpoint: str, device: str = 'cpu',
                         amp: bool = False) -> TwoStageModel:
    """Build both stages of a crop-zoom model and load their weights for inference.

    Args:
        config: The stage-2 config (file or loaded), with a ``stage1 = dict(config=...,
            checkpoint=...)`` entry.
        checkpoint: Stage 2's checkpoint file or work dir.
        device: Where to put both models.
        amp: bf16/fp16 backbones (see ``posekit.apis.init_model``).

    Returns:
        The :class:`~posekit.inference.two_stage.TwoStageModel`.

    Raises:
        ValueError: ``stage1`` lacks ``config`` or ``checkpoint``, or ``crop_box`` is wrong.
        FileNotFoundError: A config or checkpoint is missing.
    """
    cfg = _load(config)
    return with_stage1(cfg, init_model(cfg, checkpoint, device, amp), device, amp)


def init_predictor(config: Configish, checkpoint: str, device: str = 'cpu',
                   amp: bool = False) -> nn.Module:
    """The model ``tools/predict.py`` predicts with: two-stage when the config names a
    ``stage1``, else one ``PoseTracker`` (``posekit.apis.init_model``).

    Args:
        config: A config file or a loaded config.
        checkpoint: Checkpoint file or work dir (stage 2's for a two-stage config).
        device: Where to put the model(s).
        amp: bf16/fp16 backbones.

    Returns:
        A ``TwoStageModel`` or a ``PoseTracker`` prepared for inference.
    """
    cfg = _load(config)
    if is_two_stage(cfg):
        return init_two_stage_model(cfg, checkpoint, device, amp)
    return init_model(cfg, checkpoint, device, amp)
