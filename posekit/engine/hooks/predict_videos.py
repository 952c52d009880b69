"""Predict videos into a model directory's ``video_preds/``, and evaluate the config's
``test_videos`` against their ground truth (after training: :class:`PredictVideosHook`)."""
import copy
import logging
import os.path as osp
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Optional, Union

import numpy as np
import pandas as pd
import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from torch import nn

from posekit.datasets.io import LabelFileError, from_dataframe, write_csv_atomic
from posekit.datasets.video_io import VideoReadError, video_info
from posekit.evaluation.video_metrics import (pca_error_tables, pixel_errors, read_ground_truth,
                                              read_occluded, temporal_norm, video_metrics)
from posekit.registry import HOOKS
from posekit.visualization import plot_traces, write_labeled_video
from ..video_inference import VideoInference, prediction_dataframe, prepare_for_inference

#: Errors of one video that must not stop the others.
VIDEO_ERRORS = (FileNotFoundError, VideoReadError, LabelFileError, ValueError)


@dataclass
class VideoOutputs:
    """What :func:`write_video_outputs` wrote for one video.

    Attributes:
        video: The video file.
        predictions: The DLC-format table written to ``<stem>.csv``.
        fps: Frames predicted per second (decoding and model).
        paths: Files written, predictions CSV first.
    """

    video: str
    predictions: pd.DataFrame
    fps: float
    paths: list[str] = field(default_factory=list)

    @property
    def mean_confidence(self) -> float:
        """Mean likelihood over all frames and keypoints (NaN without confidences)."""
        values = self.predictions.xs('likelihood', axis=1, level=-1).to_numpy(dtype=float)
        return float(np.nanmean(values)) if np.isfinite(values).any() else float('nan')


def write_video_outputs(model: nn.Module, video: str, out_dir: str, batch_size: int = 16,
                        save_video: bool = False, save_heatmaps: bool = False,
                        conf_threshold: float = 0.05, progress: bool = True,
                        reference: Optional[np.ndarray] = None) -> VideoOutputs:
    """Predict a video and write its files into ``out_dir`` (``<stem>`` = the file name stem).

    ``<stem>.csv`` (DLC format, frame px), ``<stem>_temporal_norm.csv``,
    ``<stem>_pca_singleview_error.csv`` / ``<stem>_pca_multiview_error.csv`` (models with
    fitted PCA losses), ``<stem>_traces.png``, optionally ``<stem>_heatmaps.npy``
    (float16 ``(T, K, h, w)``) and ``labeled_videos/<stem>_labeled.mp4``, drawn from the
    very table written to ``<stem>.csv``.

    Args:
        model: A model prepared for inference (``posekit.apis.init_model``).
        video: The video file.
        out_dir: Output folder (``<model dir>/video_preds``).
        batch_size: Frames per model call.
        save_video: Also write the labeled video.
        save_heatmaps: Also write the heatmaps.
        conf_threshold: Keypoints below it are not drawn, and shaded in the traces.
        progress: Show a progress bar.
        reference: Optional ``(T, K, 2)`` ground truth drawn in the traces.

    Returns:
        The :class:`VideoOutputs`.

    Raises:
        FileNotFoundError: The video does not exist.
        VideoReadError: It cannot be decoded.
    """
    stem = osp.splitext(osp.basename(video))[0]

    def path(suffix: str) -> str:
        return osp.join(out_dir, f'{stem}{suffix}')

    heatmaps = path('_heatmaps.npy') if save_heatmaps else None
    prediction = VideoInference(model, batch_size).run(video, heatmaps, progress)
    df = prediction_dataframe(model, prediction.keypoints, prediction.confidences)
    outputs = VideoOutputs(video, df, prediction.fps)
    tables = {'': df, '_temporal_norm': temporal_norm(df)}
    tables.update({f'_{key}': table for key, table in pca_error_tables(model, df).items()})
    for suffix, table in tables.items():
        write_csv_atomic(table, path(f'{suffix}.csv'))
        outputs.paths.append(path(f'{suffix}.csv'))
    outputs.paths.append(plot_traces(df, path('_traces.png'), conf_threshold, reference))
    if heatmaps:
        outputs.paths.append(heatmaps)
    if save_video:
        outputs.paths.append(write_labeled_video(
            video, df, osp.join(out_dir, 'labeled_videos', f'{stem}_labeled.mp4'),
            conf_threshold=conf_threshold))
    return outputs


