"""After training, predict the config's ``test_videos`` into ``<work_dir>/video_preds/``."""
import copy
import os.path as osp

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from posekit.inference import evaluate_test_videos, prepare_for_inference
from posekit.registry import HOOKS


@HOOKS.register_module()
class PredictVideosHook(Hook):
    """After training, predict the config's ``test_videos`` and log their metrics.

    The counterpart of LP's ``eval.predict_vids_after_training`` (and
    ``eval.save_vids_after_training`` with ``save_video=True``). Uses the best checkpoint's
    weights when the ``CheckpointHook`` saved one (``save_best``), else the final weights;
    the runner's model is left untouched. Writes into ``<work_dir>/video_preds/`` (see
    docs/outputs.md). Enable it in a config::

        custom_hooks = [dict(type='PredictVideosHook', save_video=True)]

    Args:
        save_video: Also write labeled videos.
        batch_size: Frames per model call.
    """

    priority = 'LOWEST'

    def __init__(self, save_video: bool = False, batch_size: int = 16):
        self.save_video = save_video
        self.batch_size = batch_size

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
        if best and osp.isfile(best):
            state = torch.load(best, map_location=next(model.parameters()).device,
                               weights_only=True)['state_dict']
            model.load_state_dict(state)
            runner.logger.info(f'PredictVideosHook: predicting with {best}')
        prepare_for_inference(model, runner.cfg, runner.train_dataloader.dataset.metainfo)
        out_dir = osp.join(runner.work_dir, 'video_preds')
        metrics = evaluate_test_videos(model, videos, out_dir, self.batch_size,
                                       self.save_video)
        if metrics:
            runner.logger.info('PredictVideosHook: ' + '  '.join(
                f'{key}: {value:.4f}' for key, value in metrics.items()))
            runner.visualizer.add_scalars(metrics, step=runner.iter)
