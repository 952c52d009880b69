"""Training throughput vs the bare model's forward+backward throughput, in one process.

    .venv/bin/python benchmarks/train_throughput.py configs/mirror_mouse/heatmap.py \
        --iters 30 [--amp] [--cfg-options k=v ...]

1. bare: ``model.train_step`` on one pre-loaded batch, repeated (no data loading at all);
2. pipeline: the Runner's real training loop (workers, augmentation, collation, hooks).
Both at the config's batch size and input size. Prints img/s of each and their ratio (the
target is >= 0.85: data loading must not starve the model) and peak memory.
"""
import argparse
import resource
import time

import torch
from mmengine.config import DictAction
from mmengine.hooks import Hook
from mmengine.runner import Runner

from posekit.apis import prepare_train_config
from posekit.apis.config import load_config


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--iters', type=int, default=30, help='timed iterations per mode')
    parser.add_argument('--warmup', type=int, default=5, help='untimed iterations per mode')
    parser.add_argument('--amp', action='store_true')
    parser.add_argument('--work-dir', default='work_dirs/benchmark_throughput')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    return parser.parse_args()


class ClockHook(Hook):
    """Calls ``clock`` after every training iteration."""

    def __init__(self, clock: 'IterClock'):
        self.clock = clock

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self.clock()


class IterClock:
    """Records the time of every training iteration after the warm-up ones."""

    def __init__(self, warmup: int):
        self.warmup, self.times, self.last = warmup, [], None

    def __call__(self, *args, **kwargs) -> None:
        now = time.perf_counter()
        if self.last is not None:
            self.times.append(now - self.last)
        self.last = now

    def seconds(self) -> float:
        return sum(self.times[self.warmup:]) / max(len(self.times[self.warmup:]), 1)


def main() -> None:
    args = parse_args()
    cfg = load_config(args.config)
    cfg.merge_from_dict(args.cfg_options)
    total = args.iters + args.warmup + 1
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=total, val_interval=10 ** 9)
    cfg.param_scheduler = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10 ** 9)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=10 ** 9)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    prepare_train_config(cfg, work_dir=args.work_dir, amp=args.amp)
    runner = Runner.from_cfg(cfg)
    batch_size = cfg.train_dataloader.batch_size

    # 1. bare forward + backward on one batch
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    model = runner.model
    model.train()
    batch = next(iter(runner.build_dataloader(cfg.train_dataloader)))
    for i in range(args.warmup + args.iters):
        if i == args.warmup:
            start = time.perf_counter()
        model.train_step(batch, optim_wrapper=runner.optim_wrapper)
    bare = (time.perf_counter() - start) / args.iters

    # 2. the real training loop
    clock = IterClock(args.warmup)
    runner.register_hook(ClockHook(clock), 'LOWEST')
    runner.train()
    loop = clock.seconds()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20
    print(f'config {args.config}  batch {batch_size}  amp {args.amp}  '
          f'threads {torch.get_num_threads()}')
    print(f'bare forward+backward : {batch_size / bare:7.1f} img/s ({bare * 1000:.0f} ms/iter)')
    print(f'training loop         : {batch_size / loop:7.1f} img/s ({loop * 1000:.0f} ms/iter)')
    print(f'ratio                 : {bare / loop:.2f}')
    print(f'peak RSS (main process): {peak:.2f} GiB')


if __name__ == '__main__':
    main()
