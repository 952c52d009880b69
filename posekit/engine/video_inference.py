"""Run a pose model over every frame of a video, decoding ahead of the model in a thread.

Data flow of :class:`VideoInference`::

    decode thread  open the reader (inside the thread) → read frames t … t+B → resize to the
                   model's input size → uint8 (B, 3, H, W) → bounded queue (``queue_size``)
    main thread    predict_batch(frames) under torch.inference_mode() → keypoints and
                   confidences in frame pixels → (T, K, 2) / (T, K) arrays;
                   heatmaps → float16 .npy memmap, batch by batch

decord and OpenCV release the GIL while decoding and resizing, so the thread overlaps with the
model; a thread (not DataLoader workers) also means no reader ever crosses a ``fork``
(DESIGN.md §7) and every frame is decoded once, sequentially. The thread pays off when the
model runs on an accelerator or the CPU has cores beyond torch's threads. When torch's
threads already use every core, a third busy thread only stalls them (on a 2-core machine
the thread lowered throughput by up to a third, DataLoader workers likewise;
docs/benchmarks.md), so by default the same batches are then decoded in the main thread,
between model calls (``prefetch``).

**Context (multi-frame) models** (``model.num_context = c > 0``) get windows of ``n + 2c``
consecutive frames from the decoder (the video's first and last frames repeated beyond its
ends, see :func:`context_windows`, so frames 0, 1 and the last two are predicted from
edge-padded windows) and :meth:`VideoInference.predict_batch` returns the outputs of the
``n`` central frames. Consecutive windows overlap by ``2c`` frames; their backbone features
are kept from the previous call, so every video frame goes through the backbone once.
"""
import itertools
import os
import os.path as osp
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
import pandas as pd
import torch
from mmengine.config import Config
from numpy.lib.format import open_memmap
from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)
from torch import Tensor, nn

from posekit.datasets.io import to_dataframe
from posekit.datasets.transforms.geometric import resize_image
from posekit.datasets.video_io import open_video, read_frames, video_info


def input_size_from_config(cfg: Config) -> tuple[int, int]:
    """The model's input size: the ``Resize`` step of the config's test pipeline.

    Args:
        cfg: A config with ``test_dataloader.dataset.pipeline`` (or ``test_pipeline``).

    Returns:
        ``(W, H)`` in pixels.

    Raises:
        ValueError: Neither pipeline has a ``Resize`` step.
    """
    dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
    for pipeline in (dataset.get('pipeline'), cfg.get('test_pipeline')):
        for step in pipeline or ():
            if step.get('type') == 'Resize':
                width, height = step['input_size']
                return int(width), int(height)
    raise ValueError('the config\'s test pipeline (test_dataloader.dataset.pipeline) has no '
                     "Resize step; video and frame inference read the model's input size "
                     "from it, e.g. dict(type='Resize', input_size=(256, 256))")


def prepare_for_inference(model: nn.Module, cfg: Config, dataset_meta: dict) -> nn.Module:
    """Attach what inference needs to a model and put it in eval mode.

    Args:
        model: A ``PoseTracker``.
        cfg: The config it was built from (sets ``model.cfg`` and ``model.input_size``).
        dataset_meta: ``keypoint_names`` and optionally ``scorer`` of its training labels.

    Returns:
        The same model with ``cfg``, ``dataset_meta`` (``keypoint_names``, ``num_keypoints``,
        ``scorer``) and ``input_size`` ``(W, H)`` attributes.

    Raises:
        ValueError: The names do not match the head's keypoint count, or the config has no
            ``Resize`` step.
    """
    names = list(dataset_meta['keypoint_names'])
    if len(names) != model.head.num_keypoints:
        raise ValueError(f'{len(names)} keypoint names ({names}) for a head predicting '
                         f'{model.head.num_keypoints} keypoints')
    model.cfg = cfg
    model.dataset_meta = dict(keypoint_names=names, num_keypoints=len(names),
                              scorer=dataset_meta.get('scorer') or 'posekit')
    model.input_size = input_size_from_config(cfg)
    return model.eval()


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


