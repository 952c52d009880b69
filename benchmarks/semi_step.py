"""Semi-supervised step time on CPU: the real loop against its parts measured alone.

    .venv/bin/python benchmarks/semi_step.py configs/heatmap_semi.py [--iters 20]

Measured in one process, at the config's batch size, clip length and input size, with every
unsupervised loss at full weight (the warm-up hook is removed):

- decode: building one labeled batch (load, augment, heatmap targets, collate) and one
  unlabeled batch of clips (video decode, resize, clip augmentation) in the main process;
  in training the loaders' workers do this;
- labeled step: forward (preprocess, backbone, head, supervised losses), backward and the
  optimizer step of one pre-loaded labeled batch;
- unlabeled forward and backward: one pre-loaded batch of clips through the unsupervised
  losses only;
- real step: an iteration of ``SemiSupervisedTrainLoop`` with its workers and hooks.

Prints ``real / (labeled + unlabeled)`` (target <= 1.3: decoding is hidden by the workers) and
the peak resident memory of the main process and of the workers (target <= 4 GB for the toy
config).
"""
import argparse
import resource
import statistics
import time
from collections.abc import Callable

import torch
from mmengine.config import DictAction
from mmengine.hooks import Hook
from mmengine.runner import Runner

from posekit.apis import prepare_train_config
from posekit.apis.config import load_config
from posekit.datasets.video_clips import clip_collate
from posekit.engine.hooks.pca_fit import training_keypoints
from posekit.models.losses import fittable_losses


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--iters', type=int, default=20, help='timed iterations per part')
    parser.add_argument('--warmup', type=int, default=3, help='untimed iterations per part')
    parser.add_argument('--work-dir', default='work_dirs/benchmark_semi_step')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    return parser.parse_args()


def timed(fn: Callable[[], object], warmup: int, iters: int) -> float:
    """Median wall time of ``fn`` in seconds after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class StepClock(Hook):
    """Records the wall time between consecutive training iterations."""

    def __init__(self):
        self.times: list[float] = []
        self.last = None

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        now = time.perf_counter()
        if self.last is not None:
            self.times.append(now - self.last)
        self.last = now


def split_step(model, optim_wrapper, batch: dict) -> tuple[float, float, float]:
    """Forward, backward and optimizer-step seconds of one step on a pre-loaded batch."""
    start = time.perf_counter()
    data = model.data_preprocessor(batch, True)
    losses = model(**data, mode='loss')
    loss, _ = model.parse_losses(losses)
    forward = time.perf_counter()
    optim_wrapper.backward(loss)
    backward = time.perf_counter()
    optim_wrapper.step()
    optim_wrapper.zero_grad()
    return forward - start, backward - forward, time.perf_counter() - backward


def medians(samples: list[tuple[float, ...]], skip: int) -> list[float]:
    """Per-column medians of timing tuples, without the first ``skip`` rows."""
    return [statistics.median(column) for column in zip(*samples[skip:])]


def main() -> None:
    args = parse_args()
    cfg = load_config(args.config)
    cfg.merge_from_dict(args.cfg_options)
    total = args.iters + args.warmup + 1
    cfg.train_cfg.update(max_epochs=1, min_steps_per_epoch=total, val_interval=10 ** 9)
    cfg.custom_hooks = [h for h in cfg.get('custom_hooks', [])
                        if h['type'] != 'UnsupervisedWarmupHook']
    cfg.param_scheduler = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10 ** 9)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=10 ** 9)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    prepare_train_config(cfg, work_dir=args.work_dir)
    runner = Runner.from_cfg(cfg)
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    model, optim = runner.model, runner.optim_wrapper
    model.train()

    labeled_loader = runner.build_dataloader(cfg.train_dataloader)
    clips = runner.build_dataloader(cfg.unlabeled_dataloader).dataset
    labeled_set = labeled_loader.dataset
    for loss in fittable_losses(model):  # what PCAFitHook does before training
        loss.fit(training_keypoints(labeled_set))
    size = cfg.train_dataloader.batch_size
    collate = labeled_loader.collate_fn
    counter = iter(range(10 ** 9))

    def labeled_batch() -> dict:
        start = next(counter) * size
        return collate([labeled_set[(start + i) % len(labeled_set)] for i in range(size)])

    n_clips = cfg.unlabeled_dataloader.batch_size

    def clip() -> dict:
        return clip_collate([clips[next(counter) % len(clips)] for _ in range(n_clips)])

    decode_labeled = timed(labeled_batch, 1, max(args.iters // 4, 3))
    decode_clip = timed(clip, 1, max(args.iters // 4, 3))

    batch, unlabeled = labeled_batch(), clip()
    labeled_only = [split_step(model, optim, batch) for _ in range(args.warmup + args.iters)]
    supervised_losses = model.losses
    model.losses = torch.nn.ModuleList()  # the clip's losses alone
    both = dict(batch, unlabeled=unlabeled)
    unlabeled_only = [split_step(model, optim, both) for _ in range(args.warmup + args.iters)]
    model.losses = supervised_losses
    lab_fwd, lab_bwd, lab_step = medians(labeled_only, args.warmup)
    unl_fwd, unl_bwd, _ = medians(unlabeled_only, args.warmup)
    # the clip step still ran the labeled forward (its outputs unused): subtract it
    unl_fwd -= lab_fwd

    clock = StepClock()
    runner.register_hook(clock, 'LOWEST')
    runner.train()
    real = statistics.median(clock.times[args.warmup:])
    parts = lab_fwd + lab_bwd + lab_step + unl_fwd + unl_bwd
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2 ** 20
    clip_length = cfg.unlabeled_dataloader.dataset.clip_length
    print(f'config {args.config}: labeled batch {size}, {n_clips} clip(s) of {clip_length} '
          'frames, '
          f'torch threads {torch.get_num_threads()}, median of {args.iters} iterations')
    print(f'decode labeled batch   : {decode_labeled * 1000:7.0f} ms (workers)')
    print(f'decode unlabeled clips : {decode_clip * 1000:7.0f} ms (workers)')
    print(f'labeled forward        : {lab_fwd * 1000:7.0f} ms')
    print(f'labeled backward       : {lab_bwd * 1000:7.0f} ms')
    print(f'optimizer step         : {lab_step * 1000:7.0f} ms')
    print(f'unlabeled forward      : {unl_fwd * 1000:7.0f} ms')
    print(f'unlabeled backward     : {unl_bwd * 1000:7.0f} ms')
    print(f'sum of the parts       : {parts * 1000:7.0f} ms')
    print(f'real semi step         : {real * 1000:7.0f} ms')
    print(f'ratio real / parts     : {real / parts:.2f} (target <= 1.3)')
    print(f'peak RSS main process  : {own:.2f} GiB; largest worker {workers:.2f} GiB')


if __name__ == '__main__':
    main()
