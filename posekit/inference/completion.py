"""Whether a video's outputs are complete: a done-marker written after all of them.

``<name>.done.json`` is written atomically once every file of the video is in place, and
removed before a video is (re)predicted; so a marker that exists, names this video (same
path, size and modification time) and lists files that all exist, written with at least the
requested optional outputs, means the outputs are complete, whatever happened to an earlier
run. Its fields: ``video``, ``size``, ``mtime``, ``frames``, ``fps``, ``mean_confidence``,
``files`` (relative to the output folder), ``save_video``, ``save_heatmaps`` and
``max_confidence`` (per keypoint, the highest of any frame).
"""
import json
import os
import os.path as osp
from dataclasses import asdict, dataclass, field
from typing import Optional

from posekit.atomic_io import write_text_atomic

#: The marker's file name after the video's output name.
MARKER_SUFFIX = '.done.json'


@dataclass
class DoneRecord:
    """What a finished video's marker holds (see the module docstring)."""

    video: str
    size: int
    mtime: float
    frames: int
    fps: float
    mean_confidence: float
    files: list[str] = field(default_factory=list)
    save_video: bool = False
    save_heatmaps: bool = False
    max_confidence: dict[str, float] = field(default_factory=dict)


def marker_path(out_dir: str, name: str) -> str:
    """The done-marker of the video named ``name``."""
    return osp.join(out_dir, name + MARKER_SUFFIX)


def video_record(video: str, frames: int, fps: float, mean_confidence: float,
                 files: list[str], out_dir: str, save_video: bool, save_heatmaps: bool,
                 max_confidence: Optional[dict[str, float]] = None) -> DoneRecord:
    """The record of a video whose ``files`` (absolute or relative paths) were just written
    (``max_confidence``: see :class:`DoneRecord`; None: unknown)."""
    stat = os.stat(video)
    return DoneRecord(video, stat.st_size, stat.st_mtime, frames, fps, mean_confidence,
                      [osp.relpath(f, out_dir) for f in files], save_video, save_heatmaps,
                      dict(max_confidence or {}))


def mark_done(out_dir: str, name: str, record: DoneRecord) -> None:
    """Write the marker (after every file of the video)."""
    write_text_atomic(marker_path(out_dir, name), json.dumps(asdict(record), indent=1))


def clear_done(out_dir: str, name: str) -> None:
    """Remove the marker before the video's files are written again."""
    path = marker_path(out_dir, name)
    if osp.lexists(path):
        os.remove(path)


def completed(out_dir: str, name: str, video: str, save_video: bool = False,
              save_heatmaps: bool = False) -> Optional[DoneRecord]:
    """The record of the video's complete outputs, or None when they must be (re)made.

    Args:
        out_dir: The output folder.
        name: The video's output name.
        video: The video file (its path, size and mtime must match the marker's).
        save_video: A labeled video is requested.
        save_heatmaps: Heatmaps are requested.

    Returns:
        The marker's :class:`DoneRecord`, or None (no marker, an unreadable one, another or a
        changed video, a listed file missing, or a requested output not made).
    """
    try:
        with open(marker_path(out_dir, name), encoding='utf-8') as f:
            record = DoneRecord(**json.load(f))
        stat = os.stat(video)
    except (OSError, ValueError, TypeError):
        return None
    if (record.video, record.size, record.mtime) != (video, stat.st_size, stat.st_mtime):
        return None
    if (save_video and not record.save_video) or (save_heatmaps and not record.save_heatmaps):
        return None
    if not all(osp.isfile(osp.join(out_dir, f)) for f in record.files):
        return None
    return record
