"""Crop-zoom prediction: stage 1 finds the animal, stage 2 predicts its keypoints on a crop.

Data flow of :class:`TwoStageInference` (docs/two_stage.md)::

    pass 1  stage 1 (an ordinary model at low resolution) predicts every frame of the video
            (VideoInference) → keypoints and confidences in frame pixels
    boxes   confident keypoints' extent per frame → centres interpolated over gaps and
            smoothed over time, one box size per video (posekit.datasets.crop_boxes)
    pass 2  decode again → cut each frame's window (posekit.datasets.transforms.crop) →
            stage 2's test-pipeline image steps (Resize …) → stage 2 → keypoints mapped
            back to frame pixels through input_from_frame = input_from_crop @ crop_from_frame

Box smoothing looks at past and future frames, hence the two passes over the video; decoding
is cheap next to the two models on the CPU.
"""
import itertools
import os.path as osp
import time
from collections.abc import Iterator
from contextlib import nullcontext
from typing import Optional, Union

import numpy as np
import torch
from torch import Tensor, nn

from posekit.datasets.transforms.crop import crop_image, crop_matrix
from posekit.datasets.video_io import open_video, read_frames, video_info
from .batching import FrameBatch, context_windows
from posekit.datasets.crop_boxes import BoxOptions, VideoBoxes, video_boxes
from .predictor import VideoInference, VideoPrediction, _eval_mode
from .prefetch import Prefetcher
from .progress import frame_progress


class TwoStageModel(nn.Module):
    """Two models prepared for inference, predicting as one (the crop-zoom pipeline).

    The pair stands where one prepared ``PoseTracker`` is expected by the video writers
    (``posekit.inference.writers``, ``tools/predict.py``): names, metainfo and losses are
    stage 2's, the model that predicts the keypoints written.

    Args:
        stage1: The whole-frame model (``posekit.apis.init_model``).
        stage2: The crop model; its keypoints are the pair's.
        box_options: How crop boxes are made from stage 1's keypoints.
    """

    def __init__(self, stage1: nn.Module, stage2: nn.Module, box_options: BoxOptions):
        super().__init__()
        self.stage1, self.stage2, self.box_options = stage1, stage2, box_options

    @property
    def dataset_meta(self) -> dict:
        """Stage 2's keypoint names and scorer."""
        return self.stage2.dataset_meta

    @property
    def metainfo(self) -> Optional[dict]:
        """Stage 2's metainfo (views, skeleton)."""
        return self.stage2.metainfo

    @property
    def losses(self) -> nn.ModuleList:
        """Stage 2's losses (its fitted PCA losses give the PCA error tables)."""
        return self.stage2.losses

    @property
    def unsupervised_losses(self) -> nn.ModuleList:
        """Stage 2's unsupervised losses."""
        return getattr(self.stage2, 'unsupervised_losses', nn.ModuleList())


