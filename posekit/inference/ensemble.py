"""Ensembles: several models' predictions of one video and their per-keypoint statistics.

:func:`predict_ensemble` predicts a video with every member and writes, into the output
folder (``<stem>`` = the video's output name, by default its file name stem)::

    <stem>_member<i>.csv          member i's predictions (DLC format, frame px)
    <stem>_ensemble_mean.csv      mean over members (DLC format; likelihood = mean confidence)
    <stem>_ensemble_median.csv    median over members (DLC format; likelihood = median)
    <stem>_ensemble_variance.csv  T × K: var(x) + var(y) over members (px², ddof 0)

Statistics skip a member's NaN keypoints; a keypoint NaN in every member stays NaN.
"""
import os.path as osp
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd
from torch import nn

from posekit.datasets.io import from_dataframe, to_dataframe, write_csv_atomic
from .predictor import prediction_dataframe
from .two_stage import video_inference

MEMBER_SUFFIX = re.compile(r'_member(\d+)$')


@dataclass
class EnsemblePrediction:
    """What :func:`predict_ensemble` wrote for one video.

    Attributes:
        video: The video file.
        members: One DLC-format table per member, in member order.
        statistics: ``mean``, ``median`` (DLC format) and ``variance`` (``T × K``) tables.
        paths: Files written, members first.
    """

    video: str
    members: list[pd.DataFrame]
    statistics: dict[str, pd.DataFrame]
    paths: list[str] = field(default_factory=list)


def stack_members(members: Sequence[pd.DataFrame]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Arrays of several DLC-format tables of the same video and keypoints.

    Args:
        members: ``M`` tables with equal keypoint names and row counts.

    Returns:
        Keypoint names, ``(M, T, K, 2)`` keypoints and ``(M, T, K)`` likelihoods (NaN when a
        table has none).

    Raises:
        ValueError: No tables, or tables whose keypoints or frame counts differ.
    """
    if not members:
        raise ValueError('an ensemble needs at least one member')
    names, keypoints, likelihoods = None, [], []
    for i, df in enumerate(members):
        member_names, points, likelihood = from_dataframe(df)
        if names is None:
            names = member_names
        elif member_names != names or len(points) != len(keypoints[0]):
            raise ValueError(f'member {i}: {len(points)} frames of {member_names} do not match '
                             f'member 0 ({len(keypoints[0])} frames of {names})')
        keypoints.append(points)
        likelihoods.append(np.full(points.shape[:2], np.nan) if likelihood is None
                           else likelihood)
    return names, np.stack(keypoints), np.stack(likelihoods)


def nan_reduce(reduce, values: np.ndarray) -> np.ndarray:
    """A NaN-ignoring reduction over the members' axis, without warnings for empty slices.

    Args:
        reduce: ``np.nanmean``, ``np.nanmedian``, ``np.nanvar``…
        values: ``(M, ...)`` values of ``M`` members.

    Returns:
        ``reduce(values, axis=0)``, NaN where every member is NaN.
    """
    out = np.full(values.shape[1:], np.nan)
    some = np.isfinite(values).any(axis=0)
    out[some] = reduce(values[:, some], axis=0)
    return out


def ensemble_statistics(members: Sequence[pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Mean, median and variance over members of every frame and keypoint.

    Args:
        members: ``M`` DLC-format tables of one video (same keypoints and frames).

    Returns:
        ``mean`` and ``median``: DLC-format tables (scorer ``ensemble``; likelihood = mean /
        median member likelihood), index of the first member; ``variance``: ``T × K`` table
        (columns = keypoint names) of ``var(x) + var(y)`` over members, ``ddof=0``.
    """
    names, keypoints, likelihoods = stack_members(members)
    index = members[0].index
    stats = {}
    for key, reduce in (('mean', np.nanmean), ('median', np.nanmedian)):
        stats[key] = to_dataframe(index, names, nan_reduce(reduce, keypoints),
                                  likelihood=nan_reduce(reduce, likelihoods),
                                  scorer='ensemble')
    variance = nan_reduce(np.nanvar, keypoints).sum(axis=-1)
    stats['variance'] = pd.DataFrame(variance, index=index, columns=names)
    return stats


def member_path(out_dir: str, name: str, member: int) -> str:
    """``<out_dir>/<name>_member<i>.csv``."""
    return osp.join(out_dir, f'{name}_member{member}.csv')


def write_ensemble_statistics(members: Sequence[pd.DataFrame], out_dir: str, stem: str
                              ) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Compute :func:`ensemble_statistics` and write ``<stem>_ensemble_<key>.csv``.

    Returns:
        The tables and the files written (mean, median, variance).
    """
    stats = ensemble_statistics(members)
    paths = []
    for key, table in stats.items():
        path = osp.join(out_dir, f'{stem}_ensemble_{key}.csv')
        write_csv_atomic(table, path)
        paths.append(path)
    return stats, paths


def predict_ensemble(models: Sequence[nn.Module], video: str, out_dir: str,
                     batch_size: int = 16, progress: bool = True,
                     name: Optional[str] = None) -> EnsemblePrediction:
    """Predict a video with every member and write the member and ensemble files.

    Args:
        models: The members, prepared for inference (``posekit.apis.init_predictor``:
            single-stage models or crop-zoom pairs), all with the same keypoints.
        video: The video file.
        out_dir: Output folder (``<ensemble dir>/video_preds``).
        batch_size: Frames per model call.
        progress: Show a progress bar per member.
        name: Output name of the video (``posekit.inference.video_list.output_names``);
            default its file stem.

    Returns:
        The :class:`EnsemblePrediction`.

    Raises:
        FileNotFoundError: The video does not exist.
        VideoReadError: It cannot be decoded.
        ValueError: The members predict different keypoints.
    """
    name = name or osp.splitext(osp.basename(video))[0]
    members, paths = [], []
    for i, model in enumerate(models):
        prediction = video_inference(model, batch_size).run(video, progress=progress)
        df = prediction_dataframe(model, prediction.keypoints, prediction.confidences)
        paths.append(member_path(out_dir, name, i))
        write_csv_atomic(df, paths[-1])
        members.append(df)
    stats, stat_paths = write_ensemble_statistics(members, out_dir, name)
    return EnsemblePrediction(video, members, stats, paths + stat_paths)
