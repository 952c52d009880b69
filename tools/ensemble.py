"""Train an ensemble, or gather existing models into one.

``python tools/ensemble.py CONFIG --seeds 0 1 2 [--work-dir DIR] [train options]`` trains one
member per seed, one after the other, each with ``tools/train.py CONFIG --work-dir
DIR/member<i>_seed<s> --cfg-options randomness.seed=<s> [train options]`` (``--cfg-options``,
``--amp``, ``--time-budget`` … are passed on). ``python tools/ensemble.py CONFIG --members
WORK_DIR WORK_DIR ... [--work-dir DIR]`` trains nothing and records the given work dirs.
Either way ``DIR/ensemble.json`` lists the members (``posekit/apis/ensemble.py``); predict
with ``tools/predict.py CONFIG DIR VIDEO`` (docs/outputs.md, "Ensembles").
"""
import argparse
import os.path as osp
import subprocess
import sys

from posekit.apis.cli import run_cli
from posekit.apis.config import resolve_checkpoint
from posekit.apis.ensemble import member_config, write_manifest

TRAIN = osp.join(osp.dirname(osp.abspath(__file__)), 'train.py')


def parse_args() -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(
        description='Train an ensemble (one member per seed) or gather existing work dirs',
        epilog='Other options are passed to tools/train.py for every member.')
    parser.add_argument('config', help='config file of every member')
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument('--seeds', nargs='+', type=int, help='train one member per seed')
    group.add_argument('--members', nargs='+', metavar='WORK_DIR',
                       help='existing work dirs (or checkpoints) to gather, no training')
    parser.add_argument('--work-dir', help='ensemble folder (default work_dirs/<config '
                        'stem>_ensemble)')
    return parser.parse_known_args()


def split_cfg_options(train_args: list[str]) -> tuple[list[str], list[str]]:
    """The values of a ``--cfg-options`` in ``train_args``, and the other arguments."""
    if '--cfg-options' not in train_args:
        return [], list(train_args)
    start = train_args.index('--cfg-options')
    stop = next((i for i in range(start + 1, len(train_args))
                 if train_args[i].startswith('--')), len(train_args))
    return train_args[start + 1:stop], train_args[:start] + train_args[stop:]


def main() -> None:
    args, train_args = parse_args()
    stem = osp.splitext(osp.basename(args.config))[0]
    ensemble_dir = args.work_dir or osp.join('work_dirs', f'{stem}_ensemble')
    if args.members:
        if train_args:
            raise ValueError(f'--members trains nothing; unexpected arguments {train_args}')
        members = []
        for member in args.members:
            resolve_checkpoint(member)  # names a member without a checkpoint
            members.append(dict(work_dir=member, seed=None, config=member_config(
                member, args.config) if osp.isdir(member) else args.config))
    else:
        if len(set(args.seeds)) != len(args.seeds):
            raise ValueError(f'--seeds must differ, got {args.seeds}')
        options, others = split_cfg_options(train_args)
        members = []
        for i, seed in enumerate(args.seeds):
            work_dir = osp.join(ensemble_dir, f'member{i}_seed{seed}')
            command = [sys.executable, TRAIN, args.config, '--work-dir', work_dir, *others,
                       '--cfg-options', f'randomness.seed={seed}', *options]
            print(f'member {i} (seed {seed}): {" ".join(command)}', flush=True)
            done = subprocess.run(command)
            if done.returncode:
                sys.exit(f'error: training member {i} (seed {seed}) failed with status '
                         f'{done.returncode}; the members before it are in {ensemble_dir}')
            members.append(dict(work_dir=work_dir, seed=seed,
                                config=member_config(work_dir, args.config)))
    print(f'{len(members)} members -> {write_manifest(ensemble_dir, members)}')


if __name__ == '__main__':
    run_cli(main)
