"""Video reading: open, inspect, decode frames and list video files, with decord or PyAV.

Two decoders sit behind one interface and give the same frames (bit-identical on the toy and
mirror-mouse videos, tests/datasets/test_video_backends.py): decord where it is installed
(Linux x86-64, Windows amd64) and PyAV everywhere else. ``POSEKIT_VIDEO_BACKEND=decord`` or
``=pyav`` forces one. Readers must not cross a ``fork``: a reader opened in the main process
and used in a DataLoader worker hangs (decord), so workers open their own readers lazily
through :class:`VideoReaderCache`.
"""
import glob
import os
import os.path as osp
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, Union

import numpy as np

from . import video_pyav

try:
    from . import video_decord
except ImportError as _error:  # no decord wheel for this platform
    video_decord, _DECORD_MISSING = None, str(_error)
else:
    _DECORD_MISSING = ''

#: File extensions a video folder is searched for (case-insensitive).
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv')

#: Environment variable that forces a video backend.
BACKEND_ENV = 'POSEKIT_VIDEO_BACKEND'

#: The video backends, by the name ``POSEKIT_VIDEO_BACKEND`` takes.
BACKENDS = ('decord', 'pyav')


class VideoReader(Protocol):
    """What :func:`open_video` returns, whichever backend decodes.

    Attributes:
        path: The video file.
        ERRORS: The exceptions the backend raises for a file or frame it cannot decode.
    """

    path: str
    ERRORS: tuple[type[Exception], ...]

    def __len__(self) -> int:
        """Number of frames."""

    @property
    def fps(self) -> float:
        """Average frame rate."""

    def get_batch(self, indices: Sequence[int]) -> np.ndarray:
        """``(T, H, W, 3)`` uint8 RGB frames of ``(T,)`` indices in ``[0, len(self))``."""


class VideoReadError(ValueError):
    """A video file exists but the video backend cannot open or decode it."""


@dataclass(frozen=True)
class VideoInfo:
    """Metadata of a video.

    Attributes:
        num_frames: Number of frames (video packets, as decord counts them).
        width: Frame width in pixels.
        height: Frame height in pixels.
        fps: Average frame rate.
    """

    num_frames: int
    width: int
    height: int
    fps: float


def video_backend() -> str:
    """The video backend in use: ``POSEKIT_VIDEO_BACKEND`` if set, else decord where it
    imports, else PyAV.

    Returns:
        ``'decord'`` or ``'pyav'``.

    Raises:
        ValueError: ``POSEKIT_VIDEO_BACKEND`` names no backend, or names decord where decord
            does not import.
    """
    name = os.environ.get(BACKEND_ENV, '').strip().lower()
    if not name:
        return 'decord' if video_decord is not None else 'pyav'
    if name not in BACKENDS:
        raise ValueError(f'{BACKEND_ENV}={name!r} is not a video backend; choose one of: '
                         f'{", ".join(BACKENDS)}')
    if name == 'decord' and video_decord is None:
        raise ValueError(f'{BACKEND_ENV}=decord, but decord does not import '
                         f'({_DECORD_MISSING}); unset it to use pyav')
    return name


def _reader_class() -> type:
    """The reader class of the backend in use (:func:`video_backend`)."""
    return video_decord.DecordReader if video_backend() == 'decord' else video_pyav.PyAVReader


def _reason(error: Exception) -> str:
    """A backend error's message without errno and path (PyAV repeats both)."""
    return getattr(error, 'strerror', None) or str(error)


def open_video(path: str) -> VideoReader:
    """Open ``path`` with the video backend in use, on the CPU with one decoding thread.

    Args:
        path: Video file.

    Returns:
        A reader: ``len(reader)`` frames, ``reader.fps``, ``reader.path``; decode frames with
        :func:`read_frames`.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        VideoReadError: The backend cannot open the file (corrupt or not a video).
        ValueError: ``POSEKIT_VIDEO_BACKEND`` is invalid (see :func:`video_backend`).
    """
    reader_class = _reader_class()
    if not osp.isfile(path):
        raise FileNotFoundError(path)
    try:
        return reader_class(path)
    except reader_class.ERRORS as error:
        raise VideoReadError(f'cannot read video {path!r}: not a video file, or corrupt '
                             f'({video_backend()}: {_reason(error)})') from error


