"""Train a posekit model: ``python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]]``.

Starting points: ``--resume [CKPT]`` continues a training (weights, optimizer, schedulers,
epoch) and fails when there is nothing to resume; ``--resume-if-possible`` resumes from the
work dir's last checkpoint when there is one and otherwise starts a new training (for jobs
that may be restarted, e.g. preemptible cluster jobs); ``--load-from CKPT`` starts a new
training from a checkpoint's weights only (e.g. a ``best_*.pth``).
"""
import argparse

from mmengine.config import DictAction
from mmengine.runner import Runner

from posekit.apis import prepare_train_config
from posekit.apis.cli import run_cli
from posekit.apis.config import load_config
from posekit.apis.config_checks import merge_cfg_options


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a posekit model')
    parser.add_argument('config', help='config file, e.g. configs/heatmap_semi.py')
    parser.add_argument('--work-dir', help='output folder (default work_dirs/<config stem>)')
    start = parser.add_mutually_exclusive_group()
    start.add_argument('--resume', nargs='?', const='auto', default=None, metavar='CKPT',
                       help='resume weights, optimizer, scheduler and epoch from CKPT, or '
                       'from the latest checkpoint of the work dir when CKPT is omitted; an '
                       'error when there is no such checkpoint')
    start.add_argument('--resume-if-possible', action='store_true',
                       help="resume from the work dir's latest checkpoint when there is one, "
                       'else start a new training')
    start.add_argument('--load-from', metavar='CKPT',
                       help="start a new training from CKPT's weights only (no optimizer, "
                       'scheduler or epoch)')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision: bf16 on CPUs that support it, bf16/fp16 on CUDA')
    parser.add_argument('--time-budget', type=float, metavar='MINUTES',
                        help='fit the run into MINUTES of training: LR milestones, '
                        'unsupervised warm-up and validation are re-planned from the step '
                        'time measured over the first steps (README, "Training to a budget"); '
                        'training stops at the first epoch end after MINUTES at the latest')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config entries, e.g. train_cfg.max_epochs=5')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='distributed launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    cfg = load_config(args.config)
    merge_cfg_options(cfg, args.cfg_options)
    cfg.launcher = args.launcher
    prepare_train_config(cfg, work_dir=args.work_dir, resume=args.resume, amp=args.amp,
                         time_budget=args.time_budget, load_from=args.load_from,
                         resume_if_possible=args.resume_if_possible)
    Runner.from_cfg(cfg).train()


if __name__ == '__main__':
    run_cli(main)