class TwoStageInference:
    """Predict every frame of a video with a :class:`TwoStageModel`.

    Args:
        model: The pair.
        batch_size: Frames per model call, in both stages.
        queue_size: Decoded batches kept ready ahead of the models.

    Attributes:
        boxes: The crop boxes of the last video predicted (None before).
    """

    def __init__(self, model: TwoStageModel, batch_size: int = 16, queue_size: int = 2):
        self.model = model
        self.stage1 = VideoInference(model.stage1, batch_size, queue_size)
        self.stage2 = VideoInference(model.stage2, batch_size, queue_size)
        self.boxes: Optional[VideoBoxes] = None

    def crop_batches(self, path: str, boxes: VideoBoxes) -> Iterator[FrameBatch]:
        """Decode a video, crop each frame at its box and preprocess it for stage 2.

        Args:
            path: Video file; the reader is opened here, in the calling thread.
            boxes: The video's boxes (``T`` centres).

        Yields:
            :class:`~posekit.inference.batching.FrameBatch` es whose ``input_from_frame`` is
            ``(n + 2c, 3, 3)``, one affine per frame (frame → crop → stage-2 input).
        """
        reader, num_frames = open_video(path), len(boxes.centres)
        pipeline, size = self.model.stage2.frame_pipeline, self.stage2.batch_size

        def chunks() -> Iterator[Tensor]:
            for start in range(0, num_frames, size):
                frames = read_frames(reader, range(start, min(start + size, num_frames)))
                windows = [boxes.window(start + i) for i in range(len(frames))]
                inputs, input_from_crop = pipeline.batch(
                    crop_image(frame, window) for frame, window in zip(frames, windows))
                from_frame = torch.from_numpy(np.stack([crop_matrix(w) for w in windows]))
                # frames and affines travel together through the context windowing
                yield inputs, input_from_crop @ from_frame

        for_frames, for_matrices = itertools.tee(chunks())
        frames = context_windows((inputs for inputs, _ in for_frames), self.stage2.context)
        matrices = context_windows((m for _, m in for_matrices), self.stage2.context)
        for (start, window), (_, matrix) in zip(frames, matrices):
            yield FrameBatch(start, window, matrix)

    def run(self, path: str, save_heatmaps: Optional[str] = None, progress: bool = True
            ) -> VideoPrediction:
        """Predict every frame of a video with both stages.

        Args:
            path: Video file.
            save_heatmaps: Must be None: stage 2's heatmaps are in crop pixels, which move
                from frame to frame.
            progress: Show progress bars (one per stage) on stderr.

        Returns:
            Stage 2's keypoints and confidences in frame pixels; ``seconds`` covers both
            stages.

        Raises:
            FileNotFoundError: ``path`` does not exist.
            VideoReadError: The video cannot be opened or decoded.
            ValueError: ``save_heatmaps`` is given, or stage 1 finds no confident keypoint.
        """
        if save_heatmaps:
            raise ValueError('two-stage prediction writes no heatmaps: stage 2 predicts them '
                             'in crop pixels (drop --save-heatmaps)')
        start_time = time.perf_counter()
        first = self.stage1.run(path, progress=progress)
        stage2 = self.model.stage2
        width, height = stage2.input_size
        self.boxes = video_boxes(first.keypoints, first.confidences, self.model.box_options,
                                 width / height)
        num_frames = video_info(path).num_frames
        k = stage2.head.num_keypoints
        keypoints = np.full((num_frames, k, 2), np.nan)
        confidences = np.full((num_frames, k), np.nan)
        batches = Prefetcher(lambda: self.crop_batches(path, self.boxes),
                             self.stage2.queue_size) if self.stage2.prefetch \
            else nullcontext(self.crop_batches(path, self.boxes))
        with frame_progress(num_frames, f'{osp.basename(path)} (crops)', progress) as advance, \
                batches as stream, _eval_mode(stage2), torch.inference_mode():
            overlap = None
            for batch in stream:
                outputs = self.stage2.predict_batch(batch.frames, batch.input_from_frame,
                                                    overlap)
                if 'window_features' in outputs:
                    overlap = outputs.pop('window_features')[-2 * self.stage2.context:]
                stop = batch.start + len(outputs['keypoints_pred'])
                keypoints[batch.start:stop] = outputs['keypoints_pred'].float().cpu()
                if 'confidences' in outputs:
                    confidences[batch.start:stop] = outputs['confidences'].float().cpu()
                advance(stop - batch.start)
        return VideoPrediction(keypoints, confidences, time.perf_counter() - start_time)


def video_inference(model: nn.Module, batch_size: int = 16
                    ) -> Union[VideoInference, TwoStageInference]:
    """The per-video predictor of a model prepared for inference.

    Args:
        model: A ``PoseTracker`` or a :class:`TwoStageModel`.
        batch_size: Frames per model call.

    Returns:
        A :class:`TwoStageInference` for a pair, else a ``VideoInference``.
    """
    if isinstance(model, TwoStageModel):
        return TwoStageInference(model, batch_size)
    return VideoInference(model, batch_size)
