"""The sessions of a multiview prediction run: one synchronised video per camera view.

With a multiview model (the metainfo's ``view_names``) the videos of a run are grouped by the
config's video pattern (``{session}_{view}`` unless the unlabeled ``MultiviewVideoClipDataset``
names another ``pattern``): ``session1_top.mp4`` and ``session1_bottom.mp4`` are the two
views of session ``session1``, predicted together into ``<session>_<view>.*`` files. A video
whose name fits no view of the pattern is one camera's video and is predicted alone, as by
a single-view model. A session lacking a view's video is one error naming it and the videos
found; its other videos are not predicted.
"""
import os.path as osp
from collections.abc import Sequence
from dataclasses import dataclass

from mmengine.config import Config

from posekit.datasets.multiview_clips import match_session_videos, missing_views_error
from posekit.datasets.video_io import VideoReadError, video_info
from .video_list import OUTPUT_SUFFIXES

#: The video pattern when the config names none.
DEFAULT_PATTERN = '{session}_{view}'
#: The 3-D output of a session: ``<session>_3d.csv`` (``posekit.inference.points3d``).
SESSION_3D_SUFFIX = '_3d.csv'


@dataclass(frozen=True)
class Session:
    """The synchronised videos of one recording.

    Attributes:
        name: The session's name (the pattern's ``{session}``).
        views: The view names, in the model's order.
        videos: One absolute video path per view, in that order.
    """

    name: str
    views: tuple[str, ...]
    videos: tuple[str, ...]

    def output_name(self, view: str) -> str:
        """The output name of a view's files: ``<session>_<view>``."""
        return f'{self.name}_{view}'

    @property
    def label(self) -> str:
        """The session's videos joined by ``;`` (its entry in the run's summary)."""
        return ';'.join(self.videos)


def session_pattern(cfg: Config) -> str:
    """The video file pattern of a multiview config (module docstring).

    Args:
        cfg: The model's config.

    Returns:
        The ``pattern`` of its unlabeled ``MultiviewVideoClipDataset``, else
        :data:`DEFAULT_PATTERN`.
    """
    dataset = (cfg.get('unlabeled_dataloader') or {}).get('dataset') or {}
    if dataset.get('type') == 'MultiviewVideoClipDataset' and dataset.get('pattern'):
        return str(dataset['pattern'])
    return DEFAULT_PATTERN


def split_sessions(videos: Sequence[str], view_names: Sequence[str],
                   pattern: str = DEFAULT_PATTERN
                   ) -> tuple[list[Session], list[str], list[str]]:
    """Group a run's videos into sessions (module docstring).

    Args:
        videos: Absolute video paths, in the run's order.
        view_names: The model's views.
        pattern: File stem pattern with ``{session}`` and ``{view}``.

    Returns:
        The complete sessions (in order of their first video), the videos that fit no view
        (single cameras, in order), and one error message per incomplete session.

    Raises:
        ValueError: A bad pattern, or two videos of one session and view.
    """
    found, singles = match_session_videos(videos, view_names, pattern)
    sessions, errors = [], []
    for name, views in found.items():
        message = missing_views_error(name, views, view_names)
        if message:
            errors.append(message)
        else:
            sessions.append(Session(name, tuple(view_names),
                                    tuple(views[v] for v in view_names)))
    return sessions, singles, errors


def session_frames(session: Session) -> int:
    """The common frame count of a session's videos.

    Raises:
        FileNotFoundError: A video does not exist (naming the session).
        VideoReadError: A video cannot be opened (naming the session).
        ValueError: The views' frame counts differ (naming the session, videos and counts).
    """
    counts = {}
    for video in session.videos:
        if not osp.isfile(video):
            raise FileNotFoundError(f'session {session.name!r}: video not found: {video}')
        try:
            counts[video] = video_info(video).num_frames
        except VideoReadError as error:
            raise VideoReadError(f'session {session.name!r}: {error}') from error
    if len(set(counts.values())) > 1:
        raise ValueError(f'session {session.name!r}: its views\' videos differ in frame count '
                         f'{counts}; synchronised views need equal counts')
    return next(iter(counts.values()))


def session_files(session: Session) -> list[str]:
    """The file names a session's outputs may take (to refuse colliding single videos)."""
    return [session.output_name(view) + suffix for view in session.views
            for suffix in OUTPUT_SUFFIXES] + [f'{session.name}{SESSION_3D_SUFFIX}']


def multiview_sessions(cfg: Config, videos: Sequence[str]
                       ) -> tuple[list[Session], list[str], list[str]]:
    """:func:`split_sessions` of a run's videos for the model of ``cfg``.

    Args:
        cfg: The model's config; a multiview model's has ``metainfo.view_names``.
        videos: The run's videos.

    Returns:
        As :func:`split_sessions`; for a single-view config no session and every video.
    """
    views = (cfg.get('metainfo') or {}).get('view_names')
    if not views:
        return [], list(videos), []
    return split_sessions(videos, list(views), session_pattern(cfg))
