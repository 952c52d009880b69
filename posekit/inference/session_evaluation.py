"""Test sessions of a multiview model against their ground truth (the config's
``test_sessions``, read by ``tools/test.py``).

An entry::

    dict(session='session3',
         videos='data/toy_multiview/videos_test/session3_{view}.mp4',   # {view}: each view
         ground_truth='data/toy_multiview/ground_truth/session3_{view}.csv',  # optional, 2-D
         occluded='data/toy_multiview/ground_truth/session3_{view}_occluded.csv',  # optional
         ground_truth_3d='data/toy_multiview/ground_truth/session3_3d.csv',  # optional
         calibration=None,             # default: the metainfo's (a file or {session} pattern)
         conf_threshold=0.05,          # views below it are not triangulated
         reprojection_threshold=5.)    # px: a frame above it counts as an outlier

The session is predicted into ``video_preds/`` (``posekit.inference.session_runs``:
``<s>_<v>.csv``, ``<s>_3d.csv``, …). Metrics, named ``video/<s>_<v>/<metric>`` per view and
``video/<s>/<metric>`` for the session: each view's
:func:`~posekit.inference.metrics.video_metrics` (``pixel_error`` against its 2-D ground
truth, ``pixel_error_occluded`` / ``_visible`` with occlusion flags, ``temporal_norm``,
``jumps_above_20px``), and with a calibration
``reprojection_error`` (mean over frames of each frame's reprojection error, px) and
``reprojection_error_above_<t>px`` (share of frames above the threshold), and with a 3-D
ground truth ``error_3d`` (mean distance in world units between the triangulated and the true
keypoints). Files: ``<s>_<v>_pixel_error.csv`` (per frame and keypoint), ``<s>_3d_error.csv``
(per frame and keypoint, world units) and ``<s>_metrics.csv`` (every metric of the session).
"""
import logging
import os
import os.path as osp
from collections.abc import Sequence
from typing import Optional

import numpy as np
import pandas as pd
from mmengine.logging import print_log
from torch import nn

from posekit.datasets.io import from_dataframe, write_csv_atomic
from .ground_truth import read_ground_truth, read_occluded
from .metrics import pixel_errors, video_metrics
from .points3d import read_points_3d
from .session_runs import SessionOutputs, write_session_outputs
from .video_runs import VIDEO_ERRORS
from .sessions import Session, session_frames

#: Entry keys of a test session.
SESSION_KEYS = ('session', 'videos', 'ground_truth', 'occluded', 'ground_truth_3d',
                'calibration', 'conf_threshold', 'reprojection_threshold')


