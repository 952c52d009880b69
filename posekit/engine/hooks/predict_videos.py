"""After training, predict the config's ``test_videos`` into ``<work_dir>/video_preds/``."""
import copy
import json
import math
import os.path as osp
from typing import Optional

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from posekit.atomic_io import write_text_atomic
from posekit.inference import evaluate_test_videos, prepare_for_inference
from posekit.inference.confidence import DEFAULT_MIN_CONFIDENCE, never_confident_message
from posekit.inference.evaluation import EvaluatedVideos
from posekit.registry import HOOKS

#: The summary file of the test videos, in the work dir.
SUMMARY_FILE = 'training_summary.json'


def _finite(value: float) -> Optional[float]:
    """``value``, or None for NaN (JSON has no NaN)."""
    return None if math.isnan(value) else value


def write_training_summary(path: str, evaluation: EvaluatedVideos, videos: list[str],
                           weights: str, min_confidence: float) -> None:
    """Write the test videos' summary (docs/outputs.md, "After training") atomically.

    Args:
        path: The JSON file.
        evaluation: What ``evaluate_test_videos`` found.
        videos: Every test video of the config, in order (those missing from
            ``evaluation`` failed).
        weights: The checkpoint predicted with, or ``'final'``.
        min_confidence: The never-confident threshold.
    """
    entries, warnings = [], []
    for video, report in evaluation.confidence.items():
        names = report.never_confident(min_confidence)
        if names:
            warnings.append(never_confident_message(video, names, min_confidence))
        entries.append(dict(video=video, never_confident=names,
                            mean_confidence={k: _finite(v) for k, v in report.mean.items()}))
    summary = dict(weights=weights, min_confidence=min_confidence, warnings=warnings,
                   test_videos=entries,
                   failed_videos=[v for v in videos if v not in evaluation.confidence],
                   metrics={k: _finite(float(v)) for k, v in evaluation.metrics.items()})
    write_text_atomic(path, json.dumps(summary, indent=1))


@HOOKS.register_module()
class PredictVideosHook(Hook):
    """After training, predict the config's ``test_videos`` and log their metrics.

    The counterpart of LP's ``eval.predict_vids_after_training`` (and
    ``eval.save_vids_after_training`` with ``save_video=True``). Uses the best checkpoint's
    weights when the ``CheckpointHook`` saved one (``save_best``), else the final weights;
    the runner's model is left untouched. Writes into ``<work_dir>/video_preds/`` (see
    docs/outputs.md) and ``<work_dir>/training_summary.json`` (per-keypoint mean confidence
    of each video, keypoints below ``min_confidence`` on every frame, the video metrics);
    such keypoints are also named in a logged warning. A crop-zoom stage-2 config (one
    naming its ``stage1``, docs/two_stage.md) predicts with both stages; when the first
    stage's checkpoint does not exist yet, one error naming it is logged and no video is
    predicted (``tools/test.py`` predicts them once it does). Enable it in a config::

        custom_hooks = [dict(type='PredictVideosHook', save_video=True)]

    Args:
        save_video: Also write labeled videos.
        batch_size: Frames per model call.
        min_confidence: A keypoint below this confidence on every frame of a video is
            named in a warning.
    """

    priority = 'LOWEST'

    def __init__(self, save_video: bool = False, batch_size: int = 16,
                 min_confidence: float = DEFAULT_MIN_CONFIDENCE):
        self.save_video = save_video
        self.batch_size = batch_size
        self.min_confidence = min_confidence

    def after_train(self, runner) -> None:
        videos = runner.cfg.get('test_videos')
        if not videos:
            runner.logger.warning('PredictVideosHook: the config has no test_videos; '
                                  'nothing to predict')
            return
        if not is_main_process():
            return
        model = copy.deepcopy(runner.model.module if is_model_wrapper(runner.model)
                              else runner.model)
        best = runner.message_hub.get_info('best_ckpt')
        weights = 'final'
        if best and osp.isfile(best):
            state = torch.load(best, map_location=next(model.parameters()).device,
                               weights_only=True)['state_dict']
            model.load_state_dict(state)
            runner.logger.info(f'PredictVideosHook: predicting with {best}')
            weights = best
        prepare_for_inference(model, runner.cfg, runner.train_dataloader.dataset.metainfo)
        # posekit.apis imports the engine (hooks included): import it when the hook runs
        from posekit.apis.two_stage import is_two_stage, with_stage1
        if is_two_stage(runner.cfg):
            try:
                model = with_stage1(runner.cfg, model, str(next(model.parameters()).device))
            except (FileNotFoundError, ValueError) as error:
                runner.logger.error(f'PredictVideosHook: no test video predicted: {error}')
                return
        out_dir = osp.join(runner.work_dir, 'video_preds')
        evaluation = evaluate_test_videos(model, videos, out_dir, self.batch_size,
                                          self.save_video, min_confidence=self.min_confidence)
        write_training_summary(osp.join(runner.work_dir, SUMMARY_FILE), evaluation,
                               [v if isinstance(v, str) else v['video'] for v in videos],
                               weights, self.min_confidence)
        metrics = evaluation.metrics
        if metrics:
            runner.logger.info('PredictVideosHook: ' + '  '.join(
                f'{key}: {value:.4f}' for key, value in metrics.items()))
            runner.visualizer.add_scalars(metrics, step=runner.iter)