@dataclass
class FrameBatch:
    """Resized frames handed from the decode thread to the model.

    Attributes:
        start: Video index of the first central frame.
        frames: ``(n + 2c, 3, H, W)`` uint8 RGB frames at the model's input size.
        input_from_frame: ``(3, 3)`` float64 affine from frame to input pixels.
    """

    start: int
    frames: Tensor
    input_from_frame: Tensor


@dataclass
class VideoPrediction:
    """Predictions for every frame of a video.

    Attributes:
        keypoints: ``(T, K, 2)`` float64 ``(x, y)`` in frame pixels.
        confidences: ``(T, K)`` float64, NaN when the model has no confidences.
        seconds: Wall time of decoding and prediction.
        heatmaps_path: The ``.npy`` file of ``(T, K, h, w)`` float16 heatmaps, or None.
    """

    keypoints: np.ndarray
    confidences: np.ndarray
    seconds: float
    heatmaps_path: Optional[str] = None

    @property
    def fps(self) -> float:
        """Frames processed per second."""
        return len(self.keypoints) / max(self.seconds, 1e-9)


class _Prefetcher:
    """Run an iterator in a daemon thread and hand its items over through a bounded queue.

    The iterator is created inside the thread (so a video reader it opens belongs to it). An
    exception in the thread is raised in the consumer; leaving the ``with`` block early stops
    the thread.
    """

    _DONE = object()

    def __init__(self, make_iterator: Callable[[], Iterator], size: int):
        self._queue: queue.Queue = queue.Queue(maxsize=size)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(make_iterator,), daemon=True,
                                        name='posekit-decode')

    def _run(self, make_iterator: Callable[[], Iterator]) -> None:
        try:
            for item in make_iterator():
                if not self._put(item):
                    return
        except BaseException as error:  # noqa: B036  (re-raised in the consumer)
            self._put(error)
            return
        self._put(self._DONE)

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator:
        while True:
            item = self._queue.get()
            if item is self._DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def __enter__(self) -> '_Prefetcher':
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


