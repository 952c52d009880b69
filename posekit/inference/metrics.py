"""Per-frame quality measures of predictions, in frame pixels.

Without labels: the temporal norm (frame-to-frame displacement of each keypoint) and the PCA
reconstruction errors of the model's fitted PCA losses (LP's ``*_temporal_norm.csv`` and
``*_pca_singleview_error.csv`` / ``*_pca_multiview_error.csv``). With a ground truth for every
frame (e.g. the toy data): pixel error, the share of large jumps, and the error on occluded
keypoints.
"""
from collections.abc import Sequence
from typing import Optional, Union

import numpy as np
import pandas as pd
from torch import nn

from posekit.datasets.io import from_dataframe
from posekit.models.losses.fittable import fittable_losses

Keypoints = Union[pd.DataFrame, np.ndarray]


def _as_arrays(predictions: Keypoints, keypoint_names: Optional[Sequence[str]]
               ) -> tuple[list[str], np.ndarray, pd.Index]:
    """Names, ``(T, K, 2)`` keypoints and the index of a DLC DataFrame or an array."""
    if isinstance(predictions, pd.DataFrame):
        names, keypoints, _ = from_dataframe(predictions)
        return names, keypoints, predictions.index
    keypoints = np.asarray(predictions, dtype=float)
    if keypoints.ndim != 3 or keypoints.shape[-1] != 2:
        raise ValueError(f'keypoints must have shape (T, K, 2), got {keypoints.shape}')
    names = list(keypoint_names) if keypoint_names is not None else \
        [f'keypoint_{k}' for k in range(keypoints.shape[1])]
    return names, keypoints, pd.RangeIndex(len(keypoints))


def temporal_norm(predictions: Keypoints, keypoint_names: Optional[Sequence[str]] = None
                  ) -> pd.DataFrame:
    """Frame-to-frame displacement ``‖p_t − p_(t−1)‖`` of every keypoint.

    Args:
        predictions: A DLC-format DataFrame (one row per frame) or ``(T, K, 2)`` keypoints.
        keypoint_names: Column names for an array (default ``keypoint_0 …``).

    Returns:
        ``(T, K)`` table in pixels, columns = keypoint names, index = the DataFrame's
        (frame numbers ``0 … T-1`` for an array); the first row is NaN.
    """
    names, keypoints, index = _as_arrays(predictions, keypoint_names)
    norms = np.full(keypoints.shape[:2], np.nan)
    norms[1:] = np.linalg.norm(np.diff(keypoints, axis=0), axis=-1)
    return pd.DataFrame(norms, index=index, columns=names)


def fitted_pca_losses(model: nn.Module) -> list[nn.Module]:
    """The fitted losses of a model that report a reconstruction error (the PCA losses).

    Args:
        model: A ``PoseTracker``; its ``losses`` and ``unsupervised_losses`` are searched.

    Returns:
        The fittable losses (``posekit.models.losses.fittable``) whose ``fitted`` flag is
        set and that have ``reconstruction_error``, in model order.
    """
    return [loss for loss in fittable_losses(model)
            if loss.fitted and hasattr(loss, 'reconstruction_error')]


def pca_error_tables(model: nn.Module, predictions: Keypoints,
                     keypoint_names: Optional[Sequence[str]] = None) -> dict[str, pd.DataFrame]:
    """Per-keypoint PCA reconstruction errors of every fitted PCA loss of a model.

    A loss class's default ``name`` sets the table's key: ``PCASingleViewLoss`` →
    ``'pca_singleview_error'``, ``PCAMultiViewLoss`` → ``'pca_multiview_error'``. For a
    multi-view loss every view's keypoint gets its own error; a multi-view loss across
    separate cameras (a multiview model) is left out, as the predictions are one view's. When
    several losses share a key, a keypoint covered by more than one keeps the first loss's
    error.

    Args:
        model: A model with fitted PCA losses (see :func:`fitted_pca_losses`).
        predictions: A DLC-format DataFrame or ``(N, K, 2)`` keypoints, frame pixels.
        keypoint_names: Column names for an array.

    Returns:
        ``{key: (N, K) table}`` in pixels, columns = all keypoint names, NaN for keypoints
        outside the loss's columns and where a keypoint's PCA row has a NaN; index as
        ``predictions``. Empty when the model has no fitted PCA loss.
    """
    names, keypoints, index = _as_arrays(predictions, keypoint_names)
    tables: dict[str, pd.DataFrame] = {}
    for loss in fitted_pca_losses(model):
        if getattr(loss, 'camera_shape', None) is not None:
            continue  # across separate cameras: needs every camera's view of an instant
        key = f'{type(loss).name}_error'
        table = tables.setdefault(key, pd.DataFrame(np.nan, index=index, columns=names))
        errors = loss.reconstruction_error(keypoints).detach().cpu().double().numpy()
        for j, k in enumerate(loss.keypoint_indices):
            column = table.iloc[:, k]
            table.iloc[:, k] = column.where(column.notna(), errors[:, j])
    return tables


def pixel_errors(keypoints: np.ndarray, ground_truth: np.ndarray) -> np.ndarray:
    """Euclidean distance per frame and keypoint (NaN where either side is NaN).

    Args:
        keypoints: ``(T, K, 2)`` predictions.
        ground_truth: ``(T, K, 2)`` labels.

    Returns:
        ``(T, K)`` distances.
    """
    return np.linalg.norm(np.asarray(keypoints, float) - np.asarray(ground_truth, float),
                          axis=-1)


def _mean(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    return float(values.mean()) if values.size else float('nan')


def video_metrics(keypoints: np.ndarray, ground_truth: Optional[np.ndarray] = None,
                  occluded: Optional[np.ndarray] = None, jump_threshold: float = 20.
                  ) -> dict[str, float]:
    """Summary numbers of a video's predictions, in frame pixels.

    Args:
        keypoints: ``(T, K, 2)`` predictions.
        ground_truth: ``(T, K, 2)`` labels of every frame, or None.
        occluded: ``(T, K)`` occlusion flags (needs ``ground_truth``), or None.
        jump_threshold: Displacement between consecutive frames counted as a jump.

    Returns:
        ``temporal_norm`` (mean displacement) and ``jumps_above_{t}px`` (share of
        frame-to-frame displacements above the threshold); with a ground truth
        ``pixel_error`` (mean over all frames and keypoints); with occlusion flags
        ``pixel_error_occluded`` / ``pixel_error_visible`` (occluded / other keypoints) and
        ``pixel_error_occluded_frames`` (all keypoints of frames with any occlusion).
    """
    norms = temporal_norm(keypoints).to_numpy()[1:]
    finite = norms[np.isfinite(norms)]
    metrics = {'temporal_norm': _mean(norms),
               f'jumps_above_{jump_threshold:g}px': float((finite > jump_threshold).mean())
               if finite.size else float('nan')}
    if ground_truth is None:
        return metrics
    errors = pixel_errors(keypoints, ground_truth)
    metrics['pixel_error'] = _mean(errors)
    if occluded is not None:
        metrics['pixel_error_occluded'] = _mean(errors[occluded])
        metrics['pixel_error_visible'] = _mean(errors[~occluded])
        metrics['pixel_error_occluded_frames'] = _mean(errors[occluded.any(axis=1)])
    return metrics
