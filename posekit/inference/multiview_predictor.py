"""Predict the synchronised videos of a session's camera views with one multiview model.

Data flow of :class:`MultiviewVideoInference` (as :class:`~posekit.inference.predictor.
VideoInference`, with a view axis)::

    decoder     one reader per view, decoded in step: each step yields the V views'
                FrameBatches of the same frames (each view preprocessed by the test
                pipeline to the model's input size, with its own frame → input affine)
    main thread the V windows folded into one backbone batch (as in training), then each
                view's features through the head as one sequence (a context head's windows
                stay within a view) → keypoints in each view's frame pixels → (V, T, K, 2)
"""
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, nullcontext
from typing import Optional

import numpy as np
import torch
from torch import Tensor

from posekit.datasets.video_io import video_info
from .batching import FrameBatch
from .heatmaps import HeatmapFile
from .predictor import VideoInference, VideoPrediction, _eval_mode
from .prefetch import Prefetcher
from .progress import frame_progress


class MultiviewVideoInference(VideoInference):
    """Predict every frame of the ``V`` synchronised videos of a session.

    Takes the arguments of :class:`~posekit.inference.predictor.VideoInference`;
    ``batch_size`` counts frames per view (a model call sees ``V`` times as many images).
    """

    def predict_views(self, batches: Sequence[FrameBatch],
                      known_features: Optional[Tensor] = None
                      ) -> tuple[dict[str, Tensor], Tensor]:
        """The model step on the same window of every view.

        Args:
            batches: One :class:`~posekit.inference.batching.FrameBatch` per view, of the
                same frames (``(n + 2c, 3, H, W)`` each).
            known_features: ``(V, m, C, h', w')`` backbone features of each view's first
                ``m`` frames, already computed (context models).

        Returns:
            Outputs of the ``n`` central frames with a view axis (``keypoints_pred (n, V, K,
            2)`` in each view's frame pixels, ``confidences (n, V, K)``, ``heatmaps_pred (n,
            V, K, h, w)``), and the features ``(V, n + 2c, C, h', w')`` of every view.
        """
        known = 0 if known_features is None else known_features.shape[1]
        frames = torch.cat([batch.frames[known:] for batch in batches])
        inputs = self.model.data_preprocessor.normalize(frames.to(self.device,
                                                                  non_blocking=True))
        feats = self.model.extract_feat(inputs).unflatten(0, (len(batches), -1))
        if known_features is not None:
            feats = torch.cat([known_features, feats], dim=1)
        per_view = [self.model.sequence_outputs(
            view_feats, batch.input_from_frame.to(self.device).expand(len(view_feats), 3, 3),
            pad=None) for view_feats, batch in zip(feats, batches)]
        return {key: torch.stack([outputs[key] for outputs in per_view], dim=1)
                for key in per_view[0]}, feats

    def decode_views(self, paths: Sequence[str], num_frames: int
                     ) -> Iterator[tuple[FrameBatch, ...]]:
        """The views' batches in step (each reader opened in the calling thread)."""
        return zip(*(self.decode_batches(path, num_frames) for path in paths))

    def _view_batches(self, paths: Sequence[str], num_frames: int):
        """A context yielding the iterable of :meth:`decode_views`, in a thread or not."""
        if self.prefetch:
            return Prefetcher(lambda: self.decode_views(paths, num_frames), self.queue_size)
        return nullcontext(self.decode_views(paths, num_frames))

    def run_views(self, paths: Sequence[str], save_heatmaps: Optional[Sequence[str]] = None,
                  progress: bool = True, name: str = '') -> list[VideoPrediction]:
        """Predict every frame of every view.

        Args:
            paths: One video per view, in the model's view order, of equal frame counts
                (:func:`~posekit.inference.sessions.session_frames` checks them).
            save_heatmaps: One ``.npy`` file per view for its heatmaps (float16, ``(T, K, h,
                w)``), or None.
            progress: Show a progress bar (frames per view).
            name: The progress bar's label (default: the views' names).

        Returns:
            One :class:`~posekit.inference.predictor.VideoPrediction` per view (the
            session's wall time in each).

        Raises:
            ValueError: The model is not multiview, or predicts no heatmaps and
                ``save_heatmaps`` is given.
        """
        views = self.model.view_names or []
        if len(paths) != len(views):
            raise ValueError(f'{len(paths)} videos for the model\'s views {views}')
        if save_heatmaps and 'heatmaps_pred' not in self.model.output_keys:
            raise ValueError(f'{type(self.model.head).__name__} predicts no heatmaps; '
                             'save_heatmaps needs a heatmap model')
        num_frames = video_info(paths[0]).num_frames
        k = self.model.head.num_keypoints
        keypoints = np.full((num_frames, len(views), k, 2), np.nan)
        confidences = np.full((num_frames, len(views), k), np.nan)
        start_time = time.perf_counter()
        with ExitStack() as stack:
            heatmaps = [stack.enter_context(HeatmapFile(path, num_frames))
                        for path in save_heatmaps or ()]
            advance = stack.enter_context(frame_progress(
                num_frames, name or '+'.join(views), progress))
            batches = stack.enter_context(self._view_batches(paths, num_frames))
            stack.enter_context(_eval_mode(self.model))
            stack.enter_context(torch.inference_mode())
            overlap = None  # each view's features of the frames shared with the last window
            for step in batches:
                outputs, feats = self.predict_views(step, overlap)
                if self.context:
                    overlap = feats[:, -2 * self.context:]
                stop = step[0].start + len(outputs['keypoints_pred'])
                keypoints[step[0].start:stop] = outputs['keypoints_pred'].float().cpu()
                if 'confidences' in outputs:
                    confidences[step[0].start:stop] = outputs['confidences'].float().cpu()
                for v, heatmap_file in enumerate(heatmaps):
                    heatmap_file.write(step[0].start, outputs['heatmaps_pred'][:, v])
                advance(stop - step[0].start)
        seconds = time.perf_counter() - start_time
        return [VideoPrediction(keypoints[:, v], confidences[:, v], seconds,
                                save_heatmaps[v] if save_heatmaps else None)
                for v in range(len(views))]
