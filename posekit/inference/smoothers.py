"""Smooth the predictions of one or several models of a video and write ``<stem>_<method>.csv``.

Methods (the output file and its scorer name the one that ran):

- ``eks``: the Ensemble Kalman Smoother (:mod:`posekit.inference.eks`; multi-view when the
  model's metainfo declares two or more views). It needs two or more members and the
  ``eks`` extra; otherwise the request falls back to ``kalman`` and says so in the log.
- ``kalman``: the plain constant-velocity Kalman smoother
  (:func:`~posekit.inference.smoothing.kalman_smooth`) of the members' median, with their
  variance per coordinate as observation noise (one member: the noise is estimated).
- ``savgol``: Savitzky–Golay (:func:`~posekit.inference.smoothing.savgol_smooth`) of the
  members' median.

The table has, per keypoint, LP's EKS columns ``x, y, likelihood, x_ens_median,
y_ens_median, x_ens_var, y_ens_var, x_posterior_var, y_posterior_var`` (frame px and px²;
``likelihood`` = the members' median confidence; ``*_posterior_var`` NaN for ``savgol``),
index = frame number. Read it with ``pd.read_csv(path, header=[0, 1, 2], index_col=0)``.
"""
import os.path as osp
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd
from mmengine.logging import print_log

from posekit.datasets.io import write_csv_atomic
from .eks import FIELDS, eks_available, eks_smooth
from .ensemble import nan_reduce, stack_members
from .smoothing import kalman_smooth, savgol_smooth

SMOOTHERS = ('eks', 'kalman', 'savgol')


@dataclass
class Smoothed:
    """A smoothed track.

    Attributes:
        method: The smoother that ran (``eks``, ``kalman`` or ``savgol``).
        table: The output table (see the module doc).
        params: The smoothing parameters used (EKS's ``s``, the Kalman ``q`` per
            coordinate, or ``[window, order]``).
    """

    method: str
    table: pd.DataFrame
    params: list[float]


def _table(names: Sequence[str], fields: np.ndarray, likelihood: np.ndarray, method: str,
           index: pd.Index) -> pd.DataFrame:
    """The output table of ``(T, K, 8)`` :data:`FIELDS` values and ``(T, K)`` likelihoods."""
    columns = ['x', 'y', 'likelihood'] + list(FIELDS[2:])
    values = np.concatenate([fields[..., :2], likelihood[..., None], fields[..., 2:]], -1)
    header = pd.MultiIndex.from_tuples([(method, name, c) for name in names for c in columns],
                                       names=['scorer', 'bodyparts', 'coords'])
    return pd.DataFrame(values.reshape(len(values), -1), index=index, columns=header)


def smooth_members(members: Sequence[pd.DataFrame], method: str = 'eks',
                   views: Optional[Mapping[str, Sequence[str]]] = None,
                   smooth_param: Optional[float] = None, window: int = 7) -> Smoothed:
    """Smooth one video's predictions by one or several models.

    Args:
        members: DLC-format tables of the same video and keypoints (one per model).
        method: One of :data:`SMOOTHERS`.
        views: The metainfo's views (``eks`` only).
        smooth_param: EKS's ``s`` or the Kalman ``q`` (px/frame²); None chooses it.
        window: Savitzky–Golay window (frames, odd).

    Returns:
        The :class:`Smoothed` track.

    Raises:
        ValueError: An unknown method, or members that do not match.
    """
    if method not in SMOOTHERS:
        raise ValueError(f'unknown smoother {method!r}; choose from {", ".join(SMOOTHERS)}')
    names, keypoints, likelihoods = stack_members(members)
    if method == 'eks' and (len(members) < 2 or not eks_available()):
        reason = 'a single model' if len(members) < 2 else \
            "the ensemble-kalman-smoother package is not installed (pip install 'posekit[eks]')"
        print_log(f'EKS cannot smooth {reason}: using the plain Kalman smoother instead',
                  logger='current')
        method = 'kalman'
    likelihood = nan_reduce(np.nanmedian, likelihoods)
    median, variance = nan_reduce(np.nanmedian, keypoints), nan_reduce(np.nanvar, keypoints)
    t, k = median.shape[:2]
    if method == 'eks':
        fields, params = eks_smooth(keypoints, likelihoods, names, views, smooth_param)
        return Smoothed(method, _table(names, fields, likelihood, method, members[0].index),
                        params)
    fields = np.full((t, k, len(FIELDS)), np.nan)
    fields[..., 2:4], fields[..., 4:6] = median, variance
    observations = median.reshape(t, 2 * k)
    if method == 'kalman':
        noise = variance.reshape(t, 2 * k) if len(members) > 1 else None
        smoothed, posterior, q = kalman_smooth(observations, noise, smooth_param)
        fields[..., :2] = smoothed.reshape(t, k, 2)
        fields[..., 6:] = posterior.reshape(t, k, 2)
        params = q.tolist()
    else:
        fields[..., :2] = savgol_smooth(observations, window).reshape(t, k, 2)
        params = [float(window), 2.]
    return Smoothed(method, _table(names, fields, likelihood, method, members[0].index), params)


def write_smoothed(smoothed: Smoothed, out_dir: str, stem: str) -> str:
    """Write ``<out_dir>/<stem>_<method>.csv`` atomically and return its path."""
    path = osp.join(out_dir, f'{stem}_{smoothed.method}.csv')
    write_csv_atomic(smoothed.table, path)
    return path
