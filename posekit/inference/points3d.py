"""3-D outputs of a multiview session: triangulated keypoints and their reprojection errors.

``<session>_3d.csv`` (docs/multiview.md): index = frame number, three header rows like the
2-D predictions (scorer, bodyparts, coords) with ``x, y, z`` per keypoint in the
calibration's world units, and a last column ``reprojection_error``: per frame, the mean
distance in pixels between each view's prediction and the projection of its triangulated
point, over the keypoints and the views that took part in the triangulation (NaN when no
keypoint was triangulated). A view takes part where its prediction is finite and its
confidence is at least the threshold (:func:`posekit.geometry3d.triangulate`).
"""
import os.path as osp
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd

from posekit.datasets.io import to_dataframe
from posekit.geometry3d import (Camera, read_calibration, reprojection_errors,
                                session_calibration_path, triangulate)

#: The per-frame column of ``<session>_3d.csv``.
FRAME_ERROR = 'reprojection_error'


@dataclass
class Points3D:
    """Triangulated keypoints of a session.

    Attributes:
        points: ``(T, K, 3)`` world points, NaN where fewer than two views took part.
        errors: ``(V, T, K)`` reprojection errors in pixels of the views that took part,
            NaN elsewhere.
    """

    points: np.ndarray
    errors: np.ndarray

    @property
    def frame_errors(self) -> np.ndarray:
        """``(T,)`` mean reprojection error of each frame (NaN when none)."""
        flat = self.errors.transpose(1, 0, 2).reshape(self.errors.shape[1], -1)
        counts = np.isfinite(flat).sum(axis=1)
        sums = np.where(np.isfinite(flat), flat, 0.).sum(axis=1)
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def triangulate_views(keypoints: np.ndarray, confidences: Optional[np.ndarray],
                      cameras: Sequence[Camera], threshold: float) -> Points3D:
    """Confidence-weighted triangulation of every frame, views below ``threshold`` dropped.

    Args:
        keypoints: ``(V, T, K, 2)`` predictions in each view's frame pixels.
        confidences: ``(V, T, K)`` confidences; None, or all NaN (a model without
            confidences), weighs the views equally.
        cameras: The ``V`` cameras, in the order of the view axis.
        threshold: Minimum confidence of a view that takes part.

    Returns:
        The :class:`Points3D`.
    """
    keypoints = np.asarray(keypoints, dtype=np.float64)
    if confidences is not None and not np.isfinite(confidences).any():
        confidences = None
    points = triangulate(keypoints, cameras, confidences, threshold)
    used = np.isfinite(keypoints).all(axis=-1)
    if confidences is not None:
        confidences = np.asarray(confidences, dtype=np.float64)
        used &= (confidences >= threshold) & (confidences > 0)
    errors = reprojection_errors(points, keypoints, cameras)
    return Points3D(points, np.where(used, errors, np.nan))


def points_table(points: Points3D, keypoint_names: Sequence[str],
                 scorer: str = 'posekit') -> pd.DataFrame:
    """The ``<session>_3d.csv`` table (module docstring).

    Args:
        points: The triangulated keypoints.
        keypoint_names: The ``K`` keypoint names.
        scorer: The first header row.

    Returns:
        Columns ``(scorer, keypoint, x|y|z)`` then ``reprojection_error``; index = frame.
    """
    table = to_dataframe(range(len(points.points)), keypoint_names, points.points[..., :2],
                         scorer=scorer, extra={FRAME_ERROR: points.frame_errors})
    for k, name in enumerate(keypoint_names):
        table.insert(table.columns.get_loc((scorer, name, 'y')) + 1, (scorer, name, 'z'),
                     points.points[:, k, 2])
    return table


def read_points_3d(path: str, keypoint_names: Sequence[str], num_frames: int) -> np.ndarray:
    """3-D keypoints per frame from a table with ``x, y, z`` per keypoint (3 header rows).

    Reads a ``<session>_3d.csv`` or a 3-D ground truth (the toy's
    ``ground_truth/session3_3d.csv``); other columns are ignored.

    Args:
        path: The CSV file; its index is the frame number.
        keypoint_names: The keypoints to read, in this order.
        num_frames: Frames of the session (``T``); rows beyond it are dropped, missing rows
            are NaN.

    Returns:
        ``(T, K, 3)`` float64.

    Raises:
        ValueError: A keypoint without ``x, y, z`` columns, or an index that is not frame
            numbers (naming the file).
    """
    table = pd.read_csv(path, header=[0, 1, 2], index_col=0)
    columns = {(part, coord): column for column in table.columns
               for part, coord in [column[1:]]}
    missing = [f'{name}/{c}' for name in keypoint_names for c in 'xyz'
               if (name, c) not in columns]
    if missing:
        raise ValueError(f'{path}: no 3-D column(s) {missing}; expected x, y, z per keypoint '
                         'under three header rows')
    try:
        frames = np.array([int(float(i)) for i in table.index])
    except ValueError:
        raise ValueError(f'{path}: the index must be frame numbers, got e.g. '
                         f'{table.index[0]!r}') from None
    values = np.stack([np.stack([table[columns[(name, c)]].to_numpy(dtype=np.float64)
                                 for c in 'xyz'], axis=-1) for name in keypoint_names], axis=1)
    points = np.full((num_frames, len(keypoint_names), 3), np.nan)
    inside = (frames >= 0) & (frames < num_frames)
    points[frames[inside]] = values[inside]
    return points


def session_cameras(calibration: Optional[str], session: str,
                    view_names: Sequence[str]) -> Optional[list[Camera]]:
    """The cameras of a session's views, or None when it has no calibration file.

    Args:
        calibration: The metainfo's ``calibration``: one file, a pattern with ``{session}``
            (``posekit.geometry3d.session_calibration_path``), or None.
        session: The session's name.
        view_names: The views, in the order of the returned cameras.

    Returns:
        The cameras, or None (no entry, or the session's file does not exist).

    Raises:
        CalibrationError: The file exists but cannot be used, or lacks a view's camera.
    """
    if not calibration:
        return None
    path = session_calibration_path(calibration, session)
    if not osp.isfile(path):
        return None
    return read_calibration(path).select(list(view_names))