def evaluate_video(model: nn.Module, spec: Union[str, dict], out_dir: str,
                   batch_size: int = 16, save_video: bool = False,
                   conf_threshold: float = 0.05, progress: bool = False
                   ) -> dict[str, float]:
    """Predict one test video and compare it with its per-frame ground truth.

    Besides :func:`write_video_outputs`' files, writes ``<stem>_pixel_error.csv`` (frame
    px per frame and keypoint) when a ground truth is given.

    Args:
        model: A model prepared for inference.
        spec: ``dict(video=..., ground_truth=None, occluded=None)`` (paths relative to the
            working directory; ``ground_truth`` a DLC CSV indexed by frame number,
            ``occluded`` a 0/1 CSV per frame and keypoint), or a video path.
        out_dir: Output folder.
        batch_size: Frames per model call.
        save_video: Also write the labeled video.
        conf_threshold: See :func:`write_video_outputs`.
        progress: Show a progress bar.

    Returns:
        :func:`~posekit.evaluation.video_metrics.video_metrics` of the video.
    """
    spec = dict(video=spec) if isinstance(spec, str) else dict(spec)
    video, truth_path, occluded_path = (spec.get(k) for k in ('video', 'ground_truth',
                                                              'occluded'))
    num_frames = video_info(video).num_frames
    truth = occluded = None
    if truth_path:
        names, truth = read_ground_truth(truth_path, num_frames)
        if names != model.dataset_meta['keypoint_names']:
            raise ValueError(f'{truth_path}: keypoints {names} differ from the model\'s '
                             f'{model.dataset_meta["keypoint_names"]}')
        if occluded_path:
            occluded = read_occluded(occluded_path, names, num_frames)
    outputs = write_video_outputs(model, video, out_dir, batch_size, save_video,
                                  conf_threshold=conf_threshold, progress=progress,
                                  reference=truth)
    _, keypoints, _ = from_dataframe(outputs.predictions)
    if truth is not None:
        errors = pd.DataFrame(pixel_errors(keypoints, truth), index=outputs.predictions.index,
                              columns=model.dataset_meta['keypoint_names'])
        stem = osp.splitext(osp.basename(video))[0]
        write_csv_atomic(errors, osp.join(out_dir, f'{stem}_pixel_error.csv'))
    return video_metrics(keypoints, truth, occluded)


def evaluate_test_videos(model: nn.Module, test_videos: Sequence[Union[str, dict]],
                         out_dir: str, batch_size: int = 16, save_video: bool = False,
                         progress: bool = False) -> dict[str, float]:
    """:func:`evaluate_video` for each test video; a failing video is logged and skipped.

    Args:
        model: A model prepared for inference.
        test_videos: The config's ``test_videos`` entries.
        out_dir: Output folder (``<work dir>/video_preds``).
        batch_size: Frames per model call.
        save_video: Also write labeled videos.
        progress: Show progress bars.

    Returns:
        ``video/<stem>/<metric>`` for every video and metric.
    """
    metrics = {}
    for spec in test_videos:
        video = spec if isinstance(spec, str) else spec['video']
        stem = osp.splitext(osp.basename(video))[0]
        try:
            values = evaluate_video(model, spec, out_dir, batch_size, save_video,
                                    progress=progress)
        except VIDEO_ERRORS as error:
            print_log(f'test video {video}: {error}', logger='current', level=logging.ERROR)
            continue
        metrics.update({f'video/{stem}/{key}': value for key, value in values.items()})
        print_log(f'predicted {video} into {out_dir}', logger='current')
    return metrics


@HOOKS.register_module()
class PredictVideosHook(Hook):
    """After training, predict the config's ``test_videos`` and log their metrics.

    The counterpart of LP's ``eval.predict_vids_after_training`` (and
    ``eval.save_vids_after_training`` with ``save_video=True``). Uses the best checkpoint's
    weights when the ``CheckpointHook`` saved one (``save_best``), else the final weights;
    the runner's model is left untouched. Writes into ``<work_dir>/video_preds/`` (see
    docs/outputs.md). Enable it in a config::

        custom_hooks = [dict(type='PredictVideosHook', save_video=True)]

    Args:
        save_video: Also write labeled videos.
        batch_size: Frames per model call.
    """

    priority = 'LOWEST'

    def __init__(self, save_video: bool = False, batch_size: int = 16):
        self.save_video = save_video
        self.batch_size = batch_size

    def after_train(self, runner) -> None:
        videos = runner.cfg.get('test_videos')
        if not videos:
            runner.logger.warning('PredictVideosHook: the config has no test_videos; '
                                  'nothing to predict')
            return
        if not is_main_process():
            return
        model = copy.deepcopy(runner.model.module if is_model_wrapper(runner.model)
                              else runner.model)
        best = runner.message_hub.get_info('best_ckpt')
        if best and osp.isfile(best):
            state = torch.load(best, map_location=next(model.parameters()).device,
                               weights_only=True)['state_dict']
            model.load_state_dict(state)
            runner.logger.info(f'PredictVideosHook: predicting with {best}')
        prepare_for_inference(model, runner.cfg, runner.train_dataloader.dataset.metainfo)
        out_dir = osp.join(runner.work_dir, 'video_preds')
        metrics = evaluate_test_videos(model, videos, out_dir, self.batch_size,
                                       self.save_video)
        if metrics:
            runner.logger.info('PredictVideosHook: ' + '  '.join(
                f'{key}: {value:.4f}' for key, value in metrics.items()))
            runner.visualizer.add_scalars(metrics, step=runner.iter)
