"""Stop training after a wall-clock budget (e.g. "what does 20 minutes of CPU buy?")."""
import time

from mmengine.hooks import Hook

from posekit.registry import HOOKS


@HOOKS.register_module()
class TimeBudgetHook(Hook):
    """End training at the first epoch boundary after ``minutes`` of training.

    The epoch that crosses the budget becomes the last one, so the loop validates and the
    checkpoint hook saves it exactly as at a normal end of training.

    Args:
        minutes: Training time budget, measured from the first training iteration.
    """

    priority = 'HIGH'  # before the checkpoint hook decides whether this is the last epoch

    def __init__(self, minutes: float):
        self.seconds = 60. * minutes
        self.start = None

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if self.start is None:
            self.start = time.monotonic()

    def after_train_epoch(self, runner) -> None:
        if self.start is not None and time.monotonic() - self.start >= self.seconds:
            runner.logger.info(f'TimeBudgetHook: {self.seconds / 60:g} min budget used after '
                               f'epoch {runner.epoch + 1}; stopping')
            runner.train_loop._max_epochs = runner.epoch + 1