def video_info(path: str) -> VideoInfo:
    """Read the metadata of ``path`` through a short-lived reader.

    The frame size comes from decoding the first frame. The reader is deleted before
    returning, so none survives into forked workers.

    Args:
        path: Video file.

    Returns:
        The video's :class:`VideoInfo`.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        VideoReadError: The backend cannot open the file or decode its first frame.
    """
    reader = open_video(path)
    try:
        height, width = read_frames(reader, [0]).shape[1:3]
        return VideoInfo(num_frames=len(reader), width=int(width), height=int(height),
                         fps=reader.fps)
    finally:
        del reader


def read_frames(reader_or_path: Union[VideoReader, str], indices: Sequence[int]) -> np.ndarray:
    """Decode frames by index (negative indices count from the end).

    Args:
        reader_or_path: An open reader, or a path (opened for this call only).
        indices: ``(T,)`` frame indices.

    Returns:
        ``(T, H, W, 3)`` uint8 RGB frames.

    Raises:
        VideoReadError: An index is out of range, or the backend fails to decode the frames
            (the message names the file).
    """
    reader = open_video(reader_or_path) if isinstance(reader_or_path, str) else reader_or_path
    num_frames = len(reader)
    indices = [int(i) for i in indices]
    outside = [i for i in indices if not -num_frames <= i < num_frames]
    if outside:
        raise VideoReadError(f'cannot decode frames {outside} of {reader.path!r}: it has '
                             f'{num_frames} frames')
    try:
        return reader.get_batch([i % num_frames for i in indices])
    except reader.ERRORS as error:
        raise VideoReadError(f'cannot decode frames {indices} of {reader.path!r}: '
                             f'{_reason(error)}') from error


class VideoReaderCache:
    """Readers opened lazily and kept per process, keyed by ``(os.getpid(), path)``.

    A forked DataLoader worker inherits the parent's entries but, having another pid, never
    uses them: it opens its own readers on first use. Pickling (spawned workers) drops all
    readers. At most ``max_open`` readers per process are kept; the least recently used is
    closed first.

    Args:
        max_open: Readers kept open per process.
    """

    def __init__(self, max_open: int = 8) -> None:
        if max_open < 1:
            raise ValueError(f'max_open must be at least 1, got {max_open}')
        self.max_open = max_open
        self._readers: OrderedDict[tuple[int, str], VideoReader] = OrderedDict()

    def get(self, path: str) -> VideoReader:
        """This process's reader of ``path``, opened on first use.

        Args:
            path: Video file.

        Returns:
            A reader (:func:`open_video`) owned by the calling process.
        """
        key = (os.getpid(), path)
        if key in self._readers:
            self._readers.move_to_end(key)
            return self._readers[key]
        own = [k for k in self._readers if k[0] == key[0]]
        if len(own) >= self.max_open:
            del self._readers[own[0]]
        reader = self._readers[key] = open_video(path)
        return reader

    def __getstate__(self) -> dict:
        return dict(max_open=self.max_open, _readers=OrderedDict())


def _expand(item: str, root: str) -> list[str]:
    """The video files one ``list_videos`` entry stands for (may be empty)."""
    path = item if osp.isabs(item) or not root else osp.join(root, item)
    if osp.isdir(path):
        return [osp.join(path, name) for name in os.listdir(path)
                if name.lower().endswith(VIDEO_EXTENSIONS)
                and osp.isfile(osp.join(path, name))]
    if osp.isfile(path):
        return [path]
    return [match for match in glob.glob(path) if osp.isfile(match)]


def list_videos(spec: Union[str, Sequence[str]], root: str = '') -> list[str]:
    """Resolve video paths.

    Args:
        spec: A folder (its ``*.mp4``, ``*.avi``, ``*.mov``, ``*.mkv`` files), a glob, a file
            path, or a list of those; relative entries are joined to ``root``.
        root: Folder relative entries are resolved against.

    Returns:
        Sorted unique paths.

    Raises:
        FileNotFoundError: An entry matches no file (the message names the entry and the
            path looked for), or ``spec`` is an empty list.
    """
    items = [spec] if isinstance(spec, (str, os.PathLike)) else list(spec)
    paths = set()
    for item in items:
        found = _expand(os.fspath(item), root)
        if not found:
            where = osp.join(root, item) if root and not osp.isabs(item) else item
            raise FileNotFoundError(f'no video found for {item!r} (looked for {where})')
        paths.update(found)
    if not paths:
        raise FileNotFoundError(f'no video found for {spec!r}')
    return sorted(paths)
