"""Rank predicted frames by uncertainty and pick the next ones to label.

Every signal is a per-frame score read from the files posekit writes into ``video_preds/``
(docs/outputs.md), averaged over the keypoints with a value (higher = less trusted):

==============  ===================================================  ======================
``--by``        file                                                 score of a frame
==============  ===================================================  ======================
ensemble_var    ``<stem>_ensemble_variance.csv``                     mean variance (px²)
pca             ``<stem>_pca_singleview_error.csv`` / ``_multiview``  mean PCA error (px)
temporal        ``<stem>_temporal_norm.csv``                         mean displacement (px)
confidence      ``<stem>.csv``, else ``<stem>_ensemble_mean.csv``     1 − mean likelihood
==============  ===================================================  ======================

:func:`pick_frames` takes the best-scored frames greedily, keeping picks of one video at
least ``min_gap`` frames apart and at most ``ceil(n / videos)`` per video while other videos
still have candidates.
"""
import glob
import math
import os.path as osp
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd

from posekit.datasets.io import read_dlc_csv

SIGNALS = ('ensemble_var', 'pca', 'temporal', 'confidence')
_TABLE_SUFFIXES = {'ensemble_var': ('_ensemble_variance',),
                   'pca': ('_pca_singleview_error', '_pca_multiview_error'),
                   'temporal': ('_temporal_norm',)}
_NOT_PREDICTIONS = ('_temporal_norm', '_pca_singleview_error', '_pca_multiview_error',
                    '_pixel_error', '_ensemble_variance', '_ensemble_mean',
                    '_ensemble_median', '_eks', '_kalman', '_savgol')


@dataclass(frozen=True)
class Pick:
    """A frame to label: its video stem, frame number and score."""

    stem: str
    frame: int
    score: float


def _row_means(values: np.ndarray) -> np.ndarray:
    """Per-row mean of a ``(T, K)`` array over its finite values (NaN for empty rows)."""
    scores = np.full(len(values), np.nan)
    seen = np.isfinite(values).any(axis=1)
    scores[seen] = np.nanmean(values[seen], axis=1)
    return scores


def _table_scores(paths: list[str]) -> np.ndarray:
    """Per-frame mean over keypoints of ``T × K`` tables (averaged over several files)."""
    tables = []
    for path in paths:
        table = pd.read_csv(path, index_col=0)
        if not table.index.equals(pd.RangeIndex(len(table))):
            raise ValueError(f'{path}: the index must be the frame numbers 0 … T-1')
        tables.append(table.to_numpy(dtype=float))
    return _row_means(np.concatenate(tables, axis=1))


def _prediction_stems(pred_dir: str) -> list[str]:
    return sorted(osp.basename(p)[:-4] for p in glob.glob(osp.join(pred_dir, '*.csv'))
                  if not osp.basename(p)[:-4].endswith(_NOT_PREDICTIONS)
                  and '_member' not in osp.basename(p))


def frame_scores(pred_dir: str, by: str) -> dict[str, np.ndarray]:
    """Per-frame scores of every video predicted into a folder.

    Args:
        pred_dir: A ``video_preds/`` folder.
        by: One of :data:`SIGNALS`.

    Returns:
        ``{stem: (T,) scores}``, NaN for frames without a value.

    Raises:
        ValueError: ``by`` is unknown, or a table's index is not frame numbers.
        FileNotFoundError: The folder holds no file of that signal.
    """
    if by not in SIGNALS:
        raise ValueError(f'unknown signal {by!r}; choose from {", ".join(SIGNALS)}')
    scores: dict[str, np.ndarray] = {}
    if by == 'confidence':
        stems = set(_prediction_stems(pred_dir))
        for path in glob.glob(osp.join(pred_dir, '*_ensemble_mean.csv')):
            stems.add(osp.basename(path)[:-len('_ensemble_mean.csv')])
        for stem in sorted(stems):
            path = osp.join(pred_dir, f'{stem}.csv')
            if not osp.isfile(path):
                path = osp.join(pred_dir, f'{stem}_ensemble_mean.csv')
            likelihood = read_dlc_csv(path).likelihood
            if likelihood is not None and np.isfinite(likelihood).any():
                scores[stem] = _row_means(1 - likelihood)
    else:
        found: dict[str, list[str]] = {}
        for suffix in _TABLE_SUFFIXES[by]:
            for path in sorted(glob.glob(osp.join(pred_dir, f'*{suffix}.csv'))):
                found.setdefault(osp.basename(path)[:-len(suffix) - 4], []).append(path)
        scores = {stem: _table_scores(paths) for stem, paths in sorted(found.items())}
    if not scores:
        raise FileNotFoundError(f'{pred_dir}: no predictions with a {by!r} signal '
                                f'(see docs/outputs.md for the files each signal reads)')
    return scores


def pick_frames(scores: Mapping[str, np.ndarray], n: int, min_gap: int = 10,
                exclude: Optional[Mapping[str, Collection[int]]] = None) -> list[Pick]:
    """The ``n`` best-scored frames, spread over time and videos.

    Args:
        scores: ``{stem: (T,) per-frame scores}``; NaN frames are never picked.
        n: Frames to pick.
        min_gap: Least distance in frames between two picks of one video (and between a
            pick and an excluded frame).
        exclude: ``{stem: frames}`` already labeled.

    Returns:
        Up to ``n`` picks, best score first (fewer when the gaps leave no more candidates).

    Raises:
        ValueError: ``n`` or ``min_gap`` is negative.
    """
    if n < 0 or min_gap < 0:
        raise ValueError(f'n and min_gap must not be negative, got n={n}, min_gap={min_gap}')
    candidates = sorted(((float(s), stem, int(t)) for stem, values in scores.items()
                         for t, s in enumerate(values) if np.isfinite(s)),
                        key=lambda c: (-c[0], c[1], c[2]))
    taken = {stem: list((exclude or {}).get(stem, ())) for stem in scores}
    quota = math.ceil(n / max(len(scores), 1))
    picks: list[Pick] = []
    for limit in (quota, n):   # spread over videos first, then fill up
        for score, stem, frame in candidates:
            if len(picks) == n:
                break
            if sum(p.stem == stem for p in picks) >= limit:
                continue
            if all(abs(frame - other) >= max(min_gap, 1) for other in taken[stem]):
                taken[stem].append(frame)
                picks.append(Pick(stem, frame, score))
    return sorted(picks, key=lambda p: (-p.score, p.stem, p.frame))