def _mean(values: np.ndarray) -> float:
    """Mean of the finite values, NaN when there is none."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    return float(finite.mean()) if finite.size else float('nan')


def _test_session(model: nn.Module, spec: dict) -> Session:
    """The :class:`Session` of an entry, its ``videos`` pattern filled per view.

    Raises:
        ValueError: A missing or unknown key, or ``videos`` without ``{view}``.
    """
    unknown = sorted(set(spec) - set(SESSION_KEYS))
    if unknown or 'session' not in spec or '{view}' not in str(spec.get('videos', '')):
        raise ValueError(f'test_sessions entry {spec}: give session=<name> and videos=<path '
                         f'with {{view}}>, optionally {list(SESSION_KEYS[2:])}'
                         + (f'; unknown key(s) {unknown}' if unknown else ''))
    views = tuple(model.view_names or ())
    return Session(str(spec['session']), views,
                   tuple(osp.abspath(spec['videos'].format(view=v)) for v in views))


def session_3d_metrics(outputs: SessionOutputs, truth_3d: Optional[np.ndarray],
                       threshold: float) -> tuple[dict[str, float], Optional[np.ndarray]]:
    """The 3-D metrics of a predicted session (module docstring).

    Args:
        outputs: The session's outputs (with triangulated points).
        truth_3d: ``(T, K, 3)`` true keypoints, or None.
        threshold: Reprojection error (px) above which a frame is an outlier.

    Returns:
        The metrics, and the ``(T, K)`` 3-D errors (None without a 3-D ground truth).
    """
    frame_errors = outputs.points.frame_errors
    finite = frame_errors[np.isfinite(frame_errors)]
    metrics = {'reprojection_error': _mean(frame_errors),
               f'reprojection_error_above_{threshold:g}px':
                   float((finite > threshold).mean()) if finite.size else float('nan')}
    if truth_3d is None:
        return metrics, None
    errors = np.linalg.norm(outputs.points.points - truth_3d, axis=-1)
    metrics['error_3d'] = _mean(errors)
    return metrics, errors


def evaluate_session(model: nn.Module, spec: dict, out_dir: str, batch_size: int = 16,
                     save_video: bool = False, progress: bool = False) -> dict[str, float]:
    """Predict one test session and compare it with its ground truth (module docstring).

    Args:
        model: A multiview model prepared for inference.
        spec: The ``test_sessions`` entry.
        out_dir: Output folder (``<work dir>/video_preds``).
        batch_size: Frames per view per model call.
        save_video: Also write the labeled videos.
        progress: Show a progress bar.

    Returns:
        The metrics, named ``<s>_<v>/<metric>`` and ``<s>/<metric>``.

    Raises:
        ValueError: A bad entry, ground truth naming other keypoints, or views of unequal
            frame counts.
        FileNotFoundError: A video or ground truth file does not exist.
    """
    session = _test_session(model, spec)
    num_frames = session_frames(session)
    names = model.dataset_meta['keypoint_names']
    truths = occluded = None
    if spec.get('ground_truth'):
        truths = []
        for view in session.views:
            path = spec['ground_truth'].format(view=view)
            found, truth = read_ground_truth(path, num_frames)
            if found != names:
                raise ValueError(f'{path}: keypoints {found} differ from the model\'s {names}')
            truths.append(truth)
        if spec.get('occluded'):
            occluded = [read_occluded(spec['occluded'].format(view=view), names, num_frames)
                        for view in session.views]
    truth_3d = read_points_3d(spec['ground_truth_3d'], names, num_frames) \
        if spec.get('ground_truth_3d') else None
    outputs = write_session_outputs(model, session, out_dir, batch_size, save_video,
                                    conf_threshold=float(spec.get('conf_threshold', 0.05)),
                                    progress=progress, references=truths,
                                    calibration=spec.get('calibration'))
    metrics = {}
    for v, (view, view_outputs) in enumerate(zip(session.views, outputs.views)):
        _, keypoints, _ = from_dataframe(view_outputs.predictions)
        truth = None if truths is None else truths[v]
        prefix = session.output_name(view)
        flags = None if occluded is None else occluded[v]
        metrics.update({f'{prefix}/{key}': value
                        for key, value in video_metrics(keypoints, truth, flags).items()})
        if truth is not None:
            write_csv_atomic(pd.DataFrame(pixel_errors(keypoints, truth), columns=names),
                             osp.join(out_dir, f'{prefix}_pixel_error.csv'))
    if outputs.points is not None:
        values, errors = session_3d_metrics(outputs, truth_3d,
                                            float(spec.get('reprojection_threshold', 5.)))
        metrics.update({f'{session.name}/{key}': value for key, value in values.items()})
        if errors is not None:
            write_csv_atomic(pd.DataFrame(errors, columns=names),
                             osp.join(out_dir, f'{session.name}_3d_error.csv'))
    table = pd.DataFrame({'value': list(metrics.values())},
                         index=pd.Index(list(metrics), name='metric'))
    write_csv_atomic(table, osp.join(out_dir, f'{session.name}_metrics.csv'))
    for key, value in metrics.items():
        print_log(f'test session {key}: {value:.4f}', logger='current')
    return metrics


def evaluate_test_sessions(model: nn.Module, test_sessions: Sequence[dict], out_dir: str,
                           batch_size: int = 16, save_video: bool = False,
                           progress: bool = False) -> dict[str, float]:
    """:func:`evaluate_session` for each entry; a failing session is logged and skipped.

    Args:
        model: A multiview model prepared for inference.
        test_sessions: The entries.
        out_dir: Output folder (``<work dir>/video_preds``).
        batch_size: Frames per view per model call.
        save_video: Also write labeled videos.
        progress: Show progress bars.

    Returns:
        ``video/<name>/<metric>`` for every session's metrics.

    Raises:
        ValueError: The model is not multiview.
    """
    if not getattr(model, 'view_names', None):
        raise ValueError('test_sessions needs a multiview model (metainfo.view_names)')
    os.makedirs(out_dir, exist_ok=True)
    metrics = {}
    for spec in test_sessions:
        try:
            values = evaluate_session(model, dict(spec), out_dir, batch_size, save_video,
                                      progress)
        except VIDEO_ERRORS as error:
            print_log(f'test session {spec.get("session")}: {error}', logger='current',
                      level=logging.ERROR)
            continue
        metrics.update({f'video/{key}': value for key, value in values.items()})
    return metrics
