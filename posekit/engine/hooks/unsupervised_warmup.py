"""Ramp the unsupervised losses' weight in over epochs (Lightning Pose's AnnealWeight)."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from posekit.registry import HOOKS


@HOOKS.register_module()
class UnsupervisedWarmupHook(Hook):
    """Scale every unsupervised loss by a weight that grows from ``initial`` to ``final``.

    Until ``start_epoch`` the weight is ``initial``; each later epoch adds
    ``increase_per_epoch`` (LP: 0.01) up to ``final``. Supervised losses are never scaled.
    The current weight is stored in checkpoints, so ``--resume`` continues the ramp.

    Under a budget (:class:`~posekit.engine.hooks.BudgetScheduleHook` calls
    :meth:`follow_plan`) the ramp keeps its place as a fraction of the run and moves per
    step: at step ``s`` of ``T`` planned steps, with ``e = s * E0 / T`` the matching epoch of
    the config's ``E0 = max_epochs``, the weight is
    ``min(final, initial + increase_per_epoch * max(0, e - start_epoch))`` (the epoch ramp's
    value at every reference epoch boundary).

    Args:
        start_epoch: Last epoch (0-based) trained at the initial weight.
        increase_per_epoch: Weight added per epoch after ``start_epoch``.
        initial: Weight before the ramp.
        final: Weight the ramp stops at.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, start_epoch: int = 0, increase_per_epoch: float = 0.01,
                 initial: float = 0., final: float = 1.):
        self.start_epoch = start_epoch
        self.increase_per_epoch = increase_per_epoch
        self.initial = initial
        self.final = final
        self.weight = initial
        self.plan = None

    def follow_plan(self, plan) -> None:
        """Ramp per step along a budget's plan from now on.

        Args:
            plan: A :class:`~posekit.engine.schedule_plan.SchedulePlan`.
        """
        self.plan = plan

    def weight_at(self, step: int) -> float:
        """The planned weight at training step ``step`` (see the class docstring).

        Args:
            step: 0-based training step.

        Returns:
            The weight.
        """
        epoch = self.plan.to_epochs(step)
        return min(self.final,
                   self.initial + self.increase_per_epoch * max(0., epoch - self.start_epoch))

    def _set_weight(self, runner, weight: Optional[float] = None) -> None:
        if weight is not None:
            self.weight = weight
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        for loss in model.unsupervised_losses:
            loss.weight_scale = self.weight

    def before_train_epoch(self, runner) -> None:
        if self.plan is None and runner.epoch > self.start_epoch:
            self.weight = min(self.weight + self.increase_per_epoch, self.final)
        self._set_weight(runner)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if self.plan is not None:
            self._set_weight(runner, self.weight_at(runner.iter))
        runner.message_hub.update_scalar('train/unsupervised_weight', self.weight)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['unsupervised_warmup'] = dict(weight=self.weight)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if 'unsupervised_warmup' in checkpoint:
            self.weight = float(checkpoint['unsupervised_warmup']['weight'])
