"""Fit the epoch schedule of a recipe to a time budget or a number of steps."""
import logging
import time
from typing import Optional

from mmengine.dist import broadcast_object_list
from mmengine.hooks import CheckpointHook, Hook
from mmengine.logging import print_log
from mmengine.optim.scheduler import MultiStepParamScheduler
from mmengine.runner import EpochBasedTrainLoop

from posekit.engine.schedule_plan import (SchedulePlan, plan_epochs, rescale_multistep,
                                          validation_interval)
from posekit.registry import HOOKS
from .unsupervised_warmup import UnsupervisedWarmupHook


def _schedulers(runner) -> list:
    """The runner's parameter schedulers as one list (one optimizer or several)."""
    schedulers = runner.param_schedulers or []
    if isinstance(schedulers, dict):
        return [s for group in schedulers.values() for s in group]
    return list(schedulers)


@HOOKS.register_module()
class BudgetScheduleHook(Hook):
    """Re-plan the LR schedule, the unsupervised warm-up and validation for a budget.

    With ``minutes``, the hook lets ``skip_steps`` steps pass (data-loader start-up, first
    iteration), times the next ``measure_steps`` (data loading included) and estimates the
    steps left in the budget, keeping a ``reserve`` share of it for validation, checkpoints
    and drift: ``T = done + floor((budget - elapsed) * (1 - reserve) / step_time)``,
    rounded down to whole epochs and at most the config's ``max_epochs`` (a budget never
    lengthens the recipe). With ``max_steps`` (and no ``minutes``) it plans at the start,
    ``max_steps`` rounded up to whole epochs (``max_steps`` sets the length, also beyond
    ``max_epochs``); with both, the smaller of the two estimates. Then
    (``posekit/engine/schedule_plan.py``):

    - the loop's ``max_epochs`` becomes the planned epochs;
    - every epoch-based multi-step LR scheduler becomes step-based with each milestone at
      the same fraction of the run (other epoch-based schedulers are left as they are, with a
      warning);
    - an :class:`UnsupervisedWarmupHook` follows the plan per step;
    - validation (and the checkpoint hook's interval) run at least ``min_validations``
      times, the last at the end, so the best checkpoint is chosen over the whole run.

    The plan is logged once and stored in checkpoints; ``--resume`` restores it (and the
    step-based schedulers, from their own state) instead of planning again.

    Args:
        minutes: Training time budget, from the first training step.
        max_steps: Training steps.
        skip_steps: Steps not timed.
        measure_steps: Steps timed.
        reserve: Share of the remaining budget not planned for training steps.
        min_validations: Fewest validations in the planned run.
    """

    priority = 'NORMAL'  # after_train_iter: before ParamSchedulerHook steps the schedulers

    def __init__(self, minutes: Optional[float] = None, max_steps: Optional[int] = None,
                 skip_steps: int = 3, measure_steps: int = 10, reserve: float = 0.1,
                 min_validations: int = 5):
        if minutes is None and max_steps is None:
            raise ValueError('BudgetScheduleHook needs minutes or max_steps')
        if minutes is not None and not minutes > 0:
            raise ValueError(f'BudgetScheduleHook: minutes must be positive, got {minutes}')
        if max_steps is not None and int(max_steps) < 1:
            raise ValueError(f'BudgetScheduleHook: max_steps must be >= 1, got {max_steps}')
        if skip_steps < 0 or measure_steps < 1 or not 0 <= reserve < 1 or min_validations < 1:
            raise ValueError('BudgetScheduleHook: needs skip_steps >= 0, measure_steps >= 1, '
                             '0 <= reserve < 1 and min_validations >= 1')
        self.seconds = None if minutes is None else 60. * minutes
        self.max_steps = None if max_steps is None else int(max_steps)
        self.skip_steps = skip_steps
        self.measure_steps = measure_steps
        self.reserve = reserve
        self.min_validations = min_validations
        self.plan: Optional[SchedulePlan] = None
        self._loaded: Optional[dict] = None
        self._milestones: list[list[int]] = []
        self._start: Optional[float] = None
        self._timed_from: Optional[float] = None
        self._seen = 0

    def before_train(self, runner) -> None:
        if not isinstance(runner.train_loop, EpochBasedTrainLoop):
            raise TypeError('BudgetScheduleHook (--time-budget, train_cfg.max_steps) plans '
                            'whole epochs: it needs an epoch-based train loop, got '
                            f'{type(runner.train_loop).__name__}')
        if self._loaded is not None and runner.iter > 0:
            self.plan = SchedulePlan(**self._loaded)
            self._apply(runner, rescale=False)
            runner.logger.info(f'BudgetScheduleHook: resumed the plan {self._describe()}')
        elif self.seconds is None:
            self._make_plan(runner, self.max_steps, step_time=None)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if self._start is None:
            self._start = time.monotonic()

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None
                         ) -> None:
        if self.plan is not None:
            return
        self._seen += 1
        if self._seen == self.skip_steps:
            self._timed_from = time.monotonic()
        elif self._seen == self.skip_steps + self.measure_steps:
            now = time.monotonic()
            start = self._start if self._timed_from is None else self._timed_from
            step_time = (now - start) / self.measure_steps
            left = max(0., self.seconds - (now - self._start)) * (1. - self.reserve)
            steps = runner.iter + 1 + int(left // step_time)
            loop = runner.train_loop
            # a budget never lengthens the recipe: at most max_epochs (or max_steps)
            steps = min(steps, self.max_steps or loop.max_epochs * len(loop.dataloader))
            self._make_plan(runner, steps, step_time)

    def _make_plan(self, runner, steps: int, step_time: Optional[float]) -> None:
        """Plan ``steps`` (whole epochs), the same on every rank, and apply it."""
        loop = runner.train_loop
        per_epoch = len(loop.dataloader)
        epochs = plan_epochs(steps, per_epoch, runner.epoch + 1,
                             round_up=step_time is None)
        plan = [SchedulePlan(epochs=epochs, steps_per_epoch=per_epoch,
                             reference_epochs=loop.max_epochs,
                             val_interval=validation_interval(epochs, loop.val_interval,
                                                              self.min_validations),
                             step_time=step_time)]
        broadcast_object_list(plan)  # rank 0's plan: ranks must stop at the same step
        self.plan = plan[0]
        self._apply(runner, rescale=True)
        runner.logger.info(f'BudgetScheduleHook: planned {self._describe()}')

    def _apply(self, runner, rescale: bool) -> None:
        """Set the loop's length and intervals; rescale schedulers when ``rescale``."""
        plan, loop = self.plan, runner.train_loop
        loop._max_epochs = plan.epochs
        loop._max_iters = plan.total_steps
        loop.val_interval = plan.val_interval
        loop.dynamic_milestones, loop.dynamic_intervals = [0], [plan.val_interval]
        for hook in runner.hooks:
            if isinstance(hook, CheckpointHook) and hook.by_epoch:
                hook.interval = min(hook.interval, plan.val_interval)
            if isinstance(hook, UnsupervisedWarmupHook):
                hook.follow_plan(plan)
        self._milestones = []
        for scheduler in _schedulers(runner):
            if not scheduler.by_epoch:
                if isinstance(scheduler, MultiStepParamScheduler):
                    self._milestones.append(sorted(scheduler.milestones))
                continue
            if rescale and isinstance(scheduler, MultiStepParamScheduler):
                self._milestones.append(rescale_multistep(scheduler, plan, runner.iter))
            else:
                print_log(f'BudgetScheduleHook: {type(scheduler).__name__} (by_epoch) is not '
                          'rescaled to the budget; it keeps its epochs', logger='current',
                          level=logging.WARNING)

    def _describe(self) -> str:
        """The plan in one line (steps, epochs, milestones in steps, intervals)."""
        plan = self.plan
        timing = ('' if plan.step_time is None else
                  f' (measured {plan.step_time:.3f} s/step)')
        return (f'{plan.total_steps} steps = {plan.epochs} epochs x {plan.steps_per_epoch}'
                f'{timing}, schedule of {plan.reference_epochs} epochs rescaled; '
                f'LR milestones (steps): {self._milestones}; validation and checkpoint '
                f'every {plan.val_interval} epochs and at the end')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.plan is not None:
            checkpoint['schedule_plan'] = self.plan.state_dict()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._loaded = checkpoint.get('schedule_plan')
