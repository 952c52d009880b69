"""Evaluate a checkpoint on every labeled frame: ``python tools/test.py CONFIG CHECKPOINT``.

Writes ``predictions.csv`` and ``predictions_pixel_error.csv`` into the work dir (by default
the checkpoint's folder), ``predictions_pca_*_error.csv`` for models with fitted PCA losses,
the pictures ``predictions_pixel_error.png`` and ``predictions_calibration.png``, and prints
the metrics per split. When the config lists ``test_videos``, each is predicted into
``video_preds/`` and its video metrics are printed with the others (docs/outputs.md).

A multiview model (docs/multiview.md) writes ``predictions_<view>.csv`` and
``predictions_<view>_pixel_error.csv`` per view (``pixel_error_<view>`` metrics); each
session of the config's ``test_sessions`` is predicted into ``video_preds/`` with its per-view
2-D errors, 3-D error against ``ground_truth_3d`` and per-frame reprojection error
(``video/<session>/error_3d``, ``…/reprojection_error``,
``…/reprojection_error_above_5px``; also in ``video_preds/<session>_metrics.csv``).
``--amp`` runs the backbone in bf16 (fp16 on older GPUs), head and decoding in float32.

A crop-zoom stage-2 config (``stage1 = dict(config=..., checkpoint=...)``, docs/two_stage.md)
is tested twice: the metrics above are stage 2 on crops around the labels; the
``two_stage/pixel_error_<split>`` metrics (and ``two_stage_pixel_error.csv``) are both stages
on the labeled frames in frame pixels, and ``test_videos`` are predicted with both stages.
"""
import argparse
import os.path as osp

from mmengine.config import DictAction
from mmengine.dist import is_main_process
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from posekit.apis import prepare_test_config
from posekit.apis.cli import run_cli
from posekit.apis.config import load_config
from posekit.apis.config_checks import merge_cfg_options
from posekit.apis.two_stage import is_two_stage, with_stage1
from posekit.inference import evaluate_test_videos, prepare_for_inference, write_test_outputs
from posekit.inference.precision import set_amp
from posekit.inference.session_evaluation import evaluate_test_sessions
from posekit.inference.two_stage_frames import evaluate_two_stage_frames


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a posekit model')
    parser.add_argument('config', help='config file the model was trained with')
    parser.add_argument('checkpoint', help='checkpoint file, or a work dir (its best checkpoint)')
    parser.add_argument('--work-dir', help="output folder (default: the checkpoint's folder)")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config entries')
    parser.add_argument('--amp', action='store_true',
                        help='bf16/fp16 backbone with channels-last where the device supports '
                        'it (head and keypoint decoding stay float32)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none')
    return parser.parse_args()


def format_metrics(metrics: dict) -> str:
    """A two-column table of metric names and values."""
    width = max(len(k) for k in metrics) if metrics else 0
    return '\n'.join(f'{k:<{width}}  {v:.4f}' if isinstance(v, float) else f'{k:<{width}}  {v}'
                     for k, v in metrics.items())


def main() -> None:
    args = parse_args()
    cfg = load_config(args.config)
    merge_cfg_options(cfg, args.cfg_options)
    cfg.launcher = args.launcher
    prepare_test_config(cfg, args.checkpoint, work_dir=args.work_dir)
    runner = Runner.from_cfg(cfg)
    if args.amp:
        set_amp(runner.model.module if is_model_wrapper(runner.model) else runner.model, True)
    metrics = runner.test()
    if is_main_process():
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        prepare_for_inference(model, cfg, runner.test_dataloader.dataset.metainfo)
        writer = next((m for m in cfg.test_evaluator if m.get('type') == 'PredictionsWriter'),
                      None)
        if writer is not None:
            write_test_outputs(model, writer['out_dir'], writer.get('prefix', 'predictions'))
        if is_two_stage(cfg):
            device = str(next(model.parameters()).device)
            model = with_stage1(cfg, model, device, args.amp)
            dataset = runner.test_dataloader.dataset
            metrics.update(evaluate_two_stage_frames(
                model, [dataset.get_data_info(i) for i in range(len(dataset))], cfg.work_dir))
        if cfg.get('test_videos'):
            metrics.update(evaluate_test_videos(model, cfg.test_videos,
                                                osp.join(cfg.work_dir, 'video_preds')).metrics)
        if cfg.get('test_sessions'):
            metrics.update(evaluate_test_sessions(model, cfg.test_sessions,
                                                  osp.join(cfg.work_dir, 'video_preds')))
    print(format_metrics(metrics))


if __name__ == '__main__':
    run_cli(main)
