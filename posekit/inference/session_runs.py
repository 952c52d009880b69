"""Predict multiview sessions into one folder: per-view files, 3-D, skip and resume.

For a session ``s`` with views ``v`` (``posekit.inference.sessions``), each view gets the
files a single-view video gets (:func:`~posekit.inference.writers.write_prediction_files`)
named ``<s>_<v>``: ``<s>_<v>.csv`` (DLC format, the view's frame pixels),
``<s>_<v>_temporal_norm.csv``, ``<s>_<v>_traces.png``, with ``--save-video``
``labeled_videos/<s>_<v>_labeled.mp4``, with ``--save-heatmaps`` ``<s>_<v>_heatmaps.npy``;
and the session gets ``<s>_3d.csv`` (``posekit.inference.points3d``) when it has a
calibration. Every file is written atomically; then each view's done-marker
``<s>_<v>.done.json`` (``posekit.inference.completion``), listing all the session's files. A
session is complete, and skipped, when every view's marker is; otherwise it is predicted
again from the start.
"""
import logging
import os.path as osp
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from mmengine.logging import print_log
from torch import nn

from posekit.datasets.io import write_csv_atomic
from posekit.geometry3d import session_calibration_path
from .completion import DoneRecord, clear_done, completed, mark_done, video_record
from .multiview_predictor import MultiviewVideoInference
from .points3d import Points3D, points_table, session_cameras, triangulate_views
from .sessions import SESSION_3D_SUFFIX, Session, session_frames
from .video_runs import VIDEO_ERRORS, ExtraOutputs, VideoStatus
from .writers import VideoOutputs, write_prediction_files


@dataclass
class SessionOutputs:
    """What :func:`write_session_outputs` wrote for one session.

    Attributes:
        session: The session.
        views: Each view's :class:`~posekit.inference.writers.VideoOutputs`, in view order.
        points: The triangulated keypoints, or None without a calibration.
        paths: The session's own files (``<s>_3d.csv``).
    """

    session: Session
    views: list[VideoOutputs]
    points: Optional[Points3D] = None
    paths: list[str] = field(default_factory=list)

    @property
    def files(self) -> list[str]:
        """Every file written: the views' files, then the session's."""
        return [path for view in self.views for path in view.paths] + self.paths

    @property
    def mean_confidence(self) -> float:
        """Mean likelihood over views, frames and keypoints (NaN without confidences)."""
        values = [view.mean_confidence for view in self.views]
        return float(np.mean(values)) if np.isfinite(values).all() else float('nan')


def write_session_outputs(model: nn.Module, session: Session, out_dir: str,
                          batch_size: int = 16, save_video: bool = False,
                          save_heatmaps: bool = False, conf_threshold: float = 0.05,
                          progress: bool = True,
                          references: Optional[Sequence[np.ndarray]] = None,
                          calibration: Optional[str] = None) -> SessionOutputs:
    """Predict a session's views in sync and write its files (module docstring).

    Args:
        model: A multiview model prepared for inference (``posekit.apis.init_model``).
        session: The session.
        out_dir: Output folder.
        batch_size: Frames per view per model call.
        save_video: Also write each view's labeled video.
        save_heatmaps: Also write each view's heatmaps.
        conf_threshold: Keypoints below it are not drawn, and the views below it are left
            out of the triangulation.
        progress: Show a progress bar.
        references: Optional ``(T, K, 2)`` ground truth per view, drawn in the traces.
        calibration: The calibration file or ``{session}`` pattern; None: the model
            metainfo's ``calibration``.

    Returns:
        The :class:`SessionOutputs`.

    Raises:
        FileNotFoundError: A video does not exist.
        VideoReadError: A video cannot be decoded.
        ValueError: The views' frame counts differ (naming the session and the videos).
        CalibrationError: The session's calibration cannot be used.
    """
    session_frames(session)
    names = [session.output_name(view) for view in session.views]
    heatmaps = [osp.join(out_dir, f'{name}_heatmaps.npy') for name in names] \
        if save_heatmaps else None
    predictions = MultiviewVideoInference(model, batch_size).run_views(
        session.videos, heatmaps, progress, session.name)
    outputs = SessionOutputs(session, [
        write_prediction_files(model, video, prediction, out_dir, name, save_video,
                               conf_threshold, None if references is None else references[v])
        for v, (video, prediction, name) in enumerate(zip(session.videos, predictions, names))])
    entry = calibration or (model.metainfo or {}).get('calibration')
    cameras = session_cameras(entry, session.name, session.views)
    if cameras is None:
        if entry:
            print_log(f'session {session.name!r}: no calibration '
                      f'{session_calibration_path(entry, session.name)}; no 3-D output',
                      logger='current', level=logging.WARNING)
        return outputs
    outputs.points = triangulate_views(np.stack([p.keypoints for p in predictions]),
                                       np.stack([p.confidences for p in predictions]),
                                       cameras, conf_threshold)
    path = osp.join(out_dir, session.name + SESSION_3D_SUFFIX)
    write_csv_atomic(points_table(outputs.points, model.dataset_meta['keypoint_names'],
                                  model.dataset_meta['scorer']), path)
    outputs.paths.append(path)
    return outputs