@contextmanager
def frame_progress(total: int, description: str, enabled: bool = True
                   ) -> Iterator[Callable[[int], None]]:
    """A rich progress bar over frames with the current frame rate, on stderr.

    Args:
        total: Number of frames.
        description: Text in front of the bar.
        enabled: Show nothing when False.

    Yields:
        ``advance(n)``, to call after each ``n`` processed frames.
    """
    if not enabled:
        yield lambda n: None
        return
    columns = (TextColumn('{task.description}'), BarColumn(), MofNCompleteColumn(),
               TextColumn('{task.fields[fps]:>7.1f} fps'), TimeElapsedColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(description, total=total, fps=0.)
        start, done = time.perf_counter(), 0

        def advance(n: int) -> None:
            nonlocal done
            done += n
            bar.update(task, advance=n, fps=done / max(time.perf_counter() - start, 1e-9))

        yield advance


def spare_cpu(device: torch.device) -> bool:
    """Whether decoding in a thread can overlap with the model without slowing it.

    Args:
        device: The model's device.

    Returns:
        True for accelerators, and for the CPU when this process may use more cores than
        torch's intra-op threads.
    """
    if device.type != 'cpu':
        return True
    cores = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') \
        else os.cpu_count() or 1
    return cores > torch.get_num_threads()


@contextmanager
def _eval_mode(model: nn.Module) -> Iterator[None]:
    """Evaluation mode inside the block, the previous mode after it."""
    training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(training)


class VideoInference:
    """Predict every frame of a video with a model prepared by :func:`prepare_for_inference`.

    Args:
        model: A ``PoseTracker`` with ``input_size`` and ``dataset_meta`` attributes.
        batch_size: Central frames per model call (see docs/benchmarks.md for CPU figures).
        queue_size: Decoded batches kept ready ahead of the model.
        prefetch: Decode in a background thread (True) or in the calling thread between
            model calls (False); None chooses the thread when the model is not on the CPU
            or the CPU has more cores than torch's intra-op threads (:func:`spare_cpu`).

    Attributes:
        context: Neighbouring frames :meth:`predict_batch` needs on each side of its batch;
            None (class default) takes the model's ``num_context``.
    """

    context: Optional[int] = None

    def __init__(self, model: nn.Module, batch_size: int = 16, queue_size: int = 2,
                 prefetch: Optional[bool] = None):
        if batch_size < 1:
            raise ValueError(f'batch_size must be at least 1, got {batch_size}')
        if getattr(model, 'input_size', None) is None:
            raise ValueError('the model has no input_size: load it with posekit.apis.init_model '
                             'or prepare it with prepare_for_inference')
        self.model = model
        self.batch_size = int(batch_size)
        self.queue_size = int(queue_size)
        self.input_size = tuple(model.input_size)
        self.device = next(model.parameters()).device
        self.prefetch = spare_cpu(self.device) if prefetch is None else bool(prefetch)
        if self.context is None:
            self.context = int(getattr(model, 'num_context', 0))

    def predict_batch(self, frames: Tensor, input_from_frame: Tensor,
                      known_features: Optional[Tensor] = None) -> dict[str, Tensor]:
        """The model step: outputs of a window of consecutive frames.

        Args:
            frames: ``(n + 2c, 3, H, W)`` uint8 RGB frames at the input size, on the CPU.
            input_from_frame: ``(3, 3)`` float64 affine from frame to input pixels (or one
                per frame, ``(n + 2c, 3, 3)``).
            known_features: Backbone features ``(m, C, h', w')`` of the window's first ``m``
                frames, already computed (context models: the previous window's last
                ``2c``); only the other frames go through the backbone.

        Returns:
            Outputs of the ``n`` central frames: ``keypoints_pred (n, K, 2)`` in frame
            pixels, and when the model has them ``confidences (n, K)`` and
            ``heatmaps_pred (n, K, h, w)``. For context models also ``window_features``:
            the backbone features of all ``n + 2c`` frames.
        """
        known = 0 if known_features is None else len(known_features)
        inputs = self.model.data_preprocessor.normalize(frames[known:].to(self.device))
        matrix = input_from_frame.to(self.device).expand(len(frames), 3, 3)
        feats = self.model.extract_feat(inputs)
        if not self.context:
            return self.model.frame_outputs(feats, matrix)
        if known_features is not None:
            feats = torch.cat([known_features, feats])
        outputs = self.model.sequence_outputs(feats, matrix, pad=None)
        outputs['window_features'] = feats
        return outputs

    def _resize(self, frames: np.ndarray) -> tuple[Tensor, Tensor]:
        """``(B, H0, W0, 3)`` frames → ``(B, 3, H, W)`` uint8 tensor and the ``(3, 3)`` affine."""
        width, height = self.input_size
        out = np.empty((len(frames), height, width, 3), dtype=np.uint8)
        matrix = np.eye(3)
        for i, frame in enumerate(frames):
            out[i], matrix = resize_image(frame, self.input_size)
        return torch.from_numpy(out).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(matrix)

    def decode_batches(self, path: str, num_frames: int) -> Iterator[FrameBatch]:
        """Decode, resize and window a video's frames in order (in the decode thread, if any).

        Args:
            path: Video file; the reader is opened here, in the calling thread.
            num_frames: Frames to read (``T``).

        Yields:
            One :class:`FrameBatch` per model call.
        """
        reader = open_video(path)
        resized = (self._resize(read_frames(reader, range(s, min(s + self.batch_size,
                                                                  num_frames))))
                   for s in range(0, num_frames, self.batch_size))
        first, matrix = next(resized)  # the affine is the same for every frame
        chunks = itertools.chain([first], (frames for frames, _ in resized))
        for start, window in context_windows(chunks, self.context):
            yield FrameBatch(start, window, matrix)

    def _batches(self, path: str, num_frames: int):
        """A context yielding the iterable of :meth:`decode_batches`, in a thread or not."""
        if self.prefetch:
            return _Prefetcher(lambda: self.decode_batches(path, num_frames), self.queue_size)
        return nullcontext(self.decode_batches(path, num_frames))

    def run(self, path: str, save_heatmaps: Optional[str] = None, progress: bool = True
            ) -> VideoPrediction:
        """Predict every frame of a video.

        Args:
            path: Video file.
            save_heatmaps: Write all heatmaps to this ``.npy`` file (float16,
                ``(T, K, h, w)``), batch by batch through a memory map.
            progress: Show a progress bar with the frame rate on stderr.

        Returns:
            The :class:`VideoPrediction`.

        Raises:
            FileNotFoundError: ``path`` does not exist.
            VideoReadError: The video cannot be opened or decoded.
            ValueError: ``save_heatmaps`` is given but the model has no heatmaps.
        """
        if save_heatmaps and 'heatmaps_pred' not in self.model.output_keys:
            raise ValueError(f'{type(self.model.head).__name__} predicts no heatmaps; '
                             'save_heatmaps needs a heatmap model')
        num_frames = video_info(path).num_frames
        k = self.model.head.num_keypoints
        keypoints = np.full((num_frames, k, 2), np.nan)
        confidences = np.full((num_frames, k), np.nan)
        heatmaps = None
        tmp = f'{save_heatmaps}.tmp.npy' if save_heatmaps else None
        start_time = time.perf_counter()
        try:
            with frame_progress(num_frames, osp.basename(path), progress) as advance, \
                    self._batches(path, num_frames) as batches, \
                    _eval_mode(self.model), torch.inference_mode():
                overlap = None  # features of the frames shared with the previous window
                for batch in batches:
                    if overlap is None:
                        outputs = self.predict_batch(batch.frames, batch.input_from_frame)
                    else:
                        outputs = self.predict_batch(batch.frames, batch.input_from_frame,
                                                     overlap)
                    if 'window_features' in outputs:
                        overlap = outputs.pop('window_features')[-2 * self.context:]
                    stop = batch.start + len(outputs['keypoints_pred'])
                    keypoints[batch.start:stop] = outputs['keypoints_pred'].float().cpu()
                    if 'confidences' in outputs:
                        confidences[batch.start:stop] = outputs['confidences'].float().cpu()
                    if tmp:
                        maps = outputs['heatmaps_pred']
                        if heatmaps is None:
                            os.makedirs(osp.dirname(osp.abspath(tmp)), exist_ok=True)
                            heatmaps = open_memmap(tmp, mode='w+', dtype=np.float16,
                                                   shape=(num_frames, *maps.shape[1:]))
                        heatmaps[batch.start:stop] = maps.float().cpu().numpy()
                    advance(stop - batch.start)
            seconds = time.perf_counter() - start_time
            if heatmaps is not None:
                heatmaps.flush()
                del heatmaps
                os.replace(tmp, save_heatmaps)
        finally:
            if tmp and osp.exists(tmp):
                os.remove(tmp)
        return VideoPrediction(keypoints, confidences, seconds,
                               save_heatmaps if tmp else None)


def prediction_dataframe(model: nn.Module, keypoints: np.ndarray,
                         confidences: np.ndarray) -> pd.DataFrame:
    """A DLC-format table of per-frame predictions.

    Args:
        model: The model (its ``dataset_meta`` names the keypoints and the scorer).
        keypoints: ``(T, K, 2)`` frame pixels.
        confidences: ``(T, K)``, NaN when the model has none.

    Returns:
        Columns ``(scorer, bodypart, x|y|likelihood)``, index = frame number ``0 … T-1``.
    """
    meta = model.dataset_meta
    return to_dataframe(range(len(keypoints)), meta['keypoint_names'], keypoints,
                        likelihood=confidences, scorer=meta['scorer'])


def predict_video(model: nn.Module, path: str, batch_size: int = 16,
                  save_heatmaps: Optional[str] = None, progress: bool = True) -> pd.DataFrame:
    """Predict every frame of a video (see :class:`VideoInference`).

    Args:
        model: A model from ``posekit.apis.init_model`` (or :func:`prepare_for_inference`).
        path: Video file.
        batch_size: Frames per model call.
        save_heatmaps: Optional ``.npy`` path for all heatmaps (float16, ``(T, K, h, w)``).
        progress: Show a progress bar with the frame rate.

    Returns:
        DLC-format DataFrame: 3 header levels (scorer, bodyparts, coords), ``x, y,
        likelihood`` per keypoint in frame pixels (likelihood NaN for models without
        confidences), one row per frame, index = frame number.
    """
    prediction = VideoInference(model, batch_size).run(path, save_heatmaps, progress)
    return prediction_dataframe(model, prediction.keypoints, prediction.confidences)
