"""Test videos against their per-frame ground truth (the config's ``test_videos``)."""
import logging
import os.path as osp
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Union

import pandas as pd
from mmengine.logging import print_log
from torch import nn

from posekit.datasets.io import LabelFileError, from_dataframe, write_csv_atomic
from posekit.datasets.video_io import VideoReadError, video_info
from .confidence import (DEFAULT_MIN_CONFIDENCE, ConfidenceReport, confidence_report,
                         warn_never_confident)
from .ground_truth import read_ground_truth, read_occluded
from .metrics import pixel_errors, video_metrics
from .writers import write_video_outputs

#: Errors of one video that must not stop the others.
VIDEO_ERRORS = (FileNotFoundError, VideoReadError, LabelFileError, ValueError)


@dataclass
class VideoEvaluation:
    """What :func:`evaluate_video` found for one test video.

    Attributes:
        metrics: :func:`~posekit.inference.metrics.video_metrics` of the video.
        confidence: Its per-keypoint :class:`~posekit.inference.confidence.ConfidenceReport`.
    """

    metrics: dict[str, float]
    confidence: ConfidenceReport


@dataclass
class EvaluatedVideos:
    """What :func:`evaluate_test_videos` found.

    Attributes:
        metrics: ``video/<stem>/<metric>`` for every predicted video and metric.
        confidence: ``{video: ConfidenceReport}`` of every predicted video, in order.
    """

    metrics: dict[str, float] = field(default_factory=dict)
    confidence: dict[str, ConfidenceReport] = field(default_factory=dict)


def evaluate_video(model: nn.Module, spec: Union[str, dict], out_dir: str,
                   batch_size: int = 16, save_video: bool = False,
                   conf_threshold: float = 0.05, progress: bool = False,
                   min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> VideoEvaluation:
    """Predict one test video and compare it with its per-frame ground truth.

    Besides the files of :func:`~posekit.inference.writers.write_video_outputs`, writes
    ``<stem>_pixel_error.csv`` (frame px per frame and keypoint) when a ground truth is given.
    Keypoints below ``min_confidence`` on every frame are named in a logged warning.

    Args:
        model: A model prepared for inference.
        spec: ``dict(video=..., ground_truth=None, occluded=None)`` (paths relative to the
            working directory; ``ground_truth`` a DLC CSV indexed by frame number,
            ``occluded`` a 0/1 CSV per frame and keypoint), or a video path.
        out_dir: Output folder.
        batch_size: Frames per model call.
        save_video: Also write the labeled video.
        conf_threshold: See :func:`~posekit.inference.writers.write_video_outputs`.
        progress: Show a progress bar.
        min_confidence: See :func:`~posekit.inference.confidence.warn_never_confident`.

    Returns:
        The video's metrics and per-keypoint confidence (:class:`VideoEvaluation`).
    """
    spec = dict(video=spec) if isinstance(spec, str) else dict(spec)
    video, truth_path, occluded_path = (spec.get(k) for k in ('video', 'ground_truth',
                                                              'occluded'))
    num_frames = video_info(video).num_frames
    truth = occluded = None
    if truth_path:
        names, truth = read_ground_truth(truth_path, num_frames)
        if names != model.dataset_meta['keypoint_names']:
            raise ValueError(f'{truth_path}: keypoints {names} differ from the model\'s '
                             f'{model.dataset_meta["keypoint_names"]}')
        if occluded_path:
            occluded = read_occluded(occluded_path, names, num_frames)
    outputs = write_video_outputs(model, video, out_dir, batch_size, save_video,
                                  conf_threshold=conf_threshold, progress=progress,
                                  reference=truth)
    confidence = confidence_report(outputs.predictions)
    warn_never_confident(video, confidence, min_confidence)
    _, keypoints, _ = from_dataframe(outputs.predictions)
    if truth is not None:
        errors = pd.DataFrame(pixel_errors(keypoints, truth), index=outputs.predictions.index,
                              columns=model.dataset_meta['keypoint_names'])
        stem = osp.splitext(osp.basename(video))[0]
        write_csv_atomic(errors, osp.join(out_dir, f'{stem}_pixel_error.csv'))
    return VideoEvaluation(video_metrics(keypoints, truth, occluded), confidence)


def evaluate_test_videos(model: nn.Module, test_videos: Sequence[Union[str, dict]],
                         out_dir: str, batch_size: int = 16, save_video: bool = False,
                         progress: bool = False,
                         min_confidence: float = DEFAULT_MIN_CONFIDENCE
                         ) -> EvaluatedVideos:
    """:func:`evaluate_video` for each test video; a failing video is logged and skipped.

    Args:
        model: A model prepared for inference.
        test_videos: The config's ``test_videos`` entries.
        out_dir: Output folder (``<work dir>/video_preds``).
        batch_size: Frames per model call.
        save_video: Also write labeled videos.
        progress: Show progress bars.
        min_confidence: See :func:`evaluate_video`.

    Returns:
        The metrics and confidences of the videos predicted (:class:`EvaluatedVideos`).
    """
    result = EvaluatedVideos()
    for spec in test_videos:
        video = spec if isinstance(spec, str) else spec['video']
        stem = osp.splitext(osp.basename(video))[0]
        try:
            evaluation = evaluate_video(model, spec, out_dir, batch_size, save_video,
                                        progress=progress, min_confidence=min_confidence)
        except VIDEO_ERRORS as error:
            print_log(f'test video {video}: {error}', logger='current', level=logging.ERROR)
            continue
        result.metrics.update({f'video/{stem}/{key}': value
                               for key, value in evaluation.metrics.items()})
        result.confidence[video] = evaluation.confidence
        print_log(f'predicted {video} into {out_dir}', logger='current')
    return result
