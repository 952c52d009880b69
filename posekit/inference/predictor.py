"""Run a pose model over every frame of a video, decoding ahead of the model.

Data flow of :class:`VideoInference`::

    decoder     open the reader → read frames t … t+B → the test pipeline's image steps
                (posekit.inference.preprocess) → uint8 (B, 3, H, W) → FrameBatch
                (in a thread with a bounded queue, or between model calls: prefetch)
    main thread predict_batch(frames) under torch.inference_mode() → keypoints and
                confidences in frame pixels → (T, K, 2) / (T, K) arrays;
                heatmaps → float16 .npy memmap, batch by batch

**Context (multi-frame) models** (``model.num_context = c > 0``) get windows of ``n + 2c``
consecutive frames (the video's first and last frames repeated beyond its ends, see
:func:`~posekit.inference.batching.context_windows`) and :meth:`VideoInference.predict_batch`
returns the outputs of the ``n`` central frames. Consecutive windows overlap by ``2c``
frames; their backbone features are kept from the previous call, so every video frame goes
through the backbone once.
"""
import os.path as osp
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from posekit.datasets.io import to_dataframe
from posekit.datasets.video_io import video_info
from .batching import FrameBatch, video_batches
from .heatmaps import HeatmapFile
from .precision import set_amp
from .prefetch import Prefetcher, spare_cpu
from .progress import frame_progress


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
    """Predict every frame of a video with a model prepared by ``prepare_for_inference``.

    Args:
        model: A ``PoseTracker`` with ``frame_pipeline`` and ``dataset_meta`` attributes.
        batch_size: Central frames per model call (see docs/benchmarks.md for CPU figures).
        queue_size: Decoded batches kept ready ahead of the model.
        prefetch: Decode in a background thread (True) or in the calling thread between
            model calls (False); None chooses the thread when the model is not on the CPU
            or the CPU has more cores than torch's intra-op threads
            (:func:`~posekit.inference.prefetch.spare_cpu`).
        amp: Switch the model's bf16/fp16 backbone on (True) or off (False) with
            :func:`~posekit.inference.precision.set_amp`; None keeps the model's setting
            (``init_model(..., amp=True)``).

    Attributes:
        context: Neighbouring frames :meth:`predict_batch` needs on each side of its batch;
            None (class default) takes the model's ``num_context``.
    """

    context: Optional[int] = None

    def __init__(self, model: nn.Module, batch_size: int = 16, queue_size: int = 2,
                 prefetch: Optional[bool] = None, amp: Optional[bool] = None):
        if batch_size < 1:
            raise ValueError(f'batch_size must be at least 1, got {batch_size}')
        if getattr(model, 'frame_pipeline', None) is None:
            raise ValueError('the model has no frame_pipeline: load it with '
                             'posekit.apis.init_model or prepare it with prepare_for_inference')
        self.model = model
        self.batch_size = int(batch_size)
        self.queue_size = int(queue_size)
        self.device = next(model.parameters()).device
        self.prefetch = spare_cpu(self.device) if prefetch is None else bool(prefetch)
        if amp is not None:
            set_amp(model, amp)
        if self.context is None:
            self.context = int(model.num_context)

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
        inputs = self.model.data_preprocessor.normalize(
            frames[known:].to(self.device, non_blocking=True))
        matrix = input_from_frame.to(self.device).expand(len(frames), 3, 3)
        feats = self.model.extract_feat(inputs)
        if known_features is not None:
            feats = torch.cat([known_features, feats])
        outputs = self.model.sequence_outputs(feats, matrix, pad=None)
        if self.context:
            outputs['window_features'] = feats
        return outputs

    def decode_batches(self, path: str, num_frames: int) -> Iterator[FrameBatch]:
        """Decode, preprocess and window a video's frames (in the decode thread, if any).

        Args:
            path: Video file; the reader is opened here, in the calling thread.
            num_frames: Frames to read (``T``).

        Yields:
            One :class:`~posekit.inference.batching.FrameBatch` per model call (frames in
            pinned memory when the model is on a GPU).
        """
        for batch in video_batches(path, num_frames, self.batch_size,
                                   self.model.frame_pipeline, self.context):
            if self.device.type == 'cuda':  # page-locked: the copy to the GPU is asynchronous
                batch.frames = batch.frames.pin_memory()
            yield batch

    def _batches(self, path: str, num_frames: int):
        """A context yielding the iterable of :meth:`decode_batches`, in a thread or not."""
        if self.prefetch:
            return Prefetcher(lambda: self.decode_batches(path, num_frames), self.queue_size)
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
        start_time = time.perf_counter()
        with HeatmapFile(save_heatmaps, num_frames) if save_heatmaps else nullcontext() \
                as heatmaps:
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
                    if heatmaps is not None:
                        heatmaps.write(batch.start, outputs['heatmaps_pred'])
                    advance(stop - batch.start)
            seconds = time.perf_counter() - start_time
        return VideoPrediction(keypoints, confidences, seconds, save_heatmaps or None)


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
                  save_heatmaps: Optional[str] = None, progress: bool = True,
                  amp: Optional[bool] = None) -> pd.DataFrame:
    """Predict every frame of a video (see :class:`VideoInference`).

    Args:
        model: A model from ``posekit.apis.init_model`` (or ``prepare_for_inference``).
        path: Video file.
        batch_size: Frames per model call.
        save_heatmaps: Optional ``.npy`` path for all heatmaps (float16, ``(T, K, h, w)``).
        progress: Show a progress bar with the frame rate.
        amp: bf16/fp16 backbone (True), float32 (False), or the model's setting (None); see
            :class:`VideoInference`.

    Returns:
        DLC-format DataFrame: 3 header levels (scorer, bodyparts, coords), ``x, y,
        likelihood`` per keypoint in frame pixels (likelihood NaN for models without
        confidences), one row per frame, index = frame number.
    """
    prediction = VideoInference(model, batch_size, amp=amp).run(path, save_heatmaps, progress)
    return prediction_dataframe(model, prediction.keypoints, prediction.confidences)
