"""The PyAV video backend: frame-accurate random access on every platform PyAV has wheels for.

Frames are numbered as decord numbers them: the video stream's packets sorted by
presentation timestamp, one frame per packet. Opening a file demuxes it once (no decoding)
to build that index and the list of keyframes; reading frame ``i`` decodes forward from the
current position when no keyframe lies between, and otherwise seeks to the last keyframe at
or before ``i`` and decodes up to it, as decord does. Seeks go by presentation timestamp
(MP4, MOV, Matroska); a reader whose seek lands past its frame switches to decoding
timestamps (AVI, whose index holds those; decord misnumbers B-frames there).
"""
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from typing import Optional

import av
import numpy as np
from av.video.reformatter import VideoReformatter


class PyAVDecodeError(Exception):
    """PyAV opened the file but finds no video frames, or cannot reach a frame."""


def _timestamp(item) -> Optional[int]:
    """A packet's or frame's presentation timestamp, else its decoding timestamp."""
    return item.pts if item.pts is not None else item.dts


class PyAVReader:
    """A video opened with PyAV, decoded on the CPU with one thread.

    Args:
        path: Video file (must exist).

    Raises:
        One of :attr:`ERRORS`: PyAV cannot open the file, it has no video stream, or the
            stream holds no timestamped frame.
    """

    #: Exceptions PyAV raises for a file it cannot open or a frame it cannot decode.
    ERRORS = (av.FFmpegError, PyAVDecodeError)

    def __init__(self, path: str) -> None:
        self.path = path
        self._container = av.open(path)
        if not self._container.streams.video:
            raise PyAVDecodeError('no video stream')
        self._stream = self._container.streams.video[0]
        self._stream.codec_context.thread_count = 1
        timestamps, seek_stamps = [], {}  # keyframe timestamp -> (its pts, min(pts, dts))
        for packet in self._container.demux(self._stream):
            stamp = _timestamp(packet)
            if stamp is None:  # the empty packet that flushes the decoder
                continue
            timestamps.append(stamp)
            if packet.is_keyframe:
                seek_stamps[stamp] = (stamp, min(t for t in (packet.pts, packet.dts)
                                                 if t is not None))
        if not timestamps:
            raise PyAVDecodeError('no video frames')
        self._stamps = np.sort(np.asarray(timestamps, dtype=np.int64))
        self._index = {int(stamp): i for i, stamp in enumerate(self._stamps)}
        # keyframe positions and the two timestamps to seek each by; the first frame by the
        # earliest timestamp of the file, so that seeking there starts at the beginning
        keyframes = {self._index[stamp]: seek for stamp, seek in seek_stamps.items()}
        earliest = min([int(self._stamps[0]), *(dts for _, dts in seek_stamps.values())])
        keyframes[0] = (earliest, earliest)
        self._keyframes = sorted(keyframes)
        self._seek_stamps = [keyframes[k] for k in self._keyframes]
        self._seek_column = 0  # 0: seek by pts, 1: by decoding timestamps
        self._frames: Optional[Iterator[av.VideoFrame]] = None
        self._next = 0  # position of the frame self._frames yields next
        # one converter for all frames: it keeps its swscale context (to_ndarray makes a new
        # one per frame, 4-10x slower on small frames)
        self._to_rgb = VideoReformatter()

    def __len__(self) -> int:
        return len(self._stamps)

    @property
    def fps(self) -> float:
        """Average frame rate (the guessed rate where the container stores none)."""
        rate = self._stream.average_rate or self._stream.guessed_rate
        return float(rate) if rate else 0.

    def _seek(self, slot: int) -> None:
        """Restart decoding at keyframe number ``slot``."""
        self._container.seek(int(self._seek_stamps[slot][self._seek_column]), backward=True,
                             any_frame=False, stream=self._stream)
        self._frames = self._container.decode(self._stream)
        self._next = self._keyframes[slot]

    def _decode_until(self, target: int) -> Optional[av.VideoFrame]:
        """Decode forward to the frame with timestamp ``target``; None if it was passed."""
        for frame in self._frames:
            stamp = _timestamp(frame)
            if stamp in self._index:
                self._next = self._index[stamp] + 1
            if stamp == target:
                return frame
            if stamp is not None and stamp > target:
                break
        self._frames = None
        return None

    def _frame(self, index: int) -> np.ndarray:
        """Decode frame ``index`` as ``(H, W, 3)`` uint8 RGB."""
        slot = bisect_right(self._keyframes, index) - 1
        seek = self._frames is None or not self._keyframes[slot] <= self._next <= index
        if seek:
            self._seek(slot)
        target = int(self._stamps[index])
        frame = self._decode_until(target)
        if frame is None and seek and self._seek_column == 0:
            self._seek_column = 1  # the seek landed past the frame: seek by decoding time
            self._seek(slot)
            frame = self._decode_until(target)
        if frame is None and slot > 0:  # last resort: decode from the first frame
            self._seek(0)
            frame = self._decode_until(target)
        if frame is None:
            raise PyAVDecodeError(f'frame {index} (timestamp {target}) is not in the decoded '
                                  'stream')
        return self._to_rgb.reformat(frame, format='rgb24').to_ndarray()

    def get_batch(self, indices: Sequence[int]) -> np.ndarray:
        """Decode frames by index.

        Args:
            indices: ``(T,)`` frame indices in ``[0, len(self))``.

        Returns:
            ``(T, H, W, 3)`` uint8 RGB frames.
        """
        if not len(indices):
            context = self._stream.codec_context
            return np.empty((0, context.height, context.width, 3), np.uint8)
        frames = None
        for i, index in enumerate(indices):
            frame = self._frame(int(index))
            if frames is None:
                frames = np.empty((len(indices), *frame.shape), np.uint8)
            frames[i] = frame
        return frames
