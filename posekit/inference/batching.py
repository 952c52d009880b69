"""Cut a video into the batches the model takes: decoded, preprocessed, context-windowed."""
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Optional

import torch
from torch import Tensor

from posekit.datasets.video_io import open_video, read_frames
from .preprocess import FramePipeline


@dataclass
class FrameBatch:
    """Preprocessed frames handed from the decoder to the model.

    Attributes:
        start: Video index of the first central frame.
        frames: ``(n + 2c, 3, H, W)`` uint8 RGB frames at the model's input size.
        input_from_frame: ``(3, 3)`` float64 affine from frame to input pixels.
    """

    start: int
    frames: Tensor
    input_from_frame: Tensor


def context_windows(chunks: Iterable[Tensor], context: int) -> Iterator[tuple[int, Tensor]]:
    """Regroup consecutive frame chunks into windows with ``context`` neighbours per side.

    Args:
        chunks: Consecutive chunks ``(B_i, ...)`` of a video's frames, in order.
        context: Neighbours ``c`` each central frame needs on each side (0: pass through).

    Yields:
        ``(start, window)``: ``window`` is ``(n + 2c, ...)``, its central frames are video
        frames ``start … start + n - 1``; beyond the video's ends its first and last frames
        are repeated.
    """
    start = 0
    if context == 0:
        for chunk in chunks:
            yield start, chunk
            start += len(chunk)
        return
    left: Optional[Tensor] = None
    pending: Optional[Tensor] = None  # frames that still lack their right neighbours
    for chunk in chunks:
        if left is None:
            left, pending = chunk[:1].repeat_interleave(context, 0), chunk[:0]
        pending = torch.cat([pending, chunk])
        n = len(pending) - context
        if n > 0:
            yield start, torch.cat([left, pending])
            start += n
            left = torch.cat([left, pending[:n]])[-context:]
            pending = pending[n:]
    if pending is not None and len(pending):
        yield start, torch.cat([left, pending, pending[-1:].repeat_interleave(context, 0)])


def video_batches(path: str, num_frames: int, batch_size: int, pipeline: FramePipeline,
                  context: int = 0) -> Iterator[FrameBatch]:
    """Decode, preprocess and window a video's frames in order.

    The frames of a video share one size, so the test pipeline maps each by the same affine;
    the first frame's is handed on with every batch.

    Args:
        path: Video file; the reader is opened here, in the calling thread.
        num_frames: Frames to read (``T``).
        batch_size: Frames decoded per chunk (central frames per batch).
        pipeline: The model's :class:`~posekit.inference.preprocess.FramePipeline`.
        context: Neighbours each central frame needs on each side (see
            :func:`context_windows`).

    Yields:
        One :class:`FrameBatch` per model call.
    """
    reader = open_video(path)
    chunks = (pipeline.batch(read_frames(reader, range(s, min(s + batch_size, num_frames))))
              for s in range(0, num_frames, batch_size))
    first, matrices = next(chunks)
    frames = itertools.chain([first], (inputs for inputs, _ in chunks))
    for start, window in context_windows(frames, context):
        yield FrameBatch(start, window, matrices[0])
