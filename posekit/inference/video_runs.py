"""Predict many videos into one folder: skip finished ones, resume, and summarise the run.

Each video's files are written atomically and its done-marker last
(:mod:`~posekit.inference.completion`), so a killed run is resumed by running the same
command again: finished videos are skipped, the others are predicted from the start.
"""
import logging
import math
import os
import os.path as osp
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Optional

import pandas as pd
from mmengine.logging import print_log
from torch import nn

from posekit.datasets.io import write_csv_atomic
from .completion import clear_done, completed, mark_done, video_record
from .confidence import (DEFAULT_MIN_CONFIDENCE, ConfidenceReport, confidence_report,
                         warn_never_confident)
from .evaluation import VIDEO_ERRORS
from .writers import VideoOutputs, write_video_outputs

#: ``extra(outputs, video, name, out_dir) -> paths``: more files of a video (see predict_one).
ExtraOutputs = Callable[[VideoOutputs, str, str, str], list[str]]

#: Columns of the summary CSV (its index is ``video``).
SUMMARY_COLUMNS = ('name', 'status', 'frames', 'fps', 'mean_confidence', 'never_confident',
                   'error')


@dataclass
class VideoStatus:
    """One row of the run's summary.

    Attributes:
        video: The video file.
        name: Its output name.
        status: ``'done'`` (predicted now), ``'skipped'`` (complete from an earlier run) or
            ``'failed'``.
        frames: Frames predicted (0 when failed).
        fps: Frames per second of the prediction (decoding included; from the earlier run
            when skipped).
        mean_confidence: Mean likelihood over frames and keypoints (NaN without).
        never_confident: The keypoints below the run's ``conf_threshold`` on every frame,
            ``;``-separated (``''``: none, or not known from an earlier run).
        error: The error message of a failed video, else ``''``.
    """

    video: str
    name: str
    status: str
    frames: int = 0
    fps: float = math.nan
    mean_confidence: float = math.nan
    never_confident: str = ''
    error: str = ''


def check_out_dir(path: str) -> str:
    """Create the output folder, or say in one line why it cannot be used (before any work).

    Args:
        path: The folder.

    Returns:
        Its absolute path.

    Raises:
        ValueError: It is a file, a parent is a file, it cannot be created, or it is not
            writable.
    """
    path = existing = osp.abspath(path)
    while not osp.exists(existing):
        existing = osp.dirname(existing)
    if not osp.isdir(existing):
        where = '' if existing == path else f': {existing}'
        raise ValueError(f'output folder {path}{where} is a file')
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as error:
        raise ValueError(f'cannot create output folder {path}: {error.strerror}') from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ValueError(f'output folder {path} is not writable')
    return path


def predict_one(model: nn.Module, video: str, name: str, out_dir: str, overwrite: bool,
                extra: Optional[ExtraOutputs] = None, **options) -> VideoStatus:
    """Predict a video into ``out_dir`` unless its outputs are complete.

    Args:
        model: A model prepared for inference.
        video: The video file.
        name: Its output name.
        out_dir: The output folder.
        overwrite: Predict even when the outputs are complete.
        extra: Writes more files of the video (other formats, smoothed tracks) from its
            outputs before it is marked done: ``extra(outputs, video, name, out_dir)`` returns
            their paths.
        **options: ``batch_size``, ``save_video``, ``save_heatmaps``, ``conf_threshold`` and
            ``progress`` of :func:`~posekit.inference.writers.write_video_outputs`;
            keypoints below ``conf_threshold`` on every frame are also named in a warning
            and the status's ``never_confident``.

    Returns:
        The video's :class:`VideoStatus`; a missing or unreadable video is ``'failed'``.
    """
    wanted = dict(save_video=options.get('save_video', False),
                  save_heatmaps=options.get('save_heatmaps', False))
    threshold = options.get('conf_threshold', DEFAULT_MIN_CONFIDENCE)
    done = None if overwrite else completed(out_dir, name, video, **wanted)
    if done is not None:
        never = ConfidenceReport({}, done.max_confidence).never_confident(threshold)
        return VideoStatus(video, name, 'skipped', done.frames, done.fps, done.mean_confidence,
                           ';'.join(never))
    try:
        clear_done(out_dir, name)
        outputs = write_video_outputs(model, video, out_dir, name=name, **options)
        if extra is not None:
            outputs.paths += extra(outputs, video, name, out_dir)
    except VIDEO_ERRORS as error:
        message = f'video not found: {video}' if isinstance(error, FileNotFoundError) \
            else str(error)
        print_log(message, logger='current', level=logging.ERROR)
        return VideoStatus(video, name, 'failed', error=message)
    frames = len(outputs.predictions)
    confidence = confidence_report(outputs.predictions)
    never = warn_never_confident(video, confidence, threshold)
    mark_done(out_dir, name, video_record(video, frames, outputs.fps, outputs.mean_confidence,
                                          outputs.paths, out_dir, **wanted,
                                          max_confidence=confidence.max))
    return VideoStatus(video, name, 'done', frames, outputs.fps, outputs.mean_confidence,
                       ';'.join(never))


def write_summary(rows: Sequence[VideoStatus], path: str) -> pd.DataFrame:
    """Write the run's summary CSV atomically (index ``video``, :data:`SUMMARY_COLUMNS`).

    Args:
        rows: One status per video, in the order of the run's list.
        path: The CSV file.

    Returns:
        The table written.
    """
    table = pd.DataFrame([asdict(row) for row in rows],
                         columns=['video', *SUMMARY_COLUMNS]).set_index('video')
    write_csv_atomic(table, path)
    return table


def predict_many(model: nn.Module, names: dict[str, str], out_dir: str,
                 overwrite: bool = False, summary: Optional[str] = None,
                 extra: Optional[ExtraOutputs] = None, **options) -> list[VideoStatus]:
    """:func:`predict_one` for each video in order, then the summary.

    Args:
        model: A model prepared for inference.
        names: ``{video: output name}`` (``posekit.inference.video_list.output_names``).
        out_dir: The output folder (checked with :func:`check_out_dir` first).
        overwrite: Predict complete videos again.
        summary: Write the summary CSV here (None: do not).
        extra: See :func:`predict_one`.
        **options: See :func:`predict_one`.

    Returns:
        One :class:`VideoStatus` per video.
    """
    out_dir = check_out_dir(out_dir)
    rows = []
    for video, name in names.items():
        start = time.perf_counter()
        rows.append(predict_one(model, video, name, out_dir, overwrite, extra, **options))
        print_log(f'{rows[-1].status}: {video} -> {name} '
                  f'({time.perf_counter() - start:.1f} s)', logger='current')
    if summary:
        write_summary(rows, summary)
    return rows
