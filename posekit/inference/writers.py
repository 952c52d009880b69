"""Files of a prediction: a video's ``video_preds/<stem>*`` outputs and the labeled-frame
outputs derived from ``tools/test.py``'s predictions (docs/outputs.md)."""
import os.path as osp
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd
from torch import nn

from posekit.datasets.io import write_csv_atomic
from posekit.visualization import (plot_calibration, plot_pixel_error_boxes, plot_traces,
                                   write_labeled_video)
from .metrics import pca_error_tables, temporal_norm
from .predictor import VideoPrediction, prediction_dataframe
from .two_stage import video_inference


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
                        reference: Optional[np.ndarray] = None, name: Optional[str] = None
                        ) -> VideoOutputs:
    """Predict a video and write its files into ``out_dir`` (``<stem>`` = ``name``).

    ``<stem>.csv`` (DLC format, frame px), ``<stem>_temporal_norm.csv``,
    ``<stem>_pca_singleview_error.csv`` / ``<stem>_pca_multiview_error.csv`` (models with
    fitted PCA losses), ``<stem>_traces.png``, optionally ``<stem>_heatmaps.npy``
    (float16 ``(T, K, h, w)``) and ``labeled_videos/<stem>_labeled.mp4``, drawn from the
    very table written to ``<stem>.csv``.

    Args:
        model: A model prepared for inference (``posekit.apis.init_model``, or
            :func:`~posekit.inference.model.prepare_for_inference`), or a crop-zoom
            :class:`~posekit.inference.two_stage.TwoStageModel`.
        video: The video file.
        out_dir: Output folder (``<model dir>/video_preds``).
        batch_size: Frames per model call.
        save_video: Also write the labeled video.
        save_heatmaps: Also write the heatmaps.
        conf_threshold: Keypoints below it are not drawn, and shaded in the traces.
        progress: Show a progress bar.
        reference: Optional ``(T, K, 2)`` ground truth drawn in the traces.
        name: The output name (``posekit.inference.video_list.output_names``); default: the
            video's file name stem.

    Returns:
        The :class:`VideoOutputs`.

    Raises:
        FileNotFoundError: The video does not exist.
        VideoReadError: It cannot be decoded.
    """
    stem = name or osp.splitext(osp.basename(video))[0]
    heatmaps = osp.join(out_dir, f'{stem}_heatmaps.npy') if save_heatmaps else None
    prediction = video_inference(model, batch_size).run(video, heatmaps, progress)
    return write_prediction_files(model, video, prediction, out_dir, stem, save_video,
                                  conf_threshold, reference)


def write_prediction_files(model: nn.Module, video: str, prediction: VideoPrediction,
                           out_dir: str, stem: str, save_video: bool = False,
                           conf_threshold: float = 0.05, reference: Optional[np.ndarray] = None
                           ) -> VideoOutputs:
    """Write the files of :func:`write_video_outputs` from a video's predictions.

    Args:
        model: The model that predicted (names the keypoints; its fitted PCA losses).
        video: The predicted video.
        prediction: Its :class:`~posekit.inference.predictor.VideoPrediction` (heatmaps, if
            any, already written).
        out_dir: Output folder.
        stem: The output name.
        save_video: Also write the labeled video.
        conf_threshold: See :func:`write_video_outputs`.
        reference: See :func:`write_video_outputs`.

    Returns:
        The :class:`VideoOutputs`.
    """
    def path(suffix: str) -> str:
        return osp.join(out_dir, f'{stem}{suffix}')

    df = prediction_dataframe(model, prediction.keypoints, prediction.confidences)
    outputs = VideoOutputs(video, df, prediction.fps)
    tables = {'': df, '_temporal_norm': temporal_norm(df)}
    tables.update({f'_{key}': table for key, table in pca_error_tables(model, df).items()})
    for suffix, table in tables.items():
        write_csv_atomic(table, path(f'{suffix}.csv'))
        outputs.paths.append(path(f'{suffix}.csv'))
    outputs.paths.append(plot_traces(df, path('_traces.png'), conf_threshold, reference))
    if prediction.heatmaps_path:
        outputs.paths.append(prediction.heatmaps_path)
    if save_video:
        outputs.paths.append(write_labeled_video(
            video, df, osp.join(out_dir, 'labeled_videos', f'{stem}_labeled.mp4'),
            conf_threshold=conf_threshold))
    return outputs


def write_test_outputs(model: nn.Module, out_dir: str, prefix: str = 'predictions'
                       ) -> list[str]:
    """Labeled-frame outputs derived from ``tools/test.py``'s ``{prefix}.csv``.

    Writes ``{prefix}_pca_singleview_error.csv`` / ``{prefix}_pca_multiview_error.csv``
    (per labeled frame and keypoint, frame px, NaN outside the loss's keypoints, final
    ``set`` column, index as ``{prefix}.csv``) for the model's fitted PCA losses, and the
    pictures ``{prefix}_pixel_error.png`` (error per keypoint and split) and
    ``{prefix}_calibration.png`` (error against confidence; models with confidences).

    A multiview model (separate cameras) gets these per view, from the
    ``PredictionsWriter``'s ``{prefix}_<view>.csv``: ``{prefix}_<view>_pixel_error.png``, …
    (a PCA loss across the cameras is left out, as each table is one view's).

    Args:
        model: The tested model (its PCA losses carry the fitted buffers).
        out_dir: The folder holding ``{prefix}.csv`` and ``{prefix}_pixel_error.csv``.
        prefix: The ``PredictionsWriter``'s prefix.

    Returns:
        The files written.
    """
    views = getattr(model, 'view_names', None) or ()
    if views:
        return [path for view in views
                for path in _write_table_outputs(model, out_dir, f'{prefix}_{view}')]
    return _write_table_outputs(model, out_dir, prefix)


def _write_table_outputs(model: nn.Module, out_dir: str, prefix: str) -> list[str]:
    """:func:`write_test_outputs` of one predictions table ``{prefix}.csv``."""
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
