"""Train a posekit model: ``python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]]``."""
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
    parser.add_argument('--resume', nargs='?', const='auto', default=None, metavar='CKPT',
                        help='resume weights, optimizer, scheduler and epoch from CKPT, or '
                        'from the latest checkpoint of the work dir when CKPT is omitted')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision: bf16 on CPUs that support it, bf16/fp16 on CUDA')
    parser.add_argument('--time-budget', type=float, metavar='MINUTES',
                        help='stop at the first epoch end after MINUTES of training')
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
                         time_budget=args.time_budget)
    Runner.from_cfg(cfg).train()


if __name__ == '__main__':
    run_cli(main)
