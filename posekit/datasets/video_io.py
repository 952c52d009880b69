"""Video reading with decord: open, inspect, decode frames and list video files.

This is the only posekit module that imports decord. Readers must not cross a ``fork``: a
``VideoReader`` opened in the main process and used in a DataLoader worker hangs, so workers
open their own readers lazily through :class:`VideoReaderCache`.
"""
import glob
import os
import os.path as osp
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Union

# cv2 must be imported before decord: decord bundles an old zlib, and once it is loaded first
# every later cv2.imread of a PNG fails with "libpng error: bad parameters to zlib".
import cv2  # noqa: F401  (import order matters, see above)
import decord
import numpy as np

#: File extensions a video folder is searched for (case-insensitive).
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv')


class VideoReadError(ValueError):
    """A video file exists but decord cannot open or decode it."""


@dataclass(frozen=True)
class VideoInfo:
    """Metadata of a video.

    Attributes:
        num_frames: Number of frames decord reports.
        width: Frame width in pixels.
        height: Frame height in pixels.
        fps: Average frame rate.
    """

    num_frames: int
    width: int
    height: int
    fps: float


def open_video(path: str) -> decord.VideoReader:
    """Open ``path`` with decord on the CPU with one decoding thread.

    Args:
        path: Video file.

    Returns:
        A ``decord.VideoReader``.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        VideoReadError: decord cannot open the file (corrupt or not a video).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(path)
    try:
        return decord.VideoReader(path, ctx=decord.cpu(0), num_threads=1)
    except (decord.DECORDError, RuntimeError, AssertionError) as error:
        raise VideoReadError(f'cannot read video {path!r}: {error}') from error


def video_info(path: str) -> VideoInfo:
    """Read the metadata of ``path`` through a short-lived reader.

    The frame size comes from decoding the first frame (decord exposes no size field). The
    reader is deleted before returning, so none survives into forked workers.

    Args:
        path: Video file.

    Returns:
        The video's :class:`VideoInfo`.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        VideoReadError: decord cannot open the file or decode its first frame.
    """
    reader = open_video(path)
    try:
        height, width = reader[0].shape[:2]
        return VideoInfo(num_frames=len(reader), width=int(width), height=int(height),
                         fps=float(reader.get_avg_fps()))
    except (decord.DECORDError, RuntimeError) as error:
        raise VideoReadError(f'cannot decode video {path!r}: {error}') from error
    finally:
        del reader


def read_frames(reader_or_path: Union[decord.VideoReader, str],
                indices: Sequence[int]) -> np.ndarray:
    """Decode frames by index.

    Args:
        reader_or_path: An open reader, or a path (opened for this call only).
        indices: ``(T,)`` frame indices.

    Returns:
        ``(T, H, W, 3)`` uint8 RGB frames.

    Raises:
        VideoReadError: decord fails to decode the frames (named by path when given one).
    """
    is_path = isinstance(reader_or_path, str)
    reader = open_video(reader_or_path) if is_path else reader_or_path
    indices = [int(i) for i in indices]
    try:
        return reader.get_batch(indices).asnumpy()
    except (decord.DECORDError, RuntimeError, IndexError) as error:
        source = repr(reader_or_path) if is_path else 'video'
        raise VideoReadError(f'cannot decode frames {indices} of {source}: {error}') \
            from error


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
        self._readers: OrderedDict[tuple[int, str], decord.VideoReader] = OrderedDict()

    def get(self, path: str) -> decord.VideoReader:
        """This process's reader of ``path``, opened on first use.

        Args:
            path: Video file.

        Returns:
            A ``decord.VideoReader`` owned by the calling process.
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