def session_completed(out_dir: str, session: Session, save_video: bool = False,
                      save_heatmaps: bool = False) -> Optional[list[DoneRecord]]:
    """Every view's record when the session's outputs are complete, else None.

    Args:
        out_dir: The output folder.
        session: The session.
        save_video: Labeled videos are requested.
        save_heatmaps: Heatmaps are requested.
    """
    records = [completed(out_dir, session.output_name(view), video, save_video, save_heatmaps)
               for view, video in zip(session.views, session.videos)]
    return None if any(record is None for record in records) else records


def predict_session(model: nn.Module, session: Session, out_dir: str, overwrite: bool,
                    extra: Optional[ExtraOutputs] = None, **options) -> VideoStatus:
    """Predict a session into ``out_dir`` unless its outputs are complete.

    Args:
        model: A multiview model prepared for inference.
        session: The session.
        out_dir: The output folder.
        overwrite: Predict even when the outputs are complete.
        extra: More files of each view, written before the markers:
            ``extra(view_outputs, video, '<s>_<v>', out_dir)`` returns their paths.
        **options: ``batch_size``, ``save_video``, ``save_heatmaps``, ``conf_threshold`` and
            ``progress`` of :func:`write_session_outputs`.

    Returns:
        The session's row of the summary (``video`` = its videos joined by ``;``, ``name``
        = the session); a missing or unreadable video, or unequal frame counts, is
        ``'failed'``.
    """
    wanted = dict(save_video=options.get('save_video', False),
                  save_heatmaps=options.get('save_heatmaps', False))
    done = None if overwrite else session_completed(out_dir, session, **wanted)
    if done is not None:
        confidence = [record.mean_confidence for record in done]
        return VideoStatus(session.label, session.name, 'skipped', done[0].frames, done[0].fps,
                           float(np.mean(confidence)))
    names = [session.output_name(view) for view in session.views]
    try:
        for name in names:
            clear_done(out_dir, name)
        outputs = write_session_outputs(model, session, out_dir, **options)
        if extra is not None:
            for view, video, name in zip(outputs.views, session.videos, names):
                outputs.paths += extra(view, video, name, out_dir)
    except VIDEO_ERRORS as error:
        print_log(str(error), logger='current', level=logging.ERROR)
        return VideoStatus(session.label, session.name, 'failed', error=str(error))
    frames, fps = len(outputs.views[0].predictions), outputs.views[0].fps
    for view, video, name in zip(outputs.views, session.videos, names):
        mark_done(out_dir, name, video_record(video, frames, fps, view.mean_confidence,
                                              outputs.files, out_dir, **wanted))
    return VideoStatus(session.label, session.name, 'done', frames, fps,
                       outputs.mean_confidence)


def predict_sessions(model: nn.Module, sessions: Sequence[Session], out_dir: str,
                     overwrite: bool = False, extra: Optional[ExtraOutputs] = None,
                     **options) -> list[VideoStatus]:
    """:func:`predict_session` for each session in order.

    Args:
        model: A multiview model prepared for inference.
        sessions: The sessions.
        out_dir: The output folder (checked with ``video_runs.check_out_dir`` first).
        overwrite: Predict complete sessions again.
        extra: See :func:`predict_session`.
        **options: See :func:`predict_session`.

    Returns:
        One row per session.
    """
    rows = []
    for session in sessions:
        start = time.perf_counter()
        rows.append(predict_session(model, session, out_dir, overwrite, extra, **options))
        print_log(f'{rows[-1].status}: session {session.name} '
                  f'({time.perf_counter() - start:.1f} s)', logger='current')
    return rows
