"""Synchronised unlabeled clips of every camera view of a session."""
import os.path as osp
import re
from collections.abc import Callable, Sequence
from typing import Optional, Union

import numpy as np

from posekit.registry import DATASETS
from .multiview_frames import stack_views
from .video_clips import VideoClipDataset
from .video_io import list_videos, video_info


def match_session_videos(videos: Sequence[str], view_names: Sequence[str],
                         pattern: str = '{session}_{view}'
                         ) -> tuple[dict[str, dict[str, str]], list[str]]:
    """Sort video files into sessions by their file stems: ``<session>_<view>.mp4``.

    Args:
        videos: Video paths.
        view_names: The views.
        pattern: File stem pattern with ``{session}`` and ``{view}``.

    Returns:
        ``{session: {view: path}}`` of the videos fitting the pattern (views as found, so a
        session may lack some), and the videos that do not fit it, in order.

    Raises:
        ValueError: A bad pattern, or two videos of the same session and view (naming both).
    """
    if '{session}' not in pattern or '{view}' not in pattern:
        raise ValueError(f'video pattern {pattern!r} must contain {{session}} and {{view}}')
    views = '|'.join(re.escape(v) for v in sorted(view_names, key=len, reverse=True))
    regex = re.compile(re.escape(pattern).replace(r'\{session\}', '(?P<session>.+)')
                       .replace(r'\{view\}', f'(?P<view>{views})') + '$')
    sessions: dict[str, dict[str, str]] = {}
    unmatched = []
    for path in videos:
        match = regex.match(osp.splitext(osp.basename(path))[0])
        if match is None:
            unmatched.append(path)
            continue
        found = sessions.setdefault(match['session'], {})
        if match['view'] in found:
            raise ValueError(f'session {match["session"]!r} has two videos of view '
                             f'{match["view"]!r}: {found[match["view"]]} and {path}')
        found[match['view']] = path
    return sessions, unmatched


def missing_views_error(session: str, found: dict[str, str],
                        view_names: Sequence[str]) -> Optional[str]:
    """The error message of a session lacking some views' videos, or None when complete."""
    missing = [v for v in view_names if v not in found]
    if not missing:
        return None
    return (f'session {session!r} has no video of view(s) {missing} (found '
            f'{sorted(found.values())})')


def group_session_videos(videos: Sequence[str], view_names: Sequence[str],
                         pattern: str = '{session}_{view}') -> dict[str, list[str]]:
    """Group video files by session: ``<session>_<view>.mp4`` → ``{session: [per view]}``.

    Args:
        videos: Video paths.
        view_names: The views, in the order of the returned lists.
        pattern: File stem pattern with ``{session}`` and ``{view}``.

    Returns:
        Session → its videos in ``view_names`` order, sessions sorted by name.

    Raises:
        ValueError: A bad pattern, a video whose name fits no view, or a session without a
            video of some view (naming the session and the missing views).
    """
    sessions, unmatched = match_session_videos(videos, view_names, pattern)
    if unmatched:
        raise ValueError(f'video {unmatched[0]!r} does not fit the pattern {pattern!r} with a '
                         f'view of {list(view_names)}')
    for session, found in sessions.items():
        message = missing_views_error(session, found, view_names)
        if message:
            raise ValueError(message)
    return {s: [sessions[s][v] for v in view_names] for s in sorted(sessions)}


@DATASETS.register_module()
class MultiviewVideoClipDataset(VideoClipDataset):
    """Random synchronised clips: the same frames of every view of a session.

    Clips are drawn as :class:`VideoClipDataset` draws them, over the sessions (each
    session's views must have equal frame counts). The pipeline runs once per view (views may
    differ in frame size; it must bring them to one input size) with the view's own
    augmentation draw, and the packed views are stacked (``stack_views``): ``inputs
    (V, T, 3, H, W)`` ``uint8``, ``data_samples`` with ``input_from_frame (V, T, 3, 3)``,
    ``frame_indices (V, T)`` (equal rows), ``video`` (V paths) and ``session``.

    Args:
        videos: Video folder(s), glob(s) or file(s) holding ``<session>_<view>`` videos.
        view_names: The camera views, in the order of the view axis.
        pipeline: Transform configs ending with ``PackClipInputs``.
        pattern: File stem pattern with ``{session}`` and ``{view}``.
        data_root: Folder relative entries of ``videos`` are resolved against.
        clip_length: Frames per clip ``T``.
        clips_per_epoch: Dataset length; defaults to the sessions' frames // ``clip_length``.
        seed: Seed of the clip draws.
        test_mode: Fixed clips: ignore the epoch.

    Raises:
        ValueError: A session misses a view's video, or its views' frame counts differ
            (naming the videos and their counts), or a video is shorter than a clip.
    """

    def __init__(self, videos: Union[str, Sequence[str]], view_names: Sequence[str],
                 pipeline: Sequence[Union[dict, Callable[[dict], dict]]],
                 pattern: str = '{session}_{view}', data_root: str = '',
                 clip_length: int = 16, clips_per_epoch: Optional[int] = None, seed: int = 0,
                 test_mode: bool = False) -> None:
        self.view_names = [str(v) for v in view_names]
        self.sessions = group_session_videos(list_videos(videos, data_root), self.view_names,
                                             pattern)
        for session, paths in self.sessions.items():
            counts = {path: video_info(path).num_frames for path in paths}
            if len(set(counts.values())) > 1:
                raise ValueError(f'session {session!r}: its views\' videos differ in frame '
                                 f'count {counts}; synchronised views need equal counts')
        # the base class draws clips over its videos: one per session (its first view)
        super().__init__([paths[0] for paths in self.sessions.values()], pipeline,
                         clip_length=clip_length, clips_per_epoch=clips_per_epoch, seed=seed,
                         test_mode=test_mode)
        self.session_names = list(self.sessions)

    def __getitem__(self, index: int) -> dict:
        """Clip ``index`` of the current epoch in every view; see the class docstring."""
        if not 0 <= index < len(self):
            raise IndexError(f'clip index {index} out of range for {len(self)} clips')
        rng = np.random.default_rng((self.seed, int(index), 0 if self.test_mode else self.epoch))
        session, start = self._draw_start(rng)
        name = self.session_names[session]
        frame_indices = np.arange(start, start + self.clip_length, dtype=np.int64)
        items = [self._transformed_clip(path, frame_indices, int(rng.integers(2 ** 32)))
                 for path in self.sessions[name]]
        stacked = stack_views(items, self.view_names)
        stacked['data_samples']['session'] = name
        return stacked
