"""Plan a training's length from a budget and rescale an epoch schedule to it.

A recipe writes its schedule in epochs of ``train_cfg.max_epochs`` (the *reference* length:
e.g. LR milestones 150/200/250 of 300 epochs, an unsupervised warm-up from epoch 0 at +0.01
per epoch). A budget (``--time-budget`` minutes or ``train_cfg.max_steps``) gives the run
another length; the plan keeps every schedule point at the same *fraction* of the run:
a milestone at epoch ``m`` of ``E0`` moves to step ``round(m / E0 * T)`` of the ``T``
planned steps (whole epochs: ``T = epochs * steps_per_epoch``). :class:`BudgetScheduleHook`
(``posekit/engine/hooks/budget_schedule.py``) makes and applies the plan.
"""
import math
from dataclasses import asdict, dataclass
from typing import Optional

from mmengine.optim.scheduler import MultiStepParamScheduler
from mmengine.optim.scheduler.param_scheduler import INF


@dataclass
class SchedulePlan:
    """The planned length of a training and the validation interval that fits it.

    Attributes:
        epochs: Planned number of epochs (the loop's new ``max_epochs``).
        steps_per_epoch: Training steps (iterations) per epoch.
        reference_epochs: The config's ``train_cfg.max_epochs``, the length the schedule
            is written for.
        val_interval: Epochs between validations (the last epoch always validates).
        step_time: Measured seconds per step (None when planned from ``max_steps``).
    """

    epochs: int
    steps_per_epoch: int
    reference_epochs: int
    val_interval: int
    step_time: Optional[float] = None

    @property
    def total_steps(self) -> int:
        """Planned training steps ``T``."""
        return self.epochs * self.steps_per_epoch

    def to_step(self, epoch: float) -> int:
        """The step at the same fraction of the planned run as ``epoch`` of the reference.

        Args:
            epoch: An epoch of the reference schedule (may be fractional).

        Returns:
            ``round(epoch / reference_epochs * total_steps)``.
        """
        return int(round(epoch / self.reference_epochs * self.total_steps))

    def to_epochs(self, step: float) -> float:
        """The reference-schedule epoch at the same fraction of the run as ``step``."""
        return step * self.reference_epochs / self.total_steps

    def state_dict(self) -> dict:
        """Plain values for a checkpoint."""
        return asdict(self)


def plan_epochs(steps: float, steps_per_epoch: int, min_epochs: int, round_up: bool
                ) -> int:
    """Whole epochs for a number of steps.

    Args:
        steps: Steps the budget allows.
        steps_per_epoch: Steps per epoch.
        min_epochs: The fewest epochs to return (e.g. the epoch in progress + 1).
        round_up: Round a partial epoch up (``max_steps``: at least that many steps) or down
            (a time budget: stay within it).

    Returns:
        The number of epochs.
    """
    epochs = (math.ceil if round_up else math.floor)(steps / steps_per_epoch)
    return max(int(epochs), min_epochs)


def validation_interval(epochs: int, configured: int, min_validations: int) -> int:
    """Epochs between validations so that a run of ``epochs`` validates at least
    ``min_validations`` times (never less often than ``configured``).

    Args:
        epochs: Planned epochs.
        configured: The config's ``val_interval``.
        min_validations: Fewest validations wanted in the run (its last epoch included).

    Returns:
        ``min(configured, max(1, epochs // min_validations))``.
    """
    return min(configured, max(1, epochs // min_validations))


def rescale_multistep(scheduler: MultiStepParamScheduler, plan: SchedulePlan,
                      steps_done: int) -> list[int]:
    """Turn an epoch-based multi-step scheduler into a step-based one following ``plan``.

    The milestones (and a finite ``begin`` / ``end``) move to the same fraction of the
    planned steps. ``last_step`` becomes ``steps_done``, the steps the scheduler has been (or
    is about to be, within the current iteration) stepped for, so the next
    ``ParamSchedulerHook`` step counts step ``steps_done + 1``.

    Args:
        scheduler: A ``MultiStepLR`` (or any multi-step parameter scheduler) with
            ``by_epoch=True``.
        plan: The plan.
        steps_done: Training steps already taken.

    Returns:
        The new milestones in steps, sorted (a milestone may repeat: it then applies
        ``gamma`` as often).
    """
    milestones = {}
    for epoch, count in scheduler.milestones.items():
        step = plan.to_step(epoch)
        milestones[step] = milestones.get(step, 0) + count
    scheduler.milestones = milestones
    scheduler.begin = plan.to_step(scheduler.begin)
    if scheduler.end != INF:
        scheduler.end = plan.to_step(scheduler.end)
    scheduler.by_epoch = False
    scheduler.last_step = steps_done
    scheduler._global_step = steps_done
    return sorted(s for s, n in milestones.items() for _ in range(n))
