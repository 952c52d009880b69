"""Inference: predict videos and images with a trained model, write and evaluate the outputs.

Modules, each with one job:

- ``preprocess``: the image steps of the config's test pipeline, applied to decoded frames
  (:class:`FramePipeline`);
- ``model``: :func:`prepare_for_inference` attaches names, config and preprocessing to a
  built model (``posekit.apis.init_model`` loads one from a config and a checkpoint);
- ``batching``: a video cut into preprocessed, context-windowed batches;
- ``precision``: :func:`set_amp`, the bf16/fp16 backbone of ``--amp``;
- ``prefetch``: decoding in a background thread when there are cores to spare;
- ``progress``: the frame-rate progress bar;
- ``heatmaps``: heatmaps written into one ``.npy`` file, batch by batch;
- ``predictor``: :class:`VideoInference` (every frame of a video) and :func:`predict_video`;
- ``two_stage``: crop-zoom prediction, :class:`TwoStageModel` and :class:`TwoStageInference`
  (crop boxes from ``posekit.datasets.crop_boxes``);
- ``two_stage_frames``: crop-zoom prediction of single images, errors on labeled frames;
- ``images``: :func:`predict_frames` for single images of any size;
- ``metrics``: temporal norm, PCA errors, pixel errors, jumps, :func:`video_metrics`;
- ``ground_truth``: per-frame ground truth and occlusion flags of test videos;
- ``writers``: a video's ``video_preds/`` files and ``tools/test.py``'s derived outputs;
- ``evaluation``: the config's ``test_videos`` against their ground truth;
- ``confidence``: per-keypoint confidence of a video, keypoints never confident on it;
- ``formats``: DeepLabCut ``.h5`` and NWB (``ndx-pose``) prediction files;
- ``ensemble``: several members' predictions of a video, their mean, median and variance;
- ``smoothing``: plain constant-velocity Kalman (RTS) and Savitzky–Golay smoothers;
- ``eks``: the Ensemble Kalman Smoother of the ``ensemble-kalman-smoother`` package;
- ``smoothers``: one video's members smoothed by EKS / Kalman / Savitzky–Golay, written;
- ``frame_selection``: frames ranked by uncertainty, the next ones to label picked;
- ``label_queue``: picked frames extracted as PNGs and appended to a label CSV.

The public names are re-exported by ``posekit.apis`` (docs/outputs.md).
"""
from .batching import FrameBatch, context_windows
from .evaluation import VIDEO_ERRORS, evaluate_test_videos, evaluate_video
from .ground_truth import read_ground_truth, read_occluded
from .images import predict_frames, read_image
from .metrics import (fitted_pca_losses, pca_error_tables, pixel_errors, temporal_norm,
                      video_metrics)
from .model import prepare_for_inference
from .predictor import VideoInference, VideoPrediction, predict_video, prediction_dataframe
from .precision import set_amp
from .preprocess import FramePipeline
from .two_stage import TwoStageInference, TwoStageModel
from .writers import VideoOutputs, write_test_outputs, write_video_outputs

__all__ = ['FrameBatch', 'FramePipeline', 'TwoStageInference', 'TwoStageModel',
           'VIDEO_ERRORS', 'VideoInference', 'VideoOutputs', 'VideoPrediction',
           'context_windows', 'evaluate_test_videos', 'evaluate_video', 'fitted_pca_losses',
           'pca_error_tables', 'pixel_errors', 'predict_frames', 'predict_video',
           'prediction_dataframe', 'prepare_for_inference', 'read_ground_truth', 'read_image',
           'read_occluded', 'set_amp', 'temporal_norm', 'video_metrics', 'write_test_outputs',
           'write_video_outputs']
